#!/bin/sh
# RAUC custom bootloader backend for the Raspberry Pi firmware's tryboot A/B (autoboot.txt).
#
#   tryboot-backend get-primary | set-primary SLOT | get-state SLOT | set-state SLOT good|bad
#                   | get-current
#
# autoboot.txt (on the shared FAT partition 1) says which boot partition the firmware loads:
#   [all] boot_partition=N       the committed slot, booted by every normal reboot
#   [tryboot] boot_partition=M   booted once by `reboot '0 tryboot'`
# Guarantees: set-primary of the *other* slot only arms [tryboot]: [all] changes only when that
# slot, booted by tryboot, is marked good (rauc status mark-good after the health check). So a
# slot that never comes up, or is marked bad, is left by the next plain reboot: the firmware
# falls back to [all] by itself. Files are replaced by rename, never edited in place.
# Slot A = partition 2, slot B = partition 3. State of bad slots: madoguchi-slots.txt beside it.
set -eu

AUTOBOOT=${MADOGUCHI_AUTOBOOT:-/boot/firmware/autoboot.txt}
STATE=${MADOGUCHI_SLOT_STATE:-$(dirname "$AUTOBOOT")/madoguchi-slots.txt}
CMDLINE=${MADOGUCHI_CMDLINE:-/proc/cmdline}

die() {
	echo "tryboot-backend: $*" >&2
	exit 1
}
part_of() {
	case $1 in A) echo 2 ;; B) echo 3 ;; *) die "unknown slot: $1" ;; esac
}
slot_of() {
	case $1 in 2) echo A ;; 3) echo B ;; *) die "autoboot.txt names no slot partition: $1" ;; esac
}
# The boot_partition value of one section ("all" or "tryboot").
read_part() {
	[ -f "$AUTOBOOT" ] || die "missing $AUTOBOOT"
	awk -v want="[$1]" '
		/^[[:space:]]*\[/ { section = $1 }
		section == want && /^[[:space:]]*boot_partition=/ { sub(/.*=/, ""); v = $0 }
		END { if (v == "") exit 1; print v }' "$AUTOBOOT" || die "no boot_partition in [$1] of $AUTOBOOT"
}
write_autoboot() { # ALL_PART TRY_PART
	tmp="$AUTOBOOT.new"
	printf '[all]\ntryboot_a_b=1\nboot_partition=%s\n[tryboot]\nboot_partition=%s\n' "$1" "$2" >"$tmp"
	sync "$tmp" 2>/dev/null || true
	mv -f "$tmp" "$AUTOBOOT"
}
current() {
	slot=$(tr ' ' '\n' <"$CMDLINE" | sed -n 's/^rauc\.slot=//p' | tail -n1)
	[ -n "$slot" ] || die "no rauc.slot= on the kernel command line"
	part_of "$slot" >/dev/null
	echo "$slot"
}
is_bad() {
	[ -f "$STATE" ] && grep -qx "bad=$1" "$STATE"
}
set_bad() { # SLOT yes|no
	tmp="$STATE.new"
	: >"$tmp"
	if [ -f "$STATE" ]; then grep -vx "bad=$1" "$STATE" >"$tmp" || true; fi
	[ "$2" = yes ] && echo "bad=$1" >>"$tmp"
	mv -f "$tmp" "$STATE"
}

cmd=${1:-}
case $cmd in
get-primary)
	all=$(read_part all)
	try=$(read_part tryboot)
	# An armed tryboot slot is the one RAUC installed and will boot next (once).
	if [ "$try" != "$all" ] && ! is_bad "$(slot_of "$try")"; then slot_of "$try"; else slot_of "$all"; fi
	;;
set-primary)
	[ $# -eq 2 ] || die "usage: set-primary SLOT"
	p=$(part_of "$2")
	all=$(read_part all)
	set_bad "$2" no
	if [ "$2" = "$(current)" ]; then
		write_autoboot "$p" "$p"
	else
		write_autoboot "$all" "$p"
	fi
	;;
get-state)
	[ $# -eq 2 ] || die "usage: get-state SLOT"
	part_of "$2" >/dev/null
	if is_bad "$2"; then echo bad; else echo good; fi
	;;
set-state)
	[ $# -eq 3 ] || die "usage: set-state SLOT good|bad"
	p=$(part_of "$2")
	all=$(read_part all)
	try=$(read_part tryboot)
	case $3 in
	good)
		set_bad "$2" no
		# Commit: the slot booted by tryboot passed its health check.
		if [ "$2" = "$(current)" ] && [ "$try" = "$p" ]; then write_autoboot "$p" "$p"; fi
		;;
	bad)
		set_bad "$2" yes
		# Disarm: the next boot, tryboot or not, is the committed slot.
		if [ "$try" = "$p" ] && [ "$all" != "$p" ]; then write_autoboot "$all" "$all"; fi
		if [ "$all" = "$p" ]; then
			other=$([ "$2" = A ] && echo 3 || echo 2)
			is_bad "$(slot_of "$other")" || write_autoboot "$other" "$other"
		fi
		;;
	*) die "state must be good or bad: $3" ;;
	esac
	;;
get-current)
	current
	;;
*)
	die "usage: get-primary | set-primary SLOT | get-state SLOT | set-state SLOT good|bad | get-current"
	;;
esac
