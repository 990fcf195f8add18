#!/bin/bash
# Boot the built image under qemu-system-aarch64 and check first boot over the serial console.
#
#   image_build/debian/check-image.sh OUT_DIR      (OUT_DIR of build-image.sh)
#
# On a copy of OUT_DIR/madoguchi.img: a device bundle (fresh central keys, one enrolled
# terminal, endpoint on loopback: the VM has no network) goes on the FAT partition 1 as
# madoguchi-device.tar.gz; the data partition gets kiosk.env (Kivy offscreen: no display under
# qemu); root slot A gets one extra unit, madoguchi-image-check, that waits for the boot to
# finish, prints CHECK lines on ttyAMA0 and powers off. The image itself is not changed.
# The VM: -M virt -cpu cortex-a72 -nic none, the image's own kernel and initrd (-kernel/-initrd:
# no Pi firmware under qemu). Fails unless: the bundle was installed and deleted, the agent
# reached READY (Type=notify: active), the kiosk drew its home screen (READY, its log line), neither
# unit restarted, the agent logged no outbox error, no unit failed.
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
repo=$(cd "$here/../.." && pwd)
out=$(cd "${1:?usage: check-image.sh OUT_DIR}" && pwd)
madoguchi=${MADOGUCHI:-$repo/.venv/bin/madoguchi}
timeout_s=${MADOGUCHI_CHECK_TIMEOUT:-2400}
work="$out/check"
rm -rf "$work"
mkdir -p "$work"
step() { echo "image-check: [$(date -u +%H:%M:%S)] $*" >&2; }

step "device bundle"
"$madoguchi" provision init-central "$work/central" >/dev/null
"$madoguchi" provision enroll --central "$work/central" --center 中央公民館 --device-id kiosk-check-01 \
	--endpoint tcp://127.0.0.1:5555 --out "$work/device" >/dev/null
"$madoguchi" provision export-bundle "$work/device" "$work/madoguchi-device.tar.gz" >/dev/null

step "copy of the image with the bundle and the check unit"
img="$work/check.img"
cp --sparse=always "$out/madoguchi.img" "$img"
offset() { sfdisk -d "$img" | awk -v p="$img$1 " 'index($0, p) == 1 {sub(/.*start= */, ""); sub(/,.*/, ""); printf "%.0f\n", $0 * 512}'; }
size() { sfdisk -d "$img" | awk -v p="$img$1 " 'index($0, p) == 1 {sub(/.*size= */, ""); sub(/,.*/, ""); printf "%.0f\n", $0 * 512}'; }
MTOOLS_SKIP_CHECK=1 mcopy -i "$img@@$(offset 1)" "$work/madoguchi-device.tar.gz" ::/madoguchi-device.tar.gz
edit_ext4() { # PARTNO DEBUGFS_SCRIPT
	dd if="$img" of="$work/part.ext4" bs=1M iflag=skip_bytes,count_bytes skip="$(offset "$1")" count="$(size "$1")" status=none
	debugfs -w -f "$2" "$work/part.ext4" >/dev/null 2>"$work/debugfs.err" || { cat "$work/debugfs.err" >&2; exit 1; }
	if grep -v '^debugfs ' "$work/debugfs.err" | grep -q .; then cat "$work/debugfs.err" >&2; exit 1; fi
	dd if="$work/part.ext4" of="$img" bs=1M oflag=seek_bytes seek="$(offset "$1")" conv=notrunc status=none
	rm -f "$work/part.ext4"
}
cat >"$work/madoguchi-image-check" <<'CHECK'
#!/bin/sh
# Only on the boot-check copy of the image (image_build/debian/check-image.sh).
systemctl is-system-running --wait >/dev/null 2>&1
i=0
# The kiosk is Type=notify: "running" once its home screen is drawn (slow under TCG).
while [ $i -lt 180 ] && [ -f /etc/madoguchi/device/device.toml ] &&
	[ "$(systemctl show -p SubState --value madoguchi-kiosk.service)" != running ]; do
	sleep 5; i=$((i + 1))
