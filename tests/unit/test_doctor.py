"""``noxus-local doctor`` on real data dirs, the real ffmpeg and the real ONNX Runtime (GPU mocked)."""

import hashlib
import json
from pathlib import Path

import onnxruntime as ort
import pytest

from noxus_local.billing import ledger
from noxus_local.cli.main import main
from noxus_local.config import load_config
from noxus_local.inference.engines.providers import add_model, probe, usable_cores
from noxus_local.inference.registry import manifest as registry
from noxus_local.inference.registry.installed import ModelRegistry
from noxus_local.media import fonts
from noxus_local.node.services import prepare
from noxus_local.ops import doctor
from noxus_local.store.db import Database
from noxus_local.store.migrations import MIGRATIONS


@pytest.fixture
def cfg(tmp_path):
    config = load_config(None, {"NOXUS_DATA_DIR": str(tmp_path / "data")})
    prepare(config)
    return config


def by_name(checks: list[doctor.Check]) -> dict[str, doctor.Check]:
    return {c.name: c for c in checks}


def test_a_prepared_data_dir_passes(cfg):
    checks = by_name(doctor.run_checks(cfg, "built-in defaults"))
    assert not [c for c in checks.values() if c.status == doctor.FAIL]
    assert checks["store noxus.db"] == doctor.Check(
        "store noxus.db", "OK", f"integrity ok, schema v{len(MIGRATIONS)} (current)")
    assert checks["ledger"] == doctor.Check("ledger", "OK", "2 balance(s) agree with the ledger")
    assert checks["ffmpeg encode"].status == "OK"
    assert checks["onnxruntime CPUExecutionProvider"].status == "OK"
    assert checks["models"].status == "OK"
    declared = len(ModelRegistry.from_config(cfg).specs)  # every model the manifest lists
    assert checks["models"].detail.startswith(f"{declared} declared, 0 installed")
    assert checks["model whisper-tiny-en"].status == "OK"  # optional: not installed is fine
    assert checks["compute"].status == "OK"
    assert checks["compute"].detail.startswith(f"{usable_cores()} CPU slot(s) (the usable cores), ")
    assert checks["model silero-vad"] == doctor.Check(
        "model silero-vad", "WARN", "not installed; a default model: install it with: "
                                    "noxus-local models fetch --default")


def test_a_data_dir_that_is_a_file_fails(tmp_path):
    (tmp_path / "file").write_text("x")
    cfg = load_config(None, {"NOXUS_DATA_DIR": str(tmp_path / "file")})
    (check,) = doctor.check_data_dir(cfg)
    assert check == doctor.Check("data dir", "FAIL", f"{tmp_path / 'file'} is not a directory")


def test_a_missing_data_dir_is_fine_and_not_created(tmp_path):
    cfg = load_config(None, {"NOXUS_DATA_DIR": str(tmp_path / "new" / "data")})
    (check,) = doctor.check_data_dir(cfg)
    assert check.status == "OK"
    assert not (tmp_path / "new").exists()


def test_a_balance_changed_behind_the_ledger_fails(cfg):
    db = Database(cfg.data_dir / "noxus.db")
    with db.write() as conn:
        ledger.credit(conn, "default", "live", 1_000_000)
        conn.execute("UPDATE balances SET balance_micros = balance_micros + 1 WHERE environment = 'live'")
    db.close()
    (check,) = doctor.check_ledger(cfg)
    assert check == doctor.Check("ledger", "FAIL", "balances differ from the ledger for default/live")


def test_a_store_newer_than_the_code_fails(cfg):
    db = Database(cfg.data_dir / "noxus.db")
    db.conn().execute(f"PRAGMA user_version={len(MIGRATIONS) + 1}")
    db.close()
    (check,) = doctor.check_store(cfg)
    assert check.status == "FAIL"
    assert "newer than this version" in check.detail


def test_models_are_checked_against_the_manifest(cfg, tmp_path, monkeypatch):
    models = cfg.data_dir / "models"
    (models / "good").mkdir(parents=True)
    (models / "good" / "m.onnx").write_bytes(b"weights")
    good, other = hashlib.sha256(b"weights").hexdigest(), hashlib.sha256(b"other").hexdigest()
    manifest = tmp_path / "manifest.toml"
    manifest.write_text(
        f'[[models]]\nid = "good"\n[[models.files]]\nname = "m.onnx"\nsha256 = "{good}"\n'
        'sources = ["https://example.org/m.onnx"]\n'
        f'[[models]]\nid = "absent"\ndefault = true\n[[models.files]]\nname = "a.onnx"\nsha256 = "{other}"\n'
        'sources = ["https://example.org/a.onnx"]\n'
        f'[[models]]\nid = "optional"\n[[models.files]]\nname = "o.onnx"\nsha256 = "{other}"\n'
        'sources = ["https://example.org/o.onnx"]\n')
    monkeypatch.setattr(registry, "manifest_path", lambda: manifest)
    summary, *per_model = doctor.check_models(cfg)
    assert summary == doctor.Check("models", "OK", f"3 declared, 1 installed ({manifest}; files in {models.resolve()})")
    assert per_model == [
        doctor.Check("model good", "OK", "1 file(s), 0.0 MB, sha256 OK"),
        doctor.Check("model absent", "WARN", "not installed; a default model: install it with: "
                                             "noxus-local models fetch --default"),
        doctor.Check("model optional", "OK", "not installed (optional; install it with: "
                                             "noxus-local models fetch optional)")]
    (models / "good" / "m.onnx").write_bytes(b"tampere")  # same size: only the sha256 tells
    assert doctor.check_models(cfg)[1] == doctor.Check(
        "model good", "FAIL", "m.onnx: sha256 mismatch; reinstall with: noxus-local models fetch good")


