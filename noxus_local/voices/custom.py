"""Account-private voices: a named, weighted mix of premade Kokoro voices (issue 11).

Kokoro's style vectors blend linearly, so ``{"ef_dora": 0.7, "em_alex": 0.3}``
is a new voice at no cost: the mix is stored (weights normalised to sum 1),
never the vectors, and it is blended again each time it speaks. A voice
belongs to one account: another account's id is a 404, as if it did not
exist, so ids do not leak across tenants. Its language, gender and accent are
those of its dominant parent (the heaviest; the first named on a tie), so the
library's filters treat it like any other voice.

Example::

    store = CustomVoiceStore(db)
    row = store.create("acct_1", "Narradora", {"ef_dora": 0.7, "em_alex": 0.3})
    row.voice_id, row.language, row.gender        # ("custom_3f…", "es", "female")
    store.get(row.voice_id, "acct_2")             # NotFound: another account's voice
"""

from __future__ import annotations

import json
import math
import re
import secrets
import time
from typing import Any

from noxus_local.errors import NotFound, ValidationError
from noxus_local.locale import t
from noxus_local.speech.voice_catalog import MODEL, VOICES, VoiceInfo

CUSTOM_ID = re.compile(r"custom_[0-9a-f]{16}")
MAX_PARENTS = 5
MAX_WEIGHT = 1000  # weights are relative; a bound keeps their sum finite
MAX_NAME = 100
# letters (Latin-1 accents included), digits, spaces and a few signs, at least one letter or digit:
# what the OpenAPI document states, so a name the document refuses is refused here too
NAME_PATTERN = "^ *[A-Za-z0-9\u00c0-\u00ff][A-Za-z0-9\u00c0-\u00ff ._'()-]*$"
NAME_RE = re.compile(NAME_PATTERN[1:-1])  # fullmatch: Python's $ would let a final newline through
MAX_VOICES_PER_ACCOUNT = 200
LIST_HINT = t("common.list_voices_hint")


def check_mix(raw: Any) -> dict[str, float]:
    """The mix as ``{voice_id: weight}`` normalised to sum 1, or a 400 naming ``mix``.

    Example: ``check_mix({"ef_dora": 7, "em_alex": 3}) == {"ef_dora": 0.7, "em_alex": 0.3}``;
    unknown parents, weights outside 0-1000, weights summing to 0 or more than 5 parents are refused.
    """
    if not isinstance(raw, dict) or not raw:
        raise _bad(t("voices_custom.non_empty_object_voice"))
    if len(raw) > MAX_PARENTS:
        raise _bad(t("voices_custom.at_most_voices", max_parents=MAX_PARENTS))
    unknown = [str(v)[:100] for v in raw if v not in VOICES]
    if unknown:
        raise _bad(t("voices_custom.unknown_voices", unknown=unknown, list_hint=LIST_HINT))
    if any(VOICES[v].model != MODEL for v in raw):
        raise _bad(t("voices_custom.only_voices_can_mixed", model=MODEL))
    for voice, weight in raw.items():
        if isinstance(weight, bool) or not isinstance(weight, (int, float)) or not math.isfinite(weight):
            raise _bad(t("voices_custom.weight_must_number", voice=voice))
        if weight <= 0 or weight > MAX_WEIGHT:  # a parent weighing 0 is no parent (the schema says > 0)
            raise _bad(t("voices_custom.weight_goes_from_above", voice=voice, max_weight=MAX_WEIGHT))
    total = float(sum(raw.values()))
    if total <= 0:
        raise _bad(t("common.weights_must_sum_above"))
    return {voice: round(weight / total, 6) for voice, weight in raw.items()}


def check_name(raw: Any) -> str:
    if not isinstance(raw, str) or not raw.strip():
        raise ValidationError.fields({"name": [t("common.required")]})
    if len(raw) > MAX_NAME or not NAME_RE.fullmatch(raw):
        raise ValidationError.fields({"name": [
            t("voices_custom.name_shape", max_name=MAX_NAME)]})
    return " ".join(raw.split())


def _bad(message: str) -> ValidationError:
    return ValidationError.fields({"mix": [message]})


