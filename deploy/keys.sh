#!/usr/bin/env bash
# Makes the access-control keys of a Plaza deployment in OUT_DIR, keeping whatever is there
# already (so running it again changes nothing, and a JWKS edited for a key rotation stays):
#   signing-key.pem         the Ed25519 key that signs every token: a secret, customers only
#   jwks.json               its public half: Envoy and every service verify tokens with it
#   ordering-service.token  the token ordering calls the other services with: a secret
# It runs the customers binary: $CUSTOMERS_BIN, by default the workspace's release build
# (cargo build --release -p customers).
#
# Usage: deploy/keys.sh OUT_DIR
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
out=${1:?usage: deploy/keys.sh OUT_DIR}
customers=${CUSTOMERS_BIN:-${CARGO_TARGET_DIR:-$root/target}/release/customers}
if [[ ! -x $customers ]]; then
    echo "keys.sh: $customers not found: cargo build --release -p customers, or set CUSTOMERS_BIN" >&2
    exit 1
fi

mkdir -p "$out"
# Writes the output of a command to $1 only when the command succeeds.
write() {
    local file=$1 mode=$2
    shift 2
    "$@" >"$file.new"
    chmod "$mode" "$file.new"
    mv -f "$file.new" "$file"
}
(umask 077 && [[ -s $out/signing-key.pem ]] || write "$out/signing-key.pem" 600 "$customers" new-signing-key)
export PLAZA_CUSTOMERS__AUTH__SIGNING_KEY_FILE="$out/signing-key.pem"
[[ -s $out/jwks.json ]] || write "$out/jwks.json" 644 "$customers" jwks
(umask 077 && [[ -s $out/ordering-service.token ]] ||
    write "$out/ordering-service.token" 600 "$customers" issue-service-token ordering)
