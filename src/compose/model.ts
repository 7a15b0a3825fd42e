// The one compose model: init (previous answers, adoption, merge) and audit read compose files only
// through it. It finds the file Compose uses, merges override files and `include:` the way Compose does
// for the keys that matter here, interpolates from the shell and `.env` exactly as Compose does, reads
// every env_file, and resolves volumes, ports and environment of each service with the file and line
// each value comes from. It never rewrites anything; src/compose/adopt.ts edits the main file's YAML.
//
// Pure: files are read through `read` (sync; the audit pre-reads through its FsView, see loadModelVia).

import path from 'node:path';
import { isMap, type Document, type LineCounter } from 'yaml';
import { parseShared, yamlData } from '../yamlparse.js';
import {
  envFileList,
  environmentEntries,
  expandHome,
  imageName,
  interpolate,
  interpolateDeep,
  lineAt,
  newInterpolation,
  parseDotenv,
  parseMounts,
  parsePorts,
  posAt,
  truthy,
  type Interpolation,
  type Mount,
  type PortMapping,
} from './syntax.js';

export const COMPOSE_NAMES = ['compose.yaml', 'compose.yml', 'docker-compose.yaml', 'docker-compose.yml'] as const;
export const OVERRIDE_NAMES = ['compose.override.yaml', 'compose.override.yml', 'docker-compose.override.yaml', 'docker-compose.override.yml'] as const;

type Obj = Record<string, unknown>;
export const obj = (v: unknown): Obj | undefined => (v && typeof v === 'object' && !Array.isArray(v) ? (v as Obj) : undefined);

export interface ModelFile {
  /** path relative to the project folder (absolute outside it) */
  rel: string;
  abs: string;
  text: string;
  doc: Document.Parsed;
  lines: LineCounter;
  /** plain data, merge keys resolved, NOT interpolated */
  data: Obj;
  /** how it entered the project (`extends`: the file named by a service's `extends.file`) */
  via: 'main' | 'override' | 'include' | 'extends';
  /** the folder its relative paths are resolved against (an included file's own folder, or its project_directory) */
  base: string;
  /**
   * the variables it is interpolated with, when they are not the project's: an included file also gets
   * those of its own env file (its project folder's .env, or the include's env_file) that the shell and
   * the project's .env leave unset
   */
  vars?: Map<string, string>;
  /** for an included file: the env files it reads (absolute paths that exist) */
  envFiles?: string[];
}

export interface Where {
  file: string;
  line?: number;
  column?: number;
}

export interface EnvVar {
  name: string;
  /** value the container gets (interpolated); null: passed through from the shell but not set there */
  value: string | null;
  /** the text as written (before interpolation), null for `KEY` alone */
  raw: string | null;
  source: 'environment' | 'env_file';
  file: string;
  line?: number;
  column?: number;
  /** the key path of the entry inside `environment:` (name for a mapping, index for a list) */
  key?: string | number;
  /** absolute path of the env_file it comes from */
  envFile?: string;
  /** variables of the shell/.env its value was interpolated from (or passed through) */
  refs: string[];
  /** of those, the ones that are set nowhere and have no default (Compose substitutes "") */
  unset: string[];
}

export interface MountModel extends Mount {
  /** bind: absolute host path; volume: the volume key (top-level `volumes:` name) */
  resolved: string;
  /** for a named volume: the engine's name of it (`<project>_<key>` unless `name:`/external) */
  volumeName?: string;
  external?: boolean;
  where: Where;
}

export type Role = 'photoprism' | 'database' | 'other';

export interface ServiceModel {
  name: string;
  /** the merged service mapping, interpolated */
  data: Obj;
  /** the file that defines the service (main file when it is there) and the line of its key */
  file: ModelFile;
  line: number;
  image: { repo: string; tag: string | null } | null;
  /** env_file entries first (in order), then environment: */
  env: EnvVar[];
  /** effective environment: environment: wins over env_file */
  envMap: Map<string, EnvVar>;
  mounts: MountModel[];
  ports: PortMapping[];
  /** other files (overrides, includes) that also define this service */
  alsoIn: string[];
  /** `extends:` of the service, resolved: the base service, the file it is in, and the keys it contributes */
  extends: { service: string; file: string; line: number; keys: string[]; env: string[] } | null;
}

export interface DotenvVar {
  name: string;
  value: string;
  /** as written in the file (quotes removed) */
  raw: string;
  line: number;
}

