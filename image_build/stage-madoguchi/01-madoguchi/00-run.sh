#!/bin/bash -e
# pi-gen, host side: copy the locked wheelhouse and the Madoguchi system files into the image,
# create the service users, enable the units. MADOGUCHI_SRC and MADOGUCHI_WHEELHOUSE come from
# the config written by image_build/build.sh.
: "${ROOTFS_DIR:?run by pi-gen}"
: "${MADOGUCHI_SRC:?set by image_build/build.sh}"
: "${MADOGUCHI_WHEELHOUSE:?set by image_build/build.sh}"

install -d -m 0755 "${ROOTFS_DIR}/tmp/madoguchi-wheelhouse"
cp "${MADOGUCHI_WHEELHOUSE}"/* "${ROOTFS_DIR}/tmp/madoguchi-wheelhouse/"
install -m 0755 files/install-python.sh "${ROOTFS_DIR}/tmp/madoguchi-wheelhouse/install-python.sh"
bash files/install-madoguchi.sh system "${ROOTFS_DIR}" "${MADOGUCHI_SRC}/systemd"
