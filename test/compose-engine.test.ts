// Generated compose files checked by the real Docker Compose v2 binary (`docker-compose config`), which
// validates them against the compose spec and resolves paths exactly as `docker compose up` would.
// Binary: $COMPOSE_BIN, else .cache/bin/docker-compose (bash ../shared/tools/get-compose-v2.sh .cache/bin).
// Without one, the suite is skipped with the reason in its name.

import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import { execFile, execFileSync } from 'node:child_process';
import { accessSync, constants, promises as fsp } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parse as parseYaml } from 'yaml';
import { type HostFacts } from '../src/host.js';
import { FixtureHost } from './helpers/fixture-host.js';
import { runInit } from '../src/init.js';
import { Output } from '../src/output.js';
import type { Key } from '../src/questions.js';
import { aliceOnlyFacts, renderNode } from './fixtures/unit-fakes.js';
import { Sink } from './helpers/sink.js';
import { REPO_ROOT } from './helpers/spawn.js';

function findCompose(): { bin: string | null; why: string } {
  const candidates = [process.env.COMPOSE_BIN, path.join(REPO_ROOT, '.cache', 'bin', 'docker-compose')].filter((c): c is string => !!c);
  const tried: string[] = [];
  for (const c of candidates) {
    try {
      accessSync(c, constants.X_OK);
    } catch {
      tried.push(`${c} (missing)`);
      continue;
    }
    try {
      const v = execFileSync(c, ['version', '--short'], { encoding: 'utf8', timeout: 20000 }).trim();
      if (/^v?2\./.test(v)) return { bin: c, why: `Compose ${v} at ${c}` };
      tried.push(`${c} (version ${v}, not v2)`);
    } catch (e) {
      tried.push(`${c} (does not run: ${(e as Error).message.split('\n')[0]})`);
    }
  }
  return {
    bin: null,
    why: `SKIPPED: no Docker Compose v2 binary (tried ${tried.join(', ') || 'nothing: COMPOSE_BIN unset'}); set COMPOSE_BIN or run "bash ../shared/tools/get-compose-v2.sh .cache/bin"`,
  };
}

const COMPOSE = findCompose();
if (!COMPOSE.bin) console.warn(`compose-engine.test.ts: ${COMPOSE.why}`);
const composeDescribe = COMPOSE.bin ? describe : describe.skip;

const BASE_FACTS = aliceOnlyFacts();
const RENDER_NODE = renderNode(44);

interface Variant {
  name: string;
  flags: Partial<Record<Key, unknown>>;
  facts?: Partial<HostFacts>;
  /** extra checks on `docker-compose config --format json` */
  check?: (cfg: Record<string, any>, dir: string) => void;
}

let tmpRoot = '';

