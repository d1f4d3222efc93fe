"""The /admin console's routes: server-rendered pages for the operator, outside the OpenAPI document.

HTML, not API: these pages answer with templates (``console/templates``), their
own CSS and one small script (``console/static``), every response with a CSP
that allows no inline script, ``frame-ancestors 'none'`` and no referrer. The
admin token is asked once, at sign-in (5 tries a minute per address); the
browser keeps a random session id; every form carries the session's CSRF token
and a post without it is refused (403). Every read and change goes through the admin
service (``noxus_local/admin/service.py``, the REST API's and CLI's functions) with
``data.console_actor``, so console actions land in the same audit log under the
same dotted names (``key.create``, ``key.budget``, ``account.credit``...).

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

from noxus_local.admin import service as admin
from noxus_local.admin.token import admin_enabled, token_matches
from noxus_local.console import charts, data
from noxus_local.console.messages import Words, words
from noxus_local.console.sessions import ConsoleState, Session, csrf_matches
from noxus_local.errors import JobNotFound, NotFound, StateConflict, ValidationError
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


def _actor(request: Request[Any, Any, Any]) -> admin.Actor:
    """Who, for the audit log: the admin token's holder, via the console, from the client's address."""
    return data.console_actor(request.client.host if request.client else None)


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
        admin.record(services(request).db, _actor(request), "console.sign_in_refused", "console")
        return _login_form(request, "bad_token", 401)
    session = state.open()
    admin.record(services(request).db, _actor(request), "console.sign_in", "console")
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
    return {"keys": admin.list_keys(svc.db), "accounts": admin.list_accounts(svc.db), "periods": data.PERIODS}


PAGES: dict[str, tuple[str, Callable[[Services, ConsoleState], dict[str, Any]]]] = {
    "overview": ("overview.html", _overview),
    "jobs": ("jobs.html", lambda svc, _: {"jobs": data.list_jobs(svc)}),
    "keys": ("keys.html", _keys),
    "accounts": ("accounts.html", lambda svc, _: {"accounts": admin.list_accounts(svc.db)}),
    "models": ("models.html", lambda svc, _: {"models": admin.models(svc.cfg)}),
    "doctor": ("doctor.html", lambda svc, _: {"checks": doctor_checks(svc)}),
    "workers": ("workers.html", lambda svc, _: {"workers": admin.workers(svc)}),
    "alerts": ("alerts.html", lambda svc, _: {"alerts": data.alerts(svc)}),
    "audit": ("audit.html", lambda svc, _: {"entries": data.audit(svc)}),
}


def doctor_checks(svc: Services) -> list[dict[str, str]]:
    """``noxus-local doctor``'s checks, run now (seconds: it encodes a short clip with ffmpeg)."""
    from dataclasses import asdict

    from noxus_local.ops.doctor import run_checks

    return [asdict(check) for check in run_checks(svc.cfg, "the running server")]


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


def _page_handler(name: str) -> Any:
    """``GET /admin`` (the overview) or ``GET /admin/<name>``: page ``name`` of ``PAGES``, one handler each."""

    async def show(request: Request[Any, Any, Any]) -> Response[Any]:
        return await _page(request, name)

    path = "/admin" if name == "overview" else f"/admin/{name}"
    return get(path, name=f"console-{name}")(show)


PAGE_HANDLERS = [_page_handler(name) for name in PAGES]


@get("/admin/jobs.json")
async def jobs_feed(request: Request[Any, Any, Any]) -> Response[Any]:
    """The live list's data, polled by static/console.js every two seconds (401 without a session)."""
    if _session(request) is None:
        return Response({"error": "sign in at /admin/login"}, status_code=401)
    svc = services(request)

    def load() -> dict[str, Any]:
        return {"jobs": data.list_jobs(svc), "capacity": admin.capacity(svc)}

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


def _refusal(error: Exception) -> tuple[int, str]:
    """An admin service refusal as (HTTP status, console message key)."""
    if isinstance(error, (NotFound, JobNotFound)):
        return 404, "unknown_target"
    if isinstance(error, StateConflict):
        return 409, "unknown_target"
    fields = (getattr(error, "details", None) or {}).get("field_errors", {})
    return 400, "bad_period" if "budget_period" in fields else "bad_field" if "environment" in fields \
        or "name" in fields else "bad_amount"


