"""Another Whisper size added by the admin: ``models add <id> --kind speech-recognition --dir <folder>``.

No offline package ships Whisper small or larger, so the tests play the admin
with the whisper-tiny-en folder the registry installs (from the warm download
cache) in a second data dir: added as ``whisper-custom`` through the real CLI,
it is listed, hashed, offered to the ``model`` option and transcribes
espeak-ng's English for real with ctranslate2.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from noxus_local.cli.main import main
from noxus_local.config import Config, load_config
from noxus_local.inference.models.whisper import WhisperModel, installed_models
from noxus_local.inference.registry.installed import ModelRegistry
from noxus_local.inference.registry.local import LOCAL_FILE, LocalModelError, add_local_model, load_local
from noxus_local.inference.registry.manifest import models_dir
from noxus_local.speech.asr import transcribe
from noxus_local.speech.espeak_process import speak_wav
from noxus_local.speech.wer import wer
from noxus_local.tools.auto_subtitles import check_speech_model


@pytest.fixture(scope="module")
def tiny_folder(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The admin's ctranslate2 Whisper folder: whisper-tiny-en as the registry installs it."""
    source = tmp_path_factory.mktemp("source")
    cfg = load_config(None, {"NOXUS_DATA_DIR": str(source / "data"), "NOXUS_INFERENCE_PREFER_GPU": "false"})
    ModelRegistry.from_config(cfg).fetch(["whisper-tiny-en", "silero-vad"])
    return models_dir(cfg)


@pytest.fixture
def cfg(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, tiny_folder: Path) -> Config:
    env = {"NOXUS_DATA_DIR": str(tmp_path / "data"), "NOXUS_INFERENCE_PREFER_GPU": "false",
           "NOXUS_INFERENCE_THREADS": "1"}
    for key, value in env.items():
        monkeypatch.setenv(key, value)
    (tmp_path / "cfg.toml").write_text("")
    config = load_config(None, env)
    # transcription needs Silero VAD next to the model: the manifest's, copied from the source data dir
    shutil.copytree(tiny_folder / "silero-vad", models_dir(config) / "silero-vad")
    return config


def models_cli(cfg: Config, *args: str) -> int:
    return main(["models", *args, "--config", str(cfg.data_dir.parent / "cfg.toml")])


def test_an_added_whisper_folder_is_listed_offered_and_transcribes(cfg: Config, tiny_folder: Path, tmp_path: Path,
                                                                  capsys: pytest.CaptureFixture[str]) -> None:
    folder = tiny_folder / "whisper-tiny-en"
    from noxus_local.runtime.digest import sha256_of

    assert models_cli(cfg, "add", "whisper-custom", "--kind", "speech-recognition", "--dir", str(folder),
                      "--sha256", sha256_of(folder / "model.bin")) == 0
    out = capsys.readouterr().out
    assert "serves speech recognition" in out and "/v1/audio/transcriptions" in out
    spec = load_local(models_dir(cfg))[0]
    assert (spec.id, spec.task) == ("whisper-custom", "speech-recognition")
    assert [f.name for f in spec.files] == ["model.bin", "config.json", "tokenizer.json", "vocabulary.txt"]
    assert all(f.sources == (f"file:{folder.resolve() / f.name}",) for f in spec.files)
    assert models_cli(cfg, "list") == 0
    assert "whisper-custom" in capsys.readouterr().out
    assert models_cli(cfg, "verify", "whisper-custom") == 0
    assert installed_models(cfg) == ["whisper-custom"]
    check_speech_model("whisper-custom", cfg, "en")  # the `model` option accepts it
    wav = tmp_path / "x.wav"
    # espeak-ng at its default 175 words a minute is too fast for tiny ("The low world…"); 130 it hears
    speak_wav("hello world this is a test", "en", wav, rate=130)
    model = WhisperModel.for_id("whisper-custom").from_config(cfg)
    assert model.model_dir == models_dir(cfg) / "whisper-custom"
    heard = transcribe(wav, model=model, language="en").text
    assert wer("hello world this is a test", heard) <= 0.5, heard  # a bound, never exact words (issue 17)
    assert models_cli(cfg, "remove", "whisper-custom") == 0
    assert installed_models(cfg) == [] and not (models_dir(cfg) / "whisper-custom").exists()


