#!/usr/bin/env bash
# Stand-in for PhotoPrism's /scripts/audit.sh: the start is aborted when the (dropped) user cannot write storage.
STORAGE=${PHOTOPRISM_STORAGE_PATH:-/photoprism/storage}
probe="$STORAGE/.audit-$$"
if ! (: >"$probe") 2>/dev/null; then
  echo "audit: ERROR: uid $(id -u) cannot create files in $STORAGE (check its owner or PHOTOPRISM_UID/GID)" >&2
  exit 1
fi
rm -f "$probe"
echo "audit: storage is writable by uid $(id -u)"
