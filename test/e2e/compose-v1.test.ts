// End to end against a REAL Docker Engine with Compose v1: Debian 12's docker-compose 1.29.2, which
// `--engine docker-compose` promises (README "Non-interactive use"). It is unpacked into a private folder by
// test/e2e/engine/get-compose-v1.sh (never on the PATH of other tests) and named by PHOTOPRISM_HARDEN_COMPOSE_V1
// (.ci/run sets it). What v1 must honour of the generated file, checked on the containers it creates:
// cap_drop/cap_add, no-new-privileges, pids_limit, log rotation, the internal database network, file secrets,
// depends_on service_healthy; --apply's wait and its failure path (v1 has no `ps --format json`: ps -q + inspect).

import { afterAll, beforeAll, expect, test } from '@jest/globals';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { describeRun, runCli } from '../helpers/spawn.js';
import { E2E_IMAGES, assertReady, describeWithEngine, docker, exec, http, privateEngine, type PrivateEngine } from './engine/engine.js';

const V1 = process.env.PHOTOPRISM_HARDEN_COMPOSE_V1 ?? '';
const base = privateEngine('test/e2e/compose-v1.test.ts');
if (base && !V1) {
  const how = 'bash test/e2e/engine/get-compose-v1.sh DIR; export PHOTOPRISM_HARDEN_COMPOSE_V1=DIR/bin/docker-compose';
  if (process.env.CI) throw new Error(`test/e2e/compose-v1.test.ts: CI=true but PHOTOPRISM_HARDEN_COMPOSE_V1 is not set (${how})`);
  console.warn(`test/e2e/compose-v1.test.ts SKIPPED: no Compose v1 (${how})`);
}
if (V1 && !existsSync(V1)) throw new Error(`PHOTOPRISM_HARDEN_COMPOSE_V1=${V1} does not exist`);
const engine: PrivateEngine | null = base && V1 ? { ...base, env: { ...base.env, PATH: `${path.dirname(V1)}:${base.env.PATH}` } } : null;
const e = engine as PrivateEngine;
const PORT = 27000 + (process.pid % 500);
const dirs: string[] = [];

const ADMIN = 'V1-Adm1n "q" $x';
const DB = 'V1-Db: %{x}';
const ROOT = 'V1-R00t & |';

function installation(name: string, port: number): string {
  const dir = mkdtempSync(path.join('/tmp', `pph-e2e-v1-${name}-`));
  dirs.push(dir);
  const a = { originalsPath: './originals', behindProxy: true, httpPort: port, userMode: 'photoprism-uid', uid: 2096, gid: 2096, initActions: ['https'], adminPassword: ADMIN, databasePassword: DB, databaseRootPassword: ROOT };
  writeFileSync(path.join(dir, 'answers.yml'), Object.entries(a).map(([k, v]) => `${k}: ${JSON.stringify(v)}\n`).join(''), { mode: 0o600 });
  return dir;
}

const cli = (dir: string, args: string[]) =>
  runCli(['init', '--dir', dir, '--answers', path.join(dir, 'answers.yml'), '--engine', 'docker-compose', ...args], { fakeHost: null, env: e.env, cwd: dir, timeoutMs: 400000 });
const v1 = (dir: string, args: string[]) => exec(V1, ['-f', 'docker-compose.yml', ...args], { env: e.env, cwd: dir, timeoutMs: 120000 });
const idOf = async (dir: string, service: string) => (await v1(dir, ['ps', '-q', service])).stdout.trim();

beforeAll(async () => {
  if (!engine) return;
  await assertReady(engine);
  const v = await exec(V1, ['version', '--short'], { env: e.env });
  expect(v.stdout.trim()).toBe('1.29.2');
}, 60000);

afterAll(async () => {
  if (!engine) return;
  for (const d of dirs) {
    if (existsSync(path.join(d, 'docker-compose.yml'))) await v1(d, ['down', '-t', '2', '--remove-orphans']);
    rmSync(d, { recursive: true, force: true });
  }
}, 120000);

