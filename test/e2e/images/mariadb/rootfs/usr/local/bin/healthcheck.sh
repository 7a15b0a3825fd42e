#!/bin/bash
# Stand-in for the official MariaDB image's healthcheck.sh, for the tests (the contract compose files rely on):
#   healthcheck.sh [--su-mysql | --su=USER] [--datadir=DIR] --connect --innodb_initialized
# --connect: the server answers on TCP (skip_networking=0); an access-denied answer also counts as connected.
# --innodb_initialized: InnoDB is available (needs a login: the healthcheck user of $DATADIR/.my-healthcheck.cnf).
# --su-mysql re-executes this script as mysql first (gosu), so that it can read .my-healthcheck.cnf (0600, mysql)
# without root's DAC_OVERRIDE. Exit 0 = healthy; any failing test = exit 1 with its name on stderr.
set -eo pipefail
datadir=/var/lib/mysql
extra=()
connected=
opts=()
sock() { mariadb "${extra[@]}" --skip-ssl --protocol socket -B --skip-column-names "$@"; }
connect() {
  local s
  s=$(sock -e 'select @@skip_networking' 2>/dev/null || true)
  case "$s" in 0) connected=0; return 0 ;; 1) connected=1; return 1 ;; esac
  s=$(mariadb "${extra[@]}" --skip-ssl -h localhost --protocol tcp --skip-column-names --batch -e 'select @@skip_networking' 2>&1 || true)
  case "$s" in
    0 | ERROR\ 1[0-9][0-9][0-9]\ \(28000\):*) connected=0; return 0 ;;
    *) connected=1; return 1 ;;
  esac
}
innodb_initialized() { [ "$(sock -e "select 1 from information_schema.ENGINES WHERE engine='innodb' AND support in ('YES','DEFAULT','ENABLED')" 2>/dev/null)" = 1 ]; }
[ $# -gt 0 ] || { echo "At least one argument required" >&2; exit 1; }
while [ $# -gt 0 ]; do
  case "$1" in
    --su-mysql) shift; exec gosu mysql "${BASH_SOURCE[0]}" "$@" ;;
    --su=*) u=${1#*=}; shift; exec gosu "$u" "${BASH_SOURCE[0]}" "$@" ;;
    --datadir=*) datadir=${1#*=} ;;
    --connect | --innodb_initialized) opts+=("${1#--}") ;;
    *) echo "healthcheck unknown option or test '$1'" >&2; exit 1 ;;
  esac
  shift
done
[ -f "$datadir/.my-healthcheck.cnf" ] && extra=(--defaults-extra-file="$datadir/.my-healthcheck.cnf")
for t in "${opts[@]}"; do
  if ! "$t"; then echo "healthcheck $t failed" >&2; exit 1; fi
done
if [ "$connected" != 0 ]; then connect; exit $?; fi
