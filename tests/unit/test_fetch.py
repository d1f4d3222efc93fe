"""core.fetch: URL inputs downloaded behind the SSRF guard, capped while streaming, with a deadline."""

import socket
import time
from functools import partial
from pathlib import Path

import anyio
import pytest

from noxus_local.assets.store import Cap, Intake
from noxus_local.errors import InvalidMedia, LimitExceeded, ValidationError, say
from noxus_local.net.fetch import FetchPolicy, download
from tests.http_fixture import media_server, wait_until
from tests.media_samples import noise_png, png_bytes

CAP = 200_000
ALLOW_LOCAL = FetchPolicy(["127.0.0.1"], timeout_seconds=2.0, max_redirects=3)


def caps() -> dict[str, Cap]:
    return {kind: Cap(CAP, "max_upload_mb") for kind in ("image", "audio", "video")}


def fetch(url: str, tmp_path: Path, policy: FetchPolicy = ALLOW_LOCAL, **kw):
    intake = Intake(tmp_path / "in_image", caps())
    try:
        return anyio.run(partial(download, url, "image_url", intake, policy, **kw))
    except BaseException:
        intake.discard()
        raise


def refused(url: str, tmp_path: Path, policy: FetchPolicy = ALLOW_LOCAL, **kw) -> str:
    with pytest.raises(ValidationError) as info:
        fetch(url, tmp_path, policy, **kw)
    assert list(info.value.details["field_errors"]) == ["image_url"]
    assert not (tmp_path / "in_image").exists()
    return say(info.value.details["field_errors"]["image_url"][0], "en")  # the English of the message


def test_downloads_and_sniffs(tmp_path: Path) -> None:
    with media_server({"/ok.png": png_bytes(1)}) as srv:
        got = fetch(f"{srv.base}/ok.png", tmp_path)
    assert got.path.read_bytes() == png_bytes(1) and got.sniffed.mime == "image/png"


def test_connects_to_the_vetted_address_with_the_name_in_host(tmp_path: Path) -> None:
    """DNS is asked once; the request goes to that IP, Host keeps the name (no rebinding window)."""
    answers: list[str] = []

    def resolver(host, port, *args):
        answers.append(host)
        return [(socket.AF_INET, socket.SOCK_STREAM, 6, "", ("127.0.0.1", port))]

    with media_server({"/ok.png": png_bytes(2)}) as srv:
        port = srv.server_address[1]
        got = fetch(f"http://pinned.example:{port}/host-echo", tmp_path, resolve=resolver)
        assert srv.seen[-1]["host"] == f"pinned.example:{port}"
    assert answers == ["pinned.example"] and got.path.read_bytes() == png_bytes(2)


@pytest.mark.parametrize("url", ["http://127.0.0.1:9/x.png", "http://10.1.2.3/x.png", "http://192.168.0.1/x",
                                 "http://169.254.169.254/latest/meta-data", "http://[::1]/x",
                                 "http://[::ffff:127.0.0.1]/x", "file:///etc/passwd", "ftp://example.com/x"])
def test_internal_targets_refused_without_the_allow_list(tmp_path: Path, url: str) -> None:
    refused(url, tmp_path, FetchPolicy([], 2.0, 3))


def test_redirect_to_internal_address_refused(tmp_path: Path) -> None:
    with media_server({"/ok.png": png_bytes(3)}) as srv:
        assert "169.254.169.254" in refused(f"{srv.base}/redirect?to=http://169.254.169.254/latest", tmp_path)
        refused(f"{srv.base}/redirect?to=http://10.0.0.7/x.png", tmp_path)
        got = fetch(f"{srv.base}/redirect?to=/ok.png", tmp_path)  # allowed hop, relative Location
    assert got.path.read_bytes() == png_bytes(3)


def test_too_many_redirects(tmp_path: Path) -> None:
    with media_server({}) as srv:
        loop = f"{srv.base}/redirect?to={srv.base}/redirect?to={srv.base}/redirect?to={srv.base}/redirect?to=/x"
        assert "redirect" in refused(loop, tmp_path, FetchPolicy(["127.0.0.1"], 2.0, 2))


def test_endless_body_stops_at_the_cap_and_leaves_nothing(tmp_path: Path) -> None:
    with media_server({"/ok.png": png_bytes(4)}) as srv:
        with pytest.raises(LimitExceeded) as info:
            fetch(f"{srv.base}/endless", tmp_path)
        time.sleep(0.3)
        cut_at = srv.streamed
        time.sleep(0.3)
        # the connection was closed: the server stopped (past the cap only by the kernel's socket buffers)
        assert srv.streamed == cut_at < 16 * 1024 * 1024
    assert info.value.details["limit"] == "max_upload_mb"
    assert not (tmp_path / "in_image").exists()