describeWithEngine(engine)('init --apply --engine docker-compose (Compose v1 1.29.2) on a real engine', () => {
  test('fresh installation: v1 validates, starts and honours every hardening setting; no password leaks', async () => {
    const dir = installation('fresh', PORT);
    const t0 = Date.now();
    const r = await cli(dir, ['--apply', '--apply-timeout', '240']);
    console.log(`compose v1: fresh init --apply ${Date.now() - t0} ms`);
    expect({ code: r.code, out: describeRun(r) }).toMatchObject({ code: 0 });
    expect(r.stdout).toContain('Validated: docker-compose config --quiet (1.29.2)');
    expect(r.stdout).toContain('$ docker-compose up -d --force-recreate');
    expect(r.stdout).toContain('PhotoPrism is running');
    expect(r.stdout).toMatch(/--engine docker-compose/); // the repeat command keeps the engine
    expect((await http(`http://127.0.0.1:${PORT}/api/v1/status`))?.status).toBe(200);
    expect((await http(`http://127.0.0.1:${PORT}/api/v1/session`, { username: 'admin', password: ADMIN }))?.status).toBe(200);

    const pp = await idOf(dir, 'photoprism');
    const db = await idOf(dir, 'mariadb');
    const [ppC, dbC] = JSON.parse((await docker(e, ['inspect', pp, db])).stdout);
    expect(ppC.HostConfig).toMatchObject({ CapDrop: ['ALL'], CapAdd: ['CHOWN', 'DAC_OVERRIDE', 'FOWNER', 'SETUID', 'SETGID'], PidsLimit: 1024, SecurityOpt: ['no-new-privileges:true'] });
    expect(dbC.HostConfig).toMatchObject({ CapDrop: ['ALL'], CapAdd: ['CHOWN', 'DAC_OVERRIDE', 'SETUID', 'SETGID'], PidsLimit: 512, SecurityOpt: ['no-new-privileges:true'] });
    for (const c of [ppC, dbC]) expect(c.HostConfig.LogConfig).toEqual({ Type: 'json-file', Config: { 'max-file': '5', 'max-size': '20m' } });
    const project = path.basename(dir).toLowerCase().replace(/[^-_a-z0-9]/g, ''); // v1 drops what is not [-_a-z0-9]
    expect(Object.keys(dbC.NetworkSettings.Networks)).toEqual([`${project}_database`]);
    expect(JSON.parse((await docker(e, ['network', 'inspect', `${project}_database`])).stdout)[0].Internal).toBe(true);
    // file secrets: v1 bind-mounts them read-only
    const secretMounts = dbC.Mounts.filter((m: { Destination: string }) => m.Destination.startsWith('/run/secrets/'));
    expect(secretMounts.map((m: { Destination: string; RW: boolean }) => [m.Destination, m.RW]).sort()).toEqual([['/run/secrets/DB_PWD', false], ['/run/secrets/DB_ROOT_PWD', false]]);

    const config = await v1(dir, ['config']);
    expect(config.code).toBe(0);
    const inspect = JSON.stringify([ppC, dbC]);
    for (const s of [ADMIN, DB, ROOT]) {
      expect(config.stdout).not.toContain(s);
      expect(inspect).not.toContain(s);
      expect(r.stdout + r.stderr).not.toContain(s);
    }
  }, 600000);

  test('a PhotoPrism that dies after its init actions: --apply through v1 fails with its logs, exit 1', async () => {
    const dir = installation('dies', PORT + 1);
    const w = await cli(dir, []);
    expect({ code: w.code, out: describeRun(w) }).toMatchObject({ code: 0 });
    const file = path.join(dir, 'docker-compose.yml');
    writeFileSync(file, readFileSync(file, 'utf8').replace('image: photoprism/photoprism:latest', `image: ${E2E_IMAGES.photoprismDiesAfterInit}`));
    const t0 = Date.now();
    const r = await cli(dir, ['--apply', '--apply-timeout', '180']);
    console.log(`compose v1: dies-after-init init --apply ${Date.now() - t0} ms`);
    expect({ code: r.code, out: describeRun(r) }).toMatchObject({ code: 1 });
    expect(r.stdout).toMatch(/Failed: photoprism did not start \(photoprism exited, exit code 0\)/);
    expect(r.stdout).toContain('Last 30 log lines of photoprism:');
    expect(r.stdout).toContain('test fault dies-after-init');
    expect(r.stdout).not.toMatch(/[\x00-\x08\x0b-\x1f\x7f]/);
    expect(r.stdout).not.toContain('PhotoPrism is running');
  }, 600000);
});
