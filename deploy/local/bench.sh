#!/usr/bin/env bash
# `make bench`: the benchmark (tests/load, plaza-bench) against the stack `make run` starts,
# with the demo delays off. Starts the stack when it is not running (and stops it afterwards);
# refuses a running stack that has demo delays. Writes bench-output/report.md and
# bench-output/latency.svg. Extra arguments go to plaza-bench (see BENCH_ARGS in the Makefile).
# plaza-bench sets the shop up as an admin, with a token it signs with the stack's key.
#
# Usage: bench.sh SERVICE... [-- PLAZA-BENCH-ARGUMENT...]
set -euo pipefail
# shellcheck source=deploy/local/common.sh
source "$(dirname "${BASH_SOURCE[0]}")/common.sh"

services=()
while (($#)) && [[ $1 != -- ]]; do
    services+=("$1")
    shift
done
[[ ${1:-} == -- ]] && shift

refuse_demo_delays
# The REST side of the GetCatalog comparison is driven by wrk.
if ! command -v wrk >/dev/null; then
    say "installing wrk (Debian)"
    as_root apt-get install -y -qq --no-install-recommends wrk
fi
use_stack "${services[@]}"

say "building the load generator (release)"
cargo build --release --quiet -p plaza-load
PLAZA_SIGNING_KEY_FILE="$KEYS_DIR/signing-key.pem" \
    "$RELEASE_DIR/plaza-bench" --out "$PLAZA_ROOT/bench-output" "$@"
