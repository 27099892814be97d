#!/usr/bin/env bash
# Runs the workspace's tests: cargo-nextest when installed, cargo test otherwise. Tests need
# Postgres and NATS (services-up.sh) and nothing else. Extra arguments go to the test runner.
set -euo pipefail
# shellcheck source=deploy/local/common.sh
source "$(dirname "${BASH_SOURCE[0]}")/common.sh"

if cargo nextest --version >/dev/null 2>&1; then
    say "cargo nextest run --workspace $*"
    cargo nextest run --workspace "$@"
else
    warn "cargo-nextest is not installed; falling back to cargo test"
    cargo test --workspace "$@"
fi
