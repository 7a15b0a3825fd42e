// "Regenerate safely": run init again on an existing installation and lose nothing.
// Most cases call runInit in-process (fast) with a fake host and an Output writing to a buffer; the
// exit-code cases and the interrupted write spawn the built CLI (run `npx tsc -p tsconfig.json` first).

import { afterAll, beforeAll, describe, expect, jest, test } from '@jest/globals';
import { spawnSync } from 'node:child_process';
import fs, { existsSync, promises as fsp } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseDocument } from 'yaml';
import { BACKUP_DIR, KEEP_BACKUPS, writeFileAtomic } from '../src/apply.js';
import { UsageError } from '../src/errors.js';
import { type HostFacts } from '../src/host.js';
import { FixtureHost } from './helpers/fixture-host.js';
import { packageVersion } from '../src/cli.js';
import { runInit } from '../src/init.js';
import { Output } from '../src/output.js';
import type { Prompter } from '../src/collect.js';
import { QUESTIONS, type Key } from '../src/questions.js';
import { Sink } from './helpers/sink.js';
import { cliWithHost } from './helpers/spawn.js';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const FIXTURES = path.join(ROOT, 'test', 'fixtures');
const HOST_FIXTURE = path.join(FIXTURES, 'regen-host.json');
const OFFICIAL = path.join(FIXTURES, 'regen-official', 'compose.yaml');
const COMPOSE_BIN = process.env.COMPOSE_BIN ?? '';
const VERSION = packageVersion(); // the same header as the spawned CLI writes
const FACTS = JSON.parse(fs.readFileSync(HOST_FIXTURE, 'utf8')) as Partial<HostFacts>;

let TMP: string;
let HOME: string;
beforeAll(async () => {
  TMP = await fsp.mkdtemp(path.join(os.tmpdir(), 'ppr-regen-'));
  HOME = path.join(TMP, 'home');
  await fsp.mkdir(HOME);
});
afterAll(async () => {
  await fsp.rm(TMP, { recursive: true, force: true });
});

let n = 0;
/** a fresh, not yet existing install directory */
const newDir = () => path.join(TMP, `i${++n}`);

interface RunResult {
  code: number;
  stdout: string;
  stderr: string;
}

/** runInit in-process as `init --yes`; a UsageError becomes exit code 2, as in the CLI */
async function init(
  dir: string,
  flags: Partial<Record<Key, unknown>> = {},
  o: { dryRun?: boolean; env?: NodeJS.ProcessEnv; replaceSecrets?: string[] } = {},
): Promise<RunResult> {
  const out = new Sink();
  const err = new Sink();
  try {
    const code = await runInit({
      dir,
      yes: true,
      dryRun: o.dryRun ?? false,
      flags,
      version: VERSION,
      env: { HOME, ...o.env },
      out: new Output(out, err),
      probe: new FixtureHost(FACTS),
      replaceSecrets: o.replaceSecrets,
    });
    return { code, stdout: out.text, stderr: err.text };
  } catch (e) {
    if (e instanceof UsageError) return { code: 2, stdout: out.text, stderr: e.problems.join('\n') };
    throw e;
  }
}

/** the built CLI, as a user runs it */
function cli(args: string[], env: NodeJS.ProcessEnv = {}, shellPrefix?: string): RunResult {
  const entry = cliWithHost(HOST_FIXTURE);
  const fullEnv = { PATH: process.env.PATH, HOME, COLUMNS: process.env.COLUMNS, ...entry.env, ...env };
  const r = shellPrefix
    ? spawnSync('bash', ['-c', `${shellPrefix}; exec "$0" "$@"`, process.execPath, entry.script, ...args], { env: fullEnv, encoding: 'utf8' })
    : spawnSync(process.execPath, [entry.script, ...args], { env: fullEnv, encoding: 'utf8' });
  return { code: r.status ?? -1, stdout: r.stdout, stderr: r.stderr };
}

interface Entry {
  kind: 'file' | 'dir' | 'link';
  mode: number;
  uid: number;
  gid: number;
  data?: string;
}

/** every path below dir with type, mode, owner and (files) bytes */
async function snapshot(dir: string): Promise<Record<string, Entry>> {
  const out: Record<string, Entry> = {};
  const walk = async (rel: string) => {
    const p = path.join(dir, rel);
    const st = await fsp.lstat(p);
    const base = { mode: st.mode & 0o7777, uid: st.uid, gid: st.gid };
    if (st.isSymbolicLink()) out[rel] = { kind: 'link', ...base, data: await fsp.readlink(p) };
    else if (st.isDirectory()) {
      out[rel] = { kind: 'dir', ...base };
      for (const name of (await fsp.readdir(p)).sort()) await walk(path.join(rel, name));
    } else out[rel] = { kind: 'file', ...base, data: (await fsp.readFile(p)).toString('base64') };
  };
  await walk('.');
  return out;
}

const read = (dir: string, rel: string) => fsp.readFile(path.join(dir, rel), 'utf8');
const yamlOf = async (dir: string, rel: string) => parseDocument(await read(dir, rel)).toJS() as Record<string, any>;
const exists = (dir: string, rel: string) => existsSync(path.join(dir, rel));
const backupRuns = async (dir: string) => ((await fsp.readdir(path.join(dir, BACKUP_DIR)).catch(() => [])) as string[]).sort();