const VARIANTS: Variant[] = [
  {
    name: 'software (defaults)',
    flags: {},
    check: (cfg) => {
      const pp = cfg.services.photoprism;
      expect(pp.devices ?? []).toEqual([]);
      expect(pp.ports).toEqual([expect.objectContaining({ target: 2342, published: '2342' })]);
      expect(pp.ports[0].host_ip ?? '').toBe('');
      expect(pp.security_opt).toEqual(['no-new-privileges:true']);
      expect(pp.environment.PHOTOPRISM_UID).toBe('2000');
    },
  },
  {
    name: 'intel with a fake render node',
    flags: { transcoding: 'intel' },
    facts: { renderNodes: [RENDER_NODE] },
    check: (cfg) => {
      expect(cfg.services.photoprism.devices).toEqual([expect.objectContaining({ source: '/dev/dri', target: '/dev/dri' })]);
      expect(cfg.services.photoprism.environment.PHOTOPRISM_INIT).toMatch(/\bintel\b/);
    },
  },
  {
    name: 'vaapi with a render node of a supported group (gid suggested)',
    flags: { transcoding: 'vaapi' },
    facts: { renderNodes: [{ ...RENDER_NODE, gid: 2010 }] },
    check: (cfg) => {
      expect(cfg.services.photoprism.devices).toEqual([expect.objectContaining({ source: '/dev/dri', target: '/dev/dri' })]);
      expect(cfg.services.photoprism.environment.PHOTOPRISM_GID).toBe('2010');
    },
  },
  {
    name: 'nvidia',
    flags: { transcoding: 'nvidia' },
    facts: { nvidia: true },
    check: (cfg) => {
      const pp = cfg.services.photoprism;
      expect(pp.environment.NVIDIA_VISIBLE_DEVICES).toBe('all');
      const dev = pp.deploy.resources.reservations.devices[0];
      expect(dev.driver).toBe('nvidia');
      expect(dev.capabilities).toEqual(['gpu']);
    },
  },
  {
    name: 'raspberry',
    flags: { transcoding: 'raspberry' },
    facts: { video11: { path: '/dev/video11', uid: 0, gid: 44, mode: 0o660 } },
    check: (cfg) => {
      expect(cfg.services.photoprism.devices).toEqual([expect.objectContaining({ source: '/dev/video11', target: '/dev/video11' })]);
      expect(cfg.services.photoprism.environment.PHOTOPRISM_INIT).not.toMatch(/tensorflow/);
    },
  },
  {
    name: 'behind a reverse proxy, port 8080',
    flags: { behindProxy: true, httpPort: '8080', siteUrl: 'https://photos.example.com/' },
    check: (cfg) => {
      expect(cfg.services.photoprism.ports).toEqual([expect.objectContaining({ host_ip: '127.0.0.1', published: '8080', target: 2342 })]);
    },
  },
  {
    name: 'user mode',
    flags: { userMode: 'user', uid: '2001', gid: '2002' },
    check: (cfg) => {
      const pp = cfg.services.photoprism;
      expect(pp.user).toBe('2001:2002');
      expect(pp.environment.PHOTOPRISM_UID).toBeUndefined();
      expect(pp.security_opt ?? []).not.toContain('no-new-privileges:true');
    },
  },
  {
    name: 'import path',
    flags: { importPath: './import' },
    check: (cfg, dir) => {
      expect(cfg.services.photoprism.volumes).toEqual(
        expect.arrayContaining([expect.objectContaining({ type: 'bind', source: path.join(dir, 'import'), target: '/photoprism/import' })]),
      );
    },
  },
  {
    name: 'relative originals path with a space',
    flags: { originalsPath: './My Photos' },
    check: (cfg, dir) => {
      expect(cfg.services.photoprism.volumes).toEqual(
        expect.arrayContaining([expect.objectContaining({ source: path.join(dir, 'My Photos'), target: '/photoprism/originals' })]),
      );
    },
  },
  {
    name: 'absolute originals path with a space and a $ (Compose interpolation must not touch it)',
    flags: { originalsPath: '@ABS@/Family Photos $HOME' },
    check: (cfg) => {
      // `config` prints a re-usable compose file, so a literal $ comes back escaped as $$; an unescaped
      // $HOME in the generated file would have been replaced by the home folder instead
      expect(cfg.services.photoprism.volumes).toEqual(
        expect.arrayContaining([expect.objectContaining({ source: path.join(tmpRoot, 'Family Photos $$HOME'), target: '/photoprism/originals' })]),
      );
    },
  },
  {
    name: 'everything at once (intel, proxy, import, uid 2050, init actions)',
    flags: {
      transcoding: 'intel',
      behindProxy: true,
      importPath: './import',
      originalsPath: './originals dir',
      uid: '2050',
      gid: '2050',
      initActions: 'update,intel,clitools',
    },
    facts: { renderNodes: [RENDER_NODE] },
    check: (cfg) => {
      expect(cfg.services.photoprism.environment.PHOTOPRISM_INIT).toBe('update intel clitools');
      expect(cfg.services.photoprism.environment.PHOTOPRISM_UID).toBe('2050');
    },
  },
];

function compose(dir: string, args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  const env: NodeJS.ProcessEnv = {};
  for (const [k, v] of Object.entries(process.env)) if (!/^(COMPOSE_|DOCKER_)/.test(k)) env[k] = v;
  return new Promise((resolve) => {
    execFile(
      COMPOSE.bin!,
      ['-f', path.join(dir, 'docker-compose.yml'), ...args],
      { cwd: dir, env, timeout: 60000, maxBuffer: 16 * 1024 * 1024 },
      (err, stdout, stderr) => {
        const code = err ? (typeof (err as { code?: unknown }).code === 'number' ? ((err as { code: number }).code) : 1) : 0;
        resolve({ code, stdout: String(stdout), stderr: String(stderr) });
      },
    );
  });
}

