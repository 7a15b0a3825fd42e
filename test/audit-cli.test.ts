// The `audit` command as a user runs it: a spawned CLI (dist/, built by `npm test`), exit codes 0/1/2,
// the JSON report's shape, and no password in any output.

import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import { spawnSync } from 'node:child_process';
import { copyFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { cliWithHost } from './helpers/spawn.js';
import { ADMIN_PW, BASE_COMPOSE, DB_PW, DB_ROOT_PW, build, cleanup, facts, tempDir } from './audit-helpers.js';

let factsFile = '';

beforeAll(async () => {
  factsFile = path.join(await tempDir(), 'facts.json');
  await writeFile(factsFile, JSON.stringify(facts()));
});
afterAll(cleanup);

function audit(...args: string[]) {
  const entry = cliWithHost(factsFile);
  const r = spawnSync(process.execPath, [entry.script, 'audit', ...args], {
    encoding: 'utf8',
    env: { PATH: process.env.PATH, HOME: '/home/alice', ...entry.env },
  });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

describe('photoprism-harden audit', () => {
  test('a hardened installation: exit 0, human report ends with the summary line', async () => {
    const dir = await build();
    const r = audit('--dir', dir);
    expect(r.code).toBe(0);
    const lines = r.stdout.trimEnd().split('\n');
    expect(lines[lines.length - 1]).toMatch(/^audit: PASS - 0 errors, 0 warnings, 0 info \(\d+ rules checked\)$/);
    expect(r.stdout).toContain('No findings.');
  });

  test('the official example: exit 1; --json has the documented shape and no password', async () => {
    const dir = await tempDir();
    await copyFile(new URL('./fixtures/photoprism-official-compose.yaml', import.meta.url), path.join(dir, 'compose.yaml'));
    const r = audit('--dir', dir, '--json');
    expect(r.code).toBe(1);
    expect(r.stdout).not.toContain('insecure');
    const report = JSON.parse(r.stdout);
    expect(Object.keys(report)).toEqual(['tool', 'version', 'dir', 'compose', 'options', 'summary', 'findings']);
    expect(report).toMatchObject({ tool: 'photoprism-harden', dir, compose: 'compose.yaml', options: null });
    expect(report.summary).toMatchObject({ error: 7, warning: 9, info: 3, clean: false });
    for (const f of report.findings) {
      expect(Object.keys(f).sort()).toEqual(['cis', 'column', 'file', 'fix', 'kics', 'line', 'message', 'rule', 'service', 'severity', 'title', 'why']);
      expect(['error', 'warning', 'info']).toContain(f.severity);
    }
  });

  test('warnings alone keep exit 0; secrets never reach stdout in either format', async () => {
    const dir = await build({ compose: BASE_COMPOSE.replace('"127.0.0.1:2342:2342"', '"2342:2342"') });
    for (const args of [[], ['--json']]) {
      const r = audit('--dir', dir, ...args);
      expect(r.code).toBe(0);
      for (const pw of [ADMIN_PW, DB_PW, DB_ROOT_PW]) expect(r.stdout + r.stderr).not.toContain(pw);
    }
  });

  test('exit 2: missing folder, no compose file, invalid YAML, unknown option', async () => {
    const empty = await tempDir();
    expect(audit('--dir', path.join(empty, 'nope')).code).toBe(2);
    const none = audit('--dir', empty);
    expect(none.code).toBe(2);
    expect(none.stderr).toContain('no compose file');
    const bad = await tempDir();
    await writeFile(path.join(bad, 'docker-compose.yml'), 'services:\n  a: [\n');
    const invalid = audit('--dir', bad, '--json');
    expect(invalid.code).toBe(2);
    expect(JSON.parse(invalid.stdout).error).toMatch(/docker-compose\.yml:\d+: not valid YAML/);
    expect(audit('--dir', empty, '--bogus').code).toBe(2);
  });
});
