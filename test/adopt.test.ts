// Adopting hand-made installations (test/fixtures/adopt/*, written for these tests): for each fixture,
// `init --yes` keeps the data mounts, the password values, every service and port and every unrelated
// key; Compose v2 accepts the result; a second run changes nothing; the backups equal the originals.
// What cannot be adopted is refused before anything is written, naming the file, the line and the fix.
// The compose model's own resolution is compared with `docker compose config --format json` of the
// real Compose v2 binary (COMPOSE_BIN; .ci/run provides it).

import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import { spawnSync } from 'node:child_process';
import { existsSync, promises as fsp, readFileSync, readdirSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseDocument } from 'yaml';
import { packageVersion } from '../src/cli.js';
import { loadComposeModel, mountFor, photoprismPaths } from '../src/compose/model.js';
import { UsageError } from '../src/errors.js';
import { type HostFacts } from '../src/host.js';
import { FixtureHost } from './helpers/fixture-host.js';
import { runInit } from '../src/init.js';
import { Output } from '../src/output.js';
import type { Key } from '../src/questions.js';
import { Sink } from './helpers/sink.js';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const FIXTURES = path.join(ROOT, 'test', 'fixtures', 'adopt');
const FACTS = JSON.parse(readFileSync(path.join(ROOT, 'test', 'fixtures', 'regen-host.json'), 'utf8')) as Partial<HostFacts>;
const BIN = process.env.COMPOSE_BIN || (existsSync(path.join(ROOT, '.cache/bin/docker-compose')) ? path.join(ROOT, '.cache/bin/docker-compose') : '');
const HAVE = BIN !== '' && existsSync(BIN);
if (!HAVE && process.env.CI) throw new Error('CI: no Compose v2 binary (COMPOSE_BIN); .ci/run must fetch it with get-compose-v2.sh');
if (!HAVE) console.warn('adopt.test.ts: the comparisons with the real Compose binary are skipped (set COMPOSE_BIN)');
const withBinary = HAVE ? test : test.skip;

let TMP: string;
let HOME: string;
beforeAll(async () => {
  TMP = await fsp.mkdtemp(path.join(os.tmpdir(), 'ppr-adopt-'));
  HOME = path.join(TMP, 'home');
  await fsp.mkdir(HOME);
});
afterAll(async () => {
  await fsp.rm(TMP, { recursive: true, force: true });
});

const ADOPTED = readdirSync(FIXTURES).filter((n) => !n.startsWith('refuse-')).sort();
const REFUSED = readdirSync(FIXTURES).filter((n) => n.startsWith('refuse-')).sort();

/** shell variables a fixture's compose file expects (as a user's shell would have them) */
const SHELL: Record<string, Record<string, string>> = { 'sqlite-ports': { TZ: 'Europe/Vienna' } };
/** answers a fixture needs: dsn-container-name ran as 1000:1000, a person's UID on the fixture host */
const FLAGS: Record<string, Partial<Record<Key, unknown>>> = { 'dsn-container-name': { uid: '2000', gid: '2000' } };

let n = 0;
async function copyFixture(name: string): Promise<string> {
  const dir = path.join(TMP, `${name}-${++n}`);
  await fsp.cp(path.join(FIXTURES, name), dir, { recursive: true });
  return dir;
}

interface Run {
  code: number;
  stdout: string;
  stderr: string;
}

async function init(
  dir: string,
  o: { flags?: Partial<Record<Key, unknown>>; env?: Record<string, string>; dryRun?: boolean; volumes?: Record<string, string>; anonymous?: string; facts?: Partial<HostFacts> } = {},
): Promise<Run> {
  const out = new Sink();
  const err = new Sink();
  try {
    const code = await runInit({
      dir,
      yes: true,
      dryRun: o.dryRun ?? false,
      flags: o.flags ?? {},
      version: packageVersion(),
      env: { HOME, ...o.env },
      out: new Output(out, err),
      probe: new FixtureHost(o.facts ?? FACTS),
      validate: false,
      // the fixtures' originals folders (e.g. ~/Pictures) are not there: the user says they may be created
      createFolders: true,
      inspectVolume: async (name) => (o.volumes?.[name] ? { mountpoint: o.volumes[name]! } : { error: 'no container engine was found to ask where it keeps the volume' }),
      // (the one container of the service, with its anonymous volume at the storage path)
      inspectAnonymous: async (_project, service) => (o.anonymous ? { name: 'f00d', mountpoint: o.anonymous } : { error: `there is no container of "${service}" yet, so the volume does not exist` }),
    });
    return { code, stdout: out.text, stderr: err.text };
  } catch (e) {
    if (e instanceof UsageError) return { code: 2, stdout: out.text, stderr: e.problems.join('\n') };
    throw e;
  }
}

type Json = Record<string, any>;