export interface ComposeModel {
  dir: string;
  home: string;
  /** the main file Compose uses, then override files, then included files */
  files: ModelFile[];
  main: ModelFile;
  /** other main-file names present, which Compose ignores */
  ignored: string[];
  overrides: string[];
  includes: string[];
  /** interpolation variables: .env, overridden by the shell */
  vars: Map<string, string>;
  /** the project's .env, when present */
  dotenv: { rel: string; abs: string; text: string; entries: DotenvVar[] } | null;
  shell: ReadonlySet<string>;
  project: string;
  services: ServiceModel[];
  volumes: Record<string, { name: string; external: boolean }>;
  /** top-level secrets/configs with a host file */
  secrets: Record<string, { file: string | null; external: boolean; environment?: string }>;
  configs: Record<string, { file: string | null }>;
  /** top-level networks: internal (no route out), external (created outside this project) */
  networks: Record<string, { internal: boolean; external: boolean }>;
  /** problems Compose itself would report (`${VAR:?}`), with file and line */
  errors: (Where & { message: string })[];
  /** variables referenced but unset (Compose warns and uses ""), with where */
  unset: (Where & { name: string })[];
  /** every env file read, by absolute path */
  envFileTexts: Map<string, string>;
  /** env files that could not be read */
  missingEnvFiles: (Where & { service: string; path: string; required: boolean })[];
  /** 1-based position of a node in one of the files */
  posOf(file: ModelFile, keys: readonly (string | number)[]): { line: number; col: number } | undefined;
}

export class ComposeLoadError extends Error {
  constructor(
    message: string,
    readonly file?: string,
    readonly line?: number,
  ) {
    super(message);
    this.name = 'ComposeLoadError';
  }
}

export interface LoadModelOptions {
  dir: string;
  /** file contents by absolute path; null when the file does not exist or cannot be read */
  read: (abs: string) => string | null;
  /** the shell's environment (wins over .env) */
  env: NodeJS.ProcessEnv | Record<string, string | undefined>;
  home: string;
  /** a compose file name to use instead of Compose's lookup (relative to dir) */
  file?: string;
}

function relOf(dir: string, abs: string): string {
  const r = path.relative(dir, abs);
  return r && !r.startsWith('..') && !path.isAbsolute(r) ? r : abs;
}

function parseFile(dir: string, abs: string, text: string, via: ModelFile['via'], base = dir): ModelFile {
  const { doc, lines } = parseShared(text);
  const rel = relOf(dir, abs);
  if (doc.errors.length) {
    const e = doc.errors[0]!;
    const at = e.pos ? lines.linePos(e.pos[0]).line : undefined;
    throw new ComposeLoadError(`${rel}${at ? `:${at}` : ''}: not valid YAML: ${e.message.split('\n')[0]}`, rel, at);
  }
  const parsed = yamlData(doc);
  if (parsed.error) throw new ComposeLoadError(`${rel}: ${parsed.error}`, rel, 1);
  const data = parsed.data ?? {};
  if (!obj(data)) throw new ComposeLoadError(`${rel} is not a Compose file (expected a mapping with "services:")`, rel, 1);
  return { rel, abs, text, doc, lines, data: data as Obj, via, base };
}

/** Compose's project name: `name:`, else COMPOSE_PROJECT_NAME, else the folder name (lowercase, [a-z0-9_-]). */
export function projectName(dir: string, top: Obj, vars: ReadonlyMap<string, string>, shell: NodeJS.ProcessEnv | Record<string, string | undefined>): string {
  const fromEnv = shell.COMPOSE_PROJECT_NAME ?? vars.get('COMPOSE_PROJECT_NAME');
  const raw = typeof top.name === 'string' && top.name ? interpolate(top.name, vars) : fromEnv || path.basename(dir);
  return raw.toLowerCase().replace(/[^a-z0-9_-]/g, '').replace(/^[^a-z0-9]+/, '');
}

// ---------------------------------------------------------------------------------------------
// merging override files (compose-spec "merge": mappings by key, sequences per their identity)

const byTarget = (v: unknown) => (typeof v === 'string' ? (v.split(':')[1] ?? v) : String(obj(v)?.target ?? JSON.stringify(v)));
const SEQ_IDENTITY: Record<string, (v: unknown) => string> = {
  volumes: byTarget,
  secrets: (v) => (typeof v === 'string' ? v : String(obj(v)?.source ?? JSON.stringify(v))),
  configs: (v) => (typeof v === 'string' ? v : String(obj(v)?.source ?? JSON.stringify(v))),
  devices: (v) => (typeof v === 'string' ? (v.split(':')[1] ?? v) : String(obj(v)?.target ?? JSON.stringify(v))),
};
/** mappings that may be written as `KEY=value` lists */
const KV_KEYS = new Set(['environment', 'labels', 'extra_hosts', 'sysctls', 'annotations']);

