#!/bin/sh
# postgres-test.sh — make a local PostgreSQL ready for michi's storage integration tests.
#
# Run as root on Debian (CI containers, developer VMs). It
#   1. installs Debian's postgresql if it is missing (apt-get),
#   2. creates and starts a cluster (pg_ctlcluster, falling back to `service`),
#   3. creates the role and database michi (password michi) if they do not exist,
#   4. prints the DSN on stdout as its last line — everything else goes to stderr.
#
# Usage:
#   export MICHI_TEST_POSTGRES="$(scripts/postgres-test.sh)"
#   MICHI_REQUIRE_INTEGRATION=1 go test -race ./internal/hub/...
#
# Environment: MICHI_PG_PORT (default 5432), MICHI_PG_USER / MICHI_PG_PASSWORD / MICHI_PG_DB
# (default michi); MICHI_PG_POSTGIS=1 also installs PostGIS and enables it in the database (the
# hub then adds geometry columns; its tests check them). Re-running it is harmless.
set -eu

PORT="${MICHI_PG_PORT:-5432}"
USER_NAME="${MICHI_PG_USER:-michi}"
PASSWORD="${MICHI_PG_PASSWORD:-michi}"
DB="${MICHI_PG_DB:-michi}"

log() { echo "postgres-test: $*" >&2; }

if [ "$(id -u)" -ne 0 ]; then
	log "run me as root (I install packages and start the cluster as the postgres user)"
	exit 1
fi

if ! command -v pg_lsclusters >/dev/null 2>&1 || [ -z "$(ls /usr/lib/postgresql 2>/dev/null)" ]; then
	log "installing postgresql"
	export DEBIAN_FRONTEND=noninteractive
	apt-get update >&2
	apt-get install -y --no-install-recommends postgresql postgresql-client >&2
fi

VERSION="$(ls /usr/lib/postgresql | sort -V | tail -n 1)"
if [ -z "$VERSION" ]; then
	log "no PostgreSQL server version found under /usr/lib/postgresql"
	exit 1
fi

# A cluster on the wanted port: reuse the one there, else create "michi".
CLUSTER="$(pg_lsclusters -h | awk -v v="$VERSION" -v p="$PORT" '$1 == v && $3 == p { print $2; exit }')"
if [ -z "$CLUSTER" ]; then
	CLUSTER=main
	if pg_lsclusters -h | awk -v v="$VERSION" '$1 == v { print $2 }' | grep -qx main; then
		CLUSTER=michi
	fi
	log "creating cluster $VERSION/$CLUSTER on port $PORT"
	pg_createcluster "$VERSION" "$CLUSTER" --port "$PORT" >&2
fi

STATUS="$(pg_lsclusters -h | awk -v v="$VERSION" -v c="$CLUSTER" '$1 == v && $2 == c { print $4 }')"
if [ "$STATUS" != "online" ]; then
	log "starting cluster $VERSION/$CLUSTER"
	# Containers often lack the runtime directory that the init scripts would create.
	install -d -o postgres -g postgres -m 2775 /var/run/postgresql
	if ! pg_ctlcluster "$VERSION" "$CLUSTER" start >&2; then
		log "pg_ctlcluster failed; trying service postgresql start"
		service postgresql start >&2
	fi
fi

# Wait until it accepts connections (up to 30 s).
i=0
until su postgres -c "psql -p $PORT -Atqc 'select 1'" >/dev/null 2>&1; do
	i=$((i + 1))
	if [ "$i" -ge 60 ]; then
		log "PostgreSQL did not come up on port $PORT; see /var/log/postgresql/"
		exit 1
	fi
	sleep 0.5
done

psql_admin() { su postgres -c "psql -p $PORT -v ON_ERROR_STOP=1 -Atq" >&2; }

if [ -z "$(su postgres -c "psql -p $PORT -Atqc \"select 1 from pg_roles where rolname = '$USER_NAME'\"")" ]; then
	log "creating role $USER_NAME"
	echo "CREATE ROLE \"$USER_NAME\" LOGIN PASSWORD '$PASSWORD';" | psql_admin
else
	echo "ALTER ROLE \"$USER_NAME\" LOGIN PASSWORD '$PASSWORD';" | psql_admin
fi
if [ -z "$(su postgres -c "psql -p $PORT -Atqc \"select 1 from pg_database where datname = '$DB'\"")" ]; then
	log "creating database $DB"
	echo "CREATE DATABASE \"$DB\" OWNER \"$USER_NAME\";" | psql_admin
fi

if [ "${MICHI_PG_POSTGIS:-0}" = "1" ]; then
	if ! su postgres -c "psql -p $PORT -d $DB -Atqc \"select 1 from pg_available_extensions where name = 'postgis'\"" | grep -q 1; then
		log "installing PostGIS"
		export DEBIAN_FRONTEND=noninteractive
		apt-get update >&2
		apt-get install -y --no-install-recommends "postgresql-$VERSION-postgis-3" >&2
	fi
	echo "CREATE EXTENSION IF NOT EXISTS postgis;" | su postgres -c "psql -p $PORT -d $DB -v ON_ERROR_STOP=1 -Atq" >&2
	log "PostGIS enabled in $DB"
fi

DSN="postgres://$USER_NAME:$PASSWORD@127.0.0.1:$PORT/$DB?sslmode=disable"
# Prove the DSN works over TCP with a password, exactly as the tests will connect.
if ! PGPASSWORD="$PASSWORD" psql "$DSN" -Atqc 'select 1' >/dev/null; then
	log "cannot connect with $DSN (check pg_hba.conf allows md5/scram on 127.0.0.1)"
	exit 1
fi
log "ready: PostgreSQL $VERSION/$CLUSTER"
echo "$DSN"
