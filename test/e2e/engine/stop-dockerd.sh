#!/usr/bin/env bash
# Stops the private Docker Engine started by start-dockerd.sh, by the PID in STATE_DIR/docker.pid only.
#   bash test/e2e/engine/stop-dockerd.sh [STATE_DIR] [--purge]   (--purge also removes STATE_DIR/data)
# Containers still running are stopped first (through the private socket), so no shim outlives the daemon.
set -uo pipefail
state=${1:-${PHOTOPRISM_HARDEN_ENGINE_DIR:-/tmp/pph-engine}}
purge=${2:-}
pidfile="$state/docker.pid"
[ -f "$pidfile" ] || { echo "stop-dockerd: no $pidfile (not running)" >&2; exit 0; }
pid=$(cat "$pidfile")
if ! kill -0 "$pid" 2>/dev/null; then echo "stop-dockerd: pid $pid is gone" >&2; rm -f "$pidfile"; exit 0; fi
# the PID must be a dockerd whose socket is ours: never signal a process we did not start
if ! tr '\0' ' ' <"/proc/$pid/cmdline" | grep -q -- "-H unix://$state/docker.sock"; then
  echo "stop-dockerd: pid $pid is not the dockerd of $state; not stopping it" >&2; exit 1
fi
if [ -x "$state/bin/docker" ]; then
  ids=$(DOCKER_HOST="unix://$state/docker.sock" "$state/bin/docker" ps -q 2>/dev/null || true)
  # shellcheck disable=SC2086
  [ -z "$ids" ] || DOCKER_HOST="unix://$state/docker.sock" "$state/bin/docker" stop -t 5 $ids >/dev/null 2>&1 || true
fi
kill -TERM "$pid"
for _ in $(seq 1 60); do kill -0 "$pid" 2>/dev/null || break; sleep 0.5; done
if kill -0 "$pid" 2>/dev/null; then echo "stop-dockerd: pid $pid still alive after 30 s; sending SIGKILL" >&2; kill -KILL "$pid"; fi
rm -f "$pidfile"
echo "stop-dockerd: stopped pid $pid" >&2
if [ "$purge" = --purge ]; then
  # vfs layers may hold mounts of nothing; the exec root may hold netns mounts: unmount ours, then remove
  grep -F " $state/" /proc/self/mounts | awk '{print $2}' | sort -r | xargs -r -n1 umount -l 2>/dev/null || true
  rm -rf "$state/data" "$state/exec"
fi
