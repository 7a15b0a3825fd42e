// Load an installation into an AuditContext: the compose file (first of the four names Compose looks
// for), env files, options.yml (storage/settings wins over storage/config, as in PhotoPrism), secret
// files, and the owners and modes of the folders. This is the only audit code that reads the disk, and
// it reads it through an FsView so that `init --dry-run` can audit the planned files before they exist.

import { lstatSync, readFileSync, readdirSync, statSync } from 'node:fs';
import path from 'node:path';
import type { HostFacts } from '../host.js';
import type { PathInfo } from '../state.js';
import { secretFileValue } from '../domain.js';
import { parseShared, yamlData } from '../yamlparse.js';
import { ComposeLoadError, findRoles, loadModelVia, mountFor, parseDsn, photoprismPaths, type ComposeModel, type MountModel } from '../compose/model.js';
import { hostPathOf, interpolate, lineAt, parseUser, posAt, serviceKind } from './compose.js';
import type { AuditContext, EnvEntry, FileStat, Identity, SecretFile, ServiceView, YamlFile } from './types.js';

/** The installation cannot be audited (missing folder, no compose file, unreadable or invalid YAML): exit 2. */
export class AuditLoadError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'AuditLoadError';
  }
}

/** Read-only view of the filesystem. `stat` follows symlinks (what a bind mount sees) but reports isSymlink. */
export interface FsView {
  stat(abs: string): Promise<PathInfo | null>;
  readFile(abs: string): Promise<string>;
  readdir(abs: string): Promise<string[] | null>;
}

// Synchronous calls behind the async interface: the audit reads a few small files and stats a few
// dozen paths, and a thread-pool round trip costs more than each of those system calls.
export const realFs: FsView = {
  async stat(abs) {
    let l;
    try {
      l = lstatSync(abs);
    } catch (e) {
      const code = (e as NodeJS.ErrnoException).code;
      if (code === 'ENOENT' || code === 'ENOTDIR') return null;
      throw e;
    }
    let st = l;
    if (l.isSymbolicLink()) {
      try {
        st = statSync(abs);
      } catch {
        /* dangling link: report the link itself */
      }
    }
    return { exists: true, isSymlink: l.isSymbolicLink(), isDir: st.isDirectory(), uid: st.uid, gid: st.gid, mode: st.mode & 0o7777 };
  },
  async readFile(abs) {
    return readFileSync(abs, 'utf8');
  },
  async readdir(abs) {
    try {
      return readdirSync(abs).sort();
    } catch {
      return null;
    }
  },
};

/** Compose's file names, in the order Compose prefers them. */
export { COMPOSE_NAMES, OVERRIDE_NAMES } from '../compose/model.js';

/** Variable names whose values are passwords or secrets (never shown; scrubbed from output). */
export const SECRET_NAME = /(PASSWORD|PASSWD|_PWD|SECRET)$/i;
/** Variables whose names look like passwords but are not. */
export const NOT_SECRET = /(_FILE|^MARIADB_RANDOM_ROOT_PASSWORD|^MYSQL_RANDOM_ROOT_PASSWORD|^MARIADB_ALLOW_EMPTY_ROOT_PASSWORD|^MYSQL_ALLOW_EMPTY_PASSWORD|_PASSWORD_LENGTH|_PASSWORD_RESET_URI|_PASSWORD_HASH)$/i;

export function isSecretName(name: string): boolean {
  // (linuxserver images read FILE__<VAR>: its value is the path of the file whose content becomes <VAR>)
  return SECRET_NAME.test(name) && !NOT_SECRET.test(name) && !/^FILE__/i.test(name);
}

/** options.yml keys that hold secrets. */
export const SECRET_OPTION_KEYS = ['AdminPassword', 'DatabasePassword', 'OIDCSecret', 'AuthSecret', 'NodeClientSecret', 'JoinToken', 'DownloadToken', 'PreviewToken'];

