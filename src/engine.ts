// Compose engines: finding one (docker compose, docker-compose, podman-compose), validating a file
// with it, and the few lifecycle commands `init --apply` needs (stop, up, ps, logs). Every command
// runs through a CommandRunner, the host's (HostProbe.commands: the real one below, or a test's fake
// engines), with an explicit environment (no inherited variables); a program is found only in the
// PATH of that environment. Nothing here changes anything unless a caller that the user asked for
// (--apply) calls it.

import type { spawn as Spawn } from 'node:child_process';
import { accessSync, constants as fsConstants, statSync } from 'node:fs';
import path from 'node:path';
import { requireBuiltin } from './builtins.js';

/** node:child_process when the first command runs (audit without --running starts none: see builtins.ts) */
const spawn = (): typeof Spawn => requireBuiltin<typeof import('node:child_process')>('node:child_process').spawn;

export type EngineKind = 'docker-compose-v2' | 'docker-compose-v1' | 'podman-compose';
/** What `--engine` accepts. */
export const ENGINE_CHOICES = ['docker', 'docker-compose', 'podman'] as const;
export type EngineChoice = (typeof ENGINE_CHOICES)[number];

export interface Engine {
  kind: EngineKind;
  /** the executable */
  command: string;
  /** arguments before the compose sub-command (["compose"] for the Docker CLI plugin) */
  prefix: string[];
  /** the engine's own version, e.g. "2.29.1" */
  version: string;
  /** the container CLI behind it, for `info` and `inspect` */
  runtime: 'docker' | 'podman';
  /** how a person types it: "docker compose", "docker-compose", "podman-compose" */
  display: string;
  /** what runs its commands: the runner that found it (absent: the real one) */
  runner?: CommandRunner;
}

export interface RunResult {
  exitCode: number;
  stdout: string;
  stderr: string;
  /** the command could not be started at all (not installed) */
  missing: boolean;
  timedOut: boolean;
}

export interface RunOptions {
  env: NodeJS.ProcessEnv;
  cwd?: string;
  timeoutMs?: number;
  /** aborting kills the command (SIGTERM); the result then says exit code 1 */
  signal?: AbortSignal;
}

export interface StreamResult {
  exitCode: number;
  missing: boolean;
  timedOut: boolean;
  /** the last lines of output */
  tail: string[];
}

/**
 * How the tool runs programs (engine probes, validation, lifecycle commands): part of the host
 * (HostProbe.commands), so tests answer for the engines instead of this machine's programs.
 */
export interface CommandRunner {
  /**
   * The executable `command` names: itself when it holds a slash, else the first executable file of
   * that name in env.PATH's folders; null when there is none (no default search path without PATH).
   */
  which(command: string, env: NodeJS.ProcessEnv): string | null;
  /** run and capture; never throws (a program not found is `missing`, exit code 127) */
  run(command: string, args: string[], o: RunOptions): Promise<RunResult>;
  /** run and hand every output line to `line` as it comes */
  stream(command: string, args: string[], o: RunOptions, line: (l: string) => void): Promise<StreamResult>;
}

/** SIGTERM on timeout; SIGKILL this long after, if the command ignores SIGTERM (as execa does). */
const FORCE_KILL_AFTER_MS = 5000;
/** how long output is still read after the command exited (its background children may keep the pipes) */
const PIPE_GRACE_MS = 2000;

/**
 * Run a command and capture its output; never throws for a failing or missing command.
 * node:child_process, not execa: these are the short read-only probes every `init` runs, and loading
 * execa (~45 ms) would cost more than the probes themselves. execa drives the long lifecycle commands
 * (`stream` below), where its line iteration and cleanup earn their load time.
 */
