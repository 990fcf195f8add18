#!/usr/bin/env bash
# `make lint`'s import check: the import-linter contracts of pyproject.toml ([tool.importlinter],
# explained in docs/architecture.md), except the ids listed in scripts/import-contracts-pending.txt
# (contracts that still break while the code moves to them; each line says what breaks).
#   scripts/lint-imports.sh          the enforced contracts (exit 1 if one breaks)
#   scripts/lint-imports.sh --all    every contract, pending ones included
set -euo pipefail
cd "$(dirname "$0")/.."
BIN=${VENV:-.venv}/bin
pending=scripts/import-contracts-pending.txt
[ "${1:-}" = "--all" ] && pending=/dev/null
mapfile -t args < <("$BIN/python" - "$pending" <<'PY'
import sys
import tomllib

with open(sys.argv[1]) as f:
    pending = {line.split("#")[0].strip() for line in f} - {""}
with open("pyproject.toml", "rb") as f:
    ids = [c["id"] for c in tomllib.load(f)["tool"]["importlinter"]["contracts"]]
unknown = pending - set(ids)
if unknown:
    sys.exit(f"lint-imports: pending contracts not in pyproject.toml: {sorted(unknown)}")
for i in ids:
    if i not in pending:
        print("--contract")
        print(i)
for i in sorted(pending):
    print(f"lint-imports: pending, not enforced: {i}", file=sys.stderr)
PY
)
# No cache: the graph takes half a second, and a cache directory would land in the work tree.
exec "$BIN/lint-imports" --no-logo --no-cache "${args[@]}"