function kvMap(v: unknown): Obj {
  if (Array.isArray(v)) {
    const out: Obj = {};
    for (const item of v) {
      const s = String(item);
      const i = s.indexOf('=');
      if (i < 0) out[s] = null;
      else out[s.slice(0, i)] = s.slice(i + 1);
    }
    return out;
  }
  return { ...(obj(v) ?? {}) };
}

export function mergeService(base: Obj, over: Obj): Obj {
  const out: Obj = { ...base };
  for (const [k, v] of Object.entries(over)) {
    const b = out[k];
    if (KV_KEYS.has(k)) out[k] = { ...kvMap(b), ...kvMap(v) };
    else if (k in SEQ_IDENTITY && Array.isArray(b) && Array.isArray(v)) {
      const id = SEQ_IDENTITY[k]!;
      const merged = b.filter((x) => !v.some((y) => id(y) === id(x)));
      out[k] = [...merged, ...v];
    } else if ((k === 'command' || k === 'entrypoint' || k === 'healthcheck') && v !== undefined) out[k] = v;
    else if (Array.isArray(b) && Array.isArray(v)) out[k] = [...b, ...v.filter((x) => !b.some((y) => JSON.stringify(y) === JSON.stringify(x)))];
    else if (obj(b) && obj(v)) out[k] = mergeService(b as Obj, v as Obj);
    else out[k] = v;
  }
  return out;
}

/**
 * A service of a file whose folder is not the project's (an included or extended file): its relative bind
 * sources and env_file paths made absolute against that folder, as Compose resolves them. Interpolated data.
 */
function rebase(data: Obj, base: string, home: string): Obj {
  const abs = (p: string) => (path.isAbsolute(p) ? p : path.resolve(base, expandHome(p, home)));
  const out: Obj = { ...data };
  if (Array.isArray(data.volumes)) {
    out.volumes = data.volumes.map((v) => {
      if (typeof v === 'string') {
        const parts = v.split(':');
        if (parts.length > 1 && /^[.~]/.test(parts[0]!)) return [abs(parts[0]!), ...parts.slice(1)].join(':');
        return v;
      }
      const m = obj(v);
      if (m && m.type === 'bind' && typeof m.source === 'string') return { ...m, source: abs(m.source) };
      return v;
    });
  }
  if (typeof data.env_file === 'string') out.env_file = abs(data.env_file);
  else if (Array.isArray(data.env_file)) out.env_file = data.env_file.map((e) => (typeof e === 'string' ? abs(e) : obj(e) && typeof obj(e)!.path === 'string' ? { ...obj(e), path: abs(obj(e)!.path as string) } : e));
  return out;
}

// ---------------------------------------------------------------------------------------------

/** .env variables, each interpolated from the shell and the entries above it (single quotes literal). */
function readDotenv(text: string, shell: Record<string, string | undefined>): DotenvVar[] {
  const out: DotenvVar[] = [];
  const scope = new Map<string, string>();
  for (const [k, v] of Object.entries(shell)) if (v !== undefined) scope.set(k, v);
  for (const e of parseDotenv(text)) {
    if (e.value === null) continue;
    const value = e.quote === 'single' ? e.value : interpolate(e.value, scope);
    out.push({ name: e.name, value, raw: e.value, line: e.line });
    if (shell[e.name] === undefined) scope.set(e.name, value);
  }
  return out;
}

