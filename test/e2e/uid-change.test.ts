// End to end against a REAL Docker Engine (test/e2e/README.md): a UID/GID change with `init --apply` on a running
// installation keeps what is in the database (a table created by hand, the admin stored on the first start) and
// every login (the admin's in PhotoPrism, PhotoPrism's in MariaDB; root's password stays the same too), and
// PhotoPrism then runs as the new ids with storage re-owned to them.
// Stand-ins (test/e2e/images): MariaDB's entrypoint reads the passwords on the first start only, like the official
// image's; PhotoPrism's entrypoint chowns storage to PHOTOPRISM_UID/GID and drops to them, like PhotoPrism's.

import { afterAll, beforeAll, expect, test } from '@jest/globals';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { readdir, lstat } from 'node:fs/promises';
import path from 'node:path';
import { describeRun, runCli } from '../helpers/spawn.js';
import { assertReady, containerOf, describeWithEngine, docker, down, http, privateEngine, type PrivateEngine } from './engine/engine.js';

const engine = privateEngine('test/e2e/uid-change.test.ts');
const e = engine as PrivateEngine;
const PORT = 25000 + (process.pid % 500);
let dir = '';

const ADMIN = 'Uid-Adm1n "q" $x';
const DB = 'Uid-Db: %{x} $HOME';
const ROOT = 'Uid-R00t & | ;';

function answers(uid: number): void {
  const a = { originalsPath: './originals', behindProxy: true, httpPort: PORT, userMode: 'photoprism-uid', uid, gid: uid, initActions: ['https'], adminPassword: ADMIN, databasePassword: DB, databaseRootPassword: ROOT };
  writeFileSync(path.join(dir, 'answers.yml'), Object.entries(a).map(([k, v]) => `${k}: ${JSON.stringify(v)}\n`).join(''), { mode: 0o600 });
}

const cli = (args: string[]) => runCli(['init', '--dir', dir, '--answers', path.join(dir, 'answers.yml'), ...args], { fakeHost: null, env: e.env, cwd: dir, timeoutMs: 300000 });

/** SQL as PhotoPrism's database user over the network, from PhotoPrism's container (password on stdin). */
async function sqlAsUser(sql: string): Promise<{ code: number; out: string }> {
  const py = `import sys, pymysql
c = pymysql.connect(host="mariadb", user="photoprism", password=sys.stdin.read(), database="photoprism", connect_timeout=10, autocommit=True)
cur = c.cursor(); cur.execute(sys.argv[1]); print(repr(cur.fetchall()))`;
  const r = await docker(e, ['exec', '-i', await containerOf(e, dir, 'photoprism'), 'python3', '-c', py, sql], { input: DB });
  return { code: r.code, out: (r.stdout + r.stderr).trim() };
}

async function owners(root: string): Promise<Set<string>> {
  const seen = new Set<string>();
  const walk = async (p: string) => {
    const st = await lstat(p);
    seen.add(`${st.uid}:${st.gid}`);
    if (st.isDirectory()) for (const n of await readdir(p)) await walk(path.join(p, n));
  };
  await walk(root);
  return seen;
}

async function appIds(): Promise<string | undefined> {
  const top = await docker(e, ['top', await containerOf(e, dir, 'photoprism'), 'axo', 'pid,uid,gid,args']);
  const line = top.stdout.split('\n').find((l) => /python3? \S*photoprism start/.test(l) && !/setpriv|entrypoint/.test(l));
  return line?.trim().split(/\s+/).slice(1, 3).join(':');
}

beforeAll(async () => {
  if (!engine) return;
  await assertReady(engine);
  dir = mkdtempSync(path.join('/tmp', 'pph-e2e-uid-'));
}, 60000);

afterAll(async () => {
  if (!engine || !dir) return;
  await down(e, dir);
  rmSync(dir, { recursive: true, force: true });
}, 120000);

describeWithEngine(engine)('a UID/GID change with init --apply on a real engine', () => {
  test('keeps a table created in the database, the admin and the database logins; runs as the new ids', async () => {
    answers(2070);
    let t0 = Date.now();
    const first = await cli(['--apply', '--apply-timeout', '240']);
    console.log(`uid-change: first init --apply ${Date.now() - t0} ms`);
    expect({ code: first.code, out: describeRun(first) }).toMatchObject({ code: 0 });
    expect(await appIds()).toBe('2070:2070');

    const created = await sqlAsUser("CREATE TABLE e2e_keep (id INT PRIMARY KEY, note VARCHAR(40)) ENGINE=InnoDB");
    expect(created).toMatchObject({ code: 0 });
    expect(await sqlAsUser("INSERT INTO e2e_keep VALUES (1, 'before the uid change')")).toMatchObject({ code: 0 });
    expect((await http(`http://127.0.0.1:${PORT}/api/v1/session`, { username: 'admin', password: ADMIN }))?.status).toBe(200);
    const secretsBefore = ['db_pwd.txt', 'db_root_pwd.txt'].map((f) => readFileSync(path.join(dir, '.secrets', f), 'utf8'));

    answers(2071);
    t0 = Date.now();
    const change = await cli(['--apply', '--apply-timeout', '240']);
    console.log(`uid-change: init --apply with the new UID/GID ${Date.now() - t0} ms`);
    expect({ code: change.code, out: describeRun(change) }).toMatchObject({ code: 0 });
    expect(change.stdout).toContain('PhotoPrism is running');
    for (const s of [ADMIN, DB, ROOT]) expect(change.stdout + change.stderr).not.toContain(s);

    // the new ids: the compose file, the app process, every entry of storage
    const compose = readFileSync(path.join(dir, 'docker-compose.yml'), 'utf8');
    expect(compose).toMatch(/PHOTOPRISM_UID: "2071"/);
    expect(await appIds()).toBe('2071:2071');
    expect([...(await owners(path.join(dir, 'storage')))]).toEqual(['2071:2071']);

    // nothing lost: the table and its row, the admin's login, PhotoPrism's login to MariaDB, the same secrets
    expect(await sqlAsUser('SELECT id, note FROM e2e_keep')).toEqual({ code: 0, out: "((1, 'before the uid change'),)" });
    expect((await http(`http://127.0.0.1:${PORT}/api/v1/session`, { username: 'admin', password: ADMIN }))?.status).toBe(200);
    expect((await http(`http://127.0.0.1:${PORT}/api/v1/session`, { username: 'admin', password: 'wrong' }))?.status).toBe(401);
    expect(['db_pwd.txt', 'db_root_pwd.txt'].map((f) => readFileSync(path.join(dir, '.secrets', f), 'utf8'))).toEqual(secretsBefore);
    const db = await containerOf(e, dir, 'mariadb');
    const root = await docker(e, ['exec', '-i', db, 'mariadb', '--defaults-extra-file=/dev/stdin', '-uroot', '-N', '-e', 'SELECT COUNT(*) FROM photoprism.e2e_keep'], { input: `[client]\npassword=${ROOT}\n` });
    expect({ code: root.code, out: root.stdout.trim(), err: root.stderr }).toMatchObject({ code: 0, out: '1' });
  }, 600000);
});
