import type { Rule } from '../types.js';
import { canRead, chownAtStart, mode, onHost } from './util.js';

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
    const host = onHost(ctx, id.uid, id.gid);
    if (host.uid === null || host.gid === null) return []; // (outside the mapping: id-unsupported and init say so)
    if (o.info.uid === host.uid && o.info.gid === host.gid) return [];
    const readable = canRead(o.info, host.uid, [host.gid]);
    const effect = readable
      ? 'PhotoPrism can read it, but so can the owner'
      : chownAtStart(ctx)
        ? 'PhotoPrism can read it only after its entrypoint re-owns storage at the next start'
        : 'PhotoPrism cannot read it (no root start re-owns storage): its passwords and settings are ignored';
    return [
      {
        file: o.rel,
        service: ctx.photoprism?.name,
        message: `${o.rel} is owned by ${o.info.uid}:${o.info.gid} (mode ${mode(o.info.mode)}), not ${host.uid}:${host.gid}${host.via}: ${effect}`,
        fix: `chown ${host.uid}:${host.gid} ${o.rel} && chmod 600 ${o.rel}`,
      },
    ];
  },
};