def test_a_broken_manifest_is_one_failed_check(cfg, tmp_path, monkeypatch):
    (tmp_path / "manifest.toml").write_text('[[models]]\nid = "x"\n')
    monkeypatch.setattr(registry, "manifest_path", lambda: tmp_path / "manifest.toml")
    (check,) = doctor.run_checks(cfg, "defaults")[-1:]
    assert (check.name, check.status) == ("models", "FAIL")
    assert check.detail == f"ManifestError: {tmp_path / 'manifest.toml'}: models[0] (x): no [[models.files]]"


def test_the_in_memory_model_runs_on_cpu():
    session = ort.InferenceSession(add_model(), providers=["CPUExecutionProvider"])
    assert [i.name for i in session.get_inputs()] == ["X"]
    assert probe(ort, "CPUExecutionProvider").usable


def test_a_provider_that_falls_back_to_cpu_is_listed_but_not_usable():
    class NoGpuOrt:  # what onnxruntime-gpu does on a machine without a GPU
        SessionOptions = ort.SessionOptions

        @staticmethod
        def InferenceSession(model, options, providers):  # noqa: N802
            return ort.InferenceSession(model, options, providers=["CPUExecutionProvider"])

    result = probe(NoGpuOrt, "CUDAExecutionProvider")
    assert not result.usable
    assert result.detail.startswith("listed but not usable: the session fell back to CPUExecutionProvider")


def test_cli_exit_codes_and_json(cfg, tmp_path, capsys, monkeypatch):
    monkeypatch.delenv("NOXUS_DATA_DIR", raising=False)
    (tmp_path / "bad.toml").write_text("[server]\nport = 'x'\n")
    assert main(["doctor", "--config", str(tmp_path / "bad.toml")]) == 1
    assert capsys.readouterr().out.startswith("FAIL config: server.port: expected an integer")
    (tmp_path / "ok.toml").write_text(f'[server]\ndata_dir = "{cfg.data_dir}"\n')
    assert main(["doctor", "--json", "--config", str(tmp_path / "ok.toml")]) == 0
    report = json.loads(capsys.readouterr().out)
    assert (report["ok"], report["failed"]) == (True, 0)
    assert report["checks"][0] == {"name": "config", "status": "OK", "detail": f"loaded from {tmp_path / 'ok.toml'}"}


def test_paths_in_the_report_are_absolute(cfg):
    (check,) = doctor.check_data_dir(cfg)
    assert Path(check.detail.split()[0]).is_absolute()


def test_fonts_are_checked_one_family_per_line(cfg):
    checks = by_name(doctor.check_fonts(cfg))
    assert set(checks) == {f"font {family}" for family in fonts.all_families()} | {"font emoji"}
    assert all(c.status == "OK" for c in checks.values()), checks
    assert checks["font Heebo"].detail.endswith("has שלום")
    assert checks["font Poppins"].detail == (
        f"Poppins-Regular.ttf, Poppins-Bold.ttf (OFL-1.1): loads, has {fonts.SPANISH_GLYPHS}")


def test_a_font_package_that_is_not_installed_fails(cfg, monkeypatch):
    monkeypatch.setitem(fonts.FAMILIES, "Gone", ("fontpkg_not_installed", (400,), "test"))
    check = by_name(doctor.check_fonts(cfg))["font Gone"]
    assert check.status == "FAIL" and "fontpkg_not_installed is not installed" in check.detail


def test_the_encoded_test_clip_is_read_back_by_pyav(cfg):
    checks = by_name(doctor.check_ffmpeg(cfg))
    assert checks["media probe"].status == "OK"
    assert checks["media probe"].detail.startswith("PyAV ") and "h264+aac, 0.2 s" in checks["media probe"].detail


def test_more_cpu_slots_than_cores_is_a_warning(tmp_path):
    cfg = load_config(None, {"NOXUS_DATA_DIR": str(tmp_path), "NOXUS_COMPUTE_CPU_SLOTS": str(usable_cores() + 1),
                             "NOXUS_COMPUTE_GPU_SLOTS": "0"})
    [check] = doctor.check_compute(cfg)
    assert check == doctor.Check("compute", "WARN", f"{usable_cores() + 1} CPU slot(s) ([compute] cpu_slots), "
                                 f"0 GPU slot(s) ([compute] gpu_slots): more CPU slots than the {usable_cores()} "
                                 "usable core(s) oversubscribes")


def test_missing_emoji_fonts_warn_naming_the_package(cfg, monkeypatch):
    monkeypatch.setattr(fonts, "EMOJI_OUTLINE", ())
    check = by_name(doctor.check_fonts(cfg))["font emoji"]
    assert check.status == "WARN" and "fonts-symbola" in check.detail
