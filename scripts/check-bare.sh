#!/usr/bin/env bash
# Proves the README's two commands on a bare Debian 12: builds a minimal root with debootstrap from
# the Debian archive this machine already uses, adds only git, make and ca-certificates, clones this
# repository's committed HEAD into it and runs `make test` and `make demo` there, as a new user would.
#
# Into the root go exactly this machine's settings for reaching the package registries, nothing
# else: apt sources and apt.conf.d (mirror, proxy), pip configuration files, the extra CA
# certificates it trusts, DNS, and the environment variables about proxies, certificates, pip and
# npm. Prints the pytest summary line and the demo's last lines; full logs stay in WORKDIR/logs.
#
# Usage (as root; takes 15-30 minutes): scripts/check-bare.sh [--keep] [WORKDIR]
#   WORKDIR  default /var/tmp/madoguchi-bare (needs about 4 GB); --keep leaves the root there.
# Not part of `make test`. See docs/harness.md.
set -euo pipefail
cd "$(dirname "$0")/.."
repo=$(pwd)

keep=0
if [ "${1:-}" = "--keep" ]; then keep=1; shift; fi
work=${1:-/var/tmp/madoguchi-bare}
root=$work/root
logs=$work/logs

say() { printf 'check-bare: %s\n' "$*" >&2; }
[ "$(id -u)" -eq 0 ] || { say "run as root (debootstrap, chroot and mounts need it)"; exit 1; }

cleanup() {
  local rc=$?
  if mountpoint -q "$root" 2>/dev/null || grep -q " $root/" /proc/mounts 2>/dev/null; then
    # Processes left inside (a daemon of a failed test) hold mounts: end them first.
    for proc in /proc/[0-9]*; do
      if [ "$(readlink "$proc/root" 2>/dev/null)" = "$root" ]; then
        kill -9 "${proc#/proc/}" 2>/dev/null || true
      fi
    done
    umount -R "$root" 2>/dev/null || umount -lR "$root" 2>/dev/null || true
  fi
  if grep -q " $root" /proc/mounts; then
    say "could not unmount everything under $root:"
    grep " $root" /proc/mounts >&2
    rc=1
  fi
  if [ "$keep" -eq 0 ]; then rm -rf "$root"; fi
  exit "$rc"
}
trap cleanup EXIT INT TERM
trap 'say "failed at line $LINENO: $BASH_COMMAND"' ERR

# The mirror of this machine's own apt sources (deb822 or one-line format).
mirror=$(
  { grep -hE '^URIs:' /etc/apt/sources.list.d/*.sources 2>/dev/null | awk '{print $2}'
    grep -hE '^deb ' /etc/apt/sources.list /etc/apt/sources.list.d/*.list 2>/dev/null | awk '{print $2}'
  } | grep -v -- '-security' | grep -m1 '/debian' || true
)
[ -n "$mirror" ] || { say "no Debian mirror found in this machine's apt sources"; exit 1; }

if ! command -v debootstrap >/dev/null; then
  say "installing debootstrap"
  DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends debootstrap >&2
fi

rm -rf "$root"
mkdir -p "$root" "$logs"
say "debootstrap bookworm (minbase) from $mirror into $root"
debootstrap --variant=minbase bookworm "$root" "$mirror" >"$logs/debootstrap.log" 2>&1 ||
  { tail -20 "$logs/debootstrap.log" >&2; exit 1; }

# This machine's settings for the registries, and nothing else.
rm -f "$root/etc/apt/sources.list"
cp -a /etc/apt/sources.list "$root/etc/apt/" 2>/dev/null || true
cp -a /etc/apt/sources.list.d/. "$root/etc/apt/sources.list.d/"
cp -a /etc/apt/apt.conf.d/. "$root/etc/apt/apt.conf.d/"
for f in /etc/apt/auth.conf /etc/apt/auth.conf.d /etc/apt/trusted.gpg.d /etc/apt/keyrings; do
  if [ -e "$f" ]; then cp -a "$f" "$root/etc/apt/"; fi
done
keys=$(cat /etc/apt/sources.list.d/* /etc/apt/sources.list 2>/dev/null |
  grep -oE 'Signed-By: *\S+|signed-by=[^] ]+' | sed -E 's/^(Signed-By: *|signed-by=)//' | sort -u) || true
while IFS= read -r key; do
  if [ -f "$key" ] && [ ! -e "$root$key" ]; then install -D -m 0644 "$key" "$root$key"; fi
done <<<"$keys"
for f in /etc/pip.conf /etc/xdg/pip /root/.config/pip /root/.pip /root/.npmrc; do
  if [ -e "$f" ]; then mkdir -p "$root$(dirname "$f")" && cp -a "$f" "$root$f"; fi
done
mkdir -p "$root/usr/local/share/ca-certificates"
cp -a /usr/local/share/ca-certificates/. "$root/usr/local/share/ca-certificates/" 2>/dev/null || true
cp -L /etc/resolv.conf "$root/etc/resolv.conf"

# The mounts the tests need; the root bound onto itself so that mount-propagation changes
# (unshare --propagation private, the tests' private mount namespaces) work inside it.
mount --bind "$root" "$root"
mount --make-private "$root"
mount -t proc proc "$root/proc"
mount -t sysfs sys "$root/sys"
mount --rbind /dev "$root/dev"
mount --make-rslave "$root/dev"  # nothing mounted below it inside reaches this machine's /dev
mount -t tmpfs -o mode=1777 shm "$root/dev/shm"
mount -t tmpfs -o mode=0755 run "$root/run"

# The environment variables about proxies, certificates, pip and npm, and nothing else.
envs=(PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin HOME=/root LANG=C.UTF-8
  DEBIAN_FRONTEND=noninteractive)
while IFS= read -r line; do envs+=("$line"); done < <(
  env | grep -E '^(https?_proxy|no_proxy|HTTPS?_PROXY|NO_PROXY|ALL_PROXY|all_proxy|PIP_[A-Z_]+|npm_config_[a-z_]+|SSL_CERT_(FILE|DIR)|REQUESTS_CA_BUNDLE|CURL_CA_BUNDLE|GIT_SSL_CAINFO|NODE_EXTRA_CA_CERTS)=' || true
)
inside() { chroot "$root" /usr/bin/env -i "${envs[@]}" /bin/bash -c "$1"; }

say "installing git, make and ca-certificates (and trusting this machine's extra CAs)"
inside 'apt-get update -q && apt-get install -y -q --no-install-recommends git make ca-certificates \
  && update-ca-certificates' >"$logs/base.log" 2>&1 || { tail -20 "$logs/base.log" >&2; exit 1; }

say "cloning $(git -C "$repo" rev-parse --short HEAD) (committed HEAD) into /src/madoguchi"
git clone -q "$repo" "$root/src/madoguchi"

say "make test (full log: $logs/make-test.log)"
test_rc=0
inside 'cd /src/madoguchi && make test' >"$logs/make-test.log" 2>&1 || test_rc=$?
say "make demo (full log: $logs/make-demo.log)"
demo_rc=0
inside 'cd /src/madoguchi && make demo' >"$logs/make-demo.log" 2>&1 || demo_rc=$?

echo "== make test (exit $test_rc): pytest's summary"
grep -E '^=+ .*(passed|failed|error).* =+$' "$logs/make-test.log" | tail -1 ||
  tail -20 "$logs/make-test.log"
echo "== make demo (exit $demo_rc): its last lines"
tail -n 15 "$logs/make-demo.log"
[ "$test_rc" -eq 0 ] && [ "$demo_rc" -eq 0 ]
