"""Download a ``<field>_url`` input: SSRF-checked on every hop, size-capped while streaming, one deadline.

A URL input is chosen by the client, so it gets the webhook guard
(``core.ssrf.vet``: resolve, refuse loopback/private/link-local/metadata
unless ``[assets] fetch_allow_hosts`` names them) before each request,
redirects included, and the request goes to exactly the vetted address: the
URL's host is replaced by the IP, ``Host`` and TLS SNI keep the name (httpx's
``sni_hostname`` extension), so a second DNS answer (rebinding) is never
used. Proxies from the environment are ignored for the same reason. The body
streams through an ``Intake``, which sniffs it and stops at the limit. On any
error the caller discards the intake (no file left).

The download runs on the event loop, inside one anyio cancel scope whose
deadline is ``fetch_timeout_seconds`` from the start: connect, DNS, headers
and body all count, and cancellation stops a read that is waiting, so a
server dripping one byte a second (even into its headers) is cut at the
deadline, not at the next 64 KiB. Issue 17: the old check between chunks let
such a download run 60 s and more, and as each held a worker thread, 45 of
them starved every other request. Once the body starts, the same scope's
deadline is pulled in to the moment the body's average rate would fall
under ``fetch_min_bytes_per_second`` (after a grace period), so a hopeless
trickle ends early too. The few blocking steps (DNS, TLS setup, disk writes)
go to worker threads under ``limiter``: the fetch slots' own
(``core.fetch_slots``), never the threads tool calls wait for.

Example::

    intake = Intake(workdir / "in_image", caps)
    received = await download("https://example.com/p.png", "image_url", intake, FetchPolicy([], 15.0, 5))
"""

from __future__ import annotations

import ipaddress
import math
import socket
import ssl
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from functools import partial
from typing import NoReturn
from urllib.parse import urljoin

import anyio
import httpx
from anyio import to_thread

from noxus_local.assets.store import Intake, Received
from noxus_local.config import AssetSettings
from noxus_local.errors import Text, ValidationError
from noxus_local.locale import t
from noxus_local.net.ssrf import Resolver, Target, vet

WRITE_BATCH = 256 * 1024  # body bytes gathered before one trip to a worker thread to write them


@dataclass(frozen=True)
class FetchPolicy:
    allow_hosts: list[str]
    timeout_seconds: float
    max_redirects: int
    min_bytes_per_second: float = 0.0  # 0: no minimum rate, only the deadline
    min_rate_grace_seconds: float = 0.0

    @classmethod
    def of(cls, settings: AssetSettings) -> FetchPolicy:
        """The ``[assets] fetch_*`` settings: ``FetchPolicy.of(cfg.assets)``."""
        return cls(settings.fetch_allow_hosts, settings.fetch_timeout_seconds, settings.fetch_max_redirects,
                   settings.fetch_min_bytes_per_second, settings.fetch_min_rate_grace_seconds)


async def download(url: str, field: str, intake: Intake, policy: FetchPolicy,
                   resolve: Resolver = socket.getaddrinfo, verify: ssl.SSLContext | bool = True,
                   limiter: anyio.CapacityLimiter | None = None) -> Received:
    """Follow up to ``max_redirects`` redirects, each vetted, and stream the final 200 into ``intake``.

    ``verify`` is httpx's: certificates are checked against the URL's host
    name (sent as SNI) although the connection goes to the vetted IP.
    ``limiter`` bounds the worker threads of the blocking steps (anyio's
    default limiter when None).
    """
    if not isinstance(url, str) or not _encodable(url):
        _fail(field, t("net_fetch.must_http_s_url"))
    clock = _Clock(policy)
    with clock.scope:
        return await _follow(url, field, intake, policy, clock, resolve, verify, limiter)
    clock.expired(field)  # reached only when the scope's deadline cut the download


class _Clock:
    """The download's one deadline, pulled in while the body arrives slower than the minimum rate.

    With 1,000 bytes/s and a 5 s grace: 2,000 bytes by second 1 carry the
    body to second 5; 8,000 bytes by second 5 carry it to second 8.
    """

    def __init__(self, policy: FetchPolicy) -> None:
        self.policy = policy
        self.end = anyio.current_time() + policy.timeout_seconds
        self.scope = anyio.CancelScope(deadline=self.end)
        self.body_from = math.inf

    def body_started(self) -> None:
        self.body_from = anyio.current_time()
        self.received(0)

    def received(self, total: int) -> None:
        """``total`` body bytes are in: the scope ends at the deadline or when the rate would fall short."""
        rate = self.policy.min_bytes_per_second
        if rate > 0:
            self.scope.deadline = min(self.end, self.body_from + max(self.policy.min_rate_grace_seconds,
                                                                     total / rate))

    def expired(self, field: str) -> NoReturn:
        if self.scope.deadline >= self.end:
            _timeout(field, self.policy)
        rate = self.policy.min_bytes_per_second
        _fail(field, t("net_fetch.too_slow_under_bytes", rate=rate))