export async function run(command: string, args: string[], o: RunOptions): Promise<RunResult> {
  const file = which(command, o.env);
  if (!file) return { exitCode: 127, stdout: '', stderr: `${command}: command not found`, missing: true, timedOut: false };
  return new Promise((resolve) => {
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    let timedOut = false;
    let forceKill: NodeJS.Timeout | undefined;
    let settled = false;
    const done = (r: RunResult) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      clearTimeout(forceKill);
      resolve(r);
    };
    const child = spawn()(file, args, { argv0: command, env: o.env, cwd: o.cwd, stdio: ['ignore', 'pipe', 'pipe'], signal: o.signal });
    const timer = setTimeout(() => {
      timedOut = true;
      child.kill('SIGTERM');
      forceKill = setTimeout(() => child.kill('SIGKILL'), FORCE_KILL_AFTER_MS);
      forceKill.unref();
    }, o.timeoutMs ?? 20000);
    timer.unref();
    child.stdout.on('data', (b: Buffer) => out.push(b));
    child.stderr.on('data', (b: Buffer) => err.push(b));
    child.on('error', (e: NodeJS.ErrnoException) => {
      const missing = e.code === 'ENOENT';
      done({ exitCode: missing ? 127 : 1, stdout: '', stderr: missing ? `${command}: command not found` : e.message, missing, timedOut });
    });
    const finish = (code: number | null, signal: NodeJS.Signals | null) => {
      const text = (bufs: Buffer[]) => Buffer.concat(bufs).toString('utf8').replace(/\r?\n$/, '');
      const stderr = text(err);
      done({
        exitCode: code ?? 1,
        stdout: text(out),
        stderr: stderr || (signal && !timedOut ? `${command} was killed by ${signal}` : ''),
        missing: false,
        timedOut,
      });
    };
    child.on('close', finish);
    // a process it started in the background may hold the pipes open after it exited: the output is
    // complete once they close, but that is not waited for long (nor at all after a timeout)
    child.on('exit', (code, signal) => {
      setTimeout(
        () => {
          child.stdout.destroy();
          child.stderr.destroy();
          finish(code, signal);
        },
        timedOut || o.signal?.aborted ? 0 : PIPE_GRACE_MS,
      ).unref();
    });
  });
}

/**
 * Run a command and hand every output line (stdout and stderr, interleaved) to `line` as it comes.
 * Returns the exit code and the last lines, for error reports.
 */
export async function stream(
  command: string,
  args: string[],
  o: RunOptions,
  line: (l: string) => void,
): Promise<StreamResult> {
  const file = which(command, o.env);
  if (!file) return { exitCode: 127, missing: true, timedOut: false, tail: [`${command}: command not found`] };
  const { execa } = await import('execa');
  const sub = execa(file, args, {
    env: o.env,
    extendEnv: false,
    cwd: o.cwd,
    timeout: o.timeoutMs,
    reject: false,
    stdin: 'ignore',
    all: true,
    buffer: false,
  });
  const tail: string[] = [];
  try {
    for await (const l of sub.iterable({ from: 'all' })) {
      const text = stripControl(String(l));
      line(text);
      tail.push(text);
      if (tail.length > 50) tail.shift();
    }
  } catch {
    /* the process failed to start; the result below says why */
  }
  const r = await sub;
  const missing = r.exitCode === undefined && (r as { code?: string }).code === 'ENOENT';
  return { exitCode: r.exitCode ?? (missing ? 127 : 1), missing, timedOut: Boolean(r.timedOut), tail };
}

const VERSION_RE = /v?(\d+\.\d+(?:\.\d+)?(?:[-+][0-9A-Za-z.-]+)?)/;

/** The version number in a `version` output ("Docker Compose version v2.29.1", "1.29.2", ...). */
export function parseVersion(text: string): string | null {
  const m = VERSION_RE.exec(text);
  return m ? m[1]! : null;
}

export function majorOf(version: string): number {
  return Number(version.split('.')[0]);
}

interface Candidate {
  choice: EngineChoice;
  display: string;
  command: string;
  prefix: string[];
}

const CANDIDATES: readonly Candidate[] = [
  { choice: 'docker', display: 'docker compose', command: 'docker', prefix: ['compose'] },
  { choice: 'docker-compose', display: 'docker-compose', command: 'docker-compose', prefix: [] },
  { choice: 'podman', display: 'podman-compose', command: 'podman-compose', prefix: [] },
];

/**
 * The executable `cmd` names, looked up as a shell does but only in env.PATH (no PATH: nothing is
 * found; Node's spawn would fall back to a default search path). No process is started to find out.
 */
export function which(cmd: string, env: NodeJS.ProcessEnv): string | null {
  if (cmd.includes('/')) return cmd;
  if (!cmd) return null;
  // access(2) per folder, synchronously: cheaper than a thread-pool round trip each
  for (const d of (env.PATH ?? '').split(path.delimiter)) {
    if (!d) continue;
    const file = path.join(d, cmd);
    try {
      accessSync(file, fsConstants.X_OK);
      if (statSync(file).isFile()) return file;
    } catch {
      /* not here */
    }
  }
  return null;
}

