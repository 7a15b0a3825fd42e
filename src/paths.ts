// Files shipped beside the code (templates/, schema/, package.json), found from wherever this module
// ends up: src/ under the tests, dist/ in the bundle, node_modules/photoprism-harden/dist/ when installed.

import { existsSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

function findRoot(): string {
  let dir = path.dirname(fileURLToPath(import.meta.url));
  for (;;) {
    const pkg = path.join(dir, 'package.json');
    if (existsSync(pkg) && (JSON.parse(readFileSync(pkg, 'utf8')) as { name?: string }).name === 'photoprism-harden') return dir;
    const up = path.dirname(dir);
    if (up === dir) throw new Error('photoprism-harden: cannot find its own package.json');
    dir = up;
  }
}

let root: string | undefined;

/** Absolute path of a file shipped in the package, e.g. packagePath('templates', 'options.yml.hbs'). */
export function packagePath(...parts: string[]): string {
  root ??= findRoot();
  return path.join(root, ...parts);
}

/**
 * Load a CommonJS file the build put in dist/ (precompiled templates, the Compose schema validator).
 * In the bundle, `require` is the one dist/boot.cjs hands in (with its code cache); from src/ (tests)
 * it is Node's.
 */
export function requireShipped(file: string): unknown {
  const req = typeof require === 'function' ? require : createRequire(import.meta.url);
  return req(file);
}
