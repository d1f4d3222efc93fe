"""``objects`` and ``embedding`` over HTTP once a model is added (issue 9 §2): the real server, CLI and queue.

The tiny graphs of ``tests/unit/test_local_models.py`` are added with the real
``noxus-local models add`` into the running server's data dir; the next batch
uses them, with no restart.
"""

from __future__ import annotations

import base64
import io
import json
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from tests.e2e.conftest import Server, start_module_server
from tests.e2e.test_analysis_images import IMAGES, wait_batch
from tests.unit.test_local_models import expected_embedding, tiny_detector, tiny_encoder


@pytest.fixture(scope="module")
def srv(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    server = start_module_server(tmp_path_factory, "local-models")
    yield server
    server.stop()


def b64(colour: tuple[int, int, int], size: tuple[int, int] = (256, 128)) -> str:
    buf = io.BytesIO()
    Image.new("RGB", size, colour).save(buf, "PNG")
    return base64.b64encode(buf.getvalue()).decode()


def batch(srv: Server, features: list[str]) -> list[dict]:  # type: ignore[type-arg]
    r = srv.post(IMAGES, key=srv.key, json={"features": features, "images": [
        {"id": "white", "data_base64": b64((255, 255, 255))}, {"id": "red", "data_base64": b64((250, 10, 10))}]})
    assert r.status_code == 202, r.text
    body = wait_batch(srv, r.json()["job_id"])
    assert body["status"] == "finished", body
    return list(body["items"])


def test_objects_and_embedding_answer_once_their_models_are_added(srv: Server, tmp_path: Path) -> None:
    before = batch(srv, ["objects", "embedding"])
    assert before[0]["result"]["objects"]["unavailable"] is True
    assert before[0]["result"]["embedding"]["install"].startswith("noxus-local models add ")
    for args in (("det", "--kind", "object-detector", "--file", str(tiny_detector(tmp_path / "d.onnx"))),
                 ("enc", "--kind", "image-embedding", "--file", str(tiny_encoder(tmp_path / "e.onnx")))):
        done = srv.cli("models", "add", *args)
        assert done.returncode == 0, done.stderr
    listing = srv.cli("models", "list", "--json")
    assert {m["id"] for m in json.loads(listing.stdout)} >= {"det", "enc"}
    white, red = batch(srv, ["objects", "embedding"])
    assert white["status"] == red["status"] == "finished"
    assert white["result"]["objects"] == [{"label": "cat", "score": 0.9, "box": [64, 32, 128, 64]},
                                          {"label": "dog", "score": 0.7, "box": [64, 32, 128, 64]},
                                          {"label": "dog", "score": 0.5, "box": [208, 80, 32, 32]}]
    vector = red["result"]["embedding"]
    assert (vector["dim"], vector["model"]) == (8, "enc")
    assert np.array(vector["vector"]) == pytest.approx(expected_embedding((250, 10, 10)), abs=1e-4)
    doctor = srv.cli("doctor")
    assert "model det" in doctor.stdout and "model enc" in doctor.stdout, doctor.stdout
