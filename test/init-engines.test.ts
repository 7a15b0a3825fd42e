// `init` with fake Compose engines (answered through the injected host, never PATH): detection, validation (accepted, rejected, dry run on a
// temporary copy, schema fallback), --apply (success, failures, timeout), and the owners written on
// disk for rootless Docker, userns-remap and rootless Podman with SELinux.

import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { chownSync, existsSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import type { Prompter } from '../src/collect.js';
import { UsageError } from '../src/errors.js';
import { FixtureHost, type FixtureData } from './helpers/fixture-host.js';
import { runInit, type InitOptions } from '../src/init.js';
import { Output } from '../src/output.js';
import { auditDir, runAudit, type Report } from '../src/audit/index.js';
import type { HostProbe } from '../src/host.js';
import { runPreflight } from '../src/preflight.js';
import { ENGINE_HOST as HOST } from './fixtures/unit-fakes.js';
import {
  CONFIG_OK,
  HEALTHY,
  NO_PLUGIN,
  V2_VERSION,
  dockerInfo,
  fakeEnginesPerTest,
  inspectJson,
  podmanInfo,
  psJson,
  type Fakes,
  type Spec,
} from './helpers/fake-engines.js';
import { Sink } from './helpers/sink.js';
import { scratchDirs } from './helpers/tmp.js';

// fakes and folders are removed after each test
const fakeEngines = fakeEnginesPerTest();
const tmp = scratchDirs('pph-init-');
let fakes: Fakes | undefined;

interface Run {
  code: number;
  out: string;
  err: string;
  dir: string;
  calls: string[];
  cwds: string[];
}

async function init(spec: Spec, o: Partial<InitOptions> & { host?: FixtureData; extraEnv?: NodeJS.ProcessEnv } = {}): Promise<Run> {
  fakes = fakeEngines(spec);
  const dir = path.join(tmp(), 'photoprism');
  const stdout = new Sink();
  const stderr = new Sink();
  const { host, extraEnv, ...rest } = o;
  const code = await runInit({
    dir,
    yes: true,
    dryRun: false,
    flags: {},
    version: '0.0.0-test',
    env: fakes.env(extraEnv),
    out: new Output(stdout, stderr),
    probe: fakes.host(host ?? HOST),
    stdinIsTTY: false,
    pollMs: 10,
    ...rest,
  });
  const calls = fakes.calls();
  return { code, out: stdout.text, err: stderr.text, dir, calls: calls.map((c) => [c.cmd, ...c.args].join(' ')), cwds: calls.map((c) => c.cwd) };
}

const DOCKER_V2 = (...more: Spec['docker']) => ({ docker: [V2_VERSION, dockerInfo(), CONFIG_OK, ...more] });
const LIFECYCLE = ['docker compose -f docker-compose.yml stop', 'docker compose -f docker-compose.yml up -d --force-recreate'];

function secretsOf(dir: string): string[] {
  const opts = readFileSync(path.join(dir, 'storage/config/options.yml'), 'utf8');
  return [
    readFileSync(path.join(dir, '.secrets/db_pwd.txt'), 'utf8'),
    readFileSync(path.join(dir, '.secrets/db_root_pwd.txt'), 'utf8'),
    /AdminPassword: "([^"]+)"/.exec(opts)![1]!,
  ];
}

function noSecretPrinted(r: Run): void {
  for (const s of secretsOf(r.dir)) {
    expect(r.out).not.toContain(s);
    expect(r.err).not.toContain(s);
  }
}

