#!/bin/bash
# Install Madoguchi's system files into a root filesystem, and check an image root.
#
#   install-madoguchi.sh system ROOT SYSTEMD_SRC   units, sysusers, tmpfiles, users, enablement,
#                                                  apt pin against vsmartcard-vpcd, cupsd privacy
#                                                  settings (cupsd-privacy.conf) in cupsd.conf
#   install-madoguchi.sh check ROOT                fail if vsmartcard-vpcd (or its driver) is in
#                                                  ROOT, or if ROOT's cupsd would keep job files
#                                                  or job history
#
# Works on a pi-gen rootfs from the build host and on a temp dir in tests: systemd's own tools
# are used with --root, nothing runs inside ROOT. Idempotent.
set -euo pipefail

# madoguchi-update-health only acts on a RAUC A/B image (ConditionKernelCommandLine=rauc.slot).
DEVICE_UNITS=(madoguchi-kiosk.service madoguchi-sync-agent.service madoguchi-firstboot.service
	madoguchi-update-health.service)
HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
CUPSD_PRIVACY="$HERE/cupsd-privacy.conf"
CUPSD_DIRECTIVES='PreserveJobFiles|PreserveJobHistory|MaxJobs|PageLogFormat|LogLevel'

die() {
	echo "install-madoguchi: $*" >&2
	exit 1
}

install_system() {
	local root=$1 src=$2 unit
	[ -d "$root" ] || die "no root directory: $root"
	for unit in "${DEVICE_UNITS[@]}"; do
		[ -f "$src/$unit" ] || die "missing unit: $src/$unit"
	done
	install -d -m 0755 "$root/usr/lib/systemd/system" "$root/usr/lib/sysusers.d" \
		"$root/usr/lib/tmpfiles.d" "$root/etc/apt/preferences.d" "$root/etc/madoguchi"
	for unit in "${DEVICE_UNITS[@]}"; do
		install -m 0644 "$src/$unit" "$root/usr/lib/systemd/system/$unit"
	done
	install -m 0644 "$src/madoguchi.sysusers.conf" "$root/usr/lib/sysusers.d/madoguchi.conf"
	install -m 0644 "$src/madoguchi.tmpfiles.conf" "$root/usr/lib/tmpfiles.d/madoguchi.conf"
	cat >"$root/etc/apt/preferences.d/madoguchi-no-vpcd" <<'PIN'
# The virtual card reader listens on TCP: it must never be installed on a kiosk.
Package: vsmartcard-vpcd
Pin: release *
Pin-Priority: -1
PIN
	systemd-sysusers --root="$root" "$root/usr/lib/sysusers.d/madoguchi.conf"
	systemd-tmpfiles --create --root="$root" "$root/usr/lib/tmpfiles.d/madoguchi.conf"
	systemctl --root="$root" enable "${DEVICE_UNITS[@]}" >/dev/null 2>&1 ||
		die "systemctl --root enable failed"
	# The kiosk owns the screen: no login prompt on tty1, and none on another console either
	# (Ctrl+Alt+F2 on a keyboard plugged into the kiosk would otherwise get a getty from
	# logind's autovt), and no magic SysRq keys (Alt+SysRq+B reboots, +K kills the kiosk).
	install -d -m 0755 "$root/etc/systemd/logind.conf.d" "$root/etc/sysctl.d"
	cat >"$root/etc/systemd/logind.conf.d/madoguchi-kiosk.conf" <<'LOGIND'
[Login]
NAutoVTs=0
ReserveVT=0
LOGIND
	cat >"$root/etc/sysctl.d/90-madoguchi-kiosk.conf" <<'SYSCTL'
kernel.sysrq = 0
SYSCTL
	systemctl --root="$root" mask getty@tty1.service autovt@.service serial-getty@.service >/dev/null 2>&1 || true
	install_cupsd_privacy "$root"
}

# cupsd.conf has no include directory: drop every directive we set (wherever it stands), then
# append ours, so re-running gives the same file and a package default never wins.
install_cupsd_privacy() {
	local root=$1 conf="$1/etc/cups/cupsd.conf" tmp
	[ -f "$CUPSD_PRIVACY" ] || die "missing $CUPSD_PRIVACY"
	install -d -m 0755 "$root/etc/cups"
	tmp=$(mktemp "$root/etc/cups/.cupsd.conf.XXXXXX")
	if [ -f "$conf" ]; then
		grep -Ev "^[[:space:]]*($CUPSD_DIRECTIVES)([[:space:]]|\$)" "$conf" |
			sed '/^# >>> madoguchi privacy/,/^# <<< madoguchi privacy/d' >"$tmp" || true
	fi
	{
		echo "# >>> madoguchi privacy (install-madoguchi.sh; do not edit here)"
		cat "$CUPSD_PRIVACY"
		echo "# <<< madoguchi privacy"
	} >>"$tmp"
	chmod 0640 "$tmp"
	mv "$tmp" "$conf"
}

check_cupsd() {
	local conf="$1/etc/cups/cupsd.conf"
	[ -e "$1/usr/sbin/cupsd" ] || [ -e "$conf" ] || return 0
	[ -f "$conf" ] || die "cupsd is in the image but $conf is missing"
	grep -Eq '^[[:space:]]*PreserveJobFiles[[:space:]]+No[[:space:]]*$' "$conf" ||
		die "$conf keeps job files (PreserveJobFiles No is missing)"
	grep -Eq '^[[:space:]]*PreserveJobHistory[[:space:]]+No[[:space:]]*$' "$conf" ||
		die "$conf keeps job history (PreserveJobHistory No is missing)"
	if grep -Eq '^[[:space:]]*(PreserveJobFiles|PreserveJobHistory)[[:space:]]+([Yy]|[0-9])' "$conf"; then
		die "$conf also sets PreserveJobFiles/PreserveJobHistory to keep jobs"
	fi
	echo "install-madoguchi: cupsd keeps no job files or history in $1"
}

check_image() {
	local root=$1 status="$1/var/lib/dpkg/status"
	[ -d "$root" ] || die "no root directory: $root"
	if [ -f "$status" ] && awk -v RS= '/(^|\n)Package: vsmartcard-vpcd\n/ && /\nStatus: install ok installed/ {found=1} END {exit !found}' "$status"; then
		die "vsmartcard-vpcd is installed in the image: it must not ship"
	fi
	if compgen -G "$root/usr/lib/pcsc/drivers/*vpcd*" >/dev/null ||
		compgen -G "$root/usr/lib/pcsc/drivers/serial/*vpcd*" >/dev/null ||
		[ -e "$root/etc/reader.conf.d/vpcd" ]; then
		die "a vpcd reader driver is present in the image: it must not ship"
	fi
	echo "install-madoguchi: no virtual card reader in $root"
	check_cupsd "$root"
}

case "${1:-}" in
system)
	[ $# -eq 3 ] || die "usage: $0 system ROOT SYSTEMD_SRC"
	install_system "$2" "$3"
	;;
check)
	[ $# -eq 2 ] || die "usage: $0 check ROOT"
	check_image "$2"
	;;
*)
	die "usage: $0 system ROOT SYSTEMD_SRC | check ROOT"
	;;
esac
