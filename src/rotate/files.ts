// The files a rotation touches: the secret files in .secrets/, one key of options.yml, the staged old
// and new values beside them, and a small journal. Every write is atomic (apply.ts's writer: temp file
// with its final mode, O_EXCL|O_NOFOLLOW, fsync, rename) and keeps the file's owner and mode. The
// journal holds no password: the two values of a rotation in flight are staged as secret files
// (.secrets/, 0700; files 0600), so a run killed at any step leaves both on disk for the next run.

import { promises as fsp } from 'node:fs';
import path from 'node:path';
import { parseDocument, isMap, isScalar } from 'yaml';
import { writeFileAtomic } from '../apply.js';
import { yamlScalar } from '../render.js';
import { lstatInfo } from '../state.js';

export const JOURNAL = '.photoprism-harden/rotate.json';

export type Target = 'databaseRoot' | 'database' | 'admin';

export interface Journal {
  tool: 'photoprism-harden';
  target: Target;
  /** what the run was doing when it wrote the journal last */
  phase: 'staged' | 'changing' | 'changed' | 'swapped' | 'restarted' | 'rolling-back';
  started: string;
}

export class FileError extends Error {}

/** Refuse a symlink (or anything but a regular file) where a file is read or replaced. */
async function regular(abs: string, rel: string): Promise<{ exists: boolean; uid: number; gid: number; mode: number }> {
  const info = await lstatInfo(abs);
  if (info.isSymlink) throw new FileError(`${rel} is a symbolic link; refusing to read or write through it`);
  if (info.exists && info.isDir) throw new FileError(`${rel} is a folder, expected a file`);
  return { exists: info.exists, uid: info.uid, gid: info.gid, mode: info.mode & 0o777 };
}

/** Every folder from dir down to the file's folder must be a real folder, not a link. */
async function realFolders(dir: string, rel: string): Promise<void> {
  let cur = dir;
  for (const part of path.dirname(rel).split('/').filter((p) => p && p !== '.')) {
    cur = path.join(cur, part);
    const info = await lstatInfo(cur);
    if (info.isSymlink) throw new FileError(`${path.relative(dir, cur)} is a symbolic link; refusing to write through it`);
    if (info.exists && !info.isDir) throw new FileError(`${path.relative(dir, cur)} is not a folder`);
  }
}

export async function readSecret(dir: string, rel: string): Promise<string | undefined> {
  await realFolders(dir, rel);
  const abs = path.join(dir, rel);
  const info = await regular(abs, rel);
  if (!info.exists) return undefined;
  return (await fsp.readFile(abs, 'utf8')).replace(/\n+$/, '');
}

/** Write a secret file atomically: `like` gives owner and mode (default: this user, 0600). */
export async function writeSecret(dir: string, rel: string, value: string, like?: { uid: number; gid: number; mode: number }): Promise<void> {
  await realFolders(dir, rel);
  const abs = path.join(dir, rel);
  const cur = await regular(abs, rel);
  const owner = like ?? (cur.exists ? cur : undefined);
  await writeFileAtomic(abs, value, 0o600, owner ? { uid: owner.uid, gid: owner.gid } : null);
}

export async function removeFile(dir: string, rel: string): Promise<void> {
  await realFolders(dir, rel);
  await fsp.rm(path.join(dir, rel), { force: true });
}

export async function fileOwner(dir: string, rel: string): Promise<{ uid: number; gid: number; mode: number } | undefined> {
  const abs = path.join(dir, rel);
  const info = await regular(abs, rel);
  return info.exists ? info : undefined;
}

/** A top-level string value of options.yml. */
export function optionOf(text: string, key: string): string | undefined {
  const doc = parseDocument(text);
  if (doc.errors.length) return undefined;
  const v = doc.get(key);
  return typeof v === 'string' ? v : undefined;
}

/**
 * options.yml with one top-level key set to `value`: only that scalar's text changes (comments, order
 * and every other key stay byte for byte); a missing key is appended. The result is parsed back.
 */
export function withOption(text: string, key: string, value: string): string {
  const doc = parseDocument(text, { keepSourceTokens: true });
  if (doc.errors.length) throw new FileError(`options file is not valid YAML: ${doc.errors[0]!.message.split('\n')[0]}`);
  const scalar = yamlScalar(value);
  let out: string;
  const pair = isMap(doc.contents) ? doc.contents.items.find((p) => isScalar(p.key) && p.key.value === key) : undefined;
  if (pair && isScalar(pair.value) && pair.value.range) {
    const [start, end] = pair.value.range;
    out = text.slice(0, start) + scalar + text.slice(end);
  } else if (!pair) {
    out = `${text.replace(/\n*$/, '\n')}${key}: ${scalar}\n`;
  } else {
    throw new FileError(`${key} in the options file is not a plain value; change it by hand`);
  }
  if (optionOf(out, key) !== value) throw new FileError(`could not write ${key} into the options file so that it reads back the same`);
  return out;
}

export async function setOption(dir: string, rel: string, key: string, value: string): Promise<void> {
  await realFolders(dir, rel);
  const abs = path.join(dir, rel);
  const info = await regular(abs, rel);
  if (!info.exists) throw new FileError(`${rel} does not exist`);
  const text = await fsp.readFile(abs, 'utf8');
  if (optionOf(text, key) === value) return;
  await writeFileAtomic(abs, withOption(text, key, value), info.mode, { uid: info.uid, gid: info.gid });
}

export async function readJournal(dir: string): Promise<Journal | undefined> {
  await realFolders(dir, JOURNAL);
  const abs = path.join(dir, JOURNAL);
  const info = await regular(abs, JOURNAL);
  if (!info.exists) return undefined;
  try {
    const j = JSON.parse(await fsp.readFile(abs, 'utf8')) as Journal;
    if (!['databaseRoot', 'database', 'admin'].includes(j.target)) throw new Error('unknown target');
    return j;
  } catch (e) {
    throw new FileError(`${JOURNAL} cannot be read (${(e as Error).message}); look at it, then delete it`);
  }
}

export async function writeJournal(dir: string, j: Journal): Promise<void> {
  await realFolders(dir, JOURNAL);
  const folder = path.join(dir, path.dirname(JOURNAL));
  const info = await lstatInfo(folder);
  if (!info.exists) await fsp.mkdir(folder, { mode: 0o700 });
  await writeFileAtomic(path.join(dir, JOURNAL), `${JSON.stringify(j, null, 2)}\n`, 0o600, null);
}

export async function clearJournal(dir: string): Promise<void> {
  await removeFile(dir, JOURNAL);
}