def test_declared_length_over_the_cap_refused_before_reading(tmp_path: Path) -> None:
    with media_server({}) as srv, pytest.raises(LimitExceeded):
        fetch(f"{srv.base}/declared-big", tmp_path)
    assert not (tmp_path / "in_image").exists()


def test_server_that_never_answers_times_out(tmp_path: Path) -> None:
    with media_server({}) as srv:
        started = time.monotonic()
        message = refused(f"{srv.base}/never", tmp_path, FetchPolicy(["127.0.0.1"], 0.5, 3))
        assert time.monotonic() - started < 5
    assert "0.5 s" in message


@pytest.mark.parametrize("path", ["/drip", "/drip-headers"])
def test_a_sender_dripping_one_byte_a_second_is_cut_at_the_deadline(tmp_path: Path, path: str) -> None:
    """Issue 17: the deadline holds while bytes trickle, into the body or even into the headers."""
    with media_server({"/ok.png": png_bytes(5)}) as srv:
        started = time.monotonic()
        message = refused(f"{srv.base}{path}", tmp_path, FetchPolicy(["127.0.0.1"], 3.0, 3))
        took = time.monotonic() - started
        assert wait_until(lambda: srv.drips, 3)  # the sender saw the connection closed
    assert "3 s" in message and 2.9 < took < 4.0, took
    assert srv.drips[0] < 4.0, srv.drips


def test_a_body_under_the_minimum_rate_is_cut_after_the_grace(tmp_path: Path) -> None:
    with media_server({"/ok.png": png_bytes(6)}) as srv:
        started = time.monotonic()
        message = refused(f"{srv.base}/drip", tmp_path, FetchPolicy(["127.0.0.1"], 30.0, 3, 100.0, 2.0))
        took = time.monotonic() - started
    assert "100 bytes per second" in message and 1.9 < took < 3.0, took


def test_the_minimum_rate_lets_a_fast_body_through(tmp_path: Path) -> None:
    body = noise_png(150_000)  # many network reads, under the cap
    with media_server({"/big.png": body}) as srv:
        got = fetch(f"{srv.base}/big.png", tmp_path, FetchPolicy(["127.0.0.1"], 5.0, 3, 100_000.0, 0.2))
    assert got.path.read_bytes() == body


def test_a_resolver_that_hangs_does_not_outlive_the_deadline(tmp_path: Path) -> None:
    def hanging(host, port, *args):
        time.sleep(3)
        return [(socket.AF_INET, socket.SOCK_STREAM, 6, "", ("127.0.0.1", port))]

    started = time.monotonic()
    message = refused("http://slow-dns.example/x.png", tmp_path, FetchPolicy([], 0.5, 3), resolve=hanging)
    assert "0.5 s" in message and time.monotonic() - started < 1.5


def test_non_media_body_and_http_errors(tmp_path: Path) -> None:
    with media_server({"/page.html": b"<html><body>hello</body></html>"}) as srv:
        with pytest.raises(InvalidMedia):
            fetch(f"{srv.base}/page.html", tmp_path)
        assert "404" in refused(f"{srv.base}/missing.png", tmp_path)
    assert not (tmp_path / "in_image").exists()


def test_https_to_the_vetted_ip_checks_the_certificate_by_name(tmp_path: Path) -> None:
    """TLS goes to the pinned IP with the host name as SNI: the name's certificate passes, others fail."""
    import ssl

    trustme = pytest.importorskip("trustme")
    ca = trustme.CA()
    server_ctx = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    ca.issue_cert("pinned.example").configure_cert(server_ctx)
    client_ctx = ssl.create_default_context()
    ca.configure_trust(client_ctx)

    def resolver(host, port, *args):
        return [(socket.AF_INET, socket.SOCK_STREAM, 6, "", ("127.0.0.1", port))]

    with media_server({"/ok.png": png_bytes(8)}, tls=server_ctx) as srv:
        port = srv.server_address[1]
        got = fetch(f"https://pinned.example:{port}/host-echo", tmp_path, resolve=resolver, verify=client_ctx)
        assert got.path.read_bytes() == png_bytes(8)
        got.path.unlink()
        message = refused_with(f"https://other.example:{port}/ok.png", tmp_path, resolver, client_ctx)
    assert "could not download" in message or "could not connect" in message


def refused_with(url: str, tmp_path: Path, resolver, verify) -> str:
    with pytest.raises(ValidationError) as info:
        fetch(url, tmp_path, resolve=resolver, verify=verify)
    assert not (tmp_path / "in_image").exists()
    return say(info.value.details["field_errors"]["image_url"][0], "en")  # the English of the message
