// Fixture installations for the audit tests: real files, owners and modes in a temp folder (tests run as root).

import { promises as fsp } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { HostFacts } from '../src/host.js';
import { auditDir, type Report } from '../src/audit/index.js';
import { ACCOUNT, GROUP, fakeFacts } from './fixtures/unit-fakes.js';

export const DB_PW = 'Db-Pw-4f9c1e7a2b';
export const DB_ROOT_PW = 'Db-Root-Pw-9e8d7c6b5a';
export const ADMIN_PW = 'Admin-Pw-1a2b3c4d';

/** A hardened installation: every rule passes on it. */
export const BASE_COMPOSE = `services:
  photoprism:
    image: photoprism/photoprism:250426
    depends_on:
      mariadb:
        condition: service_healthy
    security_opt:
      - "no-new-privileges:true"
    ports:
      - "127.0.0.1:2342:2342"
    environment:
      PHOTOPRISM_INIT: "update https"
      PHOTOPRISM_UID: "2000"
      PHOTOPRISM_GID: "2000"
      PHOTOPRISM_DISABLE_CHOWN: "false"
    working_dir: "/photoprism"
    volumes:
      - "./originals:/photoprism/originals"
      - "./storage:/photoprism/storage"
    cap_drop: [ALL]
    cap_add: [CHOWN, DAC_OVERRIDE, FOWNER, SETUID, SETGID]
    pids_limit: 1024
    logging:
      driver: json-file
      options:
        max-size: "20m"
    networks: [default, database]
  mariadb:
    image: mariadb:11
    security_opt:
      - "no-new-privileges:true"
    volumes:
      - "./database:/var/lib/mysql"
    environment:
      MARIADB_DATABASE: "photoprism"
      MARIADB_USER: "photoprism"
      MARIADB_ROOT_HOST: "localhost"
      MARIADB_PASSWORD_FILE: /run/secrets/DB_PWD
      MARIADB_ROOT_PASSWORD_FILE: /run/secrets/DB_ROOT_PWD
    secrets:
      - DB_PWD
      - DB_ROOT_PWD
    healthcheck:
      test: ["CMD", "healthcheck.sh", "--connect", "--innodb_initialized"]
      interval: 10s
    cap_drop: [ALL]
    cap_add: [CHOWN, DAC_OVERRIDE, SETUID, SETGID]
    pids_limit: 512
    logging:
      options:
        max-size: "20m"
    networks: [database]
secrets:
  DB_PWD:
    file: ./.secrets/db_pwd.txt
  DB_ROOT_PWD:
    file: ./.secrets/db_root_pwd.txt
networks:
  database:
    internal: true
`;

export const BASE_OPTIONS = `AuthMode: "password"
AdminUser: "admin"
AdminPassword: "${ADMIN_PW}"
SiteUrl: "http://localhost:2342/"
DatabaseDriver: "mysql"
DatabaseServer: "mariadb:3306"
DatabaseName: "photoprism"
DatabaseUser: "photoprism"
DatabasePassword: "${DB_PW}"
FFmpegEncoder: "software"
`;

export interface Meta {
  mode?: number;
  uid?: number;
  gid?: number;
}

export interface Fixture {
  /** compose text (default BASE_COMPOSE) */
  compose?: string;
  composeName?: string;
  /** options.yml text; null: none (default BASE_OPTIONS) */
  options?: string | null;
  optionsPath?: string;
  /** extra files (relative path -> content), created 0644 root unless `meta` says otherwise */
  files?: Record<string, string>;
  /** owners and modes after creation (files and folders) */
  meta?: Record<string, Meta>;
  facts?: Partial<HostFacts>;
  env?: NodeJS.ProcessEnv;
}

/** A small host for the audits: root and alice, groups root, video and alice. */
export function facts(partial: Partial<HostFacts> = {}): HostFacts {
  return fakeFacts({ accounts: [ACCOUNT.root, ACCOUNT.alice], groups: [GROUP.root, GROUP.video, GROUP.alice], ...partial });
}

