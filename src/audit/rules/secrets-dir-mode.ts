import type { Rule } from '../types.js';
import { mode } from './util.js';

/** .secrets/ not 0700. */
export const secretsDirMode: Rule = {
  id: 'secrets-dir-mode',
  severity: 'warning',
  title: 'The .secrets folder is not mode 0700',
  why: 'group or others can list it, and with write access replace a secret file; 0700 keeps even mistakes in file modes private',
  check(ctx) {
    const d = ctx.secretsDir;
    if (!d?.info || !d.info.isDir || (d.info.mode & 0o077) === 0) return [];
    return [{ file: d.rel, message: `${d.rel}/ has mode ${mode(d.info.mode)}`, fix: `chmod 700 ${d.rel}` }];
  },
};
