// init --apply's wait (src/lifecycle.ts) follows the services by role: the generated file's
// "photoprism"/"mariadb", or an adopted installation's own names, and no database service with SQLite.

import { afterAll, expect, test } from '@jest/globals';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { Engine } from '../src/engine.js';
import { startServices } from '../src/lifecycle.js';
import { fakeCommands, readCalls, type Spec } from './helpers/fake-commands.js';
import { psJson } from './helpers/fake-engines.js';

const TMP = mkdtempSync(path.join(os.tmpdir(), 'pph-lifecycle-'));
afterAll(() => rmSync(TMP, { recursive: true, force: true }));

let n = 0;
function engine(spec: Spec): { engine: Engine; data: string } {
  const data = path.join(TMP, `e${++n}`);
  return { engine: { kind: 'docker-compose-v2', command: 'docker', prefix: ['compose'], version: '2.29.1', runtime: 'docker', display: 'docker compose', runner: fakeCommands(spec, data) }, data };
}

test('an adopted installation: its own service names are waited for, and with SQLite no database service', async () => {
  const { engine: e, data } = engine({
    docker: [
      { when: 'compose -f docker-compose.yml stop', replies: {} },
      { when: 'compose -f docker-compose.yml up -d --force-recreate', replies: {} },
      { when: 'compose -f docker-compose.yml ps -a --format json', replies: [{ stdout: psJson([{ service: 'gallery', state: 'created' }]) }, { stdout: psJson([{ service: 'gallery', state: 'running' }, { service: 'adminer', state: 'running' }]) }] },
    ],
  });
  const lines: string[] = [];
  const probed: string[] = [];
  const r = await startServices({
    engine: e,
    dir: TMP,
    env: {},
    out: (l) => lines.push(l),
    timeoutMs: 20000,
    pollMs: 10,
    services: { app: 'gallery', db: null },
    probe: async () => (probed.push('status'), { serving: true, via: 'http://127.0.0.1:2342/api/v1/status', detail: 'operational' }),
  });
  expect(r.ok).toBe(true);
  const text = lines.join('\n');
  expect(text).toContain('for gallery to answer on its status endpoint');
  expect(text).not.toMatch(/photoprism|mariadb/);
  expect(text).toMatch(/Started in \d+ s: gallery running, serving/);
  expect(probed.length).toBe(1);
  expect(readCalls(data).filter((c) => c.args.includes('ps')).length).toBe(2);
});

test('a database service of another name that fails is reported by that name', async () => {
  const { engine: e } = engine({
    docker: [
      { when: '*stop', replies: {} },
      { when: '*up -d --force-recreate', replies: {} },
      { when: '*ps -a --format json', replies: { stdout: psJson([{ service: 'photo', state: 'running' }, { service: 'familydb', state: 'exited', exitCode: 1 }]) } },
      { when: '*logs --no-color --tail 30 familydb', replies: { stdout: '[ERROR] Aborting\n' } },
    ],
  });
  const lines: string[] = [];
  const r = await startServices({ engine: e, dir: TMP, env: {}, out: (l) => lines.push(l), timeoutMs: 20000, pollMs: 10, services: { app: 'photo', db: 'familydb' }, probe: async () => ({ serving: true, via: 'x', detail: 'ok' }) });
  expect(r).toMatchObject({ ok: false, failing: ['familydb'] });
  expect(lines.join('\n')).toContain('Failed: familydb did not start (familydb exited, exit code 1)');
  expect(lines.join('\n')).toContain('  | [ERROR] Aborting');
});
