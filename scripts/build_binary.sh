#!/usr/bin/env bash
# Build the `noxus-local` binary with PyInstaller, then measure what was built.
#
#   scripts/build_binary.sh                                   # cpu, onefile
#   scripts/build_binary.sh --flavour gpu --mode onedir
#   scripts/build_binary.sh --all                             # cpu+gpu × onefile+onedir
#   scripts/build_binary.sh --with-models                     # also bundle the default models
#
# Output: dist/<flavour>-<mode>/noxus-local (onefile: one executable;
# onedir: a folder holding the executable and its libraries).
#
# Flavours differ only in the ONNX Runtime wheel: cpu = `onnxruntime` (~24 MB),
# gpu = `onnxruntime-gpu` (~256 MB, falls back to CPU without a GPU). Both
# wheels install the same `onnxruntime` module, so each flavour gets its own
# build venv (build/venv-<flavour>); the two are never installed together.
# The runtime dependencies come from pyproject.toml (read with tomllib) so the
# binary cannot drift from `pip install .`.
#
# Environment: PYTHON (interpreter for the build venvs, default python3, must be
# built with --enable-shared), PYINSTALLER_SPEC (default "pyinstaller==6.22.*"),
# MEASURE=0 to skip the start-up measurement.
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD
PYTHON=${PYTHON:-python3}
PYINSTALLER_SPEC=${PYINSTALLER_SPEC:-pyinstaller==6.22.*}
MEASURE=${MEASURE:-1}
WITH_MODELS=0

usage() { sed -n '2,9p' "$0" | sed 's/^# \{0,1\}//'; exit "${1:-0}"; }

flavours=() modes=()
while [ $# -gt 0 ]; do
  case "$1" in
    --flavour) flavours+=("${2:?--flavour needs cpu or gpu}"); shift 2 ;;
    --mode) modes+=("${2:?--mode needs onefile or onedir}"); shift 2 ;;
    --all) flavours=(cpu gpu); modes=(onefile onedir); shift ;;
    --with-models) WITH_MODELS=1; shift ;;
    -h|--help) usage 0 ;;
    *) echo "unknown argument: $1" >&2; usage 2 ;;
  esac
