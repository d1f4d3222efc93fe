"""media.svg: SVGs drawn for the image tools, at a bounded size, with nothing outside the file read."""

from __future__ import annotations

import http.server
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest
from PIL import Image

from noxus_local.errors import InvalidMedia, LimitExceeded
from noxus_local.media import images, svg

RED_BOX = ('<svg xmlns="http://www.w3.org/2000/svg" width="40" height="20">'
           '<rect width="40" height="20" fill="#ff0000"/><rect x="20" width="20" height="20" fill="#0000ff"/></svg>')


def write(tmp_path: Path, text: str, name: str = "x.svg") -> Path:
    path = tmp_path / name
    path.write_text(text)
    return path


def test_drawn_at_its_own_size(tmp_path: Path) -> None:
    img = svg.rasterise(write(tmp_path, RED_BOX), max_pixels=10_000)
    assert img.size == (40, 20) and img.mode == "RGBA"
    assert img.getpixel((5, 10)) == (255, 0, 0, 255) and img.getpixel((35, 10)) == (0, 0, 255, 255)


def test_drawn_to_fit_a_box_aspect_kept(tmp_path: Path) -> None:
    img = svg.rasterise(write(tmp_path, RED_BOX), max_pixels=1_000_000, box=(400, 400))
    assert img.size == (400, 200) and img.getpixel((390, 190)) == (0, 0, 255, 255)


@pytest.mark.parametrize(("attrs", "size"), [
    ('width="2in" height="1in"', (192, 96)), ('viewBox="0 0 30 15"', (30, 15)),
    ('width="60" viewBox="0 0 30 15"', (60, 30)), ('width="50%" height="100%" viewBox="0,0,30,15"', (15, 15)),
    ("", (100, 100)), ('width="10.2pt" height="3mm"', (14, 12)),
])
def test_size_from_the_root_element(tmp_path: Path, attrs: str, size: tuple[int, int]) -> None:
    assert svg.size_of(write(tmp_path, f'<svg xmlns="http://www.w3.org/2000/svg" {attrs}/>')) == size


def test_a_huge_declared_size_is_drawn_within_the_pixel_limit(tmp_path: Path) -> None:
    # resvg alone would try to allocate 40 GB and abort the whole process
    path = write(tmp_path, '<svg xmlns="http://www.w3.org/2000/svg" width="100000" height="100000">'
                           '<rect width="100000" height="100000" fill="#00ff00"/></svg>')
    img = svg.rasterise(path, max_pixels=10_000)
    assert img.width * img.height <= 10_000 and img.getpixel((0, 0)) == (0, 255, 0, 255)


@pytest.mark.parametrize("text", ["<svg xmlns='http://www.w3.org/2000/svg'><rect", "<svg width='0' height='5'/>",
                                  '<?xml version="1.0"?><!DOCTYPE svg [<!ENTITY x "y">]><svg>&x;</svg>'])
def test_broken_svgs_are_invalid_media(tmp_path: Path, text: str) -> None:
    with pytest.raises(InvalidMedia):
        svg.rasterise(write(tmp_path, text), max_pixels=10_000)


class _Recorder(http.server.BaseHTTPRequestHandler):
    hits: list[str] = []

    def do_GET(self) -> None:  # noqa: N802 (http.server's name)
        self.hits.append(self.path)
        body = (Path(self.server.blue)).read_bytes()  # type: ignore[attr-defined]
        self.send_response(200)
        self.send_header("Content-Type", "image/png")
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args: object) -> None:
        pass


@pytest.fixture
def blue_server(tmp_path: Path) -> Iterator[tuple[str, Path]]:
    """A real local HTTP server that answers a blue PNG and records every request."""
    blue = tmp_path / "blue.png"
    Image.new("RGB", (8, 8), (0, 0, 255)).save(blue)
    server = http.server.HTTPServer(("127.0.0.1", 0), _Recorder)
    server.blue = blue  # type: ignore[attr-defined]
    _Recorder.hits = []
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{server.server_address[1]}/logo.png", blue
    server.shutdown()


def test_external_images_are_never_fetched_nor_read(tmp_path: Path, blue_server: tuple[str, Path],
                                                    monkeypatch: pytest.MonkeyPatch) -> None:
    """Issue 17 item 5: an http URL, a file:// URL, an absolute and a relative path all render as absent.

    resvg itself reads a plain path (absolute, or relative to the working
    folder): without media.svg removing those links the blue file shows.
    """
    url, blue = blue_server
    monkeypatch.chdir(tmp_path)
    for href in (url, blue.as_uri(), str(blue), "blue.png", f" {blue}"):
        for attr in ("href", "xlink:href"):
            path = write(tmp_path, '<svg xmlns="http://www.w3.org/2000/svg" xmlns:xlink="http://www.w3.org/1999/xlink"'
                                   ' width="8" height="8"><rect width="8" height="8" fill="#ffffff"/>'
                                   f'<image {attr}="{href}" width="8" height="8"/></svg>')
            assert svg.rasterise(path, max_pixels=10_000).getpixel((4, 4)) == (255, 255, 255, 255), href
    assert _Recorder.hits == []


def test_embedded_raster_images_and_internal_links_are_kept(tmp_path: Path) -> None:
    data = "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAIAAACQd1PeAAAADElEQVR4nGNgYPgPAAEDAQAIicLsAAAAAElFTkSuQmCC"
    path = write(tmp_path, '<svg xmlns="http://www.w3.org/2000/svg" width="8" height="8">'
                           '<defs><rect id="r" width="4" height="8" fill="#00ff00"/></defs>'
                           f'<image href="data:image/png;base64,{data}" x="4" width="4" height="8"/>'
                           '<use href="#r"/></svg>')
    img = svg.rasterise(path, max_pixels=10_000)
    assert img.getpixel((1, 4)) == (0, 255, 0, 255) and img.getpixel((6, 4))[:3] != (0, 255, 0)
    assert img.getpixel((6, 4))[3] == 255


def test_text_uses_the_shipped_fonts(tmp_path: Path) -> None:
    path = write(tmp_path, '<svg xmlns="http://www.w3.org/2000/svg" width="80" height="30">'
                           '<text x="2" y="24" font-size="24" fill="#000">Hola</text></svg>')
    assert svg.rasterise(path, max_pixels=10_000).getchannel("A").getbbox() is not None


def test_images_open_and_probe_an_svg(tmp_path: Path) -> None:
    path = write(tmp_path, RED_BOX)
    assert svg.is_svg(path) and not svg.is_svg(write(tmp_path, "hello", "x.txt"))
    assert images.probe(path, max_pixels=10) == images.ImageInfo("SVG", 40, 20)  # a vector: no limit to declare
    with images.open_image(path, max_pixels=10_000, svg_box=(80, 80)) as img:
        assert (img.format, img.size) == ("SVG", (80, 40))
    with pytest.raises(LimitExceeded):
        images.check_output(40, 20, images.FORMATS["png"], 10)
