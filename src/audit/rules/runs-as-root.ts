import type { Rule } from '../types.js';
import { at, suggestedIds, yaml } from './util.js';

/** PhotoPrism running as root: no UID at all, UID 0, user: root, or the root group. */
export const runsAsRoot: Rule = {
  id: 'runs-as-root',
  severity: 'error',
  title: 'PhotoPrism runs as root (no PHOTOPRISM_UID/GID or user:, UID 0, or GID 0)',
  why: 'numeric ids are shared with the host: after a container escape a root process owns the whole host (guide: "never run as root")',
  check(ctx) {
    const svc = ctx.photoprism;
    const id = ctx.identity;
    if (!svc || !id) return [];
    const s = suggestedIds(ctx);
    const envFix = yaml(
      `set both ids (init answer: --uid ${s.uid} --gid ${s.gid}; ${s.uid} is supported and unused on this host):`,
      '    environment:',
      `      PHOTOPRISM_UID: "${s.uid}"`,
      `      PHOTOPRISM_GID: "${s.gid}"`,
    );
    if (id.mode === 'root') {
      return [{ ...at(ctx, svc, 'environment'), message: 'PhotoPrism runs as root: neither PHOTOPRISM_UID/PHOTOPRISM_GID nor user: is set', fix: envFix }];
    }
    const where = { file: id.at.file, line: id.at.line, service: svc.name };
    if (id.mode === 'env' && id.uid === null) {
      return [
        {
          ...where,
          message: `PHOTOPRISM_UID "${id.uidText}" is not a number: the entrypoint ignores it and PhotoPrism keeps running as root`,
          fix: envFix,
        },
      ];
    }
    if (id.uid === 0) {
      return [
        {
          ...where,
          message: id.mode === 'user' ? `user: "${id.uidText}" runs PhotoPrism as root` : 'PHOTOPRISM_UID is 0 (root)',
          fix: envFix,
        },
      ];
    }
    if (id.gid === 0 && id.gidText !== null) {
      return [
        {
          file: id.gidAt?.file ?? where.file,
          line: id.gidAt?.line ?? where.line,
          service: svc.name,
          message: `PhotoPrism runs with GID 0, the root group: every host file of group root that it can reach is open to it`,
          fix: `use a supported, unused GID such as ${s.gid} (init answer: --gid ${s.gid})`,
        },
      ];
    }
    return [];
  },
};
