import type { Rule } from '../types.js';
import { chownAtStart, onHost } from './util.js';

/** Storage folder not owned by UID:GID. */
export const storageOwner: Rule = {
  id: 'storage-owner',
  severity: 'warning',
  title: 'The storage folder is not owned by PhotoPrism\'s UID:GID',
  why: 'PhotoPrism must write cache, sidecars, backups and its config there as its own UID; its start-up check aborts when it cannot',
  check(ctx) {
    const st = ctx.storage;
    const id = ctx.identity;
    if (!st?.info || !st.info.isDir || !id || id.uid === null || id.uid === 0) return [];
    // the owner the host's files show: container ids through the engine's user namespace
    const host = onHost(ctx, id.uid, id.gid);
    if (host.uid === null || (id.gid !== null && host.gid === null)) return []; // (outside the mapping: id-unsupported and init say so)
    // without a known GID (user: "UID" alone) only the owner can be compared
    if (st.info.uid === host.uid && (host.gid === null || st.info.gid === host.gid)) return [];
    const want = host.gid === null ? `${host.uid}` : `${host.uid}:${host.gid}`;
    const effect = chownAtStart(ctx)
      ? 'the entrypoint re-owns it at every start (slow for a large cache)'
      : id.mode === 'user'
        ? 'with user: nothing re-owns it, so PhotoPrism may fail to start'
        : 'PHOTOPRISM_DISABLE_CHOWN is set, so nothing re-owns it and PhotoPrism may fail to start';
    return [
      {
        file: st.rel,
        service: ctx.photoprism?.name,
        message: `${st.rel}/ is owned by ${st.info.uid}:${st.info.gid}, not ${want}${host.via}: ${effect}`,
        fix: `sudo chown -R ${want} ${st.rel}`,
      },
    ];
  },
};
