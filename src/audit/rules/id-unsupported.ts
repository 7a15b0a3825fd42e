import { SUPPORTED_GIDS, SUPPORTED_UIDS, formatRanges, inRanges } from '../../domain.js';
import type { RawFinding, Rule } from '../types.js';
import { suggestedIds } from './util.js';

/** UID/GID outside the lists the PhotoPrism image supports. */
export const idUnsupported: Rule = {
  id: 'id-unsupported',
  severity: 'warning',
  title: 'UID or GID is not one the PhotoPrism image supports',
  why: 'the image pre-creates accounts only for the documented ids; others run without a proper account (no home, no video/render groups) or depend on the image creating one at start',
  check(ctx) {
    const svc = ctx.photoprism;
    const id = ctx.identity;
    if (!svc || !id || id.mode === 'root') return [];
    const s = suggestedIds(ctx);
    const out: RawFinding[] = [];
    if (id.uid !== null && id.uid !== 0 && !inRanges(id.uid, SUPPORTED_UIDS)) {
      out.push({
        file: id.at.file,
        line: id.at.line,
        service: svc.name,
        message: `UID ${id.uid} is not supported by the PhotoPrism image (supported: ${formatRanges(SUPPORTED_UIDS)})`,
        fix: `use a supported UID no host account uses, e.g. ${s.uid} (init answer: --uid ${s.uid}), then chown storage to it`,
      });
    }
    if (id.gid !== null && id.gid !== 0 && !inRanges(id.gid, SUPPORTED_GIDS)) {
      out.push({
        file: id.gidAt?.file ?? id.at.file,
        line: id.gidAt?.line ?? id.at.line,
        service: svc.name,
        message: `GID ${id.gid} is not supported by the PhotoPrism image (supported: ${formatRanges(SUPPORTED_GIDS)})`,
        fix: `use a supported GID, e.g. ${s.gid} (init answer: --gid ${s.gid}), then chown storage to it`,
      });
    }
    return out;
  },
};
