// Read the previous answers back from an existing installation (ours, hand-made, or PhotoPrism's
// example), so that a second run only asks about what changed. Pure: works on TargetState contents.

import path from 'node:path';
import { parseDocument } from 'yaml';
import { portTarget, volumeTarget } from './merge.js';
import { QUESTIONS, type Answers, type Found, type Key, type SecretKey } from './questions.js';
import type { TargetState } from './state.js';

export interface Previous {
  values: Partial<Answers>;
  /** passwords found in the environment of an existing compose file (PhotoPrism's example layout) */
  envSecrets: Partial<Record<SecretKey, string>>;
  notes: string[];
  /** layouts a regeneration would break (data in another place): nothing may be written */
  problems: string[];
}

type Obj = Record<string, unknown>;
const obj = (v: unknown): Obj | undefined => (v && typeof v === 'object' && !Array.isArray(v) ? (v as Obj) : undefined);

/** environment as a map, whether written as a mapping or as a list of KEY=value */
export function envMap(v: unknown): Record<string, string> {
  const out: Record<string, string> = {};
  if (Array.isArray(v)) {
    for (const item of v) {
      if (typeof item !== 'string') continue;
      const i = item.indexOf('=');
      if (i > 0) out[item.slice(0, i)] = item.slice(i + 1);
    }
  } else if (obj(v)) {
    for (const [k, val] of Object.entries(obj(v)!)) if (val !== null && val !== undefined) out[k] = String(val);
  }
  return out;
}

/** Compose writes a literal `$` as `$$` */
const unescapeCompose = (s: string) => s.replace(/\$\$/g, '$');

function load(text: string | undefined): Obj | undefined {
  if (text === undefined) return undefined;
  const doc = parseDocument(text);
  if (doc.errors.length) return undefined;
  return obj(doc.toJS());
}

function setValue<K extends Key>(values: Partial<Answers>, key: K, value: Answers[K]): void {
  values[key] = value;
}

/** The host side of the port that reaches PhotoPrism's container port 2342. */
function publishedPort(pp: Obj): Found['port'] {
  const port = (Array.isArray(pp.ports) ? pp.ports : []).find((p) => portTarget(p) === '2342');
  if (typeof port === 'string' || typeof port === 'number') {
    const parts = String(port).split('/')[0]!.split(':');
    if (parts.length < 2) return undefined;
    return { published: Number(parts[parts.length - 2]), loopback: parts.length === 3 && (parts[0] === '127.0.0.1' || parts[0] === 'localhost' || parts[0] === '[::1]') };
  }
  const p = obj(port);
  if (!p) return undefined;
  return { published: p.published !== undefined ? Number(String(p.published).split('-')[0]) : undefined, loopback: p.host_ip === '127.0.0.1' };
}

export function readPrevious(state: TargetState): Previous {
  const values: Partial<Answers> = {};
  const envSecrets: Partial<Record<SecretKey, string>> = {};
  const notes: string[] = [];
  const problems: string[] = [];
  const compose = load(state.contents[state.composeFile]);
  const options = load(state.contents[state.optionsSource]);

  const services = obj(compose?.services);
  const pp = obj(services?.photoprism);
  const db = obj(services?.mariadb);
  const ppEnv = envMap(pp?.environment);
  const dbEnv = envMap(db?.environment);

  // what the installation says, digested once; each question reads its own value from it
  const volumes = Array.isArray(pp?.volumes) ? pp.volumes : [];
  const user = typeof pp?.user === 'string' || typeof pp?.user === 'number' ? /^(\d+)(?::(\d+))?$/.exec(String(pp.user)) : null;
  const found: Found = {
    service: pp !== undefined,
    env: ppEnv,
    options,
    user: user ? { uid: Number(user[1]), gid: Number(user[2] ?? user[1]) } : undefined,
    port: pp ? publishedPort(pp) : undefined,
    source: (target) => {
      const v = volumes.find((x) => volumeTarget(x) === target);
      if (typeof v === 'string') return unescapeCompose(v.split(':')[0]!);
      if (obj(v) && typeof obj(v)!.source === 'string') return unescapeCompose(obj(v)!.source as string);
      return undefined;
    },
    devices: (Array.isArray(pp?.devices) ? pp.devices : []).map((d) => String(typeof d === 'string' ? d : obj(d)?.source ?? '').split(':')[0]!),
    nvidia: JSON.stringify(obj(pp?.deploy) ?? {}).includes('"nvidia"'),
    notes: [],
  };
  for (const q of QUESTIONS) {
    const v = q.readBack?.(found);
    if (v !== undefined) setValue(values, q.key, v);
  }
  notes.push(...found.notes.map((n) => `${state.composeFile}: ${n}`));
  if (pp) {
    if (ppEnv.PHOTOPRISM_ADMIN_PASSWORD) envSecrets.adminPassword = unescapeCompose(ppEnv.PHOTOPRISM_ADMIN_PASSWORD);
    if (ppEnv.PHOTOPRISM_DATABASE_PASSWORD) envSecrets.databasePassword = unescapeCompose(ppEnv.PHOTOPRISM_DATABASE_PASSWORD);
  }
  // the tool always mounts ./storage and ./database: a file that keeps them elsewhere would silently get
  // an empty storage or database folder, so it is refused
  const mounted = (svc: Obj | undefined, target: string, expected: string, what: string, name: string) => {
    const v = (Array.isArray(svc?.volumes) ? svc.volumes : []).find((x) => volumeTarget(x) === target);
    const src = typeof v === 'string' ? v.split(':')[0]! : typeof obj(v)?.source === 'string' ? (obj(v)!.source as string) : undefined;
    if (src === undefined || path.resolve(state.dir, unescapeCompose(src)) === path.join(state.dir, expected)) return;
    problems.push(
      `${state.composeFile}: services.${name} mounts "${src}" as ${target} (${what}); this tool only supports ./${expected} and would point the service to an empty folder there. Nothing was changed: move the folder to ./${expected} (services stopped), or keep editing this compose file by hand`,
    );
  };
  mounted(pp, '/photoprism/storage', 'storage', 'PhotoPrism storage and options', 'photoprism');
  mounted(db, '/var/lib/mysql', 'database', 'the MariaDB data', 'mariadb');
  if (services && !db) {
    const other = Object.entries(services).find(([, v]) => /(^|\/)(mariadb|mysql)(:|$)/.test(String(obj(v)?.image ?? '')));
    if (other) {
      problems.push(
        `${state.composeFile}: the database service is called "${other[0]}"; this tool writes a service "mariadb" (PhotoPrism connects to mariadb:3306), which would start with an empty database. Nothing was changed: rename the service to "mariadb" first, or keep editing this compose file by hand`,
      );
    }
  }

  const dbPwd = dbEnv.MARIADB_PASSWORD ?? dbEnv.MYSQL_PASSWORD;
  const rootPwd = dbEnv.MARIADB_ROOT_PASSWORD ?? dbEnv.MYSQL_ROOT_PASSWORD;
  if (dbPwd) envSecrets.databasePassword ??= unescapeCompose(dbPwd);
  if (rootPwd) envSecrets.databaseRootPassword = unescapeCompose(rootPwd);
  if (Object.keys(envSecrets).length) {
    notes.push(
      `${state.composeFile} has passwords in its environment (${Object.keys(envSecrets).join(', ')}): they are moved into options.yml and .secrets/ unchanged (the database already uses them) and removed from the compose file`,
    );
  }

  return { values, envSecrets, notes, problems };
}
