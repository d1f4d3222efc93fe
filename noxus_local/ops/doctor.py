"""``noxus-local doctor``: is this machine ready to serve? One line per check.

Each check ends OK, WARN (works, but something is missing or degraded: a GPU
provider that falls back to CPU) or FAIL (the server would
not start or would lose data). Any FAIL makes the exit code 1. A check never
raises: an unexpected error is its FAIL line.

Example::

    $ noxus-local doctor --config /etc/noxus-local/noxus.toml
    OK   config: loaded from /etc/noxus-local/noxus.toml
    OK   data dir: /var/lib/noxus-local is writable
    ...
    WARN onnxruntime CUDAExecutionProvider: listed but not usable: ...
    doctor: 0 failed, 1 warning(s)
"""

from __future__ import annotations

import contextlib
import json
import sqlite3
import subprocess
import tempfile
import time
from collections.abc import Callable, Iterator
from dataclasses import asdict, dataclass
from pathlib import Path

from noxus_local import package_version
from noxus_local.billing import budgets, ledger
from noxus_local.config import Config
from noxus_local.errors import ConfigError
from noxus_local.inference.registry import manifest
from noxus_local.inference.registry.installed import ModelRegistry, ModelStatus
from noxus_local.media import fonts
from noxus_local.media import probe as media_probe
from noxus_local.store.migrations import MIGRATIONS
from noxus_local.store.space import StorageGuard

OK, WARN, FAIL = "OK", "WARN", "FAIL"


@dataclass(frozen=True)
class Check:
    name: str
    status: str
    detail: str


def run_checks(cfg: Config, source: str) -> list[Check]:
    checks = [check_config(cfg, source)]
    probes: list[Callable[[Config], list[Check]]] = [
        check_data_dir, check_storage, check_store, check_ledger, check_budgets, check_queue, check_ffmpeg,
        check_fonts,
        check_phonemizer,
        check_onnxruntime, check_compute, check_models]
    for probe in probes:
        checks += _guarded(probe, cfg)
    return checks


def check_config(cfg: Config, source: str) -> Check:
    """The file loaded; and every tool has a price it can measure (else serve exits 2)."""
    from noxus_local.tools.catalog import Catalog
    try:
        cfg.prices = Catalog.default(cfg.jobs.diagnostic_tools).priced(cfg.prices)
    except ConfigError as exc:
        return Check("config", FAIL, str(exc))
    return Check("config", OK, f"loaded from {source}")


def _guarded(probe: Callable[[Config], list[Check]], cfg: Config) -> list[Check]:
    try:
        return probe(cfg)
    except Exception as exc:
        name = probe.__name__.removeprefix("check_").replace("_", " ")
        return [Check(name, FAIL, f"{type(exc).__name__}: {exc}")]


def check_data_dir(cfg: Config) -> list[Check]:
    data_dir = cfg.data_dir.resolve()
    if data_dir.exists() and not data_dir.is_dir():
        return [Check("data dir", FAIL, f"{data_dir} is not a directory")]
    # a missing data dir is created by the first start: try its nearest existing parent
    target = next(p for p in (data_dir, *data_dir.parents) if p.exists())
    try:
        with tempfile.NamedTemporaryFile(dir=target, prefix=".noxus-doctor-") as handle:
            handle.write(b"ok")
            handle.flush()
    except OSError as exc:
        return [Check("data dir", FAIL, f"{target} is not writable: {exc.strerror or exc}")]
    if target != data_dir:
        return [Check("data dir", OK, f"{data_dir} does not exist yet; the first start creates it in {target}")]
    return [Check("data dir", OK, f"{data_dir} is writable")]


