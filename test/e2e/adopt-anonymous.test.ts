// End to end against a REAL Docker Engine (test/e2e/README.md): adopting a running installation whose
// PhotoPrism storage is an ANONYMOUS volume (`- /photoprism/storage`, as some published files have it).
// init finds that volume through the service's container (docker ps -a by Compose's labels, then its
// mounts), writes options.yml into it, and `--apply` re-creates the container: Compose hands the same
// volume to the new container, so what PhotoPrism had there stays and it reads the moved passwords.
// What `docker compose down` + `up` would do instead (a new, empty volume), as the note warns, is
// measured too. Stand-ins: test/e2e/images.

import { afterAll, beforeAll, expect, test } from '@jest/globals';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { describeRun, runCli } from '../helpers/spawn.js';
import { assertReady, compose, containerOf, describeWithEngine, docker, down, http, privateEngine, waitFor, type PrivateEngine } from './engine/engine.js';

const engine = privateEngine('test/e2e/adopt-anonymous.test.ts');
const e = engine as PrivateEngine;
const PORT = 26600 + (process.pid % 300);
let dir = '';
/** the anonymous volumes this test made ("down" without -v keeps them) */
const made = new Set<string>();

const ADMIN = 'Anon-Adm1n-pw';
const DB = 'Anon-Db-pw-3';
const ROOT = 'Anon-R00t-pw-5';

const userCompose = `services:
  photos:
    image: photoprism/photoprism:latest
    depends_on:
      - mariadb
    ports:
      - "127.0.0.1:${PORT}:2342"
    environment:
      PHOTOPRISM_ADMIN_PASSWORD: "${ADMIN}"
      PHOTOPRISM_DATABASE_DRIVER: "mysql"
      PHOTOPRISM_DATABASE_SERVER: "mariadb:3306"
      PHOTOPRISM_DATABASE_NAME: "photoprism"
      PHOTOPRISM_DATABASE_USER: "photoprism"
      PHOTOPRISM_DATABASE_PASSWORD: "${DB}"
    volumes:
      - "./originals:/photoprism/originals"
      - "/photoprism/storage"
  mariadb:
    image: mariadb:11
    command: --innodb-buffer-pool-size=128M --transaction-isolation=READ-COMMITTED --character-set-server=utf8mb4
    volumes:
      - "./database:/var/lib/mysql"
    environment:
      MARIADB_DATABASE: "photoprism"
      MARIADB_USER: "photoprism"
      MARIADB_PASSWORD: "${DB}"
      MARIADB_ROOT_PASSWORD: "${ROOT}"
`;

const cli = (args: string[]) => runCli(args, { fakeHost: null, env: e.env, cwd: dir, timeoutMs: 300000 });

/** The volume a container has at /photoprism/storage: its name and host folder. */
async function storageVolume(service: string): Promise<{ Name: string; Source: string }> {
  const r = await docker(e, ['inspect', '--format', '{{json .Mounts}}', await containerOf(e, dir, service)]);
  const m = (JSON.parse(r.stdout) as { Type: string; Name: string; Source: string; Destination: string }[]).find((x) => x.Destination === '/photoprism/storage');
  if (!m || m.Type !== 'volume') throw new Error(`no volume at /photoprism/storage: ${r.stdout}`);
  made.add(m.Name);
  return { Name: m.Name, Source: m.Source };
}

beforeAll(async () => {
  if (!engine) return;
  await assertReady(engine);
  dir = mkdtempSync(path.join('/tmp', 'pph-e2e-anon-'));
  mkdirSync(path.join(dir, 'originals'));
  mkdirSync(path.join(dir, 'database'));
}, 60000);

afterAll(async () => {
  if (!engine || !dir) return;
  await down(e, dir);
  await compose(e, dir, ['down', '-v'], { timeoutMs: 120000 });
  for (const v of made) await docker(e, ['volume', 'rm', v]);
  rmSync(dir, { recursive: true, force: true });
}, 120000);

describeWithEngine(engine)('adopting a running installation whose storage is an anonymous volume', () => {
  test('the volume is found through the container, options.yml goes into it, and the re-created container keeps it', async () => {
    writeFileSync(path.join(dir, 'docker-compose.yml'), userCompose);
    const up = await compose(e, dir, ['up', '-d'], { timeoutMs: 240000 });
    expect({ code: up.code, err: up.stderr }).toMatchObject({ code: 0 });
    await waitFor('the user\'s PhotoPrism to serve', async () => ((await http(`http://127.0.0.1:${PORT}/api/v1/status`))?.status === 200 ? true : undefined), 180000, 2000);
    const before = await storageVolume('photos');
    // something PhotoPrism keeps in its storage (the stand-in made cache/ and sidecar/; this marks the volume)
    writeFileSync(path.join(before.Source, 'marker.txt'), 'kept\n');

    const t0 = Date.now();
    const r = await cli(['init', '--dir', dir, '--yes', '--uid', '2092', '--gid', '2092', '--apply', '--apply-timeout', '240']);
    console.log(`adopt-anonymous: init --apply ${Date.now() - t0} ms`);
    expect({ code: r.code, out: describeRun(r) }).toMatchObject({ code: 0 });
    expect(r.stdout).toMatch(/is an anonymous volume: it is kept, and found through the container of "photos"/);
    expect(r.stdout).toContain(`${before.Source}/config/options.yml`);
    for (const s of [ADMIN, DB, ROOT]) expect(r.stdout + r.stderr).not.toContain(s);
    const text = readFileSync(path.join(dir, 'docker-compose.yml'), 'utf8');
    for (const s of [ADMIN, DB, ROOT]) expect(text).not.toContain(s);
    expect(text).toContain('- "/photoprism/storage"');

    // re-created (new container), same volume: the marker is there, options.yml holds the passwords
    const after = await storageVolume('photos');
    expect(after).toEqual(before);
    expect(readFileSync(path.join(after.Source, 'marker.txt'), 'utf8')).toBe('kept\n');
    expect(readFileSync(path.join(after.Source, 'config', 'options.yml'), 'utf8')).toContain('AdminPassword:');
    expect((await http(`http://127.0.0.1:${PORT}/api/v1/session`, { username: 'admin', password: ADMIN }))?.status).toBe(200);
    const inspect = await docker(e, ['inspect', await containerOf(e, dir, 'photos')]);
    for (const s of [ADMIN, DB]) expect(inspect.stdout).not.toContain(s);

    // audit finds options.yml in the volume through the engine, and a second run changes nothing
    const audit = await cli(['audit', '--dir', dir]);
    expect(audit.stdout).toContain(`options: ${after.Source}/config/options.yml`);
    const again = await cli(['init', '--dir', dir, '--yes', '--uid', '2092', '--gid', '2092']);
    expect({ code: again.code, out: describeRun(again) }).toMatchObject({ code: 0 });
    expect(again.stdout).toContain('Nothing to change');

    // what the note warns about: down + up gives the service a new, empty anonymous volume
    expect((await compose(e, dir, ['down'], { timeoutMs: 120000 })).code).toBe(0);
    expect((await compose(e, dir, ['up', '-d', '--no-start'], { timeoutMs: 120000 })).code).toBe(0);
    const fresh = await storageVolume('photos');
    expect(fresh.Name).not.toBe(before.Name);
    console.log(`adopt-anonymous: volume kept across --force-recreate (${before.Name.slice(0, 12)}), new after down + up (${fresh.Name.slice(0, 12)})`);
  }, 900000);
});
