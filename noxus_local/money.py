"""USD amounts: integer micro-USD inside, decimal strings at the edges.

Floats never touch money: ``parse_usd("0.002") == 2000`` and
``format_usd(9_998_000) == "9.998"``. ``Price`` turns what a tool measured
(seconds, images, characters, scenes) into micro-USD, rounded up.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from fractions import Fraction

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


# A price unit → (the quantity a tool measures, how much of it makes one unit).
# A tool measures seconds, images, characters or scenes; the price says how to
# count them: "minute" is 60 measured seconds, "1k_chars" 1,000 characters.
UNITS: dict[str, tuple[str, int]] = {
    "second": ("seconds", 1), "minute": ("seconds", 60), "image": ("images", 1),
    "1k_chars": ("characters", 1000), "scene": ("scenes", 1), "1k_tokens": ("tokens", 1000),
}


@dataclass(frozen=True)
class Price:
    """A tool's price: fixed per run (``unit is None``) or per unit with a minimum.

    Rounding rule: a per-unit cost is ``ceil(units × unit price)`` to the next
    whole micro-USD, computed exactly (no float arithmetic on money), and never
    less than the minimum. The quantity a tool measured is read as the decimal
    it prints as (``12.3`` is 12.3, not the nearest binary float).

    Example::

        per_minute = Price(unit="minute", unit_micros=10_000, minimum_micros=10_000)
        per_minute.cost(90)          # 90 s = 1.5 min → 15_000
        per_minute.cost(1)           # 1/60 min → 167, raised to the minimum → 10_000
        Price(None, 2000).cost(0)    # fixed: 2000 whatever was processed
    """

    unit: str | None
    unit_micros: int
    minimum_micros: int = 0
    # "1k_tokens" only: the price of 1,000 output tokens (``unit_micros`` is the input tokens')
    output_unit_micros: int | None = None

    @property
    def measures(self) -> str | None:
        """What a tool must measure for this price: seconds, images, characters, scenes."""
        return UNITS[self.unit][0] if self.unit else None

    def units(self, quantity: float) -> Fraction:
        """A measured quantity (e.g. 90 seconds) in this price's units (1.5 minutes)."""
        if quantity < 0 or not math.isfinite(quantity):
            raise ValueError(f"a measured quantity must be finite and >= 0, got {quantity!r}")
        per_unit = UNITS[self.unit][1] if self.unit else 1
        return Fraction(Decimal(repr(float(quantity)))) / per_unit

    def cost(self, quantity: float) -> int:
        """micro-USD for a measured quantity, rounded up; a fixed price ignores it."""
        if self.unit is None:
            return self.unit_micros
        return max(self.minimum_micros, math.ceil(self.units(quantity) * self.unit_micros))

    def token_cost(self, input_tokens: int, output_tokens: int) -> int:
        """micro-USD for a chat's tokens at the two rates of a ``1k_tokens`` price, rounded up once.

        Integers only: ``Price("1k_tokens", 200, 0, 600).token_cost(1500, 10)`` is
        ceil((1500 × 200 + 10 × 600) / 1000) = 306.
        """
        if input_tokens < 0 or output_tokens < 0:
            raise ValueError("token counts must be >= 0")
        total = input_tokens * self.unit_micros + output_tokens * (self.output_unit_micros or 0)
        return max(self.minimum_micros, -(-total // 1000))

    def catalog(self) -> dict[str, str]:
        """The catalog's ``pricing`` block; ``starting_usd`` is one unit, or the minimum if higher."""
        if self.unit is None:
            return {"type": "fixed", "price_usd": format_usd(self.unit_micros)}
        if self.output_unit_micros is not None:
            return {"type": "dynamic", "unit": self.unit, "unit_usd": format_usd(self.unit_micros),
                    "input_unit_usd": format_usd(self.unit_micros),
                    "output_unit_usd": format_usd(self.output_unit_micros),
                    "starting_usd": format_usd(max(self.unit_micros, self.minimum_micros))}
        return {"type": "dynamic", "unit": self.unit, "unit_usd": format_usd(self.unit_micros),
                "starting_usd": format_usd(max(self.unit_micros, self.minimum_micros))}
