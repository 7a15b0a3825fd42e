// The private Docker Engine for end-to-end tests (see test/e2e/README.md): started by start-dockerd.sh, its
// images built by test/e2e/images/build.sh, both driven by .ci/run. A test file asks `privateEngine()` for it:
// - PHOTOPRISM_HARDEN_E2E_DOCKER_HOST set (by `. STATE_DIR/env.sh`): the engine is used; when it does not
//   answer, or the test images are missing, the test file fails with the reason;
// - not set and CI=true: the test file fails ("no silent skip in CI");
// - not set outside CI: the suite is skipped with a visible message saying how to run it.
// Nothing here ever talks to /var/run/docker.sock: every command gets DOCKER_HOST explicitly.

import { describe } from '@jest/globals';
import { spawn } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';

export const E2E_IMAGES = {
  mariadb: 'photoprism-harden-e2e/mariadb:ok',
  photoprism: 'photoprism-harden-e2e/photoprism:ok',
  mariadbNeverHealthy: 'photoprism-harden-e2e/mariadb:never-healthy',
  photoprismDiesAtOnce: 'photoprism-harden-e2e/photoprism:dies-at-once',
  photoprismDiesAfterInit: 'photoprism-harden-e2e/photoprism:dies-after-init',
} as const;

export interface PrivateEngine {
  /** unix:///…/docker.sock of the private daemon */
  host: string;
  /** the engine's state dir (PHOTOPRISM_HARDEN_ENGINE_DIR) */
  dir: string;
  /** environment for any docker / docker compose / CLI process: DOCKER_HOST, DOCKER_CONFIG, PATH, … */
  env: NodeJS.ProcessEnv;
}

export interface Exec {
  code: number;
  stdout: string;
  stderr: string;
}

const HOST_VAR = 'PHOTOPRISM_HARDEN_E2E_DOCKER_HOST';

/** The variables env.sh (start-dockerd.sh) exports, read from the state dir when not in the environment. */
function envFromStateDir(dir: string): Record<string, string> {
  const file = path.join(dir, 'env.sh');
  const out: Record<string, string> = {};
  if (!existsSync(file)) return out;
  for (const line of readFileSync(file, 'utf8').split('\n')) {
    const m = /^export ([A-Z_]+)='([^']*)'$/.exec(line.trim());
    if (m) out[m[1]!] = m[2]!;
  }
  return out;
}

/**
 * The private engine, or null (skip) outside CI when none is configured. Throws in CI without one.
 * `who` names the test file in the messages.
 */
export function privateEngine(who: string): PrivateEngine | null {
  const host = process.env[HOST_VAR];
  if (!host) {
    const how =
      'start one with: bash test/e2e/engine/start-dockerd.sh && . /tmp/pph-engine/env.sh && bash test/e2e/images/build.sh (as root; see test/e2e/README.md)';
    if (process.env.CI) throw new Error(`${who}: CI=true but ${HOST_VAR} is not set: .ci/run must start the private Docker Engine (${how})`);
    console.warn(`${who} SKIPPED: no private Docker Engine (${HOST_VAR} is not set); ${how}`);
    return null;
  }
  if (/^unix:\/\/\/(var\/)?run\/docker\.sock$/.test(host)) throw new Error(`${who}: ${HOST_VAR} is the system-wide docker socket; the tests use only a private engine`);
  const dir = process.env.PHOTOPRISM_HARDEN_ENGINE_DIR ?? '';
  const fromFile = dir ? envFromStateDir(dir) : {};
  const config = fromFile.DOCKER_CONFIG ?? process.env.DOCKER_CONFIG;
  if (!config || !existsSync(path.join(config, 'cli-plugins', 'docker-compose'))) {
    throw new Error(`${who}: DOCKER_CONFIG (${config ?? 'unset'}) has no cli-plugins/docker-compose; source the env.sh that start-dockerd.sh wrote`);
  }
  const bin = dir ? path.join(dir, 'bin') : '';
  const pathVar = [bin, process.env.PATH ?? '/usr/sbin:/usr/bin:/sbin:/bin'].filter(Boolean).join(':');
  const env: NodeJS.ProcessEnv = {
    PATH: pathVar,
    HOME: process.env.HOME ?? '/root',
    DOCKER_HOST: host,
    DOCKER_CONFIG: config,
    NO_COLOR: '1',
  };
  const api = fromFile.DOCKER_API_VERSION ?? process.env.DOCKER_API_VERSION;
  if (api) env.DOCKER_API_VERSION = api;
  return { host, dir, env };
}

/** `describe` when the engine is there, `describe.skip` (after the warning above) when not. */
export function describeWithEngine(engine: PrivateEngine | null): typeof describe {
  return engine ? describe : (describe.skip as unknown as typeof describe);
}

/** Run a command with the engine's environment; never rejects for a non-zero exit. */
export function exec(cmd: string, args: string[], o: { env: NodeJS.ProcessEnv; cwd?: string; input?: string; timeoutMs?: number }): Promise<Exec> {
  return new Promise((resolve, reject) => {
    const child = spawn(cmd, args, { env: o.env, cwd: o.cwd, stdio: [o.input === undefined ? 'ignore' : 'pipe', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout!.setEncoding('utf8').on('data', (d: string) => (stdout += d));
    child.stderr!.setEncoding('utf8').on('data', (d: string) => (stderr += d));
    if (o.input !== undefined) child.stdin!.end(o.input);
    const timer = setTimeout(() => child.kill('SIGKILL'), o.timeoutMs ?? 120000);
    child.on('error', (e) => {
      clearTimeout(timer);
      reject(e);
    });
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code: code ?? 1, stdout, stderr });
    });
  });
}