/** `docker compose config --format json` of the folder; `$$` (how config escapes `$`) back to `$` */
function composeConfig(dir: string, env: Record<string, string> = {}): Json {
  const r = spawnSync(BIN, ['config', '--format', 'json'], { cwd: dir, env: { PATH: '/usr/bin:/bin', HOME, ...env }, encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`compose config failed in ${dir}: ${r.stderr}`);
  const unescape = (v: unknown): unknown =>
    typeof v === 'string' ? v.replace(/\$\$/g, '$') : Array.isArray(v) ? v.map(unescape) : v && typeof v === 'object' ? Object.fromEntries(Object.entries(v).map(([k, x]) => [k, unescape(x)])) : v;
  return unescape(JSON.parse(r.stdout)) as Json;
}

const readOr = (abs: string) => {
  try {
    return readFileSync(abs, 'utf8');
  } catch {
    return null;
  }
};

async function snapshot(dir: string): Promise<Record<string, string>> {
  const out: Record<string, string> = {};
  const walk = async (rel: string) => {
    const p = path.join(dir, rel);
    const st = await fsp.lstat(p);
    const meta = `${(st.mode & 0o7777).toString(8)} ${st.uid}:${st.gid}`;
    if (st.isDirectory()) {
      out[rel] = `dir ${meta}`;
      for (const name of (await fsp.readdir(p)).sort()) await walk(path.join(rel, name));
    } else out[rel] = `${meta} ${(await fsp.readFile(p)).toString('base64')}`;
  };
  await walk('.');
  return out;
}

const PP_IMAGE = /(^|\/)photoprism\/photoprism(:|@|$)/;
const ppName = (c: Json) => Object.keys(c.services).find((k) => PP_IMAGE.test(c.services[k].image ?? ''))!;
const mountsOf = (svc: Json) => (svc.volumes ?? []).map((v: Json) => ({ type: v.type, source: v.source, target: v.target, read_only: v.read_only ?? false }));
/** keys of the PhotoPrism and database services the adoption may change */
const MANAGED_KEYS = new Set(['environment', 'secrets', 'security_opt', 'devices', 'user']);
const PASSWORD_VAR = /^(?!.*(RANDOM_ROOT|ALLOW_EMPTY)).*PASSWORD$|^PHOTOPRISM_DATABASE_DSN$/;

describe('the compose model resolves like Compose v2', () => {
  for (const name of [...ADOPTED, ...REFUSED]) {
    withBinary(`${name}: environment, volumes, ports, image, user`, async () => {
      const dir = await copyFixture(name);
      const shell = SHELL[name] ?? {};
      let real: Json;
      try {
        real = composeConfig(dir, shell);
      } catch {
        return; // (a fixture Compose itself refuses is compared by the refusal tests)
      }
      const model = loadComposeModel({ dir, env: { HOME, ...shell, PATH: '/usr/bin:/bin' }, home: HOME, read: readOr });
      expect(model.services.map((s) => s.name).sort()).toEqual(Object.keys(real.services).sort());
      for (const s of model.services) {
        const r = real.services[s.name];
        const env: Record<string, string | null> = {};
        for (const [k, e] of s.envMap) env[k] = e.value;
        expect(env).toEqual(r.environment ?? {});
        expect(s.mounts.map((m) => ({ type: m.type, source: m.type === 'bind' ? m.resolved : m.volumeName ? m.resolved : m.source || undefined, target: m.target }))).toEqual(
          (r.volumes ?? []).map((v: Json) => ({ type: v.type, source: v.source, target: v.target })),
        );
        expect(s.ports.map((p) => ({ host_ip: p.hostIp || undefined, published: p.published || undefined, target: Number(p.target) }))).toEqual(
          (r.ports ?? []).map((p: Json) => ({ host_ip: p.host_ip, published: p.published, target: p.target })),
        );
        expect(s.data.image).toBe(r.image);
        expect(s.data.user === undefined ? undefined : String(s.data.user)).toBe(r.user);
      }
      for (const [k, v] of Object.entries(model.volumes)) expect(v.name).toBe(real.volumes[k].name);
    });
  }
});

describe('adoption keeps data, passwords, services and ports', () => {
  for (const name of ADOPTED) {
    test(name, async () => {
      const dir = await copyFixture(name);
      const shell = SHELL[name] ?? {};
      const modelBefore = loadComposeModel({ dir, env: { HOME, ...shell }, home: HOME, read: readOr });
      const volumes = name === 'named-storage' ? { [modelBefore.volumes.storage!.name]: path.join(dir, '..', `${name}-vol-${n}`) } : undefined;
      if (volumes) await fsp.mkdir(Object.values(volumes)[0]!, { recursive: true });
      const anonymous = name === 'anonymous-storage' ? path.join(dir, '..', `${name}-anon-${n}`) : undefined;
      if (anonymous) await fsp.mkdir(anonymous, { recursive: true });
      const originals = await snapshot(dir);
      const pp0 = modelBefore.services.find((s) => PP_IMAGE.test(String(s.data.image)))!;
      const passwordsBefore = new Map<string, string>();
      for (const s of modelBefore.services) for (const [k, e] of s.envMap) if (PASSWORD_VAR.test(k) && e.value) passwordsBefore.set(`${s.name}.${k}`, e.value);
      const before = HAVE ? composeConfig(dir, shell) : null;

      const r = await init(dir, { env: shell, volumes, anonymous, flags: FLAGS[name] });
      expect(r.stderr.replace(/^\s+$/gm, '')).not.toMatch(/invalid input/);
      expect([0, 1]).toContain(r.code);
      // exit 1 only with the weaknesses it kept, each with its fix
      if (r.code === 1) expect(r.stdout).toMatch(/error\(s\) kept in the written files: exit code 1/);
      for (const v of passwordsBefore.values()) expect(r.stdout + r.stderr).not.toContain(v);

      const modelAfter = loadComposeModel({ dir, env: { HOME, ...shell }, home: HOME, read: readOr });
      // no service added, none renamed
      expect(modelAfter.services.map((s) => s.name)).toEqual(modelBefore.services.map((s) => s.name));
      // no password left in any container's environment
      for (const s of modelAfter.services) for (const [k, e] of s.envMap) if (PASSWORD_VAR.test(k) && !/_FILE$|^FILE__/.test(k)) expect([k, e.value]).toEqual([k, null]);

      // passwords keep their values: options.yml and the secret files
      // (where PhotoPrism keeps its storage: PHOTOPRISM_STORAGE_PATH, possibly a sub-folder of a bind mount)
      const storage = mountFor(pp0, photoprismPaths(pp0).storage)!;
      const storageHost = storage.type === 'bind' ? storage.resolved : (anonymous ?? Object.values(volumes!)[0]!);
      const opts = parseDocument(await fsp.readFile(path.join(storageHost, 'config', 'options.yml'), 'utf8')).toJS() as Json;
      const ppPw = passwordsBefore.get(`${pp0.name}.PHOTOPRISM_ADMIN_PASSWORD`);
      if (ppPw) expect(opts.AdminPassword).toBe(ppPw);
      const dsn = passwordsBefore.get(`${pp0.name}.PHOTOPRISM_DATABASE_DSN`);
      if (dsn) expect(opts.DatabaseDsn).toBe(dsn);
      const dbSide = [...passwordsBefore].find(([k]) => /\.(MARIADB|MYSQL)_PASSWORD$/.test(k))?.[1];
      const ppSide = passwordsBefore.get(`${pp0.name}.PHOTOPRISM_DATABASE_PASSWORD`);
      if (dbSide ?? ppSide) {
        expect(opts.DatabasePassword).toBe(dbSide ?? ppSide);
        if (dbSide) expect(await fsp.readFile(path.join(dir, '.secrets/db_pwd.txt'), 'utf8')).toBe(dbSide);
      }
      const rootSide = [...passwordsBefore].find(([k]) => /ROOT_PASSWORD$/.test(k))?.[1];
      if (rootSide) expect(await fsp.readFile(path.join(dir, '.secrets/db_root_pwd.txt'), 'utf8')).toBe(rootSide);
      if (opts.DatabaseDriver === 'sqlite') expect(modelAfter.services.some((s) => /mariadb|mysql/.test(String(s.data.image)))).toBe(modelBefore.services.some((s) => /mariadb|mysql/.test(String(s.data.image))));

      if (HAVE) {
        const after = composeConfig(dir, shell);
        const pp = ppName(before!);
        for (const svc of Object.keys(before!.services)) {
          const b = before!.services[svc];
          const a = after.services[svc];
          // data mounts and ports: identical (no port is ever added)
          expect(mountsOf(a)).toEqual(mountsOf(b));
          expect(a.ports ?? []).toEqual(b.ports ?? []);
          for (const k of new Set([...Object.keys(a), ...Object.keys(b)])) {
            if (MANAGED_KEYS.has(k) && (svc === pp || /mariadb|mysql/.test(String(b.image)))) continue;
            expect([svc, k, a[k]]).toEqual([svc, k, b[k]]);
          }
          // the environment only loses passwords and gains the hardening settings
          for (const [k, v] of Object.entries(b.environment ?? {})) {
            if (PASSWORD_VAR.test(k) || ['PHOTOPRISM_UID', 'PHOTOPRISM_GID', 'PHOTOPRISM_INIT', 'PHOTOPRISM_DISABLE_CHOWN'].includes(k)) continue;
            expect([svc, k, a.environment?.[k]]).toEqual([svc, k, v]);
          }
        }
        expect(Object.keys(after.volumes ?? {})).toEqual(Object.keys(before!.volumes ?? {}));
        expect(after.networks).toEqual(before!.networks);
      }

      // a second run changes nothing
      const snap = await snapshot(dir);
      const again = await init(dir, { env: shell, volumes, anonymous, flags: FLAGS[name] });
      expect(again.code).toBe(r.code);
      expect(again.stdout).toContain('Nothing to change');
      expect(await snapshot(dir)).toEqual(snap);

      // backups equal the originals (byte for byte, with mode and owner)
      const runs = await fsp.readdir(path.join(dir, '.photoprism-harden', 'backups'));
      expect(runs).toHaveLength(1);
      const backupDir = path.join(dir, '.photoprism-harden', 'backups', runs[0]!);
      const backups = await snapshot(backupDir);
      let compared = 0;
      for (const [rel, v] of Object.entries(backups)) {
        if (v.startsWith('dir ')) continue;
        expect([rel, v]).toEqual([rel, originals[rel]]);
        compared++;
      }
      expect(compared).toBeGreaterThan(0);
    });
  }

  test('passwords written as ${VAR} leave .env and the env files; lines that serve something else stay', async () => {
    const dir = await copyFixture('env-file-mysql');
    const r = await init(dir);
    expect([0, 1]).toContain(r.code);
    expect(await fsp.readFile(path.join(dir, '.env'), 'utf8')).toBe('');
    expect(await fsp.readFile(path.join(dir, 'photoprism.env'), 'utf8')).not.toMatch(/PASSWORD/);
    expect(await fsp.readFile(path.join(dir, 'photoprism.env'), 'utf8')).toContain('PHOTOPRISM_ADMIN_USER=boss');
    expect(await fsp.readFile(path.join(dir, 'db.env'), 'utf8')).toBe('MYSQL_DATABASE=pp\nMYSQL_USER=ppuser\n');
    const compose = await fsp.readFile(path.join(dir, 'docker-compose.yaml'), 'utf8');
    expect(compose).toContain('MYSQL_PASSWORD_FILE: "/run/secrets/DB_PWD"');
    expect(compose).toContain('MYSQL_ROOT_PASSWORD_FILE: "/run/secrets/DB_ROOT_PWD"');
  });

  test('the header names what is kept (watchtower\'s docker.sock, seccomp:unconfined) and init exits 1 until the risk is accepted', async () => {
    const dir = await copyFixture('traefik-env-named-db');
    const r = await init(dir);
    expect(r.code).toBe(1);
    expect(r.stdout).toContain('[docker-socket-mounted]');
    expect(r.stdout).toContain('--allow-unsafe docker-socket-mounted');
    const text = await fsp.readFile(path.join(dir, 'docker-compose.yml'), 'utf8');
    expect(text).toContain('"watchtower" mounts the Docker socket');
    expect(text).toContain('"photo" keeps security_opt seccomp:unconfined');
    expect(text).not.toMatch(/no docker\.sock mount|default seccomp/);
    expect(text).not.toMatch(/ports:\s*\n\s*- "?2342/);
    const accepted = await init(dir, { flags: { allowUnsafe: ['docker-socket-mounted'] } });
    expect(accepted.stdout).toMatch(/audit: FAIL - 1 error/);
    expect(accepted.code).toBe(0);
    expect(accepted.stdout).toContain('(accepted: --allow-unsafe docker-socket-mounted)');
    // remembered for later runs
    expect(JSON.parse(await fsp.readFile(path.join(dir, '.photoprism-harden/state.json'), 'utf8'))).toEqual({ allowUnsafe: ['docker-socket-mounted'] });
    expect((await init(dir)).code).toBe(0);
    // the same flag again changes nothing (state.json's folder is seen as there)
    const again = await init(dir, { flags: { allowUnsafe: ['docker-socket-mounted'] } });
    expect(again.code).toBe(0);
    expect(again.stdout).toContain('Nothing to change');
  });

  test('SQLite stays SQLite; the port bound to 127.0.0.1:8080 stays; behind a proxy without ports none is added', async () => {
    const dir = await copyFixture('sqlite-ports');
    const r = await init(dir, { env: SHELL['sqlite-ports'] });
    expect(r.code).toBe(0);
    const opts = parseDocument(await fsp.readFile(path.join(dir, 'storage/config/options.yml'), 'utf8')).toJS() as Json;
    expect(opts.DatabaseDriver).toBe('sqlite');
    expect(opts).not.toHaveProperty('DatabasePassword');
    expect(opts.AdminPassword).toBe('change$me-please');
    expect(existsSync(path.join(dir, '.secrets'))).toBe(false);
    const c = parseDocument(await fsp.readFile(path.join(dir, 'compose.yaml'), 'utf8')).toJS() as Json;
    expect(c.services.photoprism.ports).toEqual(['127.0.0.1:8080:2342']);
    expect(Object.keys(c.services)).toEqual(['photoprism']);
  });

  test('storage in an anonymous volume is kept and found through the container; without a container the run is refused, nothing written', async () => {
    const dir = await copyFixture('anonymous-storage');
    const before = await snapshot(dir);
    const refused = await init(dir);
    expect(refused.code).toBe(2);
    expect(refused.stderr).toContain('docker-compose.yml:18: PhotoPrism\'s storage /photoprism/storage is an anonymous volume;');
    expect(refused.stderr).toContain('there is no container of "photos" yet');
    expect(refused.stderr).toContain('start the installation once (docker compose up -d)');
    expect(await snapshot(dir)).toEqual(before);

    const vol = path.join(dir, '..', `anon-vol-${n}`);
    await fsp.mkdir(vol);
    const r = await init(dir, { anonymous: vol });
    expect(r.code).toBe(0);
    expect(parseDocument(await fsp.readFile(path.join(vol, 'config', 'options.yml'), 'utf8')).toJS()).toMatchObject({ AdminPassword: 'anon-admin-pw', DatabasePassword: 'anon-db-pw' });
    // both anonymous volumes stay as written; no host folder is made up for the originals
    const c = parseDocument(await fsp.readFile(path.join(dir, 'docker-compose.yml'), 'utf8')).toJS() as Json;
    expect(c.services.photos.volumes).toEqual(['/photoprism/originals', '/photoprism/storage']);
    expect(r.stdout).not.toMatch(/originals folder .* does not exist/);
    expect(r.stdout).toMatch(/Originals folder +an anonymous volume at \/photoprism\/originals \(kept\)/);
    expect(existsSync(path.join(dir, 'originals'))).toBe(false);
    expect(r.stdout).toMatch(/is an anonymous volume: it is kept, and found through the container of "photos"/);
    // user: "${PUID}:${PGID}" already says what the answers say: it is left as written
    expect(c.services.photos.user).toBe('${PUID}:${PGID}');
    // audit reads options.yml in the volume where the engine says it is (and nowhere without one)
    const { auditDir } = await import('../src/audit/index.js');
    const located = await auditDir(dir, FACTS as HostFacts, 'test', { env: { HOME }, storageFolder: async (m, service) => (m.type === 'volume' && !m.source && service === 'photos' ? vol : null) });
    expect(located.options).toBe(path.join(vol, 'config', 'options.yml'));
    expect(located.findings.map((f) => f.rule)).not.toContain('password-in-environment');
    expect((await auditDir(dir, FACTS as HostFacts, 'test', { env: { HOME } })).options).toBeNull();
  });

  test('a UID/GID of a person on this host, kept from the installation: named in the header and by the audit, exit 1 until accepted', async () => {
    const dir = await copyFixture('anonymous-storage');
    await fsp.writeFile(path.join(dir, '.env'), 'PUID=1000\nPGID=1000\n');
    const vol = path.join(dir, '..', `anon-vol-${n}`);
    await fsp.mkdir(vol);
    const facts: Partial<HostFacts> = {
      ...FACTS,
      accounts: [{ name: 'alice', uid: 1000, gid: 1000, home: '/home/alice', shell: '/bin/bash' }],
      groups: [{ name: 'alice', gid: 1000, members: [] }],
    };
    const r = await init(dir, { anonymous: vol, facts });
    expect(r.code).toBe(1);
    expect(r.stdout).toMatch(/UID: kept, as docker-compose\.yml:6 \(user: 1000:1000\) has it: uid 1000 belongs to the regular host account "alice"/);
    expect(r.stdout).toContain('! [uid-host-account] docker-compose.yml:');
    expect(r.stdout).toContain('or accept the risk: --allow-unsafe host-account');
    const text = await fsp.readFile(path.join(dir, 'docker-compose.yml'), 'utf8');
    expect(text).toMatch(/# - "photos" keeps the ids it ran with: uid 1000 belongs to the regular host account "alice"/);
    expect(parseDocument(text).toJS().services.photos.user).toBe('${PUID}:${PGID}');
    // the same run again: the same answer, nothing to change, the same exit code
    const again = await init(dir, { anonymous: vol, facts });
    expect(again.code).toBe(1);
    expect(again.stdout).toContain('Nothing to change');
    // accepted: exit 0, remembered
    const accepted = await init(dir, { anonymous: vol, facts, flags: { allowUnsafe: ['host-account'] } });
    expect(accepted.code).toBe(0);
    expect(accepted.stdout).toContain('(accepted: --allow-unsafe host-account)');
    // moving the UID away from the person's account moves the GID default along (not alice's group)
    const moved = await init(dir, { anonymous: vol, facts, flags: { uid: '2000' } });
    expect(moved.code).toBe(0);
    expect(parseDocument(await fsp.readFile(path.join(dir, 'docker-compose.yml'), 'utf8')).toJS().services.photos.user).toBe('2000:2000');
    // a new installation never gets a person's UID by default: still refused without the override
    const fresh = path.join(TMP, `fresh-${++n}`);
    await fsp.mkdir(fresh);
    const refused = await init(fresh, { facts, flags: { uid: '1000', gid: '1000' } });
    expect(refused.code).toBe(2);
    expect(refused.stderr).toContain('--allow-unsafe host-account');
  });

  test('a storage folder outside the installation that is missing on this host is created only when the user says so', async () => {
    const dir = path.join(TMP, `outside-${++n}`);
    const store = path.join(TMP, `elsewhere-${n}`, 'photoprism', 'storage');
    await fsp.mkdir(dir);
    const compose = `services:\n  photoprism:\n    image: photoprism/photoprism:latest\n    environment:\n      PHOTOPRISM_ADMIN_PASSWORD: "outside-pw-1"\n    volumes:\n      - ./photos:/photoprism/originals\n      - ${store}:/photoprism/storage\n`;
    await fsp.writeFile(path.join(dir, 'docker-compose.yml'), compose);
    const before = await snapshot(dir);
    const out = new Sink();
    const err = new Sink();
    const refused = await runInit({ dir, yes: true, dryRun: false, flags: {}, version: packageVersion(), env: { HOME }, out: new Output(out, err), probe: new FixtureHost(FACTS), validate: false }).then(
      (code) => ({ code, stderr: err.text }),
      (e: unknown) => ({ code: 2, stderr: e instanceof UsageError ? e.problems.join('\n') : String(e) }),
    );
    expect(refused.code).toBe(2);
    expect(refused.stderr).toContain(`docker-compose.yml:8: PhotoPrism's storage ${store} does not exist on this host`);
    expect(refused.stderr).toContain('or add --create-folders');
    expect(existsSync(path.dirname(path.dirname(store)))).toBe(false);
    expect(await snapshot(dir)).toEqual(before);
    // with --create-folders (init() passes it): created, options.yml in it
    const r = await init(dir);
    expect(r.code).toBe(0);
    expect(existsSync(path.join(store, 'config', 'options.yml'))).toBe(true);
    // the installation's missing photo folder (inside it) is created as for a new installation:
    // owned by PhotoPrism's UID/GID, not left to Docker to create as root
    const photos = await fsp.stat(path.join(dir, 'photos'));
    expect([photos.uid, photos.gid, photos.mode & 0o777]).toEqual([2000, 2000, 0o750]);
  });

  test('linuxserver/mariadb reads FILE__ variables: their values are paths, no passwords in the environment', async () => {
    const dir = await copyFixture('linuxserver-list');
    const r = await init(dir);
    expect(r.stdout).toMatch(/FILE__MYSQL_PASSWORD|file: .*db_pwd/i);
    expect(r.stdout).not.toContain('[password-in-environment]');
    expect(r.code).toBe(0);
  });

  test('a named storage volume is located through the engine; without one the run is refused with that reason', async () => {
    const dir = await copyFixture('named-storage');
    const before = await snapshot(dir);
    const r = await init(dir);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('compose.yml:9: PhotoPrism\'s storage is the named volume "storage" (on the host: named-storage');
    expect(r.stderr).toContain('no container engine was found');
    expect(await snapshot(dir)).toEqual(before);
  });
});

describe('refusals name the file, the line and what to change; nothing is written', () => {
  const expected: Record<string, RegExp[]> = {
    'refuse-two-photoprism': [/docker-compose\.yml:1: several services run a photoprism\/photoprism image \(photos-family at docker-compose\.yml:2, photos-work at docker-compose\.yml:5\)/],
    'refuse-no-photoprism': [/docker-compose\.yml:2: no service runs a photoprism\/photoprism image \(services: gallery \(lscr\.io\/linuxserver\/piwigo:latest\), db \(mariadb:11\)\)/],
    'refuse-bitnami': [/docker-compose\.yml:10: the database service "mariadb" runs bitnami\/mariadb:11\.4/, /Switch to the official "mariadb" image/],
    'refuse-mismatch': [/^docker-compose\.yml:7: the database password differs between docker-compose\.yml:7 \(PHOTOPRISM_DATABASE_PASSWORD of "photoprism"\) and docker-compose\.yml:12 \(MARIADB_PASSWORD of "mariadb"\)/],
    'refuse-unset': [/docker-compose\.yml:5: PHOTOPRISM_ADMIN_PASSWORD of "photoprism" is written as "\$\{PHOTOPRISM_ADMIN_PASSWORD\}", but the variable PHOTOPRISM_ADMIN_PASSWORD is set neither in \.env nor in the shell/],
    'refuse-external-db': [/docker-compose\.yml:6: PhotoPrism connects to the database at "192\.168\.1\.20:3306", which is no service of docker-compose\.yml/],
    'refuse-extends-password': [/docker-compose\.yml:4: "photoprism" extends "pp-template" \(templates\.yaml\), which sets PHOTOPRISM_ADMIN_PASSWORD in its environment/, /Move that entry from "pp-template" into "photoprism"/],
    'refuse-no-storage': [/^docker-compose\.yml:4: the PhotoPrism service "gallery" mounts nothing at \/photoprism\/storage, so its SQLite index, its thumbnails and settings live inside the container/, /Copy them out while the container exists \("docker compose cp gallery:\/photoprism\/storage \.\/storage"\), add the volume "- \.\/storage:\/photoprism\/storage" to "gallery"/],
    'refuse-config-path': [/docker-compose\.yml:6: PHOTOPRISM_CONFIG_PATH moves PhotoPrism's config folder \(where it reads options\.yml\) to \/etc\/photoprism, away from its storage \/photoprism\/storage/, /Remove PHOTOPRISM_CONFIG_PATH/],
  };
  /** every refusal starts with file:line and says what the user can change */
  const precise = (problem: string) => {
    expect(problem).toMatch(/^[\w./-]+\.(ya?ml|env):\d+: /);
    expect(problem).toMatch(/\b(set|add|remove|move|merge|switch|make|point|give|mount|change|copy|keep editing|run init)\b/i);
  };
  for (const name of REFUSED) {
    test(name, async () => {
      const dir = await copyFixture(name);
      const before = await snapshot(dir);
      const r = await init(dir);
      expect(r.code).toBe(2);
      for (const re of expected[name] ?? [/^$/]) expect(r.stderr).toMatch(re);
      expect(r.stderr).not.toMatch(/not supported/);
      for (const p of r.stderr.split('\n')) precise(p);
      expect(await snapshot(dir)).toEqual(before);
      const dry = await init(dir, { dryRun: true });
      expect(dry.code).toBe(2);
    });
  }
});

describe('audit: passwords inside a DSN, and passwords reaching a container through env_file or .env', () => {
  const findings = async (name: string) => {
    const { auditDir } = await import('../src/audit/index.js');
    const dir = await copyFixture(name);
    const facts = await new FixtureHost(FACTS).facts();
    const report = await auditDir(dir, facts, 'test', { env: { HOME, ...(SHELL[name] ?? {}) } });
    return report.findings.filter((f) => f.rule === 'password-in-environment');
  };

  test('a password inside PHOTOPRISM_DATABASE_DSN', async () => {
    const f = await findings('dsn-container-name');
    const dsn = f.find((x) => x.message.startsWith('PHOTOPRISM_DATABASE_DSN'))!;
    expect(dsn).toMatchObject({ file: 'docker-compose.yml', line: 7, service: 'app' });
    expect(dsn.message).toContain('inside the connection string');
    expect(dsn.fix).toContain('DatabaseDsn');
    expect(JSON.stringify(f)).not.toContain('dsn@pass:w0rd');
  });

  test('.env interpolation names the .env line; env_file passwords name the env file', async () => {
    const viaEnv = await findings('traefik-env-named-db');
    expect(viaEnv.find((x) => x.message.startsWith('PHOTOPRISM_ADMIN_PASSWORD'))!.message).toContain('its value comes from .env:2 through ${ADMIN_PW}');
    expect(viaEnv.find((x) => x.message.startsWith('MARIADB_ROOT_PASSWORD'))!.message).toContain('.env:4 through ${ROOT_PW}');
    const viaFile = await findings('env-file-mysql');
    expect(viaFile.map((x) => `${x.file}:${x.line} ${x.message.split(' ')[0]}`)).toEqual(
      expect.arrayContaining(['photoprism.env:2 PHOTOPRISM_ADMIN_PASSWORD', 'photoprism.env:6 PHOTOPRISM_DATABASE_PASSWORD', 'db.env:3 MYSQL_PASSWORD', 'db.env:4 MYSQL_ROOT_PASSWORD']),
    );
    expect(viaFile.find((x) => x.file === 'db.env' && x.line === 3)!.message).toContain('.env:1 through ${MYSQL_PASSWORD}');
  });

  test('user: "2000" is read the same by init and audit: a UID without a group', async () => {
    const { parseUser } = await import('../src/compose/syntax.js');
    expect(parseUser('2000')).toEqual({ uidText: '2000', gidText: null, uid: 2000, gid: null });
    expect(parseUser(2000)).toEqual({ uidText: '2000', gidText: null, uid: 2000, gid: null });
    expect(parseUser('1000:100')).toEqual({ uidText: '1000', gidText: '100', uid: 1000, gid: 100 });
  });
});

describe('answers that change an adopted installation: port and photo folders follow in place, or are refused', () => {
  test('--http-port rewrites the published port (host IP kept); new originals and import folders rewrite / add their mount; a second run changes nothing', async () => {
    const dir = await copyFixture('sqlite-ports');
    const photos = path.join(TMP, `new-photos-${n}`);
    const inbox = path.join(TMP, `inbox-${n}`);
    const flags = { httpPort: '8443', originalsPath: photos, importPath: inbox };
    const r = await init(dir, { env: SHELL['sqlite-ports'], flags });
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('now publishes its web server on host port 8443 (was 8080)');
    expect(r.stdout).toContain(`now mounts ${photos} as its originals folder (was ~/Pictures)`);
    const c = composeConfigOr(dir, SHELL['sqlite-ports']);
    const raw = parseDocument(await fsp.readFile(path.join(dir, 'compose.yaml'), 'utf8')).toJS() as Json;
    expect(raw.services.photoprism.ports).toEqual(['127.0.0.1:8443:2342']);
    expect(raw.services.photoprism.volumes).toEqual([
      `${photos}:/photoprism/originals`,
      { type: 'bind', source: './storage', target: '/photoprism/storage' },
      `${inbox}:/photoprism/import`,
    ]);
    if (c) expect(c.services.photoprism.ports).toEqual([{ mode: 'ingress', host_ip: '127.0.0.1', target: 2342, published: '8443', protocol: 'tcp' }]);
    const snap = await snapshot(dir);
    const again = await init(dir, { env: SHELL['sqlite-ports'], flags });
    expect(again.stdout).toContain('Nothing to change');
    expect(await snapshot(dir)).toEqual(snap);
    // and without the flags the installation's own values are the answers: still nothing to change
    expect((await init(dir, { env: SHELL['sqlite-ports'] })).stdout).toContain('Nothing to change');
    // "none" drops the import mount again (its files stay on the host)
    const drop = await init(dir, { env: SHELL['sqlite-ports'], flags: { importPath: 'none' } });
    expect(drop.code).toBe(0);
    expect((parseDocument(await fsp.readFile(path.join(dir, 'compose.yaml'), 'utf8')).toJS() as Json).services.photoprism.volumes).toHaveLength(2);
  });

  test('a port where none is published, or a folder on a named volume, is refused before writing (file:line and what to do)', async () => {
    const proxied = await copyFixture('traefik-env-named-db');
    const before = await snapshot(proxied);
    const r = await init(proxied, { flags: { httpPort: '8080' } });
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/^docker-compose\.yml:4: httpPort 8080: the PhotoPrism service "photo" publishes no port .*adopting never adds one\. Add a "ports:" entry/);
    expect(await snapshot(proxied)).toEqual(before);
    const named = await copyFixture('named-storage');
    const vol = path.join(TMP, `named-vol-${n}`);
    await fsp.mkdir(vol, { recursive: true });
    const model = loadComposeModel({ dir: named, env: { HOME }, home: HOME, read: readOr });
    const v = await init(named, { volumes: { [model.volumes.storage!.name]: vol }, flags: { originalsPath: path.join(TMP, 'elsewhere') } });
    expect(v.code).toBe(2);
    expect(v.stderr).toMatch(/^compose\.yml:8: originalsPath .*elsewhere: PhotoPrism's originals folder is the named volume "originals"; its data stays there/);
  });

  test('--dry-run exits like the real run: 1 while the audit keeps an unaccepted error', async () => {
    const dir = await copyFixture('traefik-env-named-db');
    const dry = await init(dir, { dryRun: true });
    expect(dry.stdout).toContain('[docker-socket-mounted]');
    expect(dry.code).toBe(1);
    expect((await init(dir, { dryRun: true, flags: { allowUnsafe: ['docker-socket-mounted'] } })).code).toBe(0);
  });

  test('an unsupported database driver is named as the SQLite PhotoPrism falls back to; it stays SQLite', async () => {
    const dir = await copyFixture('sqlite-ports');
    const file = path.join(dir, 'compose.yaml');
    await fsp.writeFile(file, (await fsp.readFile(file, 'utf8')).replace('- PHOTOPRISM_ORIGINALS_LIMIT=5000', '- PHOTOPRISM_DATABASE_DRIVER=postgres'));
    const r = await init(dir, { env: SHELL['sqlite-ports'] });
    expect(r.code).toBe(0);
    expect(r.stdout.replace(/\s+/g, ' ')).toContain('the driver "postgres" is not one PhotoPrism supports');
    const opts = parseDocument(await fsp.readFile(path.join(dir, 'storage/config/options.yml'), 'utf8')).toJS() as Json;
    expect(opts.DatabaseDriver).toBe('sqlite');
  });

  test("audit compares PhotoPrism's DatabasePassword with linuxserver's FILE__MYSQL_PASSWORD file", async () => {
    const { auditDir } = await import('../src/audit/index.js');
    const dir = await copyFixture('linuxserver-list');
    expect([0, 1]).toContain((await init(dir)).code);
    expect(await fsp.readFile(path.join(dir, 'docker-compose.yml'), 'utf8')).toContain('FILE__MYSQL_PASSWORD=/run/secrets/DB_PWD');
    const facts = await new FixtureHost(FACTS).facts();
    const rule = async () => (await auditDir(dir, facts, 'test', { env: { HOME } })).findings.filter((f) => f.rule === 'database-password-mismatch');
    expect(await rule()).toEqual([]);
    await fsp.writeFile(path.join(dir, '.secrets/db_pwd.txt'), 'another-password-1');
    const f = await rule();
    expect(f).toHaveLength(1);
    expect(f[0]!.message).toContain('.secrets/db_pwd.txt');
  });
});

function composeConfigOr(dir: string, env: Record<string, string> = {}): Json | null {
  return HAVE ? composeConfig(dir, env) : null;
}

describe('the user\'s spacing stays: aligned comments and trailing blanks of untouched lines', () => {
  test('lines that only the yaml library would re-space are written as the user wrote them', async () => {
    const { keepSpacing } = await import('../src/compose/adopt.js');
    const original = 'services:\n  pp:\n    environment:\n      - A=1          # first\n      - B=2    # second\n    depends_on: \n      - db\n';
    const written = 'services:\n  pp:\n    environment:\n      - A=1 # first\n      - B=3 # second\n    depends_on:\n      - db\n      - cache\n';
    // A and depends_on come back as written; B changed its value, so it stays as the tool wrote it
    expect(keepSpacing(written, original)).toBe('services:\n  pp:\n    environment:\n      - A=1          # first\n      - B=3 # second\n    depends_on: \n      - db\n      - cache\n');
  });

  test('never when the spacing is part of a value (a "#" inside quotes, a block scalar)', async () => {
    const { keepSpacing } = await import('../src/compose/adopt.js');
    const quoted = 'x:\n  a: "p  #q"\n';
    expect(keepSpacing('x:\n  a: "p #q"\n', quoted)).toBe('x:\n  a: "p #q"\n');
    const block = 'x:\n  s: |\n    one   #two\n';
    expect(keepSpacing('x:\n  s: |\n    one #two\n', block)).toBe('x:\n  s: |\n    one #two\n');
  });

  test('an adopted file keeps the alignment of its comments where the tool changed nothing', async () => {
    const dir = path.join(TMP, `aligned-${++n}`);
    await fsp.mkdir(path.join(dir, 'storage'), { recursive: true });
    const compose = [
      'services:',
      '  photoprism:',
      '    image: photoprism/photoprism:latest',
      '    environment:',
      '      - PHOTOPRISM_ADMIN_PASSWORD=aligned-pw-1     # initial admin password',
      '      - PHOTOPRISM_SITE_URL=http://localhost:2342/  # public URL',
      '      - PHOTOPRISM_DEBUG=false                      # debug mode',
      '    ports:',
      '      - "2342:2342"   # web',
      '    volumes:',
      '      - ./photos:/photoprism/originals',
      '      - ./storage:/photoprism/storage',
      '',
    ].join('\n');
    await fsp.writeFile(path.join(dir, 'docker-compose.yml'), compose);
    await fsp.mkdir(path.join(dir, 'photos'));
    const r = await init(dir);
    expect(r.code).toBe(0);
    const text = await fsp.readFile(path.join(dir, 'docker-compose.yml'), 'utf8');
    expect(text).toContain('      - PHOTOPRISM_SITE_URL=http://localhost:2342/  # public URL\n      - PHOTOPRISM_DEBUG=false                      # debug mode\n');
    expect(text).toContain('      - "2342:2342"   # web\n');
    expect(text).not.toContain('aligned-pw-1');
  });
});
