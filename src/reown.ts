// Re-own a folder tree (storage/ after a UID/GID change). Storage can hold hundreds of thousands of
// files, so this is a tight synchronous walk like `chown -R`'s: one readdir per folder and one lchown
// per entry (never following symlinks). It runs only when storage's owner is wrong (the plan skips it
// otherwise), when nearly every entry needs the change anyway, so entries are not stat-ed first: that
// would double the system calls. Synchronous calls avoid a promise and a thread-pool hop per file.
// Entries that vanish during the walk (PhotoPrism may be cleaning its cache) are skipped; excluded
// paths (the database folder, originals, import) are neither re-owned nor entered.

import { lchownSync, readdirSync } from 'node:fs';
import path from 'node:path';

export interface ReownResult {
  /** entries reached (that still existed) */
  visited: number;
  /** entries now owned by uid:gid through this walk */
  changed: number;
  /** paths this process was not allowed to chown (not root) */
  denied: number;
}

export const PROGRESS_EVERY = 10000;

/** The file-system calls of the walk (tests hand in their own to simulate races). */
export interface TreeOps {
  lchown: (p: string, uid: number, gid: number) => void;
  readdir: (p: string) => { name: string; isDirectory(): boolean }[];
}

export const REAL_OPS: TreeOps = {
  lchown: (p, uid, gid) => lchownSync(p, uid, gid),
  readdir: (p) => readdirSync(p, { withFileTypes: true }),
};

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
  ops: TreeOps = REAL_OPS,
): Promise<ReownResult> {
  const result: ReownResult = { visited: 0, changed: 0, denied: 0 };
  const skip = new Set(exclude.map((p) => path.resolve(p)));
  const visit = (p: string): void => {
    try {
      ops.lchown(p, uid, gid);
      result.changed++;
    } catch (e) {
      if (gone(e)) return;
      if ((e as NodeJS.ErrnoException).code !== 'EPERM') throw e;
      result.denied++;
    }
    result.visited++;
    if (onProgress && result.visited % PROGRESS_EVERY === 0) onProgress(result.visited, result.changed);
  };
  const stack = [path.resolve(root)];
  visit(stack[0]!);
  while (stack.length) {
    const dir = stack.pop()!;
    let entries;
    try {
      entries = ops.readdir(dir);
    } catch (e) {
      if (gone(e)) continue;
      throw e;
    }
    for (const entry of entries) {
      const p = `${dir}/${entry.name}`;
      if (skip.has(p)) continue;
      if (entry.isDirectory()) stack.push(p);
      visit(p);
    }
  }
  onProgress?.(result.visited, result.changed);
  return result;
}
