#!/bin/bash -e
# pi-gen, inside the image (arm64): /opt/madoguchi from the locked wheelhouse (no index, hashes
# required) with the installer shared with the Debian image build; then lock every login.
bash /tmp/madoguchi-wheelhouse/install-python.sh /tmp/madoguchi-wheelhouse
rm -rf /tmp/madoguchi-wheelhouse
# pi-gen insists on a first user with a password (FIRST_USER_PASS, random per build in
# build.sh): lock it, so no terminal shares a password and none can log in.
usermod -L -e 1 "${FIRST_USER_NAME:-madoguchi-admin}" 2>/dev/null || true
passwd -l root >/dev/null
