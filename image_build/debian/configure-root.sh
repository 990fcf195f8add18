#!/bin/bash
# Settings of the Debian kiosk root that pi-gen's config makes for Raspberry Pi OS: locale
# ja_JP.UTF-8, Asia/Tokyo, keymap jp, hostname, no password on any account, the mounts of the
# A/B layout (docs/image.md), RAUC's system.conf and the tryboot backend, then the build's
# leftovers removed and every timestamp clamped to SOURCE_DATE_EPOCH.
#
#   configure-root.sh ROOT          (from the build host; uses chroot for locale-gen only)
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
root=${1:?usage: configure-root.sh ROOT}
: "${SOURCE_DATE_EPOCH:?set by build-image.sh}"

sed -i 's/^# *\(ja_JP.UTF-8 UTF-8\)/\1/' "$root/etc/locale.gen"
grep -q '^ja_JP.UTF-8 UTF-8' "$root/etc/locale.gen" || echo 'ja_JP.UTF-8 UTF-8' >>"$root/etc/locale.gen"
nice -n 19 chroot "$root" locale-gen >/dev/null
echo 'LANG=ja_JP.UTF-8' >"$root/etc/default/locale"
ln -sfn /usr/share/zoneinfo/Asia/Tokyo "$root/etc/localtime"
echo 'Asia/Tokyo' >"$root/etc/timezone"
printf 'XKBMODEL="jp106"\nXKBLAYOUT="jp"\nXKBVARIANT=""\nXKBOPTIONS=""\nBACKSPACE="guess"\n' >"$root/etc/default/keyboard"
echo 'madoguchi-kiosk' >"$root/etc/hostname"
printf '127.0.0.1\tlocalhost\n127.0.1.1\tmadoguchi-kiosk\n::1\tlocalhost ip6-localhost ip6-loopback\n' >"$root/etc/hosts"

# No login user, and root's password locked ('!*'): nobody shares a password with every kiosk.
# The last-change day (field 3) is the build date's, not the day systemd-sysusers ran.
sed -i -E "s/^([^:]+):[^:]*:[^:]*:/\\1:!*:$((SOURCE_DATE_EPOCH / 86400)):/" "$root/etc/shadow"

# Both root slots carry this same file: the shared partitions are found by label.
install -d -m 0755 "$root/boot/firmware" "$root/var/lib/madoguchi-data"
cat >"$root/etc/fstab" <<'FSTAB'
# Madoguchi kiosk (docs/image.md): the root slot comes from the kernel command line.
LABEL=MADOGUCHI  /boot/firmware  vfat  rw,nosuid,nodev,noexec,umask=0077,nofail,x-systemd.device-timeout=20s  0  2
LABEL=mdg-data  /var/lib/madoguchi-data  ext4  rw,nosuid,nodev,noexec  0  2
# The device's keys, outbox and service state live on the data partition, so an update that
# writes the other root slot keeps them.
/var/lib/madoguchi-data/etc-madoguchi  /etc/madoguchi  none  bind,x-systemd.requires-mounts-for=/var/lib/madoguchi-data  0  0
/var/lib/madoguchi-data/madoguchi  /var/lib/madoguchi  none  bind,x-systemd.requires-mounts-for=/var/lib/madoguchi-data  0  0
/var/lib/madoguchi-data/madoguchi-sync  /var/lib/madoguchi-sync  none  bind,x-systemd.requires-mounts-for=/var/lib/madoguchi-data  0  0
/var/lib/madoguchi-data/madoguchi-kiosk  /var/lib/madoguchi-kiosk  none  bind,x-systemd.requires-mounts-for=/var/lib/madoguchi-data  0  0
FSTAB
install -d -m 0755 "$root/var/lib/madoguchi-sync" "$root/var/lib/madoguchi-kiosk"

# RAUC: the A/B slots, the tryboot backend, the version guard and the update CA (keyring), the
# latter only if the root of trust vouches for it (install-update-ca.sh). Without
# MADOGUCHI_UPDATE_CA the image has no keyring and RAUC refuses every bundle.
install -d -m 0755 "$root/etc/rauc" "$root/usr/lib/madoguchi"
install -m 0644 "$here/../rauc/system.conf" "$root/etc/rauc/system.conf"
install -m 0755 "$here/../rauc/tryboot-backend.sh" "$root/usr/lib/madoguchi/tryboot-backend"
install -m 0755 "$here/../rauc/pre-install.sh" "$root/usr/lib/madoguchi/rauc-pre-install"
echo "${MADOGUCHI_IMAGE_VERSION:?set by build-image.sh}" >"$root/usr/lib/madoguchi/image-version"
bash "$here/install-update-ca.sh" "$root"

# Leftovers of the build that differ between runs (logs, caches, machine id, bytecode).
rm -f "$root/etc/resolv.conf" "$root/etc/machine-id" "$root/var/lib/dbus/machine-id"
: >"$root/etc/machine-id"
rm -rf "$root"/var/log/* "$root"/var/cache/apt/* "$root"/var/lib/apt/lists/* \
	"$root"/var/cache/debconf/*-old "$root"/var/lib/dpkg/*-old "$root"/tmp/* "$root"/var/tmp/* \
	"$root"/var/cache/ldconfig/aux-cache
find "$root" -xdev -newermt "@$SOURCE_DATE_EPOCH" -exec touch -h -d "@$SOURCE_DATE_EPOCH" {} +
