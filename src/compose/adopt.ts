// Adoption: harden an existing, hand-made compose installation in place. `analyseInstallation` reads it
// through the compose model (roles by image, data mounts, every password with its real value and where
// it is written) and lists what cannot be adopted, with file, line and what to change. `adoptCompose`
// then edits the main compose file's YAML in place: passwords leave the environment (and the env_file /
// .env lines that only served them), MariaDB reads them from secret files, PhotoPrism gets its UID/GID
// and init actions. Service names, mounts, ports, networks, labels and every other service stay as they are.

import path from 'node:path';
import { Pair, Scalar, YAMLMap, YAMLSeq, isMap, isScalar, isSeq, parseDocument, type Document } from 'yaml';
import { transcodingDevice } from '../domain.js';
import type { Answers } from '../questions.js';
import {
  dbImage,
  findRoles,
  mountAt,
  mountFor,
  obj,
  photoprismPaths,
  parseDsn,
  type ComposeModel,
  type DbImage,
  type EnvVar,
  type MountModel,
  type Roles,
  type ServiceModel,
} from './model.js';
import { environmentEntries, expandHome, parseMounts, parsePorts, parseUser, allInterfaces, type PortMapping } from './syntax.js';
import { sensitiveReason } from '../audit/rules/sensitive-host-mount.js';

export const ADOPT_MARKER = 'PhotoPrism, adopted and hardened in place by photoprism-harden';
export const ADOPT_END = '# (end of the photoprism-harden header)';

export interface FoundSecret {
  value: string;
  /** every place it is written (environment entries, env files, the DSN) */
  from: EnvVar[];
}

export interface DbSecretNames {
  /** variable the image reads the user password from, and its file form */
  user: string;
  root: string;
  /** the _FILE form: a suffix (_FILE) or linuxserver's FILE__ prefix */
  file: (name: string) => string;
}

export interface Found {
  model: ComposeModel;
  roles: Roles;
  pp: ServiceModel;
  db: ServiceModel | null;
  dbKind: DbImage | null;
  names: DbSecretNames | null;
  storage: MountModel | undefined;
  originals: MountModel | undefined;
  import: MountModel | undefined;
  data: MountModel | undefined;
  admin: FoundSecret | null;
  dbPassword: FoundSecret | null;
  rootPassword: FoundSecret | null;
  /** the database already reads its passwords from files (`*_FILE`): that arrangement is kept */
  dbUsesFiles: boolean;
  /** ...and those files are this tool's .secrets/ files (an installation adopted before) */
  ownSecrets: boolean;
  /** password texts as written (before interpolation, e.g. in .env), to mask wherever a file is shown */
  rawSecrets: string[];
  /** PhotoPrism's DB connection as options.yml keys */
  database: { driver: 'sqlite' | 'mysql'; server: string; name: string; user: string; dsn: string | null };
  problems: string[];
  notes: string[];
}

const at = (e: { file: string; line?: number }) => `${e.file}${e.line ? `:${e.line}` : ''}`;
const svcAt = (s: ServiceModel) => `${s.file.rel}:${s.line}`;

function value(svc: ServiceModel | null, ...names: string[]): EnvVar | undefined {
  for (const n of names) {
    const e = svc?.envMap.get(n);
    if (e && e.value !== null && e.value !== '') return e;
  }
  return undefined;
}

function secretNames(kind: DbImage, db: ServiceModel): DbSecretNames | null {
  switch (kind) {
    case 'mariadb': {
      // the official image reads MARIADB_* and the MYSQL_* aliases; keep the family the file uses
      const has = (p: string) => ['PASSWORD', 'ROOT_PASSWORD', 'PASSWORD_FILE', 'ROOT_PASSWORD_FILE'].some((n) => db.envMap.has(`${p}${n}`));
      const mysql = !has('MARIADB_') && has('MYSQL_');
      const p = mysql ? 'MYSQL_' : 'MARIADB_';
      return { user: `${p}PASSWORD`, root: `${p}ROOT_PASSWORD`, file: (n) => `${n}_FILE` };
    }
    case 'mysql':
      return { user: 'MYSQL_PASSWORD', root: 'MYSQL_ROOT_PASSWORD', file: (n) => `${n}_FILE` };
    case 'linuxserver':
      // linuxserver images read FILE__<VAR> (the file's content becomes <VAR>) in their root init phase
      return { user: 'MYSQL_PASSWORD', root: 'MYSQL_ROOT_PASSWORD', file: (n) => `FILE__${n}` };
    default:
      return null;
  }
}