/** The real runner: programs of this machine, through node:child_process (execa for `stream`). */
export const systemCommands: CommandRunner = { which, run, stream };

/** The runner of an engine's commands. */
export function commandsOf(e: Engine): CommandRunner {
  return e.runner ?? systemCommands;
}

/**
 * The compose plugin as `docker info --format '{{json .}}'` lists it in ClientInfo.Plugins: the Docker
 * CLI finds its plugins the same way for `docker info` as for `docker compose`, and reports them also
 * when the daemon cannot be reached. undefined when the output does not say (an old CLI, no JSON, a
 * plugin that reports an error): then `docker compose version` has to be asked.
 */
export function composePluginInInfo(stdout: string): { version: string } | { missing: true } | undefined {
  let o: unknown;
  try {
    o = JSON.parse(stdout);
  } catch {
    return undefined;
  }
  const plugins = (o as { ClientInfo?: { Plugins?: unknown } } | null)?.ClientInfo?.Plugins;
  if (!Array.isArray(plugins)) return undefined;
  const compose = (plugins as Record<string, unknown>[]).find((p) => p && p.Name === 'compose');
  if (!compose) return { missing: true };
  const version = typeof compose.Version === 'string' && !compose.Err ? parseVersion(compose.Version) : null;
  return version ? { version } : undefined;
}

async function probeCandidate(
  c: Candidate,
  env: NodeJS.ProcessEnv,
  runner: CommandRunner,
  signal?: AbortSignal,
  dockerInfo?: Promise<RunResult>,
): Promise<Engine | { tried: string; why: string }> {
  const tried = `${c.display} version`;
  if (!runner.which(c.command, env)) return { tried, why: 'not installed' };
  if (c.choice === 'docker' && dockerInfo) {
    // one process fewer: `docker info` (needed anyway) names the compose plugin and its version
    const info = await dockerInfo;
    const plugin = info.missing ? undefined : composePluginInInfo(info.stdout);
    if (plugin && 'missing' in plugin) return { tried, why: 'the Docker CLI has no compose plugin' };
    if (plugin) return engineOf(c, plugin.version, runner);
  }
  let r = await runner.run(c.command, [...c.prefix, 'version', '--short'], { env, timeoutMs: 15000, signal });
  if (r.missing) return { tried, why: 'not installed' };
  let version = r.exitCode === 0 ? parseVersion(r.stdout) : null;
  if (!version && c.choice === 'podman') {
    // podman-compose before 1.1 has no --short
    r = await runner.run(c.command, ['version'], { env, timeoutMs: 15000, signal });
    const m = /podman-compose version:?\s*v?(\d+\.\d+(?:\.\d+)?)/.exec(`${r.stdout}\n${r.stderr}`);
    version = r.exitCode === 0 && m ? m[1]! : null;
  }
  if (!version) {
    const why = (r.stderr || r.stdout).split('\n')[0] || `exit code ${r.exitCode}`;
    return { tried, why: c.choice === 'docker' ? 'the Docker CLI has no compose plugin' : `not usable: ${why}` };
  }
  return engineOf(c, version, runner);
}

/** The engine a candidate is, at `version`. */
function engineOf(c: Candidate, version: string, runner: CommandRunner): Engine {
  const kind: EngineKind = c.choice === 'podman' ? 'podman-compose' : majorOf(version) >= 2 ? 'docker-compose-v2' : 'docker-compose-v1';
  return { kind, command: c.command, prefix: c.prefix, version, runtime: c.choice === 'podman' ? 'podman' : 'docker', display: c.display, ...(runner === systemCommands ? {} : { runner }) };
}

export interface Detection {
  engine: Engine | null;
  /** one line per engine that was looked for and not usable */
  notFound: string[];
}

/**
 * Find a Compose engine: `docker compose` (v2), then `docker-compose` (v1, or a standalone v2 binary),
 * then `podman-compose`. With a choice, only that one is tried. Read-only: runs `version` only, through
 * `runner` (the host's; the engine found keeps it for its later commands).
 */
export async function detect(
  env: NodeJS.ProcessEnv,
  choice?: EngineChoice,
  signal?: AbortSignal,
  dockerInfo?: Promise<RunResult>,
  runner: CommandRunner = systemCommands,
): Promise<Detection> {
  const notFound: string[] = [];
  // probed side by side (each is a process start); the first usable one in this order wins
  const tried = CANDIDATES.filter((c) => !choice || c.choice === choice);
  const results = await Promise.all(tried.map((c) => probeCandidate(c, env, runner, signal, dockerInfo)));
  for (const [i, r] of results.entries()) {
    if ('kind' in r) return { engine: r, notFound };
    notFound.push(`${tried[i]!.display} (${r.why})`);
  }
  return { engine: null, notFound };
}