async function secretsOf(dir: string, options = 'storage/config/options.yml') {
  const opts = await yamlOf(dir, options);
  return {
    dbFile: await read(dir, '.secrets/db_pwd.txt'),
    rootFile: await read(dir, '.secrets/db_root_pwd.txt'),
    admin: opts.AdminPassword as string,
    db: opts.DatabasePassword as string,
  };
}

/** the merged compose file still passes Compose's own validation (when a Compose v2 binary is there) */
function composeConfigOk(dir: string, file: string): void {
  if (!existsSync(COMPOSE_BIN)) return;
  const r = spawnSync(COMPOSE_BIN, ['-f', file, 'config', '-q'], { cwd: dir, env: { PATH: process.env.PATH, HOME }, encoding: 'utf8' });
  expect(r.stderr).toBe('');
  expect(r.status).toBe(0);
}

/** a first installation with default answers */
async function installed(flags: Partial<Record<Key, unknown>> = {}): Promise<string> {
  const dir = newDir();
  const r = await init(dir, flags);
  expect(r.code).toBe(0);
  return dir;
}

describe('idempotent', () => {
  test('a second run with the same answers changes no byte, makes no backup and says "Nothing to change"', async () => {
    const dir = await installed();
    const before = await snapshot(dir);
    const r = await init(dir);
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('Nothing to change');
    expect(r.stdout).not.toContain('Changes (secrets masked)');
    expect(await snapshot(dir)).toEqual(before);
    // (.photoprism-harden/ holds state.json, which remembers the originals folder the first run created)
    expect(exists(dir, '.photoprism-harden/backups')).toBe(false);
  });

  test('the same holds after a regeneration with other answers, and for the spawned CLI', async () => {
    const dir = await installed();
    expect((await init(dir, { uid: '2001', gid: '2001', transcoding: 'vaapi', behindProxy: true })).code).toBe(0);
    const before = await snapshot(dir);
    const runs = await backupRuns(dir);
    const r = cli(['init', '--yes', '--dir', dir]);
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('Nothing to change');
    expect(await snapshot(dir)).toEqual(before);
    expect(await backupRuns(dir)).toEqual(runs);
  });

  test('a content-only change does no ownership work (no lchown when owners are already right)', async () => {
    const dir = await installed();
    const lchown = jest.spyOn(fs.promises, 'lchown');
    try {
      const r = await init(dir, { transcoding: 'vaapi' });
      expect(r.code).toBe(0);
      expect(r.stdout).toMatch(/Done: 2 file\(s\) written/);
      expect(lchown).not.toHaveBeenCalled();
    } finally {
      lchown.mockRestore();
    }
  });
});

describe('previous answers are the defaults', () => {
  test('of the wizard: every question offers the installed value, and accepting them all changes nothing', async () => {
    const dir = await installed({ uid: '2005', gid: '2006', transcoding: 'vaapi', behindProxy: true, httpPort: '8443', adminUser: 'boss', siteUrl: 'https://p.example.net/' });
    const before = await snapshot(dir);
    const offered: Record<string, unknown> = {};
    const prompter: Prompter = {
      input: async (o) => ((offered[o.message] = o.default), o.default ?? ''),
      confirm: async (o) => ((offered[o.message] = o.default), o.default),
      select: async (o) => ((offered[o.message] = o.default), o.default),
      checkbox: async (o) => {
        const v = o.choices.filter((c) => c.checked).map((c) => c.value);
        offered[o.message] = v;
        return v;
      },
      password: async () => {
        throw new Error('no password may be asked: the existing ones are kept');
      },
      note: () => undefined,
    };
    const out = new Sink();
    const code = await runInit({
      dir,
      yes: false,
      dryRun: false,
      flags: {},
      version: VERSION,
      env: { HOME },
      out: new Output(out, out),
      probe: new FixtureHost(FACTS),
      prompter,
    });
    expect(code).toBe(0);
    const q = (key: Key) => QUESTIONS.find((x) => x.key === key)!.message;
    expect(offered[q('uid')]).toBe('2005');
    expect(offered[q('gid')]).toBe('2006');
    expect(offered[q('transcoding')]).toBe('vaapi');
    expect(offered[q('behindProxy')]).toBe(true);
    expect(offered[q('httpPort')]).toBe('8443');
    expect(offered[q('siteUrl')]).toBe('https://p.example.net/');
    expect(offered[q('adminUser')]).toBe('boss');
    expect(offered[q('initActions')]).toEqual(['update']);
    expect(out.text).toContain('Nothing to change');
    expect(await snapshot(dir)).toEqual(before);
  });
});

