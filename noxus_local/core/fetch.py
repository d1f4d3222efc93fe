"""Download a ``<field>_url`` input: SSRF-checked on every hop, size-capped while streaming, timed.

A URL input is chosen by the client, so it gets the webhook guard
(``core.ssrf.vet``: resolve, refuse loopback/private/link-local/metadata
unless ``[assets] fetch_allow_hosts`` names them) before each request,
redirects included, and the request goes to exactly the vetted address: the
URL's host is replaced by the IP, ``Host`` and TLS SNI keep the name (httpx's
``sni_hostname`` extension), so a second DNS answer (rebinding) is never
used. Proxies from the environment are ignored for the same reason. The body
streams through an ``Intake``, which sniffs it and stops at the limit; the
whole download has one deadline, so a server that drips bytes cannot hold a
request forever. On any error the caller discards the intake (no file left).

Example::

    intake = Intake(workdir / "in_image", caps)
    received = download("https://example.com/p.png", "image_url", intake, FetchPolicy([], 15.0, 5))
"""

from __future__ import annotations

import ipaddress
import socket
import ssl
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import NoReturn
from urllib.parse import urljoin

import httpx

from noxus_local.core.assets import Intake, Received
from noxus_local.core.ssrf import Resolver, Target, vet
from noxus_local.errors import ValidationError

CHUNK = 64 * 1024


@dataclass(frozen=True)
class FetchPolicy:
    allow_hosts: list[str]
    timeout_seconds: float
    max_redirects: int


def download(url: str, field: str, intake: Intake, policy: FetchPolicy,
             resolve: Resolver = socket.getaddrinfo, verify: ssl.SSLContext | bool = True) -> Received:
    """Follow up to ``max_redirects`` redirects, each vetted, and stream the final 200 into ``intake``.

    ``verify`` is httpx's: certificates are checked against the URL's host
    name (sent as SNI) although the connection goes to the vetted IP.
    """
    if not isinstance(url, str) or not _encodable(url):
        _fail(field, "debe ser una URL http(s) / must be an http(s) URL")
    deadline = time.monotonic() + policy.timeout_seconds
    with httpx.Client(trust_env=False, follow_redirects=False, verify=verify,
                      timeout=httpx.Timeout(policy.timeout_seconds)) as client:
        for _ in range(policy.max_redirects + 1):
            target = _vet(url, field, policy, resolve)
            with _request(client, target, field, policy, deadline) as response:
                if response.is_redirect and "location" in response.headers:
                    url = urljoin(url, response.headers["location"])
                    continue
                if response.status_code != 200:
                    _fail(field, f"la URL respondió HTTP {response.status_code} / the URL answered "
                                 f"HTTP {response.status_code}")
                return _stream(response, intake, field, policy, deadline)
    _fail(field, f"más de {policy.max_redirects} redirecciones / more than {policy.max_redirects} redirects")


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


@contextmanager
def _request(client: httpx.Client, target: Target, field: str, policy: FetchPolicy,
             deadline: float) -> Iterator[httpx.Response]:
    """GET from the vetted addresses in turn (the first that connects), never from a new lookup."""
    last: Exception | None = None
    for address in target.addresses:
        try:
            with client.stream("GET", _pinned_url(target, address), headers={"Host": _host_header(target)},
                               extensions={"sni_hostname": target.host}) as response:
                yield response
                return
        except httpx.ConnectError as exc:
            last = exc
            continue
        except httpx.TimeoutException:
            _timeout(field, policy)
        except httpx.HTTPError as exc:
            _fail(field, f"no se pudo descargar / could not download ({type(exc).__name__})")
    _fail(field, f"no se pudo conectar / could not connect ({type(last).__name__})")


def _stream(response: httpx.Response, intake: Intake, field: str, policy: FetchPolicy,
            deadline: float) -> Received:
    declared = response.headers.get("content-length", "")
    cap = max(intake.caps.values(), key=lambda c: c.max_bytes)
    if declared.isascii() and declared.isdigit() and int(declared) > cap.max_bytes:
        raise cap.error()  # said up front: not one byte is read
    try:
        for chunk in response.iter_bytes(CHUNK):  # decoded, so a gzip bomb meets the cap too
            if time.monotonic() > deadline:
                _timeout(field, policy)
            intake.write(chunk)
    except httpx.TimeoutException:
        _timeout(field, policy)
    except httpx.HTTPError as exc:
        _fail(field, f"la descarga se cortó / the download broke off ({type(exc).__name__})")
    return intake.finish()


def _pinned_url(target: Target, address: ipaddress.IPv4Address | ipaddress.IPv6Address) -> httpx.URL:
    host = f"[{address}]" if address.version == 6 else str(address)
    return httpx.URL(f"{target.scheme}://{host}:{target.port}{target.path}")


def _host_header(target: Target) -> str:
    default = 443 if target.scheme == "https" else 80
    return target.host if target.port == default else f"{target.host}:{target.port}"


def _timeout(field: str, policy: FetchPolicy) -> NoReturn:
    _fail(field, f"sin respuesta completa en {policy.timeout_seconds:g} s / no complete answer within "
                 f"{policy.timeout_seconds:g} s")


def _fail(field: str, message: str) -> NoReturn:
    raise ValidationError.fields({field: [message]})
