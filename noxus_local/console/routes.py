"""The /admin console's routes: server-rendered pages for the operator, outside the OpenAPI document.

HTML, not API: these pages answer with templates (``console/templates``), their
own CSS and one small script (``console/static``), every response with a CSP
that allows no inline script, ``frame-ancestors 'none'`` and no referrer. The
admin token is asked once, at sign-in (5 tries a minute per address); the
browser keeps a random session id; every form carries the session's CSRF token
and a post without it is refused (403). All data comes from ``console/data.py``.

Example::

    app = Litestar(route_handlers=[console_router()], template_config=template_config(), ...)
    # GET /admin → 303 /admin/login; POST /admin/login token=…&csrf=… → 303 /admin with a session cookie
"""

from __future__ import annotations

import secrets
from collections.abc import Callable
from pathlib import Path
from typing import Any

from anyio import to_thread
from litestar import Request, Response, Router, get, post
from litestar.datastructures import Cookie
from litestar.params import FromPath
from litestar.plugins.jinja import JinjaTemplateEngine
from litestar.response import Redirect, Template
from litestar.static_files import create_static_files_router
from litestar.template.config import TemplateConfig

from noxus_local.admin.token import admin_enabled, token_matches
from noxus_local.console import charts, data
from noxus_local.console.messages import Words, words
from noxus_local.console.sessions import ConsoleState, Session, csrf_matches
from noxus_local.errors import ValidationError
from noxus_local.money import parse_usd
from noxus_local.node.services import Services

HERE = Path(__file__).parent
COOKIE = "noxus_console"
LOGIN_COOKIE = "noxus_console_login"  # the sign-in form's own CSRF value, before any session exists
CSP = ("default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; "
       "form-action 'self'; base-uri 'none'; frame-ancestors 'none'")
SECURITY_HEADERS = {"Content-Security-Policy": CSP, "X-Frame-Options": "DENY", "Referrer-Policy": "no-referrer",
                    "X-Content-Type-Options": "nosniff", "Cache-Control": "no-store"}
QUERY_SECRETS = ("token", "admin_token", "access_token")


def template_config() -> TemplateConfig[JinjaTemplateEngine]:
    """Jinja over the package's templates folder (autoescaped), for ``Litestar(template_config=...)``."""
    return TemplateConfig(directory=HERE / "templates", engine=JinjaTemplateEngine)


def console_state(request: Request[Any, Any, Any]) -> ConsoleState:
    return request.app.state["console"]  # type: ignore[no-any-return]


def services(request: Request[Any, Any, Any]) -> Services:
    return request.app.state["services"]  # type: ignore[no-any-return]


def _session(request: Request[Any, Any, Any]) -> Session | None:
    return console_state(request).find(request.cookies.get(COOKIE))


def _t(request: Request[Any, Any, Any]) -> Words:
    return words(services(request).cfg.server.locale)


def _client(request: Request[Any, Any, Any]) -> str:
    return request.client.host if request.client else "?"


def _actor(request: Request[Any, Any, Any]) -> str:
    """Who, for the audit log: the console's operator (one admin token) and the client's address."""
    return f"console operator at {_client(request)}"


def _https(request: Request[Any, Any, Any]) -> bool:
    return request.url.scheme == "https"


def _message(request: Request[Any, Any, Any], key: str, status: int,
             headers: dict[str, str] | None = None) -> Template:
    """A page holding one message (a refusal), in the server's language."""
    t = _t(request)
    return Template("message.html", context={"t": t, "text": t[key], "session": None}, status_code=status,
                    headers=headers)


async def _refuse_secrets_in_query(request: Request[Any, Any, Any]) -> Template | None:
    """A token in a URL ends up in logs, history and Referer headers: refused (400) before any handler."""
    if any(name in request.query_params for name in QUERY_SECRETS):
        return _message(request, "token_in_query", 400)
    return None


async def _security_headers(response: Response[Any]) -> Response[Any]:
    for name, value in SECURITY_HEADERS.items():
        response.headers[name] = value
    return response


