// Shared helper for tests that spawn the built CLI (bin/photoprism-harden.cjs -> dist/).
// `npm test` builds first; a lone `jest test/x.test.ts` needs `npm run build` beforehand.
//
// Every run is recorded in `runs`, so a test file can scan everything the CLI printed for secrets.

import { spawn } from 'node:child_process';
import { existsSync, promises as fsp } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

export const REPO_ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
export const CLI = path.join(REPO_ROOT, 'bin', 'photoprism-harden.cjs');
/**
 * The test-only entry (test/helpers/cli-entry.ts, bundled by test/helpers/global-setup.mjs): the built
 * CLI with the fake host named by PPH_TEST_HOST injected. The shipped CLI has no such hook.
 */
export const TEST_CLI = path.join(REPO_ROOT, '.cache', 'test-cli', 'cli-entry.cjs');
/** Environment variable the test entry reads its host fixture from. */
export const TEST_HOST_ENV = 'PPH_TEST_HOST';

/** The entry to spawn and the environment to add: a fake host (fixture path), or the real CLI. */
export function cliWithHost(fixture: string | null, bin?: string): { script: string; env: Record<string, string> } {
  if (fixture === null) return { script: bin ?? CLI, env: {} };
  if (!existsSync(TEST_CLI)) throw new Error(`${TEST_CLI} is missing: jest's globalSetup (test/helpers/global-setup.mjs) builds it`);
  return {
    script: TEST_CLI,
    env: { [TEST_HOST_ENV]: path.isAbsolute(fixture) ? fixture : path.join(FIXTURES, fixture), ...(bin ? { PPH_TEST_BIN: bin } : {}) },
  };
}
export const FIXTURES = path.join(REPO_ROOT, 'test', 'fixtures');

/** Environment variables of the tool that must not leak from the developer's shell into a test run. */
const TOOL_ENV = /^PHOTOPRISM_HARDEN_/;

export interface RunOptions {
  /** extra environment (undefined deletes a variable) */
  env?: Record<string, string | undefined>;
  /**
   * host facts: a path to a JSON fixture, an object (written to a temp file), or null for the real host.
   * Default: test/fixtures/cli-host.json, so results never depend on this machine.
   */
  fakeHost?: string | object | null;
  cwd?: string;
  /**
   * 'ignore': stdin is /dev/null. 'open-pipe': a pipe that is never written to nor closed (a run that
   * waits for input hangs until the timeout). A string: written to a pipe, then closed.
   * Never a TTY either way.
   */
  stdin?: 'ignore' | 'open-pipe' | string;
  timeoutMs?: number;
}

export interface RunResult {
  args: string[];
  /** exit code, or null when killed (see `timedOut`, `signal`) */
  code: number | null;
  signal: NodeJS.Signals | null;
  timedOut: boolean;
  stdout: string;
  stderr: string;
  ms: number;
}

/** Every run of this process (one jest test file), in order. */
export const runs: RunResult[] = [];

/** Throws a readable error when the CLI has not been built. */
export function assertBuilt(): void {
  if (!existsSync(path.join(REPO_ROOT, 'dist', 'cli.cjs'))) {
    throw new Error(`${path.join(REPO_ROOT, 'dist', 'cli.cjs')} is missing: run "npm run build" first (npm test does)`);
  }
}

let factsDir: string | undefined;
async function factsFile(f: string | object): Promise<string> {
  if (typeof f === 'string') return path.isAbsolute(f) ? f : path.join(FIXTURES, f);
  factsDir ??= await fsp.mkdtemp(path.join(os.tmpdir(), 'pph-facts-'));
  const file = path.join(factsDir, `facts-${runs.length}-${Math.random().toString(36).slice(2)}.json`);
  await fsp.writeFile(file, JSON.stringify(f));
  return file;
}

/** Run `node bin/photoprism-harden.cjs ...args` and collect its output. Never rejects for a non-zero exit. */
export async function runCli(args: string[], o: RunOptions = {}): Promise<RunResult> {
  assertBuilt();
  const env: NodeJS.ProcessEnv = {};
  for (const [k, v] of Object.entries(process.env)) if (!TOOL_ENV.test(k)) env[k] = v;
  env.NO_COLOR = '1';
  env.COLUMNS ??= '10000'; // (unwrapped output for the tests that search it; width.test.ts sets 80 and 100)
  const fake = o.fakeHost === undefined ? 'cli-host.json' : o.fakeHost;
  const entry = cliWithHost(fake === null ? null : await factsFile(fake));
  Object.assign(env, entry.env);
  for (const [k, v] of Object.entries(o.env ?? {})) {
    if (v === undefined) delete env[k];
    else env[k] = v;
  }
  const stdin = o.stdin ?? 'ignore';
  const timeoutMs = o.timeoutMs ?? 20000;
  const started = Date.now();
  return new Promise<RunResult>((resolve, reject) => {
    const child = spawn(process.execPath, [entry.script, ...args], {
      cwd: o.cwd ?? REPO_ROOT,
      env,
      stdio: [stdin === 'ignore' ? 'ignore' : 'pipe', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    let timedOut = false;
    child.stdout!.setEncoding('utf8').on('data', (d: string) => (stdout += d));
    child.stderr!.setEncoding('utf8').on('data', (d: string) => (stderr += d));
    if (child.stdin) {
      child.stdin.on('error', () => {
        /* the CLI may exit before reading its input */
      });
      if (stdin !== 'open-pipe' && stdin !== 'ignore') child.stdin.end(stdin);
    }
    const timer = setTimeout(() => {
      timedOut = true;
      child.kill('SIGKILL'); // only the child this helper started
    }, timeoutMs);
    child.on('error', (e) => {
      clearTimeout(timer);
      reject(e);
    });
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      child.stdin?.destroy();
      const r: RunResult = { args, code, signal, timedOut, stdout, stderr, ms: Date.now() - started };
      runs.push(r);
      resolve(r);
    });
  });
}

/** A short description of a run for assertion messages. */
export function describeRun(r: RunResult): string {
  return `photoprism-harden ${r.args.join(' ')} -> ${r.timedOut ? 'timed out' : `exit ${r.code}`}\n--- stdout ---\n${r.stdout}\n--- stderr ---\n${r.stderr}`;
}

/** Runs (of `list`, default all of this file) whose stdout or stderr contains `secret`. */
export function runsContaining(secret: string, list: readonly RunResult[] = runs): RunResult[] {
  return list.filter((r) => r.stdout.includes(secret) || r.stderr.includes(secret));
}
