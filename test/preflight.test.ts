import { describe, expect, test } from '@jest/globals';
import { chownSync } from 'node:fs';
import path from 'node:path';
import { type HostFacts } from '../src/host.js';
import { type FixtureData } from './helpers/fixture-host.js';
import { composePluginInInfo } from '../src/engine.js';
import { toHost } from '../src/idmap.js';
import { parseDockerInfo, parsePodmanInfo, preflightLines, runPreflight } from '../src/preflight.js';
import { ENGINE_HOST as HOST } from './fixtures/unit-fakes.js';
import { DOCKER_DOWN, NO_PLUGIN, V2_VERSION, dockerInfo, fakeEnginesPerTest, podmanInfo, type Fakes, type Spec } from './helpers/fake-engines.js';
import { scratchDirs } from './helpers/tmp.js';

// fakes and folders are removed after each test
const fakeEngines = fakeEnginesPerTest();
const tmp = scratchDirs('pph-pre-');
let fakes: Fakes | undefined;

async function pre(fx: FixtureData, spec: Spec, extraEnv: NodeJS.ProcessEnv = {}, choice?: 'docker' | 'podman' | 'docker-compose') {
  fakes = fakeEngines(spec);
  const probe = fakes.host(fx);
  const facts = await probe.facts();
  const pf = await runPreflight({ facts, probe, dir: tmp(), env: fakes.env(extraEnv), engineChoice: choice });
  return { pf, facts };
}

