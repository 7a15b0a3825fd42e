// `rotate` and the new audit flags as a user runs them (the built CLI, spawned): help, usage errors
// (exit 2, nothing changed), and an installation the tool did not make (exit 1).

import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import { spawnSync } from 'node:child_process';
import { readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { cliWithHost } from './helpers/spawn.js';
import { DB_PW, build, cleanup, facts, tempDir } from './audit-helpers.js';

let factsFile = '';

beforeAll(async () => {
  factsFile = path.join(await tempDir(), 'facts.json');
  await writeFile(factsFile, JSON.stringify(facts()));
});
afterAll(cleanup);

function cli(...args: string[]) {
  // an empty PATH: no engine can be found, so nothing real is ever touched
  const entry = cliWithHost(factsFile);
  const r = spawnSync(process.execPath, [entry.script, ...args], { encoding: 'utf8', env: { PATH: '/nonexistent', HOME: '/home/alice', ...entry.env } });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

describe('photoprism-harden rotate', () => {
  test('--help documents the targets, the password sources and the exit codes; the main help lists rotate', () => {
    const r = cli('rotate', '--help');
    expect(r.code).toBe(0);
    for (const s of ['--database', '--database-root', '--admin', '--answers', '--prompt', '--start', 'PHOTOPRISM_HARDEN_DATABASE_PASSWORD', 'Exit codes']) expect(r.stdout).toContain(s);
    expect(cli('--help').stdout).toMatch(/^\s+rotate\s+give the database user/m);
  });

  test('usage errors exit 2 and change nothing', async () => {
    const dir = await build();
    const before = await readFile(path.join(dir, '.secrets/db_pwd.txt'), 'utf8');
    expect(cli('rotate', '--dir', dir).code).toBe(2);
    expect(cli('rotate', '--dir', dir, '--database', '--timeout', '0').code).toBe(2);
    expect(cli('rotate', '--dir', dir, '--database', '--engine', 'lxc').code).toBe(2);
    const answers = path.join(dir, 'answers.yml');
    await writeFile(answers, 'adminPassword: "short"\n');
    const r = cli('rotate', '--dir', dir, '--database', '--answers', answers);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/adminPassword is given but --admin is not/);
    await writeFile(answers, 'databasePassword: "short"\n');
    expect(cli('rotate', '--dir', dir, '--database', '--answers', answers).stderr).toMatch(/databasePassword must be 8-72 characters/);
    expect(await readFile(path.join(dir, '.secrets/db_pwd.txt'), 'utf8')).toBe(before);
  });

  test('an installation the tool did not make: exit 1 with the reason', async () => {
    const dir = await tempDir();
    await writeFile(path.join(dir, 'docker-compose.yml'), 'services:\n  photoprism:\n    image: photoprism/photoprism\n    environment:\n      PHOTOPRISM_DATABASE_PASSWORD: "x"\n  mariadb:\n    image: mariadb:11\n    environment:\n      MARIADB_PASSWORD: "x"\n');
    const r = cli('rotate', '--dir', dir, '--database');
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/not an installation made or adopted by photoprism-harden/);
  });

  test('no engine: exit 1, nothing changed, no password shown', async () => {
    const dir = await build();
    const r = cli('rotate', '--dir', dir, '--database');
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/no Compose engine found/);
    expect(r.stdout + r.stderr).not.toContain(DB_PW);
    expect(await readFile(path.join(dir, '.secrets/db_pwd.txt'), 'utf8')).toBe(DB_PW);
  });
});

describe('audit --format and --running', () => {
  test('--format sarif prints SARIF 2.1.0; a bad format or --json with another format is a usage error', async () => {
    const dir = await build();
    const r = cli('audit', '--dir', dir, '--format', 'sarif');
    expect(r.code).toBe(0);
    const s = JSON.parse(r.stdout);
    expect(s.version).toBe('2.1.0');
    expect(s.runs[0].tool.driver.name).toBe('photoprism-harden');
    expect(cli('audit', '--dir', dir, '--format', 'xml').code).toBe(2);
    expect(cli('audit', '--dir', dir, '--format', 'sarif', '--json').code).toBe(2);
  });

  test('--running without an engine: exit 2 and says why', async () => {
    const dir = await build();
    const r = cli('audit', '--dir', dir, '--running');
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/--running needs a Compose engine/);
  });
});
