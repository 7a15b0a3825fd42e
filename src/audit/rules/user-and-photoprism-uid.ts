import type { Rule } from '../types.js';
import { at, envAt } from './util.js';

/** Both user: and PHOTOPRISM_UID/GID. */
export const userAndPhotoprismUid: Rule = {
  id: 'user-and-photoprism-uid',
  severity: 'warning',
  title: 'Both user: and PHOTOPRISM_UID/PHOTOPRISM_GID are set',
  why: 'with user: the container never starts as root, so PHOTOPRISM_UID/GID cannot take effect; two answers to one question end in permission errors',
  check(ctx) {
    const svc = ctx.photoprism;
    if (!svc || ctx.identity?.mode !== 'user') return [];
    const e = ['PHOTOPRISM_UID', 'PHOTOPRISM_GID'].map((n) => svc.envMap.get(n)).find((x) => x && x.value);
    if (!e) return [];
    return [
      {
        ...envAt(e, svc),
        message: `user: "${String(svc.data.user)}" and ${e.name} are both set`,
        fix: `keep one: PHOTOPRISM_UID + PHOTOPRISM_GID (recommended; init answer --user-mode photoprism-uid) or user: (--user-mode user), and delete the other (user: is at line ${at(ctx, svc, 'user').line})`,
      },
    ];
  },
};
