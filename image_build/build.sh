#!/bin/bash
# Build the Madoguchi kiosk image with pi-gen (Raspberry Pi OS Lite, bookworm, arm64) plus
# the stage in image_build/stage-madoguchi.
#
#   image_build/build.sh PI_GEN_DIR [OUT_DIR]
#
# PI_GEN_DIR is a checkout of pi-gen (arm64 branch). Needs what pi-gen needs (root or Docker,
# qemu-user-static on a non-ARM host). The locked wheelhouse is filled first (wheelhouse.sh,
# shared with the Debian build in debian/build-image.sh). pi-gen insists on a first user with
# a password: it gets a random one per build, and the stage locks the account (no login).
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
repo=$(cd "$here/.." && pwd)
pigen=${1:?usage: build.sh PI_GEN_DIR [OUT_DIR]}
out=${2:-$repo/image-out}
wheelhouse="$out/wheelhouse"

MADOGUCHI_WHEELHOUSE_IN_ROOT=/tmp/madoguchi-wheelhouse "$here/wheelhouse.sh" "$wheelhouse"
first_pass=$(head -c 24 /dev/urandom | base64 | tr -d '/+=')

cat >"$pigen/config" <<CONFIG
IMG_NAME=madoguchi
RELEASE=bookworm
TARGET_HOSTNAME=madoguchi-kiosk
LOCALE_DEFAULT=ja_JP.UTF-8
KEYBOARD_KEYMAP=jp
KEYBOARD_LAYOUT="Japanese"
TIMEZONE_DEFAULT=Asia/Tokyo
FIRST_USER_NAME=madoguchi-admin
FIRST_USER_PASS=$first_pass
DISABLE_FIRST_BOOT_USER_RENAME=1
ENABLE_SSH=0
DEPLOY_COMPRESSION=xz
STAGE_LIST="stage0 stage1 stage2 $here/stage-madoguchi"
DEPLOY_DIR=$out
export MADOGUCHI_SRC=$repo
export MADOGUCHI_WHEELHOUSE=$wheelhouse
CONFIG
# stage2 exports the plain Lite image too; only ours is wanted.
touch "$pigen/stage2/SKIP_IMAGES"

cd "$pigen"
./build.sh
