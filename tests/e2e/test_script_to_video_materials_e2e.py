"""script-to-video gives each scene the material that shows its subject (issue 20 item 3a), through the server.

Four real photos (scikit-image's coffee, chelsea the cat, a rocket launch, a motorcycle — CC0 / public
domain, out of the scikit-image wheel through the registry as tests/unit/test_tags.py does) are uploaded
with meaningless names (IMG_0001.jpg…, the motorcycle as a short video VID_0002.mp4) in an order that
does not match the Spanish script. Which picture each scene shows is decided from the rendered MP4
alone: PyAV decodes the scene's middle frame and its colour histogram is compared with each photo's
(not our timeline.json read back). A second job with the same files reads the analysis from the
account's cache instead of analysing again.
"""

from __future__ import annotations

import os
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import av
import numpy as np
import pytest
from PIL import Image

from noxus_local.inference.registry.installed import ModelRegistry
from noxus_local.inference.registry.manifest import default_cache_dir
from noxus_local.media.ffmpeg import run_ffmpeg
from noxus_local.runtime.cancel import CancelToken
from tests.e2e.conftest import Server, SharedServer, accounts_config, start_module_server
from tests.unit.test_material_matching import PHOTOS

S2V = "/api/v1/tools/script-to-video"
MODELS = ("kokoro-82m", "kokoro-voice-ef-dora", "efficientnet-lite0", "ppocr-v6-tiny")
CONFIG = """
[inference]
prefer_gpu = false
[tiers.free]
requests_per_minute = 0
jobs_per_hour = 0
concurrent_jobs = 2
"""
# one subject a scene: each sentence is long enough (≥ 5 s of speech) to be a scene alone
SCRIPT = ("Un gato atigrado duerme tranquilo al sol de la tarde junto a la ventana de casa. "
          "Una taza de café caliente espera sobre la mesa de la cocina cada mañana temprano. "
          "Un cohete enorme despega hacia el espacio entre nubes de humo y fuego brillante. "
          "Una moto roja espera aparcada en la calle, lista para un largo viaje por carretera.")
SUBJECTS = ["chelsea.png", "coffee.png", "rocket.jpg", "motorcycle_left.png"]  # the script's order
GIVEN = ["rocket.jpg", "motorcycle_left.png", "coffee.png", "chelsea.png"]  # the materials' order: none in place


@pytest.fixture(scope="module")
def shared(tmp_path_factory: pytest.TempPathFactory) -> Iterator[SharedServer]:
    toml, keys = accounts_config(2)
    server = start_module_server(tmp_path_factory, "s2v-mat", CONFIG + toml, models=MODELS)
    yield SharedServer(server, keys)
    server.stop()


@pytest.fixture
def srv(shared: SharedServer) -> Server:
    return shared.view()


@pytest.fixture(scope="module")
def photos(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("photos")
    ModelRegistry(folder, [PHOTOS], default_cache_dir(os.environ)).fetch([PHOTOS.id])
    return folder / PHOTOS.id


def upload(srv: Server, data: bytes, name: str) -> str:
    r = srv.post("/api/v1/assets", key=srv.key, files={"file": (name, data)})
    assert r.status_code == 201, r.text
    return str(r.json()["assetId"])


def render(srv: Server, body: dict[str, Any], timeout: float = 400) -> dict[str, Any]:
    r = srv.post(S2V, key=srv.key, json=body, headers={"Prefer": "respond-async"})
    assert r.status_code == 202, r.text
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        job = srv.get(f"/api/v1/jobs/{r.json()['job_id']}", key=srv.key).json()
        if job["status"] in ("succeeded", "failed", "cancelled"):
            assert job["status"] == "succeeded", job
            return dict(job)
        time.sleep(0.25)
    raise AssertionError("the job did not end")


def histogram(rgb: np.ndarray) -> np.ndarray:
    """A normalised 8×8×8 colour histogram: what a picture shows, whatever its crop and zoom."""
    bins = (rgb.reshape(-1, 3) // 32).astype(np.int64)
    counts = np.bincount(bins[:, 0] * 64 + bins[:, 1] * 8 + bins[:, 2], minlength=512).astype(float)
    return counts / counts.sum()


def middle_frames(mp4: Path, times: list[float]) -> list[np.ndarray]:
    found: list[np.ndarray | None] = [None] * len(times)
    with av.open(str(mp4)) as c:
        for frame in c.decode(video=0):
            t = float(frame.pts * frame.time_base)
            for i, want in enumerate(times):
                if found[i] is None and t >= want:
                    found[i] = frame.to_ndarray(format="rgb24")
    assert all(f is not None for f in found)
    return [f for f in found if f is not None]


def shown(frame: np.ndarray, photos: Path) -> str:
    """The photo whose centre square's colours are nearest the frame's (L1 between histograms)."""
    seen = histogram(frame)
    distances = {}
    for name in SUBJECTS:
        img = Image.open(photos / name).convert("RGB")
        side = min(img.size)
        left, top = (img.width - side) // 2, (img.height - side) // 2
        distances[name] = float(np.abs(histogram(np.asarray(img.crop((left, top, left + side, top + side))))
                                       - seen).sum())
    return min(distances, key=lambda n: distances[n])


def test_each_scene_shows_the_material_of_its_subject_whatever_the_order_and_names(srv, photos, tmp_path):
    clip = tmp_path / "VID_0002.mp4"  # the motorcycle as a 4 s video: matched by its keyframes
    run_ffmpeg(["-loop", "1", "-t", "4", "-i", str(photos / "motorcycle_left.png"), "-vf",
                "scale=640:-2,format=yuv420p", "-r", "10", "-c:v", "libx264", "-preset", "ultrafast", str(clip)],
               CancelToken())
    ids = []
    for n, name in enumerate(GIVEN, start=1):
        data, filename = (clip.read_bytes(), clip.name) if name == "motorcycle_left.png" else \
            ((photos / name).read_bytes(), f"IMG_000{n}{Path(name).suffix}")
        ids.append(upload(srv, data, filename))
    body = render(srv, {"script": SCRIPT, "aspect_ratio": "1:1", "materials": ids, "planner": "sentences",
                        "caption_style": "none", "transition": "cut"})
    res = body["result"]
    assert len(res["scenes"]) == 4, [s["text"] for s in res["scenes"]]
    mp4 = tmp_path / "video.mp4"
    url = next(o["url"] for o in body["outputs"] if o["name"] == "video")
    mp4.write_bytes(srv.get(url).content)
    frames = middle_frames(mp4, [(s["start"] + s["end"]) / 2 for s in res["scenes"]])
    assert [shown(f, photos) for f in frames] == SUBJECTS  # judged from the pixels alone
    for scene in res["scenes"]:
        match = scene["visual"]["match"]
        assert match["by"] == "content" and match["terms"], scene["visual"]
    assert res["cache"]["analysis"] == {"made": 4, "reused": 0}
    assert not [w for w in res["warnings"] if "analysis" in w]

    again = render(srv, {"script": SCRIPT, "aspect_ratio": "1:1", "materials": ids[::-1], "planner": "sentences",
                         "caption_style": "none", "transition": "cut"})["result"]
    assert again["cache"]["analysis"] == {"made": 0, "reused": 4}  # the same files: not analysed again
    assert [s["visual"]["match"]["found"] for s in again["scenes"]] == \
        [s["visual"]["match"]["found"] for s in res["scenes"]]
