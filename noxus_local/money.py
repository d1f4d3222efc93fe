"""USD amounts: integer micro-USD inside, decimal strings at the edges.

Floats never touch money: ``parse_usd("0.002") == 2000`` and
``format_usd(9_998_000) == "9.998"``.
"""

from __future__ import annotations

from decimal import Decimal, InvalidOperation

MICROS_PER_USD = 1_000_000


def parse_usd(text: str | int) -> int:
    """Decimal USD string → micro-USD; rejects more than 6 decimals and negatives."""
    try:
        value = Decimal(str(text).strip())
    except InvalidOperation:
        raise ValueError(f"not a USD amount: {text!r}") from None
    if not value.is_finite() or value < 0:
        raise ValueError(f"not a non-negative USD amount: {text!r}")
    micros = value * MICROS_PER_USD
    if micros != micros.to_integral_value():
        raise ValueError(f"more than 6 decimals: {text!r}")
    return int(micros)


def format_usd(micros: int) -> str:
    """micro-USD → shortest decimal string: 10_000_000 → "10", 2000 → "0.002"."""
    sign = "-" if micros < 0 else ""
    whole, frac = divmod(abs(micros), MICROS_PER_USD)
    if frac == 0:
        return f"{sign}{whole}"
    return f"{sign}{whole}.{frac:06d}".rstrip("0")
