// End to end against a REAL Docker Engine (test/e2e/README.md): adoption (README "Adopting an existing
// installation") of a running installation written like PhotoPrism's example file, which keeps
// seccomp:unconfined and apparmor:unconfined on both services and a Watchtower-like service with the engine's
// socket mounted. What still works after `init --apply --allow-unsafe docker-socket-mounted`, and what the
// audit (files and --running) says about what was kept.
// Stand-ins (test/e2e/images): PhotoPrism's entrypoint and MariaDB's behave like the real images' where it
// matters here (passwords read on the first start only; PHOTOPRISM_UID/GID drop after the root init).
// The "watchtower" service is the base image with a shell: it stands in for anything that talks to the socket.

import { afterAll, beforeAll, expect, test } from '@jest/globals';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { describeRun, runCli } from '../helpers/spawn.js';
import { assertReady, compose, containerOf, describeWithEngine, docker, down, http, privateEngine, procStatus, waitFor, type PrivateEngine } from './engine/engine.js';

const engine = privateEngine('test/e2e/adopt-unconfined.test.ts');
const e = engine as PrivateEngine;
const PORT = 26000 + (process.pid % 500);
let dir = '';

const ADMIN = 'Adopt-Adm1n-pw';
const DB = 'Adopt-Db-pw-7';
const ROOT = 'Adopt-R00t-pw-9';

const userCompose = (socket: string) => `services:
  photoprism:
    image: photoprism/photoprism:latest
    depends_on:
      - mariadb
    security_opt:
      - seccomp:unconfined
      - apparmor:unconfined
    ports:
      - "127.0.0.1:${PORT}:2342"
    environment:
      PHOTOPRISM_ADMIN_USER: "admin"
      PHOTOPRISM_ADMIN_PASSWORD: "${ADMIN}"
      PHOTOPRISM_DATABASE_DRIVER: "mysql"
      PHOTOPRISM_DATABASE_SERVER: "mariadb:3306"
      PHOTOPRISM_DATABASE_NAME: "photoprism"
      PHOTOPRISM_DATABASE_USER: "photoprism"
      PHOTOPRISM_DATABASE_PASSWORD: "${DB}"
    working_dir: "/photoprism"
    volumes:
      - "./originals:/photoprism/originals"
      - "./storage:/photoprism/storage"
  mariadb:
    image: mariadb:11
    restart: unless-stopped
    security_opt:
      - seccomp:unconfined
      - apparmor:unconfined
    command: --innodb-buffer-pool-size=128M --transaction-isolation=READ-COMMITTED --character-set-server=utf8mb4
    volumes:
      - "./database:/var/lib/mysql"
    environment:
      MARIADB_AUTO_UPGRADE: "1"
      MARIADB_INITDB_SKIP_TZINFO: "1"
      MARIADB_DATABASE: "photoprism"
      MARIADB_USER: "photoprism"
      MARIADB_PASSWORD: "${DB}"
      MARIADB_ROOT_PASSWORD: "${ROOT}"
  watchtower:
    image: photoprism-harden-e2e/base:bookworm
    command: ["sleep", "infinity"]
    volumes:
      - "${socket}:/var/run/docker.sock"
`;

const cli = (args: string[]) => runCli(args, { fakeHost: null, env: e.env, cwd: dir, timeoutMs: 300000 });

beforeAll(async () => {
  if (!engine) return;
  await assertReady(engine);
  dir = mkdtempSync(path.join('/tmp', 'pph-e2e-adopt-'));
  mkdirSync(path.join(dir, 'originals'));
  mkdirSync(path.join(dir, 'storage'));
  mkdirSync(path.join(dir, 'database'));
}, 60000);

afterAll(async () => {
  if (!engine || !dir) return;
  await down(e, dir);
  rmSync(dir, { recursive: true, force: true });
}, 120000);

/** Seccomp mode of PID 1 (0 = off, 2 = filter) and its AppArmor label, from the kernel. */
async function confinement(service: string): Promise<{ seccomp: string; apparmor: string }> {
  const id = await containerOf(e, dir, service);
  const st = await procStatus(e, id);
  const cur = await docker(e, ['exec', id, 'cat', '/proc/1/attr/current']);
  return { seccomp: st.Seccomp ?? '?', apparmor: cur.code === 0 ? cur.stdout.replace(/\0/g, '').trim() : 'none (no AppArmor in this kernel)' };
}

