// Node's built-in modules that only some runs use, loaded when first needed: a static import loads
// a module when the bundle starts, and node:tty or node:child_process each load Node's socket and
// stream code (~5 ms).

import { createRequire } from 'node:module';

/**
 * require() of a built-in module (`node:...`). Built-ins resolve from any base path; a fixed one is
 * used because dist/boot.cjs bundles some of the callers and has no import.meta.
 */
export const requireBuiltin: <T>(id: `node:${string}`) => T = createRequire('/');