describe('validation after writing', () => {
  test('docker compose v2: says which engine, validates with `config --quiet` in the install folder, starts nothing', async () => {
    const r = await init(DOCKER_V2());
    expect(r.code).toBe(0);
    expect(r.out).toMatch(/Compose engine\s+docker compose 2\.29\.1/);
    expect(r.out).toContain('Validated: docker compose config --quiet (2.29.1) accepts docker-compose.yml.');
    // the engine probe and `docker info` run side by side (either order); validation comes after both
    expect([...r.calls.slice(0, 2)].sort()).toEqual(['docker compose version --short', 'docker info --format {{json .}}']);
    expect(r.calls.slice(2)).toEqual(['docker compose -f docker-compose.yml config --quiet']);
    expect(r.cwds[2]).toBe(r.dir);
    // never run anything against Docker without the user asking
    expect(r.calls.some((c) => / (stop|up|ps|logs)\b/.test(c))).toBe(false);
    expect(r.out).toContain('  docker compose up -d');
    noSecretPrinted(r);
  });

  test('the engine rejects the file: its error verbatim, exit 1, the files stay written', async () => {
    const error = 'validating /srv/photoprism/docker-compose.yml: services.photoprism Additional property stop_grace_periodx is not allowed';
    const r = await init({ docker: [V2_VERSION, dockerInfo(), { when: '*config --quiet', replies: { stderr: `${error}\n`, code: 15 } }] });
    expect(r.code).toBe(1);
    expect(r.err).toContain('docker compose config --quiet (2.29.1) rejects docker-compose.yml (the files are written; nothing was started):');
    expect(r.err).toContain(`  ${error}`);
    expect(existsSync(path.join(r.dir, 'docker-compose.yml'))).toBe(true);
  });

  test('a rejected file is never started, even with --apply', async () => {
    const r = await init({ docker: [V2_VERSION, dockerInfo(), { when: '*config --quiet', replies: { stderr: 'bad\n', code: 1 } }] }, { apply: true });
    expect(r.code).toBe(1);
    expect(r.calls.filter((c) => c.includes(' up '))).toEqual([]);
  });

  test('--dry-run validates a temporary copy and writes nothing', async () => {
    const r = await init(DOCKER_V2(), { dryRun: true });
    expect(r.code).toBe(0);
    expect(existsSync(r.dir)).toBe(false);
    const cfg = r.calls.findIndex((c) => c.endsWith('config --quiet'));
    expect(cfg).toBeGreaterThan(-1);
    expect(r.cwds[cfg]).not.toBe(r.dir);
    expect(r.cwds[cfg]).toContain('photoprism-harden-check-');
    expect(existsSync(r.cwds[cfg]!)).toBe(false); // removed afterwards
    expect(r.out).toMatch(/Validated: docker compose config --quiet \(2\.29\.1\) accepts a temporary copy \(.*photoprism-harden-check-.*\/docker-compose\.yml\)/);
  });

  test('--dry-run with a rejecting engine: exit 1', async () => {
    const r = await init({ docker: [V2_VERSION, dockerInfo(), { when: '*config --quiet', replies: { stderr: 'services.mariadb.image must be a string\n', code: 15 } }] }, { dryRun: true });
    expect(r.code).toBe(1);
    expect(r.err).toContain('services.mariadb.image must be a string');
  });

  test('no engine: written anyway, checked against the Compose schema, and told what to install', async () => {
    const r = await init({ docker: [NO_PLUGIN, { when: 'info *', replies: { stderr: 'Cannot connect to the Docker daemon\n', code: 1 } }] });
    expect(r.code).toBe(0);
    expect(existsSync(path.join(r.dir, 'docker-compose.yml'))).toBe(true);
    expect(r.out).toContain('Validated: the Compose JSON schema (no engine found) accepts docker-compose.yml.');
    expect(r.out).toContain('No Compose engine was found: docker compose (the Docker CLI has no compose plugin), docker-compose (not installed), podman-compose (not installed).');
    expect(r.out).toContain('docker-compose-plugin');
  });

  test('--no-validate: no config call', async () => {
    const r = await init(DOCKER_V2(), { validate: false });
    expect(r.code).toBe(0);
    expect(r.calls.some((c) => c.includes('config'))).toBe(false);
  });

  test('--engine docker-compose (v1) and podman-compose are used as asked', async () => {
    let r = await init({ 'docker-compose': [{ when: 'version --short', replies: { stdout: '1.29.2\n' } }, CONFIG_OK], docker: [dockerInfo()] }, { engine: 'docker-compose' });
    expect(r.code).toBe(0);
    expect(r.calls).toContain('docker-compose -f docker-compose.yml config --quiet');
    expect(r.out).toContain('Compose v1, end of life');
    fakes!.cleanup();
    r = await init(
      {
        docker: [V2_VERSION],
        'podman-compose': [{ when: 'version --short', replies: { stdout: '1.2.0\n' } }, { when: '-f docker-compose.yml config', replies: { stdout: 'services: {}\n' } }],
        podman: [{ when: 'info --format json', replies: { stdout: JSON.stringify({ host: { security: { rootless: false } }, version: { Version: '4.9.4' } }) } }],
      },
      { engine: 'podman' },
    );
    expect(r.code).toBe(0);
    expect([...r.calls.slice(0, 2)].sort()).toEqual(['podman info --format json', 'podman-compose version --short']);
    expect(r.calls.slice(2)).toEqual(['podman-compose -f docker-compose.yml config']);
    expect(r.out).toContain('  podman-compose up -d');
  });
});

