"""Brand profiles: an account's saved brand kit (name, colours, logo URL), reused by instant-ad.

``POST /api/v1/brand-profiles`` saves one (from a page's extracted kit, explicit fields, or both:
explicit fields win); ``brandProfileId`` / ``brand_profile_id`` on instant-ad paints the ads with it
instead of the page's own. A profile belongs to one account: another account's id is a 404, as if it
did not exist. ``resolve`` freezes the kit into a job's params at the request, so a queued job still
runs if the profile is deleted meanwhile.

Example::

    store = BrandProfileStore(db)
    row = store.create("acct_1", BrandKit("Acme", ["#e63946"], ""), "https://acme.example")
    store.get(row["id"], "acct_2")     # NotFound: another account's profile
"""

from __future__ import annotations

import json
import re
import secrets
import time
from typing import Any

from noxus_local.errors import NotFound, ValidationError
from noxus_local.locale import t
from noxus_local.web.brand import BrandKit

PROFILE_ID = re.compile(r"brand_[0-9a-f]{16}")
MAX_PROFILES_PER_ACCOUNT = 200
MAX_NAME = 100
HEX = re.compile(r"#[0-9a-fA-F]{6}")


def check_colours(raw: Any, field: str = "colors") -> list[str]:
    """A list of 1-5 ``#rrggbb`` strings (lower-cased); a 400 on ``field`` otherwise."""
    if not isinstance(raw, list) or not 1 <= len(raw) <= 5 or not all(isinstance(c, str) and HEX.fullmatch(c)
                                                                       for c in raw):
        raise ValidationError.fields({field: [t("brand_profiles.list_1_5_rrggbb")]})
    return [c.lower() for c in raw]


def view(row: dict[str, Any]) -> dict[str, Any]:
    """A profile as the API shows it."""
    return {"id": row["id"], "name": row["name"], "colors": json.loads(row["colours"]),
            "logo_url": row["logo_url"] or None, "website_url": row["website_url"] or None,
            "created_at": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(row["created_at"]))}


class BrandProfileStore:
    """Brand profiles in SQLite, always read through the owning account."""

    def __init__(self, db: Any) -> None:
        self.db = db

    def create(self, account_id: str, kit: BrandKit, website_url: str = "") -> dict[str, Any]:
        name = " ".join(kit.name.split())[:MAX_NAME]
        if not name:
            raise ValidationError.fields({"name": [t("brand_profiles.required_or_website_url")]})
        profile_id = "brand_" + secrets.token_hex(8)
        with self.db.write() as conn:  # the count and the insert in one transaction
            count = conn.execute("SELECT COUNT(*) FROM brand_profiles WHERE account_id = ?", (account_id,)).fetchone()
            if count[0] >= MAX_PROFILES_PER_ACCOUNT:
                raise ValidationError.fields({"name": [
                    t("brand_profiles.at_most_profiles_per", max_profiles_per_account=MAX_PROFILES_PER_ACCOUNT)]})
            self.db.table("brand_profiles").insert({
                "id": profile_id, "account_id": account_id, "name": name, "colours": json.dumps(kit.colours),
                "logo_url": kit.logo_url, "website_url": website_url, "created_at": time.time()})
        return self.get(profile_id, account_id)

    def get(self, profile_id: str, account_id: str) -> dict[str, Any]:
        """The account's profile; unknown and another account's alike are 404."""
        row = None
        if PROFILE_ID.fullmatch(profile_id):
            row = next(self.db.table("brand_profiles").rows_where("id = ? AND account_id = ?",
                                                                  [profile_id, account_id], limit=1), None)
        if row is None:
            raise NotFound(details={"brand_profile_id": profile_id[:100], "list": "GET /api/v1/brand-profiles"})
        return dict(row)

    def all(self, account_id: str) -> list[dict[str, Any]]:
        rows = self.db.table("brand_profiles").rows_where("account_id = ?", [account_id], order_by="created_at, id")
        return [dict(r) for r in rows]

    def delete(self, profile_id: str, account_id: str) -> dict[str, Any]:
        with self.db.write():
            row = self.get(profile_id, account_id)
            self.db.table("brand_profiles").delete_where("id = ? AND account_id = ?", [profile_id, account_id])
        return row

    def resolve(self, account_id: str, params: dict[str, Any]) -> dict[str, Any]:
        """Params naming one of the account's profiles (``brand_profile_id``) with its kit frozen in ``brand``.

        Another account's or an unknown id is a 400 on ``brand_profile_id`` (charged nothing).
        Example: ``{"brand_profile_id": "brand_…"}`` → ``{..., "brand": {"name": "Acme", "colours": [...], ...}}``.
        """
        profile_id = params.get("brand_profile_id")
        if not isinstance(profile_id, str) or not profile_id:
            return params
        try:
            row = self.get(profile_id, account_id)
        except NotFound:
            raise ValidationError.fields({"brand_profile_id": [
                t("brand_profiles.unknown_brand_profile_get", profile_id=profile_id[:100])]}) from None
        kit = BrandKit(row["name"], json.loads(row["colours"]), row["logo_url"] or "")
        return {**params, "brand": kit.to_dict()}