def dominant(mix: dict[str, float]) -> VoiceInfo:
    """The parent with the largest weight (the first named on a tie)."""
    return VOICES[max(mix, key=lambda v: (mix[v], -list(mix).index(v)))]


def info_of(row: Any) -> VoiceInfo:
    """A stored voice as the library's ``VoiceInfo`` (category ``custom``)."""
    mix = json.loads(row["mix"])
    parts = ", ".join(f"{VOICES[v].name} {round(w * 100)}%" for v, w in mix.items())
    return VoiceInfo(row["id"], row["name"], row["gender"], row["accent"], row["language"],
                     f"{row['name']}: a mix of {parts} (Kokoro-82M).", category="custom", model=MODEL,
                     mix=tuple(mix.items()))


class CustomVoiceStore:
    """Custom voices in SQLite, always read through the owning account."""

    def __init__(self, db: Any) -> None:
        self.db = db

    def create(self, account_id: str, name: Any, mix: Any) -> VoiceInfo:
        checked_name, checked_mix = check_name(name), check_mix(mix)
        parent = dominant(checked_mix)
        voice_id = "custom_" + secrets.token_hex(8)
        with self.db.write() as conn:  # the count and the insert in one transaction
            count = conn.execute("SELECT COUNT(*) FROM custom_voices WHERE account_id = ?", (account_id,)).fetchone()
            if count[0] >= MAX_VOICES_PER_ACCOUNT:
                raise ValidationError.fields({"name": [
                    t("voices_custom.at_most_voices_per", max_voices_per_account=MAX_VOICES_PER_ACCOUNT)]})
            self.db.table("custom_voices").insert({
                "id": voice_id, "account_id": account_id, "name": checked_name, "mix": json.dumps(checked_mix),
                "language": parent.language, "gender": parent.gender, "accent": parent.accent,
                "created_at": time.time()})
        return self.get(voice_id, account_id)

    def get(self, voice_id: str, account_id: str) -> VoiceInfo:
        """The account's voice; unknown and another account's alike are 404."""
        row = self._row("id = ? AND account_id = ?", voice_id, account_id) if CUSTOM_ID.fullmatch(voice_id) else None
        if row is None:
            raise NotFound(details={"voice_id": voice_id[:100], "list": "GET /api/v1/voices"})
        return info_of(row)

    def signed(self, voice_id: str) -> VoiceInfo | None:
        """A voice by id alone, for its signed preview URL (the signature is the permission)."""
        row = self._row("id = ?", voice_id) if CUSTOM_ID.fullmatch(voice_id) else None
        return None if row is None else info_of(row)

    def all(self, account_id: str) -> list[VoiceInfo]:
        rows = self.db.table("custom_voices").rows_where("account_id = ?", [account_id], order_by="created_at, id")
        return [info_of(r) for r in rows]

    def _row(self, where: str, *args: str) -> dict[str, Any] | None:
        return next(self.db.table("custom_voices").rows_where(where, list(args), limit=1), None)

    def delete(self, voice_id: str, account_id: str) -> VoiceInfo:
        with self.db.write():
            info = self.get(voice_id, account_id)
            self.db.table("custom_voices").delete_where("id = ? AND account_id = ?", [voice_id, account_id])
        return info

    def resolve(self, account_id: str, params: dict[str, Any]) -> dict[str, Any]:
        """Params whose ``voice_id`` names one of the account's voices, with its mix frozen in
        ``voice_mix`` (a queued job still speaks if the voice is deleted meanwhile).

        Example: ``{"voice_id": "custom_…"}`` → ``{"voice_id": "custom_…", "voice_mix": {"ef_dora": 0.7, …}}``;
        another account's id is a 400 on ``voice_id``, exactly like an unknown voice.
        """
        voice_id = params.get("voice_id")
        if not isinstance(voice_id, str) or not voice_id.startswith("custom_"):
            return params
        try:
            info = self.get(voice_id, account_id)
        except NotFound:
            raise ValidationError.fields({"voice_id": [
                t("voices_custom.unknown_voice", voice_id=voice_id[:100], list_hint=LIST_HINT)]}) from None
        return {**params, "voice_mix": dict(info.mix or ())}
