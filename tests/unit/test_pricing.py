"""Prices per unit: the arithmetic, the config forms and their errors, the catalog's shape,
and settlement on a real SQLite file (charge = processed units, never above the hold)."""

from __future__ import annotations

import time
from pathlib import Path

import pytest

from noxus_local.accounts.keys import authenticate, create_key
from noxus_local.accounts.store import credit_account
from noxus_local.billing import ledger
from noxus_local.billing.charges import estimate, settlement
from noxus_local.billing.usage import units_by_tool
from noxus_local.config import load_config
from noxus_local.errors import ConfigError
from noxus_local.jobs import store as jobs
from noxus_local.jobs.view import units_block
from noxus_local.money import Price
from noxus_local.tools.base import Limits, Plan, Tool, ToolContext, ToolOutput
from noxus_local.tools.catalog import Catalog
from noxus_local.tools.image_convert import ImageConvertTool
from noxus_local.tools.qr import QrTool
from noxus_local.tools.wait import WaitTool


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "c.toml"
    path.write_text(text)
    return path


# --- arithmetic ---------------------------------------------------------------------------------


def test_per_second_cost_is_units_times_the_unit_price():
    assert Price("second", 100).cost(12.5) == 1250


def test_per_minute_counts_measured_seconds_in_minutes():
    per_minute = Price("minute", 10_000)
    assert per_minute.cost(90) == 15_000
    assert per_minute.units(90) == 1.5


def test_a_fraction_of_a_micro_usd_rounds_up():
    assert Price("minute", 10_000).cost(7) == 1167  # 7/60 min × 10,000 = 1,166.67
    assert Price("1k_chars", 1).cost(1) == 1  # a thousandth of a micro-USD is still one


def test_the_measured_quantity_is_read_as_its_decimal_not_its_binary_float():
    # 0.3 × 10 is 3.0000000000000004 in float arithmetic, which would round up to 4
    assert Price("second", 10).cost(0.3) == 3


def test_zero_units_cost_the_minimum_or_nothing():
    assert Price("second", 100).cost(0) == 0
    assert Price("second", 100, minimum_micros=1000).cost(0) == 1000


def test_the_minimum_applies_below_it_only():
    price = Price("second", 100, minimum_micros=1000)
    assert (price.cost(3), price.cost(25)) == (1000, 2500)


def test_a_fixed_price_ignores_the_quantity():
    assert Price(None, 2000).cost(0) == Price(None, 2000).cost(99) == 2000


@pytest.mark.parametrize("bad", [-1.0, float("nan"), float("inf")])
def test_a_negative_or_non_finite_quantity_is_refused(bad):
    with pytest.raises(ValueError):
        Price("second", 100).cost(bad)


# --- config forms and errors --------------------------------------------------------------------


def test_a_plain_string_is_still_a_fixed_price(tmp_path):
    cfg = load_config(write(tmp_path, '[prices]\nqr = "0.003"\n'), {})
    assert cfg.price("qr") == Price(None, 3000)


def test_inline_and_table_forms_give_per_unit_prices(tmp_path):
    cfg = load_config(write(tmp_path, '''
[prices]
wait = { unit = "minute", unit_usd = "0.01", minimum_usd = "0.01" }
[prices."image-convert"]
unit = "image"
unit_usd = "0.003"
[prices.qr]
price_usd = "0.004"
'''), {})
    assert cfg.price("wait") == Price("minute", 10_000, 10_000)
    assert cfg.price("image-convert") == Price("image", 3000, 0)
    assert cfg.price("qr") == Price(None, 4000)


