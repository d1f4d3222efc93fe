"""A web page (HTML only) and its images, fetched through the SSRF guard of ``<field>_url`` downloads.

``net/fetch.py``'s ``download`` does the hard part on every hop: the guard
(``[assets] fetch_allow_hosts`` lets an internal host through), the pinned
address, the redirect limit, one deadline and the minimum rate. This module
adds what a page needs: an ``Intake`` that accepts HTML only (a PNG, a PDF or
JSON at the URL is a 400 "not an HTML page") and stops at ``max_bytes`` (a 413
``max_page_mb``), and blocking wrappers, since the tool's steps run in worker
threads. The text is decoded from the page's ``<meta charset>``, else UTF-8
with replacement.

Example::

    html = fetch_html("https://shop.example/mug", "website_url", FetchPolicy.of(cfg.assets), 5 * 2**20, workdir)
    path = fetch_image("https://shop.example/mug.jpg", workdir / "img-0", FetchPolicy.of(cfg.assets), 20 * 2**20)
"""

from __future__ import annotations

import re
import ssl
from functools import partial
from pathlib import Path

import anyio

from noxus_local.assets.store import Cap, Intake, check_content
from noxus_local.errors import NoxusError, ValidationError
from noxus_local.locale import t
from noxus_local.media.sniff import Sniffed, sniff
from noxus_local.net.fetch import FetchPolicy, download

HTML = Sniffed("html", "text/html", "html")
_HTML_START = re.compile(rb"^\s*(<!--.*?-->\s*)*<(!doctype\s+html|html|head|body|meta|title)\b", re.I | re.S)
_CHARSET = re.compile(rb"""<meta[^>]+charset=["']?([A-Za-z0-9_-]{2,40})""", re.I)


def looks_html(head: bytes) -> bool:
    """An HTML document's first bytes (a BOM, comments and blanks may come first); no media type matches.

    Example: ``looks_html(b"<!DOCTYPE html><html>")`` is True; ``looks_html(b"\\x89PNG...")`` is False.
    """
    text = head.removeprefix(b"\xef\xbb\xbf")
    return sniff(head) is None and bool(_HTML_START.match(text[:4096]))


class PageIntake(Intake):
    """An ``Intake`` for one HTML page: anything else is refused on ``field`` when its head is seen."""

    def __init__(self, path: Path, max_bytes: int, field: str) -> None:
        super().__init__(path, {"html": Cap(max_bytes, "max_page_mb")})
        self.field = field

    def _identify(self) -> None:
        if not looks_html(bytes(self._head)):
            raise ValidationError.fields({self.field: [t("web_fetch.not_html_page")]})
        self._sniffed = HTML


def fetch_html(url: str, field: str, policy: FetchPolicy, max_bytes: int, workdir: Path) -> str:
    """The page's text; ``ValidationError`` on ``field`` (refused address, redirects, not HTML, HTTP error,
    timeout) or ``LimitExceeded`` (over ``max_bytes``). Blocking: for a worker thread."""
    return anyio.run(partial(fetch_html_async, url, field, policy, max_bytes, workdir))


async def fetch_html_async(url: str, field: str, policy: FetchPolicy, max_bytes: int, workdir: Path,
                           verify: ssl.SSLContext | bool = True,
                           limiter: anyio.CapacityLimiter | None = None) -> str:
    """``fetch_html`` on the event loop (a route under one of the fetch slots passes their TLS and threads)."""
    intake = PageIntake(workdir / "page.html", max_bytes, field)
    try:
        received = await download(url, field, intake, policy, verify=verify, limiter=limiter)
    except BaseException:
        intake.discard()
        raise
    raw = received.path.read_bytes()
    intake.discard()
    return raw.decode(_charset(raw), errors="replace")


def fetch_image(url: str, dest: Path, policy: FetchPolicy, max_bytes: int, max_pixels: int = 0) -> Path | None:
    """An image of the page on disk (checked: decodes, within ``max_pixels``), or None when it cannot be had."""
    intake = Intake(dest, {"image": Cap(max_bytes, "max_image_mb")})
    try:
        received = anyio.run(partial(download, url, "image_url", intake, policy))
        check_content(received, max_pixels)
    except NoxusError:
        intake.discard()
        return None
    return received.path


def _charset(raw: bytes) -> str:
    m = _CHARSET.search(raw[:4096])
    name = m.group(1).decode("ascii").lower() if m else "utf-8"
    try:
        "".encode(name)
    except LookupError:
        return "utf-8"
    return name