export function loadComposeModel(o: LoadModelOptions): ComposeModel {
  const dir = path.resolve(o.dir);
  const shellEnv = o.env as Record<string, string | undefined>;
  const present = o.file ? [o.file] : COMPOSE_NAMES.filter((n) => o.read(path.join(dir, n)) !== null);
  if (present.length === 0) throw new ComposeLoadError(`no compose file in ${dir} (looked for ${COMPOSE_NAMES.join(', ')})`);
  const mainAbs = path.resolve(dir, present[0]!);
  const mainText = o.read(mainAbs);
  if (mainText === null) throw new ComposeLoadError(`cannot read ${present[0]}`, present[0]);
  const main = parseFile(dir, mainAbs, mainText, 'main');
  if (!obj(main.data.services)) throw new ComposeLoadError(`${main.rel} has no "services:" mapping`, main.rel, 1);

  // interpolation variables: .env in the project folder, overridden by the shell
  const vars = new Map<string, string>();
  let dotenv: ComposeModel['dotenv'] = null;
  const envAbs = path.join(dir, '.env');
  const envText = o.read(envAbs);
  if (envText !== null) {
    const entries = readDotenv(envText, shellEnv);
    dotenv = { rel: '.env', abs: envAbs, text: envText, entries };
    for (const e of entries) vars.set(e.name, e.value);
  }
  const shell = new Set<string>();
  for (const [k, v] of Object.entries(shellEnv)) {
    if (v === undefined) continue;
    vars.set(k, v);
    shell.add(k);
  }

  const files: ModelFile[] = [main];
  const overrides: string[] = [];
  if (!o.file) {
    for (const n of OVERRIDE_NAMES) {
      const abs = path.join(dir, n);
      const t = o.read(abs);
      if (t === null) continue;
      files.push(parseFile(dir, abs, t, 'override'));
      overrides.push(n);
      break; // Compose merges the first override file that exists
    }
  }
  const includes: string[] = [];
  const inc = main.data.include;
  for (const item of Array.isArray(inc) ? inc : []) {
    const paths = typeof item === 'string' ? [item] : Array.isArray(obj(item)?.path) ? (obj(item)!.path as unknown[]) : [obj(item)?.path];
    const projectDir = typeof obj(item)?.project_directory === 'string' ? path.resolve(dir, expandHome(interpolate(obj(item)!.project_directory as string, vars), o.home)) : null;
    for (const p of paths) {
      if (typeof p !== 'string') continue;
      const abs = path.resolve(dir, expandHome(interpolate(p, vars), o.home));
      const t = o.read(abs);
      if (t === null) {
        throw new ComposeLoadError(`${main.rel}:${lineAt(main.doc, main.lines, ['include']) ?? 1}: include: ${p} cannot be read`, main.rel, lineAt(main.doc, main.lines, ['include']));
      }
      // Compose resolves the relative paths of an included file against its own folder (or project_directory)
      const f = parseFile(dir, abs, t, 'include', projectDir ?? path.dirname(abs));
      // ... and interpolates it with the project's variables, then those of its own env file(s): the
      // include's env_file (relative to the project folder), else .env in its project folder
      const given = obj(item)?.env_file;
      const envList = typeof given === 'string' ? [given] : Array.isArray(given) ? given.filter((x): x is string => typeof x === 'string') : null;
      const envPaths = envList ? envList.map((e) => path.resolve(dir, expandHome(interpolate(e, vars), o.home))) : [path.join(f.base, '.env')];
      const own = new Map(vars);
      f.envFiles = [];
      for (const ep of envPaths) {
        if (ep === path.join(dir, '.env')) continue; // (the project's own .env is in vars already)
        const et = o.read(ep);
        if (et === null) {
          if (envList) throw new ComposeLoadError(`${main.rel}:${lineAt(main.doc, main.lines, ['include']) ?? 1}: include: env_file ${relOf(dir, ep)} cannot be read`, main.rel, lineAt(main.doc, main.lines, ['include']));
          continue;
        }
        f.envFiles.push(ep);
        for (const e of readDotenv(et, shellEnv)) if (!own.has(e.name)) own.set(e.name, e.value);
      }
      if (f.envFiles.length) f.vars = own;
      files.push(f);
      includes.push(relOf(dir, abs));
    }
  }

  const errors: ComposeModel['errors'] = [];
  const unset: ComposeModel['unset'] = [];
  const note = (info: Interpolation, where: Where) => {
    for (const e of info.errors) errors.push({ ...where, message: `required variable ${e.name} is missing a value: ${e.message}` });
    for (const n of info.unset) unset.push({ ...where, name: n });
  };
  const posOf = (file: ModelFile, keys: readonly (string | number)[]) => posAt(file.doc, file.lines, keys);

  // services: main and included files define them; overrides merge into them. Each file's service is
  // interpolated and its relative paths made absolute against the file's own folder first (an included
  // or extended file's `./x` is relative to where that file is), then `extends:` is applied, then merged.
  const rawServices = new Map<string, { raw: Obj; data: Obj; file: ModelFile; alsoIn: string[]; ext: ServiceModel['extends'] }>();
  const extendsFiles = new Map<string, ModelFile>();
  const loadExtends = (from: ModelFile, p: string, at: number | undefined): ModelFile => {
    const abs = path.resolve(from.base, expandHome(interpolate(p, vars), o.home));
    const have = extendsFiles.get(abs) ?? files.find((x) => x.abs === abs);
    if (have) return have;
    const t = o.read(abs);
    if (t === null) throw new ComposeLoadError(`${from.rel}${at ? `:${at}` : ''}: extends: file ${p} cannot be read`, from.rel, at);
    const f = parseFile(dir, abs, t, 'extends', path.dirname(abs));
    extendsFiles.set(abs, f);
    return f;
  };
  const resolveService = (f: ModelFile, name: string, seen: string[]): { raw: Obj; data: Obj; ext: ServiceModel['extends'] } => {
    const at = lineAt(f.doc, f.lines, ['services', name]);
    const d = obj(obj(f.data.services)?.[name]);
    if (!d) throw new ComposeLoadError(`${f.rel}${at ? `:${at}` : ''}: extends: service "${name}" is not defined in ${f.rel}`, f.rel, at);
    if (seen.includes(`${f.abs}#${name}`)) throw new ComposeLoadError(`${f.rel}${at ? `:${at}` : ''}: extends: service "${name}" extends itself (${seen.length} steps)`, f.rel, at);
    const info = newInterpolation();
    const interpolated = (interpolateDeep(d, f.vars ?? vars, info) ?? {}) as Obj;
    const own = f.base === dir ? interpolated : rebase(interpolated, f.base, o.home);
    note(info, { file: f.rel, line: at });
    const ext = d.extends;
    if (ext === undefined || ext === null) return { raw: d, data: own, ext: null };
    const e = typeof ext === 'string' ? { service: ext } : (obj(interpolateDeep(ext, f.vars ?? vars)) ?? {});
    const extAt = lineAt(f.doc, f.lines, ['services', name, 'extends']);
    if (typeof e.service !== 'string') throw new ComposeLoadError(`${f.rel}${extAt ? `:${extAt}` : ''}: extends: of "${name}" names no service`, f.rel, extAt);
    const bf = typeof e.file === 'string' ? loadExtends(f, e.file, extAt) : f;
    const base = resolveService(bf, e.service, [...seen, `${f.abs}#${name}`]);
    const { extends: _x, ...rawOwn } = d;
    const { extends: _y, ...dataOwn } = own;
    void _x;
    void _y;
    const baseEnv = environmentEntries(base.data.environment).map((x) => x.name);
    return {
      raw: mergeService(base.raw, rawOwn),
      data: mergeService(base.data, dataOwn),
      ext: { service: e.service, file: bf.rel, line: extAt ?? at ?? 1, keys: Object.keys(base.data), env: baseEnv },
    };
  };
  for (const f of files) {
    const svcs = obj(f.data.services) ?? {};
    for (const name of Object.keys(svcs)) {
      const r = resolveService(f, name, []);
      const have = rawServices.get(name);
      if (!have) rawServices.set(name, { raw: r.raw, data: r.data, file: f, alsoIn: [], ext: r.ext });
      else {
        have.raw = mergeService(have.raw, r.raw);
        have.data = mergeService(have.data, r.data);
        have.alsoIn.push(f.rel);
      }
    }
  }
  files.push(...extendsFiles.values());
  const top: Obj = {};
  // (an included file's secrets and configs name host files relative to its own folder)
  const fileBase = new Map<string, string>();
  for (const f of files) {
    if (f.via === 'extends') continue;
    for (const k of ['volumes', 'secrets', 'configs', 'networks', 'name']) if (f.data[k] !== undefined) top[k] = k === 'name' ? f.data[k] : { ...(obj(top[k]) ?? {}), ...(obj(f.data[k]) ?? {}) };
    for (const k of ['secrets', 'configs']) for (const n of Object.keys(obj(f.data[k]) ?? {})) fileBase.set(`${k}.${n}`, f.base);
  }
  const project = projectName(dir, top, vars, shellEnv);

  const volumes: ComposeModel['volumes'] = {};
  for (const [k, v] of Object.entries(obj(top.volumes) ?? {})) {
    const d = (interpolateDeep(obj(v) ?? {}, vars) ?? {}) as Obj;
    const external = d.external === true || d.external === 'true' || obj(d.external) !== undefined;
    const explicit = typeof d.name === 'string' ? d.name : typeof obj(d.external)?.name === 'string' ? (obj(d.external)!.name as string) : undefined;
    volumes[k] = { name: explicit ?? (external ? k : `${project}_${k}`), external };
  }
  const secrets: ComposeModel['secrets'] = {};
  for (const [k, v] of Object.entries(obj(top.secrets) ?? {})) {
    const d = (interpolateDeep(obj(v) ?? {}, vars) ?? {}) as Obj;
    secrets[k] = {
      file: typeof d.file === 'string' ? path.resolve(fileBase.get(`secrets.${k}`) ?? dir, expandHome(d.file, o.home)) : null,
      external: d.external === true,
      ...(typeof d.environment === 'string' ? { environment: d.environment } : {}),
    };
  }
  const configs: ComposeModel['configs'] = {};
  for (const [k, v] of Object.entries(obj(top.configs) ?? {})) {
    const d = (interpolateDeep(obj(v) ?? {}, vars) ?? {}) as Obj;
    configs[k] = { file: typeof d.file === 'string' ? path.resolve(fileBase.get(`configs.${k}`) ?? dir, expandHome(d.file, o.home)) : null };
  }

  const networks: ComposeModel['networks'] = {};
  for (const [k, v] of Object.entries(obj(top.networks) ?? {})) {
    const d = (interpolateDeep(obj(v) ?? {}, vars) ?? {}) as Obj;
    networks[k] = { internal: truthy(d.internal), external: truthy(d.external) || obj(d.external) !== undefined };
  }

  const missingEnvFiles: ComposeModel['missingEnvFiles'] = [];
  const envFileTexts = new Map<string, string>();
  const services: ServiceModel[] = [];
  const projectVars = vars;
  for (const [name, { raw, data, file, alsoIn, ext }] of rawServices) {
    const env: EnvVar[] = [];
    const vars = file.vars ?? projectVars;
    for (const ef of envFileList(data.env_file)) {
      const abs = path.resolve(dir, expandHome(ef.path, o.home));
      const at = lineAt(file.doc, file.lines, ['services', name, 'env_file', ...(ef.index === null ? [] : [ef.index])]);
      const text = o.read(abs);
      if (text === null) {
        missingEnvFiles.push({ file: file.rel, line: at, service: name, path: relOf(dir, abs), required: ef.required });
        continue;
      }
      envFileTexts.set(abs, text);
      const scope = new Map(vars);
      for (const e of parseDotenv(text)) {
        const i = newInterpolation();
        let value: string | null;
        let refs: string[];
        if (e.value === null) {
          value = vars.get(e.name) ?? null;
          refs = [e.name];
          i.unset.add(e.name);
          if (value !== null) i.unset.clear();
        } else if (e.quote === 'single') {
          value = e.value;
          refs = [];
        } else {
          value = interpolate(e.value, scope, i);
          refs = [...i.refs];
          note(i, { file: relOf(dir, abs), line: e.line });
        }
        env.push({ name: e.name, value, raw: e.value, source: 'env_file', file: relOf(dir, abs), line: e.line, column: 1, envFile: abs, refs, unset: [...i.unset] });
      }
    }
    const rawEnv = environmentEntries(raw.environment);
    for (const e of environmentEntries(data.environment)) {
      const r = rawEnv.find((x) => x.name === e.name);
      const i = newInterpolation();
      if (r?.value) interpolate(r.value, vars, i);
      const value = e.value === null ? (vars.get(e.name) ?? null) : e.value;
      const pos = posOf(file, ['services', name, 'environment', e.key]);
      env.push({
        name: e.name,
        value,
        raw: r?.value ?? null,
        source: 'environment',
        file: file.rel,
        line: pos?.line,
        column: pos?.col,
        key: e.key,
        refs: e.value === null ? [e.name] : [...i.refs],
        unset: e.value === null ? (value === null ? [e.name] : []) : [...i.unset],
      });
    }
    const envMap = new Map<string, EnvVar>();
    for (const e of env) envMap.set(e.name, e);
    const mounts: MountModel[] = parseMounts(data.volumes).map((m) => {
      const pos = posOf(file, ['services', name, 'volumes', m.index]);
      const where = { file: file.rel, line: pos?.line, column: pos?.col };
      if (m.type === 'bind') return { ...m, resolved: path.resolve(dir, expandHome(m.source, o.home)), where };
      if (m.type === 'volume' && m.source) {
        const v = volumes[m.source];
        return { ...m, resolved: m.source, volumeName: v?.name ?? `${project}_${m.source}`, external: v?.external ?? false, where };
      }
      return { ...m, resolved: m.source, where };
    });
    const image = typeof data.image === 'string' && data.image ? imageName(data.image) : null;
    services.push({
      name,
      data,
      file,
      line: lineAt(file.doc, file.lines, ['services', name]) ?? 1,
      image: image && { repo: image.repo, tag: image.tag },
      env,
      envMap,
      mounts,
      ports: parsePorts(data.ports),
      alsoIn,
      extends: ext,
    });
  }

  return {
    dir,
    home: o.home,
    files,
    main,
    ignored: present.slice(1),
    overrides,
    includes,
    vars,
    dotenv,
    shell,
    project,
    services,
    volumes,
    secrets,
    networks,
    configs,
    errors,
    unset,
    envFileTexts,
    missingEnvFiles,
    posOf,
  };
}

