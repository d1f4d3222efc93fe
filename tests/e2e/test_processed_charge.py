"""The charge is what was processed, not what a header claims (issue 17, item 3).

A 2 s MKV whose Duration element says 110 s was charged 110 s by auto-subtitles and by
video analysis. The hold may still come from the probe (nothing else is known before the
work), but the charge now comes from what was decoded, and the result warns of the lie.
The file's claim is checked with PyAV and ``ffmpeg -i``, not with our own probe.
"""

from __future__ import annotations

import struct
import subprocess
from collections.abc import Iterator
from decimal import Decimal
from pathlib import Path
from typing import Any

import av
import imageio_ffmpeg
import msgspec
import pytest

from noxus_local.api.openai_schemas import OpenAiTranscription
from noxus_local.money import Price, format_usd
from noxus_local.tools.auto_subtitles import UNIT_FACTORS
from noxus_local.tools.catalog import Catalog
from tests.e2e.conftest import Server, start_module_server, wait_analysis

DURATION_ID = b"\x44\x89\x88"  # EBML Duration, an 8-byte float, in the timecode scale's units (ms)
CLAIMED_S = 110.0
REAL_S = 2.0


@pytest.fixture(scope="module")
def srv(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    server = start_module_server(tmp_path_factory, "processed-charge", """
        [tiers.free]
        requests_per_minute = 0
        concurrent_jobs = 4
        """, models=("silero-vad", "whisper-base"))
    yield server
    server.stop()


@pytest.fixture(scope="module")
def liar(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """2 s of picture and tone in an MKV whose Segment Info says it lasts 110 s."""
    return mkv_claiming(tmp_path_factory.mktemp("liar"), "liar", REAL_S, CLAIMED_S)


def mkv_claiming(d: Path, name: str, real: float, claimed: float) -> Path:
    """``real`` seconds of picture and tone (``d/honest-<name>.mkv``, an honest file) and the same
    bytes with the EBML Duration patched to ``claimed`` seconds (``d/<name>.mkv``)."""
    honest = d / ("honest.mkv" if name == "liar" else f"honest-{name}.mkv")
    subprocess.run([imageio_ffmpeg.get_ffmpeg_exe(), "-y", "-v", "error",
                    "-f", "lavfi", "-i", "color=c=0x303030:s=160x120:r=25",
                    "-f", "lavfi", "-i", "sine=f=300:sample_rate=16000", "-t", str(real),
                    "-c:v", "libx264", "-preset", "ultrafast", "-c:a", "libopus", str(honest)],
                   check=True, timeout=60)
    data = bytearray(honest.read_bytes())
    at = data.find(DURATION_ID) + len(DURATION_ID)
    assert at > len(DURATION_ID) and abs(struct.unpack(">d", data[at:at + 8])[0] - real * 1000) < 100
    data[at:at + 8] = struct.pack(">d", claimed * 1000)
    path = d / f"{name}.mkv"
    path.write_bytes(data)
    return path


def test_the_file_really_lies(liar: Path) -> None:
    """Independent readers: the header claims 110 s, the frames last 2 s."""
    with av.open(str(liar)) as container:
        assert container.duration / 1_000_000 == pytest.approx(CLAIMED_S)
        times = [float(f.time) for f in container.decode(video=0)]
    assert len(times) == 50 and times[-1] == pytest.approx(1.96)
    told = subprocess.run([imageio_ffmpeg.get_ffmpeg_exe(), "-i", str(liar)], capture_output=True, text=True)
    assert "Duration: 00:01:50.00" in told.stderr


def price(slug: str) -> Price:
    return Catalog.default(diagnostics=True).default_prices()[slug]


def charged_and_spent(srv: Server, body: dict[str, Any], before: Decimal) -> Decimal:
    """The job's charge, checked against the balance that moved."""
    charged = Decimal(body["billing"]["charged_usd"])
    balance = srv.get("/api/v1/balance", key=srv.key).json()["balance"]
    assert Decimal(balance["balance_usd"]) == before - charged
    assert balance["available_usd"] == balance["balance_usd"]  # nothing left held
    return charged


def balance(srv: Server) -> Decimal:
    return Decimal(srv.get("/api/v1/balance", key=srv.key).json()["balance"]["balance_usd"])


def mismatch(result: dict[str, Any]) -> dict[str, Any]:
    [warning] = [w for w in result.get("warnings") or [] if w["code"] == "duration_mismatch"]
    assert warning["probed_seconds"] == CLAIMED_S
    assert abs(warning["decoded_seconds"] - REAL_S) < 0.1
    assert "110.00" in warning["message"] and "2.0" in warning["message"]
    return warning


@pytest.mark.parametrize("burn", ["true", "false"])
def test_auto_subtitles_charges_the_seconds_it_heard(srv: Server, liar: Path, burn: str) -> None:
    before = balance(srv)
    with liar.open("rb") as f:
        r = srv.post("/api/v1/tools/auto-subtitles", key=srv.key, files={"video": ("liar.mkv", f)},
                     data={"burn": burn, "language": "en"}, timeout=300)
    assert r.status_code == 200, r.text
    body = r.json()
    factor = UNIT_FACTORS["burn" if burn == "true" else "no_burn"]
    held = price("auto-subtitles").cost(CLAIMED_S * factor)
    assert Decimal(body["billing"]["estimated_usd"]) == Decimal(format_usd(held))  # the hold: the header's
    charged = charged_and_spent(srv, body, before)
    assert charged < Decimal(format_usd(held)) / 10, f"charged {charged} USD for 2 s, held {format_usd(held)}"
    assert charged == Decimal(format_usd(price("auto-subtitles").cost(mismatch(body["result"])["decoded_seconds"]
                                                                      * factor)))
    assert body["result"]["duration"] == pytest.approx(REAL_S, abs=0.05)


def test_openai_transcription_charges_the_seconds_it_heard(srv: Server, liar: Path) -> None:
    before = balance(srv)
    with liar.open("rb") as f:
        r = srv.post("/v1/audio/transcriptions", key=srv.key, files={"file": ("liar.mkv", f)},
                     data={"model": "whisper-1", "response_format": "verbose_json"}, timeout=300)
    assert r.status_code == 200, r.text
    job = srv.get(f"/api/v1/jobs/{r.headers['X-Job-Id']}", key=srv.key).json()
    charged = charged_and_spent(srv, job, before)
    assert charged < Decimal(job["billing"]["estimated_usd"]) / 10, f"charged {charged} USD for 2 s"
    decoded = mismatch(job["result"])["decoded_seconds"]
    assert charged == Decimal(format_usd(price("auto-subtitles").cost(decoded * UNIT_FACTORS["no_burn"])))


def test_video_analysis_charges_the_seconds_it_scanned(srv: Server, liar: Path) -> None:
    before = balance(srv)
    r = srv.post("/api/v1/analysis/video", key=srv.key, content=liar.read_bytes(),
                 headers={"Content-Type": "video/x-matroska"})
    assert r.status_code == 202, r.text
    job_id = r.json()["job_id"]
    view = wait_analysis(srv, f"/api/v1/analysis/video/{job_id}", timeout=120)
    assert view["status"] == "finished", view
    job = srv.get(f"/api/v1/jobs/{job_id}", key=srv.key).json()
    assert Decimal(job["billing"]["estimated_usd"]) == Decimal(format_usd(price("video-analyze").cost(CLAIMED_S)))
    charged = charged_and_spent(srv, job, before)
    assert charged < Decimal(job["billing"]["estimated_usd"]) / 10, f"charged {charged} USD for 2 s"
    decoded = mismatch(view["result"])["decoded_seconds"]
    assert charged == Decimal(format_usd(price("video-analyze").cost(decoded)))
    assert max(s["end"] for s in view["result"]["scenes"]) <= REAL_S + 0.1


def test_an_honest_file_is_charged_its_probed_seconds_without_warning(srv: Server, liar: Path) -> None:
    honest = liar.with_name("honest.mkv")
    before = balance(srv)
    with honest.open("rb") as f:
        r = srv.post("/api/v1/tools/video-analyze", key=srv.key, files={"video": ("honest.mkv", f)}, timeout=120)
    assert r.status_code == 200, r.text
    body = r.json()
    assert "warnings" not in body["result"]
    assert charged_and_spent(srv, body, before) == Decimal(body["billing"]["estimated_usd"])


@pytest.fixture(scope="module")
def understated(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """20 s of picture and tone in an MKV whose Segment Info says it lasts 2 s: the other lie."""
    path = mkv_claiming(tmp_path_factory.mktemp("understated"), "understated", 20.0, REAL_S)
    with av.open(str(path)) as container:
        assert container.duration / 1_000_000 == pytest.approx(REAL_S)
        assert sum(1 for _ in container.decode(video=0)) == 500  # the frames really last 20 s
    return path


def truncation(result: dict[str, Any]) -> dict[str, Any]:
    [warning] = [w for w in result.get("warnings") or [] if w["code"] == "content_truncated"]
    assert warning["probed_seconds"] == REAL_S and warning["processed_seconds"] == pytest.approx(2.5)
    return warning


def test_content_past_its_header_is_not_processed_for_free(srv: Server, understated: Path,
                                                           tmp_path: Path) -> None:
    """A header that says 2 s over 20 s of content holds (and so charges at most) 2 s: the
    tools decode only what was held, plus the tolerance, and say so."""
    before = balance(srv)
    with understated.open("rb") as f:
        r = srv.post("/api/v1/tools/auto-subtitles", key=srv.key, files={"video": ("u.mkv", f)},
                     data={"burn": "true", "language": "en"}, timeout=300)
    assert r.status_code == 200, r.text
    body = r.json()
    truncation(body["result"])
    charged_and_spent(srv, body, before)
    video = srv.client.get(body["outputs"][0]["url"]) if body.get("outputs") else None
    assert video is not None and video.status_code == 200
    burned = tmp_path / "burned.mp4"
    burned.write_bytes(video.content)
    with av.open(str(burned)) as container:  # an independent reader: the MP4 holds ~2.5 s, not 20
        assert container.duration / 1_000_000 < 3.0

    before = balance(srv)
    with understated.open("rb") as f:
        r = srv.post("/api/v1/tools/video-analyze", key=srv.key, files={"video": ("u.mkv", f)}, timeout=120)
    assert r.status_code == 200, r.text
    body = r.json()
    truncation(body["result"])
    assert charged_and_spent(srv, body, before) <= Decimal(body["billing"]["estimated_usd"])
    assert max(s["end"] for s in body["result"]["scenes"]) <= 2.6


@pytest.mark.parametrize("fmt", ["srt", "verbose_json"])
def test_a_transcription_replayed_by_its_idempotency_key_keeps_its_type_and_one_charge(srv: Server, liar: Path,
                                                                                       fmt: str) -> None:
    """The OpenAI transcription route's replay is the stored answer with its own Content-Type (text/srt, or
    the ``OpenAiTranscription`` Struct's JSON as the route encoded it once), marked replayed, and the job is
    charged once."""
    honest = liar.with_name("honest.mkv")
    headers = {"Idempotency-Key": f"transcribe-once-{fmt}"}
    answers = []
    for _ in range(2):
        before = balance(srv)
        with honest.open("rb") as f:
            answers.append(srv.post("/v1/audio/transcriptions", key=srv.key, files={"file": ("h.mkv", f)},
                                    data={"model": "whisper-1", "response_format": fmt}, headers=headers,
                                    timeout=300))
        spent = before - balance(srv)
    first, again = answers
    assert first.status_code == again.status_code == 200, again.text
    assert again.headers["idempotent-replayed"] == "true" and "idempotent-replayed" not in first.headers
    assert again.content == first.content and again.headers["content-type"] == first.headers["content-type"]
    if fmt == "srt":
        assert first.headers["content-type"].startswith("text/")
    else:  # the Struct as published (a tone: maybe no words), its duration the file's
        typed = msgspec.json.decode(again.content, type=OpenAiTranscription)
        assert first.headers["content-type"] == "application/json" and typed.task == "transcribe"
        assert isinstance(typed.segments, list) and isinstance(typed.duration, float)
        assert abs(typed.duration - REAL_S) < 0.5
    assert spent == 0  # the replay moved no money