export interface LoadOptions {
  dir: string;
  facts: HostFacts;
  fs?: FsView;
  /** variables for interpolation (Compose: the shell's environment wins over .env) */
  env?: NodeJS.ProcessEnv;
  home?: string;
  /** the file names to look for instead of Compose's four (a Swarm stack file); no override files then */
  composeNames?: readonly string[];
  /** the host folder of PhotoPrism's storage when it is a volume (named or anonymous): asked of the engine */
  storageFolder?: StorageLocator;
}

/** Where a volume mount of a service is on the host (null: unknown; nothing is read there then). */
export type StorageLocator = (mount: MountModel, service: string, project: string) => Promise<string | null>;

function rel(dir: string, abs: string): string {
  const r = path.relative(dir, abs);
  return r && !r.startsWith('..') && !path.isAbsolute(r) ? r : abs;
}

function yamlOrThrow(doc: Parameters<typeof yamlData>[0], name: string): unknown {
  const parsed = yamlData(doc);
  if (parsed.error) throw new Error(`${name}: ${parsed.error}`);
  return parsed.data ?? null;
}

async function parseYamlFile(fs: FsView, dir: string, abs: string, info: PathInfo): Promise<YamlFile> {
  const text = await fs.readFile(abs);
  const { doc, lines } = parseShared(text);
  if (doc.errors.length) {
    const e = doc.errors[0]!;
    const at = e.pos ? lines.linePos(e.pos[0]).line : undefined;
    throw Object.assign(new Error(`${rel(dir, abs)}${at ? `:${at}` : ''}: not valid YAML: ${e.message.split('\n')[0]}`), { line: at });
  }
  return { rel: rel(dir, abs), abs, text, doc, lines, data: yamlOrThrow(doc, rel(dir, abs)), info };
}

export async function loadInstallation(o: LoadOptions): Promise<AuditContext> {
  const fs = o.fs ?? realFs;
  const dir = path.resolve(o.dir);
  const env = o.env ?? process.env;
  const home = o.home ?? env.HOME ?? '/root';

  let dirInfo: PathInfo | null;
  try {
    dirInfo = await fs.stat(dir);
  } catch (e) {
    throw new AuditLoadError(`cannot read ${dir}: ${(e as Error).message}`);
  }
  if (!dirInfo) throw new AuditLoadError(`${dir} does not exist`);
  if (!dirInfo.isDir) throw new AuditLoadError(`${dir} is not a folder`);

  const model = await readComposeModel(fs, dir, env, home, o.composeNames?.[0]);
  const main = model.main;
  const compose: YamlFile = { rel: main.rel, abs: main.abs, text: main.text, doc: main.doc, lines: main.lines, data: main.data, info: (await fs.stat(main.abs))! };
  const present = [main.rel, ...model.ignored];
  const overrides = model.overrides;
  const vars = model.vars;
  const roles = findRoles(model, null);

  const secretValues = new Set<string>();
  const missingEnvFiles: AuditContext['missingEnvFiles'] = model.missingEnvFiles
    .filter((m) => m.required)
    .map((m) => ({ file: m.file, service: m.service, line: m.line }));
  const services = serviceViews(model, roles, secretValues);
  const photoprism = services.find((s) => s.kind === 'photoprism') ?? null;
  const mariadb = services.find((s) => roles.database?.name === s.name) ?? services.find((s) => s.kind === 'mariadb') ?? null;

  // storage folder and options.yml
  const { storage, options, optionsError, optionsShadowed } = await readStorage(fs, dir, model, photoprism, o.storageFolder);
  if (options?.data && typeof options.data === 'object') {
    for (const k of SECRET_OPTION_KEYS) {
      const v = (options.data as Record<string, unknown>)[k];
      if (typeof v === 'string' && v) secretValues.add(v);
    }
  }

  // secret files: those the compose file declares, plus everything in .secrets/
  const { secretFiles, secretsDir } = await readSecretFiles(fs, dir, home, compose, vars, secretValues);
  const identity = photoprism ? resolveIdentity(photoprism, compose) : null;
  const ctx: AuditContext = {
    dir,
    home,
    facts: o.facts,
    dirInfo,
    compose,
    ignoredComposeFiles: present.slice(1),
    overrideFiles: overrides,
    services,
    networks: model.networks,
    photoprism,
    mariadb,
    identity,
    storage,
    options,
    optionsError,
    optionsShadowed,
    secretFiles,
    secretsDir,
    missingEnvFiles,
    dotenv: model.dotenv ? { rel: model.dotenv.rel, entries: model.dotenv.entries.map((e) => ({ name: e.name, line: e.line })) } : null,
    secretValues: maskable(secretValues, services, options),
    lineOf: (file, keys) => lineAt(file.doc, file.lines, keys),
    posOf: (file, keys) => posAt(file.doc, file.lines, keys),
  };
  return ctx;
}

