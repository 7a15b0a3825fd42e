import type { RawFinding, Rule } from '../types.js';
import { onHost } from './util.js';

/** Secret files owned by someone other than root or the installation's owner. */
export const secretFileOwner: Rule = {
  id: 'secret-file-owner',
  severity: 'warning',
  title: 'A secret file is owned by someone other than root or the owner of the installation folder',
  why: 'the owner can read and change the MariaDB passwords; with rootful Docker the MariaDB entrypoint reads them as root, so nobody else needs to own them',
  check(ctx) {
    const out: RawFinding[] = [];
    // MariaDB's entrypoint reads them as container root: under a user namespace that is a host account
    // (rootless: the engine's user; userns-remap: the remap root), the owner the plan gives them
    const root = onHost(ctx, 0, 0);
    const okOwners = new Set([0, ctx.dirInfo.uid, ...(root.uid !== null ? [root.uid] : [])]);
    const ppHost = ctx.identity?.uid != null ? onHost(ctx, ctx.identity.uid, null).uid : null;
    const owner = ctx.facts.idMapping && root.uid !== null && root.gid !== null ? `${root.uid}:${root.gid}` : ctx.dirInfo.uid === 0 ? 'root:root' : `${ctx.dirInfo.uid}:${ctx.dirInfo.gid}`;
    for (const s of ctx.secretFiles) {
      if (!s.info || s.info.isDir || okOwners.has(s.info.uid)) continue;
      const name = ctx.facts.accounts.find((a) => a.uid === s.info!.uid)?.name;
      const pp = ppHost === s.info.uid ? ' - PhotoPrism\'s own UID, so after an escape PhotoPrism could read the database passwords' : '';
      out.push({
        file: s.rel,
        message: `${s.rel} is owned by UID ${s.info.uid}${name ? ` (${name})` : ''}${pp}`,
        fix: `chown ${owner} ${s.rel} && chmod 600 ${s.rel}`,
      });
    }
    return out;
  },
};