describe('secrets are kept byte for byte', () => {
  test('after ten regenerations with different non-secret answers', async () => {
    const dir = await installed();
    const first = await secretsOf(dir);
    expect(first.dbFile).toBe(first.db);
    const variations: Partial<Record<Key, unknown>>[] = [
      { uid: '2001', gid: '2001' },
      { transcoding: 'vaapi' },
      { behindProxy: true },
      { siteUrl: 'https://photos.example.com/' },
      { initActions: 'update,tensorflow,clitools' },
      { adminUser: 'boss' },
      { userMode: 'user' },
      { transcoding: 'nvidia', initActions: 'update,gpu' },
      { httpPort: '8080', behindProxy: false },
      { userMode: 'photoprism-uid', transcoding: 'software', uid: '2002', gid: '2002', adminUser: 'admin' },
    ];
    for (const flags of variations) {
      const r = await init(dir, flags);
      expect(r.code).toBe(0);
      expect(r.stdout).toContain('Done:'); // every one of them really rewrote something
      expect(await secretsOf(dir)).toEqual(first);
    }
    // and the answers did land
    const compose = await yamlOf(dir, 'docker-compose.yml');
    expect(compose.services.photoprism.environment.PHOTOPRISM_UID).toBe('2002');
    expect(compose.services.photoprism.ports).toEqual(['8080:2342']);
    expect((await yamlOf(dir, 'storage/config/options.yml')).SiteUrl).toBe('https://photos.example.com/');
  });

  test('a hand-written secret file ending in a newline is kept as it is (MariaDB drops the newline too)', async () => {
    const dir = await installed();
    const pwd = await read(dir, '.secrets/db_pwd.txt');
    await fsp.writeFile(path.join(dir, '.secrets/db_pwd.txt'), `${pwd}\n`);
    const r = await init(dir, { transcoding: 'vaapi' });
    expect(r.code).toBe(0);
    expect(await read(dir, '.secrets/db_pwd.txt')).toBe(`${pwd}\n`);
    expect((await yamlOf(dir, 'storage/config/options.yml')).DatabasePassword).toBe(pwd);
    expect((await init(dir)).stdout).toContain('Nothing to change');
  });
});