/**
 * The compose model (src/compose/model.ts): the file Compose uses, its override file and includes,
 * .env and shell interpolation, env files; a file that cannot be read is an AuditLoadError.
 */
async function readComposeModel(fs: FsView, dir: string, env: NodeJS.ProcessEnv, home: string, file?: string): Promise<ComposeModel> {
  try {
    return await loadModelVia({
      dir,
      env,
      home,
      // a Swarm stack file instead of Compose's lookup (no override files then)
      ...(file ? { file } : {}),
      read: async (abs) => {
        const info = await fs.stat(abs);
        if (!info || info.isDir) return null;
        try {
          return await fs.readFile(abs);
        } catch {
          return null;
        }
      },
    });
  } catch (e) {
    if (e instanceof ComposeLoadError && !e.file) throw new AuditLoadError(e.message);
    if (e instanceof ComposeLoadError && /no "services:"|not a Compose file|alias bomb/.test(e.message)) throw new AuditLoadError(e.message);
    const name = e instanceof ComposeLoadError ? e.file : undefined;
    throw new AuditLoadError(`cannot read ${name ?? 'the compose file'}: ${(e as Error).message}`);
  }
}

/** Every service as the rules see it; the secret values in their environment go into `secretValues`. */
function serviceViews(model: ComposeModel, roles: ReturnType<typeof findRoles>, secretValues: Set<string>): ServiceView[] {
  const services: ServiceView[] = [];
  for (const s of model.services) {
    const envEntries: EnvEntry[] = s.env;
    for (const e of envEntries) if (isSecretName(e.name) && e.value) secretValues.add(e.value);
    const dsn = s.envMap.get('PHOTOPRISM_DATABASE_DSN')?.value;
    const dsnPwd = dsn ? parseDsn(dsn)?.password : null;
    if (dsnPwd) secretValues.add(dsnPwd);
    const kind = roles.database === s ? 'mariadb' : serviceKind(s.name, s.data);
    services.push({ name: s.name, kind, data: s.data, env: envEntries, envMap: s.envMap, line: s.line });
  }
  return services;
}

