import type { Rule } from '../types.js';
import { suggestedIds } from './util.js';

/** Only one of UID and GID set. */
export const uidGidIncomplete: Rule = {
  id: 'uid-gid-incomplete',
  severity: 'error',
  title: 'Only one of UID and GID is set (PHOTOPRISM_UID without PHOTOPRISM_GID, the reverse, or user: without a group)',
  why: 'PhotoPrism then runs with a group you did not choose (root, or the image\'s 1000, often the first person\'s group on the host) or, with a GID alone, stays root',
  check(ctx) {
    const svc = ctx.photoprism;
    const id = ctx.identity;
    if (!svc || !id) return [];
    const s = suggestedIds(ctx);
    if (id.mode === 'env' && id.gidText === null && id.uid !== 0) {
      return [
        {
          file: id.at.file,
          line: id.at.line,
          service: svc.name,
          message: `PHOTOPRISM_UID is set without PHOTOPRISM_GID: the entrypoint has no group to switch to (depending on the image version PhotoPrism keeps group 0 or the account's default group, or fails to start)`,
          fix: `add PHOTOPRISM_GID: "${id.uid !== null && id.uid >= 500 ? id.uid : s.gid}" next to it (init answer: --gid); always set both`,
        },
      ];
    }
    if (id.mode === 'root' && id.gidText !== null) {
      return [
        {
          file: id.gidAt?.file ?? ctx.compose.rel,
          line: id.gidAt?.line,
          service: svc.name,
          message: 'a GID is set without PHOTOPRISM_UID: the entrypoint ignores it and PhotoPrism runs as root',
          fix: `add PHOTOPRISM_UID: "${s.uid}" (init answer: --uid ${s.uid} --gid ${s.gid})`,
        },
      ];
    }
    if (id.mode === 'user' && id.gidText === null && id.uid !== 0) {
      return [
        {
          file: id.at.file,
          line: id.at.line,
          service: svc.name,
          message: `user: "${id.uidText}" has no group: Docker uses the group of that account in the image, or 0 (root) when the image has no such account`,
          fix: `write user: "${id.uidText}:${id.uid ?? s.gid}" (UID:GID)`,
        },
      ];
    }
    return [];
  },
};
