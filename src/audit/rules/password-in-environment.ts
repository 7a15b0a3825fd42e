import { parseDsn } from '../../compose/model.js';
import { isSecretName } from '../load.js';
import type { AuditContext, EnvEntry, RawFinding, Rule } from '../types.js';

/** " (from .env:3 through ${DB_PW})" when the value is interpolated from the project's .env */
function viaDotenv(ctx: AuditContext, e: EnvEntry): string {
  const hits = (e.refs ?? []).flatMap((r) => ctx.dotenv?.entries.filter((d) => d.name === r).map((d) => `${ctx.dotenv!.rel}:${d.line} through \${${r}}`) ?? []);
  return hits.length ? ` (its value comes from ${hits.join(', ')})` : '';
}
import { envAt, optionKeyFor, svcLabel, yaml } from './util.js';

const MARIADB_SECRET: Record<string, { secret: string; file: string }> = {
  MARIADB_PASSWORD: { secret: 'DB_PWD', file: '.secrets/db_pwd.txt' },
  MYSQL_PASSWORD: { secret: 'DB_PWD', file: '.secrets/db_pwd.txt' },
  MARIADB_ROOT_PASSWORD: { secret: 'DB_ROOT_PWD', file: '.secrets/db_root_pwd.txt' },
  MYSQL_ROOT_PASSWORD: { secret: 'DB_ROOT_PWD', file: '.secrets/db_root_pwd.txt' },
};

/** Passwords and secrets in a container's environment (compose `environment:` or an `env_file`). */
export const passwordInEnvironment: Rule = {
  id: 'password-in-environment',
  severity: 'error',
  title: 'A password or secret is set in a container\'s environment (environment: or env_file)',
  why: 'the environment leaks through docker inspect, /proc/<pid>/environ, crash reports and every copy of the compose or env file',
  kics: 'Passwords And Secrets - Generic Password',
  check(ctx) {
    const out: RawFinding[] = [];
    for (const svc of ctx.services) {
      for (const e of svc.env) {
        if (!isSecretName(e.name) || e.value === '') continue;
        const where = e.source === 'env_file' ? `env file ${e.file} of ${svcLabel(svc)}` : `the environment of ${svcLabel(svc)}`;
        const from = e.value === null ? ' (passed through from the shell)' : '';
        let fix: string;
        if (svc.kind === 'photoprism' && optionKeyFor(e.name)) {
          const key = optionKeyFor(e.name)!;
          fix = `delete ${e.name} here and put the value in PhotoPrism's options.yml (owner UID:GID, mode 0600), which overrides the environment:\n${key}: "..."\n(\`photoprism-harden init\` writes options.yml this way)`;
        } else if (svc.kind === 'mariadb' && MARIADB_SECRET[e.name]) {
          const s = MARIADB_SECRET[e.name]!;
          fix = yaml(
            `delete ${e.name}, write the value to ${s.file} (one line, mode 0600, folder .secrets 0700) and use a Compose secret:`,
            `  ${svc.name}:`,
            '    environment:',
            `      ${e.name}_FILE: /run/secrets/${s.secret}`,
            '    secrets:',
            `      - ${s.secret}`,
            'secrets:',
            `  ${s.secret}:`,
            `    file: ./${s.file}`,
            '(`photoprism-harden init` sets this up and keeps the existing value)',
          );
        } else {
          fix = `move the value into a Compose secret file (mode 0600) and read it through the image's ${e.name}_FILE variable if it has one`;
        }
        out.push({ ...envAt(e, svc), message: `${e.name} holds a password in ${where}${from}${viaDotenv(ctx, e)}`, fix });
      }
      // a password inside a connection string (user:password@tcp(host)/db)
      for (const e of svc.env) {
        if (!/_DSN$/.test(e.name) || !e.value) continue;
        const parts = parseDsn(e.value);
        if (!parts?.password) continue;
        const where = e.source === 'env_file' ? `env file ${e.file} of ${svcLabel(svc)}` : `the environment of ${svcLabel(svc)}`;
        out.push({
          ...envAt(e, svc),
          message: `${e.name} holds the database password (inside the connection string) in ${where}${viaDotenv(ctx, e)}`,
          fix:
            svc.kind === 'photoprism'
              ? `delete ${e.name} here and put the connection string in PhotoPrism's options.yml (owner UID:GID, mode 0600):\nDatabaseDsn: "..."\nor set DatabaseServer, DatabaseName, DatabaseUser and DatabasePassword there instead (\`photoprism-harden init\` moves it unchanged)`
              : `move the connection string (or its password) into a secret file (mode 0600) the image reads`,
        });
      }
    }
    return out;
  },
};
