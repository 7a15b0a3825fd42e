// Reading the current state of the target directory (read-only I/O). The plan is computed from this.

import { promises as fsp } from 'node:fs';
import path from 'node:path';
import { COMPOSE_FILE, SECRET_FILES } from './domain.js';
import { TARGET_PATHS } from './targets/registry.js';

export interface PathInfo {
  exists: boolean;
  isSymlink: boolean;
  isDir: boolean;
  uid: number;
  gid: number;
  mode: number;
}

export interface TargetState {
  dir: string;
  /** lstat of every path the plan may touch, keyed by path relative to dir */
  paths: Record<string, PathInfo>;
  /** contents of existing regular files the plan reads (compose, options, secrets, .gitignore) */
  contents: Record<string, string>;
  /** storage/settings exists: PhotoPrism then reads options.yml from there (legacy layout) */
  legacySettings: boolean;
  /** the database folder holds an initialised MariaDB data directory */
  databaseInitialised: boolean;
  /** the compose file in use (an existing one under any of the four names), relative to dir */
  composeFile: string;
  /** every compose file name that exists (more than one: Compose uses the first) */
  composeFilesFound: string[];
  /** where PhotoPrism reads options: the legacy settings folder wins when it exists; an existing .yaml is kept */
  optionsFile: string;
  /**
   * the existing options file previous answers and secrets are read from: optionsFile when it exists,
   * else one in the other folder (storage/config/options.yml when storage/settings/ appeared later)
   */
  optionsSource: string;
  /** the storage folder (host side of /photoprism/storage) as a key of `paths`; absent: "storage" */
  storage?: string;
  /** extra files read for adoption (env files, .env), by path relative to dir (absolute outside it) */
  extraFiles?: string[];
}

/** `p` relative to dir when inside it, else absolute: the key of a path in TargetState. */
export function stateKey(dir: string, p: string): string {
  const r = path.relative(dir, path.resolve(dir, p));
  return r && !r.startsWith('..') && !path.isAbsolute(r) ? r : path.resolve(dir, p);
}

const MISSING: PathInfo = { exists: false, isSymlink: false, isDir: false, uid: -1, gid: -1, mode: 0 };

/** What a stat says, as PathInfo. */
export const infoOf = (st: import('node:fs').Stats): PathInfo => ({
  exists: true,
  isSymlink: st.isSymbolicLink(),
  isDir: st.isDirectory(),
  uid: st.uid,
  gid: st.gid,
  mode: st.mode & 0o7777,
});

export async function lstatInfo(p: string): Promise<PathInfo> {
  try {
    return infoOf(await fsp.lstat(p));
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT' || (e as NodeJS.ErrnoException).code === 'ENOTDIR') return MISSING;
    throw e;
  }
}

/** Like lstatInfo, but follows symlinks (a bind-mount source is resolved by Docker). */
export async function statInfo(p: string): Promise<PathInfo> {
  try {
    const st = await fsp.stat(p);
    return { exists: true, isSymlink: false, isDir: st.isDirectory(), uid: st.uid, gid: st.gid, mode: st.mode & 0o7777 };
  } catch (e) {
    if (['ENOENT', 'ENOTDIR', 'ELOOP'].includes((e as NodeJS.ErrnoException).code ?? '')) return MISSING;
    throw e;
  }
}

/**
 * Does the database folder hold anything (MariaDB data, or anything else: a half-initialised or a
 * restored data folder counts too)? A folder this process may not list counts as initialised: the
 * safe side, since an initialised database with a new password is the harm to avoid.
 */
async function hasContent(dir: string, info: PathInfo): Promise<boolean> {
  if (!info.exists) return false;
  if (!info.isDir) return true;
  try {
    const d = await fsp.opendir(dir);
    try {
      return (await d.read()) !== null;
    } finally {
      await d.close().catch(() => {});
    }
  } catch {
    return true;
  }
}

/** Compose's own lookup order: the first that exists is the one `docker compose` uses. */
export const COMPOSE_NAMES = ['compose.yaml', 'compose.yml', 'docker-compose.yaml', 'docker-compose.yml'] as const;

/** options file names PhotoPrism accepts in its config folder, preferred first */
export const OPTIONS_NAMES = ['options.yml', 'options.yaml'] as const;

/** Paths the plan may create or change, relative to the install directory. */
export const MANAGED_PATHS = [
  ...COMPOSE_NAMES,
  '.gitignore',
  '.secrets',
  SECRET_FILES.dbPassword,
  SECRET_FILES.dbRootPassword,
  'storage',
  'storage/config',
  'storage/config/options.yml',
  'storage/config/options.yaml',
  'storage/settings',
  'storage/settings/options.yml',
  'storage/settings/options.yaml',
  'database',
  '.photoprism-harden/state.json',
  ...TARGET_PATHS,
] as const;

