// Read the previous answers back from an existing installation (ours, hand-made, or PhotoPrism's
// example), so that a second run only asks about what changed. Pure: works on TargetState contents.

import path from 'node:path';
import { parseDocument } from 'yaml';
import { TRANSCODINGS, type Transcoding } from './domain.js';
import { portTarget, volumeTarget } from './merge.js';
import type { Answers, SecretKey } from './questions.js';
import type { TargetState } from './state.js';
import { parseInitActions } from './validate.js';

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

  if (pp) {
    if ('PHOTOPRISM_INIT' in ppEnv) {
      const words = ppEnv.PHOTOPRISM_INIT!.split(/\s+/).filter(Boolean);
      const r = parseInitActions(words);
      if (r.ok) values.initActions = r.value;
      else notes.push(`PHOTOPRISM_INIT in ${state.composeFile} has an action this tool does not know (${ppEnv.PHOTOPRISM_INIT}); it is replaced by the chosen actions`);
    }
    const user = typeof pp.user === 'string' || typeof pp.user === 'number' ? String(pp.user) : undefined;
    const m = user ? /^(\d+)(?::(\d+))?$/.exec(user) : null;
    if (m) {
      values.userMode = 'user';
      values.uid = Number(m[1]);
      values.gid = Number(m[2] ?? m[1]);
    } else if (/^\d+$/.test(ppEnv.PHOTOPRISM_UID ?? '')) {
      values.userMode = 'photoprism-uid';
      values.uid = Number(ppEnv.PHOTOPRISM_UID);
      values.gid = /^\d+$/.test(ppEnv.PHOTOPRISM_GID ?? '') ? Number(ppEnv.PHOTOPRISM_GID) : values.uid;
    }
    const ports = Array.isArray(pp.ports) ? pp.ports : [];
    const port = ports.find((p) => portTarget(p) === '2342');
    if (typeof port === 'string' || typeof port === 'number') {
      const parts = String(port).split('/')[0]!.split(':');
      if (parts.length >= 2) {
        values.httpPort = Number(parts[parts.length - 2]);
        values.behindProxy = parts.length === 3 && (parts[0] === '127.0.0.1' || parts[0] === 'localhost' || parts[0] === '[::1]');
      }
    } else if (obj(port)) {
      const p = obj(port)!;
      if (p.published !== undefined) values.httpPort = Number(String(p.published).split('-')[0]);
      values.behindProxy = p.host_ip === '127.0.0.1';
    }
    const volumes = Array.isArray(pp.volumes) ? pp.volumes : [];
    const source = (target: string): string | undefined => {
      const v = volumes.find((x) => volumeTarget(x) === target);
      if (typeof v === 'string') return unescapeCompose(v.split(':')[0]!);
      if (obj(v) && typeof obj(v)!.source === 'string') return unescapeCompose(obj(v)!.source as string);
      return undefined;
    };
    const originals = source('/photoprism/originals');
    if (originals) values.originalsPath = originals;
    values.importPath = source('/photoprism/import') ?? '';

    const devices = (Array.isArray(pp.devices) ? pp.devices : []).map((d) => String(typeof d === 'string' ? d : obj(d)?.source ?? '').split(':')[0]);
    const nvidia = JSON.stringify(obj(pp.deploy) ?? {}).includes('"nvidia"');
    const encoder = (typeof options?.FFmpegEncoder === 'string' ? options.FFmpegEncoder : ppEnv.PHOTOPRISM_FFMPEG_ENCODER) as string | undefined;
    if (encoder && (TRANSCODINGS as readonly string[]).includes(encoder)) values.transcoding = encoder as Transcoding;
    else if (nvidia) values.transcoding = 'nvidia';
    else if (devices.includes('/dev/video11')) values.transcoding = 'raspberry';
    else if (devices.includes('/dev/dri')) values.transcoding = 'vaapi';

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

  const adminUser = typeof options?.AdminUser === 'string' ? options.AdminUser : ppEnv.PHOTOPRISM_ADMIN_USER;
  if (adminUser) values.adminUser = adminUser;
  const siteUrl = typeof options?.SiteUrl === 'string' ? options.SiteUrl : ppEnv.PHOTOPRISM_SITE_URL;
  if (siteUrl) values.siteUrl = siteUrl;
  return { values, envSecrets, notes, problems };
}
