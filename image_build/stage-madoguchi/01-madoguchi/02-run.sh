#!/bin/bash -e
# pi-gen, host side, last step: refuse to produce an image with the virtual card reader in it.
: "${ROOTFS_DIR:?run by pi-gen}"
bash files/install-madoguchi.sh check "${ROOTFS_DIR}"
