// The re-own walk itself (see src/reown.ts for how and why): the file-system calls, the work items and
// the step that does one of them, plus what the calling thread and its helper threads tell each other.
// Shared by src/reown.ts (the calling thread) and src/reown/helper.ts (each helper thread's module).

import { closeSync, constants, fchownSync, lchownSync, openSync, readdirSync } from 'node:fs';
import type { MessagePort } from 'node:worker_threads';

export interface ReownResult {
  /** entries reached (that still existed) */
  visited: number;
  /** entries now owned by uid:gid through this walk */
  changed: number;
  /** paths this process was not allowed to chown (not root) */
  denied: number;
}

/**
 * The file-system calls of the walk (tests hand in their own to simulate races). Paths handed to
 * them are "/proc/self/fd/<n>/<name>" (or the root's path for `openDir`). Helper threads always use
 * the real ones, so a walk with other ops runs on the calling thread only.
 */
export interface TreeOps {
  /** open a folder, never through a symlink (O_RDONLY|O_DIRECTORY|O_NOFOLLOW): ELOOP/ENOTDIR for anything else */
  openDir: (p: string) => number;
  /** another descriptor of the same open folder (opens /proc/self/fd/<fd>) */
  reopen: (fd: number) => number;
  close: (fd: number) => void;
  fchown: (fd: number, uid: number, gid: number) => void;
  lchown: (p: string, uid: number, gid: number) => void;
  readdir: (p: string) => { name: string; isDirectory(): boolean }[];
}

const DIR = constants.O_RDONLY | constants.O_DIRECTORY;

/** The real calls (helper threads always use these). */
export const REAL_OPS: TreeOps = {
  openDir: (p) => openSync(p, DIR | constants.O_NOFOLLOW),
  reopen: (fd) => openSync(`/proc/self/fd/${fd}`, DIR),
  close: (fd) => closeSync(fd),
  fchown: (fd, uid, gid) => fchownSync(fd, uid, gid),
  lchown: (p, uid, gid) => lchownSync(p, uid, gid),
  readdir: (p) => readdirSync(p, { withFileTypes: true }),
};

/**
 * Work: a folder still to list (its open descriptor and its path, for exclusions), or up to 256
 * listed entries of one folder still to re-own (with a descriptor of that folder). Each item owns
 * its descriptor: whoever finishes the item closes it (descriptors are per process, so an item can
 * go to a helper thread).
 */
export type Item = { fd: number; path: string } | { fd: number; dir: string; names: string[]; dirs: boolean[] };

// The walk, run by the calling thread and by each helper thread (src/reown/helper.ts).
export function makeWalker(uid: number, gid: number, exclude: readonly string[], ops: TreeOps, counts: ReownResult) {
  const BATCH = 256;
  const skip = new Set(exclude);
  const code = (e: unknown) => (e as { code?: unknown } | null)?.code;
  const gone = (e: unknown) => code(e) === 'ENOENT' || code(e) === 'ENOTDIR';
  /** chown through `chown` (an lchown or an fchown); false when the entry has gone */
  const own = (chown: () => void): void => {
    try {
      chown();
      counts.changed++;
    } catch (e) {
      if (gone(e)) return;
      if (code(e) !== 'EPERM') throw e;
      counts.denied++;
    }
    counts.visited++;
  };
  const visit = (p: string): void => own(() => ops.lchown(p, uid, gid));
  const visitFd = (fd: number): void => own(() => ops.fchown(fd, uid, gid));
  const closeItem = (item: Item): void => {
    try {
      ops.close(item.fd);
    } catch {
      /* already closed */
    }
  };
  /** does the top item of `stack`: lists a folder into batches, or re-owns a batch (its folders go on the stack) */
  const step = (stack: Item[]): void => {
    const item = stack.pop()!;
    if ('path' in item) {
      let entries;
      try {
        entries = ops.readdir(`/proc/self/fd/${item.fd}`);
      } catch (e) {
        closeItem(item);
        if (gone(e)) return;
        throw e;
      }
      if (!entries.length) return closeItem(item);
      for (let i = 0; i < entries.length; i += BATCH) {
        const names: string[] = [];
        const dirs: boolean[] = [];
        for (let j = i; j < entries.length && j < i + BATCH; j++) {
          names.push(entries[j]!.name);
          dirs.push(entries[j]!.isDirectory());
        }
        // the first batch takes over the listing's descriptor, every further one gets its own
        let fd = item.fd;
        if (i > 0) {
          try {
            fd = ops.reopen(item.fd);
          } catch (e) {
            // (the batches pushed so far hold the listing's descriptor and their own)
            for (const it of stack.splice(stack.length - i / BATCH)) closeItem(it);
            throw e;
          }
        }
        stack.push({ fd, dir: item.path, names, dirs });
      }
      return;
    }
    const { fd, dir, names, dirs } = item;
    try {
      for (let i = 0; i < names.length; i++) {
        const shown = `${dir}/${names[i]}`;
        if (skip.has(shown)) continue;
        const p = `/proc/self/fd/${fd}/${names[i]}`;
        if (dirs[i]) {
          let child: number | undefined;
          try {
            child = ops.openDir(p);
          } catch (e) {
            // swapped for a symlink or a file since it was listed (ELOOP, ENOTDIR): re-owned as what it
            // is now, never entered; gone: skipped
            if (code(e) !== 'ELOOP' && code(e) !== 'ENOTDIR' && !gone(e)) throw e;
          }
          if (child === undefined) {
            visit(p);
            continue;
          }
          stack.push({ fd: child, path: shown });
          visitFd(child);
        } else visit(p);
      }
    } finally {
      closeItem(item);
    }
  };
  return { visit, visitFd, step, closeItem };
}

// Shared Int32Array slots: participants waiting for work, the calling thread's wake-up counter, the
// stop flag, then each helper's wake-up counter. (helperMain uses the numbers: it cannot see these.)
export const HUNGRY = 0;
export const MAIN = 1;
export const STOP = 2;
export const FIRST_HELPER = 3;

export type ToHelper = { items: Item[] } | { stop: true };
export type ErrorInfo = { message: string; code?: string; errno?: number; syscall?: string; path?: string };
export type FromHelper = { t: 'work'; items: Item[] } | { t: 'count' | 'idle'; counts: ReownResult } | { t: 'error'; error: ErrorInfo };

/** What a helper thread is started with (its workerData). */
export interface HelperData {
  port: MessagePort;
  ctl: Int32Array;
  slot: number;
  uid: number;
  gid: number;
  exclude: string[];
}
