#!/bin/bash
# Build (or reuse) the cached Debian 12 arm64 base root of the kiosk image with mmdebstrap.
#
#   build-root.sh CACHE_DIR        prints, on its last line, the path of root-<key>.tar and
#                                  the packages still to install on it (none for an exact match)
#
# The key is a digest of both package lists, the recipe version, the initramfs module list,
# the mirror and SOURCE_DATE_EPOCH: the same inputs
# reuse the tarball, so the slow part (dpkg and mkinitramfs under qemu-user) runs once.
# Guarantees: no kernel module list taken from the build host (MODULES=list with a fixed list
# for the qemu virt machine and Raspberry Pi 4/5), one initramfs build (update-initramfs is
# diverted while packages install, then run once), no vsmartcard-vpcd (apt pin before any
# package is installed).
# Hooks are single-quoted on purpose: mmdebstrap expands "$1" (the root) when it runs them.
# shellcheck disable=SC2016
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
cache=${1:?usage: build-root.sh CACHE_DIR}
shared_list="$here/../stage-madoguchi/00-packages/00-packages-nr"
base_list="$here/base-packages.txt"
: "${SOURCE_DATE_EPOCH:=$(cat "$here/source-date-epoch")}"
export SOURCE_DATE_EPOCH
MIRROR=${MADOGUCHI_DEBIAN_MIRROR:-http://deb.debian.org/debian}

packages=$(grep -hv '^[[:space:]]*\(#\|$\)' "$base_list" "$shared_list" | sort -u | paste -sd, -)
# Bump RECIPE when the hooks below change what goes into the root.
RECIPE=1
modules='virtio_pci virtio_mmio virtio_blk ext4 crc32c_generic vfat nls_cp437 nls_ascii sdhci_iproc sdhci_brcmstb mmc_block bcm2835_dma'
key=$(echo "$RECIPE $packages $SOURCE_DATE_EPOCH $MIRROR $modules" | sha256sum | cut -c1-16)
tarball="$cache/root-$key.tar"
mkdir -p "$cache"
if [ -f "$tarball" ]; then
	echo "image: base root cached: $tarball" >&2
	echo "$tarball"
	exit 0
fi
# A cached root made from the same recipe, mirror, date and modules with a SUBSET of today's
# packages is reused: the missing ones are printed after its path, and build-image.sh installs
# them on top (apt, same archive) instead of another hour of mmdebstrap under emulation.
# MADOGUCHI_ROOT_REBUILD=1 forces a fresh root (do that for a release).
fixed=$(echo "$RECIPE $SOURCE_DATE_EPOCH $MIRROR $modules" | sha256sum | cut -c1-16)
if [ "${MADOGUCHI_ROOT_REBUILD:-0}" != 1 ]; then
	for cached in "$cache"/root-*.tar; do
		inputs="${cached%.tar}.inputs"
		if [ ! -f "$cached" ] || [ ! -f "$inputs" ]; then continue; fi
		[ "$(sed -n 1p "$inputs")" = "fixed=$fixed" ] || continue
		missing=$(comm -13 <(sed 1d "$inputs" | sort -u) <(tr , '\n' <<<"$packages" | sort -u) | paste -sd' ' -)
		if ! comm -23 <(sed 1d "$inputs" | sort -u) <(tr , '\n' <<<"$packages" | sort -u) | grep -q .; then
			echo "image: base root cached with fewer packages: $cached (top-up: ${missing:-none})" >&2
			echo "$cached $missing"
			exit 0
		fi
	done
fi

# Initramfs ($modules above): only what the virt machine (virtio) and a Pi 4/5 (SD/eMMC) need
# to mount the root.

echo "image: building the base root (mmdebstrap, arm64 under qemu-user; tens of minutes)" >&2
nice -n 19 mmdebstrap --arch=arm64 --variant=apt --mode=root --format=tar \
	--components=main,non-free-firmware \
	--include="$packages" \
	--dpkgopt='path-exclude=/usr/share/doc/*' --dpkgopt='path-include=/usr/share/doc/*/copyright' \
	--dpkgopt='path-exclude=/usr/share/man/*' --dpkgopt='path-exclude=/usr/share/info/*' \
	--setup-hook='mkdir -p "$1/boot/firmware" "$1/etc/apt/preferences.d"' \
	--setup-hook='printf "Package: vsmartcard-vpcd\nPin: release *\nPin-Priority: -1\n" >"$1/etc/apt/preferences.d/madoguchi-no-vpcd"' \
	--essential-hook='chroot "$1" dpkg-divert --quiet --local --rename --add /usr/sbin/update-initramfs' \
	--essential-hook='ln -sf /bin/true "$1/usr/sbin/update-initramfs"' \
	--customize-hook='rm -f "$1/usr/sbin/update-initramfs"; chroot "$1" dpkg-divert --quiet --local --rename --remove /usr/sbin/update-initramfs' \
	--customize-hook="printf 'MODULES=list\nCOMPRESS=gzip\n' >\"\$1/etc/initramfs-tools/conf.d/madoguchi.conf\"; printf '%s\n' $modules >\"\$1/etc/initramfs-tools/modules\"" \
	--customize-hook='echo "image: mkinitramfs (once)" >&2; chroot "$1" update-initramfs -c -k all' \
	--customize-hook='rm -f "$1"/var/cache/apt/*.bin "$1"/var/lib/apt/lists/*_Packages "$1"/var/lib/apt/lists/*_InRelease' \
	bookworm "$tarball.part" "$MIRROR"
{ echo "fixed=$fixed"; tr , '\n' <<<"$packages"; } >"${tarball%.tar}.inputs"
mv "$tarball.part" "$tarball"
echo "$tarball"
