import { describe, expect, test } from '@jest/globals';
import { chmodSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import {
  detect,
  installAdvice,
  parseInspect,
  parsePsJson,
  parseVersion,
  run,
  serviceLogs,
  serviceStates,
  validateWithEngine,
  systemCommands,
  which,
  type Engine,
  type EngineChoice,
} from '../src/engine.js';
import { CONFIG_OK, HEALTHY, NO_PLUGIN, V2_VERSION, fakeEnginesPerTest, inspectJson, psJson, type Fakes } from './helpers/fake-engines.js';
import { scratchDirs } from './helpers/tmp.js';

// fakes and project folders are removed after each test
const fakeEngines = fakeEnginesPerTest();
const tmp = scratchDirs('pph-engine-');
let fakes: Fakes | undefined;

function projectDir(): string {
  const d = tmp();
  writeFileSync(path.join(d, 'docker-compose.yml'), 'services: {}\n');
  return d;
}

const v2: Engine = { kind: 'docker-compose-v2', command: 'docker', prefix: ['compose'], version: '2.29.1', runtime: 'docker', display: 'docker compose' };
const v1: Engine = { kind: 'docker-compose-v1', command: 'docker-compose', prefix: [], version: '1.29.2', runtime: 'docker', display: 'docker-compose' };
const pc: Engine = { kind: 'podman-compose', command: 'podman-compose', prefix: [], version: '1.2.0', runtime: 'podman', display: 'podman-compose' };
/** an engine whose commands the fake host answers */
const on = (e: Engine): Engine => ({ ...e, runner: fakes!.commands });
/** detection on the fake host (this machine's PATH in the environment: never asked) */
const find = (choice?: EngineChoice) => detect(fakes!.env(), choice, undefined, undefined, fakes!.commands);

describe('engine detection (fake engines of the injected host)', () => {
  test('docker compose (v2 plugin) comes first', async () => {
    fakes = fakeEngines({ docker: [V2_VERSION], 'docker-compose': [{ when: 'version --short', replies: { stdout: '1.29.2\n' } }] });
    const d = await find();
    expect(d.engine).toEqual(on(v2));
    // the engines are probed side by side: every probe is a read-only `version`, and docker compose wins
    expect(fakes.lines()).toContain('docker compose version --short');
    expect(fakes.lines().every((l) => l.endsWith(' version --short'))).toBe(true);
  });

  test('docker-compose v1 when the Docker CLI has no compose plugin', async () => {
    fakes = fakeEngines({ docker: [NO_PLUGIN], 'docker-compose': [{ when: 'version --short', replies: { stdout: '1.29.2\n' } }] });
    const d = await find();
    expect(d.engine).toEqual(on(v1));
    expect(d.notFound).toEqual(['docker compose (the Docker CLI has no compose plugin)']);
  });

  test('a standalone docker-compose v2 binary is Compose v2', async () => {
    fakes = fakeEngines({ 'docker-compose': [{ when: 'version --short', replies: { stdout: '2.26.1-4\n' } }] });
    const d = await find();
    expect(d.engine).toEqual(on({ ...v1, kind: 'docker-compose-v2', version: '2.26.1-4' }));
    expect(d.notFound).toEqual(['docker compose (not installed)']);
  });

  test('podman-compose last; versions without --short are read from `version`', async () => {
    fakes = fakeEngines({ 'podman-compose': [{ when: 'version --short', replies: { stdout: '1.2.0\n' } }] });
    expect((await find()).engine).toEqual(on(pc));
    fakes.cleanup();
    fakes = fakeEngines({
      'podman-compose': [
        { when: 'version --short', replies: { stderr: 'usage: podman-compose [-h] ...\nerror: unrecognized arguments: --short\n', code: 2 } },
        { when: 'version', replies: { stdout: "podman-compose version: 1.0.6\n['podman', '--version', '']\nusing podman version: 4.3.1\n" } },
      ],
    });
    expect((await find()).engine).toEqual(on({ ...pc, version: '1.0.6' }));
  });

  test('--engine podman looks only for podman-compose, even when Docker is there', async () => {
    fakes = fakeEngines({ docker: [V2_VERSION], 'podman-compose': [{ when: 'version --short', replies: { stdout: '1.2.0\n' } }] });
    const d = await find('podman');
    expect(d.engine?.kind).toBe('podman-compose');
    expect(fakes.calls().map((c) => c.cmd)).toEqual(['podman-compose']);
  });

  test('none found: null, why each was not usable, and what to install', async () => {
    fakes = fakeEngines({ docker: [NO_PLUGIN] });
    const d = await find();
    expect(d.engine).toBeNull();
    expect(d.notFound).toEqual([
      'docker compose (the Docker CLI has no compose plugin)',
      'docker-compose (not installed)',
      'podman-compose (not installed)',
    ]);
    expect(installAdvice().join('\n')).toMatch(/docker-compose-plugin[\s\S]*podman-compose/);
    const only = await find('docker-compose');
    expect(only).toEqual({ engine: null, notFound: ['docker-compose (not installed)'] });
    expect(installAdvice('docker-compose').join('\n')).toContain('docker-compose');
  });

  test('parseVersion', () => {
    expect(parseVersion('Docker Compose version v2.29.1')).toBe('2.29.1');
    expect(parseVersion('2.26.1-4')).toBe('2.26.1-4');
    expect(parseVersion('1.29.2')).toBe('1.29.2');
    expect(parseVersion('nothing')).toBeNull();
  });
});

describe('validation with the engine', () => {
  test('accepts: `config --quiet` on the file, run in its folder; stderr warnings are kept', async () => {
    fakes = fakeEngines({ docker: [{ when: '*config --quiet', replies: { stderr: 'WARN[0000] a warning\n' } }] });
    const dir = projectDir();
    const r = await validateWithEngine(on(v2), path.join(dir, 'docker-compose.yml'), fakes.env());
    expect(r).toEqual({ ok: true, warnings: ['WARN[0000] a warning'] });
    expect(fakes.calls()).toEqual([{ cmd: 'docker', args: ['compose', '-f', 'docker-compose.yml', 'config', '--quiet'], cwd: dir }]);
  });

  test('rejects: the engine error comes back verbatim', async () => {
    const err = 'validating /x/docker-compose.yml: services.photoprism Additional property stop_grace_periodx is not allowed';
    fakes = fakeEngines({ 'docker-compose': [{ when: '*config --quiet', replies: { stderr: `${err}\n`, code: 15 } }] });
    const r = await validateWithEngine(on(v1), path.join(projectDir(), 'docker-compose.yml'), fakes.env());
    expect(r).toEqual({ ok: false, error: err });
  });

  test('podman-compose has no --quiet: `config` output is read and dropped', async () => {
    fakes = fakeEngines({ 'podman-compose': [{ when: '-f docker-compose.yml config', replies: { stdout: 'services: {}\n' } }] });
    const r = await validateWithEngine(on(pc), path.join(projectDir(), 'docker-compose.yml'), fakes.env());
    expect(r).toEqual({ ok: true, warnings: [] });
  });
});

describe('service state', () => {
  test('ps JSON: an array (Compose < 2.21) or one object per line', () => {
    for (const nd of [true, false]) {
      expect(parsePsJson(psJson(HEALTHY, nd))).toEqual([
        { service: 'mariadb', state: 'running', health: 'healthy', exitCode: 0 },
        { service: 'photoprism', state: 'running', health: 'healthy', exitCode: 0 },
      ]);
    }
    expect(parsePsJson('')).toEqual([]);
  });

  test('inspect JSON (docker and podman)', () => {
    expect(parseInspect(inspectJson([{ service: 'mariadb', state: 'exited', exitCode: 1 }]))).toEqual([
      { service: 'mariadb', state: 'exited', health: '', exitCode: 1 },
    ]);
    // older podman calls it Healthcheck
    expect(parseInspect(JSON.stringify([{ Config: { Labels: { 'com.docker.compose.service': 'photoprism' } }, State: { Status: 'running', Healthcheck: { Status: 'starting' } } }]))).toEqual([
      { service: 'photoprism', state: 'running', health: 'starting', exitCode: 0 },
    ]);
  });

  test('Compose v2 asks ps for JSON', async () => {
    fakes = fakeEngines({ docker: [{ when: 'compose -f docker-compose.yml ps -a --format json', replies: { stdout: psJson(HEALTHY) } }] });
    const dir = projectDir();
    const r = await serviceStates(on(v2), dir, 'docker-compose.yml', fakes.env());
    expect(r.states.map((s) => s.health)).toEqual(['healthy', 'healthy']);
  });

  test('Compose v1 and podman-compose: ps -q, then inspect with the runtime', async () => {
    for (const [engine, runtime] of [
      [v1, 'docker'],
      [pc, 'podman'],
    ] as const) {
      fakes = fakeEngines({
        [engine.command]: [{ when: '-f docker-compose.yml ps -q', replies: { stdout: 'aaa\nbbb\n' } }],
        [runtime]: [{ when: 'inspect aaa bbb', replies: { stdout: inspectJson(HEALTHY) } }],
      });
      const r = await serviceStates(on(engine), projectDir(), 'docker-compose.yml', fakes.env());
      expect(r.states.map((s) => `${s.service}:${s.health}`)).toEqual(['mariadb:healthy', 'photoprism:healthy']);
      fakes.cleanup();
    }
    fakes = undefined;
  });

  test('logs: last lines of one service (podman-compose has no --no-color)', async () => {
    fakes = fakeEngines({
      docker: [{ when: 'compose -f docker-compose.yml logs --no-color --tail 3 mariadb', replies: { stdout: 'a\nb\nc\n' } }],
      'podman-compose': [{ when: '-f docker-compose.yml logs --tail 3 mariadb', replies: { stdout: 'x\n' } }],
    });
    const dir = projectDir();
    expect(await serviceLogs(on(v2), dir, 'docker-compose.yml', 'mariadb', 3, fakes.env())).toEqual(['a', 'b', 'c']);
    expect(await serviceLogs(on(pc), dir, 'docker-compose.yml', 'mariadb', 3, fakes.env())).toEqual(['x']);
  });

  test('CONFIG_OK matches every engine form', async () => {
    fakes = fakeEngines({ docker: [CONFIG_OK] });
    const r = await validateWithEngine(on(v2), path.join(projectDir(), 'docker-compose.yml'), fakes.env());
    expect(r.ok).toBe(true);
  });
});

describe('run: the probes\' process runner (node:child_process)', () => {
  const sh = (body: string) => {
    const d = tmp();
    const f = path.join(d, 'cmd');
    writeFileSync(f, `#!/bin/sh\n${body}\n`);
    chmodSync(f, 0o755);
    return f;
  };
  const env = { PATH: process.env.PATH, ONLY_THIS: 'yes' };

  test('output and exit code; one final newline dropped; only the given environment', async () => {
    const r = await run(sh('echo "out $ONLY_THIS ${HOME:-nohome}"; echo err >&2; echo; exit 3'), [], { env });
    expect(r).toEqual({ exitCode: 3, stdout: 'out yes nohome\n', stderr: 'err', missing: false, timedOut: false });
  });

  test('programs are found only in the PATH it is given: no PATH, no program (no default search path)', async () => {
    // `sh` is in /bin and /usr/bin of every machine, Node's spawn would find it there without PATH
    expect(which('sh', {})).toBeNull();
    expect(await run('sh', ['-c', 'echo found'], { env: {} })).toMatchObject({ exitCode: 127, missing: true, stdout: '' });
    const d = tmp();
    const own = sh('echo "mine $*"');
    writeFileSync(path.join(d, 'docker'), readFileSync(own));
    chmodSync(path.join(d, 'docker'), 0o755);
    mkdirSync(path.join(d, 'dir', 'docker'), { recursive: true }); // (a folder of that name is no program)
    const env = { PATH: `${path.join(d, 'dir')}:${d}` };
    expect(which('docker', env)).toBe(path.join(d, 'docker'));
    expect(await run('docker', ['info'], { env })).toMatchObject({ exitCode: 0, stdout: 'mine info' });
    expect(which('docker', { PATH: path.join(d, 'dir') })).toBeNull();
    expect(which(own, {})).toBe(own); // (a path is itself)
    expect(systemCommands.which).toBe(which);
    const lines: string[] = [];
    expect(await systemCommands.stream('sh', ['-c', 'echo x'], { env: {} }, (l) => lines.push(l))).toMatchObject({ exitCode: 127, missing: true });
    expect(lines).toEqual([]);
  });

  test('a command that is not installed: missing, exit 127, never throws', async () => {
    const r = await run('photoprism-harden-no-such-command', ['x'], { env });
    expect(r).toMatchObject({ exitCode: 127, missing: true, stdout: '' });
    expect(r.stderr).toContain('command not found');
  });

  test('timeout: SIGTERM, reported as timedOut', async () => {
    const t0 = Date.now();
    const r = await run(sh('sleep 30'), [], { env, timeoutMs: 200 });
    expect(r.timedOut).toBe(true);
    expect(r.exitCode).not.toBe(0);
    expect(Date.now() - t0).toBeLessThan(5000);
  });

  test('a command that ignores SIGTERM is killed 5 s later', async () => {
    const t0 = Date.now();
    const r = await run(sh("trap '' TERM; sleep 30 & wait; sleep 30"), [], { env, timeoutMs: 100 });
    expect(r.timedOut).toBe(true);
    expect(Date.now() - t0).toBeGreaterThanOrEqual(5000);
    expect(Date.now() - t0).toBeLessThan(15000);
  }, 20000);

  test('abort kills the command (an init that stopped early does not wait for its probes)', async () => {
    const ac = new AbortController();
    const t0 = Date.now();
    const p = run(sh('sleep 30'), [], { env, signal: ac.signal });
    setTimeout(() => ac.abort(), 50);
    const r = await p;
    expect(r.exitCode).not.toBe(0);
    expect(Date.now() - t0).toBeLessThan(5000);
  });
});
