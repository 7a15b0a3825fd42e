#!/usr/bin/env bash
# Stand-in for PhotoPrism's /scripts/entrypoint-init.sh (photoprism/photoprism scripts/dist/entrypoint-init.sh):
# runs as root; creates an account for an unknown PHOTOPRISM_UID (setpriv --init-groups needs one); chowns and
# chmods /photoprism/storage to UID[:GID] unless PHOTOPRISM_DISABLE_CHOWN is set to anything but "false"; runs
# each PHOTOPRISM_INIT word as a make target of /scripts/Makefile once per container (lock file).
export PATH="/usr/local/sbin:/usr/sbin:/sbin:/usr/local/bin:/usr/bin:/bin:/scripts"
if [[ $(id -u) != 0 ]]; then echo "Usage: run ${0##*/} as root" 1>&2; exit 1; fi
re='^[0-9]+$'
if [[ ${PHOTOPRISM_UID} =~ $re ]] && [[ ${PHOTOPRISM_UID} != 0 ]]; then
  if ! getent passwd "${PHOTOPRISM_UID}" >/dev/null; then
    groupadd -f -g "${PHOTOPRISM_UID}" "group-${PHOTOPRISM_UID}"
    useradd -u "${PHOTOPRISM_UID}" -g "${PHOTOPRISM_UID}" -G photoprism,www-data,video -s /bin/bash -m -d "/home/user-${PHOTOPRISM_UID}" "user-${PHOTOPRISM_UID}" 2>/dev/null
    echo "init: account with the user id ${PHOTOPRISM_UID} has been created"
  else
    echo "init: account with the user id ${PHOTOPRISM_UID} already exists"
  fi
  if [[ ${PHOTOPRISM_GID} =~ $re ]] && [[ ${PHOTOPRISM_GID} != 0 ]]; then CHOWN="${PHOTOPRISM_UID}:${PHOTOPRISM_GID}"; else CHOWN="${PHOTOPRISM_UID}"; fi
  if [[ -z ${PHOTOPRISM_DISABLE_CHOWN} ]] || [[ ${PHOTOPRISM_DISABLE_CHOWN} == false ]]; then
    echo "init: updating filesystem permissions"
    echo "PHOTOPRISM_DISABLE_CHOWN=\"true\" disables permission updates"
    chown --preserve-root --silent -R "${CHOWN}" /photoprism/storage || echo "init: chown of /photoprism/storage failed"
    chmod --preserve-root --silent -R u+rwX /photoprism/storage || echo "init: chmod of /photoprism/storage failed"
  fi
fi
[[ -n ${PHOTOPRISM_INIT} ]] || exit 0
INIT_LOCK=/scripts/.init-lock
if [[ ! -e ${INIT_LOCK} ]]; then
  for INIT_TARGET in $PHOTOPRISM_INIT; do
    echo "init: $INIT_TARGET"
    make --no-print-directory -C /scripts "$INIT_TARGET"
  done
  echo 1 >${INIT_LOCK}
fi
