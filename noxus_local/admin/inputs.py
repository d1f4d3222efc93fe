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
from noxus_local.money import MICROS_PER_USD, parse_usd

MAX_USD = 1_000_000_000  # far past any real top-up, far below SQLite's 64-bit micro-USD
PERIODS = ("day", "week", "month", "total")
ENVIRONMENTS = ("test", "live")
ID_RE = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{0,63}")
_UNIX = re.compile(r"[0-9]{1,11}(?:\.[0-9]{1,6})?")


def bad(field: str, es: str, en: str) -> ValidationError:
    """The 400 for one field: ``raise bad("tier", "desconocido", "unknown")``."""
    return ValidationError.fields({field: [Text(es, en)]})


def usd_amount(value: Any, field: str, *, positive: bool = True) -> int:
    """A USD amount (decimal string or JSON number, ≤ 6 decimals) → micro-USD; booleans, negatives,
    NaN, infinities, over ``MAX_USD`` and (when ``positive``) zero are refused."""
    if isinstance(value, bool) or not isinstance(value, (str, int, float)):
        raise bad(field, "un importe en USD como texto decimal", "a USD amount as a decimal string")
    text = value if isinstance(value, str) else repr(value)
    try:
        if len(text) > 40:
            raise ValueError(text)
        micros = parse_usd(text)
    except ValueError:
        raise bad(field, "un importe en USD ≥ 0 con 6 decimales como máximo",
                  "a USD amount ≥ 0 with at most 6 decimals") from None
    if micros > MAX_USD * MICROS_PER_USD:
        raise bad(field, f"como máximo {MAX_USD} USD", f"at most {MAX_USD} USD")
    if positive and micros == 0:
        raise bad(field, "mayor que 0", "greater than 0")
    return micros


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
        raise bad(field, "1 a 64 letras, dígitos, '.', '_' o '-'", "1 to 64 letters, digits, '.', '_' or '-'")
    return value


def text(value: Any, field: str, max_length: int = 200) -> str:
    if value is None:
        return ""
    if not isinstance(value, str) or len(value) > max_length or any(ord(c) < 32 for c in value):
        raise bad(field, f"texto de {max_length} caracteres como máximo", f"text of at most {max_length} characters")
    return value


def moment(value: Any, field: str) -> float | None:
    """``since``/``until``: unix seconds or ISO 8601 (a date alone is its UTC midnight); None when absent."""
    if value is None or value == "":
        return None
    raw = str(value)
    if _UNIX.fullmatch(raw):
        return float(raw)
    try:
        if not raw.isascii() or len(raw) > 40:
            raise ValueError(raw)
        when = dt.datetime.fromisoformat(raw.upper().replace("Z", "+00:00"))
        return (when if when.tzinfo else when.replace(tzinfo=dt.UTC)).timestamp()
    except (ValueError, OverflowError, OSError):
        raise bad(field, "ISO 8601 o segundos unix", "ISO 8601 or unix seconds") from None


def iso(seconds: float | None) -> str | None:
    """Unix seconds → ``2026-12-06T17:49:01.123456Z`` (UTC, what a spreadsheet reads as a time)."""
    if seconds is None:
        return None
    return dt.datetime.fromtimestamp(seconds, dt.UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")
