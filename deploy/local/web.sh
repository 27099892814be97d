#!/usr/bin/env bash
# The browser UI in web/ (Vue, built by Vite into web/dist, which the storefront serves).
#
# Usage: web.sh build   build web/dist unless it was built from the current sources
#        web.sh check   the UI's checks: formatting (Prettier), API types up to date, unit
#                       tests (Vitest), type check and build
#        web.sh format  format the UI's code with Prettier
#        web.sh api     regenerate the API types: web/src/api/openapi.json from the protos,
#                       then web/src/api/schema.d.ts from it (commit both)
set -euo pipefail
# shellcheck source=deploy/local/common.sh
source "$(dirname "${BASH_SOURCE[0]}")/common.sh"

WEB="$PLAZA_ROOT/web"
DIST="$WEB/dist"
BUILD_STAMP="$DIST/.plaza-sources.sha256"

# A checksum of everything the build reads.
sources_checksum() {
    (
        cd "$WEB"
        find src public index.html package-lock.json vite.config.ts tsconfig.json -type f \
            ! -name '*.test.ts' -print0 | sort -z | xargs -0 sha256sum
    ) | sha256sum
}

build() {
    local wanted
    wanted=$(sources_checksum)
    if [[ -f $BUILD_STAMP && $(<"$BUILD_STAMP") == "$wanted" ]]; then
        say "web UI: web/dist is up to date"
        return
    fi
    say "building the web UI into web/dist"
    npm run --prefix "$WEB" --silent build
    printf '%s\n' "$wanted" >"$BUILD_STAMP"
}

command -v npm >/dev/null || die "npm not found: run deploy/local/install.sh"
case "${1:-}" in
build)
    npm_ci_if_changed "$WEB" "the web UI's packages"
    build
    ;;
check)
    npm_ci_if_changed "$WEB" "the web UI's packages"
    say "web UI: formatting"
    npm run --prefix "$WEB" --silent format:check ||
        die "the web UI's code is not formatted: run 'make fmt'"
    say "web UI: are the API types those of the committed OpenAPI document?"
    npm run --prefix "$WEB" --silent api:check ||
        die "web/src/api/schema.d.ts is stale: run 'make web-api' and commit it"
    say "web UI: unit tests"
    npm run --prefix "$WEB" --silent test
    build
    ;;
format)
    npm_ci_if_changed "$WEB" "the web UI's packages"
    npm run --prefix "$WEB" --silent format
    ;;
api)
    npm_ci_if_changed "$WEB" "the web UI's packages"
    cargo run --quiet -p plaza-openapi --bin plaza-openapi -- "$WEB/src/api/openapi.json"
    npm run --prefix "$WEB" --silent api
    say "regenerated web/src/api/openapi.json and web/src/api/schema.d.ts"
    ;;
*) die "usage: web.sh build|check|format|api" ;;
esac
