// A PATH without the container engines this machine happens to have (tests never depend on them).

import { promises as fsp, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';

const ENGINES = /^(docker|podman)(-compose)?$/;
let engineFree: string | undefined;
/**
 * PATH without the Compose engines and container runtimes this machine happens to have: a folder of
 * links to every other program on PATH. The wizard's screens then do not depend on what is installed.
 */
export async function engineFreePath(): Promise<string> {
  if (engineFree) return engineFree;
  const dir = await fsp.mkdtemp(path.join(os.tmpdir(), 'pph-path-'));
  for (const d of (process.env.PATH ?? '').split(':').filter(Boolean)) {
    let names: string[];
    try {
      names = await fsp.readdir(d);
    } catch {
      continue;
    }
    for (const n of names) {
      if (ENGINES.test(n)) continue;
      await fsp.symlink(path.join(d, n), path.join(dir, n)).catch(() => {}); // (the first on PATH wins)
    }
  }
  engineFree = dir;
  process.once('exit', () => rmSync(dir, { recursive: true, force: true }));
  return dir;
}
