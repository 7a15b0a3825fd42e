// The shipped CLI has no test hook: nothing in dist/ (what bin/ runs and package.json "files" ships)
// lets the environment swap the host, and the test-only entry that injects a fake host is not shipped.

import { describe, expect, test } from '@jest/globals';
import { readFileSync, readdirSync } from 'node:fs';
import path from 'node:path';
import { REPO_ROOT, TEST_CLI, TEST_HOST_ENV, assertBuilt } from './helpers/spawn.js';

/** The tool's own environment variables: the password presets and the diagnostic trace (stderr only). */
const ALLOWED_ENV = new Set(['PHOTOPRISM_HARDEN_ADMIN_PASSWORD', 'PHOTOPRISM_HARDEN_DATABASE_PASSWORD', 'PHOTOPRISM_HARDEN_DATABASE_ROOT_PASSWORD', 'PHOTOPRISM_HARDEN_TRACE']);

describe('no test hook in the shipped CLI', () => {
  assertBuilt();
  const dist = path.join(REPO_ROOT, 'dist');
  const bundles = readdirSync(dist).filter((f) => f.endsWith('.cjs'));
  const text = (f: string) => readFileSync(path.join(dist, f), 'utf8');

  test('dist/ reads no PHOTOPRISM_HARDEN_* variable beyond the password presets and the trace', () => {
    expect(bundles).toEqual(expect.arrayContaining(['boot.cjs', 'cli.cjs', 'prelude.cjs']));
    const found = new Set(bundles.flatMap((f) => text(f).match(/PHOTOPRISM_HARDEN_[A-Z0-9_]+/g) ?? []));
    expect([...found].filter((v) => !ALLOWED_ENV.has(v))).toEqual([]);
    expect(found.has('PHOTOPRISM_HARDEN_ADMIN_PASSWORD')).toBe(true); // (the scan sees the bundles' strings)
  });

  test('dist/ holds neither the fake host nor the test entry', () => {
    for (const f of bundles) {
      const t = text(f);
      expect(t.includes('FAKE_HOST')).toBe(false);
      expect(t.includes(TEST_HOST_ENV)).toBe(false);
      expect(t.includes('PPH_TEST_BIN')).toBe(false);
      expect(t.includes('FixtureHost')).toBe(false);
      expect(t.includes('cli-entry')).toBe(false);
    }
  });

  test('the package ships bin/, dist/, templates/, schema/ only: never the test entry', () => {
    const pkg = JSON.parse(readFileSync(path.join(REPO_ROOT, 'package.json'), 'utf8')) as { files: string[] };
    expect(pkg.files.sort()).toEqual(['bin/', 'dist/', 'schema/', 'templates/']);
    expect(path.relative(REPO_ROOT, TEST_CLI).split(path.sep)[0]).toBe('.cache');
    expect(readFileSync(path.join(REPO_ROOT, 'bin', 'photoprism-harden.cjs'), 'utf8')).not.toMatch(/process\.env/);
  });
});
