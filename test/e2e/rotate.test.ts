// End to end on a real Docker Engine (the private dockerd of test/e2e/engine, see test/e2e/README.md, with the
// offline stand-in images): an installation written by `init` and started, then every password rotated while
// every process on the host is watched (/proc/*/cmdline and /proc/*/environ); runs killed with SIGKILL at each
// journal phase; audit --running on a container that still carries a password its compose file no longer has.
// Skipped with a message outside CI without an engine; fails in CI without one.
// The PhotoPrism stand-in gets `photoprism passwd` from test/fixtures/e2e-photoprism-passwd (its own image tag).

import { afterAll, beforeAll, expect, test } from '@jest/globals';
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, promises as fsp, readdirSync, readFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { engineAccess, type EngineAccess } from '../../src/rotate/exec.js';
import { checkLogin, runSql } from '../../src/rotate/mariadb.js';
import { checkAdminLogin } from '../../src/rotate/photoprism.js';
import { optionOf } from '../../src/rotate/files.js';
import type { Engine } from '../../src/engine.js';
import { assertReady, describeWithEngine, privateEngine, type PrivateEngine } from './engine/engine.js';

const REPO = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
const CLI = path.join(REPO, 'bin', 'photoprism-harden.cjs');
/** the stand-in PhotoPrism plus `photoprism passwd` */
const PASSWD_IMAGE_DIR = path.join(REPO, 'test', 'fixtures', 'e2e-photoprism-passwd');
const PASSWD_IMAGE = 'photoprism-harden-e2e/photoprism:passwd';
const PORT = 24000 + (process.pid % 500);

const engine = privateEngine('test/e2e/rotate.test.ts');
const e = engine as PrivateEngine;
const d = describeWithEngine(engine);

// the passwords of the installation: characters a shell, SQL, YAML or an option file treat specially
const FIRST = { admin: 'Adm1n-rot "q" $x', db: 'Db-rot: %{x} $HOME \\ #', root: "R00t-rot & | ; <> 'q'" };

let env: NodeJS.ProcessEnv = {};
let dir = '';
let access: EngineAccess;
const outputs: string[] = [];

function sh(cmd: string, args: string[], o: { env?: NodeJS.ProcessEnv; cwd?: string; timeout?: number; input?: string } = {}) {
  const r = spawnSync(cmd, args, { env: o.env ?? env, cwd: o.cwd ?? dir, encoding: 'utf8', timeout: o.timeout ?? 600000, input: o.input, maxBuffer: 64 << 20 });
  return { code: r.status ?? -1, stdout: r.stdout ?? '', stderr: r.stderr ?? '' };
}

function must(r: { code: number; stdout: string; stderr: string }, what: string) {
  if (r.code !== 0) throw new Error(`${what} failed (${r.code}):\n${r.stdout.slice(-3000)}\n${r.stderr.slice(-3000)}`);
  return r;
}

/** The CLI as a user runs it, asynchronously (so /proc can be watched meanwhile). */
function cli(args: string[], extraEnv: NodeJS.ProcessEnv = {}): { done: Promise<{ code: number | null; signal: NodeJS.Signals | null; out: string }>; pid: number; kill: () => void } {
  const child = spawn(process.execPath, [CLI, ...args], { env: { ...env, ...extraEnv }, cwd: dir, stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  child.stdout.on('data', (b) => (out += b));
  child.stderr.on('data', (b) => (out += b));
  const done = new Promise<{ code: number | null; signal: NodeJS.Signals | null; out: string }>((resolve) =>
    child.on('close', (code, signal) => {
      outputs.push(out);
      resolve({ code, signal, out });
    }),
  );
  return { done, pid: child.pid!, kill: () => child.kill('SIGKILL') };
}

const secretOf = (rel: string) => readFileSync(path.join(dir, rel), 'utf8').replace(/\n+$/, '');
const optionsText = () => readFileSync(path.join(dir, 'storage/config/options.yml'), 'utf8');

interface Snapshot {
  pid: string;
  start: string;
  cmdline: string;
  environ: string;
}

/** Every process on the host: its command line and environment (NUL-separated, as the kernel has them). */
function processes(): Snapshot[] {
  const out: Snapshot[] = [];
  for (const pid of readdirSync('/proc')) {
    if (!/^\d+$/.test(pid)) continue;
    try {
      const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
      out.push({ pid, start: stat.slice(stat.lastIndexOf(')') + 2).split(' ')[19] ?? '', cmdline: readFileSync(`/proc/${pid}/cmdline`, 'latin1'), environ: readFileSync(`/proc/${pid}/environ`, 'latin1') });
    } catch {
      /* gone meanwhile */
    }
  }
  return out;
}

/** Watch /proc until stopped; collect every distinct (process, cmdline, environ) seen. */
function watchProcs(): { stop: () => Promise<Snapshot[]> } {
  const seen = new Map<string, Snapshot>();
  let running = true;
  const loop = (async () => {
    while (running) {
      for (const s of processes()) seen.set(`${s.pid}/${s.start}/${s.cmdline}/${s.environ.length}`, s);
      await new Promise((r) => setTimeout(r, 5));
    }
  })();
  return {
    stop: async () => {
      running = false;
      await loop;
      return [...seen.values()];
    },
  };
}

/** Processes that carried `secret` (in cmdline, or in environ unless it already did before the run). */
function leaks(seen: Snapshot[], secret: string, baseline: Set<string>): string[] {
  const out: string[] = [];
  for (const s of seen) {
    if (s.cmdline.includes(secret)) out.push(`cmdline of pid ${s.pid}: ${s.cmdline.replace(/\0/g, ' ').slice(0, 200)}`);
    if (s.environ.includes(secret) && !baseline.has(`${s.pid}/${s.start}`)) out.push(`environ of pid ${s.pid} (${s.cmdline.replace(/\0/g, ' ').slice(0, 80)})`);
  }
  return out;
}

async function waitFor(what: string, ok: () => Promise<boolean> | boolean, ms = 180000): Promise<void> {
  const end = Date.now() + ms;
  while (!(await ok())) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 500));
  }
}

