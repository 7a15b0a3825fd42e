// `init --apply`: restart the installation the way PhotoPrism's guide says (stop, then
// up -d --force-recreate, which also re-runs the init actions), stream the engine's output, and wait
// - with a bound - until both services are healthy or running. Only ever called when the user asked.

import { COMPOSE_FILE, DB_SERVICE } from './domain.js';
import { serviceLogs, serviceStates, shown, stream, type Engine, type ServiceState } from './engine.js';
import { shellQuote } from './text.js';

export const SERVICES = ['photoprism', DB_SERVICE] as const;

export type Verdict = 'ready' | 'failed' | 'pending';

/** One service's state judged: running (and healthy, when it has a healthcheck) is ready. */
export function verdict(states: readonly ServiceState[], service: string): { verdict: Verdict; text: string } {
  const mine = states.filter((s) => s.service === service);
  if (mine.length === 0) return { verdict: 'pending', text: 'no container yet' };
  let worst: { verdict: Verdict; text: string } = { verdict: 'ready', text: '' };
  for (const s of mine) {
    const text = `${s.state || 'unknown'}${s.health ? ` (${s.health})` : ''}${s.state === 'exited' ? `, exit code ${s.exitCode}` : ''}`;
    let v: Verdict;
    if (s.state === 'running') v = s.health === 'unhealthy' ? 'failed' : s.health === '' || s.health === 'healthy' ? 'ready' : 'pending';
    else if (['exited', 'dead', 'restarting', 'stopped', 'removing'].includes(s.state)) v = 'failed';
    else v = 'pending';
    const rank = { ready: 0, pending: 1, failed: 2 } as const;
    if (worst.text === '' || rank[v] > rank[worst.verdict]) worst = { verdict: v, text };
  }
  return worst;
}

export interface StartOptions {
  engine: Engine;
  dir: string;
  env: NodeJS.ProcessEnv;
  /** every line for the user (engine output included) */
  out: (line: string) => void;
  /** how long to wait for healthy/running after `up` */
  timeoutMs: number;
  pollMs?: number;
  /** the compose file in dir (default docker-compose.yml) */
  composeFile?: string;
  /** number of log lines to show for a failing service */
  logLines?: number;
}

export interface StartResult {
  ok: boolean;
  stage: 'up' | 'wait' | 'done';
  states: ServiceState[];
  /** services that failed or did not become ready */
  failing: string[];
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

export async function startServices(o: StartOptions): Promise<StartResult> {
  const e = o.engine;
  const cwd = o.dir;
  const file = o.composeFile ?? COMPOSE_FILE;
  const echo = (l: string) => o.out(`  | ${l}`);

  o.out(`$ ${shown(e, ['stop'])}`);
  const stop = await stream(e.command, [...e.prefix, '-f', file, 'stop'], { env: o.env, cwd, timeoutMs: 180000 }, echo);
  if (stop.exitCode !== 0) o.out(`  (stop ended with exit code ${stop.exitCode}; continuing: there may be nothing to stop yet)`);

  o.out(`$ ${shown(e, ['up', '-d', '--force-recreate'])}`);
  const up = await stream(e.command, [...e.prefix, '-f', file, 'up', '-d', '--force-recreate'], { env: o.env, cwd, timeoutMs: 30 * 60000 }, echo);
  if (up.exitCode !== 0) {
    const { states } = await serviceStates(e, cwd, file, o.env);
    const failing = SERVICES.filter((s) => verdict(states, s).verdict !== 'ready');
    o.out('');
    o.out(`${shown(e, ['up'])} failed with exit code ${up.exitCode}${up.missing ? ` (${e.command} could not be started)` : ''}.`);
    await report(o, states, failing.length ? failing : [...SERVICES]);
    return { ok: false, stage: 'up', states, failing: failing.length ? failing : [...SERVICES] };
  }

  const deadline = Date.now() + o.timeoutMs;
  const poll = o.pollMs ?? 2000;
  const seen = new Map<string, string>();
  o.out(`Waiting up to ${Math.round(o.timeoutMs / 1000)} s for ${SERVICES.join(' and ')} to be healthy/running …`);
  let states: ServiceState[] = [];
  for (;;) {
    const r = await serviceStates(e, cwd, file, o.env);
    states = r.states;
    if (r.error && !seen.has('#error')) {
      seen.set('#error', r.error);
      o.out(`  (${shown(e, ['ps'])}: ${r.error.split('\n')[0]})`);
    }
    const verdicts = SERVICES.map((s) => ({ service: s, ...verdict(states, s) }));
    for (const v of verdicts) {
      if (seen.get(v.service) !== v.text) {
        seen.set(v.service, v.text);
        o.out(`  ${v.service.padEnd(11)} ${v.text}`);
      }
    }
    const failed = verdicts.filter((v) => v.verdict === 'failed').map((v) => v.service);
    if (failed.length) {
      o.out('');
      o.out(`Failed: ${failed.join(', ')} did not start.`);
      await report(o, states, failed);
      return { ok: false, stage: 'wait', states, failing: failed };
    }
    if (verdicts.every((v) => v.verdict === 'ready')) {
      o.out(`Started: ${verdicts.map((v) => `${v.service} ${v.text}`).join(', ')}.`);
      return { ok: true, stage: 'done', states, failing: [] };
    }
    if (Date.now() >= deadline) {
      const pending = verdicts.filter((v) => v.verdict !== 'ready').map((v) => v.service);
      o.out('');
      o.out(
        `Timed out after ${Math.round(o.timeoutMs / 1000)} s: ${pending.map((s) => `${s} is ${seen.get(s)}`).join(', ')}. ` +
          'Init actions such as "update" can take minutes on the first start; it may still come up (raise the bound with --apply-timeout).',
      );
      await report(o, states, pending);
      return { ok: false, stage: 'wait', states, failing: pending };
    }
    await sleep(Math.min(poll, Math.max(0, deadline - Date.now())));
  }
}

/** Last log lines of each failing service and the commands to look further. */
async function report(o: StartOptions, _states: ServiceState[], services: readonly string[]): Promise<void> {
  const e = o.engine;
  const n = o.logLines ?? 30;
  for (const s of services) {
    const lines = await serviceLogs(e, o.dir, o.composeFile ?? COMPOSE_FILE, s, n, o.env);
    o.out('');
    o.out(`Last ${n} log lines of ${s}:`);
    if (lines.length === 0) o.out('  (no log output)');
    for (const l of lines) o.out(`  | ${l}`);
  }
  o.out('');
  o.out('To inspect:');
  o.out(`  cd ${shellQuote(o.dir)}`);
  o.out(`  ${shown(e, e.kind === 'docker-compose-v2' ? ['ps', '-a'] : ['ps'])}`);
  for (const s of services) o.out(`  ${shown(e, ['logs', '--tail', '200', s])}`);
}
