// What `init` writes must come out of the audit without any error-level finding, and every warning it
// does get must be one we can justify. `init` itself prints the audit's one-line summary.

import { afterAll, describe, expect, test } from '@jest/globals';
import { existsSync, promises as fsp } from 'node:fs';
import path from 'node:path';
import { auditDir } from '../src/audit/index.js';
import { type HostFacts } from '../src/host.js';
import { FixtureHost } from './helpers/fixture-host.js';
import { runInit } from '../src/init.js';
import { Output } from '../src/output.js';
import type { Key } from '../src/questions.js';
import { cleanup, facts, tempDir } from './audit-helpers.js';
import { Sink } from './helpers/sink.js';

afterAll(cleanup);

async function init(flags: Partial<Record<Key, unknown>>, f: HostFacts, o: { dryRun?: boolean; dir?: string; prepare?: (dir: string) => Promise<void> } = {}) {
  const dir = o.dir ?? path.join(await tempDir(), 'photoprism');
  if (o.prepare) await o.prepare(dir);
  const stdout = new Sink();
  const stderr = new Sink();
  const code = await runInit({
    dir,
    yes: true,
    dryRun: Boolean(o.dryRun),
    flags,
    version: 'test',
    env: { HOME: '/home/alice' },
    out: new Output(stdout, stderr),
    probe: new FixtureHost(f),
    stdinIsTTY: false,
  });
  return { dir, code, out: stdout.text };
}

/** Warnings a generated installation may get, each with the reason it is right to report it. */
const JUSTIFIED: Record<string, string> = {
  'image-latest-tag': 'the template follows PhotoPrism\'s releases with :latest; pinning is the user\'s call (commented in the file)',
  'port-all-interfaces': 'not behind a proxy: the port is reachable from every network, which is what the user chose',
  'init-without-update': 'user: mode never runs as root, so no init action is preselected (they would run only through sudo); the audit still recommends "update"',
};

const render = { path: '/dev/dri/renderD128', uid: 0, gid: 44, mode: 0o660 };
const VARIANTS: {
  name: string;
  flags: Partial<Record<Key, unknown>>;
  facts?: Partial<HostFacts>;
  warnings: string[];
  options?: string;
  prepare?: (dir: string) => Promise<void>;
}[] = [
  { name: 'defaults', flags: {}, warnings: ['image-latest-tag', 'port-all-interfaces'] },
  { name: 'behind a reverse proxy', flags: { behindProxy: 'true' }, warnings: ['image-latest-tag'] },
  { name: 'user: mode', flags: { userMode: 'user' }, warnings: ['image-latest-tag', 'port-all-interfaces', 'init-without-update'] },
  { name: 'Intel Quick Sync', flags: { transcoding: 'intel' }, facts: { renderNodes: [render] }, warnings: ['image-latest-tag', 'port-all-interfaces'] },
  { name: 'VA-API, node in a supported group', flags: { transcoding: 'vaapi' }, facts: { renderNodes: [{ ...render, gid: 2050 }] }, warnings: ['image-latest-tag', 'port-all-interfaces'] },
  { name: 'NVIDIA', flags: { transcoding: 'nvidia' }, facts: { nvidia: true }, warnings: ['image-latest-tag', 'port-all-interfaces'] },
  { name: 'Raspberry Pi', flags: { transcoding: 'raspberry' }, facts: { video11: { path: '/dev/video11', uid: 0, gid: 44, mode: 0o660 } }, warnings: ['image-latest-tag', 'port-all-interfaces'] },
  {
    name: 'legacy storage/settings layout',
    flags: { behindProxy: 'true' },
    warnings: ['image-latest-tag'],
    options: 'storage/settings/options.yml',
    prepare: async (dir) => {
      await fsp.mkdir(path.join(dir, 'storage', 'settings'), { recursive: true });
    },
  },
];

describe('a generated installation', () => {
  for (const v of VARIANTS) {
    test(`${v.name}: no error-level finding, only justified warnings`, async () => {
      const f = facts(v.facts);
      const { dir, code, out } = await init(v.flags, f, { prepare: v.prepare });
      expect(code).toBe(0);
      const report = await auditDir(dir, f, 'test', { env: { HOME: '/home/alice' } });
      expect(report.options).toBe(v.options ?? 'storage/config/options.yml');
      expect(report.findings.filter((x) => x.severity === 'error')).toEqual([]);
      const warnings = report.findings.filter((x) => x.severity !== 'error').map((x) => x.rule);
      expect(warnings).toEqual(v.warnings);
      for (const w of warnings) expect(JUSTIFIED[w]).toBeDefined();
      // init printed the same audit's one-line summary
      expect(out).toContain(`audit: PASS - 0 errors, ${warnings.length} warning${warnings.length === 1 ? '' : 's'}, 0 info`);
    });
  }

  test('with an accepted risk, init shows the error the audit finds (and still succeeds)', async () => {
    const f = facts();
    const { code, out } = await init({ uid: '1000', gid: '1000', allowUnsafe: 'host-account' }, f);
    expect(code).toBe(0);
    expect(out).toMatch(/audit: FAIL - 1 error/);
    expect(out).toContain('! [uid-host-account] docker-compose.yml:');
  });

  test('--dry-run audits the planned files and writes nothing', async () => {
    const f = facts();
    const { dir, code, out } = await init({}, f, { dryRun: true });
    expect(code).toBe(0);
    expect(existsSync(dir)).toBe(false);
    expect(out).toContain('audit: PASS - 0 errors, 2 warnings, 0 info');
    expect(out.indexOf('audit: PASS')).toBeLessThan(out.indexOf('Dry run: nothing was written.'));
  });

  test('a second run with nothing to change still reports the audit', async () => {
    const f = facts();
    const first = await init({}, f);
    const second = await init({}, f, { dir: first.dir });
    expect(second.out).toContain('Nothing to change');
    expect(second.out).toContain('audit: PASS');
  });
});
