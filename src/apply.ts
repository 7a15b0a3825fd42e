// Apply: the only place that writes to the disk. Every file is written atomically (temp file in the same
// folder, created with its final mode at open time, O_EXCL|O_NOFOLLOW, fsync, rename), never through a
// symlink. Nothing is written until the check of every planned path (checkPlannedPaths) has passed, and no file is
// renamed into place until every new file is complete.
//
// storage/ belongs to the container, which may swap any folder in it for a symlink at any moment:
// every folder is opened component by component without following links and everything in it is
// done relative to that descriptor (src/fsat.ts), so no chmod, chown, write or rename can land
// outside. The order makes an interrupted or failed run harmless and finishable by the next one:
//   1. missing folders are created (removed again if the run fails),
//   2. every new file is written to its temporary file (backups of replaced files first, with the
//      original's owner and mode),
//   3. existing folders get their mode and owner; a recursive re-own of storage/ changes storage/
//      itself last, so an interrupted one is seen as not done and done again by the next run,
//   4. the temporary files are renamed into place, in plan order.
// Stale temporary files of a killed run (they may hold passwords) are removed at the start.

import { constants, promises as fsp } from 'node:fs';
import { randomBytes } from 'node:crypto';
import path from 'node:path';
import { secretFileValue } from './domain.js';
import { PinnedDir } from './fsat.js';
import { JOURNAL_FILE, STATE_DIR } from './runlock.js';
import { shellQuote } from './text.js';
import type { Owner, Plan, PlannedDir, PlannedFile } from './plan.js';
import { infoOf, lstatInfo, type PathInfo } from './state.js';

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
  /** temporary files of an earlier, killed run that were removed (relative paths) */
  staleRemoved: string[];
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

type Manual = Map<string, string[]>;

function addManual(manual: Manual, key: string, target: string): void {
  manual.set(key, [...(manual.get(key) ?? []), target]);
}

/** chown through `chown`; EPERM/EINVAL (not root, an id the file system cannot store) become a command for the user */
async function tryChown(shown: string, o: Owner, manual: Manual, chown: (uid: number, gid: number) => Promise<void>): Promise<void> {
  try {
    await chown(o.uid, o.gid);
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    if (code !== 'EPERM' && code !== 'EINVAL') throw e;
    addManual(manual, `${o.uid}:${o.gid}`, shown);
  }
}


/** lstat of entry `name` of a pinned folder */
async function lstatAt(dir: PinnedDir, name: string): Promise<PathInfo> {
  return lstatInfo(dir.at(name));
}

/** Temporary files this tool writes: .<name>.<12 hex>.tmp beside their target. */
export const TEMP_FILE = /^\..+\.[0-9a-f]{12}\.tmp$/;

/** A new file's content in a temporary file beside its target, waiting for the rename. */
interface Prepared {
  dir: PinnedDir;
  tmp: string;
  name: string;
  /** the target's path, for messages */
  target: string;
}

/**
 * Write `content` to a temporary file beside entry `name` of `dir`: created with `mode` at open time
 * (O_EXCL|O_NOFOLLOW), owner set, fsynced. Nothing is visible under `name` until `commit`.
 */
async function prepareFile(dir: PinnedDir, name: string, content: string | Buffer, mode: number, owner: Owner | null, manual: Manual = new Map()): Promise<Prepared> {
  const target = path.join(dir.path, name);
  const info = await lstatAt(dir, name);
  if (info.isSymlink) throw new ApplyError(`${target} is a symbolic link; refusing to write through it`);
  const tmp = `.${name}.${randomBytes(6).toString('hex')}.tmp`;
  const fh = await fsp.open(dir.at(tmp), constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL | constants.O_NOFOLLOW, mode);
  try {
    try {
      await fh.writeFile(content);
      await fh.chmod(mode); // the umask may have taken bits away; set exactly
      if (owner) await tryChown(target, owner, manual, (u, g) => fh.chown(u, g));
      await fh.sync();
    } finally {
      await fh.close();
    }
  } catch (e) {
    await fsp.rm(dir.at(tmp), { force: true });
    // (a failed write names no path: the file it was for)
    if (typeof e === 'object' && e !== null && !('path' in e)) Object.assign(e, { path: target });
    throw e;
  }
  return { dir, tmp, name, target };
}

