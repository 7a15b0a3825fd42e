// Apply: the only place that writes to the disk. Every file is written atomically (temp file in the same
// folder, created with its final mode at open time, O_EXCL|O_NOFOLLOW, fsync, rename), never through a
// symlink. Nothing is written until the check of every planned path (checkPlannedPaths) has passed, and no file is
// renamed into place until every new file is complete.

import { constants, promises as fsp } from 'node:fs';
import { randomBytes } from 'node:crypto';
import path from 'node:path';
import { secretFileValue } from './domain.js';
import { shellQuote } from './text.js';
import type { Owner, Plan, PlannedDir, PlannedFile } from './plan.js';
import { lstatInfo } from './state.js';

export class ApplyError extends Error {}

export interface ApplyResult {
  written: string[];
  unchanged: string[];
  createdDirs: string[];
  fixedDirs: string[];
  backups: string[];
  /** commands the user must run because this process may not chown (not root) */
  manual: string[];
  /** entries re-owned below folders whose UID/GID changed */
  reowned: number;
}

const abs = (plan: Plan, p: string) => (path.isAbsolute(p) ? p : path.join(plan.dir, p));

/** Refuse symlinks and wrong file types anywhere the plan would write, before writing anything. */
export async function checkPlannedPaths(plan: Plan): Promise<void> {
  const problems: string[] = [];
  const dirInfo = await lstatInfo(plan.dir);
  if (dirInfo.exists && (dirInfo.isSymlink ? !(await fsp.stat(plan.dir)).isDirectory() : !dirInfo.isDir)) {
    problems.push(`${plan.dir} exists and is not a folder`);
  }
  for (const d of plan.dirs) {
    const info = await lstatInfo(abs(plan, d.path));
    if (info.isSymlink && d.policy === 'ensure') problems.push(`${d.path} is a symbolic link; refusing to write through it`);
    else if (info.exists && !info.isDir && !info.isSymlink) problems.push(`${d.path} exists and is not a folder`);
  }
  for (const f of plan.files) {
    const p = abs(plan, f.path);
    const info = await lstatInfo(p);
    if (info.isSymlink) problems.push(`${f.path} is a symbolic link; refusing to write through it`);
    else if (info.isDir) problems.push(`${f.path} is a folder, expected a file`);
    // every folder between the install dir and the file must be a real folder, not a link
    let parent = path.dirname(p);
    while (parent.startsWith(plan.dir) && parent !== plan.dir) {
      const pi = await lstatInfo(parent);
      if (pi.isSymlink) {
        problems.push(`${path.relative(plan.dir, parent)} is a symbolic link; refusing to write through it`);
        break;
      }
      parent = path.dirname(parent);
    }
    if (f.secret === 'whole' && f.status === 'update' && !f.replace) {
      // the same secret with trailing newlines (MariaDB strips them) may be rewritten without them
      const old = info.exists && !info.isSymlink && !info.isDir ? await fsp.readFile(p, 'utf8') : undefined;
      if (old === undefined || secretFileValue(old) !== f.content) {
        problems.push(`${f.path} already exists with another value; existing secrets are never replaced`);
      }
    }
  }
  if (problems.length) throw new ApplyError(`nothing was written:\n  - ${problems.join('\n  - ')}`);
}

async function tryChown(target: string, o: Owner, manual: Map<string, string[]>, fh?: fsp.FileHandle): Promise<void> {
  try {
    if (fh) await fh.chown(o.uid, o.gid);
    else await fsp.lchown(target, o.uid, o.gid);
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    if (code !== 'EPERM' && code !== 'EINVAL') throw e;
    const key = `${o.uid}:${o.gid}`;
    manual.set(key, [...(manual.get(key) ?? []), target]);
  }
}

/** A new file's content in a temporary file beside its target, waiting for the rename. */
interface Prepared {
  tmp: string;
  target: string;
}

/**
 * Write `content` to a temporary file beside `target`: created with `mode` at open time
 * (O_EXCL|O_NOFOLLOW), owner set, fsynced. Nothing is visible under `target` until `commit`.
 */
async function prepareFile(
  target: string,
  content: string | Buffer,
  mode: number,
  owner: Owner | null,
  manual: Map<string, string[]> = new Map(),
): Promise<Prepared> {
  const info = await lstatInfo(target);
  if (info.isSymlink) throw new ApplyError(`${target} is a symbolic link; refusing to write through it`);
  const tmp = path.join(path.dirname(target), `.${path.basename(target)}.${randomBytes(6).toString('hex')}.tmp`);
  const fh = await fsp.open(tmp, constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL | constants.O_NOFOLLOW, mode);
  try {
    try {
      await fh.writeFile(content);
      await fh.chmod(mode); // the umask may have taken bits away; set exactly
      if (owner) await tryChown(target, owner, manual, fh);
      await fh.sync();
    } finally {
      await fh.close();
    }
  } catch (e) {
    await fsp.rm(tmp, { force: true });
    throw e;
  }
  return { tmp, target };
}