def test_defaults_price_every_tool_including_diagnostics():
    """Each tool's default price lives on its class (issue 18 item 2); config's [prices] only overrides."""
    cfg = load_config(None, {})
    assert cfg.prices == {}
    catalog = Catalog.default(diagnostics=True)
    cfg.prices = catalog.priced(cfg.prices)  # raises when one is missing
    assert cfg.price("wait") == Price("second", 100, 1000)
    assert set(catalog.default_prices()) == {"qr", "image-convert", "wait", "pipeline", "auto-subtitles",
                                             "image-analyze", "image-analyze-batch", "text-to-speech",
                                             "video-analyze", "chat", "script-to-video", "auto-clip",
                                             "video-ad", "image-generate", "product-photoshoot",
                                             "dub-video", "instant-ad", "ai-video-generate"}
    assert cfg.price("ai-video-generate") == Price("second", 50_000, 50_000)
    assert cfg.price("script-to-video") == Price("second", 2000, 10_000)
    assert cfg.price("video-analyze") == Price("second", 200, 1000)
    assert cfg.price("text-to-speech") == Price("1k_chars", 15000, 1000)
    assert cfg.price("chat") == Price("1k_tokens", 200, 0, 600)
    assert cfg.price("dub-video") == Price("minute", 150_000, 10_000)


def test_a_token_price_has_two_rates_and_rounds_up_once():
    price = Price("1k_tokens", 200, 0, 600)
    assert price.token_cost(1500, 10) == 306  # (1500 × 200 + 10 × 600) / 1000
    assert price.token_cost(1, 1) == 1  # 0.8 micro-USD rounds up to 1
    assert price.token_cost(0, 0) == 0
    assert Price("1k_tokens", 200, 50, 600).token_cost(1, 0) == 50  # the minimum
    assert price.catalog() == {"type": "dynamic", "unit": "1k_tokens", "unit_usd": "0.0002",
                               "input_unit_usd": "0.0002", "output_unit_usd": "0.0006", "starting_usd": "0.0002"}


def test_a_token_price_in_config_needs_its_output_rate(tmp_path):
    cfg = load_config(write(tmp_path, '[prices]\nchat = { unit = "1k_tokens", unit_usd = "0.001", '
                                      'output_unit_usd = "0.002" }\n'), {})
    assert cfg.price("chat") == Price("1k_tokens", 1000, 0, 2000)
    for toml in ('chat = { unit = "1k_tokens", unit_usd = "0.001" }',
                 'wait = { unit = "second", unit_usd = "0.001", output_unit_usd = "0.002" }'):
        with pytest.raises(ConfigError, match=r"output_unit_usd: required with unit = \"1k_tokens\""):
            load_config(write(tmp_path, f"[prices]\n{toml}\n"), {})


def test_a_slug_without_a_price_is_a_config_error_never_free():
    cfg = load_config(None, {})
    with pytest.raises(ConfigError, match=r"prices\.not-a-tool: no price"):
        cfg.price("not-a-tool")


def test_config_prices_override_a_tools_default(tmp_path):
    cfg = load_config(write(tmp_path, '[prices]\nqr = "0.003"\n'), {})
    prices = Catalog.default().priced(cfg.prices)
    assert prices["qr"] == Price(None, 3000)
    assert prices["image-convert"] == Price(None, 2000)  # ImageConvertTool.default_price


def test_a_catalog_tool_without_a_price_is_named():
    prices = Catalog.default(diagnostics=True).default_prices()
    del prices["wait"]
    with pytest.raises(ConfigError, match=r"^prices\.wait: required"):
        Catalog.default(diagnostics=True).check_prices(prices)


@pytest.mark.parametrize(("toml", "message"), [
    ('wait = { unit = "hour", unit_usd = "1" }', r"prices\.wait\.unit: expected one of second, minute"),
    ('wait = { unit = "second", unit_usd = "-0.01" }', r"prices\.wait\.unit_usd: not a non-negative"),
    ('wait = { unit = "second", unit_usd = "0.01", minimum_usd = "-1" }', r"prices\.wait\.minimum_usd"),
    ('wait = { unit = "second" }', r"prices\.wait\.unit_usd: required with unit"),
    ('wait = { unit = "second", unit_usd = "0.01", price_usd = "1" }', r"prices\.wait\.unit_usd"),
    ('wait = { unit_usd = "0.01" }', r"prices\.wait: a fixed price needs price_usd"),
    ('wait = { unit = "second", unit_usd = 0.01 }', r"prices\.wait\.unit_usd: expected a string"),
    ('wait = { unit = "second", per = "0.01" }', r"unknown config key: prices\.wait\.per"),
    ('qr = "-0.002"', r"prices\.qr: not a non-negative"),
    ('qr = "0.0000001"', r"prices\.qr: more than 6 decimals"),
    ("qr = true", r"prices\.qr: expected a USD amount"),
])
def test_bad_prices_are_named(tmp_path, toml, message):
    with pytest.raises(ConfigError, match=message):
        load_config(write(tmp_path, f"[prices]\n{toml}\n"), {})