const dbAccepts = async (pw: string) => (await checkLogin(access, 'mariadb', { user: 'photoprism', password: pw }, 'tcp')).result;
const rootAccepts = async (pw: string) => (await checkLogin(access, 'mariadb', { user: 'root', password: pw }, 'socket')).result;
const adminAccepts = async (pw: string) => (await checkAdminLogin(access, { service: 'photoprism' }, 'admin', pw)).result;

/** The files agree with each other and with the running database. */
async function consistent(): Promise<void> {
  const db = secretOf('.secrets/db_pwd.txt');
  expect(optionOf(optionsText(), 'DatabasePassword')).toBe(db);
  expect(await dbAccepts(db)).toBe('ok');
  expect(await rootAccepts(secretOf('.secrets/db_root_pwd.txt'))).toBe('ok');
  expect(await adminAccepts(optionOf(optionsText(), 'AdminPassword')!)).toBe('ok');
  for (const n of ['db_pwd', 'db_root_pwd', 'admin_pwd']) {
    expect(existsSync(path.join(dir, `.secrets/${n}.rotate-new`))).toBe(false);
    expect(existsSync(path.join(dir, `.secrets/${n}.rotate-old`))).toBe(false);
  }
  expect(existsSync(path.join(dir, '.photoprism-harden/rotate.json'))).toBe(false);
}

