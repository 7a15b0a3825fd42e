// How rotate and `audit --running` reach the running installation: one small interface in front of the
// Compose engine and its container CLI, so unit tests hand in fakes. The real one runs the engine with
// stdin as a pipe: secrets travel only through stdin, never through an argument or the environment
// (the child's environment is the user's, with every PHOTOPRISM_HARDEN_* password preset removed).

import { spawn } from 'node:child_process';
import { PASSWORD_ENV } from '../domain.js';
import { commandsOf, composeArgs, type Engine } from '../engine.js';

export interface ExecResult {
  exitCode: number;
  stdout: string;
  stderr: string;
  /** the command could not be started (not installed) */
  missing?: boolean;
  timedOut?: boolean;
}

/** One exchange of a conversation: wait until stdout matches `expect`, then write `send` to stdin. */
export interface Exchange {
  expect: RegExp;
  send: string;
}

export interface RunOpts {
  /** written to the command's stdin, which is then closed */
  stdin?: string;
  timeoutMs?: number;
}

export interface EngineAccess {
  /** how a person types the compose command ("docker compose"), for messages */
  display: string;
  /** the container CLI ("docker", "podman") */
  runtime: string;
  /** a compose sub-command on the installation's compose file, in its folder */
  compose(sub: string[], o?: RunOpts): Promise<ExecResult>;
  /** a container-CLI command (inspect, top) */
  container(args: string[], o?: RunOpts): Promise<ExecResult>;
  /** a compose sub-command that asks questions on stdout and reads the answers on stdin */
  converse(sub: string[], steps: Exchange[], o?: RunOpts): Promise<ExecResult>;
}

/** The environment handed to engine commands: the user's, without the tool's password presets. */
export function childEnv(env: NodeJS.ProcessEnv): NodeJS.ProcessEnv {
  const out: NodeJS.ProcessEnv = {};
  const drop = new Set<string>(Object.values(PASSWORD_ENV));
  for (const [k, v] of Object.entries(env)) if (!drop.has(k) && !/^PHOTOPRISM_HARDEN_.*(PASSWORD|SECRET)/i.test(k)) out[k] = v;
  return out;
}

const FORCE_KILL_AFTER_MS = 5000;

/** `file`: the program `command` names, found by the engine's runner (null: not installed) */
function spawnWith(
  command: string,
  file: string | null,
  args: string[],
  env: NodeJS.ProcessEnv,
  cwd: string,
  o: RunOpts,
  steps: Exchange[] = [],
): Promise<ExecResult> {
  if (!file) return Promise.resolve({ exitCode: 127, stdout: '', stderr: `${command}: command not found`, missing: true, timedOut: false });
  return new Promise((resolve) => {
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    let timedOut = false;
    let settled = false;
    const child = spawn(file, args, { argv0: command, env, cwd, stdio: ['pipe', 'pipe', 'pipe'] });
    const timer = setTimeout(() => {
      timedOut = true;
      child.kill('SIGTERM');
      setTimeout(() => child.kill('SIGKILL'), FORCE_KILL_AFTER_MS).unref();
    }, o.timeoutMs ?? 120000);
    timer.unref();
    const done = (r: ExecResult) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      resolve(r);
    };
    child.stdin.on('error', () => {
      /* the command ended before reading all of its input: its exit code tells */
    });
    let next = 0;
    let seen = 0;
    const advance = () => {
      // answer each question once it has been asked (PhotoPrism reads each answer with a fresh reader,
      // which would swallow a second line already waiting in the pipe)
      const text = Buffer.concat(out).toString('utf8');
      while (next < steps.length) {
        const m = steps[next]!.expect.exec(text.slice(seen));
        if (!m) return;
        seen += m.index + m[0].length;
        child.stdin.write(steps[next]!.send);
        next++;
      }
      if (steps.length) child.stdin.end(o.stdin ?? '');
    };
    child.stdout.on('data', (b: Buffer) => {
      out.push(b);
      if (steps.length && next < steps.length) advance();
    });
    child.stderr.on('data', (b: Buffer) => err.push(b));
    child.on('error', (e: NodeJS.ErrnoException) => {
      const missing = e.code === 'ENOENT';
      done({ exitCode: missing ? 127 : 1, stdout: '', stderr: missing ? `${command}: command not found` : e.message, missing, timedOut });
    });
    child.on('close', (code, signal) => {
      const text = (bufs: Buffer[]) => Buffer.concat(bufs).toString('utf8');
      done({ exitCode: code ?? 1, stdout: text(out), stderr: text(err) || (signal && !timedOut ? `${command} was killed by ${signal}` : ''), timedOut });
    });
    if (!steps.length) child.stdin.end(o.stdin ?? '');
  });
}

/**
 * The real engine: `docker compose -f FILE ...` in the installation folder, and `docker ...`. The
 * programs are the ones the engine's runner finds (in the environment's PATH only); these commands
 * need stdin as a pipe, so they are started here rather than by the runner.
 */
export function engineAccess(e: Engine, dir: string, composeFile: string, env: NodeJS.ProcessEnv): EngineAccess {
  const cenv = childEnv(env);
  const runner = commandsOf(e);
  const cmd = () => runner.which(e.command, cenv);
  return {
    display: e.display,
    runtime: e.runtime,
    compose: (sub, o = {}) => spawnWith(e.command, cmd(), composeArgs(e, composeFile, sub), cenv, dir, o),
    container: (args, o = {}) => spawnWith(e.runtime, runner.which(e.runtime, cenv), args, cenv, dir, o),
    converse: (sub, steps, o = {}) => spawnWith(e.command, cmd(), composeArgs(e, composeFile, sub), cenv, dir, o, steps),
  };
}
