import type { RawFinding, Rule } from '../types.js';

/** Secret files owned by someone other than root or the installation's owner. */
export const secretFileOwner: Rule = {
  id: 'secret-file-owner',
  severity: 'warning',
  title: 'A secret file is owned by someone other than root or the owner of the installation folder',
  why: 'the owner can read and change the MariaDB passwords; with rootful Docker the MariaDB entrypoint reads them as root, so nobody else needs to own them',
  check(ctx) {
    const out: RawFinding[] = [];
    const okOwners = new Set([0, ctx.dirInfo.uid]);
    for (const s of ctx.secretFiles) {
      if (!s.info || s.info.isDir || okOwners.has(s.info.uid)) continue;
      const name = ctx.facts.accounts.find((a) => a.uid === s.info!.uid)?.name;
      const pp = ctx.identity?.uid === s.info.uid ? ' - PhotoPrism\'s own UID, so after an escape PhotoPrism could read the database passwords' : '';
      out.push({
        file: s.rel,
        message: `${s.rel} is owned by UID ${s.info.uid}${name ? ` (${name})` : ''}${pp}`,
        fix: `chown ${ctx.dirInfo.uid === 0 ? 'root:root' : `${ctx.dirInfo.uid}:${ctx.dirInfo.gid}`} ${s.rel} && chmod 600 ${s.rel}`,
      });
    }
    return out;
  },
};
