#!/usr/bin/env bash
# Debian 12's Compose v1 (docker-compose 1.29.2, Python) in a PRIVATE folder, never on the PATH other tests see:
# the .debs of docker-compose and its Python dependencies are fetched with `apt-get download` (no dpkg -i, nothing
# installed system-wide), unpacked with `dpkg -x` into DEST/root, and DEST/bin/docker-compose runs it with
# PYTHONPATH pointing there. Only test/e2e/compose-v1.test.ts puts DEST/bin first in its own PATH.
#   usage: bash test/e2e/engine/get-compose-v1.sh DEST      (as root; cached: a rerun with DEST/bin/docker-compose is a no-op)
set -euo pipefail
dest=${1:?usage: get-compose-v1.sh DEST}
if [ -x "$dest/bin/docker-compose" ] && "$dest/bin/docker-compose" version --short >/dev/null 2>&1; then
  echo "get-compose-v1: $("$dest/bin/docker-compose" version --short) already in $dest"; exit 0
fi
pkgs="docker-compose python3-attr python3-cached-property python3-certifi python3-chardet python3-charset-normalizer
  python3-distro python3-distutils python3-docker python3-dockerpty python3-docopt python3-dotenv python3-idna
  python3-importlib-metadata python3-importlib-resources python3-jsonschema python3-lib2to3 python3-more-itertools
  python3-pkg-resources python3-pyrsistent python3-requests python3-six python3-texttable python3-typing-extensions
  python3-urllib3 python3-websocket python3-yaml python3-zipp"
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
# shellcheck disable=SC2086
if ! (cd "$tmp" && apt-get download -q $pkgs >/dev/null 2>"$tmp/err"); then
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -q >/dev/null
  # shellcheck disable=SC2086
  (cd "$tmp" && apt-get download -q $pkgs >/dev/null) || { cat "$tmp/err" >&2; exit 1; }
fi
rm -rf "$dest"; mkdir -p "$dest/bin" "$dest/root"
for d in "$tmp"/*.deb; do dpkg -x "$d" "$dest/root"; done
py=$(ls -d "$dest"/root/usr/lib/python3.*/ 2>/dev/null | head -n 1 || true)
cat >"$dest/bin/docker-compose" <<WRAP
#!/bin/sh
# Debian's docker-compose 1.29.2 from $dest/root (get-compose-v1.sh)
PYTHONPATH="$dest/root/usr/lib/python3/dist-packages${py:+:${py%/}}" exec /usr/bin/python3 "$dest/root/usr/bin/docker-compose" "\$@"
WRAP
chmod 0755 "$dest/bin/docker-compose"
echo "get-compose-v1: $("$dest/bin/docker-compose" version --short) in $dest"