describe('host preflight (read-only)', () => {
  test('rootful Docker: no mapping; only version and info are asked', async () => {
    const { pf, facts } = await pre(HOST, { docker: [V2_VERSION, dockerInfo()] });
    expect(pf.engine?.display).toBe('docker compose');
    expect(pf.runtime).toMatchObject({ reachable: true, rootless: false, usernsRemap: false, serverVersion: '27.3.1' });
    expect(pf.mapping).toBeNull();
    // `docker info` starts together with the engine probe, so their order varies
    expect([...fakes!.lines()].sort()).toEqual(['docker compose version --short', 'docker info --format {{json .}}']);
    const text = preflightLines(pf, facts).join('\n');
    expect(text).toContain('docker compose 2.29.1');
    expect(text).toContain('Docker Engine 27.3.1, rootful');
    expect(text).toMatch(/Free disk\s+50\.0 GiB/);
  });

  test('`docker info` names the compose plugin (Docker CLI 20.10+): `docker compose version` is not run', async () => {
    const plugin = { Name: 'compose', Version: 'v2.29.7', Path: '/usr/libexec/docker/cli-plugins/docker-compose' };
    let r = await pre(HOST, { docker: [V2_VERSION, dockerInfo({ plugins: [{ Name: 'buildx', Version: 'v0.17.1' }, plugin] })] });
    expect(r.pf.engine).toMatchObject({ kind: 'docker-compose-v2', display: 'docker compose', version: '2.29.7' });
    expect(r.pf.runtime).toMatchObject({ reachable: true, serverVersion: '27.3.1' });
    expect(fakes!.lines()).toEqual(['docker info --format {{json .}}']);

    // the daemon is down: the CLI still reports its plugins (and exits 1)
    r = await pre(HOST, { docker: [V2_VERSION, dockerInfo({ down: true, plugins: [plugin] })] });
    expect(r.pf.engine?.version).toBe('2.29.7');
    expect(r.pf.runtime).toMatchObject({ reachable: false, error: expect.stringContaining('Cannot connect to the Docker daemon') });
    expect(fakes!.lines()).toEqual(['docker info --format {{json .}}']);

    // no compose plugin listed: none, without asking `docker compose`
    r = await pre(HOST, { docker: [NO_PLUGIN, dockerInfo({ down: true, plugins: [] })] });
    expect(r.pf.engine).toBeNull();
    expect(r.pf.notFound[0]).toBe('docker compose (the Docker CLI has no compose plugin)');
    expect(fakes!.lines()).toEqual(['docker info --format {{json .}}']);

    // a plugin that reports an error: `docker compose version` is asked, and its answer counts
    r = await pre(HOST, { docker: [NO_PLUGIN, dockerInfo({ plugins: [{ Name: 'compose', Err: 'failed to fetch metadata' }] })] });
    expect(r.pf.engine).toBeNull();
    expect([...fakes!.lines()].sort()).toEqual(['docker compose version --short', 'docker info --format {{json .}}']);
  });

  test('composePluginInInfo', () => {
    const info = (plugins: unknown) => JSON.stringify({ ClientInfo: { Plugins: plugins } });
    expect(composePluginInInfo(info([{ Name: 'compose', Version: 'v2.29.1' }]))).toEqual({ version: '2.29.1' });
    expect(composePluginInInfo(info([{ Name: 'compose', Version: '2.40.0-desktop.1' }]))).toEqual({ version: '2.40.0-desktop.1' });
    expect(composePluginInInfo(info([{ Name: 'buildx', Version: 'v0.17.1' }]))).toEqual({ missing: true });
    expect(composePluginInInfo(info([]))).toEqual({ missing: true });
    expect(composePluginInInfo(info([{ Name: 'compose', Err: 'broken' }]))).toBeUndefined();
    expect(composePluginInInfo(info(null))).toBeUndefined();
    expect(composePluginInInfo(JSON.stringify({ ServerVersion: '19.03.1' }))).toBeUndefined();
    expect(composePluginInInfo('Client:\n Context: default')).toBeUndefined();
    expect(composePluginInInfo('')).toBeUndefined();
  });

  test('rootless Docker: the daemon user is the owner of its data root; container ids map through /etc/subuid', async () => {
    const root = tmp();
    chownSync(root, 1000, 1000);
    const { pf, facts } = await pre(HOST, { docker: [V2_VERSION, dockerInfo({ rootless: true, rootDir: root })] });
    expect(pf.runtime?.rootless).toBe(true);
    expect(pf.mapping?.mode).toBe('rootless-docker');
    expect(pf.mapping?.user).toEqual({ name: 'alice', uid: 1000, gid: 1000 });
    expect(toHost(pf.mapping!.map.uids, 0)).toBe(1000);
    expect(toHost(pf.mapping!.map.uids, 2000)).toBe(101999);
    expect(toHost(pf.mapping!.map.gids, 2000)).toBe(101999);
    expect(preflightLines(pf, facts).join('\n')).toMatch(/container root is alice \(uid 1000\); container id n ≥ 1 is host id 100000 \+ n - 1/);
  });

  test('rootless Docker found through DOCKER_HOST when the data root is not visible', async () => {
    const { pf } = await pre(HOST, { docker: [V2_VERSION, dockerInfo({ rootless: true, rootDir: '/nonexistent/docker' })] }, { DOCKER_HOST: 'unix:///run/user/1000/docker.sock' });
    expect(pf.mapping?.user.name).toBe('alice');
  });

  test('rootless Docker without subordinate ids for its user: a warning, no mapping', async () => {
    const root = tmp();
    chownSync(root, 1000, 1000);
    const { pf } = await pre({ ...HOST, subuid: '', subgid: '' }, { docker: [V2_VERSION, dockerInfo({ rootless: true, rootDir: root })] });
    expect(pf.mapping).toBeNull();
    expect(pf.notes.map((n) => n.text).join('\n')).toMatch(/no range for alice.*usermod --add-subuids/);
  });

  test('userns-remap on rootful Docker: "default" → dockremap, container n → start + n', async () => {
    const { pf, facts } = await pre(
      { ...HOST, dockerUsernsRemap: 'default' },
      { docker: [V2_VERSION, dockerInfo({ userns: true, rootDir: '/var/lib/docker/231072.231072' })] },
    );
    expect(pf.mapping?.mode).toBe('userns-remap');
    expect(toHost(pf.mapping!.map.uids, 0)).toBe(231072);
    expect(toHost(pf.mapping!.map.uids, 2000)).toBe(233072);
    expect(preflightLines(pf, facts).join('\n')).toContain('rootful, userns-remap');
  });

  test('userns-remap without a readable daemon.json: the data root name gives container root', async () => {
    const { pf } = await pre({ ...HOST, subuid: '', subgid: '' }, { docker: [V2_VERSION, dockerInfo({ userns: true, rootDir: '/var/lib/docker/300000.300000' })] });
    expect(toHost(pf.mapping!.map.uids, 0)).toBe(300000);
    expect(toHost(pf.mapping!.map.uids, 33)).toBe(300033);
    expect(pf.mapping!.source).toContain('65536 ids assumed');
  });

  test('rootless Podman: its own uid/gid maps from `podman info`', async () => {
    const { pf, facts } = await pre(
      { ...HOST, euid: 1000, egid: 1000, selinux: 'enforcing' },
      {
        docker: [NO_PLUGIN],
        'podman-compose': [{ when: 'version --short', replies: { stdout: '1.2.0\n' } }],
        podman: [podmanInfo({ graphRoot: '/home/alice/.local/share/containers/storage', version: '5.2.2' })],
      },
    );
    expect(pf.engine?.kind).toBe('podman-compose');
    expect(pf.mapping?.mode).toBe('rootless-podman');
    expect(pf.mapping?.user.name).toBe('alice');
    expect(toHost(pf.mapping!.map.uids, 2000)).toBe(101999);
    expect(pf.selinuxEnforcing).toBe(true);
    const text = preflightLines(pf, facts).join('\n');
    expect(text).toContain('Podman 5.2.2, rootless');
    expect(text).toContain('SELinux         enforcing');
  });

  test('Docker not reachable: said so, with the DOCKER_HOST hint for rootless daemons of other users', async () => {
    const { pf, facts } = await pre(HOST, { docker: [V2_VERSION, DOCKER_DOWN] });
    expect(pf.mapping).toBeNull();
    expect(pf.notes[0]!.text).toMatch(/docker info failed .*DOCKER_HOST/);
    expect(preflightLines(pf, facts).join('\n')).toContain('not reachable');
  });

  test.each([
    ['Debian 12 docker.io 20.10 (exit 0, ServerErrors)', 'debian-20.10'],
    ['Docker CLI 28 (exit 0, the error on stderr)', 'exit-0'],
    ['exit 1', true],
  ] as const)('a Docker CLI whose daemon is down is never a reachable rootful engine: %s', async (_l, down) => {
    const { pf, facts } = await pre(HOST, { docker: [V2_VERSION, dockerInfo({ down })] });
    expect(pf.runtime).toMatchObject({ reachable: false, error: expect.stringContaining('Cannot connect to the Docker daemon') });
    expect(pf.mapping).toBeNull();
    const text = preflightLines(pf, facts).join('\n');
    expect(text).toMatch(/Docker\s+not reachable: Cannot connect to the Docker daemon/);
    expect(text).not.toContain('rootful');
  });

  test('no engine and no runtime at all', async () => {
    const { pf, facts } = await pre(HOST, {});
    expect(pf.engine).toBeNull();
    expect(pf.runtime).toBeNull();
    expect(preflightLines(pf, facts)[1]).toMatch(/none found: docker compose \(not installed\), docker-compose \(not installed\), podman-compose \(not installed\)/);
  });

  test('little free disk is a warning; render nodes are listed', async () => {
    const fx = {
      ...HOST,
      freeBytes: 512 * 1024 ** 2,
      renderNodes: [{ path: '/dev/dri/renderD128', uid: 0, gid: 105, mode: 0o660 }],
      groups: [...(HOST.groups as HostFacts['groups']), { name: 'render', gid: 105, members: [] }],
    };
    const { pf, facts } = await pre(fx, { docker: [V2_VERSION, dockerInfo()] });
    expect(pf.notes.map((n) => n.text).join('\n')).toMatch(/only 512 MiB free/);
    expect(preflightLines(pf, facts).join('\n')).toContain('/dev/dri/renderD128: group 105 (render), mode 0660');
  });

  test('info parsers', () => {
    expect(parseDockerInfo(JSON.stringify({ SecurityOptions: ['name=seccomp,profile=builtin', 'name=rootless'], DockerRootDir: '/d' }))).toMatchObject({ rootless: true, usernsRemap: false, rootDir: '/d' });
    expect(parseDockerInfo(JSON.stringify({ SecurityOptions: null }))).toMatchObject({ rootless: false });
    expect(parsePodmanInfo(JSON.stringify({ host: { security: { rootless: false } } }))).toMatchObject({ rootless: false, podmanMap: undefined });
  });
});
