"""The /admin console's refusals and forms, in-process over a real SQLite store (issue 25 items 5 and 6).

The real browser run is tests/e2e/test_console_browser.py; here every bad input gets its status:
no token configured (503), a wrong token (401), a sixth try in a minute (429), a token in the URL (400),
a form without its CSRF field (403), bad amounts (400), unknown targets (404), budgets saved through billing/budgets.py.
"""

from __future__ import annotations

import re
import time
from collections.abc import Iterator
from typing import Any

import pytest
from litestar.testing import TestClient

from noxus_local.accounts.keys import authenticate
from noxus_local.app import create_app
from noxus_local.billing import budgets, ledger
from noxus_local.config import load_config
from noxus_local.console import charts, data
from noxus_local.console.messages import EN, ES, words
from noxus_local.console.sessions import ConsoleState, LoginLimiter
from noxus_local.errors import RevokedApiKey
from noxus_local.node.services import prepare

TOKEN = "unit-console-token-0123456789"
CSRF = re.compile(r'name="csrf" value="([^"]+)"')


def make_client(tmp_path: Any, locale: str = "en", token: str = TOKEN,
                base_url: str = "http://testserver.local") -> tuple[TestClient[Any], str | None]:
    env = {"NOXUS_DATA_DIR": str(tmp_path), "NOXUS_ADMIN_TOKEN": token, "NOXUS_LOCALE": locale}
    cfg = load_config(None, env)
    cfg.server.locale = locale
    key = prepare(cfg)
    return TestClient(create_app(cfg, start_workers=False), base_url=base_url), key


@pytest.fixture
def client(tmp_path: Any) -> Iterator[TestClient[Any]]:
    test_client, _ = make_client(tmp_path)
    with test_client as c:
        yield c


def sign_in(client: TestClient[Any], token: str = TOKEN) -> Any:
    form = CSRF.search(client.get("/admin/login").text)
    assert form
    return client.post("/admin/login", data={"token": token, "csrf": form.group(1)}, follow_redirects=False)


def csrf_of(client: TestClient[Any], page: str = "/admin/keys") -> str:
    found = CSRF.search(client.get(page).text)
    assert found
    return found.group(1)


def test_pages_need_a_session_and_the_session_cookie_is_not_the_token(client: TestClient[Any]) -> None:
    for path in ("/admin", "/admin/keys", "/admin/jobs", "/admin/accounts", "/admin/workers", "/admin/audit"):
        r = client.get(path, follow_redirects=False)
        assert (r.status_code, r.headers["location"]) == (303, "/admin/login"), path
    assert client.get("/admin/jobs.json").status_code == 401
    r = sign_in(client)
    assert (r.status_code, r.headers["location"]) == (303, "/admin")
    cookie = next(c for c in r.headers.get_list("set-cookie") if c.startswith("noxus_console="))
    assert "HttpOnly" in cookie and "SameSite=strict" in cookie and "Path=/admin" in cookie
    assert "Secure" not in cookie and TOKEN not in cookie
    r = client.get("/admin")
    assert r.status_code == 200 and "<h1>Overview</h1>" in r.text
    assert client.get("/admin/jobs.json").json()["jobs"] == []


def test_the_cookie_is_secure_over_https(tmp_path: Any) -> None:
    test_client, _ = make_client(tmp_path, base_url="https://testserver.local")
    with test_client as c:
        cookie = next(v for v in sign_in(c).headers.get_list("set-cookie") if v.startswith("noxus_console="))
    assert "Secure" in cookie


def test_no_token_configured_means_the_console_is_off(tmp_path: Any) -> None:
    test_client, _ = make_client(tmp_path, token="")
    with test_client as c:
        assert c.get("/admin/login").status_code == 503
        assert c.post("/admin/login", data={"token": "", "csrf": "x"}).status_code == 503
        assert c.get("/admin", follow_redirects=False).status_code == 303  # and the login page says it is off


def test_wrong_token_missing_csrf_and_the_sign_in_rate_limit(client: TestClient[Any]) -> None:
    r = sign_in(client, token="not-the-token-at-all-000")
    assert r.status_code == 401 and "That token is not the admin token." in r.text
    assert not any(c.startswith("noxus_console=") for c in r.headers.get_list("set-cookie"))
    assert client.post("/admin/login", data={"token": TOKEN}).status_code == 403  # no CSRF field
    for _ in range(3):  # 5 tries in all this minute, the last with the right token still refused
        sign_in(client, token="wrong-wrong-wrong-wrong")
    r = client.post("/admin/login", data={"token": TOKEN, "csrf": "x"})
    assert r.status_code == 429 and 1 <= int(r.headers["retry-after"]) <= 60
    assert "Too many sign-in attempts" in r.text


