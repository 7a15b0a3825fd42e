#!/usr/bin/env bash
# Least privilege, measured (issue 12): is every capability the generated compose file adds back needed?
# For PhotoPrism (PHOTOPRISM_UID mode) and MariaDB, drop each added capability in turn from a freshly generated
# installation, start it on the private engine (test/e2e/README.md) with the stand-in images, and record what
# breaks. Each run starts from a first start that has work to do: a folder in storage/ and a file in database/
# owned by root (as after a restore done as root), so the entrypoints' chown, chmod and user switch all run.
# A second column repeats the start without the capability on the data the full set initialised (a restart).
#   usage: . STATE_DIR/env.sh; npm run build; bash test/e2e/caps-experiment.sh [RESULTS_FILE]
# Prints one line per variant: service, capability dropped, first start, restart, seconds.
set -uo pipefail
: "${DOCKER_HOST:?source env.sh of the private engine first (test/e2e/README.md)}"
case "$DOCKER_HOST" in unix:///var/run/docker.sock | unix:///run/docker.sock) echo "refusing the system-wide docker socket" >&2; exit 1 ;; esac
repo=$(cd "$(dirname "$0")/../.." && pwd)
out=${1:-/dev/stdout}
port=$((24000 + $$ % 500))
uid=2060

# an installation written by the tool (no --apply), with root-owned leftovers the entrypoints must fix
fresh() {
  local dir
  dir=$(mktemp -d /tmp/pph-caps-XXXXXX)
  printf '%s\n' 'originalsPath: "./originals"' 'behindProxy: true' "httpPort: $port" 'userMode: "photoprism-uid"' \
    "uid: $uid" "gid: $uid" 'initActions: ["https"]' 'adminPassword: "Caps-Admin-Pw-1"' 'databasePassword: "Caps-Db-Pw-1"' \
    'databaseRootPassword: "Caps-Root-Pw-1"' >"$dir/answers.yml"
  (cd "$dir" && node "$repo/bin/photoprism-harden.cjs" init --dir "$dir" --answers "$dir/answers.yml" >"$dir/init.log" 2>&1) || { echo "init failed: $dir/init.log" >&2; return 1; }
  mkdir -p "$dir/storage/sidecar/restored" && echo x >"$dir/storage/sidecar/restored/a.yml" && chmod 0700 "$dir/storage/sidecar/restored" && chmod 0600 "$dir/storage/sidecar/restored/a.yml"
  echo "$dir"
}

# delete "      - CAP # ..." from the cap_add of one service in the generated file
drop_cap() { # dir service cap
  python3 - "$1/docker-compose.yml" "$2" "$3" <<'PY'
import re, sys
f, svc, cap = sys.argv[1:]
lines = open(f).read().split('\n')
cur = None; out = []; dropped = False
for l in lines:
    m = re.match(r'^  (\w+):\s*$', l)
    if m: cur = m.group(1)
    if cur == svc and re.match(r'^      - %s(\s|$)' % cap, l) and not dropped:
        dropped = True; continue
    out.append(l)
if not dropped: sys.exit(f'{cap} not in {svc}')
open(f, 'w').write('\n'.join(out))
PY
}

dc() { (cd "$1" && docker compose -f docker-compose.yml "${@:2}"); }
# logs without terminal control codes (Compose 2.26 prefixes ESC[2K)
logs() { dc "$1" logs --no-log-prefix "${@:2}" 2>&1 | sed 's/\x1b\[[0-9;]*[A-Za-z]//g'; }