/**
 * Load through an asynchronous reader: the loader runs on what has been read so far and asks for the
 * files it missed (env files and includes are only known after parsing), until nothing is missing.
 */
export async function loadModelVia(o: Omit<LoadModelOptions, 'read'> & { read: (abs: string) => Promise<string | null> }): Promise<ComposeModel> {
  const cache = new Map<string, string | null>();
  for (let round = 0; ; round++) {
    const misses: string[] = [];
    const read = (abs: string) => {
      if (cache.has(abs)) return cache.get(abs)!;
      misses.push(abs);
      return null;
    };
    let model: ComposeModel | undefined;
    let error: unknown;
    try {
      model = loadComposeModel({ ...o, read });
    } catch (e) {
      error = e;
    }
    if (misses.length === 0 || round > 8) {
      if (model) return model;
      throw error;
    }
    for (const abs of misses) cache.set(abs, await o.read(abs));
  }
}

// ---------------------------------------------------------------------------------------------
// roles

const PHOTOPRISM_IMAGE = /(^|\/)photoprism\/photoprism$/;

export function isPhotoPrismImage(repo: string | undefined): boolean {
  return Boolean(repo && PHOTOPRISM_IMAGE.test(repo));
}

export type DbImage = 'mariadb' | 'mysql' | 'linuxserver' | 'bitnami' | 'other-mariadb';