def check_storage(cfg: Config) -> list[Check]:
    """Free space of the data dir's disk against ``[storage] min_free_mb``: below it the server
    answers 507 to new work, so WARN (it runs, degraded); a disk with no byte left is a FAIL."""
    report = StorageGuard.from_config(cfg).report()
    free, floor = report["free_mb"], report["min_free_mb"]
    if free == 0:
        return [Check("storage", FAIL, "the data dir's disk is full (0 MB free); new work gets 507 "
                                       "insufficient_storage: free space")]
    if not report["ok"]:
        return [Check("storage", WARN, f"{free} MB free, below [storage] min_free_mb = {floor}: new work "
                                       "gets 507 insufficient_storage until space is freed")]
    guard = f"[storage] min_free_mb = {floor}" if floor > 0 else "no free-space guard ([storage] min_free_mb = 0)"
    return [Check("storage", OK, f"{free} MB free; {guard}")]


def check_store(cfg: Config) -> list[Check]:
    path = cfg.data_dir / "noxus.db"
    if not path.is_file():
        return [Check("store noxus.db", WARN, "not created yet (the first `noxus-local serve` creates it)")]
    with _read_only(path) as conn:
        integrity = conn.execute("PRAGMA integrity_check").fetchone()[0]
        version = conn.execute("PRAGMA user_version").fetchone()[0]
    if integrity != "ok":
        return [Check("store noxus.db", FAIL, f"integrity_check: {integrity}; restore a backup")]
    current = len(MIGRATIONS)
    if version > current:
        return [Check("store noxus.db", FAIL, f"schema v{version} is newer than this version (v{current}): "
                                              "run the NOXUS Local that wrote it, or restore a backup")]
    if version < current:
        return [Check("store noxus.db", WARN, f"integrity ok, schema v{version}: migrated to v{current} "
                                              "at the next start")]
    return [Check("store noxus.db", OK, f"integrity ok, schema v{version} (current)")]


def check_ledger(cfg: Config) -> list[Check]:
    """Each balance row equals what its append-only ledger rows add up to."""
    path = cfg.data_dir / "noxus.db"
    if not path.is_file():
        return []
    with _read_only(path) as conn:
        conn.execute("BEGIN")  # one snapshot: a running server may be settling jobs
        rows = conn.execute("SELECT account_id, environment, balance_micros, held_micros FROM balances").fetchall()
        wrong = [f"{account}/{env}" for account, env, balance, held in rows
                 if _from_ledger(conn, account, env) != (balance, held)]
        conn.execute("COMMIT")
    if wrong:
        return [Check("ledger", FAIL, f"balances differ from the ledger for {', '.join(wrong)}")]
    return [Check("ledger", OK, f"{len(rows)} balance(s) agree with the ledger")]


def check_budgets(cfg: Config) -> list[Check]:
    """Each key budget's counters (spent in its window, held) equal what the ledger and the unsettled jobs say.

    The counters are what the hold checks (billing/budgets.py); a drift would let a key pass its cap or
    refuse it too early. A window that ended is read as 0 spent, as the next hold would roll it.
    """
    path = cfg.data_dir / "noxus.db"
    if not path.is_file():
        return []
    with _read_only(path) as conn:
        if conn.execute("SELECT 1 FROM sqlite_master WHERE name = 'key_budgets'").fetchone() is None:
            return []  # a store from before v14: migrated at the next start
        conn.row_factory = sqlite3.Row
        conn.execute("BEGIN")
        rows = conn.execute("SELECT * FROM key_budgets").fetchall()
        now, wrong = time.time(), []
        for row in rows:
            budget = budgets.from_row(row, now)
            held = conn.execute("SELECT COALESCE(SUM(hold_micros), 0) FROM jobs WHERE key_id = ? AND settled = 0",
                                (row["key_id"],)).fetchone()[0]
            spent = budgets.spent_in_window(conn, row["key_id"], budget.window_start)
            if (budget.spent_micros, budget.held_micros) != (spent, held):
                wrong.append(row["key_id"])
        conn.execute("COMMIT")
    if wrong:
        return [Check("key budgets", FAIL, f"counters differ from the ledger for {', '.join(wrong)}; "
                                           "`noxus-local keys update <id> --max-spend …` recounts them")]
    return [Check("key budgets", OK, f"{len(rows)} budget(s) agree with the ledger")]


