#!/usr/bin/env bash
# Runs every test. pytest's exit code 5 (no test collected) is a failure here, never a pass.
set -uo pipefail
cd "$(dirname "$0")/.."
VENV=${VENV:-.venv}
marker=(-m "not slow")
[ "${SLOW:-0}" = 1 ] && marker=()
"$VENV/bin/python" -m pytest "${marker[@]}" "$@"
rc=$?
if [ "$rc" -eq 5 ]; then
  echo "run-tests: pytest collected no test; that is a failure" >&2
  exit 1
fi
exit "$rc"