/** PhotoPrism's storage folder and the options file it reads there (or why that file cannot be read). */
async function readStorage(
  fs: FsView,
  dir: string,
  model: ComposeModel,
  photoprism: ServiceView | null,
  locate: StorageLocator | undefined,
): Promise<Pick<AuditContext, 'storage' | 'options' | 'optionsError' | 'optionsShadowed'>> {
  let storage: FileStat | null = null;
  let options: YamlFile | null = null;
  let optionsError: AuditContext['optionsError'] = null;
  let optionsShadowed: FileStat | null = null;
  // where PhotoPrism keeps its storage, as init reads it: PHOTOPRISM_STORAGE_PATH, a sub-folder of a
  // bind mount, or a volume the engine knows (named or anonymous)
  const pm = photoprism ? model.services.find((s) => s.name === photoprism.name) : undefined;
  const m = pm ? mountFor(pm, photoprismPaths(pm).storage) : undefined;
  const abs = !m || !pm ? null : m.type === 'bind' ? m.resolved : m.type === 'volume' && locate ? await locate(m, pm.name, model.project) : null;
  if (abs) {
    storage = { rel: rel(dir, abs), abs, info: await fs.stat(abs) };
    const settings = await fs.stat(path.join(abs, 'settings'));
    const configOpts = path.join(abs, 'config', 'options.yml');
    const optsAbs = settings?.isDir ? path.join(abs, 'settings', 'options.yml') : configOpts;
    if (settings?.isDir) {
      const shadowInfo = await fs.stat(configOpts);
      if (shadowInfo) optionsShadowed = { rel: rel(dir, configOpts), abs: configOpts, info: shadowInfo };
    }
    const optsInfo = await fs.stat(optsAbs);
    if (optsInfo && !optsInfo.isDir) {
      try {
        options = await parseYamlFile(fs, dir, optsAbs, optsInfo);
        if (options.data !== null && (typeof options.data !== 'object' || Array.isArray(options.data))) {
          optionsError = { rel: options.rel, message: 'is not a YAML mapping of option keys' };
          options = null;
        }
      } catch (e) {
        optionsError = { rel: rel(dir, optsAbs), message: (e as Error).message, line: (e as { line?: number }).line };
        options = null;
      }
    }
  }
  return { storage, options, optionsError, optionsShadowed };
}

/** The secret files the compose file declares plus everything in .secrets/, with their values (added to `secretValues`). */
async function readSecretFiles(
  fs: FsView,
  dir: string,
  home: string,
  compose: YamlFile,
  vars: ComposeModel['vars'],
  secretValues: Set<string>,
): Promise<{ secretFiles: SecretFile[]; secretsDir: FileStat | null }> {
  const cdata = compose.data;
  const secretFiles: SecretFile[] = [];
  const topSecrets = (cdata as Record<string, unknown>).secrets;
  if (topSecrets && typeof topSecrets === 'object' && !Array.isArray(topSecrets)) {
    for (const [name, def] of Object.entries(topSecrets as Record<string, unknown>)) {
      const file = def && typeof def === 'object' ? (def as Record<string, unknown>).file : undefined;
      if (typeof file !== 'string' || !file) continue;
      const abs = hostPathOf(interpolate(file, vars), dir, home);
      const existing = secretFiles.find((s) => s.abs === abs);
      if (existing) {
        existing.names.push(name);
        continue;
      }
      secretFiles.push({ rel: rel(dir, abs), abs, info: await fs.stat(abs), names: [name], value: null, line: lineAt(compose.doc, compose.lines, ['secrets', name, 'file']) });
    }
  }
  const secretsDirAbs = path.join(dir, '.secrets');
  const secretsDirInfo = await fs.stat(secretsDirAbs);
  const secretsDir: FileStat | null = secretsDirInfo ? { rel: '.secrets', abs: secretsDirAbs, info: secretsDirInfo } : null;
  if (secretsDirInfo?.isDir) {
    for (const n of (await fs.readdir(secretsDirAbs)) ?? []) {
      const abs = path.join(secretsDirAbs, n);
      if (secretFiles.some((s) => s.abs === abs)) continue;
      const info = await fs.stat(abs);
      if (!info || info.isDir) continue;
      secretFiles.push({ rel: rel(dir, abs), abs, info, names: [], value: null });
    }
  }
  for (const s of secretFiles) {
    if (!s.info || s.info.isDir) continue;
    try {
      const text = await fs.readFile(s.abs);
      if (text.length <= 65536) {
        s.value = secretFileValue(text);
        if (s.value) secretValues.add(s.value);
      }
    } catch {
      /* unreadable: the permission rules still see its mode */
    }
  }

  return { secretFiles, secretsDir };
}

