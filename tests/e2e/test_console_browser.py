"""The /admin console in a real browser: headless Chromium (the system's, as for the API docs test)
driven through Playwright, every host but 127.0.0.1 unresolvable so a page that needed a CDN would break.

The operator signs in, creates a key and reads it once, sets a budget, runs two jobs with that key
through the API until the cap refuses the third (402 key_budget_exceeded), then finds them in the live list (filled
by the console's own script under its CSP) and their spend in the per-tool chart. Screenshots at 1280
and 360 px are kept under ``$NOXUS_TEST_ARTIFACTS`` (else the test's tmp dir), named in the output.
"""

from __future__ import annotations

import os
import re
import shutil
import sqlite3
from collections.abc import Iterator
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

from noxus_local.console.data import AUDIT_TABLES
from tests.e2e.conftest import Server

TOKEN = "console-browser-token-0123456789"
CONFIG = f"""
[server]
locale = "en"
[admin]
token = "{TOKEN}"
"""
NO_CDN = "MAP * ~NOTFOUND, EXCLUDE 127.0.0.1"


def chromium() -> str:
    found = shutil.which("chromium") or shutil.which("chromium-browser")
    assert found, "chromium is not installed: `make setup` installs it (apt-get install chromium)"
    return found


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    srv = Server(tmp_path_factory.mktemp("console") / "data", CONFIG).start()
    yield srv
    srv.stop()


