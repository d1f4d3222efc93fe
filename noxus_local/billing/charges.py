"""What a job holds and what it is charged: the two rules of a price, in one place.

The hold is the estimate from the validated input (``estimate``, before any
money moves); the charge is what the tool processed (``settlement``, after it
succeeded), rounded up to the micro-USD by ``money.Price`` and capped at the
hold by ``core.jobs.finish``. Failed and cancelled jobs are charged 0 there.

Example::

    estimate(WaitTool(), Price("second", 100), {"seconds": 12.5}, Plan(units=12.5))   # (1250, 12.5)
    settlement(row, ToolOutput(b"", "w.json", "application/json", units=3.0))  # (300, 3.0)
"""

from __future__ import annotations

import sqlite3
from typing import Any, Protocol, runtime_checkable

from noxus_local.errors import ConfigError
from noxus_local.jobs.store import job_price
from noxus_local.money import Price
from noxus_local.tools.base import Plan, Tool, ToolOutput


@runtime_checkable
class TokenMeasured(Protocol):
    """A tool priced per 1,000 tokens (``measures = "tokens"``, tools/chat.py): it says how many it may use."""

    def token_estimate(self, params: dict[str, Any], plan: Plan) -> tuple[int, int]:
        """(prompt tokens, most tokens generated) the hold covers; the prompt was counted by the plan."""
        ...


def estimate(tool: Tool, price: Price, params: dict[str, Any], plan: Plan) -> tuple[int, float | None]:
    """(hold in micro-USD, units in the price's unit) from the validated input and its plan.

    A fixed price holds itself; a per-unit one holds what the plan says the run
    will process (``Plan.units``: a probed duration, a text length), so the
    price reads the probe the plan made and nothing is probed again. Example:
    wait ``{"seconds": 12.5}`` at 0.0001 USD/s → (1250, 12.5).
    """
    if price.unit is None:
        return price.cost(0), None
    if price.output_unit_micros is not None:  # 1k_tokens: the prompt's tokens and all max_tokens may cost
        if not isinstance(tool, TokenMeasured):  # config refuses this pairing at start-up (Catalog.priced)
            raise ConfigError(f"prices.{tool.slug}: a 1k_tokens price needs a tool that measures tokens")
        prompt, completion = tool.token_estimate(params, plan)
        return price.token_cost(prompt, completion), None
    quantity = plan.units if plan.units is not None else 1.0
    return price.cost(quantity), float(price.units(quantity))


def settlement(row: sqlite3.Row, out: ToolOutput) -> tuple[int, float | None]:
    """(charge in micro-USD, units in the price's unit) for a job that succeeded.

    A per-unit job is charged what the tool says it processed (``out.units``,
    in what it measures) under the price it was submitted with, or its
    estimate when the tool says nothing. Example: 5 s held at 100 µUSD/s
    (hold 500), 3 s processed → (300, 3.0); 12 s processed → (1200, 12.0),
    which ``jobs.finish`` caps to the 500 held.
    """
    price = job_price(row)
    if price is None:
        return (row["hold_micros"] if out.actual_micros is None else out.actual_micros), None
    if out.units is None:
        return row["hold_micros"], row["estimated_units"]
    return price.cost(out.units), float(price.units(out.units))
