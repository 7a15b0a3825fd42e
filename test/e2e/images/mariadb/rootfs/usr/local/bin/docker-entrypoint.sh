#!/bin/bash
# Stand-in for the official MariaDB image's docker-entrypoint.sh (MariaDB/mariadb-docker), written for the
# photoprism-harden E2E tests from its documented behaviour. What the tests rely on, as the official one does it:
# - MARIADB_* may come from MARIADB_*_FILE: the file is read while the entrypoint still runs as root (before the
#   switch to mysql), X and X_FILE together are an error, trailing newlines are dropped, X_FILE is unset and X is
#   exported for the rest of the entrypoint (its second pass as mysql after gosu reads them from there);
# - before it execs mariadbd it unsets the passwords (MARIADB_PASSWORD, MARIADB_ROOT_PASSWORD, their _HASH and the
#   MYSQL_ aliases) and the root host, so mariadbd's environment (/proc/1/environ) holds none: the official image
#   does this since MariaDB/mariadb-docker 55ea769 / 841deb3 (May 2026, every maintained version); images built
#   before it leave them in mariadbd's environment;
# - started as root it chowns what in the data folder is not mysql's, then re-executes itself as mysql with gosu;
#   started as any other user it does neither;
# - the database, the user and root's password are set on the FIRST start only (no $DATADIR/mysql yet); later
#   starts ignore the passwords (MARIADB_AUTO_UPGRADE only adds missing healthcheck users);
# - MARIADB_ROOT_HOST (default '%') adds root@HOST unless it is 'localhost'; root@127.0.0.1/::1 are dropped;
# - healthcheck@127.0.0.1/::1/localhost and $DATADIR/.my-healthcheck.cnf (0600, mysql) for healthcheck.sh.
# Fault injection for the tests: PPH_E2E_FAULT=never-healthy starts mariadbd with --skip-networking, so
# healthcheck.sh --connect never succeeds (the container keeps running, unhealthy).
set -eo pipefail
shopt -s nullglob

note() { printf '%s [Note] [Entrypoint]: %s\n' "$(date --rfc-3339=seconds)" "$*"; }
fail() { printf '%s [ERROR] [Entrypoint]: %s\n' "$(date --rfc-3339=seconds)" "$*" >&2; exit 1; }

# VAR from VAR or VAR_FILE (exclusive); VAR ends up exported, VAR_FILE unset
from_file() {
  local var=$1 file="${1}_FILE" def=${2:-}
  if [ -n "${!var:-}" ] && [ -n "${!file:-}" ]; then fail "Both $var and $file are set (but are exclusive)"; fi
  local val=$def
  if [ -n "${!var:-}" ]; then val=${!var}; elif [ -n "${!file:-}" ]; then val=$(<"${!file}"); fi
  export "$var"="$val"
  unset "$file"
}