# wait for both services: "ok" when PhotoPrism serves and storage is all UID's, else what failed
verdict() { # dir
  local dir=$1 i pp db st
  for i in $(seq 1 90); do
    db=$(docker inspect --format '{{.State.Status}} {{if .State.Health}}{{.State.Health.Status}}{{end}}' "$(dc "$dir" ps -a -q mariadb)" 2>/dev/null)
    pp=$(dc "$dir" ps -a -q photoprism)
    st=$(curl -s -m 2 -o /dev/null -w '%{http_code}' "http://127.0.0.1:$port/api/v1/status" 2>/dev/null)
    if [ "$st" = 200 ]; then
      local bad
      bad=$(find "$dir/storage" \! -uid "$uid" | wc -l)
      local notes
      notes=$(logs "$dir" photoprism | grep -E 'failed|denied|cannot|Operation not permitted' | sort -u | tr '\n' ';' | cut -c1-160)
      if [ "$bad" = 0 ] && [ -z "$notes" ]; then echo "ok"; else echo "serves, but: ${bad} storage entries not ${uid}'s; ${notes}"; fi
      return
    fi
    case "$db" in exited* | restarting*) echo "mariadb ${db%% *}: $(logs "$dir" mariadb | grep -E 'ERROR|error|denied|not permitted' | tail -n 2 | tr '\n' ';' | cut -c1-200)"; return ;; esac
    if [ -n "$pp" ] && [ "$(docker inspect --format '{{.State.Status}}' "$pp" 2>/dev/null)" = exited ]; then
      echo "photoprism exited: $(logs "$dir" photoprism | grep -E 'failed|denied|rror|not permitted|cannot' | tail -n 3 | tr '\n' ';' | cut -c1-200)"; return
    fi
    sleep 1
  done
  echo "timeout (mariadb: $db; photoprism status: ${st:-none}): $(logs "$dir" | grep -E 'failed|denied|rror|not permitted|cannot' | tail -n 3 | tr '\n' ';' | cut -c1-200)"
}

run() { # service cap(or "-")
  local svc=$1 cap=$2 dir t0 first again
  t0=$(date +%s)
  dir=$(fresh) || return
  # a root-owned file in the data folder (the official entrypoint chowns whatever mysql does not own)
  mkdir -p "$dir/database" && echo x >"$dir/database/restored.txt" && chmod 0600 "$dir/database/restored.txt"
  [ "$cap" = - ] || drop_cap "$dir" "$svc" "$cap" || return
  dc "$dir" up -d >/dev/null 2>"$dir/up.log"
  first=$(verdict "$dir")
  dc "$dir" down -t 2 >/dev/null 2>&1
  # restart: the same data, initialised with the full set, started again without the capability
  if [ "$cap" != - ]; then
    cp "$dir/docker-compose.yml" "$dir/reduced.yml"
    (cd "$dir" && node "$repo/bin/photoprism-harden.cjs" init --dir "$dir" --answers "$dir/answers.yml" >/dev/null 2>&1)
    dc "$dir" up -d >/dev/null 2>&1; verdict "$dir" >/dev/null; dc "$dir" down -t 2 >/dev/null 2>&1
    chown root:root "$dir/storage/sidecar"; chmod 0700 "$dir/storage/sidecar"
    echo x >"$dir/database/restored2.txt"; chmod 0600 "$dir/database/restored2.txt"
    cp "$dir/reduced.yml" "$dir/docker-compose.yml"
    dc "$dir" up -d >/dev/null 2>&1
    again=$(verdict "$dir")
    dc "$dir" down -t 2 >/dev/null 2>&1
  else
    again="-"
  fi
  printf '%s\t%s\t%s\t%s\t%ss\n' "$svc" "$cap" "$first" "$again" "$(( $(date +%s) - t0 ))" | tee -a "$out"
  rm -rf "$dir"
}

# ONLY=photoprism or ONLY=mariadb runs one service's variants (and no baseline)
printf 'service\tdropped\tfirst start\trestart (data from a full-set start)\ttime\n' | tee -a "$out"
[ -n "${ONLY:-}" ] || run all -
if [ "${ONLY:-photoprism}" = photoprism ]; then for c in CHOWN DAC_OVERRIDE FOWNER SETUID SETGID; do run photoprism "$c"; done; fi
if [ "${ONLY:-mariadb}" = mariadb ]; then for c in CHOWN DAC_OVERRIDE SETUID SETGID; do run mariadb "$c"; done; fi
