#!/usr/bin/env bash
# Starts a PRIVATE Docker Engine for the end-to-end tests and prints the environment that reaches it.
#
#   bash test/e2e/engine/start-dockerd.sh [STATE_DIR]     (default: $PHOTOPRISM_HARDEN_ENGINE_DIR or /tmp/pph-engine)
#   . STATE_DIR/env.sh                                    (DOCKER_HOST, DOCKER_CONFIG, PATH, COMPOSE_BIN, ...)
#   bash test/e2e/engine/stop-dockerd.sh [STATE_DIR]
#
# Needs root and Debian 12's docker.io (dockerd 20.10 + its own containerd/runc):
#   apt-get install -y --no-install-recommends docker.io
# What it never touches: /var/run/docker.sock (the daemon listens only on STATE_DIR/docker.sock), the host's
# firewall (--iptables=false --ip6tables=false), ip_forward (--ip-forward=false), NAT (--ip-masq=false), the
# default bridge (--bridge=none). Networks it creates come from PHOTOPRISM_HARDEN_ENGINE_POOL
# (default 10.213.0.0/16 in /24 steps). Everything it writes is under STATE_DIR; it is stopped by the PID in
# STATE_DIR/docker.pid (stop-dockerd.sh).
#
# Clients: STATE_DIR/bin/docker is the Docker CLI that matches this daemon (Debian's /usr/bin/docker 20.10,
# not a newer /usr/local/bin/docker that may come first in PATH), and STATE_DIR/config/cli-plugins/docker-compose
# is the real Compose v2 binary (from get-compose-v2.sh), so `docker compose` works through DOCKER_CONFIG only.
# Running it again while the daemon is up only reprints the environment (idempotent).
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
repo=$(cd "$here/../../.." && pwd)
state=${1:-${PHOTOPRISM_HARDEN_ENGINE_DIR:-/tmp/pph-engine}}
pool=${PHOTOPRISM_HARDEN_ENGINE_POOL:-10.213.0.0/16}
mkdir -p "$state"
state=$(cd "$state" && pwd)
# a unix socket path must stay below 108 bytes (containerd's lives deeper, under exec/)
if [ ${#state} -gt 60 ]; then echo "start-dockerd: STATE_DIR $state is too long for unix sockets (max 60 characters)" >&2; exit 1; fi

sock="$state/docker.sock"
pidfile="$state/docker.pid"
log="$state/dockerd.log"
bin="$state/bin"
config="$state/config"
mkdir -p "$bin" "$config/cli-plugins" "$state/data" "$state/exec"

[ "$(id -u)" = 0 ] || { echo "start-dockerd: must run as root (dockerd needs it)" >&2; exit 1; }
dockerd=$(command -v dockerd || true)
[ -n "$dockerd" ] || { echo "start-dockerd: dockerd not found (apt-get install -y --no-install-recommends docker.io)" >&2; exit 1; }

# the CLI that belongs to this daemon: Debian's, next to its dockerd
client=${PHOTOPRISM_HARDEN_DOCKER_CLI:-}
if [ -z "$client" ]; then
  for c in "$(dirname "$dockerd")/../bin/docker" /usr/bin/docker; do
    if [ -x "$c" ]; then client=$(readlink -f "$c"); break; fi
  done
fi
[ -n "$client" ] && [ -x "$client" ] || { echo "start-dockerd: no docker CLI next to $dockerd (/usr/bin/docker)" >&2; exit 1; }
ln -sfn "$client" "$bin/docker"

# Compose v2 as the CLI plugin (and as a standalone binary for COMPOSE_BIN)
tool="$repo/../shared/tools/get-compose-v2.sh"
[ -f "$tool" ] || tool="$repo/.ci/get-compose-v2.sh"
compose=${PHOTOPRISM_HARDEN_COMPOSE_V2:-}
if [ -z "$compose" ]; then
  if [ -x "$repo/.cache/bin/docker-compose" ] && "$repo/.cache/bin/docker-compose" version >/dev/null 2>&1; then
    compose="$repo/.cache/bin/docker-compose"
  else
    compose=$(bash "$tool" "$state/compose-v2" | tail -1)
  fi
fi
cp -f "$compose" "$config/cli-plugins/docker-compose"
chmod 0755 "$config/cli-plugins/docker-compose"

export DOCKER_HOST="unix://$sock" DOCKER_CONFIG="$config"
alive() { [ -f "$pidfile" ] && kill -0 "$(cat "$pidfile")" 2>/dev/null; }
ready() { "$bin/docker" version --format '{{.Server.Version}}' >/dev/null 2>&1; }

if alive && ready; then
  echo "start-dockerd: already running (pid $(cat "$pidfile"))" >&2
else
  if alive; then echo "start-dockerd: pid $(cat "$pidfile") is alive but does not answer; stop it first (stop-dockerd.sh $state)" >&2; exit 1; fi
  rm -f "$pidfile" "$sock"
  start=$(date +%s)
  # setsid: its own session, so a job-control signal to the caller's group does not reach it
  setsid "$dockerd" \
    -H "unix://$sock" \
    --data-root "$state/data" \
    --exec-root "$state/exec" \
    --pidfile "$pidfile" \
    --storage-driver=vfs \
    --iptables=false --ip6tables=false --ip-forward=false --ip-masq=false \
    --bridge=none \
    --default-address-pool "base=$pool,size=24" \
    >"$log" 2>&1 </dev/null &
  launched=$!
  for _ in $(seq 1 120); do
    if ready; then break; fi
    if ! kill -0 "$launched" 2>/dev/null; then
      echo "start-dockerd: dockerd exited during start-up; last lines of $log:" >&2
      tail -n 30 "$log" >&2
      exit 1
    fi
    sleep 0.5
  done
  if ! ready; then
    echo "start-dockerd: dockerd did not answer on $sock within 60 s; last lines of $log:" >&2
    tail -n 30 "$log" >&2
    kill "$launched" 2>/dev/null || true
    exit 1
  fi
  echo "start-dockerd: dockerd $("$bin/docker" version --format '{{.Server.Version}}') up in $(( $(date +%s) - start )) s (pid $(cat "$pidfile"), $sock)" >&2
fi

# The client's API version is pinned to the daemon's: a newer CLI/Compose would otherwise negotiate, and an
# older daemon rejects a newer request outright.
api=$("$bin/docker" version --format '{{.Server.APIVersion}}')
cat >"$state/env.sh" <<ENV
# generated by start-dockerd.sh: the private engine in $state
export DOCKER_HOST='unix://$sock'
export DOCKER_CONFIG='$config'
export DOCKER_API_VERSION='$api'
export PATH='$bin':"\$PATH"
export COMPOSE_BIN='$config/cli-plugins/docker-compose'
export PHOTOPRISM_HARDEN_E2E_DOCKER_HOST='unix://$sock'
export PHOTOPRISM_HARDEN_ENGINE_DIR='$state'
ENV
cat "$state/env.sh"