/** Put a prepared file in place: rename(2) replaces the target atomically (a symlink there is replaced, never followed). */
async function commit(p: Prepared): Promise<void> {
  try {
    await fsp.rename(p.dir.at(p.tmp), p.dir.at(p.name));
  } catch (e) {
    await discard(p);
    throw e;
  }
}

async function discard(p: Prepared): Promise<void> {
  await fsp.rm(p.dir.at(p.tmp), { force: true }).catch(() => {});
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
  manual: Manual = new Map(),
): Promise<void> {
  const dir = await PinnedDir.open(path.dirname(target));
  try {
    await commit(await prepareFile(dir, path.basename(target), content, mode, owner, manual));
    await dir.sync();
  } finally {
    await dir.close();
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

/** Pinned folders of one run, by path relative to the install dir ('' is the install dir itself). */
class Folders {
  private readonly open = new Map<string, Promise<PinnedDir>>();
  /**
   * `outside`: planned folders outside the install dir (an adopted installation's storage, e.g. a
   * named volume's mount point): below them nothing is followed either; their parent folder is the
   * host's own (trusted like the install dir itself).
   */
  constructor(
    readonly root: PinnedDir,
    private readonly outside: readonly string[] = [],
  ) {}
  /**
   * The folder `rel` (relative to the install dir, or an absolute path below one of the `outside`
   * folders), opened without following a link anywhere below the install dir or that folder.
   */
  get(rel: string): Promise<PinnedDir> {
    const key = rel === '.' ? '' : rel;
    if (!key) return Promise.resolve(this.root);
    let d = this.open.get(key);
    if (!d) {
      if (path.isAbsolute(key)) {
        const top = this.outside.find((o) => key === o || key.startsWith(`${o}/`)) ?? key;
        const from = path.dirname(top);
        d = PinnedDir.open(from).then(async (base) => {
          try {
            return await base.descend(path.relative(from, key));
          } finally {
            await base.close();
          }
        });
      } else d = this.root.descend(key);
      d.catch(() => this.open.delete(key));
      this.open.set(key, d);
    }
    return d;
  }
  async closeAll(): Promise<void> {
    for (const d of this.open.values()) await d.then((x) => x.close()).catch(() => {});
    this.open.clear();
    await this.root.close();
  }
}

/** Planned folders outside the install dir (absolute), the outermost of each tree. */
function outsideDirs(plan: Plan): string[] {
  const out = plan.dirs.map((d) => abs(plan, d.path)).filter((p) => {
    const rel = path.relative(plan.dir, p);
    return rel.startsWith('..') || path.isAbsolute(rel);
  });
  return out.filter((p) => !out.some((q) => q !== p && p.startsWith(`${q}/`)));
}

/** A planned folder's place: below the install dir (reached through pinned folders), or a host path outside it. */
function placeOf(plan: Plan, p: string): { inside: true; parent: string; name: string } | { inside: false; abs: string } {
  const absolute = abs(plan, p);
  const rel = path.relative(plan.dir, absolute);
  if (rel && !rel.startsWith('..') && !path.isAbsolute(rel)) return { inside: true, parent: path.dirname(rel), name: path.basename(rel) };
  return { inside: false, abs: absolute };
}

/** Step 1: create a missing planned folder, with its mode and owner set through its own descriptor. */
async function createDir(plan: Plan, d: PlannedDir, folders: Folders, result: ApplyResult, manual: Manual, created: string[]): Promise<void> {
  const place = placeOf(plan, d.path);
  let dir: PinnedDir;
  if (place.inside) {
    await makeParents(folders, place.parent, created);
    const parent = await folders.get(place.parent);
    if ((await lstatAt(parent, place.name)).exists) return;
    await fsp.mkdir(parent.at(place.name), { mode: d.mode });
    created.push(path.join(parent.path, place.name));
    dir = await parent.sub(place.name);
  } else {
    if ((await lstatInfo(place.abs)).exists) return;
    // a host folder outside the installation (originals, import) the user agreed to create
    const first = await fsp.mkdir(path.dirname(place.abs), { recursive: true });
    if (first) created.push(...parentsFrom(first, path.dirname(place.abs)));
    await fsp.mkdir(place.abs, { mode: d.mode });
    created.push(place.abs);
    dir = await PinnedDir.open(place.abs, false);
  }
  try {
    await dir.chmod(d.mode);
    if (d.owner) await tryChown(dir.path, d.owner, manual, (u, g) => dir.chown(u, g));
  } finally {
    await dir.close();
  }
  result.createdDirs.push(d.path);
}

/**
 * The folders that lead from the install dir to `rel` (e.g. ./data of an adopted ./data/storage), made
 * where missing (0755, like mkdir -p), each inside the one before it, never through a link.
 */
async function makeParents(folders: Folders, rel: string, created: string[]): Promise<void> {
  const parts = rel.split('/').filter((p) => p && p !== '.');
  for (let i = 0; i < parts.length; i++) {
    const parent = await folders.get(parts.slice(0, i).join('/'));
    if ((await lstatAt(parent, parts[i]!)).exists) continue;
    await fsp.mkdir(parent.at(parts[i]!), { mode: 0o755 });
    created.push(path.join(parent.path, parts[i]!));
  }
}

/** `first` and every folder below it down to `last` (what mkdir -p created) */
function parentsFrom(first: string, last: string): string[] {
  const out: string[] = [];
  for (let p = last; ; p = path.dirname(p)) {
    out.unshift(p);
    if (p === first || p === path.dirname(p)) break;
  }
  return out;
}

/** Step 3: mode and owner of an existing planned folder (a recursive re-own below it when asked). */
async function fixDir(
  plan: Plan,
  d: PlannedDir,
  folders: Folders,
  result: ApplyResult,
  manual: Manual,
  beforeReown: (o: Owner) => Promise<void>,
  progress?: (visited: number, changed: number) => void,
): Promise<void> {
  if (d.policy === 'if-missing' || result.createdDirs.includes(d.path)) return;
  const place = placeOf(plan, d.path);
  // the folder pinned when the files were prepared (whatever sits at its path now is not looked at again)
  const dir = place.inside ? await folders.get(path.join(place.parent, place.name)) : await PinnedDir.open(place.abs, false);
  try {
    const info = infoOf(await dir.stat());
    let fixed = false;
    if ((info.mode & 0o7777) !== d.mode) {
      await dir.chmod(d.mode);
      fixed = true;
    }
    if (d.owner && (info.uid !== d.owner.uid || info.gid !== d.owner.gid || (d.recursive && d.force))) {
      if (d.recursive) {
        await beforeReown(d.owner);
        const { reownTree } = await import('./reown.js');
        // (the walk opens the folder again without following a link: its parent is the install dir, which only root may change)
        const r = await reownTree(dir.path, d.owner.uid, d.owner.gid, progress, d.keep);
        result.reowned += r.changed;
        if (r.denied) addManual(manual, `-R ${d.owner.uid}:${d.owner.gid}`, dir.path);
      } else {
        const o = d.owner;
        await tryChown(dir.path, o, manual, (u, g) => dir.chown(u, g));
      }
      fixed = true;
    }
    if (fixed) result.fixedDirs.push(d.path);
  } finally {
    if (!place.inside) await dir.close();
  }
}

/** What preparing one planned file did (merged into the ApplyResult in plan order). */
interface FileOutcome {
  path: string;
  prepared?: Prepared;
  unchanged?: boolean;
  backup?: string;
  manual: Manual;
}

/** Open an existing regular file of a pinned folder without following a link (and without blocking on a FIFO). */
async function openExisting(dir: PinnedDir, name: string): Promise<fsp.FileHandle> {
  const fh = await fsp.open(dir.at(name), constants.O_RDONLY | constants.O_NOFOLLOW | constants.O_NONBLOCK);
  if (!(await fh.stat()).isFile()) {
    await fh.close();
    throw new ApplyError(`${path.join(dir.path, name)} is not a regular file`);
  }
  return fh;
}

async function prepareWrite(plan: Plan, f: PlannedFile, folders: Folders, backupRun: () => Promise<string>): Promise<FileOutcome> {
  const dir = await folders.get(path.dirname(f.path));
  const name = path.basename(f.path);
  const out: FileOutcome = { path: f.path, manual: new Map() };
  if (f.status === 'unchanged') {
    // content is right; make sure mode and owner are too (through the file's own descriptor)
    const fh = await openExisting(dir, name);
    try {
      const info = infoOf(await fh.stat());
      if ((info.mode & 0o777) !== f.mode) await fh.chmod(f.mode);
      if (f.owner && (info.uid !== f.owner.uid || info.gid !== f.owner.gid)) await tryChown(path.join(dir.path, name), f.owner, out.manual, (u, g) => fh.chown(u, g));
    } finally {
      await fh.close();
    }
    out.unchanged = true;
    return out;
  }
  if (f.status === 'update') {
    const fh = await openExisting(dir, name);
    let content: Buffer;
    let info: PathInfo;
    try {
      info = infoOf(await fh.stat());
      content = await fh.readFile();
    } finally {
      await fh.close();
    }
    const backup = path.join(await backupRun(), f.path);
    await ensureBackupDirs(plan.dir, path.dirname(backup));
    // same mode and owner as the original (taken before any re-own): a backup of options.yml stays 0600 uid:gid
    await writeFileAtomic(backup, content, info.mode & 0o777, { uid: info.uid, gid: info.gid }, out.manual);
    out.backup = path.relative(plan.dir, backup);
  }
  out.prepared = await prepareFile(dir, name, f.content, f.mode, f.owner, out.manual);
  return out;
}

/** Remove the temporary files a killed run left (they may hold passwords) where the plan writes files; the relative paths removed. */
export async function removeStaleTempFiles(plan: Plan): Promise<string[]> {
  const folders = new Folders(await PinnedDir.open(plan.dir), outsideDirs(plan));
  try {
    return await removeStaleTemps(plan, folders);
  } finally {
    await folders.closeAll();
  }
}

/** Folders where files of the plan are written: stale temporary files of killed runs are looked for there. */
async function removeStaleTemps(plan: Plan, folders: Folders): Promise<string[]> {
  const removed: string[] = [];
  const rels = new Set(plan.files.map((f) => path.dirname(f.path)));
  for (const rel of rels) {
    let dir: PinnedDir;
    try {
      dir = await folders.get(rel);
    } catch {
      continue; // not there (yet)
    }
    for (const name of await dir.list().catch(() => [] as string[])) {
      if (!TEMP_FILE.test(name)) continue;
      const info = await lstatAt(dir, name);
      if (info.isDir) continue;
      await fsp.unlink(dir.at(name)).catch(() => {});
      removed.push(path.join(rel, name));
    }
  }
  // and in .photoprism-harden/ (the journal, the backups: root's own tree, 0700)
  const backups = path.join(plan.dir, STATE_DIR);
  for (const e of await fsp.readdir(backups, { recursive: true, withFileTypes: true }).catch(() => [])) {
    if (!e.isFile() || !TEMP_FILE.test(e.name)) continue;
    const p = path.join(e.parentPath, e.name);
    await fsp.unlink(p).catch(() => {});
    removed.push(path.relative(plan.dir, p));
  }
  return removed;
}

export interface ApplyOptions {
  /** the UID:GID (as the answers give them: container ids) a re-own of storage/ changes to, for the journal */
  journal?: Owner;
}

export async function applyPlan(
  plan: Plan,
  now = new Date(),
  progress?: (visited: number, changed: number) => void,
  options: ApplyOptions = {},
): Promise<ApplyResult> {
  await checkPlannedPaths(plan);
  const result: ApplyResult = { written: [], unchanged: [], createdDirs: [], fixedDirs: [], backups: [], manual: [], reowned: 0, staleRemoved: [] };
  const manual: Manual = new Map();
  const created: string[] = [];
  const madeRoot = await fsp.mkdir(plan.dir, { recursive: true, mode: 0o755 });
  if (madeRoot) created.push(...parentsFrom(madeRoot, plan.dir));
  let folders: Folders | undefined;
  let outcomes: FileOutcome[] = [];
  let committed = 0;
  try {
    folders = new Folders(await PinnedDir.open(plan.dir), outsideDirs(plan));
    result.staleRemoved = await removeStaleTemps(plan, folders);
    // 1. missing folders
    for (const d of plan.dirs) await createDir(plan, d, folders, result, manual, created);
    // 2. every new file complete in its temporary file, side by side (their fsyncs overlap instead of
    // queueing); one backup folder per run, made when the first file is replaced
    let run: Promise<string> | undefined;
    const backupRun = () => (run ??= newBackupRun(plan.dir, now));
    const f = folders;
    const settled = await Promise.allSettled(plan.files.map((file) => prepareWrite(plan, file, f, backupRun)));
    outcomes = settled.flatMap((x) => (x.status === 'fulfilled' ? [x.value] : []));
    const failed = settled.find((x): x is PromiseRejectedResult => x.status === 'rejected');
    if (failed) throw failed.reason;
    // 3. existing folders: mode, owner, the re-own of storage (announced in the journal first: a run
    // killed from here on is finished by the next one)
    let journal = false;
    const beforeReown = async (o: Owner) => {
      journal = true;
      await ensureBackupDirs(plan.dir, path.join(plan.dir, STATE_DIR));
      await writeFileAtomic(path.join(plan.dir, STATE_DIR, JOURNAL_FILE), `${JSON.stringify({ ...(options.journal ?? o), started: now.toISOString() })}\n`, 0o600, null);
    };
    for (const d of plan.dirs) await fixDir(plan, d, folders, result, manual, beforeReown, progress);
    // 4. into place, in plan order
    const dirsToSync = new Set<PinnedDir>();
    for (const o of outcomes) {
      if (o.prepared) {
        await commit(o.prepared);
        dirsToSync.add(o.prepared.dir);
        result.written.push(o.path);
      }
      committed++;
      if (o.unchanged) result.unchanged.push(o.path);
      if (o.backup) result.backups.push(o.backup);
      for (const [k, targets] of o.manual) manual.set(k, [...(manual.get(k) ?? []), ...targets]);
    }
    await Promise.all([...dirsToSync].map((d) => d.sync()));
    // every file names the new ids now: the change is complete
    if (journal) await fsp.unlink(path.join(plan.dir, STATE_DIR, JOURNAL_FILE)).catch(() => {});
  } catch (e) {
    // nothing half-done stays behind: the temporary files not renamed, and the folders this run made
    // (if still empty: a folder something else filled meanwhile is left alone)
    await discardAll(outcomes.slice(committed));
    for (const d of created.reverse()) await fsp.rmdir(d).catch(() => {});
    throw translateFsError(e);
  } finally {
    await folders?.closeAll();
  }
  if (result.backups.length) await pruneBackups(plan.dir);
  for (const [o, targets] of manual) {
    result.manual.push(`sudo chown ${o} ${targets.map(shellQuote).join(' ')}`);
  }
  return result;
}

/** File-system errors as one sentence each, naming the path (the plan's own ApplyErrors pass through). */
export function fsErrorSentence(e: NodeJS.ErrnoException): string | undefined {
  const where = e.path ? ` (${e.path.replace(/^\/proc\/self\/fd\/\d+\//, '…/')})` : '';
  switch (e.code) {
    case 'ENOSPC':
      return `The disk is full${where}: free some space and run init again.`;
    case 'EDQUOT':
      return `The disk quota is exhausted${where}: free some space or raise the quota, then run init again.`;
    case 'EROFS':
      return `The file system is mounted read-only${where}: remount it read-write (or choose another --dir), then run init again.`;
    case 'EACCES':
      return `Permission denied${where}: run init as root (sudo), or as the owner of the installation folder.`;
    case 'EPERM':
      return `The operation is not permitted${where}: the file or folder may be immutable or append-only (see "lsattr"; remove the flag with "chattr -i" / "chattr -a"), or this process lacks the privilege (run as root).`;
    case 'EMFILE':
    case 'ENFILE':
      return `Too many open files${where}: raise the limit ("ulimit -n") and run init again.`;
    default:
      return undefined;
  }
}

function translateFsError(e: unknown): unknown {
  if (e instanceof ApplyError || typeof e !== 'object' || e === null || !('code' in e)) return e;
  const sentence = fsErrorSentence(e as NodeJS.ErrnoException);
  return sentence ? new ApplyError(`${sentence} Nothing was left half-written: the files are the old ones or the new ones, and a folder change that was interrupted is finished by the next run.`) : e;
}


/**
 * Disk and permission problems that can be foreseen before anything is shown or written, one clear
 * sentence each: a read-only mount (EROFS), no permission (not root: EACCES), an immutable file or
 * folder (EPERM), too little free space for what will be written. access(2) asks the kernel the same
 * questions a write would, without writing.
 */
export async function writeProblems(plan: Plan, free: { path: string; bytes: number } | null): Promise<string[]> {
  const problems: string[] = [];
  const seen = new Set<string>();
  const ask = async (p: string, what: string, file = false) => {
    if (seen.has(p)) return;
    seen.add(p);
    try {
      await fsp.access(p, constants.W_OK);
    } catch (e) {
      const code = (e as NodeJS.ErrnoException).code;
      if (code === 'ENOENT' || code === 'ENOTDIR') return;
      // a file is replaced by a rename in its folder: only an immutable file (EPERM) or a read-only
      // mount stops that, not its own permission bits
      if (file && code === 'EACCES') return;
      const sentence = fsErrorSentence({ ...(e as NodeJS.ErrnoException), path: p });
      problems.push(sentence ? `${what}: ${sentence}` : `${what}: ${(e as Error).message}`);
    }
  };
  /** the nearest folder that exists at or above `p` */
  const existing = async (p: string): Promise<string> => {
    for (let d = p; ; d = path.dirname(d)) {
      const info = await lstatInfo(d).catch(() => null);
      if (info?.exists || d === path.dirname(d)) return d;
    }
  };
  await ask(await existing(plan.dir), 'the installation folder');
  let bytes = 0;
  for (const f of plan.files) {
    if (f.status === 'unchanged' && f.metaOk) continue;
    const p = abs(plan, f.path);
    await ask(await existing(path.dirname(p)), `the folder of ${f.path}`);
    if (f.status !== 'create') await ask(p, f.path, true);
    // the new content, a backup of the old one, and a block each for the folder entries
    bytes += Buffer.byteLength(f.content) * (f.status === 'update' ? 2 : 1) + 4096;
  }
  for (const d of plan.dirs) {
    if (d.status === 'ok') continue;
    const p = abs(plan, d.path);
    if (d.status === 'fix') await ask(p, d.path);
    else await ask(await existing(path.dirname(p)), `the folder that will hold ${d.path}`);
    bytes += 4096;
  }
  if (free && free.bytes < bytes) {
    problems.push(`The disk is full: ${free.path} has ${free.bytes} bytes free, and this run writes about ${bytes}. Free some space and run init again.`);
  }
  return problems;
}