describe('user edits survive', () => {
  test('extra env var, service, volume and comments in the compose file and keys in options.yml; managed keys updated', async () => {
    const dir = await installed();
    const composePath = path.join(dir, 'docker-compose.yml');
    let compose = await read(dir, 'docker-compose.yml');
    compose = compose
      .replace('      PHOTOPRISM_DISABLE_CHOWN: "false"', '      PHOTOPRISM_SITE_TITLE: "Family Photos" # my own title\n      PHOTOPRISM_DISABLE_CHOWN: "false"')
      .replace('    working_dir: "/photoprism"', '    # my note: keep the working dir\n    working_dir: "/photoprism"')
      .replace(
        '        target: /photoprism/storage\n',
        '        target: /photoprism/storage\n      - "/mnt/archive:/photoprism/originals/archive:ro" # my archive\n',
      )
      .replace(
        '\n## "database" has no route out',
        '\n  # my reverse proxy\n  whoami:\n    image: traefik/whoami\n    volumes:\n      - cache:/cache\n\n## "database" has no route out',
      );
    compose += '\nvolumes:\n  cache: {} # named volume of my own\n';
    await fsp.writeFile(composePath, compose);
    // what the web UI does: changes a setting, adds one
    const optsPath = path.join(dir, 'storage/config/options.yml');
    let opts = await read(dir, 'storage/config/options.yml');
    expect(opts).toContain('DisableWebDAV: false\n');
    opts = opts.replace('DisableWebDAV: false\n', 'DisableWebDAV: true # turned off in Settings\n') + 'SiteTitle: "Mine"\n';
    await fsp.writeFile(optsPath, opts);

    const r = await init(dir, { uid: '2001', gid: '2001', transcoding: 'vaapi' });
    expect(r.code).toBe(0);

    const text = await read(dir, 'docker-compose.yml');
    for (const kept of ['# my own title', '# my note: keep the working dir', '# my archive', '# my reverse proxy', '# named volume of my own']) {
      expect(text).toContain(kept);
    }
    const c = await yamlOf(dir, 'docker-compose.yml');
    const pp = c.services.photoprism;
    expect(pp.environment.PHOTOPRISM_SITE_TITLE).toBe('Family Photos');
    expect(pp.environment.PHOTOPRISM_UID).toBe('2001');
    expect(pp.environment.PHOTOPRISM_GID).toBe('2001');
    expect(pp.devices).toEqual(['/dev/dri:/dev/dri']);
    expect(pp.volumes).toContain('/mnt/archive:/photoprism/originals/archive:ro');
    expect(c.services.whoami).toEqual({ image: 'traefik/whoami', volumes: ['cache:/cache'] });
    expect(c.volumes).toEqual({ cache: {} });
    expect(text).toContain('(owner 2001:2001, mode 0600)'); // our header follows the answers

    const o = await yamlOf(dir, 'storage/config/options.yml');
    expect(o.DisableWebDAV).toBe(true);
    expect(o.SiteTitle).toBe('Mine');
    expect(o.FFmpegEncoder).toBe('vaapi');
    const optsText = await read(dir, 'storage/config/options.yml');
    expect(optsText).toContain('# turned off in Settings');
    expect(optsText).toContain('after dropping to UID 2001 / GID 2001'); // header updated in place

    composeConfigOk(dir, 'docker-compose.yml');
    expect((await init(dir)).stdout).toContain('Nothing to change');
  });

  test('options.yml rewritten by the web UI (no comments, other quoting) keeps its keys and settles after one run', async () => {
    const dir = await installed();
    const optsPath = path.join(dir, 'storage/config/options.yml');
    const data = parseDocument(await read(dir, 'storage/config/options.yml')).toJS() as Record<string, unknown>;
    const { stringify } = await import('yaml');
    await fsp.writeFile(optsPath, stringify({ ...data, DisableWebDAV: true, SiteTitle: 'Mine' }), { mode: 0o600 });
    const before = await secretsOf(dir);

    expect((await init(dir, { transcoding: 'vaapi' })).code).toBe(0);
    const o = await yamlOf(dir, 'storage/config/options.yml');
    expect(o).toMatchObject({ DisableWebDAV: true, SiteTitle: 'Mine', FFmpegEncoder: 'vaapi' });
    expect(await secretsOf(dir)).toEqual(before);
    expect(await read(dir, 'storage/config/options.yml')).toMatch(/^# PhotoPrism options - written by photoprism-harden/);
    expect((await init(dir)).stdout).toContain('Nothing to change');
  });

  test('nvidia -> software removes the NVIDIA env and GPU reservation, keeps the user\'s deploy.resources.limits', async () => {
    const dir = await installed({ transcoding: 'nvidia' });
    let c = await yamlOf(dir, 'docker-compose.yml');
    expect(c.services.photoprism.environment.NVIDIA_VISIBLE_DEVICES).toBe('all');
    expect(c.services.photoprism.deploy.resources.reservations.devices[0].driver).toBe('nvidia');
    const composePath = path.join(dir, 'docker-compose.yml');
    const text = await read(dir, 'docker-compose.yml');
    expect(text).toContain('      resources:\n        reservations:');
    await fsp.writeFile(composePath, text.replace('      resources:\n        reservations:', '      resources:\n        limits:\n          memory: 4g # mine\n        reservations:'));

    expect((await init(dir, { transcoding: 'software' })).code).toBe(0);
    c = await yamlOf(dir, 'docker-compose.yml');
    const pp = c.services.photoprism;
    expect(pp.environment).not.toHaveProperty('NVIDIA_VISIBLE_DEVICES');
    expect(pp.environment).not.toHaveProperty('NVIDIA_DRIVER_CAPABILITIES');
    // (PhotoPrism's PID limit moves beside the user's limits: Compose refuses pids_limit next to them)
    expect(pp.deploy).toEqual({ resources: { limits: { memory: '4g', pids: 1024 } } });
    expect(pp).not.toHaveProperty('pids_limit');
    expect(await read(dir, 'docker-compose.yml')).toContain('# mine');
    expect(pp.environment.PHOTOPRISM_INIT).toBe('update'); // "gpu" was only nvidia's default
    expect((await yamlOf(dir, 'storage/config/options.yml')).FFmpegEncoder).toBe('software');
    composeConfigOk(dir, 'docker-compose.yml');

    // and without a limit of the user's, the whole deploy block goes
    const dir2 = await installed({ transcoding: 'nvidia' });
    expect((await init(dir2, { transcoding: 'software' })).code).toBe(0);
    expect((await yamlOf(dir2, 'docker-compose.yml')).services.photoprism).not.toHaveProperty('deploy');
  });

  test('userMode photoprism-uid <-> user swaps `user:` and PHOTOPRISM_UID/GID, never both', async () => {
    const dir = await installed({ uid: '2005', gid: '2006' });
    const check = async (mode: 'user' | 'photoprism-uid') => {
      const pp = (await yamlOf(dir, 'docker-compose.yml')).services.photoprism;
      if (mode === 'user') {
        expect(pp.user).toBe('2005:2006');
        expect(pp.environment).not.toHaveProperty('PHOTOPRISM_UID');
        expect(pp.environment).not.toHaveProperty('PHOTOPRISM_GID');
        expect(pp).not.toHaveProperty('security_opt'); // no-new-privileges would break sudo inside
      } else {
        expect(pp).not.toHaveProperty('user');
        expect(pp.environment.PHOTOPRISM_UID).toBe('2005');
        expect(pp.environment.PHOTOPRISM_GID).toBe('2006');
        expect(pp.security_opt).toEqual(['no-new-privileges:true']);
      }
    };
    await check('photoprism-uid');
    expect((await init(dir, { userMode: 'user' })).code).toBe(0);
    await check('user');
    // the previous mode is the default now
    expect((await init(dir)).stdout).toContain('Nothing to change');
    expect((await init(dir, { userMode: 'photoprism-uid' })).code).toBe(0);
    await check('photoprism-uid');
    expect((await init(dir, { userMode: 'user' })).code).toBe(0);
    await check('user');
  });

  test('derived answers follow a change of what they derive from, unless chosen by hand', async () => {
    const dir = await installed();
    expect((await init(dir, { httpPort: '8080', uid: '2010' })).code).toBe(0);
    let o = await yamlOf(dir, 'storage/config/options.yml');
    let pp = (await yamlOf(dir, 'docker-compose.yml')).services.photoprism;
    expect(o.SiteUrl).toBe('http://localhost:8080/');
    expect(pp.environment.PHOTOPRISM_GID).toBe('2010');
    // a GID and a site URL chosen by hand stay when the UID or port changes
    expect((await init(dir, { gid: '2011', siteUrl: 'https://pics.example.org/' })).code).toBe(0);
    expect((await init(dir, { uid: '2012', httpPort: '8081' })).code).toBe(0);
    o = await yamlOf(dir, 'storage/config/options.yml');
    pp = (await yamlOf(dir, 'docker-compose.yml')).services.photoprism;
    expect(pp.environment.PHOTOPRISM_UID).toBe('2012');
    expect(pp.environment.PHOTOPRISM_GID).toBe('2011');
    expect(o.SiteUrl).toBe('https://pics.example.org/');
  });
});

describe('existing layouts', () => {
  test('legacy storage/settings/: options are written where PhotoPrism reads them, and the output says so', async () => {
    const dir = newDir();
    await fsp.mkdir(path.join(dir, 'storage/settings'), { recursive: true });
    await fsp.writeFile(path.join(dir, 'storage/settings/settings.yml'), 'UI:\n  Theme: default\n');
    const r = await init(dir);
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('storage/settings/ exists (legacy layout)');
    expect(r.stdout).toMatch(/written\s+to\s+storage\/settings\/options\.yml/);
    expect(exists(dir, 'storage/settings/options.yml')).toBe(true);
    expect(exists(dir, 'storage/config/options.yml')).toBe(false);
    expect(await read(dir, 'storage/settings/options.yml')).toContain('PhotoPrism reads this file (storage/settings/options.yml)');
    const st = await fsp.stat(path.join(dir, 'storage/settings/options.yml'));
    expect([st.mode & 0o777, st.uid, st.gid]).toEqual([0o600, 2000, 2000]);
    const s = await secretsOf(dir, 'storage/settings/options.yml');
    expect(s.db).toBe(s.dbFile);
    expect((await init(dir)).stdout).toContain('Nothing to change');
  });

  test('storage/settings/ appearing next to an existing storage/config/options.yml: secrets and keys are carried over', async () => {
    const dir = await installed();
    await fsp.appendFile(path.join(dir, 'storage/config/options.yml'), 'SiteTitle: "Mine"\n');
    const configBytes = await read(dir, 'storage/config/options.yml');
    const before = await secretsOf(dir);
    await fsp.mkdir(path.join(dir, 'storage/settings'));
    const r = await init(dir);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/starting\s+from\s+storage\/config\/options\.yml/);
    expect(await secretsOf(dir, 'storage/settings/options.yml')).toEqual(before);
    expect((await yamlOf(dir, 'storage/settings/options.yml')).SiteTitle).toBe('Mine');
    expect(await read(dir, 'storage/config/options.yml')).toBe(configBytes);
  });

  test.each(['compose.yaml', 'compose.yml', 'docker-compose.yaml', 'docker-compose.yml'])(
    'an existing %s is updated in place; no docker-compose.yml is created next to it',
    async (name) => {
      const dir = await installed();
      if (name !== 'docker-compose.yml') await fsp.rename(path.join(dir, 'docker-compose.yml'), path.join(dir, name));
      const r = await init(dir, { uid: '2001', gid: '2001' });
      expect(r.code).toBe(0);
      expect(r.stdout).toContain(`--- a/${name}`);
      const names = (await fsp.readdir(dir)).filter((f) => /compose\.ya?ml$/.test(f));
      expect(names).toEqual([name]);
      expect((await yamlOf(dir, name)).services.photoprism.environment.PHOTOPRISM_UID).toBe('2001');
      expect(exists(dir, `${BACKUP_DIR}/${(await backupRuns(dir))[0]}/${name}`)).toBe(true);
      expect((await init(dir)).stdout).toContain('Nothing to change');
    },
  );

  test('two compose files: the first in Compose\'s order is used, the other left alone, with a warning', async () => {
    const dir = await installed();
    await fsp.copyFile(path.join(dir, 'docker-compose.yml'), path.join(dir, 'compose.yml'));
    const other = await read(dir, 'docker-compose.yml');
    const r = await init(dir, { uid: '2001', gid: '2001' });
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/several compose files exist \(compose\.yml, docker-compose\.yml\); Compose uses\s+compose\.yml/);
    expect((await yamlOf(dir, 'compose.yml')).services.photoprism.environment.PHOTOPRISM_UID).toBe('2001');
    expect(await read(dir, 'docker-compose.yml')).toBe(other);
  });

  test('options.yaml is kept as .yaml (and ignored by git)', async () => {
    const dir = await installed();
    await fsp.rename(path.join(dir, 'storage/config/options.yml'), path.join(dir, 'storage/config/options.yaml'));
    const before = await secretsOf(dir, 'storage/config/options.yaml');
    const r = await init(dir, { transcoding: 'vaapi' });
    expect(r.code).toBe(0);
    expect(exists(dir, 'storage/config/options.yml')).toBe(false);
    expect((await yamlOf(dir, 'storage/config/options.yaml')).FFmpegEncoder).toBe('vaapi');
    expect(await secretsOf(dir, 'storage/config/options.yaml')).toEqual(before);
    expect(r.stdout).toContain('grep AdminPassword storage/config/options.yaml');
    expect((await read(dir, '.gitignore')).split('\n')).toContain('storage/config/options.yaml');
    expect((await init(dir)).stdout).toContain('Nothing to change');
  });

  test('PhotoPrism\'s official example: env passwords become the secret files and options exactly, watchtower stays', async () => {
    const dir = newDir();
    await fsp.mkdir(dir);
    await fsp.copyFile(OFFICIAL, path.join(dir, 'compose.yaml'));
    // its ~/Pictures must exist: a folder outside the installation is never created unasked
    const refused = await init(dir);
    expect(refused.code).toBe(2);
    expect(refused.stderr).toMatch(/originalsPath: .*Pictures does not exist, and a folder outside the installation is never created without your say-so/);
    await fsp.mkdir(path.join(HOME, 'Pictures'), { recursive: true });
    const r = await init(dir);
    // adopted in place; the example's watchtower keeps the Docker socket, so init's audit fails until
    // that risk is accepted by name
    expect(r.code).toBe(1);
    expect(r.stdout).toContain('[docker-socket-mounted]');
    expect(r.stdout).not.toContain('insecure');
    expect(r.stdout).toContain('has passwords in its environment');
    expect(await secretsOf(dir)).toEqual({ dbFile: 'insecure', rootFile: 'insecure', admin: 'insecure', db: 'insecure' });

    const c = await yamlOf(dir, 'compose.yaml');
    const official = parseDocument(await fsp.readFile(OFFICIAL, 'utf8')).toJS() as Record<string, any>;
    expect(c.services.photoprism.environment).not.toHaveProperty('PHOTOPRISM_ADMIN_PASSWORD');
    expect(c.services.photoprism.environment).not.toHaveProperty('PHOTOPRISM_DATABASE_PASSWORD');
    expect(c.services.mariadb.environment).not.toHaveProperty('MARIADB_PASSWORD');
    expect(c.services.mariadb.environment).not.toHaveProperty('MARIADB_ROOT_PASSWORD');
    expect(c.services.mariadb.environment.MARIADB_PASSWORD_FILE).toBe('/run/secrets/DB_PWD');
    expect(c.services.watchtower).toEqual(official.services.watchtower);
    expect(JSON.stringify(c)).not.toContain('insecure');
    // previous answers read from the example
    // the data mounts, ports and every other key stay as the example wrote them
    expect(c.services.photoprism.volumes).toEqual(official.services.photoprism.volumes);
    expect(c.services.mariadb.volumes).toEqual(official.services.mariadb.volumes);
    expect(c.services.photoprism.ports).toEqual(official.services.photoprism.ports);
    expect(c.services.photoprism.environment.PHOTOPRISM_ADMIN_USER).toBe('admin');
    expect(exists(dir, 'docker-compose.yml')).toBe(false);
    composeConfigOk(dir, 'compose.yaml');
    const again = await init(dir);
    expect(again.stdout).toContain('Nothing to change');
    expect(again.code).toBe(1);
    expect((await init(dir, { allowUnsafe: ['docker-socket-mounted', 'sensitive-host-mount'] })).code).toBe(0);
  });

  test('a database or storage folder kept elsewhere is refused (exit 2), nothing written', async () => {
    const dir = await installed();
    const composePath = path.join(dir, 'docker-compose.yml');
    await fsp.writeFile(composePath, (await read(dir, 'docker-compose.yml')).replace('source: ./database', 'source: /srv/mariadb'));
    const before = await snapshot(dir);
    const r = await init(dir, { uid: '2001', gid: '2001' });
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('services.mariadb mounts "/srv/mariadb" as /var/lib/mysql');
    expect(await snapshot(dir)).toEqual(before);
  });
});