/** What to install when no engine (or not the chosen one) was found. */
export function installAdvice(choice?: EngineChoice): string[] {
  // (one line per engine: the output wraps it to the terminal's width)
  const docker = [
    "Docker Compose v2: install Docker Engine with its compose plugin (package docker-compose-plugin from Docker's apt/dnf repository, see https://docs.docker.com/compose/install/linux/); then `docker compose version` works.",
  ];
  const legacy = ['docker-compose: the standalone binary (Debian/Ubuntu: apt install docker-compose); v2 is recommended over v1.'];
  const podman = ['podman-compose: apt install podman-compose / dnf install podman-compose (or pip install podman-compose), with Podman itself.'];
  if (choice === 'docker') return docker;
  if (choice === 'docker-compose') return legacy;
  if (choice === 'podman') return podman;
  return [...docker, ...podman];
}

/** Full argv (after the command) for a compose sub-command on `file`. */
export function composeArgs(e: Engine, file: string, sub: string[]): string[] {
  return [...e.prefix, '-f', file, ...sub];
}

export function shown(e: Engine, sub: string[]): string {
  return [e.display, ...sub].join(' ');
}

export type Validation = { ok: true; warnings: string[] } | { ok: false; error: string };

/**
 * Ask the engine whether it accepts a compose file (`config --quiet`; podman-compose has no --quiet,
 * so its rendering is read and dropped). Runs in the file's folder, as the user would.
 */
export async function validateWithEngine(e: Engine, file: string, env: NodeJS.ProcessEnv): Promise<Validation> {
  const sub = e.kind === 'podman-compose' ? ['config'] : ['config', '--quiet'];
  const r = await commandsOf(e).run(e.command, composeArgs(e, path.basename(file), sub), { env, cwd: path.dirname(file), timeoutMs: 60000 });
  if (r.exitCode === 0) {
    return { ok: true, warnings: r.stderr.split('\n').filter((l) => l.trim() !== '') };
  }
  const text = [r.stderr, e.kind === 'podman-compose' ? '' : r.stdout].filter(Boolean).join('\n').trim();
  return { ok: false, error: text || `${shown(e, sub)} failed with exit code ${r.exitCode}${r.timedOut ? ' (timed out)' : ''}` };
}

// ---------------------------------------------------------------------------------------------
// service state

export interface ServiceState {
  service: string;
  /** running, exited, restarting, created, dead, paused, ... */
  state: string;
  /** healthy, unhealthy, starting, or '' without a healthcheck */
  health: string;
  exitCode: number;
}

/** `docker compose ps --format json`: a JSON array (Compose < 2.21) or one JSON object per line. */
export function parsePsJson(text: string): ServiceState[] {
  const t = text.trim();
  if (!t) return [];
  let items: unknown[];
  try {
    const v = JSON.parse(t) as unknown;
    items = Array.isArray(v) ? v : [v];
  } catch {
    items = t
      .split('\n')
      .filter((l) => l.trim().startsWith('{'))
      .map((l) => JSON.parse(l) as unknown);
  }
  return items.map((raw) => {
    const o = raw as Record<string, unknown>;
    return {
      service: String(o.Service ?? ''),
      state: String(o.State ?? '').toLowerCase(),
      health: String(o.Health ?? '').toLowerCase(),
      exitCode: Number(o.ExitCode ?? 0),
    };
  });
}

/** `docker inspect` / `podman inspect` of containers: service label, state, health. */
export function parseInspect(text: string): ServiceState[] {
  const t = text.trim();
  if (!t) return [];
  const list = JSON.parse(t) as Record<string, unknown>[];
  return list.map((c) => {
    const labels = ((c.Config as Record<string, unknown> | undefined)?.Labels ?? {}) as Record<string, string>;
    const st = (c.State ?? {}) as Record<string, unknown>;
    const h = (st.Health ?? st.Healthcheck) as Record<string, unknown> | undefined;
    return {
      service: labels['com.docker.compose.service'] ?? labels['io.podman.compose.service'] ?? '',
      state: String(st.Status ?? '').toLowerCase(),
      health: String(h?.Status ?? '').toLowerCase(),
      exitCode: Number(st.ExitCode ?? 0),
    };
  });
}

