// `init --apply`: restart the installation the way PhotoPrism's guide says (stop, then
// up -d --force-recreate, which also re-runs the init actions), stream the engine's output, and wait
// - with a bound - until MariaDB is healthy and PhotoPrism really serves: a running container is not
// enough (PhotoPrism's entrypoint runs the init actions first, and its bare `wait` keeps a container whose
// app died "running" for a moment and then lets it exit 0). PhotoPrism serves when GET /api/v1/status on
// its published port answers 200 (or, with no published port, `photoprism status` inside the container
// succeeds). A container that exits, restarts or turns unhealthy is a failure, reported with its last log
// lines. Only ever called when the user asked.

import { COMPOSE_FILE, DB_SERVICE } from './domain.js';
import { commandsOf, composeArgs, publishedUrl, serviceLogs, serviceStates, shown, type Engine, type ServiceState } from './engine.js';
import { shellQuote } from './text.js';
import { get as httpGet } from 'node:http';

/** PhotoPrism's service, its container port and its status endpoint */
export const APP_SERVICE = 'photoprism';
export const APP_PORT = 2342;
export const STATUS_PATH = '/api/v1/status';

/** What one look at PhotoPrism's status said. */
export interface Probe {
  serving: boolean;
  /** how it was asked, for the progress lines: "http://127.0.0.1:2342/api/v1/status" */
  via: string;
  /** the answer or why there is none: "operational", "connection refused", "HTTP 502" */
  detail: string;
}

/**
 * GET url with a timeout: serving on a 200. node:http, not fetch: fetch's sockets and AbortSignal.timeout
 * do not keep Node's event loop alive, so a connection the engine's port proxy accepts and never answers
 * let the whole run end, silently, with exit code 0.
 */