/** Replace `from` by `to`, failing loudly when `from` is not there (a mutation must never be a no-op). */
export function edit(text: string, from: string, to: string): string {
  if (!text.includes(from)) throw new Error(`fixture edit: ${JSON.stringify(from)} not found`);
  return text.replace(from, to);
}

/** 1-based line of the first line containing `needle`. */
export function lineOf(text: string, needle: string): number {
  const i = text.split('\n').findIndex((l) => l.includes(needle));
  if (i < 0) throw new Error(`lineOf: ${JSON.stringify(needle)} not found`);
  return i + 1;
}

const dirs: string[] = [];

export async function tempDir(prefix = 'pph-audit-'): Promise<string> {
  const d = await fsp.mkdtemp(path.join(os.tmpdir(), prefix));
  dirs.push(d);
  return d;
}

export async function cleanup(): Promise<void> {
  await Promise.all(dirs.splice(0).map((d) => fsp.rm(d, { recursive: true, force: true })));
}

async function write(file: string, content: string, m: Meta): Promise<void> {
  await fsp.mkdir(path.dirname(file), { recursive: true });
  await fsp.writeFile(file, content);
  await fsp.chmod(file, m.mode ?? 0o644);
  await fsp.chown(file, m.uid ?? 0, m.gid ?? 0);
}

/** Build the installation on disk and return its folder. */
export async function build(fx: Fixture = {}): Promise<string> {
  const dir = await tempDir();
  await fsp.chmod(dir, 0o755);
  const pp = { uid: 2000, gid: 2000 };
  await fsp.mkdir(path.join(dir, 'originals'));
  await fsp.mkdir(path.join(dir, 'database'), { mode: 0o700 });
  await fsp.mkdir(path.join(dir, 'storage', 'config'), { recursive: true });
  for (const d of ['storage', 'storage/config']) {
    await fsp.chmod(path.join(dir, d), 0o750);
    await fsp.chown(path.join(dir, d), pp.uid, pp.gid);
  }
  await fsp.mkdir(path.join(dir, '.secrets'));
  await fsp.chmod(path.join(dir, '.secrets'), 0o700);
  await write(path.join(dir, fx.composeName ?? 'docker-compose.yml'), fx.compose ?? BASE_COMPOSE, { mode: 0o644 });
  await write(path.join(dir, '.secrets/db_pwd.txt'), DB_PW, { mode: 0o600 });
  await write(path.join(dir, '.secrets/db_root_pwd.txt'), DB_ROOT_PW, { mode: 0o600 });
  const options = fx.options === undefined ? BASE_OPTIONS : fx.options;
  if (options !== null) await write(path.join(dir, fx.optionsPath ?? 'storage/config/options.yml'), options, { mode: 0o600, ...pp });
  for (const [rel, content] of Object.entries(fx.files ?? {})) await write(path.join(dir, rel), content, { mode: 0o644 });
  for (const [rel, m] of Object.entries(fx.meta ?? {})) {
    const p = path.join(dir, rel);
    if (m.mode !== undefined) await fsp.chmod(p, m.mode);
    if (m.uid !== undefined || m.gid !== undefined) {
      const st = await fsp.stat(p);
      await fsp.chown(p, m.uid ?? st.uid, m.gid ?? st.gid);
    }
  }
  return dir;
}

/** Build and audit (no process environment: interpolation sees only .env). */
export async function auditFixture(fx: Fixture = {}): Promise<{ dir: string; report: Report }> {
  const dir = await build(fx);
  const report = await auditDir(dir, facts(fx.facts), 'test', { env: fx.env ?? { HOME: '/home/alice' } });
  return { dir, report };
}

export function ruleFindings(report: Report, rule: string) {
  return report.findings.filter((f) => f.rule === rule);
}
