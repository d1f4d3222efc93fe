"""Admin inputs read once, strictly: USD amounts, budget periods, times, ids; bad ones are a 400 naming the field.

Why strict: a budget of ``-1`` or ``"abc"``, a credit of ``1e400`` or ``NaN``
must never reach the ledger; the REST routes, the console's forms and the CLI
all parse through these functions, so all three refuse the same things.

Example::

    micros = usd_amount("25.50", "amount_usd")        # 25_500_000
    usd_amount("-1", "max_spend_usd")                 # ValidationError, field_errors["max_spend_usd"]
"""

from __future__ import annotations

import datetime as dt
import re
from typing import Any

from noxus_local.errors import Text, ValidationError, one_of
from noxus_local.locale import t
from noxus_local.money import parse_usd

# USD amounts are decimal strings (money never travels as a float): up to 10 integer digits (far past any
# top-up, far below SQLite's 64-bit micro-USD), up to 6 decimals, no sign, exponent, spaces or leading zeros.
# The OpenAPI document publishes these same patterns, so the document and the server agree exactly.
USD_PATTERN = r"^(?:0|[1-9][0-9]{0,9})(?:\.[0-9]{1,6})?$"
POSITIVE_USD_PATTERN = (r"^(?:[1-9][0-9]{0,9}(?:\.[0-9]{1,6})?"
                        r"|0\.(?:[1-9][0-9]{0,5}|0[1-9][0-9]{0,4}|00[1-9][0-9]{0,3}|000[1-9][0-9]{0,2}"
                        r"|0000[1-9][0-9]?|00000[1-9]))$")
_USD = re.compile(USD_PATTERN)
_POSITIVE_USD = re.compile(POSITIVE_USD_PATTERN)
PERIODS = ("day", "week", "month", "total")
ENVIRONMENTS = ("test", "live")
ID_RE = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{0,63}")
_UNIX = re.compile(r"[0-9]{1,11}(?:\.[0-9]{1,6})?")


def bad(field: str, said: Text) -> ValidationError:
    """The 400 for one field: ``raise bad("tier", "desconocido", "unknown")``."""
    return ValidationError.fields({field: [said]})


def usd_amount(value: Any, field: str, *, positive: bool = True) -> int:
    """A USD amount as a decimal string (``"25"``, ``"0.002"``) → micro-USD; anything else is a 400 naming
    ``field``: numbers (``-1``, ``1e400``), ``"abc"``, ``"-1"``, ``"NaN"``, 7 decimals, and ``"0"`` when
    ``positive``."""
    pattern = _POSITIVE_USD if positive else _USD
    if not isinstance(value, str) or not pattern.fullmatch(value):
        if positive:
            raise bad(field, t("admin_inputs.usd_positive"))
        raise bad(field, t("admin_inputs.usd_at_least_zero"))
    return parse_usd(value)


def optional_usd(value: Any, field: str) -> int | None:
    """Like ``usd_amount`` but zero is allowed and ``None`` (or absent) means "no limit"."""
    return None if value is None else usd_amount(value, field, positive=False)


def choice(value: Any, field: str, allowed: tuple[str, ...]) -> str:
    if not isinstance(value, str) or value not in allowed:
        raise ValidationError.fields({field: [one_of(allowed)]})
    return value


def identifier(value: Any, field: str) -> str:
    """An account id or a key name: 1–64 of letters, digits, ``.``, ``_``, ``-``, starting with a letter or digit."""
    if not isinstance(value, str) or not ID_RE.fullmatch(value):
        raise bad(field, t("admin_inputs.identifier_shape"))
    return value


def text(value: Any, field: str, max_length: int = 200) -> str:
    if value is None:
        return ""
    if not isinstance(value, str) or len(value) > max_length or any(ord(c) < 32 for c in value):
        raise bad(field, t("admin_inputs.text_at_most_characters", max_length=max_length))
    return value


def moment(value: Any, field: str) -> float | None:
    """``since``/``until``: unix seconds or ISO 8601 (a date alone is its UTC midnight); None when absent
    (an empty string is not absent: ``?since=`` is a 400, as the document's format says)."""
    if value is None:
        return None
    if not isinstance(value, str):  # a JSON number is not a time here: the document says string
        raise bad(field, t("admin_inputs.moment_not_string"))
    raw = value
    if _UNIX.fullmatch(raw):
        return float(raw)
    try:
        if not raw.isascii() or len(raw) > 40:
            raise ValueError(raw)
        when = dt.datetime.fromisoformat(raw.upper().replace("Z", "+00:00"))
        return (when if when.tzinfo else when.replace(tzinfo=dt.UTC)).timestamp()
    except (ValueError, OverflowError, OSError):
        raise bad(field, t("common.iso_8601_or_unix_seconds")) from None


def iso(seconds: float | None) -> str | None:
    """Unix seconds → ``2026-12-06T17:49:01.123456Z`` (UTC, what a spreadsheet reads as a time)."""
    if seconds is None:
        return None
    # isoformat, not strftime: "%Y" gives "20", not "0020", for year 20 on glibc (not RFC 3339)
    return dt.datetime.fromtimestamp(seconds, dt.UTC).replace(tzinfo=None).isoformat(timespec="microseconds") + "Z"