composeDescribe(`generated compose files pass "docker-compose config" (${COMPOSE.why})`, () => {
  beforeAll(async () => {
    tmpRoot = await fsp.mkdtemp(path.join(os.tmpdir(), 'pph-compose-'));
  });
  afterAll(async () => {
    if (tmpRoot) await fsp.rm(tmpRoot, { recursive: true, force: true });
  });

  test.each(VARIANTS.map((v, i) => [v.name, v, i] as const))('%s', async (_name, v, i) => {
    const dir = path.join(tmpRoot, `install-${i}`);
    const flags: Partial<Record<Key, unknown>> = {};
    for (const [k, val] of Object.entries(v.flags)) flags[k as Key] = typeof val === 'string' ? val.replace('@ABS@', tmpRoot) : val;
    const out = new Sink();
    const err = new Sink();
    const code = await runInit({
      dir,
      yes: true,
      dryRun: false,
      // (absolute originals folders outside the installation are created on the user's say-so)
      createFolders: true,
      flags,
      version: '0.0.0-test',
      env: { HOME: tmpRoot },
      out: new Output(out, err),
      probe: new FixtureHost({ ...BASE_FACTS, ...v.facts }),
      stdinIsTTY: false,
    });
    expect({ code, stderr: err.text }).toEqual({ code: 0, stderr: '' });

    const options = parseYaml(await fsp.readFile(path.join(dir, 'storage/config/options.yml'), 'utf8')) as Record<string, string>;
    const secrets = [
      options.AdminPassword!,
      options.DatabasePassword!,
      await fsp.readFile(path.join(dir, '.secrets/db_pwd.txt'), 'utf8'),
      await fsp.readFile(path.join(dir, '.secrets/db_root_pwd.txt'), 'utf8'),
    ];

    const q = await compose(dir, ['config', '-q']);
    expect(q).toEqual({ code: 0, stdout: '', stderr: '' });

    const j = await compose(dir, ['config', '--format', 'json']);
    expect({ code: j.code, stderr: j.stderr }).toEqual({ code: 0, stderr: '' });
    const cfg = JSON.parse(j.stdout) as Record<string, any>;

    // MariaDB: never published, passwords only through secret files
    const db = cfg.services.mariadb;
    expect(db.ports).toBeUndefined();
    expect(db.secrets.map((s: { source: string }) => s.source).sort()).toEqual(['DB_PWD', 'DB_ROOT_PWD']);
    expect(db.environment.MARIADB_PASSWORD_FILE).toBe('/run/secrets/DB_PWD');
    expect(db.environment.MARIADB_ROOT_PASSWORD_FILE).toBe('/run/secrets/DB_ROOT_PWD');
    expect(Object.keys(db.environment).filter((k) => /PASSWORD/.test(k) && !k.endsWith('_FILE'))).toEqual([]);
    expect(cfg.secrets.DB_PWD.file).toBe(path.join(dir, '.secrets/db_pwd.txt'));
    expect(cfg.secrets.DB_ROOT_PWD.file).toBe(path.join(dir, '.secrets/db_root_pwd.txt'));

    // PhotoPrism: no password variable at all, storage bind-mounted from the install dir
    const pp = cfg.services.photoprism;
    expect(Object.keys(pp.environment).filter((k) => /PASSWORD/i.test(k))).toEqual([]);
    expect(pp.volumes).toEqual(expect.arrayContaining([expect.objectContaining({ type: 'bind', source: path.join(dir, 'storage'), target: '/photoprism/storage' })]));
    expect(pp.depends_on.mariadb.condition).toBe('service_healthy');

    // no password anywhere in the resolved configuration
    for (const s of secrets) {
      expect(s.length).toBeGreaterThanOrEqual(8);
      expect(j.stdout).not.toContain(s);
    }

    v.check?.(cfg, dir);
  });
});
