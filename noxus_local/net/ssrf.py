"""SSRF guard for webhook targets: check the URL, resolve it, refuse internal addresses.

A webhook URL is chosen by the client, so without this guard anyone with a
key could make the server POST to 127.0.0.1, the LAN or the cloud metadata
service (169.254.169.254). The check runs *after* DNS resolution (a public
name may point inside) and returns the vetted addresses, so delivery
connects to exactly those — a second lookup could answer differently (DNS
rebinding). On-prem users often need an internal host, so ``allow_hosts``
(names, IPs or CIDRs from ``[webhooks] allow_hosts``) lets one through.

Example::

    check_url("https://hooks.example.com/x", [])       # [IPv4Address('93.184.216.34')]
    check_url("http://10.0.0.5/x", [])                 # ValidationError (webhook.url)
    check_url("http://10.0.0.5/x", ["10.0.0.0/8"])     # [IPv4Address('10.0.0.5')]
"""

from __future__ import annotations

import ipaddress
import socket
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any, NoReturn
from urllib.parse import SplitResult, quote, urlsplit

from noxus_local.errors import ValidationError
from noxus_local.locale import t

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address
IPNetwork = ipaddress.IPv4Network | ipaddress.IPv6Network
Resolver = Callable[..., Sequence[tuple[Any, ...]]]

MAX_URL_LENGTH = 2048
FIELD = "webhook.url"
# RFC 6052 well-known NAT64 prefix: the last 32 bits are the IPv4 address reached.
NAT64 = ipaddress.IPv6Network("64:ff9b::/96")


@dataclass(frozen=True)
class Target:
    """A vetted URL, split the way http.client needs it.

    ``host`` goes into the Host header and TLS SNI; ``addresses`` are what we
    connect to.
    """

    scheme: str
    host: str
    port: int
    path: str
    addresses: list[IPAddress]


def check_url(url: str, allow_hosts: list[str], resolve: Resolver = socket.getaddrinfo) -> list[IPAddress]:
    """The vetted addresses of ``url``; raises ``ValidationError`` on ``webhook.url`` otherwise."""
    return vet(url, allow_hosts, resolve).addresses


def vet(url: str, allow_hosts: list[str], resolve: Resolver = socket.getaddrinfo) -> Target:
    """Like ``check_url`` but keeps host, port and path for the delivery that follows."""
    parts = _parse(url)
    host = _ascii_host(parts.hostname or "")
    port = _port(parts)
    addresses = _resolve(host, port, resolve)
    if _normal(host) not in {_normal(entry) for entry in allow_hosts}:
        networks = _networks(allow_hosts)
        for address in addresses:
            if _refused(address) and not _allowed(address, networks):
                _reject(t("ssrf.resolves_refused_internal_address", address=address))
    return Target(parts.scheme, host, port, _request_path(parts), addresses)


def _reject(message: str) -> NoReturn:
    raise ValidationError.fields({FIELD: [message]})


def _parse(url: str) -> SplitResult:
    if len(url) > MAX_URL_LENGTH:
        _reject(t("ssrf.at_most_characters", max_url_length=MAX_URL_LENGTH))
    if any(ord(ch) <= 0x20 or ord(ch) == 0x7F for ch in url):
        _reject(t("ssrf.no_spaces_or_control"))
    try:
        parts = urlsplit(url)
    except ValueError:  # "http://[": an unclosed IPv6 bracket
        _reject(t("ssrf.malformed_url"))
    if parts.scheme not in ("http", "https"):
        _reject(t("ssrf.must_http_or_https"))
    if "@" in parts.netloc:
        _reject(t("ssrf.credentials_in_url_are"))
    if not parts.hostname:
        _reject(t("ssrf.host_missing"))
    return parts


def _request_path(parts: SplitResult) -> str:
    """Path and query as http.client sends them: ASCII only, so ``/ñ`` becomes ``/%C3%B1``."""
    path = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
    return quote(path, safe="/%:@!$&'()*+,;=?~")


def _ascii_host(host: str) -> str:
    """IDNA form of the host, since the Host header and DNS both need ASCII."""
    try:
        return host.encode("idna").decode("ascii")
    except UnicodeError:
        _reject(t("ssrf.invalid_host"))


def _port(parts: SplitResult) -> int:
    try:
        port = parts.port
    except ValueError:  # out of range or not a number
        port = 0
    if port == 0:
        _reject(t("ssrf.invalid_port"))
    return port or (443 if parts.scheme == "https" else 80)


def _resolve(host: str, port: int, resolve: Resolver) -> list[IPAddress]:
    """IP literals are taken as they are; names go through ``resolve`` (getaddrinfo)."""
    try:
        return [ipaddress.ip_address(host)]
    except ValueError:
        pass
    try:
        infos = resolve(host, port, 0, socket.SOCK_STREAM)
        found = [ipaddress.ip_address(str(info[4][0]).split("%")[0]) for info in infos]
    except (OSError, UnicodeError, ValueError, IndexError):
        found = []
    if not found:
        _reject(t("ssrf.could_not_resolve", host=host))
    return list(dict.fromkeys(found))  # getaddrinfo repeats an address per protocol


def _effective(address: IPAddress) -> IPAddress:
    """The IPv4 address an IPv6 form really reaches (``::ffff:127.0.0.1`` → 127.0.0.1)."""
    if isinstance(address, ipaddress.IPv6Address):
        if address.ipv4_mapped is not None:
            return address.ipv4_mapped
        if address in NAT64:
            return ipaddress.IPv4Address(int(address) & 0xFFFFFFFF)
    return address


def _refused(address: IPAddress) -> bool:
    """Loopback, private, link-local, unspecified, multicast, reserved, CGNAT…: anything not public."""
    target = _effective(address)
    if not target.is_global or target.is_multicast or target.is_reserved:
        return True
    sixtofour = getattr(target, "sixtofour", None)  # 2002::/16 tunnels to an IPv4 address
    return sixtofour is not None and _refused(sixtofour)


def _networks(allow_hosts: list[str]) -> list[IPNetwork]:
    networks = []
    for entry in allow_hosts:
        try:
            networks.append(ipaddress.ip_network(entry.strip(), strict=False))
        except ValueError:
            continue  # a host name, matched by _normal
    return networks


def _allowed(address: IPAddress, networks: list[IPNetwork]) -> bool:
    candidates = {address, _effective(address)}
    return any(c.version == n.version and c in n for c in candidates for n in networks)


def _normal(host: str) -> str:
    return host.strip().lower().rstrip(".")
