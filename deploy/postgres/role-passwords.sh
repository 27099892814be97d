#!/usr/bin/env bash
# Gives each Plaza role (created without a password by init.sql) the password of the database
# URL its service is given, so that the URL is the one place a password is written.
#
# For the official postgres image: mounted into /docker-entrypoint-initdb.d after init.sql
# (docker-compose.yml: 10-init.sql, 20-role-passwords.sh; the Kubernetes dev overlay: the
# ConfigMap of deploy/postgres/kustomization.yaml), it runs once, when the data directory is
# created. The image's entrypoint sources it (or runs it, when executable): it neither exits
# nor changes shell options, and its variables are prefixed.
#
# Reads PLAZA_DATABASE_URLS_DIR (default /run/secrets)/<service>-url for customers,
# inventory, payments and ordering: postgres://plaza_<service>:<password>@host:port/plaza.
# The password must be URL-safe as written (letters, digits, - . _ ~): it is used verbatim.
set -e

plaza_urls_dir=${PLAZA_DATABASE_URLS_DIR:-/run/secrets}
for plaza_service in customers inventory payments ordering; do
    plaza_file="$plaza_urls_dir/$plaza_service-url"
    plaza_url=
    [ -r "$plaza_file" ] && plaza_url=$(cat "$plaza_file")
    plaza_userinfo=${plaza_url#*://}
    plaza_userinfo=${plaza_userinfo%%@*}
    plaza_role=${plaza_userinfo%%:*}
    plaza_password=${plaza_userinfo#*:}
    if [ "$plaza_role" != "plaza_$plaza_service" ] || [ "$plaza_password" = "$plaza_userinfo" ] ||
        [ -z "$plaza_password" ] || [[ ! $plaza_password =~ ^[A-Za-z0-9._~-]+$ ]]; then
        echo "role-passwords.sh: $plaza_file must hold postgres://plaza_$plaza_service:<password>@<host>:<port>/plaza with a URL-safe password (letters, digits, - . _ ~)" >&2
        false
    fi
    psql -v ON_ERROR_STOP=1 --no-psqlrc --username "${POSTGRES_USER:-postgres}" \
        --dbname "${POSTGRES_DB:-plaza}" -v role="$plaza_role" -v password="$plaza_password" <<'SQL'
ALTER ROLE :"role" WITH LOGIN PASSWORD :'password';
SQL
    echo "role-passwords.sh: password of $plaza_role set"
done
unset plaza_urls_dir plaza_service plaza_file plaza_url plaza_userinfo plaza_role plaza_password
