#!/bin/bash -e
# pi-gen, inside the image (arm64): build the virtualenv at /opt/madoguchi from the wheel.
# pyscard and pycups may build from source: their headers are installed for the build only.
BUILD_DEPS="build-essential python3-dev swig libpcsclite-dev libcups2-dev pkg-config"
# shellcheck disable=SC2086
apt-get install -y --no-install-recommends ${BUILD_DEPS}
python3 -m venv /opt/madoguchi
/opt/madoguchi/bin/pip install --no-cache-dir --upgrade pip
/opt/madoguchi/bin/pip install --no-cache-dir --find-links /tmp/madoguchi-wheelhouse madoguchi
# shellcheck disable=SC2086
apt-get purge -y --auto-remove ${BUILD_DEPS}
rm -rf /tmp/madoguchi-wheelhouse
/opt/madoguchi/bin/madoguchi --version