@pytest.fixture(scope="module")
def artifacts(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = os.environ.get("NOXUS_TEST_ARTIFACTS")
    folder = Path(root) / "console" if root else tmp_path_factory.mktemp("console-artifacts")
    folder.mkdir(parents=True, exist_ok=True)
    return folder


@pytest.fixture
def browser() -> Iterator[Any]:
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        launched = p.chromium.launch(executable_path=chromium(), args=[
            "--no-sandbox", "--disable-gpu", "--disable-quic", "--disable-background-networking",
            "--disable-component-update", "--disable-sync", f"--host-resolver-rules={NO_CDN}"])
        try:
            yield launched
        finally:
            launched.close()


def sign_in(page: Any, server: Server) -> None:
    page.goto(f"{server.base}/admin")
    assert page.url.endswith("/admin/login")
    page.fill("#token", TOKEN)
    page.click("#login")
    page.wait_for_url(f"{server.base}/admin")


def test_operator_signs_in_creates_a_key_runs_jobs_and_sees_them(server: Server, browser: Any,
                                                                  artifacts: Path) -> None:
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    page = context.new_page()
    refused: list[str] = []  # anything the CSP blocked, or a request that failed (a CDN, a missing asset)
    page.on("console", lambda m: refused.append(m.text) if "Content Security Policy" in m.text else None)
    page.on("requestfailed", lambda r: refused.append(f"failed: {r.url}"))

    sign_in(page, server)
    assert page.inner_text("h1") == "Overview"
    cookie = next(c for c in context.cookies() if c["name"] == "noxus_console")
    assert cookie["httpOnly"] and cookie["sameSite"] == "Strict" and TOKEN not in cookie["value"]

    # a key: shown once, then never again
    page.click("nav >> text=Keys")
    assert page.inner_text("h1") == "Keys"
    page.fill("#create-key input[name=name]", "browser-test")
    page.select_option("#create-key select[name=account_id]", "default")
    page.click("#create-key button")
    key = page.inner_text("#new-key").strip()
    assert re.fullmatch(r"noxus_test_[A-Za-z0-9_-]{40,}", key)
    page.reload()
    assert key not in page.content() and page.locator("#new-key").count() == 0

    # its budget, enforced by billing/budgets.py
    card = page.locator("section.key", has_text="browser-test")
    card.locator("input[name=max_spend_usd]").fill("0.004")  # two qr runs at the default 0.002 each
    card.locator("select[name=period]").select_option("day")
    card.locator("form.budget button").click()
    assert "Budget saved." in page.inner_text("main")

    # two jobs with that key through the API
    charged, job_ids = Decimal(0), []
    for n in range(2):
        r = server.post("/api/v1/tools/qr", key=key, json={"text": f"console {n}", "output_format": "png"})
        assert r.status_code == 200, r.text
        charged += Decimal(r.json()["billing"]["charged_usd"])
        job_ids.append(r.json()["job_id"])
    assert charged > 0
    # the cap refuses the third, charged 0
    r = server.post("/api/v1/tools/qr", key=key, json={"text": "over the cap", "output_format": "png"})
    assert (r.status_code, r.json()["error_code"]) == (402, "key_budget_exceeded"), r.text

    # the live list (console.js polling /admin/jobs.json) shows both
    page.click("nav >> text=Jobs")
    assert page.inner_text("h1") == "Live jobs"
    page.wait_for_function("document.getElementById('jobs').dataset.updated")
    for job_id in job_ids:
        row = page.locator(f"#jobs tr[data-job='{job_id}']")
        assert row.locator("td.status").inner_text() == "succeeded"
        assert row.locator("progress").get_attribute("value") == "100"
    page.screenshot(path=str(artifacts / "jobs-1280.png"), full_page=True)

    # the spend: the per-tool chart's qr bar and today's total
    page.click("nav >> text=Overview")
    bar = page.locator("#chart-tool rect[data-tool='qr']")
    assert Decimal(bar.get_attribute("data-usd")) == charged
    assert page.inner_text("#spent-today") == f"{charged.normalize():f} USD"
    assert page.locator("#chart-day rect.bar").count() == 30
    assert page.inner_text("#spent-30d") == f"{charged.normalize():f} USD"
    qr_row = page.locator("#tool-table tr", has_text="qr")
    assert qr_row.locator("td.num").first.inner_text() == f"{charged.normalize():f}"
    page.screenshot(path=str(artifacts / "overview-1280.png"), full_page=True)

    # the other pages: worker threads alive, the audit log (or its absence said), models listed
    page.click("nav >> text=Workers")
    assert page.inner_text("h1") == "Workers" and "yes" in page.inner_text("main table")
    page.click("nav >> text=Audit log")
    with sqlite3.connect(f"file:{server.data_dir / 'noxus.db'}?mode=ro", uri=True) as db:
        tables = {row[0] for row in db.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
    has_audit = bool(tables & set(AUDIT_TABLES))
    assert page.locator("#audit-unavailable").count() == (0 if has_audit else 1)
    page.click("nav >> text=Models")
    assert "whisper" in page.inner_text("main table")

    # 360 px wide: nothing wider than the screen, and the screenshot kept
    page.set_viewport_size({"width": 360, "height": 780})
    for path in ("/admin", "/admin/jobs", "/admin/keys"):
        page.goto(f"{server.base}{path}")
        width = page.evaluate("document.documentElement.scrollWidth")
        assert width <= 360, (path, width)
        name = path.strip("/").replace("/", "-")
        page.screenshot(path=str(artifacts / f"{name}-360.png"), full_page=True)
    assert refused == []
    print(f"console screenshots: {artifacts}")
    for shot in ("overview-1280.png", "jobs-1280.png", "admin-360.png", "admin-jobs-360.png", "admin-keys-360.png"):
        assert (artifacts / shot).stat().st_size > 5000, shot
    context.close()


def test_security_headers_and_csrf_refusal_seen_by_the_browser(server: Server, browser: Any) -> None:
    context = browser.new_context()
    page = context.new_page()
    sign_in(page, server)
    answer = page.goto(f"{server.base}/admin/keys")
    headers = answer.all_headers()
    csp = headers["content-security-policy"]
    assert "script-src 'self'" in csp and "frame-ancestors 'none'" in csp and "unsafe-inline" not in csp
    assert headers["referrer-policy"] == "no-referrer" and headers["x-frame-options"] == "DENY"
    assert "<script>" not in page.content()  # no inline script for the CSP to allow
    # the session cookie alone does not make a form post: without the CSRF field → 403
    refused = context.request.post(f"{server.base}/admin/keys",
                                   form={"account_id": "default", "name": "forged", "environment": "test"})
    assert refused.status == 403
    page.goto(f"{server.base}/admin/keys")
    assert "forged" not in page.inner_text("main")
    # signing out ends the session: the old cookie opens nothing
    page.click(".logout button")
    page.wait_for_url(f"{server.base}/admin/login")
    assert context.request.get(f"{server.base}/admin/jobs.json").status == 401
    context.close()