# ---- sign in / out ---------------------------------------------------------------------------------------------

@get("/admin/login")
async def login_page(request: Request[Any, Any, Any]) -> Template:
    if not admin_enabled(services(request).cfg):
        return _message(request, "no_admin", 503)
    return _login_form(request, None, 200)


def _login_form(request: Request[Any, Any, Any], error: str | None, status: int) -> Template:
    t, nonce = _t(request), secrets.token_urlsafe(32)
    cookie = Cookie(key=LOGIN_COOKIE, value=nonce, path="/admin/login", httponly=True, samesite="strict",
                    secure=_https(request), max_age=3600)
    return Template("login.html", context={"t": t, "csrf": nonce, "error": t[error] if error else None,
                                           "session": None}, status_code=status, cookies=[cookie])


@post("/admin/login", status_code=303)
async def login(request: Request[Any, Any, Any]) -> Response[Any]:
    state, cfg = console_state(request), services(request).cfg
    if not admin_enabled(cfg):
        return _message(request, "no_admin", 503)
    address = _client(request)
    if not state.limiter.allow(address):
        return _message(request, "too_many", 429, {"Retry-After": str(state.limiter.retry_after(address))})
    form = await request.form()
    expected = request.cookies.get(LOGIN_COOKIE)
    if not expected or not secrets.compare_digest(expected.encode(), str(form.get("csrf") or "").encode()):
        return _message(request, "csrf", 403)
    if not token_matches(cfg, str(form.get("token") or "")):
        data.record_action(services(request), _actor(request), "sign-in refused", "console")
        return _login_form(request, "bad_token", 401)
    session = state.open()
    data.record_action(services(request), _actor(request), "signed in", "console")
    return Redirect("/admin", status_code=303, cookies=[
        Cookie(key=COOKIE, value=session.id, path="/admin", httponly=True, samesite="strict",
               secure=_https(request)),
        Cookie(key=LOGIN_COOKIE, value="", path="/admin/login", max_age=0, httponly=True, samesite="strict")])


@post("/admin/logout", status_code=303)
async def logout(request: Request[Any, Any, Any]) -> Response[Any]:
    session = _session(request)
    if session is None:
        return Redirect("/admin/login", status_code=303)
    form = await request.form()
    if not csrf_matches(session, form.get("csrf")):
        return _message(request, "csrf", 403)
    console_state(request).close(session.id)
    return Redirect("/admin/login", status_code=303, cookies=[
        Cookie(key=COOKIE, value="", path="/admin", max_age=0, httponly=True, samesite="strict")])


# ---- pages -----------------------------------------------------------------------------------------------------

def _overview(svc: Services, state: ConsoleState) -> dict[str, Any]:
    view = data.overview(svc, state.spend)
    return {"view": view, "per_day": charts.bars(view["per_day"]), "per_tool": charts.rows(view["per_tool"])}


def _keys(svc: Services, state: ConsoleState) -> dict[str, Any]:
    return {"keys": data.list_keys(svc), "accounts": data.list_accounts(svc), "periods": data.PERIODS}


PAGES: dict[str, tuple[str, Callable[[Services, ConsoleState], dict[str, Any]]]] = {
    "overview": ("overview.html", _overview),
    "jobs": ("jobs.html", lambda svc, _: {"jobs": data.list_jobs(svc)}),
    "keys": ("keys.html", _keys),
    "accounts": ("accounts.html", lambda svc, _: {"accounts": data.list_accounts(svc)}),
    "models": ("models.html", lambda svc, _: {"models": data.models(svc)}),
    "doctor": ("doctor.html", lambda svc, _: {"checks": data.doctor(svc)}),
    "workers": ("workers.html", lambda svc, _: {"workers": data.workers(svc)}),
    "audit": ("audit.html", lambda svc, _: {"entries": data.audit_log(svc)}),
}