describe('--apply', () => {
  test('success: stop, up -d --force-recreate (output streamed), then wait until healthy', async () => {
    const r = await init(
      DOCKER_V2(
        { when: 'compose -f docker-compose.yml stop', replies: {} },
        { when: 'compose -f docker-compose.yml up -d --force-recreate', replies: { stdout: ' Container photoprism-mariadb-1  Started\n', stderr: ' Container photoprism-photoprism-1  Started\n' } },
        {
          when: 'compose -f docker-compose.yml ps -a --format json',
          replies: [
            { stdout: psJson([{ service: 'mariadb', state: 'running', health: 'starting' }]) },
            { stdout: psJson([{ service: 'mariadb', state: 'running', health: 'healthy' }, { service: 'photoprism', state: 'running', health: 'starting' }]) },
            { stdout: psJson(HEALTHY) },
          ],
        },
      ),
      { apply: true },
    );
    expect(r.code).toBe(0);
    expect(r.calls.slice(3, 5)).toEqual(LIFECYCLE);
    expect(r.calls.filter((c) => c.includes(' ps ')).length).toBe(3);
    expect(r.cwds.slice(3).every((c) => c === r.dir)).toBe(true);
    expect(r.out).toContain('$ docker compose stop');
    expect(r.out).toContain('$ docker compose up -d --force-recreate');
    expect(r.out).toContain('  |  Container photoprism-mariadb-1  Started');
    expect(r.out).toContain('  |  Container photoprism-photoprism-1  Started');
    expect(r.out).toMatch(/mariadb\s+running \(starting\)/);
    expect(r.out).toMatch(/Started in \d+ s: photoprism running \(healthy\), mariadb running \(healthy\)\./);
    expect(r.out).toContain('PhotoPrism is running:');
    expect(r.out).not.toContain('  docker compose up -d\n');
    noSecretPrinted(r);
  });

  test('a service that exits: its last log lines and the commands to inspect it, exit 1', async () => {
    const r = await init(
      DOCKER_V2(
        { when: '*stop', replies: {} },
        { when: '*up -d --force-recreate', replies: {} },
        { when: '*ps -a --format json', replies: { stdout: psJson([{ service: 'mariadb', state: 'exited', exitCode: 1 }, { service: 'photoprism', state: 'created' }]) } },
        { when: '*logs --no-color --tail 30 mariadb', replies: { stdout: '[ERROR] mariadbd: Cannot open datadir\n[ERROR] Aborting\n' } },
      ),
      { apply: true },
    );
    expect(r.code).toBe(1);
    expect(r.out).toMatch(/mariadb\s+exited, exit code 1/);
    expect(r.out).toContain('Failed: mariadb did not start (mariadb exited, exit code 1).');
    expect(r.out).toContain('Last 30 log lines of mariadb:');
    expect(r.out).toContain('  | [ERROR] mariadbd: Cannot open datadir');
    expect(r.out).toContain('  docker compose logs --tail 200 mariadb');
    expect(r.out).toContain('  docker compose ps -a');
    expect(r.out).not.toContain('PhotoPrism is running');
  });

  test('up itself fails: the failing service is reported with its logs', async () => {
    const r = await init(
      DOCKER_V2(
        { when: '*stop', replies: {} },
        { when: '*up -d --force-recreate', replies: { stderr: 'dependency failed to start: container photoprism-mariadb-1 is unhealthy\n', code: 1 } },
        { when: '*ps -a --format json', replies: { stdout: psJson([{ service: 'mariadb', state: 'running', health: 'unhealthy' }]) } },
        { when: '*logs --no-color --tail 30 *', replies: { stdout: 'log line\n' } },
      ),
      { apply: true },
    );
    expect(r.code).toBe(1);
    expect(r.out).toContain('  | dependency failed to start: container photoprism-mariadb-1 is unhealthy');
    expect(r.out).toContain('docker compose up failed with exit code 1.');
    expect(r.calls).toContain('docker compose -f docker-compose.yml logs --no-color --tail 30 mariadb');
    expect(r.calls).toContain('docker compose -f docker-compose.yml logs --no-color --tail 30 photoprism');
  });

  test('bounded wait: still starting at the deadline is reported as a timeout', async () => {
    const t0 = Date.now();
    const r = await init(
      DOCKER_V2(
        { when: '*stop', replies: {} },
        { when: '*up -d --force-recreate', replies: {} },
        { when: '*ps -a --format json', replies: { stdout: psJson([{ service: 'mariadb', state: 'running', health: 'healthy' }, { service: 'photoprism', state: 'running', health: 'starting' }]) } },
        { when: '*logs *', replies: { stdout: 'Running update...\n' } },
      ),
      { apply: true, applyTimeoutSec: 1, pollMs: 100 },
    );
    expect(r.code).toBe(1);
    expect(Date.now() - t0).toBeLessThan(10000);
    expect(r.out).toContain('Timed out after 1 s: photoprism is running (starting).');
    expect(r.out).toContain('--apply-timeout');
    expect(r.out).toContain('Last 30 log lines of photoprism:');
  });

  // PhotoPrism's image has no healthcheck: a running container is ready only once its status endpoint answers
  describe('PhotoPrism without a healthcheck: ready when its status endpoint answers', () => {
    let server: Server;
    let port = 0;
    let answering = false;
    let hits = 0;
    beforeAll(async () => {
      server = createServer((req, res) => {
        hits++;
        if (!answering || hits <= 2 || req.url !== '/api/v1/status') {
          res.writeHead(502).end();
          return;
        }
        res.writeHead(200, { 'Content-Type': 'application/json' }).end('{"status":"operational"}');
      });
      await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
      port = (server.address() as AddressInfo).port;
    });
    afterAll(() => new Promise<void>((r) => server.close(() => r())));
    const RUNNING = [{ service: 'mariadb', state: 'running', health: 'healthy' }, { service: 'photoprism', state: 'running' }];

    test('running is not enough: it waits (with progress) until GET /api/v1/status on the published port is 200', async () => {
      answering = true; // from the third request on
      hits = 0;
      const r = await init(
        DOCKER_V2(
          { when: '*stop', replies: {} },
          { when: '*up -d --force-recreate', replies: {} },
          { when: '*ps -a --format json', replies: { stdout: psJson(RUNNING) } },
          { when: '*port photoprism 2342', replies: { stdout: `0.0.0.0:${port}\n` } },
        ),
        { apply: true, pollMs: 50 },
      );
      expect(r.code).toBe(0);
      expect(hits).toBe(3);
      expect(r.out).toMatch(/photoprism\s+running, not serving yet/);
      expect(r.out).toContain(`photoprism running, serving (http://127.0.0.1:${port}/api/v1/status: operational)`);
      expect(r.out).toContain('PhotoPrism is running:');
    });

    test('never serving: a timeout with the last answer and the logs (control codes stripped), exit 1', async () => {
      answering = false;
      const r = await init(
        DOCKER_V2(
          { when: '*stop', replies: {} },
          { when: '*up -d --force-recreate', replies: {} },
          { when: '*ps -a --format json', replies: { stdout: psJson(RUNNING) } },
          { when: '*port photoprism 2342', replies: { stdout: `127.0.0.1:${port}\n` } },
          { when: '*logs --no-color --tail 30 photoprism', replies: { stdout: '\x1b[2Kphotoprism-1  | init: update\n\x1b[2Kphotoprism-1  | \x1b[31mindex: waiting\x1b[0m\r\n' } },
        ),
        { apply: true, applyTimeoutSec: 1, pollMs: 50 },
      );
      expect(r.code).toBe(1);
      expect(r.out).toContain(`Timed out after 1 s: photoprism is running, not serving yet (http://127.0.0.1:${port}/api/v1/status: HTTP 502)`);
      expect(r.out).toContain('  | photoprism-1  | init: update');
      expect(r.out).toContain('  | photoprism-1  | index: waiting\n');
      expect(r.out).not.toMatch(/[\x00-\x08\x0b-\x1f\x7f]/);
      expect(r.out).not.toContain('PhotoPrism is running');
    });

    test('a container that runs and then exits (its entrypoint ends with a bare wait: exit code 0) is a failure', async () => {
      answering = false;
      const r = await init(
        DOCKER_V2(
          { when: '*stop', replies: {} },
          { when: '*up -d --force-recreate', replies: {} },
          { when: '*ps -a --format json', replies: [{ stdout: psJson(RUNNING) }, { stdout: psJson([RUNNING[0]!, { service: 'photoprism', state: 'exited', exitCode: 0 }]) }] },
          { when: '*port photoprism 2342', replies: { stdout: `127.0.0.1:${port}\n` } },
          { when: '*logs --no-color --tail 30 photoprism', replies: { stdout: 'photoprism: fatal: cannot start\n' } },
        ),
        { apply: true, pollMs: 20 },
      );
      expect(r.code).toBe(1);
      expect(r.out).toContain('Failed: photoprism did not start (photoprism exited, exit code 0).');
      expect(r.out).toContain('  | photoprism: fatal: cannot start');
    });

    test('no published port: `photoprism status` inside the container is asked instead', async () => {
      const r = await init(
        DOCKER_V2(
          { when: '*stop', replies: {} },
          { when: '*up -d --force-recreate', replies: {} },
          { when: '*ps -a --format json', replies: { stdout: psJson(RUNNING) } },
          { when: '*port photoprism 2342', replies: { stderr: 'no port 2342/tcp for container photoprism\n', code: 1 } },
          { when: '*exec -T photoprism photoprism status', replies: [{ stderr: 'cannot connect to 0.0.0.0:2342\n', code: 1 }, { stdout: 'operational\n' }] },
        ),
        { apply: true, pollMs: 20 },
      );
      expect(r.code).toBe(0);
      expect(r.out).toContain('photoprism running, serving (docker compose exec photoprism photoprism status: operational)');
    });
  });

  test('a failing stop is not fatal (nothing to stop on a first start)', async () => {
    const r = await init(
      DOCKER_V2(
        { when: '*stop', replies: { stderr: 'no containers\n', code: 1 } },
        { when: '*up -d --force-recreate', replies: {} },
        { when: '*ps -a --format json', replies: { stdout: psJson(HEALTHY, false) } },
      ),
      { apply: true },
    );
    expect(r.code).toBe(0);
    expect(r.out).toContain('stop ended with exit code 1; continuing');
  });

  test('Compose v1: state through ps -q and docker inspect', async () => {
    const r = await init(
      {
        'docker-compose': [
          { when: 'version --short', replies: { stdout: '1.29.2\n' } },
          CONFIG_OK,
          { when: '-f docker-compose.yml stop', replies: {} },
          { when: '-f docker-compose.yml up -d --force-recreate', replies: { stderr: 'Recreating photoprism_mariadb_1 ... done\n' } },
          { when: '-f docker-compose.yml ps -q', replies: { stdout: 'c1\nc2\n' } },
        ],
        docker: [NO_PLUGIN, dockerInfo(), { when: 'inspect c1 c2', replies: { stdout: inspectJson(HEALTHY) } }],
      },
      { apply: true },
    );
    expect(r.code).toBe(0);
    expect(r.calls).toContain('docker inspect c1 c2');
    expect(r.out).toContain('  | Recreating photoprism_mariadb_1 ... done');
  });

  test('podman-compose: ps -q and podman inspect; logs without --no-color', async () => {
    const r = await init(
      {
        'podman-compose': [
          { when: 'version --short', replies: { stdout: '1.2.0\n' } },
          { when: '-f docker-compose.yml config', replies: {} },
          { when: '-f docker-compose.yml stop', replies: {} },
          { when: '-f docker-compose.yml up -d --force-recreate', replies: {} },
          { when: '-f docker-compose.yml ps -q', replies: { stdout: 'p1\np2\n' } },
          { when: '-f docker-compose.yml logs --tail 30 photoprism', replies: { stdout: 'audit: storage not writable\n' } },
        ],
        podman: [
          { when: 'info --format json', replies: { stdout: JSON.stringify({ host: { security: { rootless: false } } }) } },
          { when: 'inspect p1 p2', replies: { stdout: inspectJson([{ service: 'mariadb', state: 'running', health: 'healthy' }, { service: 'photoprism', state: 'exited', exitCode: 1 }]) } },
        ],
      },
      { apply: true, engine: 'podman' },
    );
    expect(r.code).toBe(1);
    expect(r.out).toContain('  | audit: storage not writable');
    expect(r.out).toContain('  podman-compose logs --tail 200 photoprism');
    expect(r.out).toContain('  podman-compose ps\n');
  });

  test('--apply without an engine: files written, nothing started, exit 1', async () => {
    const r = await init({}, { apply: true });
    expect(r.code).toBe(1);
    expect(existsSync(path.join(r.dir, 'docker-compose.yml'))).toBe(true);
    expect(r.err).toContain('--apply: no Compose engine to start the services with');
  });

  test('--apply with --dry-run is a usage error', async () => {
    await expect(init(DOCKER_V2(), { apply: true, dryRun: true })).rejects.toThrow(UsageError);
  });

  test('an unchanged installation with --apply is restarted without writing', async () => {
    const spec = DOCKER_V2({ when: '*stop', replies: {} }, { when: '*up -d --force-recreate', replies: {} }, { when: '*ps -a --format json', replies: { stdout: psJson(HEALTHY) } });
    const first = await init(spec);
    expect(first.code).toBe(0);
    const dir = first.dir;
    fakes!.cleanup();
    fakes = fakeEngines(spec);
    const stdout = new Sink();
    const code = await runInit({
      dir,
      yes: true,
      dryRun: false,
      flags: { uid: 2000, gid: 2000 },
      version: '0.0.0-test',
      env: fakes.env(),
      out: new Output(stdout, new Sink()),
      probe: fakes.host(HOST),
      apply: true,
      pollMs: 10,
    });
    expect(code).toBe(0);
    expect(stdout.text).toContain('Nothing to change');
    expect(stdout.text).toContain('Started in ');
  });
});