describeWithEngine(engine)('adopting a running installation that keeps seccomp/apparmor unconfined and a docker.sock mount', () => {
  test('it is hardened in place and still works; what was kept stays visible to the audit', async () => {
    const socket = e.host.replace(/^unix:\/\//, '');
    writeFileSync(path.join(dir, 'docker-compose.yml'), userCompose(socket));

    // the user's installation, running as it was written (PhotoPrism as root, passwords in the environment)
    const up = await compose(e, dir, ['up', '-d'], { timeoutMs: 240000 });
    expect({ code: up.code, err: up.stderr }).toMatchObject({ code: 0 });
    await waitFor('the user\'s PhotoPrism to serve', async () => ((await http(`http://127.0.0.1:${PORT}/api/v1/status`))?.status === 200 ? true : undefined), 180000, 2000);
    const before = await confinement('photoprism');
    expect(before.seccomp).toBe('0'); // seccomp:unconfined really is no filter

    // adoption with --apply; the socket mount is an error-level risk that must be accepted by name
    const refused = await cli(['init', '--dir', dir, '--yes', '--uid', '2090', '--gid', '2090']);
    expect({ code: refused.code, out: describeRun(refused) }).toMatchObject({ code: 1 });
    expect(refused.stdout).toContain('--allow-unsafe docker-socket-mounted');
    const t0 = Date.now();
    const r = await cli(['init', '--dir', dir, '--yes', '--uid', '2090', '--gid', '2090', '--allow-unsafe', 'docker-socket-mounted', '--apply', '--apply-timeout', '240']);
    console.log(`adopt-unconfined: init --apply (adoption) ${Date.now() - t0} ms`);
    expect({ code: r.code, out: describeRun(r) }).toMatchObject({ code: 0 });
    expect(r.stdout).toContain('(accepted: --allow-unsafe docker-socket-mounted)');
    for (const s of [ADMIN, DB, ROOT]) expect(r.stdout + r.stderr).not.toContain(s);

    // the file: passwords gone, hardening added, the weaknesses kept and named in the header
    const text = readFileSync(path.join(dir, 'docker-compose.yml'), 'utf8');
    for (const s of [ADMIN, DB, ROOT]) expect(text).not.toContain(s);
    expect(text).toContain('seccomp:unconfined');
    expect(text).toContain('apparmor:unconfined');
    expect(text).toMatch(/"watchtower" mounts the Docker socket/);

    // what still works: PhotoPrism serves as 2090 with the same admin password; MariaDB kept its data and logins
    expect((await http(`http://127.0.0.1:${PORT}/api/v1/status`))?.status).toBe(200);
    expect((await http(`http://127.0.0.1:${PORT}/api/v1/session`, { username: 'admin', password: ADMIN }))?.status).toBe(200);
    const pp = await containerOf(e, dir, 'photoprism');
    const top = await docker(e, ['top', pp, 'axo', 'pid,uid,gid,args']); // docker top needs the PID column
    expect(top.stdout).toMatch(/^\s*\d+\s+2090\s+2090\s+\S*python3? \S*photoprism start/m);
    const inspect = await docker(e, ['inspect', pp, await containerOf(e, dir, 'mariadb')]);
    for (const s of [ADMIN, DB, ROOT]) expect(inspect.stdout).not.toContain(s);

    // still unconfined after adoption (the kernel says so), and no-new-privileges now on top
    const after = await confinement('photoprism');
    expect(after.seccomp).toBe('0');
    expect((await procStatus(e, pp)).NoNewPrivs).toBe('1');
    const dbAfter = await confinement('mariadb');
    expect(dbAfter.seccomp).toBe('0');
    console.log(`adopt-unconfined: AppArmor label of PhotoPrism's PID 1: ${after.apparmor}`);

    // the socket still gives whoever has it the engine: the "watchtower" container can list every container
    const wt = await containerOf(e, dir, 'watchtower');
    const GET = "import socket; s = socket.socket(socket.AF_UNIX); s.connect('/var/run/docker.sock'); s.sendall(b'GET /containers/json HTTP/1.0\\r\\n\\r\\n'); print(s.recv(200).split(b'\\r\\n')[0].decode())";
    const viaSocket = await docker(e, ['exec', wt, 'python3', '-c', GET]);
    expect(viaSocket.stdout.trim()).toBe('HTTP/1.0 200 OK');

    // the audit: the socket is an error, seccomp/apparmor unconfined are warnings, from the files and the live containers
    const audit = await cli(['audit', '--dir', dir, '--running', '--json']);
    expect(audit.code).toBe(1);
    const report = JSON.parse(audit.stdout) as { findings: { rule: string; severity: string; service: string }[] };
    const got = (rule: string) => report.findings.filter((f) => f.rule === rule).map((f) => `${f.severity} ${f.service}`);
    expect(got('docker-socket-mounted')).toEqual(expect.arrayContaining(['error watchtower']));
    expect(got('seccomp-unconfined')).toEqual(expect.arrayContaining(['warning photoprism', 'warning mariadb']));
    expect(got('apparmor-unconfined')).toEqual(expect.arrayContaining(['warning photoprism', 'warning mariadb']));
    for (const s of [ADMIN, DB, ROOT]) expect(audit.stdout).not.toContain(s);
    console.log(`adopt-unconfined: audit --running findings: ${[...new Set(report.findings.map((f) => `${f.severity} ${f.rule}`))].sort().join(', ')}`);
  }, 900000);
});
