#!/bin/bash
# Install RAUC's keyring (the update CA) into an image root, only if the Ed25519 root of trust
# vouches for it: the offline root's statement (provision update-ca-delegate) must verify against
# the root chain the central side installed, for exactly this certificate (docs/image.md).
#
#   install-update-ca.sh ROOT
#
# Environment: MADOGUCHI_UPDATE_CA (ca.pem; unset: no keyring, the image refuses every bundle),
# MADOGUCHI_UPDATE_CA_DELEGATION (default: ca.delegation beside it), MADOGUCHI_ROOT_CHAIN (the
# central's root.chain; required with a CA), MADOGUCHI_ROOT_ANCHOR (optional key id the chain
# must start from), MADOGUCHI (the madoguchi command of the build host).
# Guarantees: on any refusal nothing is installed and the exit status is 1. Installed, all
# public: /etc/rauc/update-ca.pem, update-ca.delegation, root.chain (for audits on the device).
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
root=${1:?usage: install-update-ca.sh ROOT}
madoguchi=${MADOGUCHI:-$here/../../.venv/bin/madoguchi}
ca=${MADOGUCHI_UPDATE_CA:-}
if [ -z "$ca" ]; then
	echo "image: no MADOGUCHI_UPDATE_CA: this image refuses every update bundle" >&2
	exit 0
fi
delegation=${MADOGUCHI_UPDATE_CA_DELEGATION:-$(dirname "$ca")/ca.delegation}
chain=${MADOGUCHI_ROOT_CHAIN:-}
if [ -z "$chain" ]; then
	echo "image: MADOGUCHI_ROOT_CHAIN is needed to check the update CA against the root of trust" >&2
	exit 1
fi
anchor=()
[ -n "${MADOGUCHI_ROOT_ANCHOR:-}" ] && anchor=(--anchor "$MADOGUCHI_ROOT_ANCHOR")
if ! "$madoguchi" provision update-ca-verify --chain "$chain" --delegation "$delegation" "${anchor[@]}" "$ca" >&2; then
	echo "image: update CA not installed (not vouched for by the root of trust)" >&2
	exit 1
fi
install -d -m 0755 "$root/etc/rauc"
install -m 0644 "$ca" "$root/etc/rauc/update-ca.pem"
install -m 0644 "$delegation" "$root/etc/rauc/update-ca.delegation"
install -m 0644 "$chain" "$root/etc/rauc/root.chain"
