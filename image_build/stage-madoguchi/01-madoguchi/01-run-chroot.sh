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
# The printer's compact font copy, read by the kiosk's render worker (MADOGUCHI_FONT_CACHE in
# madoguchi-kiosk.service): built here once so a device never spends a minute on it at boot.
MADOGUCHI_FONT_CACHE=/var/cache/madoguchi/fonts /opt/madoguchi/bin/madoguchi build-print-font
chmod 0755 /var/cache/madoguchi /var/cache/madoguchi/fonts
