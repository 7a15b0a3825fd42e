// Test-only entry point of the CLI (never shipped: package.json "files" is bin/, dist/, templates/,
// schema/). It runs the built CLI exactly as bin/photoprism-harden.cjs does (dist/boot.cjs, with its
// code caches and prelude), but hands main a fake host read from the JSON fixture that PPH_TEST_HOST
// names: the shipped CLI has no hook of its own that could swap the host.
//
// test/helpers/global-setup.mjs bundles this file into .cache/test-cli/cli-entry.cjs before the tests
// run; test/helpers/spawn.ts and pty.ts start that bundle for runs that take a fake host.

import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { FixtureHost, type FixtureData } from './fixture-host.js';

declare const __PPH_REPO_ROOT__: string;

const fixture = process.env.PPH_TEST_HOST;
if (!fixture) throw new Error('cli-entry: PPH_TEST_HOST must name a host fixture (JSON); run bin/photoprism-harden.cjs for the real host');
const host = new FixtureHost(JSON.parse(readFileSync(fixture, 'utf8')) as FixtureData);
delete process.env.PPH_TEST_HOST; // (the run itself sees the environment a user's run would)

// the same process setup as bin/photoprism-harden.cjs; the tool names the command that ran it
// (invokedAs) as if it were the real one
process.on('SIGXFSZ', () => {});
// (PPH_TEST_BIN: a copy of the package elsewhere, for the tests of its code caches)
const bin = process.env.PPH_TEST_BIN ?? path.join(__PPH_REPO_ROOT__, 'bin', 'photoprism-harden.cjs');
delete process.env.PPH_TEST_BIN;
process.argv[1] = bin;
const boot = createRequire(bin)('../dist/boot.cjs') as { run(argv: string[], host: unknown): Promise<number> };
void boot.run(process.argv, host).then((code) => {
  process.exitCode = code;
});
