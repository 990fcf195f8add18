#!/bin/bash
# Inside the image root (arm64, run in a chroot): build /opt/madoguchi from a wheelhouse with
# pip --no-index --require-hashes, then the printer's compact font copy. Shared by the pi-gen
# stage (01-run-chroot.sh) and the Debian image build (image_build/debian/build-image.sh).
#
#   install-python.sh WHEELHOUSE
#
# WHEELHOUSE holds requirements-image.lock (image_build/lock.sh), the distributions it names, and
# madoguchi.lock (the madoguchi wheel of this build with its hash). Nothing is fetched from an
# index: a missing or altered file stops the build. pyscard and pycups are built from their
# locked sdists against Debian's headers, which are installed for the build only.
set -euo pipefail

wh=${1:?usage: install-python.sh WHEELHOUSE}
BUILD_DEPS="build-essential python3-dev swig libpcsclite-dev libcups2-dev pkg-config"
export DEBIAN_FRONTEND=noninteractive
pip_install() {
	/opt/madoguchi/bin/pip install --no-cache-dir --no-index --find-links "$wh" \
		--require-hashes --no-deps "$@"
}

apt-get update
# shellcheck disable=SC2086
apt-get install -y --no-install-recommends ${BUILD_DEPS}
python3 -m venv /opt/madoguchi
# The wheels first (setuptools and wheel among them), then the two sdists built with them and
# Debian's swig/headers (no build isolation: isolation would fetch build tools from an index).
grep -v '\.tar\.gz$' "$wh/requirements-image.lock" >"$wh/wheels.lock"
grep -E '^#|\.tar\.gz$' "$wh/requirements-image.lock" >"$wh/sdists.lock"
pip_install -r "$wh/wheels.lock"
# -g0: no debug info, which would carry pip's random build directory into the .so files (two
# builds of the same inputs must give the same root digest: docs/image.md).
CFLAGS="-g0" pip_install --no-build-isolation -r "$wh/sdists.lock"
pip_install -r "$wh/madoguchi.lock"
/opt/madoguchi/bin/pip check
# shellcheck disable=SC2086
apt-get purge -y --auto-remove ${BUILD_DEPS}
apt-get clean
rm -rf /var/lib/apt/lists/*
/opt/madoguchi/bin/madoguchi --version
# The printer's compact font copy, read by the kiosk's render worker (MADOGUCHI_FONT_CACHE in
# madoguchi-kiosk.service): built here once so a device never spends a minute on it at boot.
MADOGUCHI_FONT_CACHE=/var/cache/madoguchi/fonts /opt/madoguchi/bin/madoguchi build-print-font
chmod 0755 /var/cache/madoguchi /var/cache/madoguchi/fonts
