#!/usr/bin/env bash
# Proof that the engine tests never depend on the engines this machine has: the test files that fake
# Docker, Podman and Compose (through the injected host) run twice,
#   1. with PATH stripped of every docker, podman, docker-compose and podman-compose, and
#   2. with a fake docker/docker-compose/podman/podman-compose first on PATH that gives wrong answers
#      (a rootless Docker 99.0 with Compose 9.9.9, ...) and logs every call,
# and both must pass, with no call at all to the wrong engines. Run after `npm run build`.
# Usage: scripts/engine-independence.sh [test files...]   (npm run test:engine-independence)
set -euo pipefail
cd "$(dirname "$0")/.."
files=("$@")
[ ${#files[@]} -gt 0 ] || files=(test/preflight.test.ts test/engine.test.ts test/init-engines.test.ts test/cli-engine.test.ts)

work=$(mktemp -d "${TMPDIR:-/tmp}/pph-indep-XXXXXX")
trap 'rm -rf "$work"' EXIT

# 1. PATH without the engines: links to every other program on PATH (the first of a name wins)
free="$work/free"
mkdir "$free"
IFS=: read -r -a dirs <<<"$PATH:/usr/bin:/bin"
for d in "${dirs[@]}"; do
  [ -d "$d" ] || continue
  for f in "$d"/*; do
    n=${f##*/}
    [[ $n =~ ^(docker|podman)(-compose)?$ ]] && continue
    [ -e "$free/$n" ] || ln -s "$f" "$free/$n" 2>/dev/null || true
  done
done

# 2. wrong engines first on PATH
wrong="$work/wrong"
mkdir "$wrong"
log="$work/wrong-calls.log"
for n in docker docker-compose podman podman-compose; do
  cat >"$wrong/$n" <<EOF
#!/bin/sh
echo "$n \$*" >> '$log'
case "\$*" in
  *version*) echo "9.9.9" ;;
  *info*) echo '{"ServerVersion":"99.0","SecurityOptions":["name=rootless","name=userns"],"DockerRootDir":"/wrong","host":{"security":{"rootless":true}},"ClientInfo":{"Plugins":[{"Name":"compose","Version":"v9.9.9"}]}}' ;;
  *ps*) echo '{"Service":"photoprism","State":"exited","ExitCode":7}' ;;
  *) echo "wrong $n" >&2; exit 42 ;;
esac
EOF
  chmod 755 "$wrong/$n"
done

jest=(node --experimental-vm-modules node_modules/jest/bin/jest.js "${files[@]}")
status=0
echo "== 1. PATH without docker, podman, docker-compose, podman-compose"
if ! (PATH="$free" "${jest[@]}"); then status=1; fi
echo "== 2. wrong engines first on PATH ($wrong)"
if ! (PATH="$wrong:$PATH" "${jest[@]}"); then status=1; fi
if [ -s "$log" ]; then
  echo "FAIL: the wrong engines on PATH were called:" >&2
  sort "$log" | uniq -c | sort -rn | head -20 >&2
  status=1
else
  echo "the wrong engines on PATH were never called"
fi
exit $status