describe('diffs and dry run', () => {
  test('the diff shows changes but never a secret, including env passwords shorter than 8 and replaced ones', async () => {
    const dir = newDir();
    await fsp.mkdir(dir);
    const official = (await fsp.readFile(OFFICIAL, 'utf8'))
      .replace(/PHOTOPRISM_DATABASE_PASSWORD: "insecure"/, 'PHOTOPRISM_DATABASE_PASSWORD: "s3cr3t"')
      .replace(/MARIADB_PASSWORD: "insecure"/, 'MARIADB_PASSWORD: "s3cr3t"')
      .replace(/MARIADB_ROOT_PASSWORD: "insecure"/, 'MARIADB_ROOT_PASSWORD: "r00tpw"');
    await fsp.writeFile(path.join(dir, 'docker-compose.yml'), official);
    const dry = await init(dir, {}, { dryRun: true });
    // (exit 1 like the real run would: the official file keeps risks the audit reports until accepted)
    expect(dry.code).toBe(1);
    expect(dry.stdout).toContain('-      MARIADB_PASSWORD: "********"');
    expect((await init(dir, { allowUnsafe: ['docker-socket-mounted', 'sensitive-host-mount'] }, { dryRun: true })).code).toBe(0);
    for (const s of ['s3cr3t', 'r00tpw', 'insecure']) expect(dry.stdout).not.toContain(s);
    const r = await init(dir, { allowUnsafe: ['docker-socket-mounted', 'sensitive-host-mount'] });
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    for (const s of ['s3cr3t', 'r00tpw', 'insecure']) expect(r.stdout + r.stderr).not.toContain(s);
    expect(await read(dir, '.secrets/db_pwd.txt')).toBe('s3cr3t');

    const oldDb = await read(dir, '.secrets/db_pwd.txt');
    const changed = await init(dir, { uid: '2001', gid: '2001', adminUser: 'boss' }, { env: { PHOTOPRISM_HARDEN_DATABASE_PASSWORD: 'BrandNewPassword123' }, replaceSecrets: ['databasePassword'] });
    expect(changed.code).toBe(0);
    expect(changed.stdout).toContain('+AdminUser: "boss"');
    // masked values look alike, so the secret file's diff and the summary tell that it changes
    expect(changed.stdout).toContain('Database password          from environment (19 characters, hidden)');
    expect(changed.stdout).toContain('-<secret: 6 characters, hidden>');
    expect(changed.stdout).toContain('+<secret: 19 characters, hidden>');
    for (const s of [oldDb, 'BrandNewPassword123', 'r00tpw', 'insecure']) expect(changed.stdout + changed.stderr).not.toContain(s);
  });

  test('--dry-run on an existing installation shows the diff and writes nothing', async () => {
    const dir = await installed();
    const before = await snapshot(dir);
    const r = await init(dir, { uid: '2001', gid: '2001', transcoding: 'vaapi' }, { dryRun: true });
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('--- a/docker-compose.yml');
    expect(r.stdout).toContain('+      PHOTOPRISM_UID: "2001"');
    expect(r.stdout).toContain('+FFmpegEncoder: "vaapi"');
    expect(r.stdout).toContain('Dry run: nothing was written.');
    const secrets = await secretsOf(dir);
    for (const s of Object.values(secrets)) expect(r.stdout).not.toContain(s);
    expect(await snapshot(dir)).toEqual(before);
    // the spawned CLI too
    const c = cli(['init', '--yes', '--dry-run', '--dir', dir, '--uid', '2001', '--gid', '2001']);
    expect(c.code).toBe(0);
    expect(c.stdout).toContain('+      PHOTOPRISM_UID: "2001"');
    expect(await snapshot(dir)).toEqual(before);
  });
});