describe('the wizard asks before starting (default no)', () => {
  function defaultsPrompter(startAnswer: boolean | undefined, asked: string[]): Prompter {
    return {
      input: async (o) => o.default ?? '',
      confirm: async (o) => {
        asked.push(o.message);
        if (o.message.startsWith('Start PhotoPrism now?')) return startAnswer ?? o.default;
        return o.default;
      },
      select: async (o) => o.default,
      checkbox: async (o) => o.choices.filter((c) => c.checked).map((c) => c.value),
      password: async () => {
        throw new Error('not expected');
      },
      note: () => {},
    };
  }
  const SPEC = DOCKER_V2({ when: '*stop', replies: {} }, { when: '*up -d --force-recreate', replies: {} }, { when: '*ps -a --format json', replies: { stdout: psJson(HEALTHY) } });

  test('Enter (default no): nothing is run against Docker', async () => {
    const asked: string[] = [];
    const r = await init(SPEC, { yes: false, prompter: defaultsPrompter(undefined, asked) });
    expect(r.code).toBe(0);
    expect(asked.at(-1)).toBe('Start PhotoPrism now? (runs "docker compose stop", then "docker compose up -d --force-recreate")');
    expect(r.calls.some((c) => / (stop|up)\b/.test(c))).toBe(false);
  });

  test('yes: stop and up', async () => {
    const r = await init(SPEC, { yes: false, prompter: defaultsPrompter(true, []) });
    expect(r.code).toBe(0);
    expect(r.calls.slice(3, 5)).toEqual(LIFECYCLE);
  });
});

