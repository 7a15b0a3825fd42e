// Re-own a folder tree (storage/ after a UID/GID change). Storage can hold hundreds of thousands of
// files and nearly all the time goes into the kernel (an ext4 chown costs several µs; `chown -R` does
// nothing else), so the walk is as lean as `chown -R`'s: one readdir per folder and one chown per
// entry (never following symlinks), no stat first (it runs only when storage's owner is wrong, when
// nearly every entry needs the change anyway). On a machine with more than one core, helper threads
// share the walk, each on its own core, from a few thousand entries on (scripts/bench-reown.mjs).
// Each helper thread runs a module of its own (src/reown/helper.ts, dist/reown-helper.cjs) with the
// same walk (src/reown/walk.ts) as the calling thread.
// Synchronous calls avoid a promise and a thread-pool hop per file. Entries that vanish during the
// walk (PhotoPrism may be cleaning its cache) are skipped; excluded paths (the database folder,
// originals, import) are neither re-owned nor entered.
//
// The tree belongs to a container that can change it at any moment, while this process runs as root:
// nothing may be redirected outside it (a folder swapped for a symlink after its parent was listed).
// Node has no openat/fchownat, so the walk gets their semantics from Linux's /proc/self/fd: every
// folder is opened with O_DIRECTORY|O_NOFOLLOW relative to its parent's descriptor
// ("/proc/self/fd/<parent>/<name>": the magic link pins the parent, only <name> is looked up, and
// O_NOFOLLOW refuses a symlink there), re-owned through its own descriptor (fchown), listed through
// it, and its entries are re-owned as "/proc/self/fd/<folder>/<name>" with lchown, which never follows
// the last component: like fchownat(fd, name, AT_SYMLINK_NOFOLLOW). A folder swapped for a symlink is
// re-owned as the link itself and never entered. The root of the tree is re-owned LAST: a walk that
// is interrupted leaves it with the old owner, so the next run sees the change as not done and walks
// again.

import { existsSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { trace } from './trace.js';
import { MessageChannel, type MessagePort, Worker, receiveMessageOnPort } from 'node:worker_threads';
import { packagePath } from './paths.js';
import { FIRST_HELPER, HUNGRY, MAIN, REAL_OPS, STOP, makeWalker, type FromHelper, type HelperData, type Item, type ReownResult, type ToHelper, type TreeOps } from './reown/walk.js';

export { REAL_OPS, type ReownResult, type TreeOps } from './reown/walk.js';

/** The helper threads' module, as the build bundles it (src/reown/helper.ts). */
export const HELPER_BUNDLE = 'reown-helper.cjs';

/**
 * Where the helper bundle is: beside this code in dist/ (or beside any bundle of this module that
 * ships it), else in the package's dist/ (running from src/, after `npm run build`); null when
 * neither exists (the walk then runs on the calling thread alone).
 */
export function helperFile(): string | null {
  const here = path.join(path.dirname(fileURLToPath(import.meta.url)), HELPER_BUNDLE);
  if (existsSync(here)) return here;
  try {
    const built = packagePath('dist', HELPER_BUNDLE);
    return existsSync(built) ? built : null;
  } catch {
    return null; // (a copy of this module outside the package)
  }
}

export const PROGRESS_EVERY = 10000;

export interface ReownOptions {
  /** helper threads (default: one per further core, at most 3; none with other than REAL_OPS) */
  helpers?: number;
  /** start the helpers once the walk has reached this many entries (default SPAWN_AFTER) */
  spawnAfter?: number;
  /** false: the calling thread only hands out work, the helpers do all of it, starting at once (tests) */
  walkHere?: boolean;
}

/** One helper per further core this process may run on (sched affinity; a cgroup CPU quota is not
 * seen), at most 3: the chowns share one file-system journal (measured here only with 2 cores). */
export const defaultHelpers = (): number => Math.min(Math.max(os.availableParallelism() - 1, 0), 3);
/** Helpers start once the walk has reached this many entries: a thread needs ~50-100 ms to start and
 * its start slows the calling thread by ~15 ms, more than it saves on a smaller tree. */
export const SPAWN_AFTER = 5000;

// Atomics.waitAsync is in Node 20 (V8) but not in TypeScript's ES2023 lib
type WaitAsync = (a: Int32Array, i: number, v: number, ms: number) => { async: false; value: string } | { async: true; value: Promise<string> };

interface Helper {
  worker: Worker;
  port: MessagePort;
  slot: number;
  /** its counts as last reported */
  counts: ReownResult;
  /** waiting for items */
  idle: boolean;
  /** given items and not idle since */
  busy: boolean;
  exited: boolean;
}

class Helpers {
  readonly list: Helper[] = [];
  readonly ctl: Int32Array;
  failure: Error | undefined;
  private readonly file: string;

  constructor(n: number, uid: number, gid: number, exclude: string[]) {
    const file = helperFile();
    if (!file) throw new Error(`the re-own helper module (dist/${HELPER_BUNDLE}) is missing: run npm run build`);
    this.file = file;
    this.ctl = new Int32Array(new SharedArrayBuffer(4 * (FIRST_HELPER + n)));
    try {
      for (let i = 0; i < n; i++) this.start(FIRST_HELPER + i, uid, gid, exclude);
    } catch (e) {
      this.stop();
      throw e;
    }
  }

  private start(slot: number, uid: number, gid: number, exclude: string[]): void {
    const { port1, port2 } = new MessageChannel();
    const worker = new Worker(this.file, {
      workerData: { port: port2, ctl: this.ctl, slot, uid, gid, exclude } satisfies HelperData,
      transferList: [port2],
      execArgv: [],
      // descriptors move between threads with the work items: a helper closes some the calling
      // thread opened (and the other way round), which Node's tracking would warn about
      trackUnmanagedFds: false,
    });
    const h: Helper = { worker, port: port1, slot, counts: { visited: 0, changed: 0, denied: 0 }, idle: false, busy: false, exited: false };
    this.list.push(h);
    // a helper that fails to start is never given work; one that ends while holding items fails the walk
    const ended = (e?: Error) => {
      if (h.exited) return;
      h.exited = true;
      if (h.busy) this.failure ??= new Error(`a re-own helper thread ended in the middle of the walk${e ? `: ${e.message}` : ''}`);
      Atomics.add(this.ctl, MAIN, 1);
      Atomics.notify(this.ctl, MAIN);
    };
    worker.on('error', ended);
    worker.on('exit', () => ended());
  }

  get visited(): number {
    return this.list.reduce((n, h) => n + h.counts.visited, 0);
  }
  get busy(): boolean {
    return this.list.some((h) => h.busy);
  }
  /** every helper has ended (or failed to start) */
  get gone(): boolean {
    return this.list.every((h) => h.exited);
  }

  /** Takes the helpers' messages (handed-back items go to the bottom of `stack`), then gives each idle
   * helper half of `stack` (the shallowest items), all of it when `keep` is 0, while it holds more
   * than `keep` items. */
  poll(stack: Item[], keep: number): void {
    for (const h of this.list) {
      for (let r; (r = receiveMessageOnPort(h.port)); ) {
        const m = r.message as FromHelper;
        if (m.t === 'work') stack.unshift(...m.items);
        else if (m.t === 'error') {
          h.busy = false;
          const info = Object.fromEntries(Object.entries(m.error).filter(([, v]) => v !== undefined));
          this.failure ??= Object.assign(new Error(m.error.message), info);
        } else {
          h.counts = m.counts;
          if (m.t === 'idle') {
            h.idle = true;
            h.busy = false;
          }
        }
      }
    }
    if (this.failure) throw this.failure;
    for (const h of this.list) {
      if (stack.length <= keep) return;
      if (!h.idle || h.exited) continue;
      h.idle = false;
      h.busy = true;
      Atomics.sub(this.ctl, HUNGRY, 1);
      h.port.postMessage({ items: stack.splice(0, keep ? stack.length >> 1 : stack.length) } satisfies ToHelper);
      Atomics.add(this.ctl, h.slot, 1);
      Atomics.notify(this.ctl, h.slot);
    }
  }

  /** Waits, without blocking the event loop (so a helper's end is noticed), until the calling
   * thread has items to walk (`walkHere`) or none are left anywhere. */
  async wait(stack: Item[], walkHere: boolean): Promise<void> {
    if (walkHere) Atomics.add(this.ctl, HUNGRY, 1);
    try {
      for (;;) {
        const seen = Atomics.load(this.ctl, MAIN);
        this.poll(stack, walkHere ? 1 : 0);
        if (walkHere && stack.length) return;
        if (!stack.length && !this.busy) return;
        if (this.gone) return; // nobody left to hand items to: the caller walks them itself
        const w = (Atomics as unknown as { waitAsync: WaitAsync }).waitAsync(this.ctl, MAIN, seen, 1000);
        if (w.async) await w.value;
      }
    } finally {
      if (walkHere) Atomics.sub(this.ctl, HUNGRY, 1);
    }
  }

  /** Tells every helper to stop (also in the middle of a walk) and to end its thread. */
  stop(): void {
    Atomics.store(this.ctl, STOP, 1);
    for (const h of this.list) {
      h.port.postMessage({ stop: true } satisfies ToHelper);
      Atomics.add(this.ctl, h.slot, 1);
      Atomics.notify(this.ctl, h.slot);
      h.port.close();
      h.worker.unref(); // it ends by itself now (one still starting reads the stop first)
    }
  }
}

/**
 * Re-owns `root` and everything below it to uid:gid, never through a symlink, except `exclude`d
 * absolute paths (neither re-owned nor entered). Entries that vanish meanwhile are skipped; EPERM
 * counts as denied; any other error fails the walk.
 */
export async function reownTree(
  root: string,
  uid: number,
  gid: number,
  onProgress?: (visited: number, changed: number) => void,
  exclude: readonly string[] = [],
  ops: TreeOps = REAL_OPS,
  options: ReownOptions = {},
): Promise<ReownResult> {
  const helpers = ops === REAL_OPS ? (options.helpers ?? defaultHelpers()) : 0;
  let walkHere = options.walkHere !== false || helpers === 0;
  const own: ReownResult = { visited: 0, changed: 0, denied: 0 };
  const skip = exclude.map((p) => path.resolve(p));
  const { visitFd, step, closeItem } = makeWalker(uid, gid, skip, ops, own);
  const start = path.resolve(root);
  // the root itself: opened without following a link, re-owned last (after every entry below it)
  const rootFd = ops.openDir(start);
  const stack: Item[] = [];
  try {
    stack.push({ fd: ops.reopen(rootFd), path: start });
  } catch (e) {
    ops.close(rootFd);
    throw e;
  }
  let pool: Helpers | undefined;
  let spawn = helpers > 0;
  const spawnAfter = options.spawnAfter ?? SPAWN_AFTER;
  let nextProgress = PROGRESS_EVERY;
  const total = (): ReownResult => {
    const sum = { ...own };
    for (const h of pool?.list ?? []) {
      sum.visited += h.counts.visited;
      sum.changed += h.counts.changed;
      sum.denied += h.counts.denied;
    }
    return sum;
  };
  try {
    for (;;) {
      if (spawn && (own.visited >= spawnAfter || !walkHere)) {
        spawn = false;
        try {
          pool = new Helpers(helpers, uid, gid, skip);
          trace(`reown: ${helpers} helper thread(s) started after ${own.visited} entries`);
        } catch {
          walkHere = true; // no threads here (resource limits, a sandbox): walk alone
        }
      }
      if (stack.length && walkHere) {
        step(stack);
        pool?.poll(stack, 1);
      } else if (pool && (stack.length || pool.busy)) {
        await pool.wait(stack, walkHere);
        if (pool.gone && !walkHere && stack.length) walkHere = true;
      } else break;
      if (onProgress && own.visited + (pool?.visited ?? 0) >= nextProgress) {
        const t = total();
        onProgress(t.visited, t.changed);
        nextProgress = (Math.floor(t.visited / PROGRESS_EVERY) + 1) * PROGRESS_EVERY;
      }
    }
    visitFd(rootFd);
  } finally {
    pool?.stop();
    for (const item of stack) closeItem(item);
    ops.close(rootFd);
  }
  const result = total();
  onProgress?.(result.visited, result.changed);
  return result;
}