/** Read an installation for adoption; `options` = the options.yml PhotoPrism reads (it wins over the environment). */
export function analyseInstallation(model: ComposeModel, options: Record<string, unknown> | null, secretFile: (abs: string) => string | null): Found | { problems: string[] } {
  const problems: string[] = [];
  const notes: string[] = [];
  const roles = findRoles(model, options);
  const main = model.main.rel;
  const servicesAt = `${main}:${model.posOf(model.main, ['services'])?.line ?? 1}`;
  for (const e of model.errors) problems.push(`${at(e)}: ${e.message}; Compose itself refuses this file: set the variable (in .env or the shell) and run init again`);
  if (roles.photoprismAll.length === 0) {
    const names = model.services.map((s) => `${s.name} (${typeof s.data.image === 'string' ? s.data.image : 'no image'})`).join(', ');
    problems.push(`${servicesAt}: no service runs a photoprism/photoprism image (services: ${names || 'none'}); there is nothing to adopt. Point "image:" of the PhotoPrism service at photoprism/photoprism (any tag), or run init in an empty folder`);
    return { problems };
  }
  if (roles.photoprismAll.length > 1) {
    problems.push(
      `${servicesAt}: several services run a photoprism/photoprism image (${roles.photoprismAll.map((s) => `${s.name} at ${svcAt(s)}`).join(', ')}); this tool adopts one installation per folder. Move the others to a compose file of their own`,
    );
    return { problems };
  }
  const pp = roles.photoprism!;
  if (pp.file.via !== 'main' || pp.alsoIn.length) {
    problems.push(
      `${svcAt(pp)}: the PhotoPrism service "${pp.name}" is ${pp.file.via === 'main' ? `also defined in ${pp.alsoIn.join(', ')}` : `defined in ${pp.file.rel}`}; this tool edits ${main} only. Merge its settings into ${main} (and remove them from the other file), then run init again`,
    );
  }
  // PhotoPrism's folders inside the container (PHOTOPRISM_STORAGE_PATH & co. move them)
  const paths = photoprismPaths(pp);
  const storage = mountFor(pp, paths.storage);
  const originals = mountFor(pp, paths.originals);
  const imp = mountFor(pp, paths.import);
  const movedBy = (k: keyof typeof paths.from) => (paths.from[k] ? ` (${paths.from[k]!.name} at ${at(paths.from[k]!)})` : '');
  if (!storage) {
    problems.push(
      `${paths.from.storage ? at(paths.from.storage) : svcAt(pp)}: the PhotoPrism service "${pp.name}" mounts nothing at ${paths.storage}${movedBy('storage')}, so its ${roles.driver === 'sqlite' ? 'SQLite index, its ' : ''}thumbnails and settings live inside the container and are lost when it is re-created. Copy them out while the container exists ("docker compose cp ${pp.name}:${paths.storage} ./storage"), add the volume "- ./storage:${paths.storage}" to "${pp.name}", and run init again`,
    );
  } else if (storage.type !== 'bind' && storage.type !== 'volume') {
    problems.push(`${at(storage.where)}: ${paths.storage} is a "${storage.type}" mount; only a bind mount or a named volume can be adopted`);
  } else if (storage.type === 'volume' && !storage.source) {
    // an anonymous volume: Compose hands the same one to every re-created container of the service
    // (up, --force-recreate), so it is kept as it is and located through the container (init)
    notes.push(
      `${at(storage.where)}: PhotoPrism's storage ${paths.storage} is an anonymous volume: it is kept, and found through the container of "${pp.name}". Compose re-uses it when it re-creates the container, but "docker compose down" followed by "up" (or "rm") gives the service a new, empty one: name it to make it last (copy its content into a named volume first)`,
    );
  } else if (storage.type === 'volume' && storage.sub) {
    problems.push(`${at(storage.where)}: PhotoPrism's storage ${paths.storage}${movedBy('storage')} is the sub-folder "${storage.sub}" of the named volume "${storage.source}"; this tool locates options.yml in a volume's top folder only. Mount the volume at ${paths.storage} itself (or a bind folder there), then run init again`);
  }
  if (paths.config !== `${paths.storage}/config`) {
    problems.push(
      `${at(paths.from.config!)}: PHOTOPRISM_CONFIG_PATH moves PhotoPrism's config folder (where it reads options.yml) to ${paths.config}, away from its storage ${paths.storage}; this tool writes options.yml to ${paths.storage}/config. Remove PHOTOPRISM_CONFIG_PATH (and move the files from ${paths.config} to ${paths.storage}/config), then run init again`,
    );
  }
  // a service built with `extends:` inherits environment entries the tool cannot remove from here
  const PASSWORDISH = /^(PHOTOPRISM_ADMIN_PASSWORD|PHOTOPRISM_DATABASE_PASSWORD|PHOTOPRISM_DATABASE_DSN|MARIADB_PASSWORD|MYSQL_PASSWORD|MARIADB_ROOT_PASSWORD|MYSQL_ROOT_PASSWORD)$/;
  const inherited = (s: ServiceModel) => {
    const e = s.extends;
    const pw = e?.env.filter((n) => PASSWORDISH.test(n)) ?? [];
    if (!e || !pw.length) return;
    problems.push(
      `${s.file.rel}:${e.line}: "${s.name}" extends "${e.service}" (${e.file}), which sets ${pw.join(', ')} in its environment; this tool moves passwords out of "${s.name}"'s own keys only and would leave that value in ${e.file}. Move ${pw.length > 1 ? 'those entries' : 'that entry'} from "${e.service}" into "${s.name}" (or into .env through \${VAR}), then run init again`,
    );
  };
  inherited(pp);
  // a password written as ${VAR} whose variable is set nowhere cannot be moved: its real value is unknown
  const PASSWORD_VARS = /^(PHOTOPRISM_ADMIN_PASSWORD|PHOTOPRISM_DATABASE_PASSWORD|PHOTOPRISM_DATABASE_DSN|MARIADB_PASSWORD|MYSQL_PASSWORD|MARIADB_ROOT_PASSWORD|MYSQL_ROOT_PASSWORD)$/;
  for (const s of [pp, ...model.services.filter((x) => dbImage(x.image?.repo))]) {
    for (const e of s.env) {
      if (!PASSWORD_VARS.test(e.name) || e.raw === null) continue;
      for (const r of e.unset) {
        problems.push(`${at(e)}: ${e.name} of "${s.name}" is written as ${JSON.stringify(e.raw)}, but the variable ${r} is set neither in .env nor in the shell, so its real value is unknown. Nothing was changed: set ${r} (in .env or the shell) to the password the installation uses, then run init again`);
      }
    }
  }

  // ---- passwords, each with its real value and where it is written
  const secret = (label: string, ...entries: (EnvVar | undefined)[]): FoundSecret | null => {
    const list = entries.filter((e): e is EnvVar => Boolean(e));
    if (!list.length) return null;
    return { value: list[0]!.value!, from: list };
  };
  const unresolved = (e: EnvVar | undefined) => {
    if (e && e.value === null) problems.push(`${at(e)}: ${e.name} is passed through from the shell, but it is not set there or in .env; set it (the real password) and run init again`);
  };
  for (const n of ['PHOTOPRISM_ADMIN_PASSWORD', 'PHOTOPRISM_DATABASE_PASSWORD', 'PHOTOPRISM_DATABASE_DSN']) unresolved(pp.envMap.get(n));
  let admin = secret('admin', value(pp, 'PHOTOPRISM_ADMIN_PASSWORD'));
  const adminFile = value(pp, 'PHOTOPRISM_ADMIN_PASSWORD_FILE');
  if (!admin && adminFile) {
    // PhotoPrism (>= 250425) reads it when the plain value is empty; options.yml's AdminPassword would win, so it gets the same value
    const v = readSecretBehind(model, pp, adminFile.value!, secretFile);
    if (v !== null && v !== '') admin = { value: v, from: [adminFile] };
  }
  const ppDbPwd = value(pp, 'PHOTOPRISM_DATABASE_PASSWORD');
  const dsn = roles.dsn;
  let database: Found['database'] = { driver: roles.driver, server: '', name: '', user: '', dsn: null };
  let db: ServiceModel | null = null;
  let dbKind: DbImage | null = null;
  let names: DbSecretNames | null = null;
  let dbPassword: FoundSecret | null = null;
  let rootPassword: FoundSecret | null = null;
  let dbUsesFiles = false;
  let data: MountModel | undefined;

  if (roles.driver === 'mysql') {
    const user = dsn?.parts.user || value(pp, 'PHOTOPRISM_DATABASE_USER')?.value || (typeof options?.DatabaseUser === 'string' ? options.DatabaseUser : '') || 'photoprism';
    const name = dsn?.parts.database || value(pp, 'PHOTOPRISM_DATABASE_NAME')?.value || (typeof options?.DatabaseName === 'string' ? options.DatabaseName : '') || 'photoprism';
    database = { driver: 'mysql', server: roles.server ?? '', name, user, dsn: dsn ? dsn.entry.value : null };
    db = roles.database;
    if (!db) {
      const where = roles.serverFrom ? at(roles.serverFrom) : svcAt(pp);
      const host = roles.server ?? '(none given)';
      const candidates = model.services.filter((s) => dbImage(s.image?.repo));
      problems.push(
        roles.server
          ? `${where}: PhotoPrism connects to the database at "${host}", which is no service of ${main} (services: ${model.services.map((s) => s.name).join(', ')}); an external database cannot be adopted here. Keep editing this file by hand, or point PHOTOPRISM_DATABASE_SERVER at the database service`
          : `${where}: PhotoPrism uses MariaDB/MySQL but PHOTOPRISM_DATABASE_SERVER is not set${candidates.length > 1 ? ` and there are several database services (${candidates.map((s) => s.name).join(', ')})` : ''}; set it to "<database service>:3306" and run init again`,
      );
    } else {
      dbKind = dbImage(db.image?.repo);
      inherited(db);
      if (db.file.via !== 'main' || db.alsoIn.length) {
        problems.push(`${svcAt(db)}: the database service "${db.name}" is ${db.file.via === 'main' ? `also defined in ${db.alsoIn.join(', ')}` : `defined in ${db.file.rel}`}; this tool edits ${main} only. Merge its settings into ${main}, then run init again`);
      }
      if (!dbKind || dbKind === 'bitnami' || dbKind === 'other-mariadb') {
        const image = String(db.data.image ?? '(no image)');
        problems.push(
          dbKind === 'bitnami'
            ? `${at({ file: db.file.rel, line: model.posOf(db.file, ['services', db.name, 'image'])?.line })}: the database service "${db.name}" runs ${image}; Bitnami's image reads MARIADB_PASSWORD_FILE / MARIADB_ROOT_PASSWORD_FILE, but as UID 1001 (a non-root image), so the secret files this tool writes (owner root, mode 0600) would be unreadable to it; its passwords cannot be moved to .secrets/ safely. Switch to the official "mariadb" image (same data folder format; its variables are MARIADB_*), or keep editing this file by hand`
            : `${at({ file: db.file.rel, line: model.posOf(db.file, ['services', db.name, 'image'])?.line })}: the database service "${db.name}" runs ${image}, whose password variables this tool does not know (supported: the official mariadb and mysql images, linuxserver/mariadb). Switch to one of them, or keep editing this file by hand`,
        );
      }
      names = dbKind ? secretNames(dbKind, db) : null;
      data = mountAt(db, '/var/lib/mysql') ?? mountAt(db, '/config');
      if (!data) problems.push(`${svcAt(db)}: the database service "${db.name}" mounts nothing at /var/lib/mysql, so its data lives in the container and is lost with it; mount a folder or named volume there first`);
      if (names) {
        const fileOf = (n: string) => value(db, names!.file(n)) ?? (names!.file(n) !== `${n}_FILE` ? undefined : undefined);
        const userFile = fileOf(names.user) ?? value(db, 'MARIADB_PASSWORD_FILE', 'MYSQL_PASSWORD_FILE', `FILE__${names.user}`);
        const rootFile = fileOf(names.root) ?? value(db, 'MARIADB_ROOT_PASSWORD_FILE', 'MYSQL_ROOT_PASSWORD_FILE', `FILE__${names.root}`);
        for (const n of ['MARIADB_PASSWORD', 'MYSQL_PASSWORD', 'MARIADB_ROOT_PASSWORD', 'MYSQL_ROOT_PASSWORD']) unresolved(db.envMap.get(n));
        const plainUser = value(db, names.user, 'MARIADB_PASSWORD', 'MYSQL_PASSWORD');
        const plainRoot = value(db, names.root, 'MARIADB_ROOT_PASSWORD', 'MYSQL_ROOT_PASSWORD');
        if (userFile) {
          dbUsesFiles = true;
          const v = readSecretBehind(model, db, userFile.value!, secretFile);
          if (v === null) {
            const host = secretHostPath(model, db, userFile.value!);
            const rel = host ? path.relative(model.dir, host) : null;
            problems.push(
              host
                ? `${at(userFile)}: ${userFile.name} points at ${userFile.value}, which is the host file ${rel && !rel.startsWith('..') ? `./${rel}` : host}; it does not exist or cannot be read, so the database password is unknown (PhotoPrism's DatabasePassword must equal it). Create that file with the password the database was created with (or fix the path), then run init again`
                : `${at(userFile)}: ${userFile.name} points at ${userFile.value}, which is neither a secret of "${db.name}" (its "secrets:") nor a file in one of its bind mounts; the database password is unknown. Declare the secret (top-level "secrets:" with "file:") or fix the path, then run init again`,
            );
          }
          else dbPassword = { value: v, from: [userFile] };
          if (rootFile) {
            const r = readSecretBehind(model, db, rootFile.value!, secretFile);
            if (r !== null) rootPassword = { value: r, from: [rootFile] };
          }
          if (plainUser || plainRoot) notes.push(`${at((plainUser ?? plainRoot)!)}: the database service sets both a password and its _FILE form; the image refuses that, fix it by hand`);
        } else {
          dbPassword = secret('db', plainUser);
          rootPassword = rootFile ? null : secret('root', plainRoot);
        }
      }
      // PhotoPrism's side must agree with the database's
      // (options.yml wins over the environment)
      const optPwd = typeof options?.DatabasePassword === 'string' && options.DatabasePassword !== '' ? options.DatabasePassword : null;
      const optEntry: EnvVar | null = optPwd === null ? null : { name: 'DatabasePassword', value: optPwd, raw: optPwd, source: 'environment', file: 'options.yml', refs: [], unset: [] };
      const ppSide = dsn?.parts.password != null ? { v: dsn.parts.password, e: dsn.entry } : optEntry ? { v: optPwd!, e: optEntry } : ppDbPwd ? { v: ppDbPwd.value!, e: ppDbPwd } : null;
      const dbSide = user === 'root' ? rootPassword : dbPassword;
      if (ppSide && dbSide && ppSide.v !== dbSide.value) {
        problems.push(
          `${at(ppSide.e)}: the database password differs between ${at(ppSide.e)} (${ppSide.e.name} of "${pp.name}") and ${at(dbSide.from[0]!)} (${dbSide.from[0]!.name} of "${db.name}"); PhotoPrism could not log in. Nothing was changed: make both the same (the one the database was created with), then run init again`,
        );
      }
      if (ppSide && !dbSide && !dbUsesFiles) dbPassword = { value: ppSide.v, from: [ppSide.e] };
      else if (ppSide && dbSide && user !== 'root') dbPassword = { value: dbSide.value, from: [...dbSide.from, ppSide.e] };
      if (user === 'root' && rootPassword && ppSide) rootPassword = { value: rootPassword.value, from: [...rootPassword.from, ppSide.e] };
      if (!dbPassword && !dbUsesFiles && user !== 'root') {
        const empty = [db.envMap.get(names?.user ?? 'MARIADB_PASSWORD'), pp.envMap.get('PHOTOPRISM_DATABASE_PASSWORD')].filter((e): e is EnvVar => e !== undefined);
        problems.push(
          empty.length
            ? `${empty.map((e) => `${at(e)}: ${e.name} is empty${e.raw && e.raw !== '' ? ` (written as ${JSON.stringify(e.raw)}${e.refs.length ? `; ${e.refs.join(', ')} has no value in .env or the shell` : ''})` : ''}`).join('; ')}: the database password of user "${user}" is unknown. Set it (the one the database was created with) and run init again`
            : `${svcAt(pp)}: no database password was found for user "${user}" (neither ${names?.user ?? 'MARIADB_PASSWORD'} in "${db.name}" nor PHOTOPRISM_DATABASE_PASSWORD in "${pp.name}"); set the one the database uses and run init again`,
        );
      }
    }
  } else {
    // (a database password set for SQLite is unused; it still moves, unchanged, out of the environment)
    if (ppDbPwd) dbPassword = { value: ppDbPwd.value!, from: [ppDbPwd] };
    const sqliteDb = value(pp, 'PHOTOPRISM_DATABASE_DRIVER');
    const given = (typeof options?.DatabaseDriver === 'string' ? options.DatabaseDriver : sqliteDb?.value ?? '').toLowerCase();
    // PhotoPrism itself: any driver but mysql/mariadb is SQLite ("unsupported database driver ..., using sqlite")
    const known = ['', 'sqlite', 'sqlite3', 'sqllite', 'test', 'file'].includes(given);
    const quotedDriver = /^(["'])(mysql|mariadb)\1$/.exec(given);
    notes.push(
      `${sqliteDb ? at(sqliteDb) : svcAt(pp)}: PhotoPrism uses SQLite (index.db in its storage)${known ? '' : `: the driver ${JSON.stringify(given)} is not one PhotoPrism supports (only mysql/mariadb and sqlite), so it logs "unsupported database driver" and opens SQLite`}; it stays SQLite, no database service is added${quotedDriver ? `. The quotes are part of the value in a "KEY=value" list entry: if this installation should use ${quotedDriver[2]}, write PHOTOPRISM_DATABASE_DRIVER=${quotedDriver[2]} (and PHOTOPRISM_DATABASE_SERVER without quotes), then run init again` : ''}`,
    );
  }
  if (problems.length) return { problems };
  return {
    model,
    roles,
    pp,
    db,
    dbKind,
    names,
    storage,
    originals,
    import: imp,
    data,
    admin,
    dbPassword,
    rootPassword: rootPassword,
    dbUsesFiles,
    ownSecrets: dbUsesFiles && ownFiles(model, db, [dbPassword, rootPassword]),
    rawSecrets: rawTexts(model, [admin, dbPassword, rootPassword]),
    database,
    problems,
    notes,
  };
}

/** the _FILE variables point at /run/secrets/DB_PWD / DB_ROOT_PWD backed by ./.secrets/ (adopted before) */
function ownFiles(model: ComposeModel, db: ServiceModel | null, secrets: (FoundSecret | null)[]): boolean {
  if (!db) return false;
  return secrets.every((s) => {
    if (!s) return true;
    const m = /^\/run\/secrets\/(DB_PWD|DB_ROOT_PWD)$/.exec(s.from[0]!.value ?? '');
    if (!m) return false;
    return model.secrets[m[1]!]?.file === path.join(model.dir, '.secrets', m[1] === 'DB_PWD' ? 'db_pwd.txt' : 'db_root_pwd.txt');
  });
}

/** how each password is written where it comes from: the raw entry, and the .env line it was read from */
function rawTexts(model: ComposeModel, secrets: (FoundSecret | null)[]): string[] {
  const out = new Set<string>();
  for (const s of secrets) {
    for (const e of s?.from ?? []) {
      if (/_FILE$|^FILE__/.test(e.name)) continue;
      if (e.raw) out.add(e.raw);
      for (const r of e.refs) for (const d of model.dotenv?.entries ?? []) if (d.name === r) out.add(d.raw);
    }
  }
  return [...out].filter((t) => t.length >= 4);
}

/** The content of the secret file behind /run/secrets/<name> (trailing newlines dropped, as the images do). */
function readSecretBehind(model: ComposeModel, svc: ServiceModel, target: string, read: (abs: string) => string | null): string | null {
  const file = secretHostPath(model, svc, target);
  if (!file) return null;
  const t = read(file);
  return t === null ? null : t.replace(/\n+$/, '');
}

/** The host file behind a container path: a secret (/run/secrets/<name>) or a file in a bind mount; null when neither. */
function secretHostPath(model: ComposeModel, svc: ServiceModel, target: string): string | null {
  const m = /^\/run\/secrets\/(.+)$/.exec(target);
  let file: string | null = null;
  if (m) {
    const refs = Array.isArray(svc.data.secrets) ? svc.data.secrets : [];
    const ref = refs.find((r) => (typeof r === 'string' ? r === m[1] : (obj(r)?.target ?? obj(r)?.source) === m[1]));
    const src = typeof ref === 'string' ? ref : (obj(ref)?.source as string | undefined);
    file = src ? (model.secrets[src]?.file ?? null) : null;
  } else {
    const mount = svc.mounts.find((x) => x.type === 'bind' && target.startsWith(x.target.replace(/\/+$/, '') + '/'));
    if (mount) file = path.join(mount.resolved, target.slice(mount.target.replace(/\/+$/, '').length + 1));
  }
  return file;
}

// ---------------------------------------------------------------------------------------------
// answers that change an adopted installation's port or photo folders

/** The port mapping that publishes PhotoPrism's web server (container port PHOTOPRISM_HTTP_PORT, default 2342). */
export function httpMapping(svc: ServiceModel | null): PortMapping | undefined {
  const cport = svc?.envMap.get('PHOTOPRISM_HTTP_PORT')?.value || '2342';
  return svc?.ports.find((p) => p.target.split('/')[0] === cport);
}

interface MountChange {
  kind: 'originals' | 'import';
  /** the mount as it is (undefined: none) */
  mount: (MountModel & { sub: string }) | undefined;
  /** the new host path as the user wrote it; '' = no import folder */
  next: string;
}

/** What the answers change compared with the installation: a published port, the originals/import folder. */
function wantedChanges(f: Found, a: Answers): { port: PortMapping | 'none' | null; mounts: MountChange[] } {
  const m = httpMapping(f.pp);
  const published = m?.published ? Number(m.published) : undefined;
  const port = m ? (published === a.httpPort || (!m.published && a.httpPort === 2342) ? null : m) : a.httpPort === 2342 ? null : 'none';
  const host = (p: string) => path.resolve(f.model.dir, expandHome(p, f.model.home));
  // (a named volume's name reads back as the answer "./<name>", see questions.ts parseHostPath)
  const same = (m: MountModel, answer: string) => (m.type === 'bind' ? m.resolved === host(answer) : answer === m.source || answer === `./${m.source}`);
  const mounts: MountChange[] = [];
  // (an anonymous volume reads back as nothing: the answer is then the question's default)
  const anonymous = (m: MountModel) => m.type === 'volume' && !m.source;
  const o = f.originals as MountChange['mount'];
  if (o ? (anonymous(o) ? a.originalsPath !== './originals' : !same(o, a.originalsPath)) : a.originalsPath !== './originals') mounts.push({ kind: 'originals', mount: o, next: a.originalsPath });
  const i = f.import as MountChange['mount'];
  if (i ? (anonymous(i) ? a.importPath !== '' : a.importPath === '' || !same(i, a.importPath)) : a.importPath !== '') mounts.push({ kind: 'import', mount: i, next: a.importPath });
  return { port, mounts };
}

/**
 * Answers an adopted installation cannot follow, with the file, line and what to do (before anything is
 * written): a new HTTP port where no port is published (this tool never adds one), a port range, a photo
 * folder on a named volume or on a sub-folder of another mount, a mount inherited through `extends:`.
 */
export function adoptionChangeProblems(f: Found, a: Answers): string[] {
  const problems: string[] = [];
  const { port, mounts } = wantedChanges(f, a);
  const ppAt = svcAt(f.pp);
  if (port === 'none') {
    problems.push(
      `${ppAt}: httpPort ${a.httpPort}: the PhotoPrism service "${f.pp.name}" publishes no port (it is reached through a proxy or another container), and adopting never adds one. Add a "ports:" entry to "${f.pp.name}" yourself (e.g. "127.0.0.1:${a.httpPort}:2342"), or run init without --http-port`,
    );
  } else if (port && (port.published.includes('-') || !port.published)) {
    problems.push(`${f.pp.file.rel}:${f.model.posOf(f.pp.file, ['services', f.pp.name, 'ports', port.index])?.line ?? f.pp.line}: httpPort ${a.httpPort}: "${port.raw}" publishes ${port.published ? `the port range ${port.published}` : 'a port the engine picks'}; change that entry yourself, or run init without --http-port`);
  }
  if (port && port !== 'none' && f.pp.extends?.keys.includes('ports')) problems.push(`${f.pp.file.rel}:${f.pp.extends.line}: httpPort ${a.httpPort}: "${f.pp.name}" inherits its ports from "${f.pp.extends.service}" (extends:); change the port there yourself, or run init without --http-port`);
  for (const c of mounts) {
    const key = c.kind === 'originals' ? 'originalsPath' : 'importPath';
    const target = c.kind === 'originals' ? '/photoprism/originals' : '/photoprism/import';
    const m = c.mount;
    const mAt = m ? at(m.where) : ppAt;
    if (m && f.pp.extends?.keys.includes('volumes')) problems.push(`${f.pp.file.rel}:${f.pp.extends.line}: ${key} ${c.next || '(none)'}: "${f.pp.name}" inherits its volumes from "${f.pp.extends.service}" (extends:); change the mount there yourself, or run init without a new ${key}`);
    else if (m && m.type !== 'bind') problems.push(`${mAt}: ${key} ${c.next || '(none)'}: PhotoPrism's ${c.kind} folder is ${m.source ? `the named volume "${m.source}"` : 'an anonymous volume'}; its data stays there, so this tool does not point the service elsewhere. Move the files and change the mount yourself, or run init without a new ${key}`);
    else if (m && m.sub) problems.push(`${mAt}: ${key} ${c.next || '(none)'}: PhotoPrism's ${c.kind} folder is the sub-folder "${m.sub}" of the mount "${m.source}:${m.target}"; change that mount yourself, or run init without a new ${key}`);
    else if (!m && c.kind === 'originals') problems.push(`${ppAt}: originalsPath ${c.next}: the PhotoPrism service "${f.pp.name}" mounts nothing at ${target}, so the photos it indexed are inside the container; adding a mount would hide them. Add the mount yourself, or run init without --originals-path`);
  }
  return problems;
}

// ---------------------------------------------------------------------------------------------
// editing

export interface AdoptInput {
  found: Found;
  answers: Answers;
  version: string;
  regenerate: string;
  /** secret files the plan writes, relative to the project folder */
  secretFiles: { db: string; root: string };
  /** why PhotoPrism's UID/GID (kept from the installation) is a person's on this host, if it is */
  personalIds?: string[];
}

export interface AdoptResult {
  compose: string;
  /** rewritten env files and .env (absolute path -> new content) */
  envFiles: { abs: string; content: string; why: string }[];
  notes: string[];
  /** weaknesses the adopted file keeps, each with its fix */
  kept: string[];
  /** which secret files the database reads after adoption */
  writeSecrets: { db: boolean; root: boolean };
}

const STRINGIFY = { lineWidth: 0, flowCollectionPadding: false } as const;

const quoted = (v: string) => Object.assign(new Scalar(v), { type: 'QUOTE_DOUBLE' as const });

function serviceNode(doc: Document, name: string): YAMLMap | undefined {
  const services = doc.get('services', true);
  if (!isMap(services)) return undefined;
  const s = services.get(name, true);
  return isMap(s) ? s : undefined;
}

/** environment: map or list; returns helpers that keep its form */
function envNode(svc: YAMLMap) {
  const found: unknown = svc.get('environment', true);
  let node: YAMLMap | YAMLSeq;
  if (isMap(found) || isSeq(found)) node = found;
  else {
    node = new YAMLMap();
    svc.set('environment', node);
  }
  const nameOf = (item: unknown) => (isScalar(item) ? String(item.value).split('=')[0] : undefined);
  return {
    has(name: string): boolean {
      return isMap(node) ? node.has(name) : node.items.some((i) => nameOf(i) === name);
    },
    get(name: string): string | null | undefined {
      if (isMap(node)) {
        const v = node.get(name);
        return v === undefined ? undefined : v === null ? null : String(v);
      }
      const item = node.items.find((i) => nameOf(i) === name);
      if (!item || !isScalar(item)) return undefined;
      const s = String(item.value);
      return s.includes('=') ? s.slice(s.indexOf('=') + 1) : null;
    },
    set(name: string, v: string): void {
      if (isMap(node)) {
        const old = node.get(name, true);
        if (isScalar(old) && String(old.value) === v) return;
        const next = quoted(v);
        if (isScalar(old) && old.comment) next.comment = old.comment;
        node.set(name, next);
        return;
      }
      const i = node.items.findIndex((x) => nameOf(x) === name);
      const next = quoted(`${name}=${v}`);
      if (i >= 0) {
        const old = node.items[i];
        if (isScalar(old) && String(old.value) === `${name}=${v}`) return;
        if (isScalar(old) && old.comment) next.comment = old.comment;
        node.items[i] = next;
      } else node.items.push(next);
    },
    delete(name: string): boolean {
      if (isMap(node)) return node.delete(name);
      const before = node.items.length;
      node.items = node.items.filter((x) => nameOf(x) !== name);
      return node.items.length !== before;
    },
    prune(): void {
      if (node.items.length === 0) svc.delete('environment');
    },
  };
}

function seqOf(svc: YAMLMap, key: string): YAMLSeq {
  const s = svc.get(key, true);
  if (isSeq(s)) return s;
  const n = new YAMLSeq();
  svc.set(key, n);
  return n;
}

/** every `${VAR}` / `$VAR` reference left in the text (`$$` escapes skipped) */
function referencedVars(text: string): Set<string> {
  const out = new Set<string>();
  for (const m of text.matchAll(/\$(\$|\{([A-Za-z_][A-Za-z0-9_]*)|([A-Za-z_][A-Za-z0-9_]*))/g)) {
    if (m[1] === '$') continue;
    out.add((m[2] ?? m[3])!);
  }
  return out;
}

/** remove the given 1-based lines from a dotenv text */
function dropLines(text: string, lines: Set<number>): string {
  return text
    .split('\n')
    .filter((_, i) => !lines.has(i + 1))
    .join('\n');
}

export function adoptCompose(input: AdoptInput): AdoptResult {
  const { found: f, answers: a } = input;
  const model = f.model;
  const doc = parseDocument(model.main.text, { keepSourceTokens: false });
  const notes: string[] = [];
  const pp = serviceNode(doc, f.pp.name)!;
  const removed: EnvVar[] = [];
  const envFileDrops = new Map<string, Set<number>>();
  const drop = (svcModel: ServiceModel, svcNode: YAMLMap, name: string) => {
    for (const e of svcModel.env.filter((x) => x.name === name)) {
      removed.push(e);
      if (e.source === 'env_file' && e.envFile && e.line) {
        const s = envFileDrops.get(e.envFile) ?? new Set<number>();
        s.add(e.line);
        envFileDrops.set(e.envFile, s);
      }
    }
    const env = envNode(svcNode);
    env.delete(name);
    env.prune();
  };

  // ---- PhotoPrism
  for (const n of ['PHOTOPRISM_ADMIN_PASSWORD', 'PHOTOPRISM_DATABASE_PASSWORD']) if (f.pp.envMap.has(n)) drop(f.pp, pp, n);
  if (f.roles.dsn && f.roles.dsn.parts.password !== null) drop(f.pp, pp, 'PHOTOPRISM_DATABASE_DSN');
  const env = envNode(pp);
  env.set('PHOTOPRISM_INIT', a.initActions.join(' '));
  if (a.userMode === 'user') {
    // (a user: that already says this, e.g. "${PUID}:${PGID}" through .env, is left as written)
    const now = parseUser(f.pp.data.user);
    if (!now || now.uid !== a.uid || now.gid !== a.gid) pp.set('user', quoted(`${a.uid}:${a.gid}`));
    env.delete('PHOTOPRISM_UID');
    env.delete('PHOTOPRISM_GID');
  } else {
    if (pp.has('user')) pp.delete('user');
    env.set('PHOTOPRISM_UID', String(a.uid));
    env.set('PHOTOPRISM_GID', String(a.gid));
    env.set('PHOTOPRISM_DISABLE_CHOWN', 'false');
    const opts = seqOf(pp, 'security_opt');
    if (!opts.items.some((i) => isScalar(i) && /^no-new-privileges(:true)?$/.test(String(i.value)))) opts.items.push(quoted('no-new-privileges:true'));
  }
  // a device the chosen encoder needs is added; devices already there stay
  const dev = transcodingDevice(a.transcoding);
  if (dev === 'dri' || dev === 'video11') {
    const p = dev === 'dri' ? '/dev/dri' : '/dev/video11';
    const devices = seqOf(pp, 'devices');
    if (!devices.items.some((i) => (isScalar(i) ? String(i.value).split(':')[0] : String((i as YAMLMap).get?.('source') ?? '')) === p)) devices.items.push(quoted(`${p}:${p}`));
  }
  if (dev === 'nvidia' && !JSON.stringify(f.pp.data.deploy ?? {}).includes('nvidia')) {
    notes.push(`transcoding "nvidia": add the GPU reservation to "${f.pp.name}" by hand (deploy.resources.reservations.devices with driver: nvidia); the adopted file keeps its deploy: section as it is`);
  }

  // ---- a new published port, originals or import folder the user asked for (adoptionChangeProblems
  // refused what cannot be followed): the entry is rewritten in place, its host IP, protocol and mode kept
  const changes = wantedChanges(f, a);
  const esc = (p: string) => p.replace(/\$/g, '$$$$');
  if (changes.port && changes.port !== 'none') {
    const m = changes.port;
    const seq = pp.get('ports', true);
    const item = isSeq(seq) ? seq.items[m.index] : undefined;
    if (isMap(item)) item.set('published', quoted(String(a.httpPort)));
    else if (isSeq(seq)) {
      const ip = m.hostIp ? (m.hostIp.includes(':') ? `[${m.hostIp}]:` : `${m.hostIp}:`) : '';
      const proto = /\/(tcp|udp|sctp)$/i.exec(m.raw)?.[0] ?? '';
      seq.items[m.index] = quoted(`${ip}${a.httpPort}:${m.target}${proto}`);
    }
    notes.push(`"${f.pp.name}" now publishes its web server on host port ${a.httpPort} (was ${m.published}); update bookmarks and a proxy that uses the old port`);
  }
  for (const c of changes.mounts) {
    const target = c.kind === 'originals' ? photoprismPaths(f.pp).originals : photoprismPaths(f.pp).import;
    const vols = seqOf(pp, 'volumes');
    if (!c.mount) {
      if (c.kind === 'import' && c.next) vols.items.push(quoted(`${esc(c.next)}:${target}`));
      continue;
    }
    const i = c.mount.index;
    if (c.kind === 'import' && c.next === '') {
      vols.items.splice(i, 1);
      notes.push(`the import folder ${c.mount.source} is no longer mounted (its files stay on the host)`);
      continue;
    }
    const item = vols.items[i];
    if (isMap(item)) item.set('source', quoted(esc(c.next)));
    else {
      const written = Array.isArray(f.pp.data.volumes) ? String(f.pp.data.volumes[i] ?? '') : '';
      const mode = written.split(':')[2];
      vols.items[i] = quoted(`${esc(c.next)}:${c.mount.target}${mode ? `:${mode}` : ''}`);
    }
    notes.push(`"${f.pp.name}" now mounts ${c.next} as its ${c.kind} folder (was ${c.mount.source}); nothing was moved or copied`);
  }

  // ---- database
  const writeSecrets = { db: false, root: false };
  if (f.db && f.names && (!f.dbUsesFiles || f.ownSecrets)) {
    const db = serviceNode(doc, f.db.name)!;
    const names = f.names;
    const denv = envNode(db);
    const want: [string, string, boolean][] = [
      [names.user, 'DB_PWD', f.dbPassword !== null && (f.database.user !== 'root' || f.ownSecrets)],
      [names.root, 'DB_ROOT_PWD', f.rootPassword !== null],
    ];
    for (const n of ['MARIADB_PASSWORD', 'MYSQL_PASSWORD', 'MARIADB_ROOT_PASSWORD', 'MYSQL_ROOT_PASSWORD']) if (f.db.envMap.has(n)) drop(f.db, db, n);
    const denv2 = envNode(db);
    const secretRefs = seqOf(db, 'secrets');
    for (const [varName, secret, on] of want) {
      if (!on) continue;
      denv2.set(names.file(varName), `/run/secrets/${secret}`);
      if (!secretRefs.items.some((i) => (isScalar(i) ? String(i.value) : String((i as YAMLMap).get?.('source'))) === secret)) secretRefs.items.push(new Scalar(secret));
      if (secret === 'DB_PWD') writeSecrets.db = true;
      else writeSecrets.root = true;
    }
    if (secretRefs.items.length === 0) db.delete('secrets');
    void denv;
    if (writeSecrets.db || writeSecrets.root) {
      let top = doc.get('secrets', true);
      if (!isMap(top)) {
        top = new YAMLMap();
        doc.set('secrets', top);
      }
      const t = top as YAMLMap;
      for (const [secret, file, on] of [
        ['DB_PWD', input.secretFiles.db, writeSecrets.db],
        ['DB_ROOT_PWD', input.secretFiles.root, writeSecrets.root],
      ] as const) {
        if (!on) continue;
        const existing = t.get(secret, true);
        if (isMap(existing) && existing.get('file') === `./${file}`) continue;
        const m = new YAMLMap();
        m.set('file', `./${file}`);
        t.set(secret, m);
      }
    }
    if (f.dbKind === 'mariadb' || f.dbKind === 'mysql') {
      const opts = seqOf(db, 'security_opt');
      if (!opts.items.some((i) => isScalar(i) && /^no-new-privileges(:true)?$/.test(String(i.value)))) opts.items.push(quoted('no-new-privileges:true'));
    }
  }

  // ---- env files and .env: drop what only served the removed passwords
  const drops = new Map<string, Set<number>>();
  const rel = (abs: string) => path.relative(model.dir, abs) || abs;
  for (const [abs, lines] of envFileDrops) {
    if (!model.envFileTexts.has(abs)) continue;
    // an env file shared with another service keeps a line that service may read (PhotoPrism's own
    // variables mean nothing to other images)
    for (const s of model.services) {
      if (s === f.pp || s === f.db) continue;
      for (const e of s.env) {
        if (e.envFile !== abs || !e.line || !lines.has(e.line) || e.name.startsWith('PHOTOPRISM_')) continue;
        lines.delete(e.line);
        notes.push(`${rel(abs)}:${e.line}: ${e.name} is kept, because "${s.name}" reads this env file too (it still gets that password in its environment; give it a file of its own to remove it)`);
      }
    }
    if (lines.size) drops.set(abs, new Set(lines));
  }
  const header = headerText(input);
  setHeader(doc, header.text);
  let compose = doc.toString(STRINGIFY);
  const textOf = (abs: string) => (abs === model.dotenv?.abs ? model.dotenv.text : model.envFileTexts.get(abs)!);
  if (model.dotenv) {
    const stillUsed = new Set<string>();
    for (const ff of model.files) for (const v of referencedVars(ff.via === 'main' ? compose : ff.text)) stillUsed.add(v);
    for (const [abs, lines] of drops) if (abs !== model.dotenv.abs) for (const v of referencedVars(dropLines(textOf(abs), lines))) stillUsed.add(v);
    for (const s of model.services) for (const e of s.env) if (!removed.includes(e) && e.source === 'environment' && e.raw === null) stillUsed.add(e.name);
    const candidates = new Set<string>();
    for (const e of removed) for (const r of e.refs) candidates.add(r);
    const lines = drops.get(model.dotenv.abs) ?? new Set<number>();
    for (const name of candidates) {
      const entry = model.dotenv.entries.filter((x) => x.name === name);
      if (!entry.length) continue;
      if (stillUsed.has(name)) {
        notes.push(`.env:${entry[0]!.line}: ${name} is kept: the compose file still uses it elsewhere (e.g. another service), so that password stays readable there`);
        continue;
      }
      for (const x of entry) lines.add(x.line);
    }
    if (lines.size) drops.set(model.dotenv.abs, lines);
  }
  const envFiles: AdoptResult['envFiles'] = [...drops].map(([abs, lines]) => ({
    abs,
    content: dropLines(textOf(abs), lines),
    why: abs === model.dotenv?.abs ? '.env without the passwords moved to secret files' : 'env file without the passwords it held',
  }));
  const kept = keptWeaknesses(parseDocument(compose).toJS() as Record<string, unknown>, f);
  if (header.kept.join('\n') !== kept.map((k) => k.header).join('\n')) {
    // the header names what is kept; recompute it from the final file (it only depends on the services)
    setHeader(doc, headerText(input, kept).text);
    compose = doc.toString(STRINGIFY);
  }
  if (compose === doc.toString(STRINGIFY) && compose.replace(/\s+$/, '') === model.main.text.replace(/\s+$/, '')) compose = model.main.text;
  else compose = keepSpacing(compose, model.main.text);
  return { compose, envFiles, notes, kept: kept.map((k) => k.fix), writeSecrets };
}

/**
 * The yaml library writes a comment after a value with one space and drops trailing blanks, so every
 * aligned "KEY=value   # comment" line of the user's file would show up as changed. A written line that
 * differs from a line of the original only there is put back as the user wrote it (each original line
 * once, in order). Kept only when the result reads back as the same data with the same comments.
 */
export function keepSpacing(written: string, original: string): string {
  const key = (l: string) => l.replace(/[ \t]+$/, '').replace(/[ \t]+#/g, ' #');
  const queue = new Map<string, string[]>();
  for (const l of original.split('\n')) {
    const k = key(l);
    if (k === l) continue; // (nothing to put back: identical lines stay identical anyway)
    const q = queue.get(k);
    if (q) q.push(l);
    else queue.set(k, [l]);
  }
  if (!queue.size) return written;
  const restored = written
    .split('\n')
    .map((l) => queue.get(key(l))?.shift() ?? l)
    .join('\n');
  if (restored === written) return written;
  // (a "#" inside a quoted value, or a block scalar, would make "whitespace before a comment" part of a
  // value: the data and the comments must read back the same, or the written text stays as it is)
  const a = parseDocument(written);
  const b = parseDocument(restored);
  const comments = (d: Document) => d.toString({ ...STRINGIFY }).match(/#.*$/gm)?.join('\n') ?? '';
  try {
    if (b.errors.length || JSON.stringify(a.toJS()) !== JSON.stringify(b.toJS()) || comments(a) !== comments(b)) return written;
  } catch {
    return written;
  }
  return restored;
}

interface Weakness {
  header: string;
  fix: string;
}

/** What the adopted file still does that the guide advises against (named in its header, and by init). */
export function keptWeaknesses(data: Record<string, unknown>, f: Found): Weakness[] {
  const out: Weakness[] = [];
  const services = obj(data.services) ?? {};
  for (const [name, raw] of Object.entries(services)) {
    const s = obj(raw) ?? {};
    for (const m of parseMounts(s.volumes)) {
      if (/(^|\/)docker\.sock$/.test(m.source) || m.source === '/var/run/docker.sock' || m.source === '/run/docker.sock') {
        out.push({
          header: `"${name}" mounts the Docker socket (${m.source}): whoever controls that container controls the host (kept: it is not PhotoPrism's)`,
          fix: `"${name}" mounts the Docker socket: remove that volume (e.g. update images with a scheduled "docker compose pull && docker compose up -d" instead of Watchtower), or accept the risk with --allow-unsafe docker-socket-mounted`,
        });
      }
    }
    for (const m of parseMounts(s.volumes)) {
      if (m.type !== 'bind') continue;
      const abs = path.resolve(f.model.dir, expandHome(m.source, f.model.home));
      const why = /(^|\/)docker\.sock$/.test(m.source) ? null : sensitiveReason(m.source, abs, f.model.home, m.readOnly);
      if (why) {
        out.push({
          header: `"${name}" mounts ${m.source} (${why}); kept: it is not PhotoPrism's`,
          fix: `"${name}" mounts ${m.source} (${why}): mount only what it needs, or accept the risk with --allow-unsafe sensitive-host-mount`,
        });
      }
    }
    const sec = Array.isArray(s.security_opt) ? s.security_opt.map(String) : [];
    for (const o of sec) {
      if (/^seccomp[:=]unconfined$/.test(o)) out.push({ header: `"${name}" keeps security_opt ${o}: Docker's system-call filter is off (only needed on Docker < 20.10.10); remove it to restore the default profile`, fix: `"${name}": remove "${o}" from security_opt (Docker >= 20.10.10 needs it for neither PhotoPrism nor MariaDB)` });
      if (/^apparmor[:=]unconfined$/.test(o)) out.push({ header: `"${name}" keeps security_opt ${o}: no AppArmor confinement; remove it to restore Docker's profile`, fix: `"${name}": remove "${o}" from security_opt` });
    }
    if (s.privileged === true) out.push({ header: `"${name}" runs privileged (all devices and capabilities of the host)`, fix: `"${name}": remove "privileged: true", or accept the risk with --allow-unsafe privileged` });
    if (s.network_mode === 'host') out.push({ header: `"${name}" uses the host's network (network_mode: host)`, fix: `"${name}": remove network_mode: host and publish only the ports it needs, or accept the risk with --allow-unsafe host-network` });
    if (f.db && name === f.db.name) {
      for (const p of parsePorts(s.ports)) {
        if (p.published || p.target === '3306') out.push({ header: `the database "${name}" publishes a port on the host (${p.raw})`, fix: `"${name}": remove its "ports:" (PhotoPrism reaches it on the compose network), or accept the risk with --allow-unsafe database-port-published` });
      }
    }
  }
  return out;
}

function headerText(input: AdoptInput, kept: Weakness[] = []): { text: string; kept: string[] } {
  const f = input.found;
  const a = input.answers;
  const lines = [
    `${ADOPT_MARKER} ${input.version}`,
    'Run it again after a change (existing passwords are kept; see README "Adopting an existing installation"):',
    `  ${input.regenerate.replace(/[\u0000-\u001f\u007f]/g, ' ')}`,
    '',
    `What it changed, and why (services, names, mounts and ports are as you wrote them):`,
    `- "${f.pp.name}" has no password in its environment: ${f.database.driver === 'mysql' ? 'AdminPassword and DatabasePassword are' : 'AdminPassword is'} in options.yml (mode 0600, owned by the PhotoPrism user).`,
  ];
  if (f.db) {
    lines.push(
      f.dbUsesFiles && !f.ownSecrets
        ? `- "${f.db.name}" already reads its passwords from secret files; that is kept.`
        : `- "${f.db.name}" reads its passwords from the secret files in .secrets/ (folder 0700, files 0600).`,
    );
  } else lines.push('- The database is SQLite (index.db in storage); no database service is needed.');
  lines.push(a.userMode === 'user' ? `- "${f.pp.name}" runs as ${a.uid}:${a.gid} from the start (user:).` : `- "${f.pp.name}" drops from root to UID ${a.uid} / GID ${a.gid} after its init actions (${a.initActions.join(' ') || 'none'}).`);
  const personal = (input.personalIds ?? []).map((why) => `"${f.pp.name}" keeps the ids it ran with: ${why}; choose a UID/GID no one on this host has (init --uid/--gid) to move it`);
  if (kept.length || personal.length) {
    lines.push('', 'Kept as they were (photoprism-harden audit reports them):');
    for (const k of [...personal, ...kept.map((x) => x.header)]) lines.push(`- ${k}`);
  }
  lines.push('', 'After every change:   docker compose stop && docker compose up -d --force-recreate');
  return { text: [...lines.map((l) => (l ? ` ${l}` : '')), ` ${ADOPT_END.slice(2)}`].join('\n'), kept: kept.map((k) => k.header) };
}

/** Put our header at the top of the document, replacing a previous one; any other comment stays below it. */
function setHeader(doc: Document, text: string): void {
  const holders: { commentBefore?: string | null }[] = [doc];
  if (isMap(doc.contents)) {
    holders.push(doc.contents);
    const first = doc.contents.items[0] as Pair | undefined;
    if (first && isScalar(first.key)) holders.push(first.key);
  }
  for (const h of holders) {
    const c = h.commentBefore ?? '';
    const start = c.indexOf(ADOPT_MARKER);
    if (start < 0) continue;
    const endAt = c.indexOf(ADOPT_END.slice(2), start);
    if (endAt < 0) continue;
    const from = c.lastIndexOf('\n', start) + 1;
    const lineEnd = c.indexOf('\n', endAt);
    h.commentBefore = c.slice(0, from) + text + (lineEnd < 0 ? '' : c.slice(lineEnd));
    return;
  }
  const foreign = (doc.commentBefore ?? '').replace(/^\n+/, '');
  doc.commentBefore = foreign ? `${text}\n\n${foreign}` : text;
}

export { environmentEntries, allInterfaces };