/** Put a prepared file in place: rename(2) replaces the target atomically (a symlink there is replaced, never followed). */
async function commit(p: Prepared): Promise<void> {
  try {
    await fsp.rename(p.tmp, p.target);
  } catch (e) {
    await discard(p);
    throw e;
  }
}

async function discard(p: Prepared): Promise<void> {
  await fsp.rm(p.tmp, { force: true });
}

/** Remove the temporary files of outcomes not renamed into place. */
function discardAll(outcomes: readonly { prepared?: Prepared }[]): Promise<unknown> {
  return Promise.all(outcomes.flatMap((o) => (o.prepared ? [discard(o.prepared)] : [])));
}

/** Write `content` to `target` atomically with `mode` (and owner) set before the name appears. */
export async function writeFileAtomic(
  target: string,
  content: string | Buffer,
  mode: number,
  owner: Owner | null,
  manual: Map<string, string[]> = new Map(),
): Promise<void> {
  await commit(await prepareFile(target, content, mode, owner, manual));
  await syncDir(path.dirname(target));
}

async function syncDir(dir: string): Promise<void> {
  try {
    const d = await fsp.open(dir, constants.O_RDONLY | constants.O_DIRECTORY);
    try {
      await d.sync();
    } finally {
      await d.close();
    }
  } catch {
    /* some filesystems cannot fsync a directory; the rename is still atomic */
  }
}

/** Backups of replaced files: BACKUP_DIR/<timestamp>/<path>, folder 0700, the newest KEEP_BACKUPS runs kept. */
export const BACKUP_DIR = '.photoprism-harden/backups';
export const KEEP_BACKUPS = 5;

async function ensureBackupDirs(root: string, dir: string): Promise<void> {
  const rel = path.relative(root, dir).split(path.sep);
  let cur = root;
  for (const part of rel) {
    cur = path.join(cur, part);
    let info = await lstatInfo(cur);
    if (!info.exists) {
      try {
        await fsp.mkdir(cur, { mode: 0o700 });
      } catch (e) {
        if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e;
      }
      info = await lstatInfo(cur); // (another file's backup, written side by side, may have made it)
    }
    if (info.isSymlink) throw new ApplyError(`${cur} is a symbolic link; refusing to write a backup through it`);
    if (!info.isDir) throw new ApplyError(`${cur} is not a folder; cannot write a backup into it`);
  }
}

async function pruneBackups(root: string): Promise<void> {
  const dir = path.join(root, BACKUP_DIR);
  let runs: string[];
  try {
    runs = (await fsp.readdir(dir)).filter((n) => BACKUP_RUN.test(n)).sort(byRun);
  } catch {
    return;
  }
  for (const old of runs.slice(0, Math.max(0, runs.length - KEEP_BACKUPS))) {
    await fsp.rm(path.join(dir, old), { recursive: true, force: true });
  }
}

const BACKUP_RUN = /^(\d{8}-\d{6})(?:-(\d+))?$/;

/** oldest first: by timestamp, then by the numeric suffix of runs within the same second */
function byRun(a: string, b: string): number {
  const ma = BACKUP_RUN.exec(a)!;
  const mb = BACKUP_RUN.exec(b)!;
  return ma[1]! < mb[1]! ? -1 : ma[1]! > mb[1]! ? 1 : Number(ma[2] ?? 0) - Number(mb[2] ?? 0);
}

/**
 * A new backup folder for this run: <timestamp>, or <timestamp>-N when runs in the same second made
 * some already. N is above every existing one, so a name freed by pruning is never reused (it would
 * sort as the oldest run and be pruned at once).
 */
async function newBackupRun(root: string, now: Date): Promise<string> {
  const base = path.join(root, BACKUP_DIR);
  await ensureBackupDirs(root, base);
  let n = 0;
  for (const name of await fsp.readdir(base)) {
    const m = BACKUP_RUN.exec(name);
    if (m && m[1] === stamp(now)) n = Math.max(n, Number(m[2] ?? 0) + 1);
  }
  for (; ; n++) {
    const name = n === 0 ? stamp(now) : `${stamp(now)}-${n}`;
    try {
      await fsp.mkdir(path.join(base, name), { mode: 0o700 });
      return path.join(base, name);
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e;
    }
  }
}

function stamp(now: Date): string {
  const p = (n: number) => String(n).padStart(2, '0');
  return `${now.getFullYear()}${p(now.getMonth() + 1)}${p(now.getDate())}-${p(now.getHours())}${p(now.getMinutes())}${p(now.getSeconds())}`;
}

