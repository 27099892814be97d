#!/usr/bin/env bash
# Renders envoy.template.yaml.
#   render.sh                  writes compose.yaml and kubernetes.yaml beside this script
#                              (committed; a test checks they are what the template gives)
#   render.sh --into DIR       writes those two into DIR instead
#   render.sh OUT KEY=VALUE... writes one file (make run, tests), for example
#     render.sh .run/envoy.yaml LISTEN_PORT=8080 ADMIN_ADDRESS=127.0.0.1 ADMIN_PORT=9901 \
#       DESCRIPTOR_SET=.run/plaza.pb JWKS_FILE=.run/keys/jwks.json \
#       CUSTOMERS=127.0.0.1:50051 ... STOREFRONT=127.0.0.1:8090
# The token buckets of registration and of sign-in may be left out (DEFAULTS below): per client
# address SIGN_IN_BURST and SIGN_IN_PER_SECOND, for all clients together SIGN_IN_TOTAL_BURST and
# SIGN_IN_TOTAL_PER_SECOND.
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
DEFAULTS=(SIGN_IN_BURST=10 SIGN_IN_PER_SECOND=1 SIGN_IN_TOTAL_BURST=200 SIGN_IN_TOTAL_PER_SECOND=50)

render() {
    local out=$1 content
    shift
    content=$(<"$here/envoy.template.yaml")
    local pair key value
    for pair in "$@"; do
        key=${pair%%=*}
        value=${pair#*=}
        case $key in
        CUSTOMERS | INVENTORY | PAYMENTS | ORDERING | STOREFRONT)
            content=${content//"{{${key}_HOST}}"/${value%:*}}
            content=${content//"{{${key}_PORT}}"/${value##*:}}
            ;;
        *) content=${content//"{{$key}}"/$value} ;;
        esac
    done
    if [[ $content == *"{{"* ]]; then
        echo "render.sh: placeholders left unfilled in $out:" >&2
        grep -o '{{[A-Z_]*}}' <<<"$content" | sort -u >&2
        exit 1
    fi
    printf '# Rendered from envoy.template.yaml by render.sh: edit the template, not this file.\n%s\n' "$content" >"$out"
}

into=$here
if [[ ${1:-} == --into ]]; then
    into=$2
elif (($# > 0)); then
    # The first value given for a key wins: the caller's over the defaults.
    render "$@" "${DEFAULTS[@]}"
    exit 0
fi
# Containers: the gateway listens on 8080, its admin only inside its own network namespace.
container=(LISTEN_PORT=8080 ADMIN_ADDRESS=127.0.0.1 ADMIN_PORT=9901 DESCRIPTOR_SET=/etc/envoy/plaza.pb
    JWKS_FILE=/etc/plaza/auth/jwks.json "${DEFAULTS[@]}")
render "$into/compose.yaml" "${container[@]}" \
    CUSTOMERS=customers:50051 INVENTORY=inventory:50052 PAYMENTS=payments:50053 \
    ORDERING=ordering:50054 STOREFRONT=storefront:8090
render "$into/kubernetes.yaml" "${container[@]}" \
    CUSTOMERS=customers.plaza.svc.cluster.local:50051 INVENTORY=inventory.plaza.svc.cluster.local:50052 \
    PAYMENTS=payments.plaza.svc.cluster.local:50053 ORDERING=ordering.plaza.svc.cluster.local:50054 \
    STOREFRONT=storefront.plaza.svc.cluster.local:8090
