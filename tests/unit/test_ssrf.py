"""The SSRF guard: every refused address class, URL shape errors, and the allow-list."""

from __future__ import annotations

import ipaddress
import socket
from collections.abc import Callable
from typing import Any

import pytest

from noxus_local.errors import ValidationError, say
from noxus_local.net.ssrf import Target, check_url, vet


def resolver(*ips: str) -> Callable[..., list[tuple[Any, ...]]]:
    """A getaddrinfo stand-in: every name resolves to ``ips`` (no real DNS in unit tests)."""
    def resolve(host: str, port: int, *args: Any, **kwargs: Any) -> list[tuple[Any, ...]]:
        return [(socket.AF_INET6 if ":" in ip else socket.AF_INET, socket.SOCK_STREAM, 6, "", (ip, port))
                for ip in ips]
    return resolve


def failing_resolver(host: str, port: int, *args: Any, **kwargs: Any) -> list[tuple[Any, ...]]:
    raise socket.gaierror(socket.EAI_NONAME, "Name or service not known")


def refused(url: str, allow: list[str] | None = None, resolve: Any = None) -> list[str]:
    with pytest.raises(ValidationError) as exc:
        check_url(url, allow or [], resolve or resolver("93.184.216.34"))
    assert exc.value.status == 400
    return exc.value.details["field_errors"]["webhook.url"]  # type: ignore[index,no-any-return]


INTERNAL = ["127.0.0.1", "127.1.2.3", "10.0.0.1", "192.168.1.10", "172.16.0.1", "172.31.255.254",
            "169.254.169.254", "0.0.0.0", "100.64.0.1", "224.0.0.1", "255.255.255.255", "240.0.0.1",
            "::1", "::", "::ffff:127.0.0.1", "::ffff:10.0.0.1", "::ffff:169.254.169.254", "fe80::1",
            "fc00::1", "fd12:3456::1", "ff02::1", "64:ff9b::7f00:1", "64:ff9b::a9fe:a9fe",
            "2002:7f00:1::1", "2001:db8::1"]


@pytest.mark.parametrize("ip", INTERNAL)
def test_a_name_resolving_to_an_internal_address_is_refused(ip: str) -> None:
    [message] = refused("https://hooks.example.com/x", resolve=resolver(ip))
    assert str(ipaddress.ip_address(ip)) in message


@pytest.mark.parametrize("url", ["http://127.0.0.1/x", "http://10.1.1.1:8080/", "http://192.168.0.1/",
                                 "http://172.16.5.5/", "http://169.254.169.254/latest/meta-data/",
                                 "http://0.0.0.0:9000/", "http://[::1]/", "http://[::ffff:127.0.0.1]/",
                                 "http://[fe80::1]/", "http://[fc00::1]/"])
def test_an_internal_ip_literal_is_refused_without_dns(url: str) -> None:
    refused(url, resolve=failing_resolver)


def test_one_internal_address_among_public_ones_is_enough_to_refuse() -> None:
    refused("https://hooks.example.com/", resolve=resolver("93.184.216.34", "10.0.0.7"))


@pytest.mark.parametrize("url", ["ftp://example.com/x", "file:///etc/passwd", "gopher://example.com/",
                                 "javascript:alert(1)", "example.com/hook", ""])
def test_only_http_and_https_are_accepted(url: str) -> None:
    assert say(refused(url), "es") == ["debe ser http:// o https://"]
    assert say(refused(url), "en") == ["must be http:// or https://"]


def test_a_url_longer_than_2048_characters_is_refused() -> None:
    url = "https://hooks.example.com/" + "a" * 2030
    assert len(url) > 2048
    assert say(refused(url), "en") == ["at most 2048 characters"]
    assert check_url(url[:2048], [], resolver("93.184.216.34"))


CREDENTIALS = "no se admiten credenciales en la URL / credentials in the URL are not allowed"
BAD_PORT = "puerto no válido / invalid port"
CONTROL = "sin espacios ni caracteres de control / no spaces or control characters"