async function ensureDir(
  plan: Plan,
  d: PlannedDir,
  result: ApplyResult,
  manual: Map<string, string[]>,
  progress?: (visited: number, changed: number) => void,
): Promise<void> {
  const p = abs(plan, d.path);
  const info = await lstatInfo(p);
  if (!info.exists) {
    await fsp.mkdir(path.dirname(p), { recursive: true });
    await fsp.mkdir(p, { mode: d.mode });
    await fsp.chmod(p, d.mode);
    if (d.owner) await tryChown(p, d.owner, manual);
    result.createdDirs.push(d.path);
    return;
  }
  if (d.policy === 'if-missing') return;
  let fixed = false;
  if ((info.mode & 0o7777) !== d.mode) {
    await fsp.chmod(p, d.mode);
    fixed = true;
  }
  if (d.owner && (info.uid !== d.owner.uid || info.gid !== d.owner.gid)) {
    if (d.recursive) {
      const { reownTree } = await import('./reown.js');
      const r = await reownTree(p, d.owner.uid, d.owner.gid, progress, d.keep);
      result.reowned += r.changed;
      if (r.denied) {
        const key = `-R ${d.owner.uid}:${d.owner.gid}`;
        manual.set(key, [...(manual.get(key) ?? []), p]);
      }
    } else await tryChown(p, d.owner, manual);
    fixed = true;
  }
  if (fixed) result.fixedDirs.push(d.path);
}

/** What preparing one planned file did (merged into the ApplyResult in plan order). */
interface FileOutcome {
  path: string;
  prepared?: Prepared;
  unchanged?: boolean;
  backup?: string;
  manual: Map<string, string[]>;
}

async function prepareWrite(plan: Plan, f: PlannedFile, backupRun: () => Promise<string>): Promise<FileOutcome> {
  const p = abs(plan, f.path);
  const out: FileOutcome = { path: f.path, manual: new Map() };
  if (f.status === 'unchanged') {
    // content is right; make sure mode and owner are too
    const info = await lstatInfo(p);
    if ((info.mode & 0o777) !== f.mode) await fsp.chmod(p, f.mode);
    if (f.owner && (info.uid !== f.owner.uid || info.gid !== f.owner.gid)) await tryChown(p, f.owner, out.manual);
    out.unchanged = true;
    return out;
  }
  if (f.status === 'update') {
    const info = await lstatInfo(p);
    const backup = path.join(await backupRun(), f.path);
    await ensureBackupDirs(plan.dir, path.dirname(backup));
    // same mode and owner as the original: a backup of options.yml stays 0600 uid:gid
    await writeFileAtomic(backup, await fsp.readFile(p), info.mode & 0o777, { uid: info.uid, gid: info.gid }, out.manual);
    out.backup = path.relative(plan.dir, backup);
  }
  out.prepared = await prepareFile(p, f.content, f.mode, f.owner, out.manual);
  return out;
}

export async function applyPlan(
  plan: Plan,
  now = new Date(),
  progress?: (visited: number, changed: number) => void,
): Promise<ApplyResult> {
  await checkPlannedPaths(plan);
  const result: ApplyResult = { written: [], unchanged: [], createdDirs: [], fixedDirs: [], backups: [], manual: [], reowned: 0 };
  const manual = new Map<string, string[]>();
  await fsp.mkdir(plan.dir, { recursive: true, mode: 0o755 });
  for (const d of plan.dirs) await ensureDir(plan, d, result, manual, progress);
  // one backup folder per run, made when the first file is replaced (never shared with an earlier run)
  let run: Promise<string> | undefined;
  const backupRun = () => (run ??= newBackupRun(plan.dir, now));
  // Every new file is first written in full to its temporary file, side by side (their fsyncs
  // overlap instead of queueing). Only when all of them are complete are they renamed into place, in
  // plan order: a write that fails (full disk, file-size limit) changes none of the files.
  const settled = await Promise.allSettled(plan.files.map((f) => prepareWrite(plan, f, backupRun)));
  const failed = settled.find((x): x is PromiseRejectedResult => x.status === 'rejected');
  const outcomes = settled.flatMap((x) => (x.status === 'fulfilled' ? [x.value] : []));
  if (failed) {
    await discardAll(outcomes);
    throw failed.reason;
  }
  const dirsToSync = new Set<string>();
  for (const [i, o] of outcomes.entries()) {
    if (o.prepared) {
      try {
        await commit(o.prepared);
      } catch (e) {
        // (a rename failing after the files are complete: the remaining temporary files go)
        await discardAll(outcomes.slice(i + 1));
        throw e;
      }
      dirsToSync.add(path.dirname(o.prepared.target));
      result.written.push(o.path);
    }
    if (o.unchanged) result.unchanged.push(o.path);
    if (o.backup) result.backups.push(o.backup);
    for (const [k, targets] of o.manual) manual.set(k, [...(manual.get(k) ?? []), ...targets]);
  }
  await Promise.all([...dirsToSync].map(syncDir));
  if (result.backups.length) await pruneBackups(plan.dir);
  for (const [o, targets] of manual) {
    result.manual.push(`sudo chown ${o} ${targets.map(shellQuote).join(' ')}`);
  }
  return result;
}