def test_a_vocabulary_json_folder_is_accepted_and_loads(cfg: Config, tiny_folder: Path, tmp_path: Path) -> None:
    """Some conversions write vocabulary.json: recorded as such, and the Whisper class does not ask for .txt."""
    import json

    folder = tmp_path / "json-vocab"
    shutil.copytree(tiny_folder / "whisper-tiny-en", folder)
    words = (folder / "vocabulary.txt").read_text(encoding="utf-8").splitlines()
    (folder / "vocabulary.json").write_text(json.dumps(words), encoding="utf-8")
    (folder / "vocabulary.txt").unlink()
    spec = add_local_model(models_dir(cfg), "whisper-json", "speech-recognition", folder=folder)
    assert spec.files[-1].name == "vocabulary.json"
    model = WhisperModel.for_id("whisper-json").from_config(cfg)
    assert model.missing_files() == [] and model.tokens.eot > 0 and not model.multilingual
    assert "whisper-json" in installed_models(cfg)


def test_bad_folders_and_the_wrong_option_are_refused_and_nothing_is_installed(
        cfg: Config, tiny_folder: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    good = tiny_folder / "whisper-tiny-en"
    no_bin = tmp_path / "no-bin"
    shutil.copytree(good, no_bin)
    (no_bin / "model.bin").unlink()
    with pytest.raises(LocalModelError, match=r"not a ctranslate2 Whisper folder, model\.bin missing"):
        add_local_model(models_dir(cfg), "w1", "speech-recognition", folder=no_bin)
    garbage = tmp_path / "garbage"
    shutil.copytree(good, garbage)
    (garbage / "model.bin").write_bytes(b"not a ctranslate2 model at all" * 100)
    with pytest.raises(LocalModelError, match="ctranslate2 cannot open it as a Whisper model"):
        add_local_model(models_dir(cfg), "w2", "speech-recognition", folder=garbage)
    with pytest.raises(LocalModelError, match="--dir, not --file"):
        add_local_model(models_dir(cfg), "w3", "speech-recognition", good / "model.bin")
    with pytest.raises(LocalModelError, match="--dir is for speech-recognition"):
        add_local_model(models_dir(cfg), "w4", "object-detector", folder=good)
    no_tokens = tmp_path / "no-tokens"
    shutil.copytree(good, no_tokens)
    text = (no_tokens / "tokenizer.json").read_text(encoding="utf-8")
    (no_tokens / "tokenizer.json").write_text(text.replace("<|notimestamps|>", "<|nothing|>"), encoding="utf-8")
    with pytest.raises(LocalModelError, match=r"lacks <\|notimestamps\|>"):
        add_local_model(models_dir(cfg), "w5", "speech-recognition", folder=no_tokens)
    # the CLI: one line, exit 1 like every other `models add` error
    assert models_cli(cfg, "add", "w6", "--kind", "speech-recognition", "--file", str(good / "model.bin")) == 1
    assert "--dir, not --file" in capsys.readouterr().err
    assert models_cli(cfg, "add", "w7", "--kind", "speech-recognition") == 1
    assert "needs --dir" in capsys.readouterr().err
    assert models_cli(cfg, "add", "w8", "--kind", "speech-recognition", "--dir", str(good),
                      "--sha256", "0" * 64) == 1
    assert "instead of the expected" in capsys.readouterr().err
    assert models_cli(cfg, "add", "whisper-base", "--kind", "speech-recognition", "--dir", str(good)) == 1
    assert "models/manifest.toml" in capsys.readouterr().err
    assert not (models_dir(cfg) / LOCAL_FILE).exists()
    assert sorted(p.name for p in models_dir(cfg).iterdir()) == ["silero-vad"]