done
sleep 30
# Open the console afresh: a getty's vhangup() on ttyAMA0 invalidates the unit's own fd.
exec >/dev/ttyAMA0 2>&1
say() { echo "CHECK $*"; }
say "system: $(systemctl is-system-running)"
say "firstboot: $(systemctl show -p Result --value madoguchi-firstboot.service) $(systemctl show -p ActiveState --value madoguchi-firstboot.service)"
say "bundle on boot partition: $(test -e /boot/firmware/madoguchi-device.tar.gz && echo present || echo deleted)"
say "device installed: $(test -f /etc/madoguchi/device/device.toml && echo yes || echo no)"
say "sync agent: $(systemctl show -p ActiveState --value madoguchi-sync-agent.service)/$(systemctl show -p SubState --value madoguchi-sync-agent.service) restarts=$(systemctl show -p NRestarts --value madoguchi-sync-agent.service)"
say "kiosk: $(systemctl show -p ActiveState --value madoguchi-kiosk.service)/$(systemctl show -p SubState --value madoguchi-kiosk.service) restarts=$(systemctl show -p NRestarts --value madoguchi-kiosk.service)"
say "kiosk home screen: $(journalctl -b -u madoguchi-kiosk.service -o cat --no-pager | grep -q 'home screen drawn' && echo drawn || echo 'not drawn')"
say "agent outbox errors: $(journalctl -b -u madoguchi-sync-agent.service -o cat --no-pager | grep -c 'outbox error')"
ls -ln /var/lib/madoguchi | sed 1d | awk '{print "CHECK outbox dir: " $1 " " $3 ":" $4 " " $NF}'
say "failed units: $(systemctl list-units --failed --plain --no-legend | wc -l)"
systemctl list-units --failed --plain --no-legend | sed 's/^/CHECK failed: /'
for u in $(systemctl list-units --failed --plain --no-legend | cut -d' ' -f1); do
	journalctl -b -u "$u" -n 8 -o cat --no-pager | sed "s/^/CHECK failed $u: /"
done
say "vpcd installed: $(dpkg -s vsmartcard-vpcd >/dev/null 2>&1 && echo yes || echo no)"
say "logins with a password: $(awk -F: '$2 !~ /^[!*]/ && $2 != ""' /etc/shadow | wc -l)"
say "getty on tty1: $(systemctl is-enabled getty@tty1.service 2>&1)"
if [ ! -f /etc/rauc/update-ca.pem ]; then keyring="none (refuses every bundle)"
elif /opt/madoguchi/bin/madoguchi provision update-ca-verify --chain /etc/rauc/root.chain \
	--delegation /etc/rauc/update-ca.delegation /etc/rauc/update-ca.pem >/dev/null 2>&1; then
	keyring="vouched for by the root of trust"
