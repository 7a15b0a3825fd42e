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
import { assertReady, compose, containerOf, describeWithEngine, docker, down, http, privateEngine, type PrivateEngine } from './engine/engine.js';

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
  }, 420000);
});