async def _page(request: Request[Any, Any, Any], name: str, *, status: int = 200,
                error: str | None = None, detail: str = "") -> Response[Any]:
    """Render page ``name`` for a signed-in operator (else 303 to the sign-in form), with the
    session's one-shot notices and, after a refused form, ``error`` (a message key) and ``status``."""
    session = _session(request)
    if session is None:
        return Redirect("/admin/login", status_code=303)
    template, load = PAGES[name]
    context = await to_thread.run_sync(load, services(request), console_state(request))
    t = _t(request)
    flash, session.flash = session.flash, []
    new_key, session.new_key = session.new_key, None
    if error:
        flash.append(("error", f"{t[error]} {detail}".strip()))
    return Template(template, context={**context, "t": t, "page": name, "session": session, "flash": flash,
                                       "new_key": new_key}, status_code=status)


@get("/admin")
async def overview_page(request: Request[Any, Any, Any]) -> Response[Any]:
    return await _page(request, "overview")


@get("/admin/jobs")
async def jobs_page(request: Request[Any, Any, Any]) -> Response[Any]:
    return await _page(request, "jobs")


@get("/admin/keys")
async def keys_page(request: Request[Any, Any, Any]) -> Response[Any]:
    return await _page(request, "keys")


@get("/admin/accounts")
async def accounts_page(request: Request[Any, Any, Any]) -> Response[Any]:
    return await _page(request, "accounts")


@get("/admin/models")
async def models_page(request: Request[Any, Any, Any]) -> Response[Any]:
    return await _page(request, "models")


@get("/admin/doctor")
async def doctor_page(request: Request[Any, Any, Any]) -> Response[Any]:
    return await _page(request, "doctor")


@get("/admin/workers")
async def workers_page(request: Request[Any, Any, Any]) -> Response[Any]:
    return await _page(request, "workers")


@get("/admin/audit")
async def audit_page(request: Request[Any, Any, Any]) -> Response[Any]:
    return await _page(request, "audit")


@get("/admin/jobs.json")
async def jobs_feed(request: Request[Any, Any, Any]) -> Response[Any]:
    """The live list's data, polled by static/console.js every two seconds (401 without a session)."""
    if _session(request) is None:
        return Response({"error": "sign in at /admin/login"}, status_code=401)
    svc = services(request)

    def load() -> dict[str, Any]:
        return {"jobs": data.list_jobs(svc), "capacity": data.capacity(svc)}

    return Response(await to_thread.run_sync(load))


# ---- forms -----------------------------------------------------------------------------------------------------

async def _form(request: Request[Any, Any, Any], page: str) -> tuple[Session, dict[str, str]] | Response[Any]:
    """The signed-in session and the posted fields, or the refusal: 303 to sign in, 403 without CSRF."""
    session = _session(request)
    if session is None:
        return Redirect("/admin/login", status_code=303)
    form = await request.form()
    if not csrf_matches(session, form.get("csrf")):
        return _message(request, "csrf", 403)
    return session, {k: str(v).strip() for k, v in form.items()}


def _amount(text: str) -> int | None:
    """A positive USD amount as micro-USD; None for "abc", "-1", "0" or more than 6 decimals."""
    try:
        micros = parse_usd(text)
    except ValueError:
        return None
    return micros if micros > 0 else None


def _done(request: Request[Any, Any, Any], session: Session, page: str, key: str, extra: str = "") -> Redirect:
    session.flash.append(("ok", f"{_t(request)[key]} {extra}".strip()))
    return Redirect(f"/admin/{page}", status_code=303)


@post("/admin/keys", status_code=303)
async def create_key(request: Request[Any, Any, Any]) -> Response[Any]:
    got = await _form(request, "keys")
    if isinstance(got, Response):
        return got
    session, form = got
    env, name, account = form.get("environment", ""), form.get("name", ""), form.get("account_id", "")
    if env not in ("test", "live") or not name or len(name) > 100 or not account:
        return await _page(request, "keys", status=400, error="bad_field", detail="(account_id, name, environment)")
    svc = services(request)
    try:
        plain, key_id = await to_thread.run_sync(
            lambda: data.create_key(svc, account_id=account, name=name, environment=env))
    except data.UnknownTarget:
        return await _page(request, "keys", status=404, error="unknown_target")
    data.record_action(svc, _actor(request), "key created", f"{key_id} ({account})")
    session.new_key = plain
    return Redirect("/admin/keys", status_code=303)