@pytest.mark.parametrize(("url", "message"), [
    ("http:///path", "falta el host / the host is missing"),
    ("http://user:pw@hooks.example.com/", CREDENTIALS),
    ("http://hooks.example.com@10.0.0.1/", CREDENTIALS),
    ("http://hooks.example.com:99999/", BAD_PORT),
    ("http://hooks.example.com:0/", BAD_PORT),
    ("http://hooks.example.com/a b", CONTROL),
    ("http://hooks.example.com/\r\nX-Evil: 1", CONTROL),
])
def test_malformed_urls_are_refused(url: str, message: str) -> None:
    assert [f"{m} / {m.en}" for m in refused(url)] == [message]  # both languages (errors.Text)


def test_a_name_that_does_not_resolve_is_refused() -> None:
    assert say(refused("https://nowhere.invalid/", resolve=failing_resolver), "en") == [
        "could not resolve nowhere.invalid"]
    assert refused("https://empty.example/", resolve=resolver())


def test_a_public_address_passes_and_is_returned_for_pinning() -> None:
    assert check_url("https://hooks.example.com/x", [], resolver("93.184.216.34")) == [
        ipaddress.IPv4Address("93.184.216.34")]


def test_vet_keeps_host_port_path_and_query_and_deduplicates_addresses() -> None:
    target = vet("https://Hooks.Example.com:8443/in/hook?x=1", [],
                 resolver("93.184.216.34", "93.184.216.34", "2606:2800:220:1:248:1893:25c8:1946"))
    assert target == Target("https", "hooks.example.com", 8443, "/in/hook?x=1",
                            [ipaddress.ip_address("93.184.216.34"),
                             ipaddress.ip_address("2606:2800:220:1:248:1893:25c8:1946")])
    assert vet("http://hooks.example.com", [], resolver("93.184.216.34")).path == "/"
    assert vet("http://hooks.example.com/ñ?q=ü&x=%20", [], resolver("93.184.216.34")).path == "/%C3%B1?q=%C3%BC&x=%20"
    assert vet("http://hooks.example.com", [], resolver("93.184.216.34")).port == 80


def test_nat64_of_a_public_address_passes() -> None:
    assert check_url("https://v6only.example/", [], resolver("64:ff9b::5db8:d822"))


def test_an_international_host_name_is_resolved_in_its_ascii_form() -> None:
    seen: list[str] = []

    def resolve(host: str, port: int, *args: Any) -> list[tuple[Any, ...]]:
        seen.append(host)
        return resolver("93.184.216.34")(host, port)
    assert vet("https://bücher.example/", [], resolve).host == "xn--bcher-kva.example"
    assert seen == ["xn--bcher-kva.example"]


def test_allow_list_by_host_name_lets_any_address_through() -> None:
    assert check_url("http://hooks.internal:9000/x", ["Hooks.Internal."], resolver("10.1.2.3", "127.0.0.1")) == [
        ipaddress.ip_address("10.1.2.3"), ipaddress.ip_address("127.0.0.1")]


def test_allow_list_by_ip() -> None:
    assert check_url("http://127.0.0.1:8000/x", ["127.0.0.1"])
    assert check_url("http://lan.example/", ["192.168.1.10"], resolver("192.168.1.10"))
    assert check_url("http://[::ffff:127.0.0.1]/", ["127.0.0.1"])  # the mapped form is the same host
    refused("http://lan.example/", ["192.168.1.10"], resolver("192.168.1.11"))


def test_allow_list_by_cidr() -> None:
    assert check_url("http://build.lan/", ["10.0.0.0/8"], resolver("10.20.30.40"))
    assert check_url("http://[fd00::5]/", ["fc00::/7"])
    refused("http://build.lan/", ["10.0.0.0/8"], resolver("192.168.1.1"))
    refused("http://build.lan/", ["10.0.0.0/8"], resolver("10.0.0.1", "169.254.169.254"))


def test_allowing_one_host_does_not_allow_another_name_on_the_same_address() -> None:
    refused("http://other.internal/", ["hooks.internal"], resolver("10.1.2.3"))
