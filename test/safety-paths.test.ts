// Originals and import folders are judged after ~ expansion, normalisation and symlink resolution;
// system and account folders are refused (exit 2, the field named, nothing written).

import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import { existsSync, promises as fsp } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { UsageError } from '../src/errors.js';
import { FixtureHost } from './helpers/fixture-host.js';
import { resolveHostPath } from '../src/hostpaths.js';
import { runInit } from '../src/init.js';
import { Output } from '../src/output.js';
import { Sink } from './helpers/sink.js';

let TMP = '';
let HOME = '';
beforeAll(async () => {
  TMP = await fsp.mkdtemp(path.join(os.tmpdir(), 'pph-paths-'));
  HOME = path.join(TMP, 'home', 'alice');
  await fsp.mkdir(path.join(HOME, '.ssh'), { recursive: true });
  await fsp.symlink('/etc', path.join(TMP, 'etc-link'));
});
afterAll(async () => {
  await fsp.rm(TMP, { recursive: true, force: true });
});

const FACTS = { accounts: [{ name: 'alice', uid: 1000, gid: 1000, home: '/home/alice', shell: '/bin/bash' }], groups: [], uidMin: 1000, uidMax: 60000, renderNodes: [], video11: null, nvidia: false };

async function init(dir: string, originalsPath: string, extra: { createFolders?: boolean } = {}): Promise<unknown> {
  const out = new Sink();
  return runInit({ dir, yes: true, dryRun: false, flags: { originalsPath }, version: 't', env: { HOME }, out: new Output(out, out), probe: new FixtureHost(FACTS), ...extra }).then(
    (code) => code,
    (e: unknown) => e,
  );
}

describe('host paths for originals and import', () => {
  test('the real path of the longest existing prefix', () => {
    expect(resolveHostPath(path.join(TMP, 'etc-link', 'ssh', 'missing', 'x'))).toBe('/etc/ssh/missing/x');
  });

  test.each([
    ['a symlink to /etc', () => path.join(TMP, 'etc-link')],
    ['~/../../etc (normalised)', () => '~/../../../../../../etc'],
    ['~ (a whole home folder)', () => '~'],
    ['~/.ssh', () => '~/.ssh'],
    ['~/.docker (missing too)', () => '~/.docker'],
    ['/root/.ssh', () => '/root/.ssh'],
    ['/var/log', () => '/var/log'],
    ['/var/lib/docker/volumes', () => '/var/lib/docker/volumes'],
    ['/home', () => '/home'],
    ['/usr/share', () => '/usr/share'],
  ])('%s is refused: exit 2 naming originalsPath, nothing written', async (_label, value) => {
    const dir = path.join(TMP, `install-${Math.random().toString(36).slice(2)}`);
    const r = await init(dir, value());
    expect(r).toBeInstanceOf(UsageError);
    expect((r as UsageError).problems.join('\n')).toMatch(/^originalsPath /);
    expect(existsSync(dir)).toBe(false);
  });

  test('a missing folder outside the installation is created only with --create-folders', async () => {
    const photos = path.join(TMP, 'photos', 'family');
    const dir = path.join(TMP, 'install-create');
    const r = await init(dir, photos);
    expect(r).toBeInstanceOf(UsageError);
    expect((r as UsageError).problems.join('\n')).toContain('--create-folders');
    expect(existsSync(path.join(TMP, 'photos'))).toBe(false);
    expect(existsSync(dir)).toBe(false);
    expect(await init(dir, photos, { createFolders: true })).toBe(0);
    expect(existsSync(photos)).toBe(true);
  });
});
