// End to end against a REAL Docker Engine (private dockerd + Compose v2, see test/e2e/README.md):
// `init --apply` of a fresh installation with the offline stand-in images (test/e2e/images: a MariaDB image
// whose entrypoint and healthcheck.sh behave like the official mariadb image's, and a PhotoPrism image whose
// entrypoint behaves like PhotoPrism's, with a small program in place of PhotoPrism that logs in to MariaDB
// as the dropped user and serves /api/v1/status). Skipped with a message outside CI without an engine;
// fails in CI without one.

import { afterAll, beforeAll, expect, test } from '@jest/globals';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { describeRun, runCli } from '../helpers/spawn.js';
import { E2E_IMAGES, assertReady, capNames, compose, containerOf, describeWithEngine, docker, down, http, privateEngine, type PrivateEngine } from './engine/engine.js';

const engine = privateEngine('test/e2e/init-apply.test.ts');
const e = engine as PrivateEngine;
const dirs: string[] = [];
const PORT = 23000 + (process.pid % 500);

const ADMIN = 'Adm1n-e2e "q" $x';
const DB = 'Db-e2e: %{x} $HOME';
const ROOT = 'R00t-e2e & | ; <>';

function installation(name: string, answers: Record<string, unknown>): string {
  const dir = mkdtempSync(path.join('/tmp', `pph-e2e-${name}-`));
  dirs.push(dir);
  const lines = Object.entries({ originalsPath: './originals', behindProxy: true, httpPort: PORT, ...answers }).map(([k, v]) => `${k}: ${JSON.stringify(v)}`);
  writeFileSync(path.join(dir, 'answers.yml'), `${lines.join('\n')}\n`, { mode: 0o600 });
  return dir;
}

/** a login over the network from PhotoPrism's container: python3 -c LOGIN_PY HOST USER, password on stdin */
const LOGIN_PY = `import sys, pymysql
try:
    pymysql.connect(host=sys.argv[1], user=sys.argv[2], password=sys.stdin.read(), connect_timeout=10).close(); print("ok")
except pymysql.err.OperationalError as e:
    print("denied", e.args[0])`;

const cli = (dir: string, args: string[], timeoutMs = 300000) =>
  runCli(['init', '--dir', dir, '--answers', path.join(dir, 'answers.yml'), ...args], { fakeHost: null, env: e.env, cwd: dir, timeoutMs });

beforeAll(async () => {
  if (engine) await assertReady(engine);
}, 60000);

afterAll(async () => {
  if (!engine) return;
  for (const d of dirs) await down(e, d);
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
}, 120000);

