import type { RawFinding, Rule } from '../types.js';
import { envAt, svcLabel } from './util.js';

/** X and X_FILE set together. */
export const envVarAndFileSet: Rule = {
  id: 'env-var-and-file-set',
  severity: 'error',
  title: 'A variable and its _FILE variant are both set (e.g. MARIADB_PASSWORD and MARIADB_PASSWORD_FILE)',
  why: 'MariaDB refuses to start when both are set; PhotoPrism reads the _FILE variant only when the plain value is empty, so the file is silently ignored',
  check(ctx) {
    const out: RawFinding[] = [];
    for (const svc of ctx.services) {
      for (const [name, fileEntry] of svc.envMap) {
        if (!name.endsWith('_FILE')) continue;
        const base = name.slice(0, -'_FILE'.length);
        const plain = svc.envMap.get(base);
        if (!plain || plain.value === '' || fileEntry.value === '') continue;
        const effect =
          svc.kind === 'mariadb'
            ? 'the MariaDB entrypoint stops with "both ' + base + ' and ' + name + ' are set (but are exclusive)"'
            : svc.kind === 'photoprism'
              ? `PhotoPrism uses ${base} and ignores the file`
              : 'most images refuse this or ignore one of them';
        out.push({
          ...envAt(plain, svc),
          message: `${base} and ${name} are both set in ${svcLabel(svc)}: ${effect}`,
          fix: `delete ${base} (keep the secret in the file ${name} points to)`,
        });
      }
    }
    return out;
  },
};
