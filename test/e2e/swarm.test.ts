// End to end on a real single-node Docker Swarm: a private dockerd (test/e2e/engine/start-dockerd.sh, in a
// state folder of its own), the offline test images (test/e2e/images/build.sh: MariaDB and a PhotoPrism
// stand-in that reads PHOTOPRISM_*_PASSWORD_FILE like PhotoPrism does), `docker swarm init` on loopback,
// then the built CLI: init --target swarm --apply. Checked: both services run, PhotoPrism logged in to
// MariaDB with the Swarm secret, the secrets are mounted 0400 for their readers, no password in
// `docker service inspect` or in a task's environment, and a re-run with a changed answer updates the
// stack without touching a secret. The daemon is stopped by its PID (stop-dockerd.sh) at the end.

import { afterAll, beforeAll, expect, test } from '@jest/globals';
import { spawnSync, type SpawnSyncReturns } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describeWithEngine, privateEngine } from './engine/engine.js';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const BIN = path.join(ROOT, 'bin', 'photoprism-harden.cjs');
const HARNESS = path.join(ROOT, 'test', 'e2e', 'engine');
const IMAGES = path.join(ROOT, 'test', 'e2e', 'images', 'build.sh');
/** a state folder of its own (the engine E2E uses another), short enough for containerd's sockets */
const STATE = process.env.PHOTOPRISM_HARDEN_SWARM_STATE ?? '/tmp/pph-swarm-e2e';
/** address pools of their own: the daemon's bridges and the Swarm's overlay networks (never the E2E engine's) */
const POOL = process.env.PHOTOPRISM_HARDEN_SWARM_POOL ?? '10.217.0.0/16';
const SWARM_POOL = process.env.PHOTOPRISM_HARDEN_SWARM_OVERLAY_POOL ?? '10.218.0.0/16';
/**
 * the Swarm's ports, off the defaults (2377 control, 4789 VXLAN) and on loopback only: another daemon on
 * this host (a swarm of its own, a developer's) cannot clash with it, and nothing is reachable from outside
 */
const SWARM_PORT = Number(process.env.PHOTOPRISM_HARDEN_SWARM_PORT ?? 12377);
const DATA_PATH_PORT = Number(process.env.PHOTOPRISM_HARDEN_SWARM_DATA_PORT ?? 14789);
const STACK = 'photoprism';

// the switch of every E2E file (test/e2e/README.md): skipped with a message outside CI on a machine without
// the engine set up, a failure in CI without it. The Swarm itself runs in a daemon of its own (STATE).
const gate = privateEngine('test/e2e/swarm.test.ts');

let env: NodeJS.ProcessEnv = {};
let work = '';

function sh(cmd: string, args: string[], o: { env?: NodeJS.ProcessEnv; timeout?: number; cwd?: string } = {}): SpawnSyncReturns<string> {
  return spawnSync(cmd, args, { env: o.env ?? env, encoding: 'utf8', timeout: o.timeout ?? 120000, cwd: o.cwd, maxBuffer: 64 * 1024 * 1024 });
}
function ok(r: SpawnSyncReturns<string>, what: string): string {
  if (r.status !== 0) throw new Error(`${what} failed (${r.status ?? r.signal}): ${r.stderr || r.stdout}`);
  return r.stdout;
}
const docker = (...args: string[]) => ok(sh('docker', args), `docker ${args.join(' ')}`);
/** the engine's environment from env.sh (export K='V' lines) */
function readEnv(file: string): NodeJS.ProcessEnv {
  const out: NodeJS.ProcessEnv = { ...process.env };
  for (const line of readFileSync(file, 'utf8').split('\n')) {
    const m = /^export ([A-Z0-9_]+)='([^']*)'(:"\$PATH")?$/.exec(line);
    if (m) out[m[1]!] = m[3] ? `${m[2]}:${process.env.PATH}` : m[2];
  }
  return out;
}
function cli(args: string[]): { code: number; out: string } {
  const r = sh(process.execPath, [BIN, ...args], { timeout: 15 * 60000 });
  return { code: r.status ?? -1, out: `${r.stdout}${r.stderr}` };
}
const secretsOf = (dir: string) => ['admin_pwd', 'db_pwd', 'db_root_pwd'].map((n) => readFileSync(path.join(dir, '.secrets', `${n}.txt`), 'utf8'));
/** the running container of a service's task (single node: it is local) */
function taskContainer(service: string): string {
  const id = docker('ps', '-q', '--filter', `label=com.docker.swarm.service.name=${STACK}_${service}`).trim().split('\n')[0];
  if (!id) throw new Error(`no running container for ${service}`);
  return id;
}
async function waitFor(what: string, f: () => boolean, ms = 180000): Promise<void> {
  const end = Date.now() + ms;
  while (!f()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 2000));
  }
}