def _from_ledger(conn: sqlite3.Connection, account: str, env: str) -> tuple[int, int]:
    sums = ledger.audit(conn, account, env)
    return sums["balance_micros"], sums["held_micros"]


def check_queue(cfg: Config) -> list[Check]:
    if cfg.jobs.queue_backend == "redis":
        return [_redis(cfg.jobs.redis_url)]
    path = cfg.data_dir / "queue.db"
    if not path.is_file():
        return [Check("queue (sqlite)", WARN, "queue.db not created yet (the first start creates it)")]
    with _read_only(path) as conn:
        integrity = conn.execute("PRAGMA integrity_check").fetchone()[0]
        has_tasks = conn.execute("SELECT 1 FROM sqlite_master WHERE name = 'task'").fetchone()
        waiting = conn.execute("SELECT COUNT(*) FROM task").fetchone()[0] if has_tasks else 0
    if integrity != "ok":
        return [Check("queue (sqlite)", FAIL, f"queue.db integrity_check: {integrity}")]
    return [Check("queue (sqlite)", OK, f"queue.db integrity ok, {waiting} task(s) waiting")]


def _redis(url: str) -> Check:
    try:
        import redis
    except ImportError:
        return Check("queue (redis)", FAIL, "the redis package is missing: pip install 'noxus-local[redis]'")
    try:
        redis.Redis.from_url(url, socket_timeout=3, socket_connect_timeout=3).ping()
    except redis.RedisError as exc:
        return Check("queue (redis)", FAIL, f"{url}: {exc}")
    return Check("queue (redis)", OK, f"{url} answers PING")


def check_ffmpeg(cfg: Config) -> list[Check]:
    import imageio_ffmpeg

    try:
        exe = imageio_ffmpeg.get_ffmpeg_exe()
    except RuntimeError as exc:
        return [Check("ffmpeg", FAIL, f"not found: {exc}")]
    first = subprocess.run([exe, "-version"], capture_output=True, text=True, timeout=30).stdout.split("\n")[0]
    words = first.split()
    version = words[2] if len(words) > 2 and words[:2] == ["ffmpeg", "version"] else f"unrecognised: {first!r}"
    with tempfile.TemporaryDirectory(prefix="noxus-doctor-") as tmp:
        clip = Path(tmp) / "probe.mp4"
        encoded = _encode(exe, clip)
        return [Check("ffmpeg", OK, f"{version} ({exe})"), encoded, _probe(clip if encoded.status == OK else None)]


def _encode(exe: str, out: Path) -> Check:
    """A real 0.2 s H.264 + AAC encode: a binary can be found and still lack codecs."""
    started = time.monotonic()
    done = subprocess.run(
        [exe, "-hide_banner", "-nostdin", "-v", "error", "-f", "lavfi", "-i",
         "testsrc=duration=0.2:size=128x72:rate=10", "-f", "lavfi", "-i", "sine=duration=0.2",
         "-c:v", "libx264", "-pix_fmt", "yuv420p", "-c:a", "aac", "-shortest", "-y", str(out)],
        capture_output=True, text=True, timeout=60)
    seconds = time.monotonic() - started
    if done.returncode != 0 or not out.is_file() or out.stat().st_size == 0:
        reason = (done.stderr.strip().splitlines() or [f"exit code {done.returncode}"])[-1]
        return Check("ffmpeg encode", FAIL, f"H.264 + AAC test encode failed: {reason}")
    return Check("ffmpeg encode", OK, f"H.264 + AAC test clip encoded in {seconds:.2f} s")


