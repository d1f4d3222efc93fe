"""GET /api/v1/music on the real server (issue 20, item 7): the bundled tracks by mood, each with a signed
preview that plays without the key and expires; an unknown mood lists the moods. The preview is decoded
by ffmpeg to PCM and its length compared with the listed duration."""

from __future__ import annotations

import subprocess
import time
import wave
from collections.abc import Iterator
from pathlib import Path

import imageio_ffmpeg
import pytest

from noxus_local.assets.files import FileStore, load_secret
from tests.e2e.conftest import Server, start_module_server

MOODS = ["calm", "energetic", "happy", "nostalgic", "tender"]


@pytest.fixture(scope="module")
def srv(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    server = start_module_server(tmp_path_factory, "music", models=("music-immich-memories",))
    yield server
    server.stop()


def test_the_list_names_every_track_with_mood_duration_and_a_preview(srv: Server) -> None:
    r = srv.get("/api/v1/music", key=srv.key)
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["success"] is True and body["moods"] == MOODS and len(body["tracks"]) == 28
    first = body["tracks"][0]
    assert set(first) == {"id", "mood", "title", "duration", "mime_type", "license", "credit", "preview_url"}
    assert (first["id"], first["mood"], first["title"]) == ("calm_acoustic_1", "calm", "Calm acoustic 1")
    assert first["license"] == "MIT" and first["mime_type"] == "audio/ogg" and 25 < first["duration"] < 40
    assert first["preview_url"].startswith("/api/v1/music/calm_acoustic_1/preview?expires=")
    assert "X-RateLimit-Limit" in r.headers


def test_a_mood_filters_and_an_unknown_one_lists_the_moods(srv: Server) -> None:
    happy = srv.get("/api/v1/music", key=srv.key, params={"mood": "happy"}).json()["tracks"]
    assert len(happy) == 6 and {t["mood"] for t in happy} == {"happy"}
    r = srv.get("/api/v1/music", key=srv.key, params={"mood": "sad"})
    assert r.status_code == 400 and r.json()["error_code"] == "validation_error"
    assert r.json()["details"]["field_errors"]["mood"] == [f"uno de: {', '.join(MOODS)}"]


def test_the_list_needs_a_key(srv: Server) -> None:
    r = srv.get("/api/v1/music")
    assert r.status_code == 401 and r.json()["error_code"] == "missing_api_key"


def test_the_preview_plays_without_a_key_for_the_listed_duration(srv: Server, tmp_path: Path) -> None:
    track = srv.get("/api/v1/music", key=srv.key, params={"mood": "tender"}).json()["tracks"][0]
    r = srv.get(track["preview_url"])
    assert r.status_code == 200 and r.headers["content-type"].startswith("audio/ogg")
    (tmp_path / "track.opus").write_bytes(r.content)
    subprocess.run([imageio_ffmpeg.get_ffmpeg_exe(), "-v", "error", "-i", str(tmp_path / "track.opus"),
                    "-ac", "1", "-ar", "48000", "-c:a", "pcm_s16le", str(tmp_path / "track.wav")], check=True)
    with wave.open(str(tmp_path / "track.wav")) as decoded:
        seconds = decoded.getnframes() / decoded.getframerate()
    assert abs(seconds - track["duration"]) < 0.1, (seconds, track["duration"])


def test_a_preview_with_a_wrong_or_expired_signature_is_not_found(srv: Server) -> None:
    track = srv.get("/api/v1/music", key=srv.key).json()["tracks"][3]
    url, other = track["preview_url"], "calm_acoustic_1"
    path, query = url.split("?")
    tampered = url[:-1] + ("0" if url[-1] != "0" else "1")
    assert srv.get(tampered).status_code == 404
    assert srv.get(url.replace(track["id"], other)).status_code == 404  # signed for another track
    signer = FileStore(srv.data_dir, load_secret(srv.data_dir, ""))
    expired = signer.signed_url("music-preview", track["id"], -10).split("?")[1]
    r = srv.get(f"{path}?{expired}")
    assert r.status_code == 404 and r.json()["details"]["reason"] == "invalid_or_expired_signature"
    assert srv.get(f"{path}?expires=abc&sig=zz").status_code == 400
    assert time.time() < int(query.split("&")[0].removeprefix("expires=")) and srv.get(url).status_code == 200


def test_without_the_library_the_list_says_how_to_install_it(server: Server) -> None:
    """A server whose data dir has no music (``server``: a fresh one, nothing fetched)."""
    r = server.get("/api/v1/music", key=server.key)
    assert r.status_code == 503 and r.json()["error_code"] == "tool_unavailable"
    assert r.json()["details"]["install"] == "noxus-local models fetch music-immich-memories"
