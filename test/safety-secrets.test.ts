// An initialised database (anything in its data folder) with a lost MariaDB secret: a clear error
// with what to do, exit 2, nothing changed; never a silent new password.

import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import { createHash } from 'node:crypto';
import { promises as fsp } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { UsageError } from '../src/errors.js';
import { FixtureHost } from './helpers/fixture-host.js';
import { runInit } from '../src/init.js';
import { Output } from '../src/output.js';
import { readTargetState } from '../src/state.js';
import { Sink } from './helpers/sink.js';

let TMP = '';
beforeAll(async () => {
  TMP = await fsp.mkdtemp(path.join(os.tmpdir(), 'pph-lost-'));
});
afterAll(async () => {
  await fsp.rm(TMP, { recursive: true, force: true });
});

const FACTS = { accounts: [], groups: [], uidMin: 1000, uidMax: 60000, renderNodes: [], video11: null, nvidia: false };

async function init(dir: string): Promise<{ code: number; text: string }> {
  const out = new Sink();
  const code = await runInit({ dir, yes: true, dryRun: false, flags: {}, version: 'test', env: { HOME: TMP }, out: new Output(out, out), probe: new FixtureHost(FACTS) });
  return { code, text: out.text };
}

async function hashes(dir: string): Promise<Record<string, string>> {
  const out: Record<string, string> = {};
  for (const e of await fsp.readdir(dir, { recursive: true, withFileTypes: true })) {
    if (!e.isFile()) continue;
    const p = path.join(e.parentPath, e.name);
    out[path.relative(dir, p)] = createHash('sha256').update(await fsp.readFile(p)).digest('hex');
  }
  return out;
}

describe('a lost MariaDB secret beside an initialised database', () => {
  test('any content in database/ counts as initialised (not only database/mysql)', async () => {
    const dir = path.join(TMP, 'state');
    await fsp.mkdir(path.join(dir, 'database'), { recursive: true });
    expect((await readTargetState(dir)).databaseInitialised).toBe(false);
    await fsp.writeFile(path.join(dir, 'database', 'ibdata1'), '');
    expect((await readTargetState(dir)).databaseInitialised).toBe(true);
  });

  test.each([
    ['db_root_pwd.txt', ['.secrets/db_root_pwd.txt'], /databaseRootPassword: database\/ already holds MariaDB data, but \.secrets\/db_root_pwd\.txt is missing/],
    ['db_pwd.txt and DatabasePassword', ['.secrets/db_pwd.txt'], /databasePassword: database\/ already holds MariaDB data, but \.secrets\/db_pwd\.txt is missing \(and storage\/config\/options\.yml has no DatabasePassword\)/],
  ])('%s lost: exit 2 naming the file and what to do; nothing changes', async (label, remove, message) => {
    const dir = path.join(TMP, label.replace(/\W+/g, '-'));
    expect((await init(dir)).code).toBe(0);
    for (const f of remove) await fsp.rm(path.join(dir, f));
    if (label.includes('DatabasePassword')) {
      const opts = path.join(dir, 'storage/config/options.yml');
      await fsp.writeFile(opts, (await fsp.readFile(opts, 'utf8')).replace(/^DatabasePassword:.*\n/m, ''));
    }
    await fsp.writeFile(path.join(dir, 'database', 'aria_log_control'), 'x'); // MariaDB data, no mysql/ yet
    const before = await hashes(dir);
    const err = await init(dir).then(
      () => null,
      (e: unknown) => e,
    );
    expect(err).toBeInstanceOf(UsageError);
    const text = (err as UsageError).problems.join('\n');
    expect(text).toMatch(message);
    expect(text).toContain('nothing was changed');
    expect(text).toContain('.photoprism-harden/backups/<newest>/');
    // with the root password kept, rotate sets a new user password; without it, MariaDB's reset procedure
    expect(text).toContain('photoprism-harden rotate --database');
    if (label === 'db_root_pwd.txt') expect(text).toMatch(/resetting-the-root-password.*--skip-grant-tables/s);
    else expect(text).not.toContain('--skip-grant-tables');
    expect(await hashes(dir)).toEqual(before);
  });

  test('without data in database/ a lost secret is generated anew, and no note claims secrets were kept', async () => {
    const dir = path.join(TMP, 'fresh-db');
    expect((await init(dir)).code).toBe(0);
    await fsp.rm(path.join(dir, '.secrets/db_root_pwd.txt'));
    const r = await init(dir);
    expect(r.code).toBe(0);
    expect(r.text).not.toContain('existing secrets are kept');
    expect((await fsp.readFile(path.join(dir, '.secrets/db_root_pwd.txt'), 'utf8')).length).toBeGreaterThanOrEqual(32);
  });
});
