#!/bin/bash
# Fill a wheelhouse for the image: the distributions of requirements-image.lock (downloaded with
# their hashes checked) and this repository's wheel with madoguchi.lock naming its hash.
#
#   image_build/wheelhouse.sh OUT_DIR
#
# Shared by build.sh (pi-gen) and debian/build-image.sh. Files already present and matching
# the lock are not downloaded again.
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
repo=$(cd "$here/.." && pwd)
py=${PYTHON:-$repo/.venv/bin/python}
out=${1:?usage: wheelhouse.sh OUT_DIR}
lock="$here/requirements-image.lock"
mkdir -p "$out"
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

grep -v '\.tar\.gz$' "$lock" >"$tmp/wheels.lock"
grep -E '^#|\.tar\.gz$' "$lock" >"$tmp/sdists.lock"
echo "image: wheelhouse ($(grep -vc '^#' "$lock") locked distributions)" >&2
"$py" -m pip download -q --dest "$out" --no-deps --require-hashes --only-binary=:all: \
	--python-version 3.11 --implementation cp --abi cp311 --abi abi3 --abi none \
	--platform manylinux2014_aarch64 --platform manylinux_2_17_aarch64 \
	--platform manylinux_2_28_aarch64 --platform linux_aarch64 -r "$tmp/wheels.lock"
"$py" -m pip download -q --dest "$out" --no-deps --require-hashes --no-binary :all: \
	--no-build-isolation -r "$tmp/sdists.lock"
cp "$lock" "$out/requirements-image.lock"

# SOURCE_DATE_EPOCH gives the wheel's zip entries fixed times (reproducible builds).
rm -f "$out"/madoguchi-*.whl
"$py" -m pip wheel -q --no-deps --no-build-isolation --wheel-dir "$out" "$repo"
wheel=$(ls "$out"/madoguchi-*.whl)
echo "madoguchi @ file://$( [ -n "${MADOGUCHI_WHEELHOUSE_IN_ROOT:-}" ] && echo "$MADOGUCHI_WHEELHOUSE_IN_ROOT" || echo "$out")/$(basename "$wheel") --hash=sha256:$(sha256sum "$wheel" | cut -d' ' -f1)" >"$out/madoguchi.lock"
