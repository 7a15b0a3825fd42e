// One run at a time per installation, and a journal that lets the next run finish what a killed one
// began. Both live in the install dir's .photoprism-harden/ (root's, mode 0700, never through a link):
//   lock          {pid, start, command, started}: created with O_EXCL; a lock whose process is gone
//                 (no such PID, or a PID reused by a process that started at another time) is stale
//                 and taken over
//   journal.json  {uid, gid, started}: written before storage/ is re-owned to uid:gid, removed once
//                 every file names the new ids. A run that finds it finishes the change (the walk is
//                 done again even where storage/ itself already has the new owner).

import { constants, readFileSync, promises as fsp } from 'node:fs';
import path from 'node:path';
import { PinnedDir } from './fsat.js';

export const STATE_DIR = '.photoprism-harden';
/** the exit code of a run that found another one working on the installation (src/cli.ts EXIT.locked) */
export const EXIT_LOCKED = 3;
export const LOCK_FILE = 'lock';
export const JOURNAL_FILE = 'journal.json';

export interface LockInfo {
  pid: number;
  /** the process's start time in clock ticks since boot (/proc/<pid>/stat field 22) */
  start: string;
  command: string;
  /** ISO time */
  started: string;
}

/** Another run holds the installation's lock. */
export class LockedError extends Error {
  override readonly name = 'LockedError';
  constructor(
    readonly dir: string,
    readonly holder: LockInfo,
  ) {
    super(
      `another photoprism-harden run is working on ${dir}: PID ${holder.pid} ("${holder.command}"), started ${holder.started}. ` +
        `Wait until it has finished, then run again (a lock whose process has ended is taken over by itself: ${path.join(dir, STATE_DIR, LOCK_FILE)}).`,
    );
  }
}

/** start time of process `pid` (field 22 of /proc/<pid>/stat), or null when there is no such process */
export function processStart(pid: number | 'self'): string | null {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // the command name (field 2) may hold spaces and parentheses: fields count from the last ')'
    return stat.slice(stat.lastIndexOf(')') + 2).split(' ')[19] ?? null;
  } catch {
    return null;
  }
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** is the lock's process still the one that wrote it? */
export function lockIsLive(info: LockInfo): boolean {
  if (!Number.isInteger(info.pid) || info.pid <= 0 || !alive(info.pid)) return false;
  const start = processStart(info.pid);
  return start === null || start === info.start; // (no /proc: trust the PID)
}

export interface RunLock {
  /** the install dir's .photoprism-harden/, pinned */
  state: PinnedDir;
  release(): Promise<void>;
}

/** mkdir that tells whether it made the folder */
async function made(p: string, mode: number): Promise<boolean> {
  try {
    await fsp.mkdir(p, { mode });
    return true;
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'EEXIST') return false;
    throw e;
  }
}

function parseLock(text: string): LockInfo | null {
  try {
    const o = JSON.parse(text) as Partial<LockInfo>;
    return typeof o.pid === 'number' ? { pid: o.pid, start: String(o.start ?? ''), command: String(o.command ?? '?'), started: String(o.started ?? '?') } : null;
  } catch {
    return null;
  }
}

/**
 * Take the installation's lock (making the install dir and .photoprism-harden/ when missing: both
 * are removed again on release when this run made them and they are still empty).
 */