describe('backups', () => {
  test('a replaced options.yml is backed up with mode 0600 and the uid:gid owner', async () => {
    const dir = await installed();
    const old = await read(dir, 'storage/config/options.yml');
    const r = await init(dir, { adminUser: 'boss' });
    expect(r.code).toBe(0);
    const [run] = await backupRuns(dir);
    const b = path.join(dir, BACKUP_DIR, run!, 'storage/config/options.yml');
    const st = await fsp.stat(b);
    expect([st.mode & 0o777, st.uid, st.gid]).toEqual([0o600, 2000, 2000]);
    expect(await fsp.readFile(b, 'utf8')).toBe(old);
    expect(r.stdout).toMatch(new RegExp(`Backups of replaced files: .*${BACKUP_DIR}/${run}/storage/config/options\\.yml`));
    for (const p of [BACKUP_DIR, `${BACKUP_DIR}/${run}`, `${BACKUP_DIR}/${run}/storage`]) {
      expect((await fsp.stat(path.join(dir, p))).mode & 0o777).toBe(0o700);
    }
  });

  test(`at most ${KEEP_BACKUPS} backup runs are kept; runs in the same second do not overwrite each other`, async () => {
    const dir = await installed();
    for (const u of ['u1', 'u2', 'u3', 'u4', 'u5', 'u6', 'u7']) expect((await init(dir, { adminUser: u })).code).toBe(0);
    const runs = await backupRuns(dir);
    expect(runs).toHaveLength(KEEP_BACKUPS);
    // the kept ones are the newest (runs 3-7), each holding the file as it was before its run
    const kept = await Promise.all(
      runs.map((r) => fsp.readFile(path.join(dir, BACKUP_DIR, r, 'storage/config/options.yml'), 'utf8')),
    );
    const byUser = kept.map((t) => /AdminUser: "([^"]+)"/.exec(t)![1]).sort();
    expect(byUser).toEqual(['u2', 'u3', 'u4', 'u5', 'u6']);
  });
});

