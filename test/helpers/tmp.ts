// Temporary folders for tests that are removed again by jest hooks, so a test file needs no
// bookkeeping of its own.

import { afterAll, afterEach } from '@jest/globals';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';

/**
 * Returns a function that makes a fresh folder below the system temp dir (`prefix` + random). The
 * folders it made are removed after each test ('each') or after the whole file ('all'). Call it at
 * the top level of a test file (it registers the hook).
 */
export function scratchDirs(prefix: string, removeAfter: 'each' | 'all' = 'each'): () => string {
  const made: string[] = [];
  (removeAfter === 'each' ? afterEach : afterAll)(() => {
    for (const d of made.splice(0)) rmSync(d, { recursive: true, force: true });
  });
  return () => {
    const d = mkdtempSync(path.join(os.tmpdir(), prefix));
    made.push(d);
    return d;
  };
}