def test_a_unit_the_tool_does_not_measure_is_refused(tmp_path):
    cfg = load_config(write(tmp_path, '[prices]\nqr = { unit = "minute", unit_usd = "0.01" }\n'), {})
    with pytest.raises(ConfigError, match=r"prices\.qr\.unit: qr cannot be priced per minute "
                                          r"\(it measures characters\)"):
        Catalog.default().check_prices(cfg.prices)


def test_a_fixed_only_tool_cannot_take_a_unit():
    class Stamp(Tool):
        slug, title, description = "stamp", "Stamp", "A fixed-price tool."

        def run(self, ctx: ToolContext, plan: Plan) -> ToolOutput:
            return ToolOutput(b"", "x", "text/plain")

    with pytest.raises(ConfigError, match=r"stamp cannot be priced per image \(give it a fixed price\)"):
        Catalog([Stamp()]).check_prices({"stamp": Price("image", 1)})
    Catalog([Stamp()]).check_prices({"stamp": Price(None, 1)})


def test_an_alias_is_not_a_price_key():
    prices = {**Catalog.default().default_prices(), "crear-qr": Price(None, 1)}
    with pytest.raises(ConfigError, match=r"prices\.crear-qr: an alias of qr"):
        Catalog.default().check_prices(prices)


# --- estimates and the catalog ------------------------------------------------------------------


def planned(tool, params, files=None):
    return tool.plan(tool.typed(params), files or {}, Limits())


def test_estimates_come_from_the_plan_of_the_validated_input():
    wait, qr, convert = WaitTool(), QrTool(), ImageConvertTool()
    params = wait.validate({"seconds": "12.5"}, {}, Limits())
    assert estimate(wait, Price("second", 100), params, planned(wait, params)) == (1250, 12.5)
    assert estimate(wait, Price("minute", 6000), params, planned(wait, params)) == (1250, 12.5 / 60)
    text = qr.validate({"text": "x" * 1500}, {}, Limits())
    assert estimate(qr, Price("1k_chars", 700), text, planned(qr, text)) == (1050, 1.5)
    assert estimate(convert, Price("image", 3000), {}, Plan(units=1.0)) == (3000, 1.0)
    assert estimate(qr, Price(None, 2000), text, planned(qr, text)) == (2000, None)


def test_catalog_pricing_shapes():
    assert QrTool().describe(Price(None, 2000))["pricing"] == {"type": "fixed", "price_usd": "0.002"}
    assert WaitTool().describe(Price("second", 100, 1000))["pricing"] == {
        "type": "dynamic", "unit": "second", "unit_usd": "0.0001", "starting_usd": "0.001"}
    assert WaitTool().describe(Price("minute", 10_000, 5000))["pricing"]["starting_usd"] == "0.01"


# --- settlement on a real store -----------------------------------------------------------------


@pytest.fixture
def principal(db):
    plain, _ = create_key(db, account_id="acme", name="t", environment="test")
    credit_account(db, "acme", "test", 10_000)
    return authenticate(db, plain)


def submit(db, principal, price: Price, quantity: float) -> str:
    job_id = f"job_{time.monotonic_ns()}"
    hold, units = estimate(WaitTool(), price, {"seconds": quantity}, Plan(units=quantity))
    new = jobs.NewJob(id=job_id, principal=principal, tool="wait", params={"seconds": quantity}, files=[],
                      limits=Limits().__dict__, estimate_micros=hold, request_id="req_x",
                      price=price, estimated_units=units)
    assert jobs.submit(db, new, load_config(None, {}).tiers["enterprise"], 24) is None
    return job_id