@post("/admin/keys/{key_id:str}/revoke", status_code=303)
async def revoke_key(request: Request[Any, Any, Any], key_id: FromPath[str]) -> Response[Any]:
    got = await _form(request, "keys")
    if isinstance(got, Response):
        return got
    session, _ = got
    svc = services(request)
    try:
        await to_thread.run_sync(lambda: data.revoke_key(svc, key_id))
    except data.UnknownTarget:
        return await _page(request, "keys", status=404, error="unknown_target")
    data.record_action(svc, _actor(request), "key revoked", key_id)
    return _done(request, session, "keys", "key_revoked")


@post("/admin/keys/{key_id:str}/budget", status_code=303)
async def set_budget(request: Request[Any, Any, Any], key_id: FromPath[str]) -> Response[Any]:
    got = await _form(request, "keys")
    if isinstance(got, Response):
        return got
    session, form = got
    cap = _amount(form.get("max_spend_usd", ""))
    soft_text = form.get("soft_limit_usd", "")
    soft = _amount(soft_text) if soft_text else None
    if cap is None or (soft_text and soft is None):
        return await _page(request, "keys", status=400, error="bad_amount")
    period = form.get("period", "")
    if period not in data.PERIODS:
        return await _page(request, "keys", status=400, error="bad_period")
    svc = services(request)
    try:
        await to_thread.run_sync(lambda: data.set_key_budget(svc, key_id, max_spend_micros=cap, period=period,
                                                             soft_limit_micros=soft))
    except ValidationError:
        return await _page(request, "keys", status=400, error="bad_amount")
    except (data.UnknownTarget, KeyError):
        return await _page(request, "keys", status=404, error="unknown_target")
    data.record_action(svc, _actor(request), "key budget set", f"{key_id} {cap} micro-USD per {period}")
    return _done(request, session, "keys", "budget_set")


@post("/admin/accounts/{account_id:str}/credit", status_code=303)
async def credit_account(request: Request[Any, Any, Any], account_id: FromPath[str]) -> Response[Any]:
    got = await _form(request, "accounts")
    if isinstance(got, Response):
        return got
    session, form = got
    micros, env = _amount(form.get("amount_usd", "")), form.get("environment", "")
    if micros is None:
        return await _page(request, "accounts", status=400, error="bad_amount")
    if env not in ("test", "live"):
        return await _page(request, "accounts", status=400, error="bad_field", detail="(environment)")
    svc = services(request)
    note = form.get("note", "")[:200]
    try:
        balance = await to_thread.run_sync(lambda: data.credit_account(svc, account_id, env, micros, note))
    except data.UnknownTarget:
        return await _page(request, "accounts", status=404, error="unknown_target")
    data.record_action(svc, _actor(request), "account credited", f"{account_id}/{env} +{micros} micro-USD")
    return _done(request, session, "accounts", "credited", f"{balance} USD ({account_id}, {env})")


HANDLERS = [login_page, login, logout, overview_page, jobs_page, keys_page, accounts_page, models_page,
            doctor_page, workers_page, audit_page, jobs_feed, create_key, revoke_key, set_budget, credit_account]


def console_router() -> Router:
    """Every /admin route and /admin/static/*, none in the OpenAPI document, all with the security headers."""
    static = create_static_files_router(path="/admin/static", directories=[HERE / "static"],
                                        include_in_schema=False, name="console-static")
    return Router(path="/", route_handlers=[*HANDLERS, static], include_in_schema=False,
                  before_request=_refuse_secrets_in_query, after_request=_security_headers)


def console_state_for(svc: Services) -> ConsoleState:
    """The app's console sessions, idle timeout from ``[admin] console_session_minutes``."""
    return ConsoleState(session_seconds=svc.cfg.admin.console_session_minutes * 60)