async def _call(request: Request[Any, Any, Any], page: str, fn: Callable[[], Any]) -> Any:
    """Run one admin service call off the event loop; its refusal becomes the page with the error."""
    try:
        return await to_thread.run_sync(fn)
    except (NotFound, JobNotFound, StateConflict, ValidationError) as error:
        status, key = _refusal(error)
        return await _page(request, page, status=status, error=key)


def _done(request: Request[Any, Any, Any], session: Session, page: str, key: str, extra: str = "") -> Redirect:
    session.flash.append(("ok", f"{_t(request)[key]} {extra}".strip()))
    return Redirect(f"/admin/{page}", status_code=303)


@post("/admin/keys", status_code=303)
async def create_key(request: Request[Any, Any, Any]) -> Response[Any]:
    got = await _form(request, "keys")
    if isinstance(got, Response):
        return got
    session, form = got
    svc, actor = services(request), _actor(request)
    done = await _call(request, "keys", lambda: admin.create_key(
        svc.db, actor, form.get("account_id", ""), name=form.get("name", ""),
        environment=form.get("environment", "")))
    if isinstance(done, Response):
        return done
    session.new_key = done[0]
    return Redirect("/admin/keys", status_code=303)


@post("/admin/keys/{key_id:str}/revoke", status_code=303)
async def revoke_key(request: Request[Any, Any, Any], key_id: FromPath[str]) -> Response[Any]:
    got = await _form(request, "keys")
    if isinstance(got, Response):
        return got
    session, _ = got
    svc, actor = services(request), _actor(request)
    done = await _call(request, "keys", lambda: admin.revoke_key(svc.db, actor, key_id))
    return done if isinstance(done, Response) else _done(request, session, "keys", "key_revoked")


@post("/admin/keys/{key_id:str}/budget", status_code=303)
async def set_budget(request: Request[Any, Any, Any], key_id: FromPath[str]) -> Response[Any]:
    """The budget form: a cap is required here (the API's empty cap, which clears the budget, is not offered)."""
    got = await _form(request, "keys")
    if isinstance(got, Response):
        return got
    session, form = got
    if not form.get("max_spend_usd"):
        return await _page(request, "keys", status=400, error="bad_amount")
    svc, actor = services(request), _actor(request)
    done = await _call(request, "keys", lambda: admin.set_key_budget(
        svc.db, actor, key_id, max_spend_usd=form["max_spend_usd"], budget_period=form.get("period", ""),
        soft_limit_usd=form.get("soft_limit_usd") or None))
    return done if isinstance(done, Response) else _done(request, session, "keys", "budget_set")


@post("/admin/accounts/{account_id:str}/credit", status_code=303)
async def credit_account(request: Request[Any, Any, Any], account_id: FromPath[str]) -> Response[Any]:
    got = await _form(request, "accounts")
    if isinstance(got, Response):
        return got
    session, form = got
    svc, actor, env = services(request), _actor(request), form.get("environment", "")
    done = await _call(request, "accounts", lambda: admin.credit(
        svc.db, actor, account_id, env, form.get("amount_usd", ""), form.get("note", "")[:200] or None))
    if isinstance(done, Response):
        return done
    return _done(request, session, "accounts", "credited",
                 f"{done['balance']['balance_usd']} USD ({account_id}, {done['environment']})")


HANDLERS = [login_page, login, logout, *PAGE_HANDLERS, jobs_feed, create_key, revoke_key, set_budget, credit_account]


def console_router() -> Router:
    """Every /admin route and /admin/static/*, none in the OpenAPI document, all with the security headers."""
    static = create_static_files_router(path="/admin/static", directories=[HERE / "static"],
                                        include_in_schema=False, name="console-static")
    return Router(path="/", route_handlers=[*HANDLERS, static], include_in_schema=False,
                  before_request=_refuse_secrets_in_query, after_request=_security_headers)


def console_state_for(svc: Services) -> ConsoleState:
    """The app's console sessions, idle timeout from ``[admin] console_session_minutes``."""
    return ConsoleState(session_seconds=svc.cfg.admin.console_session_minutes * 60)