async def _follow(url: str, field: str, intake: Intake, policy: FetchPolicy, clock: _Clock, resolve: Resolver,
                  verify: ssl.SSLContext | bool, limiter: anyio.CapacityLimiter | None) -> Received:
    # building the client loads the CA bundle (tens of ms): not on the event loop
    client = await to_thread.run_sync(partial(httpx.AsyncClient, trust_env=False, follow_redirects=False,
                                              verify=verify, timeout=httpx.Timeout(policy.timeout_seconds)),
                                      limiter=limiter)
    async with client:
        for _ in range(policy.max_redirects + 1):
            # a resolver that hangs is left to finish on its own: the deadline still holds
            target = await to_thread.run_sync(_vet, url, field, policy, resolve, abandon_on_cancel=True,
                                              limiter=limiter)
            async with _request(client, target, field, policy) as response:
                if response.is_redirect and "location" in response.headers:
                    url = urljoin(url, response.headers["location"])
                    continue
                if response.status_code != 200:
                    _fail(field, t("net_fetch.url_answered_http", status_code=response.status_code))
                return await _stream(response, intake, field, clock, limiter)
    _fail(field, t("net_fetch.more_than_redirects", max_redirects=policy.max_redirects))


def _encodable(text: str) -> bool:
    """False for a lone surrogate (valid in JSON, not in UTF-8): it would break quoting later."""
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


def _vet(url: str, field: str, policy: FetchPolicy, resolve: Resolver) -> Target:
    """The webhook guard, with its errors filed under this input's field name."""
    try:
        return vet(url, policy.allow_hosts, resolve)
    except ValidationError as exc:
        messages = [m for ms in (exc.details or {}).get("field_errors", {}).values() for m in ms]
        raise ValidationError.fields({field: messages}) from None


@asynccontextmanager
async def _request(client: httpx.AsyncClient, target: Target, field: str,
                   policy: FetchPolicy) -> AsyncIterator[httpx.Response]:
    """GET from the vetted addresses in turn (the first that connects), never from a new lookup."""
    last: Exception | None = None
    for address in target.addresses:
        try:
            async with client.stream("GET", pinned_url(target, address), headers={"Host": host_header(target)},
                                     extensions={"sni_hostname": target.host}) as response:
                yield response
                return
        except httpx.ConnectError as exc:
            last = exc
            continue
        except httpx.TimeoutException:
            _timeout(field, policy)
        except httpx.HTTPError as exc:
            _fail(field, t("net_fetch.could_not_download", error=type(exc).__name__))
    _fail(field, t("net_fetch.could_not_connect", error=type(last).__name__))


async def _stream(response: httpx.Response, intake: Intake, field: str, clock: _Clock,
                  limiter: anyio.CapacityLimiter | None) -> Received:
    declared = response.headers.get("content-length", "")
    cap = max(intake.caps.values(), key=lambda c: c.max_bytes)
    if declared.isascii() and declared.isdigit() and int(declared) > cap.max_bytes:
        raise cap.error()  # said up front: not one byte is read
    clock.body_started()
    pending: list[bytes] = []
    size = 0
    try:
        async for chunk in response.aiter_bytes():  # decoded, so a gzip bomb meets the cap too
            clock.received(response.num_bytes_downloaded)  # bytes on the wire: the rate is the sender's
            pending.append(chunk)
            size += len(chunk)
            if size >= WRITE_BATCH:
                await to_thread.run_sync(intake.write, b"".join(pending), limiter=limiter)
                pending, size = [], 0
    except httpx.TimeoutException:
        _timeout(field, clock.policy)
    except httpx.HTTPError as exc:
        _fail(field, t("net_fetch.download_broke_off", error=type(exc).__name__))
    return await to_thread.run_sync(_finish, intake, b"".join(pending), limiter=limiter)


def _finish(intake: Intake, rest: bytes) -> Received:
    if rest:
        intake.write(rest)
    return intake.finish()


def pinned_url(target: Target, address: ipaddress.IPv4Address | ipaddress.IPv6Address) -> httpx.URL:
    host = f"[{address}]" if address.version == 6 else str(address)
    return httpx.URL(f"{target.scheme}://{host}:{target.port}{target.path}")


def host_header(target: Target) -> str:
    default = 443 if target.scheme == "https" else 80
    return target.host if target.port == default else f"{target.host}:{target.port}"


def _timeout(field: str, policy: FetchPolicy) -> NoReturn:
    _fail(field, t("net_fetch.no_complete_answer_within", timeout_seconds=policy.timeout_seconds))


def _fail(field: str, message: Text) -> NoReturn:
    raise ValidationError.fields({field: [message]})
