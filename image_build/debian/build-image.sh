#!/bin/bash
# Build the Madoguchi kiosk image from Debian's archive: Debian 12 arm64 for Raspberry Pi 4/5
# class boards, with the same system files as the pi-gen stage (shared installer scripts).
#
#   image_build/debian/build-image.sh OUT_DIR
#
# Writes OUT_DIR/madoguchi.img (GPT-less MBR disk: see docs/image.md for the layout),
# OUT_DIR/rootfs.ext4 (the root slot image, also the RAUC bundle's payload), OUT_DIR/boot/
# (kernel, initrd), OUT_DIR/rootfs.sha256. Runs as root (chroot, loop-free: mkfs -d, mtools).
# Guarantees: Python only from the hash-locked wheelhouse; no vsmartcard-vpcd; no account with a
# password (checked); timestamps clamped to SOURCE_DATE_EPOCH for a reproducible root digest.
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
src=$(cd "$here/.." && pwd)
repo=$(cd "$src/.." && pwd)
out=${1:?usage: build-image.sh OUT_DIR}
files="$src/stage-madoguchi/01-madoguchi/files"
# The build's fixed date (file times, FAT and ext4 metadata): bump the file for a new release.
: "${SOURCE_DATE_EPOCH:=$(cat "$here/source-date-epoch")}"
export SOURCE_DATE_EPOCH
: "${MADOGUCHI_IMAGE_VERSION:=$(sed -n 's/^version = "\(.*\)"/\1/p' "$repo/pyproject.toml")}"
export MADOGUCHI_IMAGE_VERSION
step() { echo "image: [$(date -u +%H:%M:%S)] $*" >&2; }

[ "$(id -u)" -eq 0 ] || { echo "build-image: run as root (chroot, mkfs -d)" >&2; exit 1; }
if [ ! -e /proc/sys/fs/binfmt_misc/status ]; then
	mount binfmt_misc -t binfmt_misc /proc/sys/fs/binfmt_misc
fi
update-binfmts --enable qemu-aarch64 >/dev/null 2>&1 || true
[ -e /proc/sys/fs/binfmt_misc/qemu-aarch64 ] || { echo "build-image: no qemu-aarch64 binfmt" >&2; exit 1; }

mkdir -p "$out"
out=$(cd "$out" && pwd)
step "1/5 wheelhouse"
MADOGUCHI_WHEELHOUSE_IN_ROOT=/tmp/madoguchi-wheelhouse "$src/wheelhouse.sh" "$out/wheelhouse"
step "2/5 base root (cached by package list)"
read -r tarball topup <<<"$("$here/build-root.sh" "$out/cache" | tail -n1)"

step "3/5 madoguchi layer"
root="$out/root"
cleanup() {
	for m in dev/pts dev proc sys; do
		mountpoint -q "$root/$m" && umount -l "$root/$m"
	done
	return 0
}
trap cleanup EXIT
cleanup
rm -rf "$root"
mkdir -p "$root"
tar -C "$root" --numeric-owner -xf "$tarball"
mount -t proc proc "$root/proc"
mount -t sysfs sysfs "$root/sys"
mount --bind /dev "$root/dev"
mount --bind /dev/pts "$root/dev/pts"
cp /etc/resolv.conf "$root/etc/resolv.conf"
if [ -n "${topup:-}" ]; then
	# Packages added to the lists since the cached root was built (build-root.sh): from the
	# same archive, with the vpcd pin of the root in force.
	step "3/5 top-up of the cached root: $topup"
	# shellcheck disable=SC2086
	nice -n 19 chroot "$root" /bin/sh -c "apt-get update -q >/dev/null && DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends $topup >/dev/null"
fi
install -d -m 0755 "$root/tmp/madoguchi-wheelhouse"
cp "$out/wheelhouse"/* "$root/tmp/madoguchi-wheelhouse/"
install -m 0755 "$files/install-python.sh" "$root/tmp/madoguchi-wheelhouse/"
nice -n 19 chroot "$root" /bin/bash /tmp/madoguchi-wheelhouse/install-python.sh /tmp/madoguchi-wheelhouse
rm -rf "$root/tmp/madoguchi-wheelhouse"
bash "$files/install-madoguchi.sh" system "$root" "$repo/systemd"
bash "$here/configure-root.sh" "$root"
cleanup
bash "$files/install-madoguchi.sh" check "$root"

step "4/5 file systems (mkfs -d, SOURCE_DATE_EPOCH)"
bash "$here/make-disk.sh" "$root" "$out"
step "5/5 done: $out/madoguchi.img ($(du -h --apparent-size "$out/madoguchi.img" | cut -f1)), root digest $(cut -d' ' -f1 "$out/rootfs.sha256")"
