"""The model listing behind GET /v1/models is kept until the model store changes (issue 18 item 2).

Real files, the real manifest and the real download cache (silero-vad is copied from it, no network).
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest

from noxus_local.config import load_config
from noxus_local.generate.llm.models import text_models
from noxus_local.inference.registry import manifest
from noxus_local.inference.registry.installed import ModelRegistry, cached_list
from noxus_local.inference.registry.store_stamp import changed


def states(listed: list) -> dict[str, str]:
    return {s.spec.id: s.state for s in listed}


@pytest.fixture
def cfg(tmp_path: Path):
    return load_config(None, {"NOXUS_DATA_DIR": str(tmp_path / "data")})


def test_an_unchanged_store_answers_the_same_listing_and_a_fetch_or_a_file_removed_renews_it(cfg):
    first = cached_list(cfg)
    assert cached_list(cfg) is first  # nothing changed: no second parse of the manifest
    assert states(first) == states(ModelRegistry.from_config(cfg).list_models())
    assert states(first)["silero-vad"] == "missing"

    ModelRegistry.from_config(cfg).fetch(["silero-vad"])  # through the registry: from the shared cache
    after_fetch = cached_list(cfg)
    assert after_fetch is not first and states(after_fetch)["silero-vad"] == "installed"
    assert cached_list(cfg) is after_fetch

    installed = next(p for p in (cfg.data_dir / "models" / "silero-vad").iterdir())
    installed.unlink()  # by hand, as an operator might: the model folder's mtime changed
    assert states(cached_list(cfg))["silero-vad"] == "missing"


def test_a_change_in_another_process_is_seen_through_the_models_dir_mtime(cfg):
    folder = cfg.data_dir / "models"
    folder.mkdir(parents=True)
    first = cached_list(cfg)
    old = folder.stat().st_mtime_ns
    os.utime(folder, ns=(old + 5_000_000_000, old + 5_000_000_000))  # what `changed` does in the CLI's process
    assert cached_list(cfg) is not first
    again = cached_list(cfg)
    changed(folder)  # this process's own fetch/add/remove: also its counter, whatever the clock's tick
    assert cached_list(cfg) is not again


def test_another_manifest_is_another_listing(cfg, tmp_path, monkeypatch):
    shipped = manifest.manifest_path()
    assert shipped is not None
    first = cached_list(cfg)
    mine = tmp_path / "manifest.toml"
    shutil.copyfile(shipped, mine)
    monkeypatch.setattr(manifest, "manifest_path", lambda: mine)
    copied = cached_list(cfg)
    assert copied is not first and states(copied) == states(first)
    text = mine.read_text()
    first_entry = text.index("\n[[models]]\n")
    mine.write_text(text[:text.index("\n[[models]]\n", first_entry + 1)] + "\n")  # one entry: size and mtime change
    assert len(cached_list(cfg)) == 1


def test_v1_models_names_follow_the_store(cfg):
    models = text_models(cfg)
    assert models.names() == [cfg.llm.model]  # nothing installed: the configured one
    assert models.names() == [cfg.llm.model]
