#!/bin/sh
# RAUC pre-install handler: refuse a bundle whose version is not newer than the running image
# (rollback protection: a validly signed old bundle with known flaws must not go back on).
# The version comes from the verified bundle's manifest (RAUC mounts it at
# RAUC_BUNDLE_MOUNT_POINT after checking the signature); the running version is in
# /usr/lib/madoguchi/image-version (written by the image build).
set -eu
current_file=${MADOGUCHI_IMAGE_VERSION_FILE:-/usr/lib/madoguchi/image-version}
manifest=${RAUC_BUNDLE_MOUNT_POINT:?run by rauc}/manifest.raucm
new=$(awk -F= '/^\[/ { s = $0 } s == "[update]" && $1 == "version" { print $2 }' "$manifest")
[ -n "$new" ] || { echo "rauc-pre-install: the bundle has no version" >&2; exit 1; }
[ -f "$current_file" ] || { echo "rauc-pre-install: missing $current_file" >&2; exit 1; }
current=$(cat "$current_file")
case $new in *[!0-9.]* | .* | *. | *..*)
	echo "rauc-pre-install: bundle version $new is not dotted numbers" >&2
	exit 1
	;;
esac
newest=$(printf '%s\n%s\n' "$current" "$new" | sort -V | tail -n1)
if [ "$new" = "$current" ] || [ "$newest" != "$new" ]; then
	echo "rauc-pre-install: bundle version $new is not newer than the running $current: refused" >&2
	exit 1
fi
echo "rauc-pre-install: $current -> $new"
