// Where an adopted installation keeps a volume on the host: the engine is asked (read-only), through
// the host's command runner (fake programs here: test/helpers/fake-commands.ts).

import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import { promises as fsp } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { engineAnonymousLookup, engineVolumeLookup } from '../src/compose/volumes.js';
import type { Engine } from '../src/engine.js';
import { fakeCommands, readCalls, type Spec } from './helpers/fake-commands.js';

let TMP: string;
beforeAll(async () => {
  TMP = await fsp.mkdtemp(path.join(os.tmpdir(), 'pph-volumes-'));
});
afterAll(async () => {
  await fsp.rm(TMP, { recursive: true, force: true });
});

let n = 0;
function engine(spec: Spec): { engine: Engine; data: string } {
  const data = path.join(TMP, `e${++n}`);
  return { engine: { kind: 'docker-compose-v2', command: 'docker', prefix: ['compose'], version: '2.29.1', runtime: 'docker', display: 'docker compose', runner: fakeCommands(spec, data) }, data };
}

const PS = 'ps -a -q --no-trunc --filter label=com.docker.compose.project=photos --filter label=com.docker.compose.service=photoprism';
const mounts = (...m: object[]) => ({ stdout: `${JSON.stringify(m)}\n` });
const vol = (name: string, dest: string) => ({ Type: 'volume', Name: name, Source: `/var/lib/docker/volumes/${name}/_data`, Destination: dest, Driver: 'local', RW: true });

describe('an anonymous volume is found through the container of the service', () => {
  test('one container: its volume at the storage path (and only that one)', async () => {
    const { engine: e, data } = engine({
      docker: [
        { when: PS, replies: { stdout: 'aaa111\n' } },
        { when: 'inspect --format {{json .Mounts}} aaa111', replies: mounts(vol('orig0', '/photoprism/originals'), vol('stor9', '/photoprism/storage'), { Type: 'bind', Source: '/srv', Destination: '/photoprism/import' }) },
      ],
    });
    expect(await engineAnonymousLookup(e, {})('photos', 'photoprism', '/photoprism/storage')).toEqual({ name: 'stor9', mountpoint: '/var/lib/docker/volumes/stor9/_data' });
    // read-only questions only
    expect(readCalls(data).map((c) => c.args[0])).toEqual(['ps', 'inspect']);
  });

  test('an old and a new container with the same volume (Compose re-uses it): that volume', async () => {
    const { engine: e } = engine({
      docker: [
        { when: PS, replies: { stdout: 'aaa111\nbbb222\n' } },
        { when: 'inspect --format {{json .Mounts}} *', replies: mounts(vol('stor9', '/photoprism/storage')) },
      ],
    });
    expect(await engineAnonymousLookup(e, {})('photos', 'photoprism', '/photoprism/storage')).toEqual({ name: 'stor9', mountpoint: '/var/lib/docker/volumes/stor9/_data' });
  });

  test('refused with the reason: no container, containers that disagree, no volume there, no engine', async () => {
    const none = engine({ docker: [{ when: PS, replies: { stdout: '' } }] }).engine;
    expect(await engineAnonymousLookup(none, {})('photos', 'photoprism', '/photoprism/storage')).toEqual({ error: 'there is no container of "photoprism" (project photos) yet, so the volume does not exist' });
    const two = engine({
      docker: [
        { when: PS, replies: { stdout: 'aaa111\nbbb222\n' } },
        { when: 'inspect --format {{json .Mounts}} aaa111', replies: mounts(vol('stor1', '/photoprism/storage')) },
        { when: 'inspect --format {{json .Mounts}} bbb222', replies: mounts(vol('stor2', '/photoprism/storage')) },
      ],
    }).engine;
    expect(await engineAnonymousLookup(two, {})('photos', 'photoprism', '/photoprism/storage')).toMatchObject({ error: expect.stringContaining('have different volumes at /photoprism/storage (stor1, stor2)') });
    const bind = engine({ docker: [{ when: PS, replies: { stdout: 'aaa111\n' } }, { when: 'inspect *', replies: mounts({ Type: 'bind', Source: '/srv/s', Destination: '/photoprism/storage' }) }] }).engine;
    expect(await engineAnonymousLookup(bind, {})('photos', 'photoprism', '/photoprism/storage')).toEqual({ error: 'the container of "photoprism" has no volume at /photoprism/storage' });
    const down = engine({ docker: [{ when: '*', replies: { stderr: 'Cannot connect to the Docker daemon at unix:///var/run/docker.sock.\n', code: 1 } }] }).engine;
    expect(await engineAnonymousLookup(down, {})('photos', 'photoprism', '/photoprism/storage')).toEqual({ error: 'docker ps failed: Cannot connect to the Docker daemon at unix:///var/run/docker.sock.' });
    expect(await engineAnonymousLookup(null, {})('photos', 'photoprism', '/photoprism/storage')).toEqual({ error: 'no container engine was found to ask for the container that holds it' });
  });
});

test('a named volume: docker volume inspect, its mountpoint', async () => {
  const { engine: e } = engine({ docker: [{ when: 'volume inspect --format {{.Mountpoint}} photos_storage', replies: { stdout: '/var/lib/docker/volumes/photos_storage/_data\n' } }] });
  expect(await engineVolumeLookup(e, {})('photos_storage')).toEqual({ mountpoint: '/var/lib/docker/volumes/photos_storage/_data' });
});

describe('audit reads options.yml in a storage volume where the engine keeps it', () => {
  test('named volume: docker volume inspect (only when storage is a volume); no engine: no options file', async () => {
    const { fakeEngines, dockerInfo, V2_VERSION } = await import('./helpers/fake-engines.js');
    const { runCli } = await import('./helpers/spawn.js');
    const dir = path.join(TMP, 'photos-vol');
    const vol = path.join(TMP, 'photos-vol-data');
    await fsp.mkdir(path.join(vol, 'config'), { recursive: true });
    await fsp.mkdir(dir);
    await fsp.writeFile(path.join(vol, 'config', 'options.yml'), 'AdminUser: "admin"\n', { mode: 0o600 });
    await fsp.writeFile(
      path.join(dir, 'docker-compose.yml'),
      'services:\n  photoprism:\n    image: photoprism/photoprism:latest\n    volumes:\n      - ./originals:/photoprism/originals\n      - storage:/photoprism/storage\nvolumes:\n  storage:\n',
    );
    const fakes = fakeEngines({
      docker: [dockerInfo({ plugins: [{ Name: 'compose', Version: 'v2.29.1' }] }), V2_VERSION, { when: 'volume inspect --format {{.Mountpoint}} photos-vol_storage', replies: { stdout: `${vol}\n` } }],
    });
    try {
      const r = await runCli(['audit', '--dir', dir], { fakeHost: fakes.hostData({}), env: fakes.env() });
      expect(r.stdout).toContain(`options: ${path.join(vol, 'config', 'options.yml')}`);
      expect(fakes.lines()).toContain('docker volume inspect --format {{.Mountpoint}} photos-vol_storage');
      const none = await runCli(['audit', '--dir', dir], { fakeHost: {} });
      expect(none.stdout).toContain('options: (none)');
    } finally {
      fakes.cleanup();
    }
  });
});
