// Validation with a real Compose v2 binary (COMPOSE_BIN, or .cache/bin/docker-compose from
// ../shared/tools/get-compose-v2.sh; .ci/run provides it): every generated variant of
// docker-compose.yml must pass `config --quiet`, and the vendored JSON schema must agree.
// Without a binary the suite is skipped locally and fails in CI.

import { afterAll, describe, expect, test } from '@jest/globals';
import { existsSync, mkdirSync, mkdtempSync, rmSync, symlinkSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { checkText, schemaValidate } from '../src/composecheck.js';
import { TRANSCODINGS, USER_MODES } from '../src/domain.js';
import { detect, validateWithEngine, type Engine } from '../src/engine.js';
import { FixtureHost } from './helpers/fixture-host.js';
import { parseSubIds, rootlessMap, type ContainerIdMapping } from '../src/idmap.js';
import { buildPlan } from '../src/plan.js';
import type { Answers } from '../src/questions.js';
import { readTargetState } from '../src/state.js';
import { targetDefaults } from './fixtures/unit-fakes.js';

const repo = fileURLToPath(new URL('../', import.meta.url));
const bin = process.env.COMPOSE_BIN || (existsSync(path.join(repo, '.cache/bin/docker-compose')) ? path.join(repo, '.cache/bin/docker-compose') : '');
const have = bin !== '' && existsSync(bin);
if (!have && process.env.CI) throw new Error('CI: no Compose v2 binary (COMPOSE_BIN); .ci/run must fetch it with get-compose-v2.sh');
if (!have) console.warn('compose-real.test.ts skipped: set COMPOSE_BIN or run: bash ../shared/tools/get-compose-v2.sh .cache/bin');
const maybe = have ? describe : describe.skip;

const tmp = mkdtempSync(path.join(os.tmpdir(), 'pph-real-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

const engine: Engine = { kind: 'docker-compose-v2', command: bin, prefix: [], version: 'real', runtime: 'docker', display: 'docker-compose' };
const env = { PATH: '/usr/bin:/bin', HOME: tmp };

const alice = { name: 'alice', uid: 1000, gid: 1000 };
const ids = parseSubIds('alice:100000:65536\n');
const ROOTLESS: ContainerIdMapping = { mode: 'rootless-docker', user: alice, map: rootlessMap(alice, 'alice', ids, ids), source: 'test' };

interface Variant {
  transcoding: Answers['transcoding'];
  userMode: Answers['userMode'];
  behindProxy: boolean;
  importPath: string;
  selinux: boolean;
  rootless: boolean;
}

// Every combination of the options that change the compose file's structure; the id mapping only adds
// a comment line, so it alternates instead of doubling the runs (each run starts a 64 MB Go binary).
const variants: Variant[] = [];
for (const transcoding of TRANSCODINGS)
  for (const userMode of USER_MODES)
    for (const behindProxy of [false, true])
      for (const importPath of ['', '/srv/import'])
        for (const selinux of [false, true]) variants.push({ transcoding, userMode, behindProxy, importPath, selinux, rootless: variants.length % 2 === 1 });

async function composeFor(v: Variant, i: number): Promise<{ dir: string; text: string }> {
  const dir = path.join(tmp, `v${i}`);
  mkdirSync(dir);
  const facts = await new FixtureHost({
    renderNodes: [{ path: '/dev/dri/renderD128', uid: 0, gid: 44, mode: 0o660 }],
    video11: { path: '/dev/video11', uid: 0, gid: 44, mode: 0o660 },
  }).facts();
  const a: Answers = {
    ...targetDefaults(),
    originalsPath: v.selinux ? './originals' : '/srv/photos with space/$HOME',
    importPath: v.importPath,
    behindProxy: v.behindProxy,
    httpPort: v.behindProxy ? 8080 : 2342,
    siteUrl: v.behindProxy ? 'https://photos.example.com/' : 'http://localhost:2342/',
    transcoding: v.transcoding,
    userMode: v.userMode,
    uid: 2000,
    gid: 2000,
    allowUnsafe: [],
    initActions: ['update', 'https'],
    adminUser: 'admin',
    adminPassword: 'x'.repeat(24),
    databasePassword: 'y'.repeat(40),
    databaseRootPassword: 'z'.repeat(40),
  };
  const originals = path.resolve(dir, a.originalsPath);
  const state = await readTargetState(dir, [originals]);
  const plan = buildPlan({
    answers: a,
    facts,
    state,
    version: '0.0.0',
    regenerate: 'npx photoprism-harden init --yes',
    hostPaths: { originals, import: v.importPath || null },
    idMapping: v.rootless ? ROOTLESS : null,
    selinux: v.selinux,
  });
  return { dir, text: plan.files.find((f) => f.path === 'docker-compose.yml')!.content };
}

async function pool<T, R>(items: T[], n: number, f: (t: T, i: number) => Promise<R>): Promise<R[]> {
  const out: R[] = new Array(items.length);
  let next = 0;
  await Promise.all(
    Array.from({ length: n }, async () => {
      while (next < items.length) {
        const i = next++;
        out[i] = await f(items[i]!, i);
      }
    }),
  );
  return out;
}

maybe(`real Compose v2 (${bin || 'none'})`, () => {
  test(`every generated variant (${variants.length}) passes \`config --quiet\` and the vendored schema`, async () => {
    const texts = await Promise.all(variants.map((v, i) => composeFor(v, i).then((r) => r.text)));
    // the schema checks every text; the engine every text that differs in more than comments
    const schemaFailures = (await Promise.all(texts.map((t, i) => schemaValidate(t).then((r) => (r.ok ? null : { v: variants[i], r }))))).filter(Boolean);
    expect(schemaFailures).toEqual([]);
    const unique = new Map<string, number>();
    texts.forEach((t, i) => {
      const key = t.replace(/^\s*#.*$/gm, '').replace(/ # .*$/gm, '');
      if (!unique.has(key)) unique.set(key, i);
    });
    expect(unique.size).toBeGreaterThanOrEqual(64);
    const failures = (
      await pool([...unique.values()], 4, async (i) => {
        const real = await checkText(texts[i]!, engine, env);
        return real.validation.ok ? null : { v: variants[i], real: real.validation };
      })
    ).filter(Boolean);
    expect(failures).toEqual([]);
  }, 120000); // (64+ processes of the real binary: slower than jest's default on a loaded machine)

  test('a rejected file: the engine error, verbatim', async () => {
    const { dir, text } = await composeFor(variants[0]!, 1000);
    const broken = text.replace('stop_grace_period: 10s', 'stop_grace_periodx: 10s');
    const { writeFileSync } = await import('node:fs');
    writeFileSync(path.join(dir, 'docker-compose.yml'), broken);
    const r = await validateWithEngine(engine, path.join(dir, 'docker-compose.yml'), env);
    expect(r.ok).toBe(false);
    expect(!r.ok && r.error).toMatch(/services\.photoprism Additional property stop_grace_periodx is not allowed/);
    expect(await schemaValidate(broken)).toEqual({ ok: false, error: 'services.photoprism: must NOT have additional properties "stop_grace_periodx"' });
  });

  test('detected on PATH as a standalone docker-compose v2', async () => {
    const pathDir = path.join(tmp, 'pathbin');
    mkdirSync(pathDir);
    symlinkSync(bin, path.join(pathDir, 'docker-compose'));
    const d = await detect({ PATH: `${pathDir}:/usr/bin:/bin`, HOME: tmp });
    expect(d.engine?.kind).toBe('docker-compose-v2');
    expect(d.engine?.command).toBe('docker-compose');
  });
});