export function probeHttp(url: string, timeoutMs = 5000): Promise<Probe> {
  return new Promise((resolve) => {
    let done = false;
    const finish = (p: Omit<Probe, 'via'>) => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      req.destroy();
      resolve({ via: url, ...p });
    };
    const req = httpGet(url, { headers: { Accept: 'application/json' } }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (d: string) => {
        if (body.length < 4096) body += d;
      });
      res.on('end', () => {
        let status = '';
        try {
          status = String((JSON.parse(body) as { status?: unknown }).status ?? '');
        } catch {
          /* not JSON */
        }
        if (res.statusCode !== 200) finish({ serving: false, detail: `HTTP ${res.statusCode}` });
        else finish({ serving: true, detail: status || 'HTTP 200' });
      });
      res.on('error', (err) => finish({ serving: false, detail: err.message }));
    });
    req.on('error', (err: NodeJS.ErrnoException) =>
      finish({ serving: false, detail: err.code === 'ECONNREFUSED' ? 'connection refused' : err.code === 'ECONNRESET' ? 'connection reset' : err.code || err.message }),
    );
    // a referenced timer: the run waits for it
    const timer = setTimeout(() => finish({ serving: false, detail: `no answer within ${Math.round(timeoutMs / 1000)} s` }), timeoutMs);
  });
}

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
  /** a progress line at least this often while waiting (default 15 s) */
  progressMs?: number;
  /** how PhotoPrism's status is asked once its container runs (default: HTTP on the published port, see above) */
  probe?: () => Promise<Probe>;
  /**
   * the services to wait for, by role (default: the generated file's "photoprism" and "mariadb"): an
   * adopted installation's own names, and no database service with SQLite
   */
  services?: { app: string; db: string | null; appPort?: number };
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
  const appName = o.services?.app ?? APP_SERVICE;
  const dbName = o.services ? o.services.db : DB_SERVICE;
  const names = [appName, ...(dbName ? [dbName] : [])];
  const echo = (l: string) => o.out(`  | ${l}`);

  o.out(`$ ${shown(e, ['stop'])}`);
  const stop = await commandsOf(e).stream(e.command, [...e.prefix, '-f', file, 'stop'], { env: o.env, cwd, timeoutMs: 180000 }, echo);
  if (stop.exitCode !== 0) o.out(`  (stop ended with exit code ${stop.exitCode}; continuing: there may be nothing to stop yet)`);

  o.out(`$ ${shown(e, ['up', '-d', '--force-recreate'])}`);
  const up = await commandsOf(e).stream(e.command, [...e.prefix, '-f', file, 'up', '-d', '--force-recreate'], { env: o.env, cwd, timeoutMs: 30 * 60000 }, echo);
  if (up.exitCode !== 0) {
    const { states } = await serviceStates(e, cwd, file, o.env);
    const failing = names.filter((s) => verdict(states, s).verdict !== 'ready');
    o.out('');
    o.out(`${shown(e, ['up'])} failed with exit code ${up.exitCode}${up.missing ? ` (${e.command} could not be started)` : ''}.`);
    await report(o, states, failing.length ? failing : [...names]);
    return { ok: false, stage: 'up', states, failing: failing.length ? failing : [...names] };
  }

  const deadline = Date.now() + o.timeoutMs;
  const started = Date.now();
  const poll = o.pollMs ?? 2000;
  const progressMs = o.progressMs ?? 15000;
  const seen = new Map<string, string>();
  o.out(
    `Waiting up to ${Math.round(o.timeoutMs / 1000)} s for ${dbName ? `${dbName} to be healthy and ` : ''}${appName} to answer on its status endpoint ` +
      '(the init actions run first) …',
  );
  const probe = o.probe ?? defaultProbe(o);
  let states: ServiceState[] = [];
  let lastProbe: Probe | undefined;
  let lastProgress = Date.now();
  for (;;) {
    const r = await serviceStates(e, cwd, file, o.env);
    states = r.states;
    if (r.error && !seen.has('#error')) {
      seen.set('#error', r.error);
      o.out(`  (${shown(e, ['ps'])}: ${r.error.split('\n')[0]})`);
    }
    const verdicts = names.map((s) => ({ service: s, ...verdict(states, s) }));
    // a running PhotoPrism container is only ready once the app answers
    const app = verdicts.find((v) => v.service === appName)!;
    // (a healthcheck of its own that passed is its answer; the generated file has none: PhotoPrism's image has no
    // HEALTHCHECK and `photoprism status` asks SiteUrl in newer releases, which need not resolve inside the container)
    if (app.verdict === 'ready' && !states.some((s) => s.service === appName && s.health === 'healthy')) {
      lastProbe = await probe();
      if (lastProbe.serving) app.text = `${app.text}, serving (${lastProbe.via}: ${lastProbe.detail})`;
      else {
        app.verdict = 'pending';
        app.text = `${app.text}, not serving yet`;
      }
    }
    for (const v of verdicts) {
      if (seen.get(v.service) !== v.text) {
        seen.set(v.service, v.text);
        o.out(`  ${v.service.padEnd(11)} ${v.text}`);
        lastProgress = Date.now();
      }
    }
    const failed = verdicts.filter((v) => v.verdict === 'failed').map((v) => v.service);
    if (failed.length) {
      o.out('');
      o.out(`Failed: ${failed.join(', ')} did not start (${failed.map((f) => `${f} ${seen.get(f)}`).join(', ')}).`);
      await report(o, states, failed);
      return { ok: false, stage: 'wait', states, failing: failed };
    }
    if (verdicts.every((v) => v.verdict === 'ready')) {
      o.out(`Started in ${Math.round((Date.now() - started) / 1000)} s: ${verdicts.map((v) => `${v.service} ${v.text}`).join(', ')}.`);
      return { ok: true, stage: 'done', states, failing: [] };
    }
    if (Date.now() >= deadline) {
      const pending = verdicts.filter((v) => v.verdict !== 'ready').map((v) => v.service);
      o.out('');
      o.out(
        `Timed out after ${Math.round(o.timeoutMs / 1000)} s: ${pending.map((s) => `${s} is ${seen.get(s)}`).join(', ')}` +
          `${pending.includes(appName) && lastProbe ? ` (${lastProbe.via}: ${lastProbe.detail})` : ''}. ` +
          'Init actions such as "update" can take minutes on the first start; it may still come up (raise the bound with --apply-timeout).',
      );
      await report(o, states, pending);
      return { ok: false, stage: 'wait', states, failing: pending };
    }
    if (Date.now() - lastProgress >= progressMs) {
      lastProgress = Date.now();
      const waiting = verdicts.filter((v) => v.verdict !== 'ready').map((v) => `${v.service} ${v.text}`);
      o.out(
        `  … ${Math.round((Date.now() - started) / 1000)} s: waiting for ${waiting.join(', ')}` +
          `${app.verdict === 'pending' && lastProbe ? ` (${lastProbe.via}: ${lastProbe.detail})` : ''}`,
      );
    }
    await sleep(Math.min(poll, Math.max(0, deadline - Date.now())));
  }
}

/**
 * PhotoPrism's status through its published port (looked up once, when the container runs); without one,
 * `photoprism status` inside the container (it asks the same endpoint from within).
 */
function defaultProbe(o: StartOptions): () => Promise<Probe> {
  const e = o.engine;
  const file = o.composeFile ?? COMPOSE_FILE;
  const appName = o.services?.app ?? APP_SERVICE;
  let base: string | null | undefined;
  return async () => {
    if (base === undefined) base = (await publishedUrl(e, o.dir, file, appName, o.services?.appPort ?? APP_PORT, o.env)) ?? null;
    if (base) return probeHttp(`${base}${STATUS_PATH}`);
    const r = await commandsOf(e).run(e.command, composeArgs(e, file, ['exec', '-T', appName, 'photoprism', 'status']), { env: o.env, cwd: o.dir, timeoutMs: 20000 });
    const via = `${shown(e, ['exec', appName, 'photoprism', 'status'])}`;
    const said = (r.stdout.trim().split('\n').pop() ?? '').trim();
    if (r.exitCode === 0 && said !== '' && said !== 'unknown') return { serving: true, via, detail: said };
    return { serving: false, via, detail: (r.stderr || r.stdout).trim().split('\n').pop() || `exit code ${r.exitCode}` };
  };
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