describeWithEngine(engine)('init --apply on a real engine', () => {
  test('fresh installation: --apply waits until PhotoPrism serves, the admin can sign in, no password leaks', async () => {
    const dir = installation('fresh', {
      userMode: 'photoprism-uid',
      uid: 2050,
      gid: 2050,
      initActions: ['update'],
      adminPassword: ADMIN,
      databasePassword: DB,
      databaseRootPassword: ROOT,
    });
    const t0 = Date.now();
    const r = await cli(dir, ['--apply', '--apply-timeout', '240']);
    const ms = Date.now() - t0;
    expect({ code: r.code, out: describeRun(r) }).toMatchObject({ code: 0 });
    expect(r.stdout).toContain('PhotoPrism is running');
    console.log(`fresh init --apply: ${ms} ms`);

    // it really serves, on the published port, bound to 127.0.0.1 (behind a proxy)
    const status = await http(`http://127.0.0.1:${PORT}/api/v1/status`);
    expect(status).toEqual({ status: 200, json: { status: 'operational' } });
    const login = await http(`http://127.0.0.1:${PORT}/api/v1/session`, { username: 'admin', password: ADMIN });
    expect(login?.status).toBe(200);
    const wrong = await http(`http://127.0.0.1:${PORT}/api/v1/session`, { username: 'admin', password: 'wrong' });
    expect(wrong?.status).toBe(401);

    // the app runs as the UID/GID asked for, after the root init
    const pp = await containerOf(e, dir, 'photoprism');
    const top = await docker(e, ['top', pp, 'axo', 'pid,uid,gid,args']); // `docker top` hands "axo …" to ps; it needs the PID column
    const app = top.stdout.split('\n').find((l) => /python3? \S*photoprism start/.test(l) && !/setpriv|entrypoint/.test(l));
    expect({ app, top: top.stdout + top.stderr }).toMatchObject({ app: expect.stringMatching(/^\s*\d+\s+2050\s+2050\s/) });

    // no password in docker inspect, docker compose config, or the output of the run
    const inspect = await docker(e, ['inspect', pp, await containerOf(e, dir, 'mariadb')]);
    const config = await compose(e, dir, ['config']);
    expect(config.code).toBe(0);
    for (const secret of [ADMIN, DB, ROOT]) {
      expect(inspect.stdout).not.toContain(secret);
      expect(config.stdout).not.toContain(secret);
      expect(r.stdout + r.stderr).not.toContain(secret);
    }
    expect(readFileSync(path.join(dir, 'docker-compose.yml'), 'utf8')).not.toContain(DB);
    const db = await containerOf(e, dir, 'mariadb');

    // least privilege, read from the kernel: PID 1 of each container and PhotoPrism's app process
    const pid1 = async (id: string) => Number((await docker(e, ['inspect', '--format', '{{.State.Pid}}', id])).stdout.trim());
    const procOf = (hostPid: number) => Object.fromEntries(readFileSync(`/proc/${hostPid}/status`, 'utf8').split('\n').map((l) => l.split(/:\s*/)));
    const ppInit = procOf(await pid1(pp)); // the entrypoint (root, before/while it runs the app as 2050)
    expect(capNames(ppInit.CapBnd)).toEqual(['CHOWN', 'DAC_OVERRIDE', 'FOWNER', 'SETGID', 'SETUID']);
    expect(ppInit.NoNewPrivs).toBe('1');
    const appPid = Number(app!.trim().split(/\s+/)[0]);
    const appStatus = procOf(appPid);
    expect(capNames(appStatus.CapEff)).toEqual([]);
    expect(capNames(appStatus.CapPrm)).toEqual([]);
    expect(appStatus.NoNewPrivs).toBe('1');
    const dbInit = procOf(await pid1(db)); // mariadbd, as mysql after gosu
    expect(dbInit.Uid!.split(/\s+/)[0]).toBe('999');
    expect(capNames(dbInit.CapEff)).toEqual([]);
    expect(capNames(dbInit.CapBnd)).toEqual(['CHOWN', 'DAC_OVERRIDE', 'SETGID', 'SETUID']);
    expect(dbInit.NoNewPrivs).toBe('1');
    const ppConf = JSON.parse((await docker(e, ['inspect', pp])).stdout)[0];
    expect(ppConf.HostConfig.PidsLimit).toBe(1024);
    expect(ppConf.HostConfig.LogConfig).toEqual({ Type: 'json-file', Config: { 'max-file': '5', 'max-size': '20m' } });

    // no password in the environment of any process of either container: PhotoPrism's (PID 1, the app) and
    // MariaDB's (mariadbd is PID 1: the entrypoint unsets what MARIADB_*_FILE gave it before it execs the server,
    // as the official image does since May 2026; older official images leave them there)
    const pidsOf = async (id: string) => (await docker(e, ['top', id, 'axo', 'pid'])).stdout.split('\n').slice(1).map((l) => Number(l.trim())).filter((n) => n > 0);
    const all = [...(await pidsOf(pp)), ...(await pidsOf(db))];
    expect(all).toEqual(expect.arrayContaining([await pid1(pp), appPid, await pid1(db)]));
    for (const p of all) {
      let environ = '';
      try {
        environ = readFileSync(`/proc/${p}/environ`, 'utf8');
      } catch {
        continue; // a short-lived process (healthcheck) that has gone
      }
      for (const secret of [ADMIN, DB, ROOT]) expect({ pid: p, leaks: environ.includes(secret) }).toEqual({ pid: p, leaks: false });
      expect(environ).not.toMatch(/(^|\0)(MARIADB|MYSQL)_(ROOT_)?PASSWORD=/);
    }
    const dbEnviron = readFileSync(`/proc/${await pid1(db)}/environ`, 'utf8');
    expect(dbEnviron).toContain('MARIADB_DATABASE='); // it is the server's environment, read for real

    // MariaDB's root cannot log in over the network (MARIADB_ROOT_HOST: localhost), only on its socket
    const rootOverNetwork = await docker(e, ['exec', '-i', pp, 'python3', '-c', LOGIN_PY, 'mariadb', 'root'], { input: ROOT });
    expect(rootOverNetwork.stdout.trim()).toMatch(/^denied 1045/);
    const userOverNetwork = await docker(e, ['exec', '-i', pp, 'python3', '-c', LOGIN_PY, 'mariadb', 'photoprism'], { input: DB });
    expect(userOverNetwork.stdout.trim()).toBe('ok');
    const rootLocal = await docker(e, ['exec', '-i', db, 'mariadb', '--defaults-extra-file=/dev/stdin', '-uroot', '-N', '-e', 'SELECT CURRENT_USER()'], {
      input: `[client]\npassword=${ROOT}\n`,
    });
    expect(rootLocal.stdout.trim()).toBe('root@localhost');

    // MariaDB is only on the internal network. (Docker enforces "internal" with iptables rules, and this test
    // engine runs with --iptables=false, as the brief demands: here the packets die because the host does not
    // forward; the drop rules themselves cannot be observed on this engine.)
    const project = path.basename(dir).toLowerCase(); // Compose lower-cases the folder name
    const dbNets = Object.keys(JSON.parse((await docker(e, ['inspect', db])).stdout)[0].NetworkSettings.Networks);
    expect(dbNets).toEqual([`${project}_database`]);
    const net = JSON.parse((await docker(e, ['network', 'inspect', `${project}_database`])).stdout)[0];
    expect(net.Internal).toBe(true);
    const ppNets = Object.keys(ppConf.NetworkSettings.Networks).sort();
    expect(ppNets).toEqual([`${project}_database`, `${project}_default`]);
    const egress = await docker(e, ['exec', db, 'timeout', '5', 'bash', '-c', 'exec 3<>/dev/tcp/192.0.2.1/80'], { timeoutMs: 30000 });
    expect(egress.code).not.toBe(0);
  }, 420000);

  /** An installation written (no --apply) whose `service` then runs `image` (a user's image edit is kept). */
  async function withImage(name: string, service: 'photoprism' | 'mariadb', image: string, port: number): Promise<string> {
    const dir = installation(name, { userMode: 'photoprism-uid', uid: 2051, gid: 2051, initActions: ['update', 'https'], httpPort: port });
    const w = await cli(dir, []);
    expect({ code: w.code, out: describeRun(w) }).toMatchObject({ code: 0 });
    const file = path.join(dir, 'docker-compose.yml');
    const text = readFileSync(file, 'utf8');
    const from = service === 'photoprism' ? 'image: photoprism/photoprism:latest' : 'image: mariadb:11';
    expect(text).toContain(from);
    writeFileSync(file, text.replace(from, `image: ${image}`));
    return dir;
  }

  test.each([
    ['dies at once', E2E_IMAGES.photoprismDiesAtOnce, 'test fault dies-at-once'],
    ['dies after its init actions', E2E_IMAGES.photoprismDiesAfterInit, 'test fault dies-after-init'],
  ])('a PhotoPrism that %s (its container exits 0): --apply fails with its logs, exit 1', async (_what, image, logLine) => {
    const dir = await withImage(image.split(':')[1]!, 'photoprism', image, PORT + 1);
    const t0 = Date.now();
    const r = await cli(dir, ['--apply', '--apply-timeout', '180']);
    console.log(`${image} init --apply: ${Date.now() - t0} ms`);
    expect({ code: r.code, out: describeRun(r) }).toMatchObject({ code: 1 });
    expect(r.stdout).toMatch(/Failed: photoprism did not start \(photoprism exited, exit code 0\)/);
    expect(r.stdout).toContain('Last 30 log lines of photoprism:');
    expect(r.stdout).toContain(logLine);
    if (image === E2E_IMAGES.photoprismDiesAfterInit) expect(r.stdout).toContain('init: https');
    expect(r.stdout).not.toMatch(/[\x00-\x08\x0b-\x1f\x7f]/); // no ESC[2K from Compose, no CR
    expect(r.stdout).not.toContain('PhotoPrism is running');
    await down(e, dir);
  }, 300000);

  test('a MariaDB that never becomes healthy: up fails, its logs are shown, exit 1', async () => {
    const dir = await withImage('never-healthy', 'mariadb', E2E_IMAGES.mariadbNeverHealthy, PORT + 2);
    const t0 = Date.now();
    const r = await cli(dir, ['--apply', '--apply-timeout', '60'], 400000);
    console.log(`never-healthy MariaDB init --apply: ${Date.now() - t0} ms`);
    expect({ code: r.code, out: describeRun(r) }).toMatchObject({ code: 1 });
    expect(r.stdout).toMatch(/dependency failed to start: container \S+mariadb\S* is unhealthy/);
    expect(r.stdout).toContain('Last 30 log lines of mariadb:');
    expect(r.stdout).toMatch(/mariadbd: ready for connections|skip-networking|Entrypoint/);
    expect(r.stdout).not.toMatch(/[\x00-\x08\x0b-\x1f\x7f]/);
    await down(e, dir);
  }, 420000);
});
