// A fake CommandRunner (HostProbe.commands) for tests: Compose engines and container CLIs that answer
// from canned replies instead of this machine's programs. Test code only (no jest import: the
// test-only CLI entry bundles it). Every call (argv and working directory) is recorded in a log file
// of `data`, and the reply counters live there too, so a spawned CLI (test/helpers/cli-entry.ts)
// and the test that reads its calls share them. A rule's replies are used in order, the last one
// repeats (so `ps` can go "starting" -> "healthy").

import { appendFileSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import type { CommandRunner, RunOptions, RunResult, StreamResult } from '../../src/engine.js';

export interface Reply {
  stdout?: string;
  stderr?: string;
  code?: number;
  /** the command does not end by itself for this long (killed by an abort or its timeout) */
  hangMs?: number;
}

export interface Rule {
  /** glob on the arguments joined by spaces: `*` is a wildcard, everything else literal */
  when: string;
  replies: Reply | Reply[];
}

/** The programs the fake host has (by name), and how each answers. */
export type Spec = Record<string, Rule[]>;

export interface Call {
  cmd: string;
  args: string[];
  cwd: string;
}

/** Where the fake programs seem to live (never a real folder). */
export const FAKE_BIN = '/nonexistent/pph-fake-engines/bin';

const globRe = (glob: string) => new RegExp(`^${glob.split('*').map((l) => l.replace(/[\\^$.|?+()[\]{}]/g, '\\$&')).join('.*')}$`, 's');

export function callsLog(data: string): string {
  return path.join(data, 'calls.log');
}

/** The calls recorded in `data`, in order. */
export function readCalls(data: string): Call[] {
  const log = callsLog(data);
  if (!existsSync(log)) return [];
  return readFileSync(log, 'utf8')
    .split('\n')
    .filter(Boolean)
    .map((l) => JSON.parse(l) as Call);
}

/**
 * The runner of a fake host with the programs of `spec` (state in the folder `data`). A program not
 * in `spec` is not installed, whatever PATH says; one in it is found whatever PATH says.
 */
export function fakeCommands(spec: Spec, data: string): CommandRunner {
  mkdirSync(data, { recursive: true });
  const name = (command: string) => (command.startsWith(`${FAKE_BIN}/`) ? command.slice(FAKE_BIN.length + 1) : command);
  const has = (command: string) => Object.prototype.hasOwnProperty.call(spec, name(command));
  const missing = (command: string): RunResult => ({ exitCode: 127, stdout: '', stderr: `${command}: command not found`, missing: true, timedOut: false });

  /** the reply to one call, recorded */
  const answer = (command: string, args: string[], o: RunOptions): Reply => {
    const cmd = name(command);
    appendFileSync(callsLog(data), `${JSON.stringify({ cmd, args, cwd: o.cwd ?? process.cwd() } satisfies Call)}\n`);
    const joined = args.join(' ');
    const i = spec[cmd]!.findIndex((r) => globRe(r.when).test(joined));
    if (i < 0) return { stderr: `fake ${cmd}: unexpected arguments: ${joined}\n`, code: 99 };
    const rule = spec[cmd]![i]!;
    const replies = Array.isArray(rule.replies) ? rule.replies : [rule.replies];
    const counter = path.join(data, `${cmd}.${i}.n`);
    const n = existsSync(counter) ? Number(readFileSync(counter, 'utf8')) : 0;
    writeFileSync(counter, String(n + 1));
    return replies[Math.min(n, replies.length - 1)]!;
  };

  /** wait out a hanging reply: until the abort signal or the timeout */
  const hang = (rep: Reply, o: RunOptions): Promise<'done' | 'aborted' | 'timedOut'> =>
    new Promise((resolve) => {
      if (!rep.hangMs) return void setImmediate(() => resolve('done'));
      if (o.signal?.aborted) return void resolve('aborted');
      const limit = o.timeoutMs !== undefined && o.timeoutMs < rep.hangMs ? o.timeoutMs : rep.hangMs;
      // (a ref'd timer, as a running child process keeps the CLI alive until it is killed)
      const t = setTimeout(() => resolve(limit === rep.hangMs ? 'done' : 'timedOut'), limit);
      o.signal?.addEventListener('abort', () => (clearTimeout(t), resolve('aborted')), { once: true });
    });

  const strip = (s: string | undefined) => (s ?? '').replace(/\r?\n$/, '');

  return {
    which(command, _env) {
      return has(command) ? (command.includes('/') ? command : `${FAKE_BIN}/${command}`) : null;
    },
    async run(command, args, o): Promise<RunResult> {
      if (!has(command)) return missing(command);
      const rep = answer(command, args, o);
      const how = await hang(rep, o);
      if (how !== 'done') return { exitCode: 1, stdout: '', stderr: how === 'aborted' ? `${command} was killed by SIGTERM` : '', missing: false, timedOut: how === 'timedOut' };
      return { exitCode: rep.code ?? 0, stdout: strip(rep.stdout), stderr: strip(rep.stderr), missing: false, timedOut: false };
    },
    async stream(command, args, o, line): Promise<StreamResult> {
      if (!has(command)) return { exitCode: 127, missing: true, timedOut: false, tail: [`${command}: command not found`] };
      const rep = answer(command, args, o);
      const how = await hang(rep, o);
      const tail: string[] = [];
      if (how === 'done') for (const l of `${rep.stdout ?? ''}${rep.stderr ?? ''}`.split('\n').filter((x, i, all) => x !== '' || i < all.length - 1)) {
        line(l);
        tail.push(l);
      }
      return { exitCode: how === 'done' ? (rep.code ?? 0) : 1, missing: false, timedOut: how === 'timedOut', tail: tail.slice(-50) };
    },
  };
}