/**
 * Secret values to mask in the output. A (weak) password that equals a name the report prints anyway -
 * a service, the database or admin user name - is not masked, because masking it would garble every
 * mention of that name while hiding nothing a reader could not see in the compose file.
 */
function maskable(values: Set<string>, services: ServiceView[], options: YamlFile | null): string[] {
  const names = new Set(['admin', 'photoprism', 'mariadb', 'mysql', 'password', 'root', 'true', 'false']);
  for (const s of services) {
    names.add(s.name.toLowerCase());
    for (const n of ['MARIADB_USER', 'MARIADB_DATABASE', 'MYSQL_USER', 'MYSQL_DATABASE', 'PHOTOPRISM_ADMIN_USER', 'PHOTOPRISM_DATABASE_USER', 'PHOTOPRISM_DATABASE_NAME']) {
      const v = s.envMap.get(n)?.value;
      if (v) names.add(v.toLowerCase());
    }
  }
  const opts = options?.data && typeof options.data === 'object' ? (options.data as Record<string, unknown>) : {};
  for (const k of ['AdminUser', 'DatabaseUser', 'DatabaseName']) if (typeof opts[k] === 'string') names.add((opts[k] as string).toLowerCase());
  return [...values].filter((v) => v.length >= 4 && !names.has(v.toLowerCase())).sort((a, b) => b.length - a.length);
}

const NUMERIC = /^\d+$/;

function idValue(text: string | null): number | null {
  if (text === null) return null;
  const t = text.trim();
  if (NUMERIC.test(t)) return Number(t);
  if (t === 'root') return 0;
  return null;
}

/**
 * How PhotoPrism drops root, following its entrypoint: `user:` starts the container as that user;
 * otherwise PHOTOPRISM_UID (or UID / PUID when it is empty and they are numeric and not 0) and
 * PHOTOPRISM_GID (or GID / PGID, only when PHOTOPRISM_UID is empty) select the account after init.
 */
export function resolveIdentity(svc: ServiceView, compose: YamlFile): Identity {
  const user = parseUser(svc.data.user);
  if (user) {
    const at = { file: compose.rel, line: lineAt(compose.doc, compose.lines, ['services', svc.name, 'user']) };
    return { mode: 'user', uid: user.uid, gid: user.gid, uidText: user.uidText, gidText: user.gidText, at, gidAt: user.gidText === null ? null : at };
  }
  const get = (n: string) => {
    const e = svc.envMap.get(n);
    return e && e.value !== null && e.value.trim() !== '' ? e : undefined;
  };
  const aliasOk = (e: EnvEntry | undefined) => e && NUMERIC.test(e.value!.trim()) && e.value!.trim() !== '0';
  let uidEntry = get('PHOTOPRISM_UID');
  let gidEntry = get('PHOTOPRISM_GID');
  if (!uidEntry) {
    uidEntry = [get('UID'), get('PUID')].find(aliasOk);
    if (!gidEntry) gidEntry = [get('GID'), get('PGID')].find(aliasOk);
  }
  if (!uidEntry) {
    return {
      mode: 'root',
      uid: 0,
      gid: 0,
      uidText: null,
      gidText: gidEntry?.value ?? null,
      at: { file: compose.rel, line: svc.line },
      gidAt: gidEntry ? { file: gidEntry.file, line: gidEntry.line } : null,
    };
  }
  const uidText = uidEntry.value!.trim();
  const gidText = gidEntry ? gidEntry.value!.trim() : null;
  return {
    mode: 'env',
    uid: NUMERIC.test(uidText) ? Number(uidText) : null,
    gid: gidText !== null && NUMERIC.test(gidText) ? Number(gidText) : null,
    uidText,
    gidText,
    at: { file: uidEntry.file, line: uidEntry.line },
    gidAt: gidEntry ? { file: gidEntry.file, line: gidEntry.line } : null,
  };
}
