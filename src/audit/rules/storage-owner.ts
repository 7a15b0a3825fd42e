import type { Rule } from '../types.js';
import { chownAtStart } from './util.js';

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
    // without a known GID (user: "UID" alone) only the owner can be compared
    if (st.info.uid === id.uid && (id.gid === null || st.info.gid === id.gid)) return [];
    const want = id.gid === null ? `${id.uid}` : `${id.uid}:${id.gid}`;
    const effect = chownAtStart(ctx)
      ? 'the entrypoint re-owns it at every start (slow for a large cache)'
      : id.mode === 'user'
        ? 'with user: nothing re-owns it, so PhotoPrism may fail to start'
        : 'PHOTOPRISM_DISABLE_CHOWN is set, so nothing re-owns it and PhotoPrism may fail to start';
    return [
      {
        file: st.rel,
        service: ctx.photoprism?.name,
        message: `${st.rel}/ is owned by ${st.info.uid}:${st.info.gid}, not ${want}: ${effect}`,
        fix: `sudo chown -R ${want} ${st.rel}`,
      },
    ];
  },
};
