#!/usr/bin/env bash
# Builds the E2E test images OFFLINE (no registry) into the engine DOCKER_HOST points at (start-dockerd.sh):
#   1. debootstrap --variant=minbase bookworm with the Debian packages both images need, from the machine's own
#      Debian mirror (/etc/apt), pruned and kept as a tarball in the cache (PHOTOPRISM_HARDEN_E2E_CACHE, default
#      /var/tmp/photoprism-harden-e2e; keyed by the package list, so it is built once per machine);
#   2. docker import -> photoprism-harden-e2e/base:bookworm;
#   3. docker build (BuildKit: the legacy builder makes a container, i.e. a full vfs copy, per instruction; --network none) of images/mariadb and images/photoprism FROM it, tagged with
#      every image name templates/docker-compose.yml.hbs uses (so a generated file runs unchanged) and with
#      photoprism-harden-e2e/<name>:<variant> for the fault variants.
# Each step is skipped when its result is already there with the same content hash (a rerun takes seconds).
#   usage: . "$STATE_DIR/env.sh"; bash test/e2e/images/build.sh
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
repo=$(cd "$here/../../.." && pwd)
cache=${PHOTOPRISM_HARDEN_E2E_CACHE:-/var/tmp/photoprism-harden-e2e}
: "${DOCKER_HOST:?DOCKER_HOST must point at the private engine (. STATE_DIR/env.sh from start-dockerd.sh)}"
case "$DOCKER_HOST" in unix:///var/run/docker.sock | unix:///run/docker.sock) echo "build.sh: refusing the system-wide docker socket" >&2; exit 1 ;; esac
mkdir -p "$cache"
t0=$(date +%s)

packages=mariadb-server,gosu,python3,python3-pymysql,python3-yaml,sudo,make
suite=bookworm
key=$(printf '%s\n' "$suite" "$packages" "prune-v1" | sha256sum | cut -c1-16)
tarball="$cache/base-$suite-$key.tar"

mirror=$(grep -h -E '^URIs:' /etc/apt/sources.list.d/*.sources 2>/dev/null | awk '{print $2}' | grep -v -m1 security || true)
[ -n "$mirror" ] || mirror=$(grep -h -E '^deb ' /etc/apt/sources.list /etc/apt/sources.list.d/*.list 2>/dev/null | awk '{print $2}' | grep -v -m1 security || true)

if [ ! -s "$tarball" ]; then
  [ -n "$mirror" ] || { echo "build.sh: no Debian mirror configured in /etc/apt" >&2; exit 1; }
  command -v debootstrap >/dev/null || { echo "build.sh: debootstrap not found (apt-get install -y --no-install-recommends debootstrap)" >&2; exit 1; }
  root=$(mktemp -d "$cache/rootfs.XXXXXX")
  trap 'rm -rf "$root"' EXIT
  echo "build.sh: debootstrap $suite ($packages) from $mirror ..." >&2
  if ! debootstrap --variant=minbase --include="$packages" "$suite" "$root" "$mirror" >"$cache/debootstrap.log" 2>&1; then
    tail -n 30 "$cache/debootstrap.log" >&2; echo "build.sh: debootstrap failed (log: $cache/debootstrap.log)" >&2; exit 1
  fi
  # what no container needs: package caches, docs, locales, the data folder the package created
  rm -rf "$root"/var/cache/apt/archives/*.deb "$root"/var/lib/apt/lists/* "$root"/usr/share/doc/* "$root"/usr/share/man/* \
    "$root"/usr/share/locale/* "$root"/usr/share/info/* "$root"/var/lib/mysql/* "$root"/var/log/*.log
  chmod 0755 "$root"   # mktemp made it 0700: it becomes the image's /
  tar -C "$root" --numeric-owner -cf "$tarball.tmp" .
  mv "$tarball.tmp" "$tarball"
  rm -rf "$root"; trap - EXIT
  echo "build.sh: base tarball $(du -h "$tarball" | cut -f1) in $(( $(date +%s) - t0 )) s" >&2
fi

label() { docker image inspect --format "{{ index .Config.Labels \"org.photoprism-harden.e2e\" }}" "$1" 2>/dev/null || true; }

base=photoprism-harden-e2e/base:$suite
key="$key-$(stat -c %s-%Y "$tarball")"   # a re-made tarball is imported again
if [ "$(label "$base")" != "$key" ]; then
  docker import --change "LABEL org.photoprism-harden.e2e=$key" --change 'CMD ["/bin/bash"]' "$tarball" "$base" >/dev/null
  echo "build.sh: imported $base" >&2
fi

# image names the template writes (e.g. photoprism/photoprism:latest, mariadb:11)
template_images=$(sed -n -E 's/^ *image: *"?([^" #]+)"?.*/\1/p' "$repo/templates/docker-compose.yml.hbs" | sort -u)

build() { # name variants...
  local name=$1; shift
  local ctx="$here/$name"
  local hash
  hash=$( (echo "$key"; cd "$ctx" && find . -type f | LC_ALL=C sort | xargs sha256sum; find . -type f -perm -u+x | LC_ALL=C sort) | sha256sum | cut -c1-16)
  local main="photoprism-harden-e2e/$name:ok"
  if [ "$(label "$main")" != "$hash" ]; then
    DOCKER_BUILDKIT=1 docker build -q --network none --build-arg "BASE=$base" --label "org.photoprism-harden.e2e=$hash" --target ok -t "$main" "$ctx" >/dev/null
    for v in "$@"; do DOCKER_BUILDKIT=1 docker build -q --network none --build-arg "BASE=$base" --label "org.photoprism-harden.e2e=$hash" --target "$v" -t "photoprism-harden-e2e/$name:$v" "$ctx" >/dev/null; done
    echo "build.sh: built $main${*:+ and the variants $*}" >&2
  fi
  local t
  for t in $template_images; do
    case "$t" in
      *"$name"*) docker tag "$main" "$t" ;;
    esac
  done
}
build mariadb never-healthy
build photoprism dies-at-once dies-after-init
docker tag photoprism-harden-e2e/mariadb:ok mariadb:11
docker tag photoprism-harden-e2e/photoprism:ok photoprism/photoprism:latest
echo "build.sh: images ready in $(( $(date +%s) - t0 )) s: $(docker images --format '{{.Repository}}:{{.Tag}}' | grep -v '<none>' | sort | tr '\n' ' ')" >&2