/** The state of every container of the project in `dir`. */
export async function serviceStates(e: Engine, dir: string, file: string, env: NodeJS.ProcessEnv): Promise<{ states: ServiceState[]; error?: string }> {
  if (e.kind === 'docker-compose-v2') {
    const r = await commandsOf(e).run(e.command, composeArgs(e, file, ['ps', '-a', '--format', 'json']), { env, cwd: dir });
    if (r.exitCode !== 0) return { states: [], error: r.stderr || r.stdout };
    try {
      return { states: parsePsJson(r.stdout) };
    } catch (err) {
      return { states: [], error: `cannot read the output of ${shown(e, ['ps'])}: ${(err as Error).message}` };
    }
  }
  // Compose v1 and podman-compose have no JSON ps: list the ids, then inspect them.
  const ids = await commandsOf(e).run(e.command, composeArgs(e, file, ['ps', '-q']), { env, cwd: dir });
  if (ids.exitCode !== 0) return { states: [], error: ids.stderr || ids.stdout };
  const list = ids.stdout.split('\n').map((l) => l.trim()).filter(Boolean);
  if (list.length === 0) return { states: [] };
  const r = await commandsOf(e).run(e.runtime, ['inspect', ...list], { env, cwd: dir });
  if (r.exitCode !== 0) return { states: [], error: r.stderr || r.stdout };
  try {
    return { states: parseInspect(r.stdout) };
  } catch (err) {
    return { states: [], error: `cannot read the output of ${e.runtime} inspect: ${(err as Error).message}` };
  }
}

/** Arguments for the last `n` log lines of one service. */
export function logsArgs(e: Engine, service: string, n: number): string[] {
  return e.kind === 'podman-compose' ? ['logs', '--tail', String(n), service] : ['logs', '--no-color', '--tail', String(n), service];
}

export async function serviceLogs(e: Engine, dir: string, file: string, service: string, n: number, env: NodeJS.ProcessEnv): Promise<string[]> {
  const r = await commandsOf(e).run(e.command, composeArgs(e, file, logsArgs(e, service, n)), { env, cwd: dir, timeoutMs: 30000 });
  const text = [r.stdout, r.stderr].filter(Boolean).join('\n');
  return text
    .split('\n')
    .map(stripControl)
    .filter((l) => l.trim() !== '')
    .slice(-n);
}

/**
 * A line of engine or container output without terminal control sequences: Compose 2.26 prefixes every log
 * line with ESC[2K (erase line) even with --no-color/--ansi never, and a container may print colours or
 * cursor movements of its own. CSI/OSC sequences, other escapes and C0/C1 control characters (tab kept) go.
 */
export function stripControl(line: string): string {
  return line
    .replace(/\x1b\[[0-?]*[ -/]*[@-~]/g, '') // CSI: ESC [ params intermediates final
    .replace(/\x1b\][^\x07\x1b]*(?:\x07|\x1b\\)?/g, '') // OSC ... BEL or ST
    .replace(/\x1b[@-_]?/g, '') // any other escape
    .replace(/[\x00-\x08\x0b-\x1f\x7f-\x9f]/g, ''); // remaining control characters (tab kept)
}

/**
 * Where the host reaches a service's container port: `port SERVICE PORT` ("0.0.0.0:2342", "127.0.0.1:8080",
 * "[::]:2342"), as a URL base a client on this host can open (a wildcard address becomes loopback).
 * undefined when the port is not published (or the engine does not say).
 */
export async function publishedUrl(e: Engine, dir: string, file: string, service: string, port: number, env: NodeJS.ProcessEnv): Promise<string | undefined> {
  const r = await commandsOf(e).run(e.command, composeArgs(e, file, ['port', service, String(port)]), { env, cwd: dir, timeoutMs: 20000 });
  if (r.exitCode !== 0) return undefined;
  const line = r.stdout.split('\n').map((l) => stripControl(l).trim()).find((l) => /:\d+$/.test(l));
  if (!line) return undefined;
  const m = /^(.*):(\d+)$/.exec(line)!;
  let host = m[1]!.replace(/^\[|\]$/g, '');
  const hostPort = Number(m[2]);
  if (hostPort === 0) return undefined;
  if (host === '' || host === '0.0.0.0') host = '127.0.0.1';
  else if (host === '::') host = '::1';
  return `http://${host.includes(':') ? `[${host}]` : host}:${hostPort}`;
}
