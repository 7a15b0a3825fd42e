import type { RawFinding, Rule } from '../types.js';
import { mode, option } from './util.js';

const PASSWORD_KEYS = ['AdminPassword', 'DatabasePassword', 'OIDCSecret', 'AuthSecret', 'NodeClientSecret', 'JoinToken'];

function who(m: number): string {
  const g = (m & 0o070) !== 0;
  const o = (m & 0o007) !== 0;
  return g && o ? 'group and others' : g ? 'its group' : 'everyone (others)';
}

/** Secret files, and options.yml holding passwords, open to group or others. */
export const secretFileReadable: Rule = {
  id: 'secret-file-readable',
  severity: 'error',
  title: 'A secret file, or options.yml holding passwords, is accessible to group or others',
  why: 'any local account (or a compromised service with the same group) can read the passwords, or replace them',
  check(ctx) {
    const out: RawFinding[] = [];
    for (const s of ctx.secretFiles) {
      if (!s.info || s.info.isDir || (s.info.mode & 0o077) === 0) continue;
      out.push({
        file: s.rel,
        message: `${s.rel} has mode ${mode(s.info.mode)}: ${who(s.info.mode)} may access it${s.names.length ? ` (Compose secret ${s.names.join(', ')})` : ''}`,
        fix: `chmod 600 ${s.rel}`,
      });
    }
    const o = ctx.options;
    if (o && (o.info.mode & 0o077) !== 0) {
      const keys = PASSWORD_KEYS.filter((k) => {
        const v = option(ctx, k)?.value;
        return typeof v === 'string' && v !== '';
      });
      if (keys.length) {
        out.push({
          file: o.rel,
          message: `${o.rel} holds ${keys.join(', ')} and has mode ${mode(o.info.mode)}: ${who(o.info.mode)} may access it`,
          fix: `chmod 600 ${o.rel} (PhotoPrism reads it as its own UID, which owns it)`,
        });
      }
    }
    return out;
  },
};
