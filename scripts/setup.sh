#!/usr/bin/env bash
# Installs what is missing for `make demo` and `make test`, and nothing more:
#   1. Debian packages from scripts/system-packages.txt (through apt-get when root; otherwise the exact
#      sudo line is printed and set-up stops),
#   2. a virtualenv in .venv with the package and all its extras (re-run when pyproject.toml changes),
#   3. the printer's compact font copy in the font cache (once per font version).
set -euo pipefail
cd "$(dirname "$0")/.."
VENV=${VENV:-.venv}

mapfile -t wanted < <(grep -vE '^\s*(#|$)' scripts/system-packages.txt)
missing=()
for p in "${wanted[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
# CI sees what a fresh machine sees: every listed package at the version the archive serves now
# (security updates included), not whatever an earlier run left installed. Nothing is pinned.
if [ "${CI:-}" = "true" ] && [ "$(id -u)" -eq 0 ] && command -v apt-get >/dev/null; then
  missing=("${wanted[@]}")
fi
if ((${#missing[@]})); then
  if ! command -v apt-get >/dev/null; then
    echo "setup: these Debian packages are needed and this system has no apt-get: ${missing[*]}" >&2
    exit 1
  fi
  if [ "$(id -u)" -ne 0 ]; then
    echo "setup: missing system packages. Run this, then the make command again:" >&2
    echo "  sudo apt-get update && sudo apt-get install -y --no-install-recommends ${missing[*]}" >&2
    exit 1
  fi
  echo "setup: installing (or upgrading to the archive's current version) ${missing[*]}" >&2
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -q >&2
  apt-get install -y -q --no-install-recommends "${missing[@]}" >&2
fi

if [ ! -x "$VENV/bin/python" ]; then
  echo "setup: creating $VENV" >&2
  python3 -m venv "$VENV"
fi
stamp="$VENV/.madoguchi-installed"
if [ ! -f "$stamp" ] || [ pyproject.toml -nt "$stamp" ] || ! "$VENV/bin/python" -c "import madoguchi" 2>/dev/null; then
  echo "setup: installing the package into $VENV" >&2
  "$VENV/bin/pip" install -q --upgrade pip wheel setuptools >&2
  # Development gets every part (the terminal image installs only `.[kiosk]`: docs/architecture.md).
  "$VENV/bin/pip" install -q -e ".[kiosk,central,call,test]" >&2
  touch "$stamp"
fi
# The compact copies of the CJK font, regular and bold (a minute or two, once per font version;
# see devices/printer/documents/_compact.py): the printer's and the kiosk screens'. Documents
# print and screens draw without them, with more memory.
"$VENV/bin/madoguchi" build-print-font --if-missing >&2
if [ "${CI:-}" = "true" ]; then
  echo "setup: versions this run uses:" >&2
  dpkg-query -W -f='  ${Package} ${Version}\n' cups-daemon pcscd postgresql libgl1 2>/dev/null >&2 || true
  "$VENV/bin/pip" list --format=freeze 2>/dev/null | sed 's/^/  /' >&2
fi
