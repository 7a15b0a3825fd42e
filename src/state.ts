// Reading the current state of the target directory (read-only I/O). The plan is computed from this.

import { promises as fsp } from 'node:fs';
import path from 'node:path';
import { COMPOSE_FILE, SECRET_FILES } from './domain.js';

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
}

const MISSING: PathInfo = { exists: false, isSymlink: false, isDir: false, uid: -1, gid: -1, mode: 0 };

export async function lstatInfo(p: string): Promise<PathInfo> {
  try {
    const st = await fsp.lstat(p);
    return {
      exists: true,
      isSymlink: st.isSymbolicLink(),
      isDir: st.isDirectory(),
      uid: st.uid,
      gid: st.gid,
      mode: st.mode & 0o7777,
    };
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
] as const;

const READ_CONTENTS = new Set<string>([
  ...COMPOSE_NAMES,
  '.gitignore',
  SECRET_FILES.dbPassword,
  SECRET_FILES.dbRootPassword,
  'storage/config/options.yml',
  'storage/config/options.yaml',
  'storage/settings/options.yml',
  'storage/settings/options.yaml',
]);

/** Read what is there now. Never follows a symlink for a managed path. */
/** The same state with `extra` host paths (originals, import) stat-ed too, following links like Docker does. */
export async function withHostPaths(state: TargetState, extra: string[]): Promise<TargetState> {
  const paths = { ...state.paths };
  for (const p of extra) paths[p] = await statInfo(path.resolve(state.dir, p));
  return { ...state, paths };
}

export async function readTargetState(dir: string, extraPaths: string[] = []): Promise<TargetState> {
  const abs = path.resolve(dir);
  const paths: Record<string, PathInfo> = {};
  const contents: Record<string, string> = {};
  for (const rel of [...MANAGED_PATHS, ...extraPaths]) {
    // managed paths: lstat (a symlink is refused later); originals/import: follow links like Docker does
    const info = (MANAGED_PATHS as readonly string[]).includes(rel) ? await lstatInfo(path.resolve(abs, rel)) : await statInfo(path.resolve(abs, rel));
    paths[rel] = info;
    if (info.exists && !info.isSymlink && !info.isDir && READ_CONTENTS.has(rel)) {
      contents[rel] = await fsp.readFile(path.join(abs, rel), 'utf8');
    }
  }
  const legacy = paths['storage/settings']!;
  const databaseInitialised = await hasContent(path.join(abs, 'database'), paths['database']!);
  const legacySettings = legacy.exists && legacy.isDir && !legacy.isSymlink;
  const composeFilesFound = COMPOSE_NAMES.filter((n) => paths[n]!.exists);
  const optionsDir = legacySettings ? 'storage/settings' : 'storage/config';
  const optionsFile =
    OPTIONS_NAMES.map((n) => `${optionsDir}/${n}`).find((p) => paths[p]!.exists) ?? `${optionsDir}/options.yml`;
  const otherDir = legacySettings ? 'storage/config' : 'storage/settings';
  const optionsSource = paths[optionsFile]!.exists
    ? optionsFile
    : (OPTIONS_NAMES.map((n) => `${otherDir}/${n}`).find((p) => contents[p] !== undefined) ?? optionsFile);
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
  };
}