export async function acquireLock(dir: string, command: string, now = new Date()): Promise<RunLock> {
  const createdDirs: string[] = [];
  const first = await fsp.mkdir(dir, { recursive: true, mode: 0o755 });
  if (first) for (let p = dir; ; p = path.dirname(p)) {
    createdDirs.push(p);
    if (p === first || p === path.dirname(p)) break;
  }
  const root = await PinnedDir.open(dir);
  let state: PinnedDir;
  try {
    if (await made(root.at(STATE_DIR), 0o700)) createdDirs.unshift(path.join(dir, STATE_DIR));
    state = await root.sub(STATE_DIR);
  } finally {
    await root.close();
  }
  const me: LockInfo = { pid: process.pid, start: processStart('self') ?? '', command, started: now.toISOString() };
  const text = `${JSON.stringify(me)}\n`;
  for (let attempt = 0; ; attempt++) {
    try {
      const fh = await fsp.open(state.at(LOCK_FILE), constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL | constants.O_NOFOLLOW, 0o600);
      try {
        await fh.writeFile(text);
      } finally {
        await fh.close();
      }
      break;
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'EEXIST' || attempt >= 5) {
        await state.close();
        throw e;
      }
    }
    const held = await readLock(state);
    if (held && lockIsLive(held.info)) {
      await state.close();
      throw new LockedError(dir, held.info);
    }
    if (held) await takeOver(state, held.text);
  }
  let released = false;
  return {
    state,
    async release() {
      if (released) return;
      released = true;
      const now = await readLock(state);
      if (now?.text === text) await fsp.unlink(state.at(LOCK_FILE)).catch(() => {});
      await state.close();
      for (const d of createdDirs) await fsp.rmdir(d).catch(() => {});
    },
  };
}

/**
 * The live run holding the installation's lock, if any (read only: nothing is created or taken
 * over). A run that stops before taking the lock asks this to tell "another run was writing while
 * this one read" from a plain refusal.
 */
export async function liveHolder(dir: string): Promise<LockInfo | null> {
  let state: PinnedDir;
  try {
    const root = await PinnedDir.open(dir);
    try {
      state = await root.sub(STATE_DIR);
    } finally {
      await root.close();
    }
  } catch {
    return null; // (no installation folder or no state folder: no lock)
  }
  try {
    const held = await readLock(state).catch(() => null);
    return held && held.info.pid !== process.pid && lockIsLive(held.info) ? held.info : null;
  } finally {
    await state.close();
  }
}

async function readLock(state: PinnedDir): Promise<{ text: string; info: LockInfo } | null> {
  let text: string;
  try {
    text = await fsp.readFile(state.at(LOCK_FILE), { encoding: 'utf8', flag: constants.O_RDONLY | constants.O_NOFOLLOW });
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return null;
    throw e;
  }
  // an empty or damaged lock (a run killed between create and write) is stale
  return { text, info: parseLock(text) ?? { pid: -1, start: '', command: '?', started: '?' } };
}

/**
 * Remove a stale lock whose content is `stale`. Two runs may find the same stale lock: each moves
 * "lock" aside under its own name first and checks that what it moved is the stale one; if another
 * run's fresh lock was moved instead, it is put back (link(2) fails if a newer one appeared).
 */
async function takeOver(state: PinnedDir, stale: string): Promise<void> {
  const aside = `${LOCK_FILE}.stale.${process.pid}.${Date.now()}`;
  try {
    await fsp.rename(state.at(LOCK_FILE), state.at(aside));
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return;
    throw e;
  }
  const moved = await fsp.readFile(state.at(aside), 'utf8').catch(() => '');
  if (moved !== stale) await fsp.link(state.at(aside), state.at(LOCK_FILE)).catch(() => {});
  await fsp.unlink(state.at(aside)).catch(() => {});
}

// ---------------------------------------------------------------------------------------------
// journal

export interface Journal {
  uid: number;
  gid: number;
  started: string;
}

export async function readJournal(dir: string): Promise<Journal | null> {
  let text: string;
  try {
    text = await fsp.readFile(path.join(dir, STATE_DIR, JOURNAL_FILE), { encoding: 'utf8', flag: constants.O_RDONLY | constants.O_NOFOLLOW });
  } catch {
    return null;
  }
  try {
    const o = JSON.parse(text) as Partial<Journal>;
    if (Number.isInteger(o.uid) && Number.isInteger(o.gid)) return { uid: o.uid!, gid: o.gid!, started: String(o.started ?? '?') };
  } catch {
    /* damaged: as if absent */
  }
  return null;
}