def _probe(clip: Path | None) -> Check:
    """The test clip read back by media.probe: PyAV when bundled, else the slower ffmpeg -i fallback."""
    try:
        import av
    except ImportError as exc:
        return Check("media probe", WARN, f"PyAV (av) cannot be imported ({exc}): probing falls back to "
                                          "parsing ffmpeg -i, ~10x slower per file")
    if clip is None:
        return Check("media probe", FAIL, "no test clip to read (the encode failed)")
    info = media_probe.probe(clip, "pyav")
    streams = "+".join(f"{s.codec}" for s in info.streams)
    return Check("media probe", OK, f"PyAV {av.__version__} read the test clip: {streams}, {info.duration:.1f} s")


def check_fonts(cfg: Config) -> list[Check]:
    """One line per shipped family: its files exist, load in Pillow and draw Spanish accents (a
    script fallback: its script); one for the emoji fonts (system packages: WARN when absent)."""
    return [*(_check_font_family(family) for family in fonts.all_families()), _check_emoji_fonts()]


def _check_emoji_fonts() -> Check:
    found = {kind: fonts.emoji_font(color=kind == "colour") for kind in ("outline", "colour")}
    gone = [f"{kind} ({pkg})" for (kind, path), pkg in zip(found.items(), ("fonts-symbola", "fonts-noto-color-emoji"),
                                                            strict=True) if path is None]
    if gone:
        return Check("font emoji", WARN, f"missing: {', '.join(gone)}; emoji draw as boxes "
                     "(run scripts/setup_system.sh or apt-get install them)")
    return Check("font emoji", OK, ", ".join(f"{kind} {path}" for kind, path in found.items()))


def _check_font_family(family: str) -> Check:
    name = f"font {family}"
    try:
        faces = fonts.faces(family)
    except fonts.FontMissing as exc:
        return Check(name, FAIL, str(exc))
    for face in faces:
        if not face.path.is_file() or not face.licence.is_file():
            return Check(name, FAIL, f"{face.path.name} or its licence file is missing")
        try:
            missing = fonts.missing_glyphs(face.path, fonts.expected_glyphs(family))
        except OSError as exc:
            return Check(name, FAIL, f"{face.path.name} does not load: {exc}")
        if missing:
            return Check(name, FAIL, f"{face.path.name} has no glyph for {missing}")
    files = ", ".join(f.path.name for f in faces)
    return Check(name, OK, f"{files} ({faces[0].licence_id}): loads, has {fonts.expected_glyphs(family)}")


def check_phonemizer(cfg: Config) -> list[Check]:
    """Which espeak-ng gives text-to-speech its phonemes, proven by phonemizing a word through it."""
    from noxus_local.errors import ToolUnavailable
    from noxus_local.speech import phonemes

    try:
        chosen = phonemes.phonemizer()
        ipa = phonemes.phonemize_words("Hola.", "es")
    except ToolUnavailable as exc:
        return [Check("phonemizer", WARN, f"{exc.message}: text-to-speech answers 503 tool_unavailable")]
    said = f"'Hola.' -> {' '.join(p for _, p in ipa)!r}"
    if chosen.kind == phonemes.PACKAGED:
        from noxus_local.speech.espeak_process import helper_info

        info = helper_info()
        return [Check("phonemizer", OK, f"packaged espeak-ng {info['version']} library in a helper process "
                                        f"({info['library']}; data {info['data']}): {said}")]
    return [Check("phonemizer", WARN, f"system espeak-ng program {chosen.path} (the packaged library is "
                                      f"missing: reinstall noxus-local): {said}")]


def check_onnxruntime(cfg: Config) -> list[Check]:
    try:
        import onnxruntime
    except ImportError as exc:
        return [Check("onnxruntime", FAIL, f"cannot import: {exc}")]
    from noxus_local.inference.engines.providers import probe_providers

    checks = []
    for probe in probe_providers():
        cpu = probe.provider == "CPUExecutionProvider"
        status = OK if probe.usable else (FAIL if cpu else WARN)
        detail = f"{probe.detail} (onnxruntime {onnxruntime.__version__})" if cpu else probe.detail
        checks.append(Check(f"onnxruntime {probe.provider}", status, detail))
    return checks