describe('secret mismatches and replacement', () => {
  test('DatabasePassword in options.yml differing from .secrets/db_pwd.txt: exit 2, names the file the database uses, changes nothing', async () => {
    const dir = await installed();
    const optsPath = path.join(dir, 'storage/config/options.yml');
    const opts = await read(dir, 'storage/config/options.yml');
    await fsp.writeFile(optsPath, opts.replace(/DatabasePassword: "[^"]+"/, 'DatabasePassword: "SomethingElse123"'));
    await fsp.mkdir(path.join(dir, 'database/mysql'));
    const before = await snapshot(dir);
    const r = cli(['init', '--yes', '--dir', dir, '--uid', '2001', '--gid', '2001']);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('DatabasePassword in storage/config/options.yml differs from .secrets/db_pwd.txt');
    expect(r.stderr).toContain('The database most likely uses .secrets/db_pwd.txt');
    expect(r.stderr).toContain('Nothing was changed');
    expect(r.stderr + r.stdout).not.toContain('SomethingElse123');
    expect(await snapshot(dir)).toEqual(before);

    await fsp.rmdir(path.join(dir, 'database/mysql'));
    const r2 = cli(['init', '--yes', '--dir', dir]);
    expect(r2.code).toBe(2);
    expect(r2.stderr).toContain('not initialised yet');
  });

  test('--replace-secrets databasePassword replaces it (old one in the backups, ALTER USER advice); without it a different one is refused', async () => {
    const dir = await installed();
    await fsp.mkdir(path.join(dir, 'database/mysql'));
    const old = await secretsOf(dir);
    const NEW = 'ReplacedPassword4567';

    const refused = cli(['init', '--yes', '--dir', dir], { PHOTOPRISM_HARDEN_DATABASE_PASSWORD: NEW });
    expect(refused.code).toBe(2);
    expect(refused.stderr).toContain('an existing secret is never replaced');
    expect(await secretsOf(dir)).toEqual(old);

    const r = cli(['init', '--yes', '--dir', dir, '--replace-secrets', 'databasePassword'], { PHOTOPRISM_HARDEN_DATABASE_PASSWORD: NEW });
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('databasePassword is REPLACED');
    expect(r.stdout).toContain('ALTER USER');
    expect(r.stdout).not.toContain(NEW);
    expect(r.stdout).not.toContain(old.dbFile);
    expect(await secretsOf(dir)).toEqual({ ...old, dbFile: NEW, db: NEW });
    const [run] = await backupRuns(dir);
    const b = path.join(dir, BACKUP_DIR, run!, '.secrets/db_pwd.txt');
    expect(await fsp.readFile(b, 'utf8')).toBe(old.dbFile);
    const st = await fsp.stat(b);
    expect([st.mode & 0o777, st.uid]).toEqual([0o600, 0]);
    expect(cli(['init', '--yes', '--dir', dir]).stdout).toContain('Nothing to change');
  });
});

describe('an interrupted write leaves the old file intact', () => {
  // Real interruption: the file size limit (ulimit -f, RLIMIT_FSIZE) makes write(2) fail with EFBIG
  // part-way through the new content (Node ignores SIGXFSZ). The small old compose file and its backup
  // fit under the limit; the merged one (about 5 KiB) does not.
  test('EFBIG half-way through the new compose file: every file keeps its old bytes (none is renamed before all are complete), no temp file left, exit 1', async () => {
    const dir = await installed();
    await fsp.copyFile(path.join(FIXTURES, 'regen-small-compose.yml'), path.join(dir, 'docker-compose.yml'));
    const before = await snapshot(dir);
    expect(Buffer.byteLength(before['docker-compose.yml']!.data!, 'base64')).toBeLessThan(4096);
    const r = cli(['init', '--yes', '--dir', dir, '--transcoding', 'vaapi'], {}, 'ulimit -f 4');
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/EFBIG|too large/i);
    const after = await snapshot(dir);
    expect(after['docker-compose.yml']).toEqual(before['docker-compose.yml']);
    expect(after['storage/config/options.yml']).toEqual(before['storage/config/options.yml']);
    expect(Object.keys(after).filter((p) => p.endsWith('.tmp'))).toEqual([]);
    // the backup made before the failed write holds the old bytes
    const [run] = await backupRuns(dir);
    expect(await fsp.readFile(path.join(dir, BACKUP_DIR, run!, 'docker-compose.yml'), 'base64')).toBe(before['docker-compose.yml']!.data);
    // and the next run (without the limit) completes
    expect(cli(['init', '--yes', '--dir', dir, '--transcoding', 'vaapi']).code).toBe(0);
  });

  test('a failing final rename (simulated on fs.promises) keeps the old file and removes the temp file', async () => {
    const dir = path.join(TMP, 'atomic');
    await fsp.mkdir(dir);
    const target = path.join(dir, 'options.yml');
    await fsp.writeFile(target, 'old: true\n', { mode: 0o600 });
    const rename = jest.spyOn(fs.promises, 'rename').mockRejectedValueOnce(Object.assign(new Error('EIO: simulated'), { code: 'EIO' }));
    try {
      await expect(writeFileAtomic(target, 'new: true\n', 0o600, null)).rejects.toThrow('EIO');
    } finally {
      rename.mockRestore();
    }
    expect(await fsp.readFile(target, 'utf8')).toBe('old: true\n');
    expect(await fsp.readdir(dir)).toEqual(['options.yml']);
    await writeFileAtomic(target, 'new: true\n', 0o600, null);
    expect(await fsp.readFile(target, 'utf8')).toBe('new: true\n');
  });
});
