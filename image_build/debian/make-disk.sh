#!/bin/bash
# Lay the kiosk root out as a disk image without loop mounts (mkfs.ext4 -d, mkfs.vfat + mcopy).
#
#   make-disk.sh ROOT OUT_DIR
#
# MBR: p1 MADOGUCHI (FAT: autoboot.txt, the device bundle drop; /boot/firmware), p2 BOOT-A and
# p3 BOOT-B (FAT: firmware, kernel, initrd, cmdline.txt of slot A / B), p5 root A, p6 root B
# (ext4, RAUC's rootfs slots), p7 mdg-data (ext4: keys, outbox, service state).
# Fixed UUIDs, hash seeds and times from SOURCE_DATE_EPOCH: the same root gives the same bytes.
set -euo pipefail

root=${1:?usage: make-disk.sh ROOT OUT_DIR}
out=${2:?usage: make-disk.sh ROOT OUT_DIR}
: "${SOURCE_DATE_EPOCH:?set by build-image.sh}"
export E2FSPROGS_FAKE_TIME=$SOURCE_DATE_EPOCH
uuid() { printf '%s' "$1" | sha256sum | sed -E 's/^(.{8})(.{4})(.{4})(.{4})(.{12}).*/\1-\2-\3-\4-\5/'; }
MiB=$((1024 * 1024))
work="$out/parts"
rm -rf "$work"
mkdir -p "$work/boot" "$work/data"

# Boot files out of the root (raspi-firmware put them in /boot/firmware); the root keeps an
# empty mount point for p1.
cp -a "$root/boot/firmware/." "$work/boot/"
find "$root/boot/firmware" -mindepth 1 -delete
kver=$(find "$root/boot" -maxdepth 1 -name "vmlinuz-*" -printf "%f\n" | sed "s/^vmlinuz-//" | sort -V | tail -n1)
cp "$root/boot/vmlinuz-$kver" "$work/boot/vmlinuz"
cp "$root/boot/initrd.img-$kver" "$work/boot/initrd.img"
mkdir -p "$out/boot"
cp "$work/boot/vmlinuz" "$work/boot/initrd.img" "$out/boot/"

# Data partition: what the bind mounts of /etc/fstab expect, with the modes tmpfiles gave.
cp -a "$root/etc/madoguchi" "$work/data/etc-madoguchi"
cp -a "$root/var/lib/madoguchi" "$work/data/madoguchi"
install -d -m 0700 "$work/data/madoguchi-sync" "$work/data/madoguchi-kiosk"
find "$work" -exec touch -h -d "@$SOURCE_DATE_EPOCH" {} +

used_kib=$(du -sk --apparent-size "$root" | cut -f1)
root_mib=$(((used_kib * 13 / 10 / 1024) + 256))
# mkfs.ext4 -d (e2fsprogs 1.47.0) copies each file's atime and ctime from the source: set every
# used inode's to SOURCE_DATE_EPOCH afterwards (mtimes newer than it are clamped before).
clamp_times() {
	local used script
	used=$(dumpe2fs -h "$1" 2>/dev/null | awk -F: '/^Inode count/ {n = $2} /^Free inodes/ {f = $2} END {print n - f + 11}')
	script=$(mktemp)
	{
		seq 1 "$used" | awk -v t="@$SOURCE_DATE_EPOCH" '{print "sif <" $1 "> atime " t; print "sif <" $1 "> ctime " t}'
		echo "ssv lastcheck @$SOURCE_DATE_EPOCH"
		echo "ssv wtime @$SOURCE_DATE_EPOCH"
	} >"$script"
	debugfs -w -f "$script" "$1" >/dev/null 2>&1
	rm -f "$script"
}
mkfs_root() {
	rm -f "$2"
	find "$1" -newermt "@$SOURCE_DATE_EPOCH" -exec touch -h -d "@$SOURCE_DATE_EPOCH" {} +
	mkfs.ext4 -q -F -L "$3" -U "$(uuid "$3$SOURCE_DATE_EPOCH")" \
		-E "hash_seed=$(uuid "seed$SOURCE_DATE_EPOCH"),root_owner=0:0" -O ^metadata_csum_seed \
		-d "$1" "$2" "$4M"
	clamp_times "$2"
}
mkfs_root "$root" "$out/rootfs.ext4" root "$root_mib"
mkfs_root "$work/data" "$work/data.ext4" mdg-data 256
sha256sum "$out/rootfs.ext4" | sed "s# .*#  rootfs.ext4#" >"$out/rootfs.sha256"

