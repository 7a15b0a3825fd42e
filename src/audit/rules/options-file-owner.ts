import type { Rule } from '../types.js';
import { canRead, chownAtStart, mode } from './util.js';

/** options.yml not owned by PhotoPrism's UID:GID. */
export const optionsFileOwner: Rule = {
  id: 'options-file-owner',
  severity: 'warning',
  title: 'options.yml is not owned by PhotoPrism\'s UID:GID',
  why: 'PhotoPrism reads options.yml after dropping to its UID; with mode 0600 only that owner can read it, any other owner is either unreadable or over-shared',
  check(ctx) {
    const o = ctx.options;
    const id = ctx.identity;
    if (!o || !id || id.uid === null || id.uid === 0 || id.gid === null) return [];
    if (o.info.uid === id.uid && o.info.gid === id.gid) return [];
    const readable = canRead(o.info, id.uid, [id.gid]);
    const effect = readable
      ? 'PhotoPrism can read it, but so can the owner'
      : chownAtStart(ctx)
        ? 'PhotoPrism can read it only after its entrypoint re-owns storage at the next start'
        : 'PhotoPrism cannot read it (no root start re-owns storage): its passwords and settings are ignored';
    return [
      {
        file: o.rel,
        service: ctx.photoprism?.name,
        message: `${o.rel} is owned by ${o.info.uid}:${o.info.gid} (mode ${mode(o.info.mode)}), not ${id.uid}:${id.gid}: ${effect}`,
        fix: `chown ${id.uid}:${id.gid} ${o.rel} && chmod 600 ${o.rel}`,
      },
    ];
  },
};