def check_compute(cfg: Config) -> list[Check]:
    """The compute pool as the server sizes it; more slots than cores (or GPUs) oversubscribe."""
    from noxus_local.inference.engines.providers import slot_sources, usable_cores, working_gpus

    slots = {name: int(source() if callable(source) else source) for name, source in slot_sources(cfg).items()}
    cores = usable_cores()
    cpu_from = "[compute] cpu_slots" if cfg.compute.cpu_slots else "the usable cores"
    gpu_from = "[compute] gpu_slots" if cfg.compute.gpu_slots >= 0 else (
        "detected: CUDA runs" if slots["gpu"] else "detected: no working CUDA")
    detail = f"{slots['cpu']} CPU slot(s) ({cpu_from}), {slots['gpu']} GPU slot(s) ({gpu_from})"
    if slots["cpu"] > cores:
        return [Check("compute", WARN, f"{detail}: more CPU slots than the {cores} usable core(s) oversubscribes")]
    if cfg.compute.gpu_slots > 0 and not working_gpus(True):
        return [Check("compute", WARN, f"{detail}: but CUDA does not really run here (see onnxruntime above)")]
    return [Check("compute", OK, detail)]


def check_models(cfg: Config) -> list[Check]:
    """One summary line, then one line per declared model with its checksums verified."""
    path = manifest.manifest_path()
    if path is None:
        return [Check("models", WARN, "no models/manifest.toml found")]
    statuses = ModelRegistry.from_config(cfg).verify()
    installed = sum(1 for s in statuses if s.installed)
    summary = Check("models", OK, f"{len(statuses)} declared, {installed} installed ({path}; "
                                  f"files in {(cfg.data_dir / 'models').resolve()})")
    return [summary, *(_model_check(s) for s in statuses)]


def _model_check(status: ModelStatus) -> Check:
    spec, name = status.spec, f"model {status.spec.id}"
    if status.installed:
        return Check(name, OK, f"{len(spec.files)} file(s), {status.size / 1e6:.1f} MB, sha256 OK")
    fix = f"noxus-local models fetch {'--default' if spec.default else spec.id}"
    if status.state == "corrupt":
        return Check(name, FAIL, f"{'; '.join(status.problems)}; reinstall with: {fix}")
    found = "not installed" if status.state == "missing" else f"partly installed ({'; '.join(status.problems)})"
    if spec.default:
        return Check(name, WARN, f"{found}; a default model: install it with: {fix}")
    return Check(name, OK, f"{found} (optional; install it with: {fix})")


@contextlib.contextmanager
def _read_only(path: Path) -> Iterator[sqlite3.Connection]:
    """A read-only connection: doctor never creates a store nor changes one."""
    conn = sqlite3.connect(path.resolve().as_uri() + "?mode=ro", uri=True, isolation_level=None, timeout=30)
    try:
        yield conn
    finally:
        conn.close()


def render_text(checks: list[Check]) -> str:
    lines = [f"{c.status:<4} {c.name}: {c.detail}" for c in checks]
    failed, warned = _count(checks, FAIL), _count(checks, WARN)
    lines.append(f"doctor: {failed} failed, {warned} warning(s) (NOXUS Local {package_version()})")
    return "\n".join(lines)


def render_json(checks: list[Check]) -> str:
    return json.dumps({"ok": _count(checks, FAIL) == 0, "version": package_version(),
                       "failed": _count(checks, FAIL), "warnings": _count(checks, WARN),
                       "checks": [asdict(c) for c in checks]}, indent=2)


def exit_code(checks: list[Check]) -> int:
    return 1 if _count(checks, FAIL) else 0


def _count(checks: list[Check], status: str) -> int:
    return sum(1 for c in checks if c.status == status)