beforeAll(() => {
  if (!gate) return;
  if (!existsSync(path.join(ROOT, 'dist', 'cli.cjs'))) throw new Error('dist/ is missing: run "npm run build" first');
  if (!existsSync(path.join(HARNESS, 'start-dockerd.sh'))) throw new Error('test/e2e/engine/start-dockerd.sh is missing (the engine harness)');
  ok(sh('bash', [path.join(HARNESS, 'start-dockerd.sh'), STATE], { env: { ...process.env, PHOTOPRISM_HARDEN_ENGINE_POOL: POOL }, timeout: 300000 }), 'start-dockerd.sh');
  env = readEnv(path.join(STATE, 'env.sh'));
  ok(sh('bash', [IMAGES], { timeout: 30 * 60000 }), 'build.sh (test images)');
  const state = docker('info', '--format', '{{.Swarm.LocalNodeState}}').trim();
  if (state !== 'active') {
    docker('swarm', 'init', '--advertise-addr', `127.0.0.1:${SWARM_PORT}`, '--listen-addr', `127.0.0.1:${SWARM_PORT}`, '--data-path-port', String(DATA_PATH_PORT), '--default-addr-pool', SWARM_POOL);
  }
  work = mkdtempSync('/tmp/pph-swarm-dir-');
}, 40 * 60000);

afterAll(() => {
  if (!gate) return;
  if (env.DOCKER_HOST) {
    sh('docker', ['stack', 'rm', STACK]);
    sh('docker', ['swarm', 'leave', '--force']);
  }
  // by the PID in STATE/docker.pid (only if it is this STATE's dockerd); --purge removes its data
  sh('bash', [path.join(HARNESS, 'stop-dockerd.sh'), STATE, '--purge'], { env: process.env, timeout: 180000 });
  if (work) rmSync(work, { recursive: true, force: true });
}, 5 * 60000);

