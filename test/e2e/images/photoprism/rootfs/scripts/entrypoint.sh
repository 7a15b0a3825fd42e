#!/usr/bin/env bash
# Stand-in for PhotoPrism's /scripts/entrypoint.sh (photoprism/photoprism scripts/dist/entrypoint.sh), written
# for the photoprism-harden E2E tests from its documented behaviour:
# - started as root: runs /scripts/entrypoint-init.sh (account for PHOTOPRISM_UID, storage chown unless
#   PHOTOPRISM_DISABLE_CHOWN, PHOTOPRISM_INIT actions once per container); started as another user ("user:"
#   mode): runs it through `sudo -E`, which fails under no-new-privileges or without capabilities, and goes on;
# - umask from PHOTOPRISM_UMASK (exactly 4 digits) else 0002;
# - as root with a numeric PHOTOPRISM_UID other than 0: /scripts/audit.sh, then the command, as UID:GID through
#   `setpriv --reuid --regid --init-groups --inh-caps -all`, restarted while it exits 0;
# - ends with a bare `wait`: the container exits 0 even when PhotoPrism failed.
re='^[0-9]+$'
export PHOTOPRISM_ARCH=${PHOTOPRISM_ARCH:-arch}
export DOCKER_ENV=${DOCKER_ENV:-unknown}
export DOCKER_TAG=${DOCKER_TAG:-unknown}
export PATH="/usr/local/sbin:/usr/sbin:/sbin:/usr/local/bin:/usr/bin:/bin:/scripts:/opt/photoprism/bin"
INIT_SCRIPT=/scripts/entrypoint-init.sh

if [[ -z ${PHOTOPRISM_UID} ]]; then
  if [[ ${PUID} =~ $re ]] && [[ ${PUID} != 0 ]]; then export PHOTOPRISM_UID=${PUID}; fi
  if [[ -z ${PHOTOPRISM_GID} ]] && [[ ${PGID} =~ $re ]] && [[ ${PGID} != 0 ]]; then export PHOTOPRISM_GID=${PGID}; fi
fi

if [[ $(/usr/bin/id -u) == 0 ]]; then
  echo "started $DOCKER_TAG as root ($PHOTOPRISM_ARCH-$DOCKER_ENV)"
  /bin/bash -c "${INIT_SCRIPT}"
else
  echo "started $DOCKER_TAG as uid $(/usr/bin/id -u) ($PHOTOPRISM_ARCH-$DOCKER_ENV)"
  /usr/bin/sudo -E "${INIT_SCRIPT}"
fi

export HOME=/photoprism
if [[ ${PHOTOPRISM_UMASK} =~ $re ]] && [[ ${#PHOTOPRISM_UMASK} == 4 ]]; then umask "${PHOTOPRISM_UMASK}"; else umask 0002; fi
echo "file umask....: \"$(umask)\" ($(umask -S))"
echo "storage path..: ${PHOTOPRISM_STORAGE_PATH:-default}"

if [[ $(/usr/bin/id -u) == 0 ]] && [[ ${PHOTOPRISM_UID} =~ $re ]] && [[ ${PHOTOPRISM_UID} != 0 ]]; then
  gid=${PHOTOPRISM_GID}
  [[ ${gid} =~ $re ]] && [[ ${gid} != 0 ]] || gid=$(/usr/bin/id -g "${PHOTOPRISM_UID}")
  echo "switching to uid ${PHOTOPRISM_UID}:${gid}"
  echo "${@}"
  (/usr/bin/setpriv --reuid "${PHOTOPRISM_UID}" --regid "${gid}" --init-groups --inh-caps -all /scripts/audit.sh) \
    && (while /usr/bin/setpriv --reuid "${PHOTOPRISM_UID}" --regid "${gid}" --init-groups --inh-caps -all "$@"; ret=$?; [[ $ret -eq 0 ]]; do echo "${@}"; done) &
else
  echo "running as uid $(id -u)"
  echo "${@}"
  /scripts/audit.sh && (while "$@"; ret=$?; [[ $ret -eq 0 ]]; do echo "${@}"; done) &
fi

PID=$!
trap "kill -USR1 $PID" INT TERM
wait