else keyring="REFUSED"; fi
say "update keyring: $keyring"
say "locale: $(cat /etc/default/locale) timezone: $(readlink /etc/localtime)"
journalctl -b -o cat -u madoguchi-sync-agent.service -u madoguchi-kiosk.service --no-pager | tail -n 16 | sed 's/^/CHECK log: /'
echo "CHECK-DONE"
systemctl poweroff
CHECK
cat >"$work/madoguchi-image-check.service" <<'UNIT'
[Unit]
Description=Madoguchi image boot check (check copy only)
After=basic.target
[Service]
Type=simple
ExecStart=/usr/local/sbin/madoguchi-image-check
StandardOutput=tty
StandardError=tty
TTYPath=/dev/ttyAMA0
[Install]
WantedBy=multi-user.target
UNIT
cat >"$work/root.debugfs" <<DEBUGFS
cd /usr/local/sbin
write $work/madoguchi-image-check madoguchi-image-check
sif madoguchi-image-check mode 0100755
cd /etc/systemd/system
write $work/madoguchi-image-check.service madoguchi-image-check.service
cd /etc/systemd/system/multi-user.target.wants
symlink madoguchi-image-check.service /etc/systemd/system/madoguchi-image-check.service
mkdir /etc/systemd/system/madoguchi-kiosk.service.d
cd /etc/systemd/system/madoguchi-kiosk.service.d
write $work/kiosk-tcg.conf image-check.conf
mkdir "/etc/systemd/system/dev-disk-by\x2dlabel-MADOGUCHI.device.d"
cd "/etc/systemd/system/dev-disk-by\x2dlabel-MADOGUCHI.device.d"
write $work/device-tcg.conf image-check.conf
DEBUGFS
# Under TCG emulation the first frame takes minutes, not seconds: a longer start timeout on the
# check copy only (the image's own 300 s stays; a restart still fails the check).
printf '[Service]\nTimeoutStartSec=900\n' >"$work/kiosk-tcg.conf"
# Likewise udev under TCG on a loaded host may name the boot partition later than fstab's 20 s
# (x-systemd.device-timeout, meant for a missing partition on a Pi): 900 s on the check copy.
printf '[Unit]\nJobRunningTimeoutSec=900\n' >"$work/device-tcg.conf"
edit_ext4 5 "$work/root.debugfs"
# Kivy without a display: SDL's offscreen driver and Mesa's software GL (the unit's
# EnvironmentFile overrides its Environment=).
printf 'SDL_VIDEODRIVER=offscreen\nLIBGL_ALWAYS_SOFTWARE=1\nEGL_PLATFORM=surfaceless\n' >"$work/kiosk.env"
cat >"$work/data.debugfs" <<DEBUGFS
cd /etc-madoguchi
write $work/kiosk.env kiosk.env
sif kiosk.env mode 0100644
DEBUGFS
edit_ext4 7 "$work/data.debugfs"

step "boot under qemu-system-aarch64 (TCG; a few minutes; serial log: $work/serial.log)"
: >"$work/serial.log"
start=$(date +%s)
nice -n 10 timeout "$timeout_s" qemu-system-aarch64 -M virt -cpu cortex-a72 -smp 2 -m 2048 \
	-nic none -display none -monitor none -no-reboot -serial "file:$work/serial.log" \
	-kernel "$out/boot/vmlinuz" -initrd "$out/boot/initrd.img" \
	-append "root=/dev/vda5 rootfstype=ext4 rw rootwait console=ttyAMA0 rauc.slot=A" \
	-drive "file=$img,format=raw,if=virtio" &
qemu=$!
seen=0
while kill -0 "$qemu" 2>/dev/null; do
	n=$(wc -l <"$work/serial.log")
	if [ "$n" -gt "$seen" ]; then
		sed -n "$((seen + 1)),${n}p" "$work/serial.log" | grep -aE 'Reached target|CHECK|Failed|madoguchi' | sed 's/^/  | /' >&2 || true
		seen=$n
	fi
	sleep 5
done
wait "$qemu" || { step "qemu failed or timed out after $(($(date +%s) - start)) s"; exit 1; }
step "VM powered off after $(($(date +%s) - start)) s"
rm -f "$img"

log="$work/serial.log"
grep -a '^CHECK' "$log" | tr -d '\r' >"$work/check.txt" || true
cat "$work/check.txt"
fail=0
expect() {
	grep -aqF "$1" "$work/check.txt" || { echo "image-check: FAILED: expected '$1'" >&2; fail=1; }
}
expect "CHECK-DONE"
expect "CHECK bundle on boot partition: deleted"
expect "CHECK device installed: yes"
expect "CHECK sync agent: active/running restarts=0"
expect "CHECK kiosk: active/running restarts=0"
expect "CHECK kiosk home screen: drawn"
expect "CHECK agent outbox errors: 0"
expect "CHECK failed units: 0"
expect "CHECK vpcd installed: no"
expect "CHECK logins with a password: 0"
expect "CHECK getty on tty1: masked"
if grep -aqF "CHECK update keyring: REFUSED" "$work/check.txt"; then
	echo "image-check: FAILED: the image's update keyring is not vouched for by its root chain" >&2
	fail=1
fi
[ "$fail" -eq 0 ] || exit 1
echo "image-check: passed"