export const docker = (e: PrivateEngine, args: string[], o: { cwd?: string; input?: string; timeoutMs?: number } = {}) =>
  exec('docker', args, { env: e.env, ...o });

/** `docker compose -f docker-compose.yml …` in an installation folder. */
export const compose = (e: PrivateEngine, dir: string, args: string[], o: { input?: string; timeoutMs?: number } = {}) =>
  exec('docker', ['compose', '-f', 'docker-compose.yml', ...args], { env: e.env, cwd: dir, ...o });

/** Fails with a readable message unless the engine answers and the test images are there. */
export async function assertReady(e: PrivateEngine): Promise<void> {
  const v = await docker(e, ['version', '--format', '{{.Server.Version}}'], { timeoutMs: 30000 });
  if (v.code !== 0) throw new Error(`the private Docker Engine at ${e.host} does not answer: ${v.stderr.trim()}`);
  const c = await docker(e, ['compose', 'version', '--short']);
  if (c.code !== 0) throw new Error(`docker compose (the v2 plugin in DOCKER_CONFIG) does not run: ${c.stderr.trim()}`);
  for (const image of [...Object.values(E2E_IMAGES), 'mariadb:11', 'photoprism/photoprism:latest']) {
    const r = await docker(e, ['image', 'inspect', '--format', '{{.Id}}', image]);
    if (r.code !== 0) throw new Error(`test image ${image} is missing: run bash test/e2e/images/build.sh (with the engine's env.sh sourced)`);
  }
}

/** The container id of a compose service ('' when there is none). */
export async function containerOf(e: PrivateEngine, dir: string, service: string): Promise<string> {
  const r = await compose(e, dir, ['ps', '-a', '-q', service]);
  return r.stdout.trim().split('\n')[0] ?? '';
}

/** Fields of /proc/1/status inside a running container (read with `cat`, as root in the container). */
export async function procStatus(e: PrivateEngine, id: string): Promise<Record<string, string>> {
  const r = await docker(e, ['exec', id, 'cat', '/proc/1/status']);
  if (r.code !== 0) throw new Error(`docker exec ${id} cat /proc/1/status: ${r.stderr}`);
  const out: Record<string, string> = {};
  for (const line of r.stdout.split('\n')) {
    const m = /^(\w+):\s*(.*)$/.exec(line);
    if (m) out[m[1]!] = m[2]!;
  }
  return out;
}

/** Linux capability names of a CapEff/CapBnd hex mask. */
export function capNames(hex: string): string[] {
  const NAMES = [
    'CHOWN', 'DAC_OVERRIDE', 'DAC_READ_SEARCH', 'FOWNER', 'FSETID', 'KILL', 'SETGID', 'SETUID', 'SETPCAP', 'LINUX_IMMUTABLE',
    'NET_BIND_SERVICE', 'NET_BROADCAST', 'NET_ADMIN', 'NET_RAW', 'IPC_LOCK', 'IPC_OWNER', 'SYS_MODULE', 'SYS_RAWIO', 'SYS_CHROOT',
    'SYS_PTRACE', 'SYS_PACCT', 'SYS_ADMIN', 'SYS_BOOT', 'SYS_NICE', 'SYS_RESOURCE', 'SYS_TIME', 'SYS_TTY_CONFIG', 'MKNOD', 'LEASE',
    'AUDIT_WRITE', 'AUDIT_CONTROL', 'SETFCAP', 'MAC_OVERRIDE', 'MAC_ADMIN', 'SYSLOG', 'WAKE_ALARM', 'BLOCK_SUSPEND', 'AUDIT_READ',
    'PERFMON', 'BPF', 'CHECKPOINT_RESTORE',
  ];
  const mask = BigInt(`0x${hex}`);
  return NAMES.filter((_, i) => (mask >> BigInt(i)) & 1n);
}

/** Poll until `check` returns a value (not undefined) or the time is up (then the last error/undefined throws). */
export async function waitFor<T>(what: string, check: () => Promise<T | undefined>, timeoutMs: number, everyMs = 1000): Promise<T> {
  const end = Date.now() + timeoutMs;
  let last: unknown;
  for (;;) {
    try {
      const v = await check();
      if (v !== undefined) return v;
    } catch (err) {
      last = err;
    }
    if (Date.now() >= end) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}${last ? `: ${(last as Error).message}` : ''}`);
    await new Promise((r) => setTimeout(r, everyMs));
  }
}

/** GET/POST on the host (published port), with a timeout; null when nothing answers. */
export async function http(url: string, body?: unknown): Promise<{ status: number; json: unknown } | null> {
  try {
    const r = await fetch(url, {
      method: body === undefined ? 'GET' : 'POST',
      headers: body === undefined ? undefined : { 'Content-Type': 'application/json' },
      body: body === undefined ? undefined : JSON.stringify(body),
      signal: AbortSignal.timeout(5000),
    });
    return { status: r.status, json: await r.json().catch(() => null) };
  } catch {
    return null;
  }
}

/** Remove a test installation's containers and networks (never volumes of other projects). */
export async function down(e: PrivateEngine, dir: string): Promise<void> {
  if (existsSync(path.join(dir, 'docker-compose.yml'))) await compose(e, dir, ['down', '-t', '2', '--remove-orphans'], { timeoutMs: 120000 });
}
