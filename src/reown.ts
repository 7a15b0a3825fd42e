// Re-own a folder tree (storage/ after a UID/GID change). Storage can hold hundreds of thousands of
// files: the walk streams directories (opendir), never follows symlinks (lchown), skips entries that
// are already right, and keeps a bounded number of chown calls in flight.

import { promises as fsp } from 'node:fs';
import path from 'node:path';

export interface ReownResult {
  visited: number;
  changed: number;
  /** paths this process was not allowed to chown (not root) */
  denied: number;
}

const IN_FLIGHT = 64;

export async function reownTree(
  root: string,
  uid: number,
  gid: number,
  onProgress?: (visited: number, changed: number) => void,
): Promise<ReownResult> {
  const result: ReownResult = { visited: 0, changed: 0, denied: 0 };
  const pending = new Set<Promise<void>>();
  const run = async (p: string) => {
    const st = await fsp.lstat(p);
    result.visited++;
    if (onProgress && result.visited % 10000 === 0) onProgress(result.visited, result.changed);
    if (st.uid === uid && st.gid === gid) return;
    try {
      await fsp.lchown(p, uid, gid);
      result.changed++;
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'EPERM') throw e;
      result.denied++;
    }
  };
  const schedule = async (p: string) => {
    const job = run(p).finally(() => pending.delete(job));
    pending.add(job);
    if (pending.size >= IN_FLIGHT) await Promise.race(pending);
  };
  const stack = [root];
  await schedule(root);
  while (stack.length) {
    const dir = stack.pop()!;
    const handle = await fsp.opendir(dir);
    for await (const entry of handle) {
      const p = path.join(dir, entry.name);
      if (entry.isDirectory()) stack.push(p);
      await schedule(p);
    }
  }
  await Promise.all(pending);
  return result;
}
