// A PATH without the container engines this machine happens to have (tests never depend on them).

import { mkdtempSync, readdirSync, rmSync, symlinkSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';

const ENGINES = /^(docker|podman)(-compose)?$/;
let engineFree: string | undefined;

/**
 * PATH without the Compose engines and container runtimes this machine happens to have: a folder of
 * links to every other program on PATH (the first of a name wins, as on PATH). Made once per process.
 */
export function engineFreePathSync(): string {
  if (engineFree) return engineFree;
  const dir = mkdtempSync(path.join(os.tmpdir(), 'pph-path-'));
  for (const d of `${process.env.PATH ?? ''}:/usr/bin:/bin`.split(':').filter(Boolean)) {
    let names: string[];
    try {
      names = readdirSync(d);
    } catch {
      continue;
    }
    for (const n of names) {
      if (ENGINES.test(n)) continue;
      try {
        symlinkSync(path.join(d, n), path.join(dir, n));
      } catch {
        /* already linked from an earlier PATH entry */
      }
    }
  }
  engineFree = dir;
  process.once('exit', () => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

export async function engineFreePath(): Promise<string> {
  return engineFreePathSync();
}