sql_string() { local s=${1//\\/\\\\}; s=${s//$'\n'/\\n}; printf '%s' "${s//\'/\\\'}"; }

DATADIR=/var/lib/mysql
SOCKET=/run/mysqld/mysqld.sock

client() { mariadb --protocol=socket -uroot -hlocalhost --socket="$SOCKET" "$@"; }

temp_start() {
  "$@" --skip-networking --socket="$SOCKET" --wsrep_on=OFF --expire-logs-days=0 &
  TEMP_PID=$!
  note "Waiting for server startup"
  local i
  for i in $(seq 30 -1 0); do
    if MYSQL_PWD='' client --database=mysql <<<'SELECT 1' &>/dev/null; then return 0; fi
    if [ -n "${DATABASE_ALREADY_EXISTS:-}" ] && MYSQL_PWD=$MARIADB_ROOT_PASSWORD client --database=mysql <<<'SELECT 1' &>/dev/null; then return 0; fi
    sleep 1
  done
  fail "Unable to start server."
}
temp_stop() { kill "$TEMP_PID"; wait "$TEMP_PID" || true; }

healthcheck_sql() {
  local pass; pass=$(head -c 24 /dev/urandom | base64 | tr -d '/+=' | head -c 32)
  local host
  for host in 127.0.0.1 ::1 localhost; do
    echo "CREATE USER IF NOT EXISTS healthcheck@'$host' IDENTIFIED BY '$pass';"
    echo "SET PASSWORD FOR healthcheck@'$host' = PASSWORD('$pass');"
    echo "GRANT USAGE ON *.* TO healthcheck@'$host';"
  done
  (umask 0077; printf '[mariadb-client]\nport=3306\nsocket=%s\nuser=healthcheck\npassword=%s\nprotocol=tcp\n' "$SOCKET" "$pass" >"$DATADIR/.my-healthcheck.cnf")
}

if [ "${1:0:1}" = '-' ]; then set -- mariadbd "$@"; fi
if [ "${PPH_E2E_FAULT:-}" = never-healthy ] && { [ "$1" = mariadbd ] || [ "$1" = mysqld ]; }; then set -- "$@" --skip-networking; fi

if [ "$1" = mariadbd ] || [ "$1" = mysqld ]; then
  note "Entrypoint script for MariaDB Server (photoprism-harden E2E stand-in) started."
  "$@" --verbose --help >/dev/null 2>&1 || fail "mariadbd failed while checking its configuration"
  from_file MARIADB_ROOT_HOST '%'
  from_file MARIADB_DATABASE
  from_file MARIADB_USER
  from_file MARIADB_PASSWORD
  from_file MARIADB_ROOT_PASSWORD
  DATABASE_ALREADY_EXISTS=
  [ -d "$DATADIR/mysql" ] && DATABASE_ALREADY_EXISTS=true

  if [ "$(id -u)" = 0 ]; then
    mkdir -p "$DATADIR"
    find "$DATADIR" \! -user mysql -exec chown mysql: '{}' +
    find "${SOCKET%/*}" -maxdepth 0 \! -user mysql -exec chown mysql: '{}' \;
    note "Switching to dedicated user 'mysql'"
    exec gosu mysql "${BASH_SOURCE[0]}" "$@"
  fi

  if [ -z "$DATABASE_ALREADY_EXISTS" ]; then
    [ -n "$MARIADB_ROOT_PASSWORD" ] || fail "Database is uninitialized and password option is not specified (MARIADB_ROOT_PASSWORD)"
    note "Initializing database files"
    mariadb-install-db --datadir="$DATADIR" --rpm --auth-root-authentication-method=normal --skip-test-db --skip-log-bin >/dev/null
    note "Starting temporary server"
    temp_start "$@"
    root=$(sql_string "$MARIADB_ROOT_PASSWORD")
    {
      echo "SET @@SESSION.SQL_LOG_BIN=0;"
      echo "DROP USER IF EXISTS root@'127.0.0.1', root@'::1';"
      echo "EXECUTE IMMEDIATE CONCAT('DROP USER IF EXISTS root@\\'', @@hostname, '\\'');"
      echo "SET PASSWORD FOR 'root'@'localhost' = PASSWORD('$root');"
      if [ -n "$MARIADB_ROOT_HOST" ] && [ "$MARIADB_ROOT_HOST" != localhost ]; then
        echo "CREATE USER 'root'@'$MARIADB_ROOT_HOST' IDENTIFIED BY '$root';"
        echo "GRANT ALL ON *.* TO 'root'@'$MARIADB_ROOT_HOST' WITH GRANT OPTION;"
      fi
      healthcheck_sql
      if [ -n "$MARIADB_DATABASE" ]; then note "Creating database ${MARIADB_DATABASE}" >&2; echo "CREATE DATABASE IF NOT EXISTS \`$MARIADB_DATABASE\`;"; fi
      if [ -n "$MARIADB_USER" ] && [ -n "$MARIADB_PASSWORD" ]; then
        note "Creating user ${MARIADB_USER}" >&2
        echo "CREATE USER '$MARIADB_USER'@'%' IDENTIFIED BY '$(sql_string "$MARIADB_PASSWORD")';"
        [ -z "$MARIADB_DATABASE" ] || echo "GRANT ALL ON \`${MARIADB_DATABASE//_/\\_}\`.* TO '$MARIADB_USER'@'%';"
      fi
    } | MYSQL_PWD='' client --database=mysql --binary-mode
    note "Stopping temporary server"
    temp_stop
    note "MariaDB init process done. Ready for start up."
  elif [ ! -f "$DATADIR/.my-healthcheck.cnf" ] && [ -n "${MARIADB_AUTO_UPGRADE:-}" ] && [ "$MARIADB_AUTO_UPGRADE" != 0 ]; then
    note "Creating healthcheck users"
    temp_start "$@" --skip-grant-tables
    { echo "FLUSH PRIVILEGES;"; healthcheck_sql; } | MYSQL_PWD='' client --binary-mode
    temp_stop
  fi
  # as the official entrypoint does before it starts the server: no password in mariadbd's environment
  for v in ROOT_ ''; do unset "MARIADB_${v}PASSWORD" "MARIADB_${v}PASSWORD_HASH" "MYSQL_${v}PASSWORD"; done
  unset MARIADB_ROOT_HOST MYSQL_ROOT_HOST
fi
exec "$@"