const READ_CONTENTS = new Set<string>([
  ...COMPOSE_NAMES,
  '.photoprism-harden/state.json',
  '.gitignore',
  SECRET_FILES.dbPassword,
  SECRET_FILES.dbRootPassword,
  'storage/config/options.yml',
  'storage/config/options.yaml',
  'storage/settings/options.yml',
  'storage/settings/options.yaml',
  ...TARGET_PATHS,
]);

/** Read what is there now. Never follows a symlink for a managed path. */
/** The same state with `extra` host paths (originals, import) stat-ed too, following links like Docker does. */
export async function withHostPaths(state: TargetState, extra: string[]): Promise<TargetState> {
  const paths = { ...state.paths };
  for (const p of extra) paths[p] = await statInfo(path.resolve(state.dir, p));
  return { ...state, paths };
}

export interface StateLayout {
  /** host folder mounted at /photoprism/storage (absolute), when it is not ./storage */
  storage?: string;
  /** host folder of the database data, when it is a bind mount (absolute); null: a named volume or SQLite */
  database?: string | null;
  /** further files whose content adoption reads and may rewrite (env files, .env), absolute */
  files?: string[];
}

export async function readTargetState(dir: string, extraPaths: string[] = [], layout: StateLayout = {}): Promise<TargetState> {
  const abs = path.resolve(dir);
  const paths: Record<string, PathInfo> = {};
  const contents: Record<string, string> = {};
  const sp = layout.storage ? stateKey(abs, layout.storage) : 'storage';
  const join = (...p: string[]) => (path.isAbsolute(sp) ? path.join(sp, ...p) : path.posix.join(sp, ...p));
  const storagePaths = [sp, join('config'), join('config', 'options.yml'), join('config', 'options.yaml'), join('settings'), join('settings', 'options.yml'), join('settings', 'options.yaml')];
  const managed = new Set<string>([...MANAGED_PATHS.filter((p) => p !== 'storage' && !p.startsWith('storage/')), ...storagePaths]);
  const extraFiles = (layout.files ?? []).map((f) => stateKey(abs, f));
  const read = new Set<string>([...READ_CONTENTS].filter((p) => !p.startsWith('storage/')).concat(storagePaths.filter((p) => /options\.ya?ml$/.test(p)), extraFiles));
  // every path is looked at side by side (one after the other, each stat waited for its own turn in
  // Node's thread pool: ~40 paths, twice a run); the results keep this order
  const all = [...new Set([...managed, ...extraFiles, ...extraPaths])];
  const infos = await Promise.all(
    all.map(async (rel) => {
      // managed paths: lstat (a symlink is refused later); originals/import: follow links like Docker does
      const info = managed.has(rel) || extraFiles.includes(rel) ? await lstatInfo(path.resolve(abs, rel)) : await statInfo(path.resolve(abs, rel));
      const text = info.exists && !info.isSymlink && !info.isDir && read.has(rel) ? await fsp.readFile(path.resolve(abs, rel), 'utf8') : undefined;
      return { info, text };
    }),
  );
  for (const [i, rel] of all.entries()) {
    paths[rel] = infos[i]!.info;
    if (infos[i]!.text !== undefined) contents[rel] = infos[i]!.text!;
  }
  const legacy = paths[join('settings')]!;
  // the database's data folder: ./database, an adopted bind mount elsewhere, or (null) a named volume or
  // SQLite, which counts as initialised (its content cannot be seen from here)
  const dbDir = layout.database === undefined ? path.join(abs, 'database') : layout.database;
  const databaseInitialised = dbDir ? await hasContent(dbDir, await lstatInfo(dbDir)) : layout.database === null;
  const legacySettings = legacy.exists && legacy.isDir && !legacy.isSymlink;
  const composeFilesFound = COMPOSE_NAMES.filter((n) => paths[n]!.exists);
  const optionsDir = legacySettings ? join('settings') : join('config');
  const optionsFile =
    OPTIONS_NAMES.map((n) => (path.isAbsolute(optionsDir) ? path.join(optionsDir, n) : `${optionsDir}/${n}`)).find((p) => paths[p]!.exists) ??
    (path.isAbsolute(optionsDir) ? path.join(optionsDir, 'options.yml') : `${optionsDir}/options.yml`);
  const otherDir = legacySettings ? join('config') : join('settings');
  const optionsSource = paths[optionsFile]!.exists
    ? optionsFile
    : (OPTIONS_NAMES.map((n) => (path.isAbsolute(otherDir) ? path.join(otherDir, n) : `${otherDir}/${n}`)).find((p) => contents[p] !== undefined) ?? optionsFile);
  return {
    dir: abs,
    paths,
    contents,
    legacySettings,
    databaseInitialised,
    composeFile: composeFilesFound[0] ?? COMPOSE_FILE,
    composeFilesFound,
    optionsFile,
    optionsSource,
    ...(layout.storage ? { storage: sp } : {}),
    ...(extraFiles.length ? { extraFiles } : {}),
  };
}