def test_the_limiter_window_slides() -> None:
    limiter = LoginLimiter(tries=2, window=60)
    assert limiter.allow("a", now=0) and limiter.allow("a", now=1)
    assert not limiter.allow("a", now=30) and limiter.allow("b", now=30)
    assert limiter.retry_after("a", now=30) == 30
    assert limiter.allow("a", now=60.5)


def test_sessions_expire_when_idle_and_end_at_sign_out(client: TestClient[Any]) -> None:
    state = ConsoleState(session_seconds=0.05)
    session = state.open()
    assert state.find(session.id) is session
    time.sleep(0.1)
    assert state.find(session.id) is None and state.find("made-up") is None
    sign_in(client)
    assert client.post("/admin/logout", data={}).status_code == 403  # the sign-out form has CSRF too
    r = client.post("/admin/logout", data={"csrf": csrf_of(client, "/admin")}, follow_redirects=False)
    assert (r.status_code, r.headers["location"]) == (303, "/admin/login")
    assert client.get("/admin/jobs.json").status_code == 401


def test_a_token_in_the_query_string_is_refused(client: TestClient[Any]) -> None:
    for path in (f"/admin?token={TOKEN}", "/admin/login?admin_token=x", "/admin/jobs.json?access_token=y"):
        r = client.get(path)
        assert r.status_code == 400 and "Never put the admin token in a URL" in r.text, path


def test_security_headers_on_pages_refusals_and_assets(client: TestClient[Any]) -> None:
    sign_in(client)
    for path in ("/admin", "/admin/login", "/admin?token=x", "/admin/static/console.js", "/admin/static/console.css"):
        r = client.get(path)
        csp = r.headers["content-security-policy"]
        assert "script-src 'self'" in csp and "frame-ancestors 'none'" in csp and "unsafe-inline" not in csp, path
        assert r.headers["referrer-policy"] == "no-referrer" and r.headers["x-frame-options"] == "DENY", path
    page = client.get("/admin").text
    assert "<script" in page and not re.search(r"<script(?![^>]*\bsrc=)", page)  # only scripts by src
    assert not re.search(r"\son[a-z]+=", page)  # no inline event handlers either
    assert all(a.startswith("/admin/static/") for a in re.findall(r'(?:src|href)="([^"]+\.(?:js|css))"', page))


def test_key_created_once_revoked_and_refused_by_the_api(client: TestClient[Any]) -> None:
    sign_in(client)
    csrf = csrf_of(client)
    form = {"account_id": "default", "name": "ops", "environment": "test"}
    assert client.post("/admin/keys", data=form).status_code == 403
    r = client.post("/admin/keys", data={**form, "csrf": csrf})
    plain = re.search(r'id="new-key" class="mono">([^<]+)<', r.text)
    assert r.status_code == 200 and plain
    assert plain.group(1) not in client.get("/admin/keys").text  # shown once
    services = client.app.state["services"]
    principal = authenticate(services.db, plain.group(1))
    assert principal.account_id == "default"
    assert client.post("/admin/keys", data={**form, "csrf": csrf, "account_id": "nobody"}).status_code == 404
    assert client.post("/admin/keys", data={**form, "csrf": csrf, "environment": "prod"}).status_code == 400
    assert client.post(f"/admin/keys/{principal.key_id}/revoke", data={}).status_code == 403
    r = client.post(f"/admin/keys/{principal.key_id}/revoke", data={"csrf": csrf})
    assert r.status_code == 200 and "Key revoked." in r.text
    with pytest.raises(RevokedApiKey):
        authenticate(services.db, plain.group(1))
    assert client.post(f"/admin/keys/{principal.key_id}/revoke", data={"csrf": csrf}).status_code == 404


def test_budget_form_refuses_bad_amounts_and_saves_a_budget(client: TestClient[Any]) -> None:
    sign_in(client)
    csrf = csrf_of(client)
    key_id = data.list_keys(client.app.state["services"])[0]["id"]
    url = f"/admin/keys/{key_id}/budget"
    for bad in ("-1", "abc", "0", "1.0000001", ""):
        r = client.post(url, data={"csrf": csrf, "max_spend_usd": bad, "period": "day"})
        assert r.status_code == 400 and "Not a valid USD amount" in r.text, bad
    assert client.post(url, data={"csrf": csrf, "max_spend_usd": "1", "period": "year"}).status_code == 400
    assert client.post(url, data={"csrf": csrf, "max_spend_usd": "1", "period": "day",
                                  "soft_limit_usd": "abc"}).status_code == 400
    assert client.post(url, data={"max_spend_usd": "1", "period": "day"}).status_code == 403
    # a soft limit above the cap is refused by billing/budgets.py
    assert client.post(url, data={"csrf": csrf, "max_spend_usd": "1", "period": "day",
                                  "soft_limit_usd": "2"}).status_code == 400
    r = client.post(url, data={"csrf": csrf, "max_spend_usd": "5", "period": "month", "soft_limit_usd": "4"})
    assert r.status_code == 200 and "Budget saved." in r.text
    assert "0 / 5 USD · month" in r.text
    budget = budgets.budget_of(client.app.state["services"].db, key_id)
    assert budget is not None and (budget.max_spend_micros, budget.period, budget.soft_limit_micros) == \
        (5_000_000, "month", 4_000_000)