describe('owners on disk under user namespaces', () => {
  const own = (p: string) => {
    const st = statSync(p);
    return `${st.uid}:${st.gid} ${(st.mode & 0o7777).toString(8)}`;
  };

  test('rootless Docker: storage and options.yml → subordinate ids, secrets and database → the Docker user', async () => {
    const dataRoot = tmp();
    chownSync(dataRoot, 1000, 1000);
    const r = await init({ docker: [V2_VERSION, dockerInfo({ rootless: true, rootDir: dataRoot }), CONFIG_OK] });
    expect(r.code).toBe(0);
    const d = r.dir;
    expect(own(path.join(d, 'storage'))).toBe('101999:101999 750');
    expect(own(path.join(d, 'storage/config/options.yml'))).toBe('101999:101999 600');
    expect(own(path.join(d, 'originals'))).toBe('101999:101999 750');
    expect(own(path.join(d, '.secrets'))).toBe('1000:1000 700');
    expect(own(path.join(d, '.secrets/db_pwd.txt'))).toBe('1000:1000 600');
    expect(own(path.join(d, '.secrets/db_root_pwd.txt'))).toBe('1000:1000 600');
    expect(own(path.join(d, 'database'))).toBe('1000:1000 700');
    expect(own(path.join(d, 'docker-compose.yml'))).toBe('0:0 644');
    expect(r.out).toMatch(/Docker\s+Docker Engine 27\.3\.1, rootless/);
    expect(r.out).toContain('rootless Docker: container ids are not host ids here');
  });

  test('rootless Docker: the audit judges owners in host ids through the same mapping (init\'s own audit, and advice in host ids)', async () => {
    const dataRoot = tmp();
    chownSync(dataRoot, 1000, 1000);
    const spec = { docker: [V2_VERSION, dockerInfo({ rootless: true, rootDir: dataRoot }), CONFIG_OK] };
    const r = await init(spec);
    expect(r.code).toBe(0);
    expect(r.out).toMatch(/audit: PASS - 0 errors/);
    expect(r.out).not.toMatch(/chown( -R)? 2000/);
    // the mapping the plan used, found the same way (the preflight on the same engine)
    const probe = fakes!.host(HOST);
    const facts = await probe.facts();
    const pf = await runPreflight({ facts, probe, dir: r.dir, env: fakes!.env() });
    expect(pf.mapping?.mode).toBe('rootless-docker');
    const OWNERSHIP = ['storage-owner', 'options-file-owner', 'secret-file-owner', 'uid-host-account'];
    const ownership = (rep: Report) => rep.findings.filter((f) => OWNERSHIP.includes(f.rule));
    expect(ownership(await auditDir(r.dir, { ...facts, idMapping: pf.mapping }, 't'))).toEqual([]);
    // (without the mapping the same files look wrongly owned: what the rules judged before)
    expect(ownership(await auditDir(r.dir, facts, 't')).map((f) => f.rule).sort()).toEqual(['options-file-owner', 'secret-file-owner', 'secret-file-owner', 'storage-owner']);
    // storage owned by the container ids (a chown done by hand): the advice is in host ids
    chownSync(path.join(r.dir, 'storage'), 2000, 2000);
    chownSync(path.join(r.dir, 'storage/config/options.yml'), 2000, 2000);
    const wrong = ownership(await auditDir(r.dir, { ...facts, idMapping: pf.mapping }, 't'));
    expect(wrong.map((f) => f.rule).sort()).toEqual(['options-file-owner', 'storage-owner']);
    for (const f of wrong) {
      expect(f.message).toContain('not 101999:101999 (container 2000:2000 under rootless Docker)');
      expect(f.fix).toMatch(/chown (-R )?101999:101999 /);
    }
    // the audit command finds the mapping itself, through the host's engine probe (`docker info`)
    chownSync(path.join(r.dir, 'storage'), 101999, 101999);
    chownSync(path.join(r.dir, 'storage/config/options.yml'), 101999, 101999);
    const unmapped = new FixtureHost({ ...HOST, idMapping: undefined });
    let engineAsked = 0;
    const rootless: HostProbe = {
      facts: () => unmapped.facts(),
      commands: unmapped.commands,
      engines: () => (engineAsked++, {
        detection: Promise.resolve({ engine: null, notFound: [] }),
        guess: 'docker',
        runtime: Promise.resolve({ runtime: 'docker', reachable: true, rootless: true, usernsRemap: false, selinux: false, rootDir: dataRoot, serverVersion: '27.3.1' }),
      }),
    };
    let json = '';
    const code = await runAudit({ dir: r.dir, json: true, version: 't', probe: rootless, env: { HOME: '/root' }, stdout: { write: (t: string) => ((json += t), true) }, stderr: { write: () => true } });
    const report = JSON.parse(json) as Report;
    expect(ownership(report)).toEqual([]);
    expect(code).toBe(0);
    expect(engineAsked).toBe(1); // (asked because the owners looked wrong without the mapping)
  });

  test('rootless Docker, PhotoPrism as container root: accepted without --allow-unsafe and explained', async () => {
    const dataRoot = tmp();
    chownSync(dataRoot, 1000, 1000);
    const r = await init({ docker: [V2_VERSION, dockerInfo({ rootless: true, rootDir: dataRoot }), CONFIG_OK] }, { flags: { uid: '0', gid: '0' } });
    expect(r.code).toBe(0);
    expect(own(path.join(r.dir, 'storage'))).toBe('1000:1000 750');
    expect(r.out.replace(/\s+/g, ' ')).toContain('container root is alice (uid 1000) on the host: a process that escapes the container has that');
  });

  test('userns-remap: everything the containers use belongs to remapped ids', async () => {
    const r = await init(
      { docker: [V2_VERSION, dockerInfo({ userns: true, rootDir: '/var/lib/docker/231072.231072' }), CONFIG_OK] },
      { host: { ...HOST, dockerUsernsRemap: 'default' } },
    );
    expect(r.code).toBe(0);
    expect(own(path.join(r.dir, 'storage/config/options.yml'))).toBe('233072:233072 600');
    expect(own(path.join(r.dir, '.secrets/db_pwd.txt'))).toBe('231072:231072 600');
    expect(own(path.join(r.dir, 'database'))).toBe('231072:231072 700');
  });

  test('rootless Podman with SELinux enforcing: podman maps and relabel options', async () => {
    const r = await init(
      {
        'podman-compose': [
          { when: 'version --short', replies: { stdout: '1.2.0\n' } },
          { when: '-f docker-compose.yml config', replies: {} },
        ],
        podman: [podmanInfo()],
      },
      { host: { ...HOST, selinux: 'enforcing' } },
    );
    expect(r.code).toBe(0);
    const compose = readFileSync(path.join(r.dir, 'docker-compose.yml'), 'utf8');
    expect(compose).toContain('selinux: "Z"');
    expect(compose).toContain('selinux: "z"');
    expect(own(path.join(r.dir, 'storage'))).toBe('101999:101999 750');
    expect(own(path.join(r.dir, '.secrets/db_pwd.txt'))).toBe('1000:1000 600');
    expect(r.out).toContain('rootless Podman: container ids are not host ids here');
    expect(r.out).toContain('SELinux is enforcing');
  });
});
