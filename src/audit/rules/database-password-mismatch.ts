import path from 'node:path';
import type { AuditContext, Rule, ServiceView } from '../types.js';
import { envAt, envValue, option } from './util.js';

/** The file a MariaDB *_FILE path points to, through the service's secrets: and the top-level secrets:. */
export function secretFileFor(ctx: AuditContext, svc: ServiceView, containerPath: string) {
  const list = Array.isArray(svc.data.secrets) ? (svc.data.secrets as unknown[]) : [];
  for (const s of list) {
    const source = typeof s === 'string' ? s : s && typeof s === 'object' ? String((s as Record<string, unknown>).source ?? '') : '';
    const target = typeof s === 'object' && s && typeof (s as Record<string, unknown>).target === 'string' ? String((s as Record<string, unknown>).target) : source;
    const mounted = target.startsWith('/') ? target : path.posix.join('/run/secrets', target);
    if (mounted === containerPath) return ctx.secretFiles.find((f) => f.names.includes(source));
  }
  return undefined;
}

/** DatabasePassword (PhotoPrism) differs from the MariaDB user's password. */
export const databasePasswordMismatch: Rule = {
  id: 'database-password-mismatch',
  severity: 'error',
  title: 'PhotoPrism\'s DatabasePassword differs from the password MariaDB is given',
  why: 'PhotoPrism cannot log in to its database ("Access denied") and does not start',
  check(ctx) {
    const pp = ctx.photoprism;
    const db = ctx.mariadb;
    if (!pp || !db) return [];
    const driver = String(option(ctx, 'DatabaseDriver')?.value ?? envValue(pp, 'PHOTOPRISM_DATABASE_DRIVER') ?? '').toLowerCase();
    if (driver === 'sqlite' || driver === 'sqlite3') return [];
    // PhotoPrism: options.yml wins over the environment
    const opt = option(ctx, 'DatabasePassword');
    let ppValue: string | undefined;
    let where: { file: string; line?: number; service: string };
    if (typeof opt?.value === 'string' && opt.value !== '') {
      ppValue = opt.value.trim();
      where = { file: ctx.options!.rel, line: opt.line, service: pp.name };
    } else {
      const e = pp.envMap.get('PHOTOPRISM_DATABASE_PASSWORD');
      if (e?.value) {
        ppValue = e.value.trim();
        where = envAt(e, pp);
      } else {
        // (PhotoPrism >= 250425 reads PHOTOPRISM_DATABASE_PASSWORD_FILE when the plain value is empty)
        const fe = pp.envMap.get('PHOTOPRISM_DATABASE_PASSWORD_FILE');
        const f = fe?.value ? secretFileFor(ctx, pp, fe.value) : undefined;
        if (!fe || f?.value === null || f?.value === undefined) return [];
        ppValue = f.value.trim();
        where = envAt(fe, pp);
      }
    }
    // MariaDB: the plain variable, or the file behind *_FILE / FILE__*
    let dbValue: string | undefined;
    let dbSource = '';
    for (const n of ['MARIADB_PASSWORD', 'MYSQL_PASSWORD']) {
      const v = envValue(db, n);
      if (v !== undefined) {
        dbValue = v;
        dbSource = n;
        break;
      }
    }
    if (dbValue === undefined) {
      // (linuxserver/mariadb reads FILE__MYSQL_PASSWORD: the file's content becomes MYSQL_PASSWORD)
      for (const n of ['MARIADB_PASSWORD_FILE', 'MYSQL_PASSWORD_FILE', 'FILE__MYSQL_PASSWORD']) {
        const p = envValue(db, n);
        if (!p) continue;
        const f = secretFileFor(ctx, db, p);
        if (f?.value !== null && f?.value !== undefined) {
          dbValue = f.value;
          dbSource = f.rel;
        }
        break;
      }
    }
    if (dbValue === undefined || dbValue === ppValue) return [];
    const what = where.file === ctx.options?.rel ? 'DatabasePassword in ' + where.file : pp.envMap.get('PHOTOPRISM_DATABASE_PASSWORD')?.value ? 'PHOTOPRISM_DATABASE_PASSWORD' : 'the file PHOTOPRISM_DATABASE_PASSWORD_FILE names';
    return [
      {
        ...where,
        message: `${what} differs from the MariaDB password (${dbSource}); values are not shown`,
        fix: `make both the same value. If database/ already exists, MariaDB keeps the password it was created with: set PhotoPrism's value to that one (or change it inside MariaDB with ALTER USER first)`,
      },
    ];
  },
};