describeWithEngine(gate)('init --target swarm on a real single-node Swarm', () => {
  const dir = () => path.join(work, 'photoprism');

  test('deploys: both services run, PhotoPrism logs in to MariaDB with the Swarm secret', async () => {
    // (ports off the usual ones: the compose E2E tests publish theirs on the same host at the same time)
    const r = cli(['init', '--target', 'swarm', '--yes', '--dir', dir(), '--http-port', '12342', '--apply', '--apply-timeout', '600']);
    expect(r.out).toContain('Deployed: both services run 1/1.');
    expect(r.code).toBe(0);
    for (const s of secretsOf(dir())) expect(r.out.includes(s)).toBe(false);
    // the stand-in reads the *_FILE secrets only because options.yml holds no password, then logs in
    await waitFor('PhotoPrism connected to MariaDB', () => /database: connected to mariadb:3306 as photoprism/.test(sh('docker', ['service', 'logs', '--raw', `${STACK}_photoprism`]).stdout));
    const logs = sh('docker', ['service', 'logs', '--raw', `${STACK}_photoprism`]).stdout;
    expect(logs).toContain('AdminPassword read from PHOTOPRISM_ADMIN_PASSWORD_FILE');
    expect(logs).toContain('DatabasePassword read from PHOTOPRISM_DATABASE_PASSWORD_FILE');
    // the admin password (a Swarm secret) works for a real login against the running server
    const pp = taskContainer('photoprism');
    const [admin] = secretsOf(dir());
    const login = sh('docker', [
      'exec', '-e', `PW_FILE=/run/secrets/admin_pwd`, '-u', '2000:2000', pp, 'python3', '-c',
      'import json,os,urllib.request;pw=open(os.environ["PW_FILE"]).read();' +
        'req=urllib.request.Request("http://localhost:2342/api/v1/session",data=json.dumps({"username":"admin","password":pw}).encode(),headers={"Content-Type":"application/json"});' +
        'print(urllib.request.urlopen(req,timeout=10).status)',
    ]);
    expect(login.stdout.trim()).toBe('200');
    expect(admin!.length).toBeGreaterThanOrEqual(8);
  }, 20 * 60000);

  test('secrets are files under /run/secrets, 0400 for their readers; no password in service inspect or a task environment', () => {
    const secrets = secretsOf(dir());
    const inspect = docker('service', 'inspect', `${STACK}_photoprism`, `${STACK}_mariadb`);
    for (const s of secrets) expect(inspect.includes(s)).toBe(false);
    const specs = JSON.parse(inspect) as { Spec: { TaskTemplate: { ContainerSpec: { Env: string[]; Secrets: { SecretName: string; File: { Name: string; UID: string; GID: string; Mode: number } }[] } } } }[];
    const byName = Object.fromEntries(specs.map((s, i) => [i === 0 ? 'photoprism' : 'mariadb', s.Spec.TaskTemplate.ContainerSpec]));
    expect(byName.photoprism!.Secrets.map((s) => [s.SecretName, s.File.Name, s.File.UID, s.File.Mode])).toEqual([
      ['photoprism_admin_pwd_v1', 'admin_pwd', '2000', 0o400],
      ['photoprism_db_pwd_v1', 'db_pwd', '2000', 0o400],
    ]);
    expect(byName.mariadb!.Secrets.map((s) => [s.SecretName, s.File.Name, s.File.UID, s.File.Mode])).toEqual([
      ['photoprism_db_pwd_v1', 'db_pwd', '0', 0o400],
      ['photoprism_db_root_pwd_v1', 'db_root_pwd', '0', 0o400],
    ]);
    for (const svc of ['photoprism', 'mariadb']) {
      const c = taskContainer(svc);
      const cinspect = docker('inspect', c);
      for (const s of secrets) expect({ svc, inContainerInspect: cinspect.includes(s) }).toEqual({ svc, inContainerInspect: false });
      // the environment of the running process (what /proc/1/environ holds)
      const environ = sh('docker', ['exec', c, 'cat', '/proc/1/environ']).stdout;
      for (const s of secrets) expect({ svc, inEnviron: environ.includes(s) }).toEqual({ svc, inEnviron: false });
    }
    // MariaDB: the user password works from the PhotoPrism container, read from its Swarm secret
    const pp = taskContainer('photoprism');
    const q = sh('docker', [
      'exec', '-u', '2000:2000', pp, 'python3', '-c',
      'import pymysql;c=pymysql.connect(host="mariadb",user="photoprism",password=open("/run/secrets/db_pwd").read(),database="photoprism");cur=c.cursor();cur.execute("SELECT CURRENT_USER()");print(cur.fetchone()[0])',
    ]);
    expect(q.stdout.trim()).toMatch(/^photoprism@/);
    // the root secret is not readable by the PhotoPrism user (it is not even mounted there)
    expect(sh('docker', ['exec', pp, 'test', '-e', '/run/secrets/db_root_pwd']).status).not.toBe(0);
  }, 5 * 60000);

  test('a re-run with a changed answer updates the stack and keeps every secret', async () => {
    const secretIds = () => docker('secret', 'ls', '-q').trim().split('\n').sort();
    const secretsNow = () => docker('secret', 'inspect', '--format', '{{.ID}} {{.Spec.Name}} {{.CreatedAt}} {{.UpdatedAt}}', ...secretIds()).trim().split('\n').sort();
    const before = secretsNow();
    expect(before).toHaveLength(3);
    const filesBefore = secretsOf(dir());
    const r = cli(['init', '--yes', '--dir', dir(), '--http-port', '12350', '--apply', '--apply-timeout', '600']);
    expect(r.out).toContain('Deployed: both services run 1/1.');
    expect(r.code).toBe(0);
    expect(r.out).toMatch(/secret photoprism_db_pwd_v1 exists: kept/);
    const published = JSON.parse(docker('service', 'inspect', `${STACK}_photoprism`))[0].Endpoint.Spec.Ports as { PublishedPort: number }[];
    expect(published.map((p) => p.PublishedPort)).toEqual([12350]);
    expect(secretsNow()).toEqual(before);
    expect(secretsOf(dir())).toEqual(filesBefore);
    await waitFor('PhotoPrism reconnected', () => /database: connected to mariadb:3306 as photoprism/.test(sh('docker', ['service', 'logs', '--raw', '--since', '5m', `${STACK}_photoprism`]).stdout));
  }, 20 * 60000);
});