d('rotate and audit --running on a real engine', () => {
  beforeAll(async () => {
    await assertReady(e);
    env = { ...e.env };
    must(sh('docker', ['build', '-q', '--network', 'none', '-t', PASSWD_IMAGE, PASSWD_IMAGE_DIR], { cwd: REPO, timeout: 600000 }), 'docker build (passwd)');
    dir = await fsp.mkdtemp(path.join('/tmp', 'pph-e2e-rotate-'));
    const answers = path.join(dir, 'answers.yml');
    await fsp.writeFile(
      answers,
      Object.entries({ originalsPath: './originals', behindProxy: true, httpPort: PORT, uid: 2060, gid: 2060, initActions: [], adminPassword: FIRST.admin, databasePassword: FIRST.db, databaseRootPassword: FIRST.root })
        .map(([k, v]) => `${k}: ${JSON.stringify(v)}`)
        .join('\n') + '\n',
      { mode: 0o600 },
    );
    const init = must(sh(process.execPath, [CLI, 'init', '--dir', dir, '--answers', answers, '--engine', 'docker'], { timeout: 600000 }), 'init');
    outputs.push(init.stdout + init.stderr);
    await fsp.rm(answers);
    // the PhotoPrism image with `photoprism passwd`
    const file = path.join(dir, 'docker-compose.yml');
    const text = readFileSync(file, 'utf8');
    expect(text).toContain('image: photoprism/photoprism:latest');
    await fsp.writeFile(file, text.replace('image: photoprism/photoprism:latest', `image: ${PASSWD_IMAGE}`));
    must(sh('docker', ['compose', 'up', '-d'], { timeout: 600000 }), 'up -d');
    const engineRec: Engine = { kind: 'docker-compose-v2', command: 'docker', prefix: ['compose'], version: '2', runtime: 'docker', display: 'docker compose' };
    access = engineAccess(engineRec, dir, 'docker-compose.yml', env);
    await waitFor('PhotoPrism to serve', async () => (await adminAccepts(FIRST.admin)) === 'ok', 300000);
    // data written before any rotation
    const r = await runSql(access, 'mariadb', { user: 'root', password: FIRST.root }, "CREATE TABLE photoprism.e2e_keep (v VARCHAR(40)); INSERT INTO photoprism.e2e_keep VALUES ('kept across rotations');");
    if (r.exitCode !== 0) throw new Error(`cannot create the test table: ${r.stderr}`);
  }, 20 * 60000);

  afterAll(async () => {
    if (dir) {
      sh('docker', ['compose', 'down', '--timeout', '5'], { timeout: 180000 });
      await fsp.rm(dir, { recursive: true, force: true });
    }
  }, 300000);

  test('every password rotated: new logins work, old ones fail, data intact, no secret in ps/environ, output, inspect or logs', async () => {
    const old = { db: secretOf('.secrets/db_pwd.txt'), root: secretOf('.secrets/db_root_pwd.txt'), admin: optionOf(optionsText(), 'AdminPassword')! };
    const next = { db: 'New-Db "q" $x ; \\\\ #5f3a', root: "New-Root & 'q' | <> 8c2e", admin: 'New-Admin %{x} $HOME 3d5f' };
    const answers = path.join(os.tmpdir(), `pph-rot-answers-${process.pid}.yml`);
    await fsp.writeFile(answers, `databasePassword: ${JSON.stringify(next.db)}\ndatabaseRootPassword: ${JSON.stringify(next.root)}\nadminPassword: ${JSON.stringify(next.admin)}\n`, { mode: 0o600 });
    const baseline = new Set(processes().filter((p) => [old.db, old.root, old.admin].some((s) => p.environ.includes(s))).map((p) => `${p.pid}/${p.start}`));
    const watch = watchProcs();
    const run = cli(['rotate', '--dir', dir, '--database', '--database-root', '--admin', '--answers', answers]);
    const result = await run.done;
    const seen = await watch.stop();
    await fsp.rm(answers, { force: true });
    expect(result.out).toMatch(/Rotated\./);
    expect(result.code).toBe(0);
    expect(seen.length).toBeGreaterThan(50); // the watch really saw the processes of the run
    expect(seen.some((s) => s.cmdline.includes('exec\0-T\0mariadb'))).toBe(true);

    // the running system: new logins work, old ones are refused
    expect(await dbAccepts(next.db)).toBe('ok');
    expect(await dbAccepts(old.db)).toBe('denied');
    expect(await rootAccepts(next.root)).toBe('ok');
    expect(await rootAccepts(old.root)).toBe('denied');
    expect(await adminAccepts(next.admin)).toBe('ok');
    expect(await adminAccepts(old.admin)).toBe('denied');
    // the files hold the new ones; PhotoPrism (restarted) logged in with the new database password
    expect(secretOf('.secrets/db_pwd.txt')).toBe(next.db);
    expect(secretOf('.secrets/db_root_pwd.txt')).toBe(next.root);
    expect(optionOf(optionsText(), 'DatabasePassword')).toBe(next.db);
    expect(optionOf(optionsText(), 'AdminPassword')).toBe(next.admin);
    await consistent();
    // the data is intact
    const rows = await runSql(access, 'mariadb', { user: 'root', password: next.root }, 'SELECT v FROM photoprism.e2e_keep;');
    expect(rows.rows).toEqual([['kept across rotations']]);

    // nowhere a secret: processes, the tool's output, docker inspect, the engine's and the containers' logs
    for (const s of [...Object.values(old), ...Object.values(next)]) {
      const isNew = Object.values(next).includes(s);
      expect(leaks(seen, s, isNew ? new Set() : baseline)).toEqual([]);
      expect(result.out).not.toContain(s);
    }
    const ids = must(sh('docker', ['compose', 'ps', '-a', '-q']), 'ps').stdout.split('\n').filter(Boolean);
    const inspect = must(sh('docker', ['inspect', ...ids]), 'inspect').stdout;
    const logs = must(sh('docker', ['compose', 'logs', '--no-color']), 'logs');
    const daemonLog = e.dir && existsSync(path.join(e.dir, 'dockerd.log')) ? readFileSync(path.join(e.dir, 'dockerd.log'), 'utf8') : '';
    expect(e.dir ? daemonLog.length : 1).toBeGreaterThan(0);
    for (const s of [...Object.values(old), ...Object.values(next)]) {
      expect(inspect).not.toContain(s);
      expect(logs.stdout + logs.stderr).not.toContain(s);
      expect(daemonLog).not.toContain(s);
    }
  }, 15 * 60000);

  for (const phase of ['staged', 'changing', 'changed', 'swapped', 'restarted']) {
    test(`rotate --database killed (SIGKILL) at "${phase}": the next run leaves passwords that match the database`, async () => {
      const journal = path.join(dir, '.photoprism-harden/rotate.json');
      const before = secretOf('.secrets/db_pwd.txt');
      const run = cli(['rotate', '--dir', dir, '--database']);
      let killed = false;
      let ended = false;
      void run.done.then(() => (ended = true));
      // poll the journal closely: SIGKILL the moment it names the phase
      const end = Date.now() + 300000;
      while (!killed && !ended && Date.now() < end) {
        try {
          if ((JSON.parse(readFileSync(journal, 'utf8')) as { phase: string }).phase === phase) {
            run.kill();
            killed = true;
          }
        } catch {
          /* not written yet, or being replaced */
        }
        if (!killed) await new Promise((r) => setTimeout(r, 2));
      }
      const r = await run.done;
      expect(killed).toBe(true);
      expect(r.signal).toBe('SIGKILL');
      // right after the kill the database holds the old or the new value, and both are still on disk
      const staged = ['.secrets/db_pwd.rotate-old', '.secrets/db_pwd.rotate-new'].filter((f) => existsSync(path.join(dir, f))).map(secretOf);
      const candidates = new Set([before, secretOf('.secrets/db_pwd.txt'), ...staged]);
      const accepted: string[] = [];
      for (const c of candidates) if ((await dbAccepts(c)) === 'ok') accepted.push(c);
      expect(accepted).toHaveLength(1);
      // the next run finishes or undoes it first (and then rotates once more)
      const again = await cli(['rotate', '--dir', dir, '--database']).done;
      expect(again.out).toMatch(/did not finish[\s\S]*?\n  (completed|rolled back): /);
      expect(again.code).toBe(0);
      await consistent();
      const rows = await runSql(access, 'mariadb', { user: 'root', password: secretOf('.secrets/db_root_pwd.txt') }, 'SELECT v FROM photoprism.e2e_keep;');
      expect(rows.rows).toEqual([['kept across rotations']]);
    }, 15 * 60000);
  }

  test('audit --running catches a password in a running container that the compose file no longer shows', async () => {
    const file = path.join(dir, 'docker-compose.yml');
    const original = readFileSync(file, 'utf8');
    const leaked = secretOf('.secrets/db_pwd.txt');
    // a password in the environment, the container started with it, then the line deleted again
    const withEnv = original.replace(/(\n {4}environment:\n)/, `$1      PHOTOPRISM_DATABASE_PASSWORD: "${leaked}"\n`);
    expect(withEnv).not.toBe(original);
    await fsp.writeFile(file, withEnv);
    must(sh('docker', ['compose', 'up', '-d', 'photoprism'], { timeout: 300000 }), 'up -d photoprism');
    await fsp.writeFile(file, original);
    const files = sh(process.execPath, [CLI, 'audit', '--dir', dir, '--json']);
    expect((JSON.parse(files.stdout) as { findings: { rule: string; service: string }[] }).findings.filter((f) => f.rule === 'password-in-environment')).toEqual([]);
    const r = sh(process.execPath, [CLI, 'audit', '--dir', dir, '--running', '--json']);
    const report = JSON.parse(r.stdout) as { findings: { rule: string; service: string; message: string }[] };
    const f = report.findings.find((x) => x.rule === 'password-in-environment' && x.service === 'photoprism');
    expect(f?.message).toMatch(/PHOTOPRISM_DATABASE_PASSWORD holds a password in the environment of running container .*no longer sets it/);
    expect(report.findings.some((x) => x.rule === 'container-outdated' && x.service === 'photoprism')).toBe(true);
    expect(r.code).toBe(1);
    expect(r.stdout + r.stderr).not.toContain(leaked);
    const sarif = sh(process.execPath, [CLI, 'audit', '--dir', dir, '--running', '--format', 'sarif']);
    expect(JSON.parse(sarif.stdout).runs[0].results.some((x: { ruleId: string }) => x.ruleId === 'password-in-environment')).toBe(true);
    expect(sarif.stdout).not.toContain(leaked);
    // recreated from the file on disk, the finding is gone
    must(sh('docker', ['compose', 'up', '-d', '--force-recreate', 'photoprism'], { timeout: 300000 }), 'up --force-recreate');
    const clean = JSON.parse(sh(process.execPath, [CLI, 'audit', '--dir', dir, '--running', '--json']).stdout) as { findings: { rule: string }[] };
    expect(clean.findings.filter((x) => x.rule === 'password-in-environment' || x.rule === 'container-outdated')).toEqual([]);
  }, 15 * 60000);

  test('no output of any run contained a secret the installation holds now', () => {
    const now = [secretOf('.secrets/db_pwd.txt'), secretOf('.secrets/db_root_pwd.txt'), optionOf(optionsText(), 'AdminPassword')!];
    for (const o of outputs) for (const s of now) expect(o).not.toContain(s);
  });
});