/** Which MariaDB/MySQL image a service runs (null: none of them). */
export function dbImage(repo: string | undefined): DbImage | null {
  if (!repo) return null;
  // the official images, also under their per-architecture namespaces (arm64v8/mariadb, ...)
  const official = repo.replace(/^(amd64|arm64v8|arm32v7|arm32v6|arm32v5|i386|ppc64le|s390x|riscv64)\//, '');
  if (official === 'mariadb') return 'mariadb';
  if (official === 'mysql' || repo === 'mysql/mysql-server') return 'mysql';
  if (/(^|\/)linuxserver\/mariadb$/.test(repo)) return 'linuxserver';
  if (/(^|\/)bitnami\/(mariadb|mysql)$/.test(repo)) return 'bitnami';
  if (/(^|[/-])(mariadb|mysql)$/.test(repo)) return 'other-mariadb';
  return null;
}

export interface DsnParts {
  user: string;
  password: string | null;
  protocol: string;
  address: string;
  host: string;
  database: string;
  params: string;
}

/** Go MySQL DSN: [user[:password]@][protocol[(address)]]/dbname[?params] (the password may contain @ and :). */
export function parseDsn(dsn: string): DsnParts | null {
  const slash = dsn.lastIndexOf('/');
  if (slash < 0) return null;
  const at = dsn.lastIndexOf('@', slash);
  const cred = at >= 0 ? dsn.slice(0, at) : '';
  const netPart = dsn.slice(at + 1, slash);
  const rest = dsn.slice(slash + 1);
  const colon = cred.indexOf(':');
  const m = /^([a-z0-9]*)(?:\((.*)\))?$/.exec(netPart);
  const address = m ? (m[2] ?? '') : netPart;
  const q = rest.indexOf('?');
  return {
    user: colon >= 0 ? cred.slice(0, colon) : cred,
    password: colon >= 0 ? cred.slice(colon + 1) : null,
    protocol: m ? m[1]! : '',
    address,
    host: address.replace(/^\[(.*)\](:\d+)?$/, '$1').replace(/:\d+$/, ''),
    database: q >= 0 ? rest.slice(0, q) : rest,
    params: q >= 0 ? rest.slice(q + 1) : '',
  };
}

/** Services a host name reaches on the compose network: service name, container_name, hostname, aliases. */
export function servicesNamed(model: ComposeModel, host: string): ServiceModel[] {
  const h = host.toLowerCase();
  return model.services.filter((s) => {
    if (s.name.toLowerCase() === h) return true;
    if (typeof s.data.container_name === 'string' && s.data.container_name.toLowerCase() === h) return true;
    if (typeof s.data.hostname === 'string' && s.data.hostname.toLowerCase() === h) return true;
    for (const n of Object.values(obj(s.data.networks) ?? {})) {
      const aliases = obj(n)?.aliases;
      if (Array.isArray(aliases) && aliases.some((a) => String(a).toLowerCase() === h)) return true;
    }
    return false;
  });
}

export interface Roles {
  photoprism: ServiceModel | null;
  /** every service running a photoprism/photoprism image */
  photoprismAll: ServiceModel[];
  driver: 'sqlite' | 'mysql';
  database: ServiceModel | null;
  /** where the database server is named (PHOTOPRISM_DATABASE_SERVER or the DSN), for messages */
  serverFrom: EnvVar | null;
  /** host[:port] PhotoPrism connects to, when it uses MySQL/MariaDB */
  server: string | null;
  dsn: { entry: EnvVar; parts: DsnParts } | null;
}

/** options.yml values (they win over the environment), read by the caller */
export interface OptionsView {
  DatabaseDriver?: unknown;
  DatabaseServer?: unknown;
  DatabaseDsn?: unknown;
  DatabaseDSN?: unknown;
  [k: string]: unknown;
}

export function findRoles(model: ComposeModel, options: OptionsView | null = null): Roles {
  const photoprismAll = model.services.filter((s) => isPhotoPrismImage(s.image?.repo));
  const photoprism = photoprismAll.length === 1 ? photoprismAll[0]! : null;
  const r: Roles = { photoprism, photoprismAll, driver: 'sqlite', database: null, serverFrom: null, server: null, dsn: null };
  if (!photoprism) return r;
  const get = (n: string) => {
    const e = photoprism.envMap.get(n);
    return e && e.value !== null && e.value !== '' ? e : undefined;
  };
  const optStr = (k: string) => (typeof options?.[k] === 'string' && options[k] !== '' ? (options[k] as string) : undefined);
  const dsnEntry = get('PHOTOPRISM_DATABASE_DSN');
  const dsnText = optStr('DatabaseDsn') ?? optStr('DatabaseDSN') ?? dsnEntry?.value ?? undefined;
  const driverText = (optStr('DatabaseDriver') ?? get('PHOTOPRISM_DATABASE_DRIVER')?.value ?? '').toLowerCase();
  r.driver = ['mysql', 'mariadb'].includes(driverText) ? 'mysql' : 'sqlite';
  if (dsnEntry && dsnEntry.value) {
    const parts = parseDsn(dsnEntry.value);
    if (parts) r.dsn = { entry: dsnEntry, parts };
  }
  if (r.driver !== 'mysql') return r;
  let host: string | undefined;
  if (dsnText) {
    const parts = parseDsn(dsnText);
    if (parts) {
      host = parts.host;
      r.server = parts.address;
    }
    r.serverFrom = dsnEntry ?? null;
  } else {
    const server = optStr('DatabaseServer') ?? get('PHOTOPRISM_DATABASE_SERVER')?.value ?? undefined;
    if (server) {
      r.server = server;
      r.serverFrom = get('PHOTOPRISM_DATABASE_SERVER') ?? null;
      host = server.replace(/^\[(.*)\](:\d+)?$/, '$1').replace(/:\d+$/, '');
    }
  }
  if (host) {
    const named = servicesNamed(model, host).filter((s) => s !== photoprism);
    r.database = named.length === 1 ? named[0]! : null;
  } else {
    const dbs = model.services.filter((s) => dbImage(s.image?.repo));
    r.database = dbs.length === 1 ? dbs[0]! : null;
  }
  return r;
}

/**
 * The folders PhotoPrism uses inside its container: PHOTOPRISM_STORAGE_PATH / _ORIGINALS_PATH /
 * _IMPORT_PATH / _CONFIG_PATH move them (options.yml is read from the config path, storage/config by default).
 */
export function photoprismPaths(svc: ServiceModel | null): { storage: string; originals: string; import: string; config: string; from: Partial<Record<'storage' | 'originals' | 'import' | 'config', EnvVar>> } {
  const from: Partial<Record<'storage' | 'originals' | 'import' | 'config', EnvVar>> = {};
  const get = (k: 'storage' | 'originals' | 'import' | 'config', name: string, dflt: string) => {
    const e = svc?.envMap.get(name);
    if (!e || !e.value) return dflt;
    from[k] = e;
    return path.posix.normalize(e.value).replace(/(.)\/+$/, '$1');
  };
  const storage = get('storage', 'PHOTOPRISM_STORAGE_PATH', '/photoprism/storage');
  return {
    storage,
    originals: get('originals', 'PHOTOPRISM_ORIGINALS_PATH', '/photoprism/originals'),
    import: get('import', 'PHOTOPRISM_IMPORT_PATH', '/photoprism/import'),
    config: get('config', 'PHOTOPRISM_CONFIG_PATH', `${storage}/config`),
    from,
  };
}

/**
 * The mount a container folder is on: the mount at exactly that target, or a bind mount of a parent
 * folder (its host path then points at the sub-folder; `sub` says which).
 */
export function mountFor(svc: ServiceModel | null, target: string): (MountModel & { sub: string }) | undefined {
  const exact = mountAt(svc, target);
  if (exact) return { ...exact, sub: '' };
  let best: MountModel | undefined;
  for (const m of svc?.mounts ?? []) {
    const t = m.target.replace(/\/+$/, '');
    if (t && target.startsWith(`${t}/`) && (!best || t.length > best.target.replace(/\/+$/, '').length)) best = m;
  }
  if (!best) return undefined;
  const sub = target.slice(best.target.replace(/\/+$/, '').length + 1);
  return { ...best, sub, resolved: best.type === 'bind' ? path.join(best.resolved, sub) : best.resolved };
}

/** The storage/originals/import mounts of the PhotoPrism service, the data mount of the database. */
export function mountAt(svc: ServiceModel | null, target: string): MountModel | undefined {
  if (!svc) return undefined;
  const t = target.replace(/\/+$/, '');
  return svc.mounts.find((m) => m.target.replace(/\/+$/, '') === t);
}

export function isComposeRoot(doc: Document): boolean {
  return isMap(doc.contents);
}
