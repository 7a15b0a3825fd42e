// Read the previous answers back from an existing installation (ours, hand-made, or PhotoPrism's
// example), so that a second run only asks about what changed. Pure: works on TargetState contents.

import { readFileSync } from 'node:fs';
import path from 'node:path';
import { parseDocument } from 'yaml';
import { yamlData } from './yamlparse.js';
import { analyseInstallation, httpMapping, type Found } from './compose/adopt.js';
import { ComposeLoadError, dbImage, findRoles, loadComposeModel, mountFor, obj, photoprismPaths, type ComposeModel } from './compose/model.js';
import { environmentEntries, parseUser } from './compose/syntax.js';
import { HEADER_MARKER } from './merge.js';
import { QUESTIONS, type Answers, type Key, type ReadBack, type SecretKey } from './questions.js';
import { stateKey, type TargetState } from './state.js';

export interface Previous {
  values: Partial<Answers>;
  /** passwords found in the environment of an existing compose file (PhotoPrism's example layout) */
  envSecrets: Partial<Record<SecretKey, string>>;
  notes: string[];
  /** layouts a regeneration would break (data in another place): nothing may be written */
  problems: string[];
  /** a hand-made installation to adopt in place (null: none, or one this tool generated) */
  adopt: Found | null;
  /** where a previous answer was read (file:line), for messages about it */
  from?: Partial<Record<keyof Answers, string>>;
  /** how the summary shows an answer that is no host path: a photo folder on a volume, kept */
  shown?: Partial<Record<keyof Answers, string>>;
}

type Obj = Record<string, unknown>;

/** environment as a map, whether written as a mapping or as a list of KEY=value */
export function envMap(v: unknown): Record<string, string> {
  const out: Record<string, string> = {};
  for (const e of environmentEntries(v)) if (e.value !== null) out[e.name] = e.value;
  return out;
}

function load(text: string | undefined): Obj | undefined {
  if (text === undefined) return undefined;
  const doc = parseDocument(text);
  if (doc.errors.length) return undefined;
  const parsed = yamlData(doc);
  return parsed.error ? undefined : obj(parsed.data);
}

function setValue<K extends Key>(values: Partial<Answers>, key: K, value: Answers[K]): void {
  values[key] = value;
}

/** The compose model of what TargetState holds (contents only; no other file is read). */
export function modelFromState(state: TargetState, env: Record<string, string | undefined> = {}, home = '/root'): ComposeModel | null {
  if (state.contents[state.composeFile] === undefined) return null;
  return loadComposeModel({
    dir: state.dir,
    env,
    home,
    file: state.composeFile,
    read: (abs) => state.contents[stateKey(state.dir, abs)] ?? null,
  });
}

/** Reverse-proxy labels (Traefik, Caddy docker proxy, SWAG, nginx-proxy) mean PhotoPrism is behind a proxy. */
const PROXY_LABEL = /^(traefik\.|caddy(_\d+)?(\.|$)|swag(\.|$)|virtual_host$|com\.github\.nginx-proxy)/i;
const PROXY_ENV = /^(VIRTUAL_HOST|LETSENCRYPT_HOST)$/;