mkfat() { # FILE LABEL CMDLINE_ROOT SLOT
	rm -f "$1"
	mkfs.vfat -C -n "$2" -i "$(printf '%s' "$2" | sha256sum | cut -c1-8)" --invariant "$1" $((256 * 1024)) >/dev/null
	if [ -n "$3" ]; then
		printf 'console=serial0,115200 console=tty3 root=%s rootfstype=ext4 rw rootwait rauc.slot=%s quiet loglevel=3 vt.global_cursor_default=0\n' "$3" "$4" >"$work/boot/cmdline.txt"
		touch -d "@$SOURCE_DATE_EPOCH" "$work/boot/cmdline.txt"
		MTOOLS_SKIP_CHECK=1 mcopy -s -p -m -i "$1" "$work/boot"/* ::/
	fi
}
mkfat "$work/madoguchi.vfat" MADOGUCHI "" ""
printf '[all]\ntryboot_a_b=1\nboot_partition=2\n[tryboot]\nboot_partition=2\n' >"$work/autoboot.txt"
touch -d "@$SOURCE_DATE_EPOCH" "$work/autoboot.txt"
MTOOLS_SKIP_CHECK=1 mcopy -p -m -i "$work/madoguchi.vfat" "$work/autoboot.txt" ::/
mkfat "$work/boot-a.vfat" BOOT-A /dev/mmcblk0p5 A
mkfat "$work/boot-b.vfat" BOOT-B /dev/mmcblk0p6 B
cp "$work/boot-a.vfat" "$out/bootfs.vfat"

# The disk: partitions 1 MiB aligned; slot B starts as a copy of A (both bootable, RAUC
# overwrites B on the first update).
img="$out/madoguchi.img"
s_root=$(($(stat -c %s "$out/rootfs.ext4") / MiB))
rm -f "$img"
# Each logical partition (5-7) is preceded by its 1 MiB-aligned EBR.
truncate -s $(((4 + 3 * 256 + 2 * s_root + 256 + 8) * MiB)) "$img"
sfdisk -q --label dos "$img" <<SFDISK
label-id: 0x$(printf '%s' "madoguchi$SOURCE_DATE_EPOCH" | sha256sum | cut -c1-8)
start=4MiB, size=256MiB, type=c, bootable
size=256MiB, type=c
size=256MiB, type=c
size=$((2 * s_root + 256 + 6))MiB, type=5
size=$((s_root))MiB, type=83
size=$((s_root))MiB, type=83
size=256MiB, type=83
SFDISK
put() { # PARTNO FILE
	local start
	start=$(sfdisk -d "$img" | awk -v p="$img$1 " 'index($0, p) == 1 {sub(/.*start= */, ""); sub(/,.*/, ""); print}')
	dd if="$2" of="$img" bs=512 seek="$start" conv=notrunc,sparse status=none
}
put 1 "$work/madoguchi.vfat"
put 2 "$work/boot-a.vfat"
put 3 "$work/boot-b.vfat"
put 5 "$out/rootfs.ext4"
put 6 "$out/rootfs.ext4"
put 7 "$work/data.ext4"
cp "$work/data.ext4" "$out/data.ext4"
cp "$work/madoguchi.vfat" "$out/madoguchi.vfat"
