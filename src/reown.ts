// Re-own a folder tree (storage/ after a UID/GID change). Storage can hold hundreds of thousands of
// files: the walk streams directories (opendir), never follows symlinks (lchown), skips entries that
// are already right, and keeps a bounded number of chown calls in flight. Entries that vanish during
// the walk (PhotoPrism may be cleaning its cache) are skipped; excluded paths (the database folder,
// originals, import) are neither re-owned nor entered.

import { promises as fsp } from 'node:fs';
import path from 'node:path';

export interface ReownResult {
  visited: number;
  changed: number;
  /** paths this process was not allowed to chown (not root) */
  denied: number;
}

const IN_FLIGHT = 64;
export const PROGRESS_EVERY = 10000;

const gone = (e: unknown) => {
  const code = (e as NodeJS.ErrnoException).code;
  return code === 'ENOENT' || code === 'ENOTDIR';
};

export async function reownTree(
  root: string,
  uid: number,
  gid: number,
  onProgress?: (visited: number, changed: number) => void,
  exclude: readonly string[] = [],
): Promise<ReownResult> {
  const result: ReownResult = { visited: 0, changed: 0, denied: 0 };
  const skip = new Set(exclude.map((p) => path.resolve(p)));
  const pending = new Set<Promise<void>>();
  let failure: unknown;
  const run = async (p: string) => {
    let st;
    try {
      st = await fsp.lstat(p);
    } catch (e) {
      if (gone(e)) return;
      throw e;
    }
    result.visited++;
    if (onProgress && result.visited % PROGRESS_EVERY === 0) onProgress(result.visited, result.changed);
    if (st.uid === uid && st.gid === gid) return;
    try {
      await fsp.lchown(p, uid, gid);
      result.changed++;
    } catch (e) {
      if (gone(e)) return;
      if ((e as NodeJS.ErrnoException).code !== 'EPERM') throw e;
      result.denied++;
    }
  };
  const schedule = async (p: string) => {
    // a failure is kept and rethrown after the walk, so no rejection is left unhandled
    const job = run(p)
      .catch((e: unknown) => {
        failure ??= e;
      })
      .finally(() => pending.delete(job));
    pending.add(job);
    if (pending.size >= IN_FLIGHT) await Promise.race(pending);
  };
  const stack = [path.resolve(root)];
  await schedule(stack[0]!);
  while (stack.length && failure === undefined) {
    const dir = stack.pop()!;
    let handle;
    try {
      handle = await fsp.opendir(dir);
    } catch (e) {
      if (gone(e)) continue;
      throw e;
    }
    for await (const entry of handle) {
      const p = path.join(dir, entry.name);
      if (skip.has(p)) continue;
      if (entry.isDirectory()) stack.push(p);
      await schedule(p);
    }
  }
  await Promise.all(pending);
  if (failure !== undefined) throw failure;
  onProgress?.(result.visited, result.changed);
  return result;
}