export function readPrevious(state: TargetState, given?: ComposeModel | null): Previous {
  const values: Partial<Answers> = {};
  const envSecrets: Partial<Record<SecretKey, string>> = {};
  const notes: string[] = [];
  const problems: string[] = [];
  const from: NonNullable<Previous['from']> = {};
  const options = load(state.contents[state.optionsSource]);
  let model: ComposeModel | null = null;
  try {
    model = given === undefined ? modelFromState(state) : given;
  } catch (e) {
    if (!(e instanceof ComposeLoadError)) throw e;
    if (/not valid YAML/.test(e.message)) problems.push(`${e.message}; fix the file and run init again`);
    return { values, envSecrets, notes, problems, adopt: null };
  }
  const text = state.contents[state.composeFile];
  const ours = text !== undefined && text.includes(HEADER_MARKER);
  let adopt: Found | null = null;
  if (model && !ours) {
    const r = analyseInstallation(model, options ?? null, (abs) => state.contents[stateKey(state.dir, abs)] ?? readSecretFile(abs));
    if (!('model' in r)) return { values, envSecrets, notes, problems: r.problems, adopt: null };
    adopt = r;
    notes.push(...r.notes);
  }
  const roles = model ? findRoles(model, options ?? null) : null;
  const ppModel = adopt?.pp ?? model?.services.find((s) => s.name === 'photoprism') ?? roles?.photoprism ?? null;
  const pp = ppModel?.data;
  const ppEnv: Record<string, string> = {};
  for (const [k, e] of ppModel?.envMap ?? []) if (e.value !== null) ppEnv[k] = e.value;

  // what the installation says, digested once; each question reads its own value from it
  const user = pp ? parseUser(pp.user) : null;
  const port = httpMapping(ppModel);
  const labels = pp ? environmentEntries(pp.labels).map((l) => l.name) : [];
  const digest: ReadBack = {
    service: ppModel !== null,
    env: ppEnv,
    options,
    user: user && user.uid !== null ? { uid: user.uid, gid: user.gid ?? undefined } : undefined,
    port: port ? { published: port.published ? Number(port.published.split('-')[0]) : undefined, loopback: ['127.0.0.1', 'localhost', '::1'].includes(port.hostIp) } : undefined,
    // adopted: no published port (only reachable through a proxy on a compose network) or proxy labels
    proxied: Boolean(adopt && (!port || labels.some((l) => PROXY_LABEL.test(l)) || Object.keys(ppEnv).some((k) => PROXY_ENV.test(k)))),
    source: (target) => {
      // where PhotoPrism keeps the folder in the container (PHOTOPRISM_ORIGINALS_PATH & co.), and the mount it is on
      const p = photoprismPaths(ppModel);
      const m = mountFor(ppModel, target === '/photoprism/originals' ? p.originals : target === '/photoprism/import' ? p.import : target);
      if (m?.type === 'bind' && m.sub) return m.resolved;
      return m && m.type === 'bind' ? m.source : m?.source || undefined;
    },
    devices: (Array.isArray(pp?.devices) ? pp.devices : []).map((d) => String(typeof d === 'string' ? d : obj(d)?.source ?? '').split(':')[0]!),
    nvidia: JSON.stringify(obj(pp?.deploy) ?? {}).includes('"nvidia"'),
    notes: [],
  };
  for (const q of QUESTIONS) {
    const v = q.readBack?.(digest);
    if (v !== undefined) setValue(values, q.key, v);
  }
  notes.push(...digest.notes.map((n) => `${ppModel?.file.rel ?? state.composeFile}: ${n}`));
  if (pp && ppModel) {
    const at = (keys: (string | number)[]) => {
      const pos = model!.posOf(ppModel.file, ['services', ppModel.name, ...keys]);
      return `${ppModel.file.rel}${pos ? `:${pos.line}` : ''}`;
    };
    const envAt = (n: string) => {
      const e = ppModel.envMap.get(n);
      return e ? `${e.file}${e.line ? `:${e.line}` : ''}` : undefined;
    };
    if (user && user.uid !== null) from.uid = from.gid = `${at(['user'])} (user: ${user.uidText}${user.gidText !== null ? `:${user.gidText}` : ''})`;
    else if (ppEnv.PHOTOPRISM_UID) {
      from.uid = `${envAt('PHOTOPRISM_UID')} (PHOTOPRISM_UID)`;
      from.gid = `${envAt('PHOTOPRISM_GID') ?? envAt('PHOTOPRISM_UID')} (PHOTOPRISM_GID)`;
    }
    if (Array.isArray(pp.devices)) from.transcoding = `${at(['devices'])} (devices:)`;
    if (!adopt) {
      if (ppEnv.PHOTOPRISM_ADMIN_PASSWORD) envSecrets.adminPassword = ppEnv.PHOTOPRISM_ADMIN_PASSWORD;
      if (ppEnv.PHOTOPRISM_DATABASE_PASSWORD) envSecrets.databasePassword = ppEnv.PHOTOPRISM_DATABASE_PASSWORD;
    }
  }
  if (adopt) {
    if (adopt.admin) envSecrets.adminPassword = adopt.admin.value;
    if (adopt.dbPassword) envSecrets.databasePassword = adopt.dbPassword.value;
    if (adopt.rootPassword) envSecrets.databaseRootPassword = adopt.rootPassword.value;
    if (adopt.database.user === 'root' && adopt.rootPassword) envSecrets.databasePassword = adopt.rootPassword.value;
    const places = [adopt.admin, adopt.dbPassword, adopt.rootPassword].flatMap((x) => x?.from ?? []).filter((e) => !/_FILE$|^FILE__/.test(e.name) && e.name !== 'DatabasePassword');
    if (places.length) {
      notes.push(
        `${state.composeFile} has passwords in its environment (${[...new Set(places.map((e) => `${e.name} at ${e.file}${e.line ? `:${e.line}` : ''}`))].join(', ')}): they move unchanged into options.yml and .secrets/ (the database already uses them) and leave the compose file, env files and .env`,
      );
    }
  } else if (model) {
    // a file this tool generated: it mounts ./storage and ./database; one edited to keep them elsewhere
    // would silently get an empty storage or database folder, so it is refused
    const mounted = (svc: typeof ppModel, target: string, expected: string, what: string, name: string) => {
      const m = svc?.mounts.find((x) => x.target.replace(/\/+$/, '') === target);
      if (!m || (m.type === 'bind' && m.resolved === path.join(state.dir, expected))) return;
      problems.push(
        `${state.composeFile}: services.${name} mounts "${m.source}" as ${target} (${what}); this tool only supports ./${expected} in a file it generated and would point the service to an empty folder there. Nothing was changed: move the folder to ./${expected} (services stopped), or remove the photoprism-harden header from the file so that it is adopted as it is`,
      );
    };
    const db = model.services.find((s) => s.name === 'mariadb');
    mounted(ppModel, '/photoprism/storage', 'storage', 'PhotoPrism storage and options', 'photoprism');
    mounted(db ?? null, '/var/lib/mysql', 'database', 'the MariaDB data', 'mariadb');
    const other = db ? undefined : model.services.find((s) => dbImage(s.image?.repo));
    if (other) {
      problems.push(
        `${state.composeFile}: the database service is called "${other.name}"; this file was generated with a service "mariadb" (PhotoPrism connects to mariadb:3306), which would start with an empty database. Nothing was changed: rename the service to "mariadb", or remove the photoprism-harden header from the file so that it is adopted as it is`,
      );
    }
    const dbEnv: Record<string, string> = {};
    for (const [k, e] of db?.envMap ?? []) if (e.value !== null) dbEnv[k] = e.value;
    const dbPwd = dbEnv.MARIADB_PASSWORD ?? dbEnv.MYSQL_PASSWORD;
    const rootPwd = dbEnv.MARIADB_ROOT_PASSWORD ?? dbEnv.MYSQL_ROOT_PASSWORD;
    if (dbPwd) envSecrets.databasePassword ??= dbPwd;
    if (rootPwd) envSecrets.databaseRootPassword = rootPwd;
    if (Object.keys(envSecrets).length) {
      notes.push(
        `${state.composeFile} has passwords in its environment (${Object.keys(envSecrets).join(', ')}): they are moved into options.yml and .secrets/ unchanged (the database already uses them) and removed from the compose file`,
      );
    }
  }
  const remembered = load(state.contents[STATE_FILE]);
  if (Array.isArray(remembered?.allowUnsafe)) values.allowUnsafe = (remembered.allowUnsafe as unknown[]).filter((x): x is string => typeof x === 'string') as Answers['allowUnsafe'];

  // a photo folder on a volume reads back as no host path: the summary says what it really is
  const shown: NonNullable<Previous['shown']> = {};
  if (ppModel) {
    const p = photoprismPaths(ppModel);
    for (const [key, target] of [['originalsPath', p.originals], ['importPath', p.import]] as const) {
      const m = mountFor(ppModel, target);
      if (m?.type === 'volume') shown[key] = m.source ? `the named volume "${m.source}" at ${target} (kept)` : `an anonymous volume at ${target} (kept)`;
    }
  }
  return { values, envSecrets, notes, problems, adopt, ...(Object.keys(from).length ? { from } : {}), ...(Object.keys(shown).length ? { shown } : {}) };
}

/** Where init remembers what must survive a run without being a file of the installation (accepted risks). */
export const STATE_FILE = '.photoprism-harden/state.json';

function readSecretFile(abs: string): string | null {
  try {
    return readFileSync(abs, 'utf8');
  } catch {
    return null;
  }
}
