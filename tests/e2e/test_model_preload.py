"""``[inference] preload`` through the real server: models load at start; an unknown id stops the start."""

from __future__ import annotations

import json
import time

import pytest


def log_lines(server) -> list[dict]:
    path = server.data_dir.parent / f"{server.data_dir.name}.log"
    return [json.loads(line) for line in path.read_text().splitlines() if line.startswith("{")]


def test_a_preloaded_model_is_loaded_before_the_first_job(make_server):
    server = make_server('[inference]\npreload = ["silero-vad"]\nprefer_gpu = false\n', start=False)
    fetched = server.cli("models", "fetch", "silero-vad")  # from the shared download cache
    assert fetched.returncode == 0, fetched.stderr
    server.start()
    deadline = time.monotonic() + 10
    while not any(line["message"].startswith("model silero-vad loaded in") for line in log_lines(server)):
        assert time.monotonic() < deadline, log_lines(server)
        time.sleep(0.1)


def test_a_missing_preloaded_model_is_a_warning_naming_the_fetch_command(make_server):
    server = make_server('[inference]\npreload = ["silero-vad"]\nprefer_gpu = false\n')
    assert server.get("/api/v1/health").status_code == 200  # still serves
    warnings = [line["message"] for line in log_lines(server) if line["level"] == "WARNING"]
    assert any("noxus-local models fetch silero-vad" in w for w in warnings), warnings


@pytest.mark.parametrize("command", ["serve", "worker"])
def test_an_unknown_preload_id_stops_the_start_with_a_config_error(make_server, command):
    server = make_server('[inference]\npreload = ["whisper-huge"]\n', start=False)
    done = server.cli(command)
    assert done.returncode == 2
    assert "config error: inference.preload: unknown model 'whisper-huge'" in done.stderr
