#!/usr/bin/env bash
# Makes sure the local Postgres and NATS (JetStream) run, starting them if they do not,
# then creates the `plaza` database if missing and applies deploy/postgres/init.sql (roles and
# schemas of every service; idempotent). Needs psql (install.sh installs it).
set -euo pipefail
# shellcheck source=deploy/local/common.sh
source "$(dirname "${BASH_SOURCE[0]}")/common.sh"

STARTUP_TIMEOUT=30 # seconds each server gets to accept connections after we start it

pg_up() { pg_isready -q -h "$PG_HOST" -p "$PG_PORT"; }
nats_up() { tcp_open "$NATS_HOST" "$NATS_PORT"; }

command -v pg_isready >/dev/null || die "pg_isready not found: run deploy/local/install.sh"

# --- Postgres --------------------------------------------------------------------------
if pg_up; then
    say "Postgres: up on $PG_HOST:$PG_PORT"
else
    if [[ ! -d /etc/postgresql || -z $(ls /etc/postgresql) ]]; then
        die "Postgres is down and no cluster is configured under /etc/postgresql"
    fi
    say "Postgres: down; starting it"
    # The cluster of the (only) installed major version, named main.
    as_root pg_ctlcluster --skip-systemctl-redirect "$(ls /etc/postgresql)" main start
    wait_until "$STARTUP_TIMEOUT" pg_up ||
        die "Postgres did not accept connections on $PG_HOST:$PG_PORT within ${STARTUP_TIMEOUT}s"
    say "Postgres: started"
fi

# --- NATS ------------------------------------------------------------------------------
if nats_up; then
    say "NATS: up on $NATS_HOST:$NATS_PORT"
else
    [[ -x /usr/sbin/nats-server ]] || die "NATS is down and /usr/sbin/nats-server is missing"
    say "NATS: down; starting it"
    as_root start-stop-daemon --start --oknodo --background --exec /usr/sbin/nats-server -- \
        -a "$NATS_HOST" -p "$NATS_PORT" -js -sd /var/lib/nats-server -l /var/log/nats-server.log
    wait_until "$STARTUP_TIMEOUT" nats_up ||
        die "NATS did not accept connections on $NATS_HOST:$NATS_PORT within ${STARTUP_TIMEOUT}s (see /var/log/nats-server.log)"
    say "NATS: started"
fi

# --- The plaza database ----------------------------------------------------------------
# client_min_messages hides init.sql's "already exists, skipping" notices on every run.
psql_super() { PGOPTIONS='-c client_min_messages=warning' psql -X -q -v ON_ERROR_STOP=1 -h "$PG_HOST" -p "$PG_PORT" -U "$PG_SUPERUSER" "$@"; }

exists=$(psql_super -d postgres -tAc "SELECT 1 FROM pg_database WHERE datname='$PG_DATABASE'")
if [[ $exists == 1 ]]; then
    say "database $PG_DATABASE: exists"
else
    say "database $PG_DATABASE: creating it"
    createdb -h "$PG_HOST" -p "$PG_PORT" -U "$PG_SUPERUSER" "$PG_DATABASE"
fi
psql_super -d "$PG_DATABASE" -f deploy/postgres/init.sql
say "database $PG_DATABASE: roles and schemas applied (deploy/postgres/init.sql)"