done
[ ${#flavours[@]} -gt 0 ] || flavours=(cpu)
[ ${#modes[@]} -gt 0 ] || modes=(onefile)
for f in "${flavours[@]}"; do [[ $f == cpu || $f == gpu ]] || { echo "bad flavour: $f" >&2; exit 2; }; done
for m in "${modes[@]}"; do [[ $m == onefile || $m == onedir ]] || { echo "bad mode: $m" >&2; exit 2; }; done

# The pip requirements of one flavour: pyproject's dependencies plus the redis
# extra (scale-out queue), with whichever onnxruntime package swapped for the
# flavour's one, and PyInstaller itself.
requirements() {
  "$PYTHON" - "$1" "$PYINSTALLER_SPEC" <<'PY'
import re
import sys
import tomllib

flavour, pyinstaller = sys.argv[1], sys.argv[2]
runtime = {"cpu": "onnxruntime", "gpu": "onnxruntime-gpu"}[flavour]
with open("pyproject.toml", "rb") as fh:
    project = tomllib.load(fh)["project"]
deps = project["dependencies"] + project.get("optional-dependencies", {}).get("redis", [])
out, seen_runtime = [], False
for dep in deps:
    name = re.match(r"[A-Za-z0-9._-]+", dep).group(0)
    if name.lower().replace("_", "-") in ("onnxruntime", "onnxruntime-gpu"):
        dep, seen_runtime = runtime + dep[len(name):], True
    out.append(dep)
if not seen_runtime:
    out.append(runtime)
print("\n".join(out + [pyinstaller]))
PY
}

# build/venv-<flavour> with exactly the flavour's requirements. Reinstalls when
# the requirement list changes; starts over if the other runtime sneaked in,
# because uninstalling one wheel deletes files the other one owns.
ensure_venv() {
  local flavour=$1 venv=build/venv-$1 wrong
  wrong=$([ "$flavour" = cpu ] && echo onnxruntime-gpu || echo onnxruntime)
  local reqs; reqs=$(requirements "$flavour")
  if [ -x "$venv/bin/python" ] && "$venv/bin/pip" show -q "$wrong" >/dev/null 2>&1; then
    echo "== $venv has $wrong: recreating" >&2
    rm -rf "$venv"
  fi
  if [ -x "$venv/bin/python" ] && [ "$(cat "$venv/.requirements" 2>/dev/null)" = "$reqs" ]; then
    return
  fi
  echo "== installing requirements into $venv" >&2
  [ -x "$venv/bin/python" ] || "$PYTHON" -m venv "$venv"
  "$venv/bin/pip" install -q --upgrade pip
  local -a specs; mapfile -t specs <<< "$reqs"
  "$venv/bin/pip" install -q "${specs[@]}"
  if "$venv/bin/pip" show -q "$wrong" >/dev/null 2>&1; then
    echo "error: $wrong got installed into $venv (a dependency pulls it in)" >&2
    exit 1
  fi
  printf '%s' "$reqs" > "$venv/.requirements"
}

# The project itself, reinstalled (without deps) before every build: the binary
# freezes this installed copy of the working tree, with its package metadata
# (the version that doctor, backups and metrics report).
install_project() {
  "$1/bin/pip" install -q --no-deps --force-reinstall .
}

# `--collect-data PKG` for each top-level package of the runtime dependencies:
# data files (openapi-ui-bundles' Swagger/ReDoc assets, the fontpkg_* TTFs and
# their LICENSE files, ...) are invisible to
# PyInstaller's import scan. onnxruntime and imageio-ffmpeg are handled apart.
collect_data_args() {
  "$1/bin/python" - <<'PY'
import re
import tomllib
from importlib import metadata

with open("pyproject.toml", "rb") as fh:
    project = tomllib.load(fh)["project"]
wanted = {re.match(r"[A-Za-z0-9._-]+", d).group(0).lower().replace("_", "-") for d in project["dependencies"]}
skip = {"onnxruntime", "imageio_ffmpeg", "espeakng_loader"}
for top, dists in sorted(metadata.packages_distributions().items()):
    if top not in skip and not top.startswith("_") and any(d.lower().replace("_", "-") in wanted for d in dists):
        print(f"--collect-data\n{top}")
        if top.startswith("fontpkg_"):
            # media/fonts.py imports the font packages by name (importlib): the scan cannot see them
            print(f"--hidden-import\n{top}")
PY
}

build() {
  local flavour=$1 mode=$2 venv=build/venv-$1
  local dist=dist/$flavour-$mode work=build/pyinstaller/$flavour-$mode
  local extra=()
  # onnxruntime and av (PyAV: media/probe.py) are named explicitly: the code
  # imports them lazily (inside functions), so PyInstaller's import scan could
  # drop them; av's FFmpeg libraries live in av.libs/ beside it.
  # espeakng_loader carries libespeak-ng.so.1 and espeak-ng-data/: the helper
  # (`noxus-local _espeak-helper`, the binary run again) finds both under
  # espeakng_loader/ in the bundle by absolute path; nothing links them.
  # redis is optional at runtime (huey imports it if present): leave it out
  # rather than fail when a build venv lacks it.
  "$venv/bin/python" -c "import redis" 2>/dev/null || extra+=(--exclude-module redis)
  if [ "$WITH_MODELS" = 1 ]; then
    # the default models, fetched and sha256-checked by the project's own
    # registry into a cache-shaped folder (<sha256>/<file>) that the frozen
    # registry reads before any network source: an offline install needs nothing more
    local bundle=build/model-bundle
    NOXUS_MODEL_CACHE="$ROOT/$bundle" NOXUS_DATA_DIR="$ROOT/build/model-fetch" \
      "$venv/bin/python" -m noxus_local models fetch --default >&2
    extra+=(--add-data "$ROOT/$bundle:bundled-models")
  fi
  local -a data; mapfile -t data < <(collect_data_args "$venv")
  echo "== building $dist ($(date +%T))" >&2
  rm -rf "$dist"
  # "Library not found: libcublas..." warnings are expected for gpu: CUDA and
  # cuDNN come from the host, not the bundle.
  "$venv/bin/pyinstaller" --noconfirm --clean --log-level WARN \
    --name noxus-local "--$mode" \
    --distpath "$dist" --workpath "$work" --specpath "$work" \
    --collect-submodules noxus_local --copy-metadata noxus-local \
    --collect-data noxus_local.generate --collect-data noxus_local.console --collect-data noxus_local.locale \
    "${data[@]}" \
    --collect-submodules uvicorn \
    --collect-binaries imageio_ffmpeg --collect-data imageio_ffmpeg \
    --hidden-import onnxruntime --collect-binaries onnxruntime \
    --hidden-import av --collect-submodules av --collect-binaries av \
    --hidden-import espeakng_loader --collect-binaries espeakng_loader --collect-data espeakng_loader \
    --hidden-import unidic_lite \
    --add-data "$ROOT/models/manifest.toml:models" \
    --exclude-module faker --exclude-module polyfactory \
    --exclude-module pytest --exclude-module tkinter \
    "${extra[@]}" \
    "$ROOT/noxus_local/__main__.py"
  echo "== built $dist ($(date +%T))" >&2
}

binary_path() {  # the executable of a build
  [ "$2" = onefile ] && echo "dist/$1-$2/noxus-local" || echo "dist/$1-$2/noxus-local/noxus-local"
}

measure() {
  local flavour=$1 mode=$2 bin; bin=$(binary_path "$1" "$2")
  local what=$bin; [ "$mode" = onedir ] && what=$(dirname "$bin")
  echo "---- $flavour-$mode ----"
  echo "size:    $(du -sh "$what" | cut -f1)  ($what)"
  [ "$MEASURE" = 1 ] && "$PYTHON" scripts/measure_binary.py "$bin"
  return 0
}

[ -e models/manifest.toml ] || { echo "error: models/manifest.toml is missing" >&2; exit 1; }
for flavour in "${flavours[@]}"; do
  ensure_venv "$flavour"
  install_project "build/venv-$flavour"
  for mode in "${modes[@]}"; do build "$flavour" "$mode"; done
done
echo
for flavour in "${flavours[@]}"; do
  for mode in "${modes[@]}"; do measure "$flavour" "$mode"; done
done