def settle(db, job_id: str, processed: float | None, status: str = "succeeded") -> dict:
    row = jobs.get(db, job_id)
    charge, units = settlement(row, ToolOutput(b"", "w.json", "application/json", units=processed))
    assert jobs.finish(db, job_id, status=status, charge_micros=charge, units=units)
    return dict(jobs.get(db, job_id))


def ledger_rows(db, job_id: str) -> list[tuple[str, int, int]]:
    return [tuple(r) for r in db.all("SELECT kind, amount_micros, balance_after_micros FROM ledger"
                                     " WHERE job_id = ? ORDER BY id", (job_id,))]


def test_fewer_units_processed_charge_less_and_release_the_rest(db, principal):
    job_id = submit(db, principal, Price("second", 123), 3.5)  # hold ceil(430.5) = 431
    row = settle(db, job_id, processed=1.25)  # ceil(153.75) = 154
    assert (row["hold_micros"], row["charged_micros"], row["units"]) == (431, 154, 1.25)
    assert ledger_rows(db, job_id) == [("hold", 431, 10_000), ("charge", 154, 9846), ("release", 277, 9846)]
    assert units_block(jobs.get(db, job_id)) == {"unit": "second", "estimated_units": 3.5, "units": 1.25}


def test_a_charge_never_exceeds_the_hold(db, principal):
    job_id = submit(db, principal, Price("second", 100), 2.0)
    row = settle(db, job_id, processed=50.0)
    assert (row["charged_micros"], row["units"]) == (200, 2.0)
    assert ledger_rows(db, job_id) == [("hold", 200, 10_000), ("charge", 200, 9800)]


def test_no_reported_units_charge_the_estimate(db, principal):
    row = settle(db, submit(db, principal, Price("minute", 600), 30.0), processed=None)
    assert (row["charged_micros"], row["estimated_units"], row["units"]) == (300, 0.5, 0.5)


def test_zero_units_processed_charge_the_minimum(db, principal):
    row = settle(db, submit(db, principal, Price("second", 100, 500), 10.0), processed=0.0)
    assert (row["hold_micros"], row["charged_micros"], row["units"]) == (1000, 500, 0.0)


def test_failed_jobs_charge_nothing_and_record_zero_units(db, principal):
    job_id = submit(db, principal, Price("second", 100), 4.0)
    row = settle(db, job_id, processed=2.0, status="failed")
    assert (row["charged_micros"], row["units"]) == (0, 0.0)
    assert ledger.read_balance(db.conn(), "acme", "test").balance_micros == 10_000
    assert ledger_rows(db, job_id) == [("hold", 400, 10_000), ("release", 400, 10_000)]


def test_the_price_is_the_one_the_job_was_submitted_under(db, principal):
    job_id = submit(db, principal, Price("second", 100), 4.0)
    assert jobs.job_price(jobs.get(db, job_id)) == Price("second", 100, 0)


def test_usage_sums_charged_units_per_tool_and_unit(db, principal):
    settle(db, submit(db, principal, Price("second", 1), 3.0), processed=1.5)
    settle(db, submit(db, principal, Price("second", 1), 2.0), processed=None)
    settle(db, submit(db, principal, Price("second", 1), 9.0), processed=9.0, status="cancelled")
    settle(db, submit(db, principal, Price("minute", 60), 30.0), processed=None)
    assert units_by_tool(db, "acme", "test", since=0) == {"wait": {"minute": 0.5, "second": 3.5}}


def test_doctor_fails_its_config_check_on_a_price_serve_would_refuse(tmp_path, capsys):
    from noxus_local.cli.main import main

    path = write(tmp_path, f'[server]\ndata_dir = "{tmp_path / "data"}"\n'
                           '[prices]\nqr = { unit = "scene", unit_usd = "0.01" }\n')
    assert main(["doctor", "--config", str(path)]) == 1
    assert capsys.readouterr().out.startswith("FAIL config: prices.qr.unit: qr cannot be priced per scene")