def test_credit_an_account_and_the_ledger_agrees(client: TestClient[Any], caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level("INFO", logger="noxus_local.console.audit")
    sign_in(client)
    csrf = csrf_of(client, "/admin/accounts")
    db = client.app.state["services"].db
    before = ledger.read_balance(db.conn(), "default", "live").balance_micros
    for bad in ("abc", "-1", "0", "1e3x"):
        r = client.post("/admin/accounts/default/credit", data={"csrf": csrf, "amount_usd": bad, "environment": "live"})
        assert r.status_code == 400, bad
    assert client.post("/admin/accounts/default/credit",
                       data={"csrf": csrf, "amount_usd": "1", "environment": "moon"}).status_code == 400
    assert client.post("/admin/accounts/nobody/credit",
                       data={"csrf": csrf, "amount_usd": "1", "environment": "live"}).status_code == 404
    assert client.post("/admin/accounts/default/credit",
                       data={"amount_usd": "1", "environment": "live"}).status_code == 403
    r = client.post("/admin/accounts/default/credit",
                    data={"csrf": csrf, "amount_usd": "2.5", "environment": "live", "note": "invoice 7"})
    assert r.status_code == 200 and "Credited. New balance: 2.5 USD (default, live)" in r.text
    after = ledger.read_balance(db.conn(), "default", "live").balance_micros
    assert after - before == 2_500_000
    assert ledger.audit(db.conn(), "default", "live")["balance_micros"] == after
    said = [r.getMessage() for r in caplog.records if r.name == "noxus_local.console.audit"]
    assert said[0].startswith("admin action by console operator at ") and said[0].endswith(": signed in console")
    assert said[-1].endswith(": account credited default/live +2500000 micro-USD")
    # and in the admin audit log (the same table as the admin API's and the CLI's), newest first
    from noxus_local.admin.audit import list_entries
    entry = list_entries(db, action="account credited")[0][0]
    assert (entry["actor"], entry["via"], entry["target"]) == ("admin", "console", "default/live +2500000 micro-USD")
    assert entry["ip"] and list_entries(db, action="signed in")[1] >= 1


def test_jobs_spend_and_charts_from_real_runs(tmp_path: Any) -> None:
    test_client, key = make_client(tmp_path)
    with test_client as c:
        charged = 0
        for n in range(3):
            r = c.post("/api/v1/tools/qr", json={"text": f"job {n}"}, headers={"Authorization": f"Bearer {key}"})
            assert r.status_code == 200, r.text
            charged += round(float(r.json()["billing"]["charged_usd"]) * 1_000_000)
        sign_in(c)
        feed = c.get("/admin/jobs.json").json()
        assert [j["status"] for j in feed["jobs"]] == ["succeeded"] * 3
        assert all(j["progress"] == 100 and j["tool"] == "qr" for j in feed["jobs"])
        svc = c.app.state["services"]
        per_day = data.spend_per_day(svc)
        assert len(per_day) == 30 and per_day[-1]["micros"] == charged and sum(d["micros"] for d in per_day) == charged
        assert data.spend_per_tool(svc) == [{"label": "qr", "micros": charged, "jobs": 3}]
        view = data.overview(svc)
        assert view["jobs"]["succeeded"] == 3 and view["spent_today"] == data.format_usd(charged)
        page = c.get("/admin").text
        assert f'data-tool="qr" data-usd="{data.format_usd(charged)}"' in page
        keys = {k["id"]: k for k in data.list_keys(svc)}
        used = next(k for k in keys.values() if k["jobs"])
        assert used["jobs"] == 3 and used["last_used"] and used["spent"] == data.format_usd(charged)


def test_models_workers_doctor_and_audit_pages_render(client: TestClient[Any]) -> None:
    sign_in(client)
    models = client.get("/admin/models")
    assert models.status_code == 200 and "whisper" in models.text
    assert "cpu" in client.get("/admin").text
    workers = client.get("/admin/workers")
    assert workers.status_code == 200 and "Queue backend" in workers.text
    audit = client.get("/admin/audit")
    if data.audit_log(client.app.state["services"]) is None:
        assert 'id="audit-unavailable"' in audit.text
    doctor = client.get("/admin/doctor")
    assert doctor.status_code == 200 and "ffmpeg" in doctor.text and ">OK<" in doctor.text


def test_spanish_by_the_server_locale(tmp_path: Any) -> None:
    assert set(EN) == set(ES)
    assert words("es").keys == "Claves" and words("en")["keys"] == "Keys" and words("xx").lang == "es"
    test_client, _ = make_client(tmp_path, locale="es")
    with test_client as c:
        assert "Token de administración" in c.get("/admin/login").text
        sign_in(c)
        page = c.get("/admin").text
        assert '<html lang="es">' in page and "Gastado hoy" in page and "Resumen" in page


def test_chart_geometry() -> None:
    chart = charts.bars([{"label": "a", "micros": 0}, {"label": "b", "micros": 2000}], width=100, height=120)
    first, second = chart["bars"]
    assert first["h"] == 0 and second["h"] == 100 and second["y"] == 0 and second["value"] == "0.002"
    assert chart["total"] == "0.002"
    rows = charts.rows([{"label": "qr", "micros": 4000, "jobs": 2}, {"label": "wait", "micros": 1000}])
    assert rows["rows"][0]["w"] == 4 * rows["rows"][1]["w"] and rows["height"] == 48


def insert_job(svc: Any, key_id: str, job_id: str, created: float, micros: int, status: str = "succeeded") -> None:
    """A job row as the store keeps it, written straight into the real SQLite file."""
    settled = 1 if status in ("succeeded", "failed", "cancelled") else 0
    with svc.db.write() as conn:
        conn.execute(
            "INSERT INTO jobs (id, account_id, environment, key_id, tool, status, progress, params, files,"
            " limits, estimate_micros, hold_micros, charged_micros, settled, request_id,"
            " max_processing_seconds, attempts, created_at, output_expired)"
            " VALUES (?, 'default', 'test', ?, 'qr', ?, ?, '{}', '[]', '{}', ?, ?, ?, ?, 'r', 0, 0, ?, 0)",
            (job_id, key_id, status, 100 if settled else 40, micros, micros, micros if settled else 0, settled,
             created))


def test_live_list_puts_unfinished_jobs_first_then_the_newest(tmp_path: Any) -> None:
    test_client, _ = make_client(tmp_path)
    with test_client:
        svc = test_client.app.state["services"]
        key_id = data.list_keys(svc)[0]["id"]
        now = time.time()
        insert_job(svc, key_id, "job_old_running", now - 500, 0, status="running")
        for n in range(60):
            insert_job(svc, key_id, f"job_done_{n:02d}", now - 400 + n, 2000)
        insert_job(svc, key_id, "job_queued", now - 1, 0, status="queued")
        listed = data.list_jobs(svc)
        assert [j["id"] for j in listed[:3]] == ["job_queued", "job_old_running", "job_done_59"]
        assert len(listed) == 50 and listed[-1]["id"] == "job_done_12" and listed[1]["progress"] == 40
        assert [j["id"] for j in data.list_jobs(svc, status="running")] == ["job_old_running"]


def test_past_days_are_read_once_and_today_live(tmp_path: Any) -> None:
    """SpendHistory keeps the days before today; a row of today shows at once, an old day's after the refresh."""
    test_client, key = make_client(tmp_path)
    with test_client as c:
        svc = c.app.state["services"]
        key_id = data.list_keys(svc)[0]["id"]
        today = data._day_start(time.time())

        def add_job(job_id: str, created: float, micros: int) -> None:
            insert_job(svc, key_id, job_id, created, micros)

        history = data.SpendHistory(keep_seconds=3600)
        add_job("job_yesterday1", today - 3600, 7000)
        first = data.overview(svc, history)
        assert first["per_day"][-2]["micros"] == 7000 and first["per_day"][-1]["micros"] == 0
        add_job("job_yesterday2", today - 7200, 1000)
        add_job("job_today", today + 1, 3000)
        second = data.overview(svc, history)
        assert second["per_day"][-2]["micros"] == 7000  # the past, as read before
        assert second["per_day"][-1]["micros"] == 3000 and second["spent_today"] == "0.003"  # today, live
        history.keep_seconds = 0
        assert data.overview(svc, history)["per_day"][-2]["micros"] == 8000
        assert data.overview(svc)["per_tool"] == [{"label": "qr", "micros": 11000, "jobs": 3}]
