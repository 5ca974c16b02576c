#!/bin/sh
# Run once by the postgres image on an empty data volume: one database per app, so no app can
# read another's tables. The compose file's `kam` user (POSTGRES_USER) owns them all.
set -eu
for db in kam_accounts kam_offerings kam_health kam_plays kam_gateway; do
    psql -v ON_ERROR_STOP=1 --username "$POSTGRES_USER" --dbname postgres \
        -c "CREATE DATABASE \"$db\" OWNER \"$POSTGRES_USER\""
done
