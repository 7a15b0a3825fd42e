// The built CLI, spawned as a user would run it: stdin is never a TTY, host facts come from a fixture
// (injected by the test-only entry test/helpers/cli-entry.ts), so results do not depend on this machine.
// Every run's stdout+stderr is kept; the last test scans all of it for every password seen.

import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import { createHash } from 'node:crypto';
import { promises as fsp, readFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parse as parseYaml } from 'yaml';
import { SECRET_ENV } from './fixtures/unit-fakes.js';
import { FIXTURES, REPO_ROOT, assertBuilt, describeRun, runCli, runs, runsContaining, type RunResult } from './helpers/spawn.js';

const IS_ROOT = process.getuid?.() === 0;

let tmpRoot = '';
let seq = 0;
const newDir = (label: string) => path.join(tmpRoot, `${String(++seq).padStart(2, '0')}-${label}`);

/** Every password any test supplied or found in written files: none may appear in any output. */
const knownSecrets = new Map<string, string>();
function remember(label: string, value: unknown): void {
  if (typeof value === 'string' && value.length >= 8) knownSecrets.set(value, label);
}

beforeAll(async () => {
  assertBuilt();
  tmpRoot = await fsp.mkdtemp(path.join(os.tmpdir(), 'pph-cli-'));
});

afterAll(async () => {
  if (tmpRoot) await fsp.rm(tmpRoot, { recursive: true, force: true });
});

// ---------------------------------------------------------------------------------------------
// helpers

const exists = async (p: string) =>
  fsp.lstat(p).then(
    () => true,
    () => false,
  );

interface Installed {
  compose: Record<string, any>;
  composeText: string;
  options: Record<string, unknown>;
  optionsText: string;
  dbPwd: Buffer;
  dbRootPwd: Buffer;
}

/** Read what an install dir holds and remember its passwords for the secret scan. */
async function readInstall(dir: string, label: string): Promise<Installed> {
  const composeText = await fsp.readFile(path.join(dir, 'docker-compose.yml'), 'utf8');
  const optionsText = await fsp.readFile(path.join(dir, 'storage/config/options.yml'), 'utf8');
  const dbPwd = await fsp.readFile(path.join(dir, '.secrets/db_pwd.txt'));
  const dbRootPwd = await fsp.readFile(path.join(dir, '.secrets/db_root_pwd.txt'));
  const options = parseYaml(optionsText) as Record<string, unknown>;
  remember(`${label}: AdminPassword`, options.AdminPassword);
  remember(`${label}: DatabasePassword`, options.DatabasePassword);
  remember(`${label}: db_pwd.txt`, dbPwd.toString('utf8'));
  remember(`${label}: db_root_pwd.txt`, dbRootPwd.toString('utf8'));
  return { compose: parseYaml(composeText) as Record<string, any>, composeText, options, optionsText, dbPwd, dbRootPwd };
}

/** Every path under `root` with type, mode, owner, mtime and content hash. */
async function snapshot(root: string): Promise<string[]> {
  const out: string[] = [];
  async function walk(p: string, rel: string): Promise<void> {
    const s = await fsp.lstat(p);
    const hash = s.isFile() ? createHash('sha256').update(await fsp.readFile(p)).digest('hex') : s.isSymbolicLink() ? await fsp.readlink(p) : '';
    out.push(`${rel || '.'} ${(s.mode & 0o7777).toString(8)} ${s.uid}:${s.gid} ${s.mtimeMs} ${hash}`);
    if (s.isDirectory()) for (const n of (await fsp.readdir(p)).sort()) await walk(path.join(p, n), rel ? `${rel}/${n}` : n);
  }
  await walk(root, '');
  return out;
}

function expectExit(r: RunResult, code: number): void {
  if (r.timedOut || r.code !== code) throw new Error(`expected exit ${code}\n${describeRun(r)}`);
}

function photoprismEnv(i: Installed): Record<string, string> {
  return i.compose.services.photoprism.environment as Record<string, string>;
}

// ---------------------------------------------------------------------------------------------

describe('init --yes', () => {
  let dir = '';
  let first: RunResult;
  let inst: Installed;

  beforeAll(async () => {
    dir = newDir('yes');
    first = await runCli(['init', '--yes', '--dir', dir]);
    expectExit(first, 0);
    inst = await readInstall(dir, 'init --yes');
  });

  test('exits 0 and writes docker-compose.yml, options.yml and .secrets/*', async () => {
    expect(first.stderr).toBe('');
    for (const rel of ['docker-compose.yml', 'storage/config/options.yml', '.secrets/db_pwd.txt', '.secrets/db_root_pwd.txt', '.gitignore']) {
      expect(await exists(path.join(dir, rel))).toBe(true);
    }
    // (the five files plus .photoprism-harden/state.json, which remembers the originals folder it created)
    expect(first.stdout).toMatch(/Done: 6 file\(s\) written/);
    // init audits what it wrote and prints the one-line summary
    expect(first.stdout).toMatch(/^audit: PASS - 0 errors, \d+ warnings?, \d+ info \(\d+ rules checked\)$/m);
  });

  test('generated passwords: admin 24, database 40 characters; options.yml and the secret file agree', () => {
    expect(inst.options.AdminPassword).toMatch(/^[A-Za-z0-9]{24}$/);
    expect(inst.options.DatabasePassword).toMatch(/^[A-Za-z0-9]{40}$/);
    expect(inst.dbPwd.toString()).toBe(inst.options.DatabasePassword);
    expect(inst.dbRootPwd.toString()).toMatch(/^[A-Za-z0-9]{40}$/);
    expect(inst.dbRootPwd.toString()).not.toBe(inst.dbPwd.toString());
  });

  test('defaults: a free uid/gid (2000), software transcoding, no password in the compose file', () => {
    const env = photoprismEnv(inst);
    expect(env.PHOTOPRISM_UID).toBe('2000');
    expect(env.PHOTOPRISM_GID).toBe('2000');
    expect(inst.options.FFmpegEncoder).toBe('software');
    expect(Object.keys(env).filter((k) => /PASSWORD/i.test(k))).toEqual([]);
    for (const s of [inst.options.AdminPassword as string, inst.dbPwd.toString(), inst.dbRootPwd.toString()]) {
      expect(inst.composeText).not.toContain(s);
    }
  });

  test('a second run keeps every secret byte-identical and changes nothing', async () => {
    const before = await snapshot(dir);
    const again = await runCli(['init', '--yes', '--dir', dir]);
    expectExit(again, 0);
    expect(again.stdout).toMatch(/Nothing to change/);
    expect(await snapshot(dir)).toEqual(before);
    const now = await readInstall(dir, 'second run');
    expect(now.dbPwd.equals(inst.dbPwd)).toBe(true);
    expect(now.dbRootPwd.equals(inst.dbRootPwd)).toBe(true);
    expect(now.options.AdminPassword).toBe(inst.options.AdminPassword);
  });

  test('a second run with another port rewrites the compose file (with a backup) and still keeps the secrets', async () => {
    const again = await runCli(['init', '--yes', '--dir', dir, '--http-port', '2500']);
    expectExit(again, 0);
    const now = await readInstall(dir, 'second run, port 2500');
    expect(now.compose.services.photoprism.ports).toEqual(['2500:2342']);
    expect(now.dbPwd.equals(inst.dbPwd)).toBe(true);
    expect(now.dbRootPwd.equals(inst.dbRootPwd)).toBe(true);
    expect(now.options.AdminPassword).toBe(inst.options.AdminPassword);
    expect(now.options.DatabasePassword).toBe(inst.options.DatabasePassword);
    // the change is shown as a diff
    expect(again.stdout).toContain('Changes (secrets masked):');
    expect(again.stdout).toContain('--- a/docker-compose.yml\n+++ b/docker-compose.yml');
    expect(again.stdout).toMatch(/^- {6}- "2342:2342"$/m);
    expect(again.stdout).toMatch(/^\+ {6}- "2500:2342"$/m);
    // backups: .photoprism-harden/backups/<stamp>/<relative path>, nothing beside the files
    expect((await fsp.readdir(dir)).filter((n) => n.includes('.bak'))).toEqual([]);
    const runsDir = path.join(dir, '.photoprism-harden/backups');
    const backupRuns = await fsp.readdir(runsDir);
    expect(backupRuns).toHaveLength(1);
    expect(backupRuns[0]).toMatch(/^\d{8}-\d{6}$/);
    const bak = path.join(runsDir, backupRuns[0]!, 'docker-compose.yml');
    expect(await fsp.readFile(bak, 'utf8')).toBe(inst.composeText);
    expect(again.stdout).toContain(`Backups of replaced files: .photoprism-harden/backups/${backupRuns[0]}/docker-compose.yml`);
    if (IS_ROOT) expect((await fsp.stat(path.join(runsDir, backupRuns[0]!))).mode & 0o777).toBe(0o700);
  });
});

describe('non-interactive without --yes / --answers', () => {
  test('stdin not a TTY: exits 2 at once, names --yes and --answers, writes nothing', async () => {
    const dir = newDir('no-tty');
    // stdin is an open pipe: a run that tried to prompt would hang until the timeout
    const r = await runCli(['init', '--dir', dir], { stdin: 'open-pipe', timeoutMs: 15000 });
    expect(r.timedOut).toBe(false);
    expectExit(r, 2);
    expect(r.stderr).toMatch(/--yes/);
    expect(r.stderr).toMatch(/--answers/);
    expect(r.stdout).toBe('');
    expect(await exists(dir)).toBe(false);
  });

  test('stdin /dev/null: same', async () => {
    const dir = newDir('no-tty-null');
    const r = await runCli(['init', '--dir', dir], { stdin: 'ignore' });
    expectExit(r, 2);
    expect(r.stderr).toMatch(/--yes.*--answers|--answers.*--yes/s);
    expect(await exists(dir)).toBe(false);
  });
});

describe('--answers FILE', () => {
  const file = path.join(FIXTURES, 'cli-answers-valid.yml');
  const given = parseYaml(readFileSync(file, 'utf8')) as Record<string, any>;
  let dir = '';
  let run: RunResult;
  let inst: Installed;

  beforeAll(async () => {
    remember('answers file: adminPassword', given.adminPassword);
    remember('answers file: databasePassword', given.databasePassword);
    remember('answers file: databaseRootPassword', given.databaseRootPassword);
    dir = newDir('answers');
    run = await runCli(['init', '--answers', file, '--dir', dir], { fakeHost: 'cli-host-devices.json' });
    expectExit(run, 0);
    inst = await readInstall(dir, 'answers file');
  });

  test('uid/gid land in the compose file and in the owners of storage and options.yml', async () => {
    const env = photoprismEnv(inst);
    expect(env.PHOTOPRISM_UID).toBe('2050');
    expect(env.PHOTOPRISM_GID).toBe('2060');
    if (IS_ROOT) {
      for (const rel of ['storage', 'storage/config', 'storage/config/options.yml']) {
        const s = await fsp.stat(path.join(dir, rel));
        expect({ rel, uid: s.uid, gid: s.gid }).toEqual({ rel, uid: 2050, gid: 2060 });
      }
    }
  });

  test('transcoding, init actions, site URL, proxy port, import folder and admin user land', () => {
    const env = photoprismEnv(inst);
    expect(inst.options.FFmpegEncoder).toBe('intel');
    expect(inst.compose.services.photoprism.devices).toEqual(['/dev/dri:/dev/dri']);
    expect(env.PHOTOPRISM_INIT).toBe('update intel');
    expect(inst.options.SiteUrl).toBe('https://photos.example.com/pp/');
    expect(inst.options.DisableTLS).toBe(true);
    expect(inst.compose.services.photoprism.ports).toEqual(['127.0.0.1:2400:2342']);
    expect(inst.options.AdminUser).toBe('alice.admin');
    const targets = (inst.compose.services.photoprism.volumes as { target: string; source: string }[]).map((v) => `${v.source}:${v.target}`);
    expect(targets).toEqual(expect.arrayContaining(['./originals:/photoprism/originals', './import:/photoprism/import']));
  });

  test('passwords round-trip exactly into options.yml and the secret files', () => {
    expect(inst.options.AdminPassword).toBe(given.adminPassword);
    expect(inst.options.DatabasePassword).toBe(given.databasePassword);
    expect(inst.dbPwd.equals(Buffer.from(given.databasePassword, 'utf8'))).toBe(true);
    expect(inst.dbRootPwd.equals(Buffer.from(given.databaseRootPassword, 'utf8'))).toBe(true);
  });

  test('the summary says where the passwords came from, never what they are', () => {
    expect(run.stdout).toMatch(/Admin password\s+from answers file \(\d+ characters, hidden\)/);
  });

  test('running the same answers file again keeps everything', async () => {
    const before = await snapshot(dir);
    const again = await runCli(['init', '--answers', file, '--dir', dir], { fakeHost: 'cli-host-devices.json' });
    expectExit(again, 0);
    expect(await snapshot(dir)).toEqual(before);
  });
});

describe('invalid answers files: exit 2, the field and its allowed values named, nothing written', () => {
  const cases: { file: string; host?: string; expect: RegExp[] }[] = [
    { file: 'cli-answers-bad-unknown-key.yml', expect: [/unknown key "originalPath"/, /allowed keys: .*originalsPath/] },
    { file: 'cli-answers-bad-uid.yml', expect: [/uid 1500/, /allowed: 0, 33, 50-99, 500-600, 900-1250, 2000-2100/] },
    { file: 'cli-answers-bad-init-actions.yml', expect: [/initActions/, /"foo"/, /allowed: update, https, tensorflow/] },
    { file: 'cli-answers-bad-transcoding.yml', expect: [/transcoding/, /"avc"/, /software, intel, vaapi, nvidia, raspberry/] },
    { file: 'cli-answers-bad-ffmpeg-intel.yml', host: 'cli-host-devices.json', expect: [/initActions/, /"ffmpeg"/, /"intel"/, /"software"/] },
    { file: 'cli-answers-bad-password-brace.yml', expect: [/adminPassword/, /must not contain "\$\{"/] },
    { file: 'cli-answers-bad-password-short.yml', expect: [/databasePassword/, /8-72 characters/, /it has 7/] },
  ];

  let existing = '';
  beforeAll(async () => {
    existing = newDir('bad-existing');
    expectExit(await runCli(['init', '--yes', '--dir', existing]), 0);
    await readInstall(existing, 'bad answers target');
  });

  test.each(cases)('$file', async (c) => {
    const text = readFileSync(path.join(FIXTURES, c.file), 'utf8');
    const values = (parseYaml(text) ?? {}) as Record<string, unknown>;
    for (const k of ['adminPassword', 'databasePassword', 'databaseRootPassword']) remember(`${c.file}: ${k}`, values[k]);

    const fresh = newDir('bad-fresh');
    const r = await runCli(['init', '--answers', path.join(FIXTURES, c.file), '--dir', fresh], { fakeHost: c.host });
    expectExit(r, 2);
    expect(r.stderr).toMatch(/invalid input, nothing was written/);
    for (const re of c.expect) expect(r.stderr).toMatch(re);
    expect(await exists(fresh)).toBe(false);

    // the same file against an existing installation changes nothing there either
    const before = await snapshot(existing);
    const r2 = await runCli(['init', '--answers', path.join(FIXTURES, c.file), '--dir', existing], { fakeHost: c.host });
    expectExit(r2, 2);
    expect(await snapshot(existing)).toEqual(before);
  });

  test.each(['cli-answers-bad-yaml-duplicate.yml', 'cli-answers-bad-yaml-quote.yml'])(
    'not valid YAML (%s): exit 2, nothing written, and the error does not echo the password line',
    async (name) => {
      const file = path.join(FIXTURES, name);
      const pw = /Password: "([^"\n]+)/.exec(readFileSync(file, 'utf8'))![1]!;
      remember(`${name}: password`, pw);
      const fresh = newDir('bad-yaml');
      const r = await runCli(['init', '--answers', file, '--dir', fresh]);
      expectExit(r, 2);
      expect(r.stderr).toMatch(/not valid YAML/);
      expect(await exists(fresh)).toBe(false);
      expect(r.stderr).not.toContain(pw);
    },
  );
});

describe('--dry-run', () => {
  test('exits 0, writes nothing, prints every file with secrets masked', async () => {
    const dir = newDir('dry');
    const pw = { admin: 'DryRunAdminPass-1', db: 'DryRunDbPass-22222222', root: 'DryRunRootPass-33333333' };
    for (const [k, v] of Object.entries(pw)) remember(`dry run env ${k}`, v);
    const r = await runCli(['init', '--yes', '--dry-run', '--dir', dir], {
      env: { [SECRET_ENV.admin]: pw.admin, [SECRET_ENV.db]: pw.db, [SECRET_ENV.root]: pw.root },
    });
    expectExit(r, 0);
    expect(await exists(dir)).toBe(false);
    expect(r.stdout).toMatch(/Dry run: nothing was written/);
    // every new file in full, with its mode
    for (const [f, mode] of [
      ['docker-compose.yml', '0644'],
      ['storage/config/options.yml', '0600'],
      ['.secrets/db_pwd.txt', '0600'],
      ['.secrets/db_root_pwd.txt', '0600'],
      ['.gitignore', '0644'],
    ]) {
      expect(r.stdout).toContain(`--- ${f} (new, mode ${mode}) ---`);
    }
    // nothing exists yet, so there is nothing to diff
    expect(r.stdout).not.toContain('Changes (secrets masked):');
    // the audit of what would be written comes before the final line
    expect(r.stdout).toMatch(/^audit: PASS - 0 errors/m);
    expect(r.stdout).toContain('services:');
    expect(r.stdout).toContain('AdminPassword: "********"');
    expect(r.stdout).toContain('DatabasePassword: "********"');
    expect(r.stdout).toMatch(/<secret: 21 characters, hidden>/);
    for (const v of Object.values(pw)) expect(r.stdout + r.stderr).not.toContain(v);
  });

  test('on an existing installation: shows updates, writes nothing', async () => {
    const dir = newDir('dry-existing');
    expectExit(await runCli(['init', '--yes', '--dir', dir]), 0);
    await readInstall(dir, 'dry-run existing');
    const before = await snapshot(dir);
    const r = await runCli(['init', '--yes', '--dry-run', '--dir', dir, '--http-port', '8080']);
    expectExit(r, 0);
    // updated files are shown as diffs, not in full
    expect(r.stdout).toContain('Changes (secrets masked):');
    expect(r.stdout).toContain('--- a/docker-compose.yml\n+++ b/docker-compose.yml');
    expect(r.stdout).toMatch(/^- {6}- "2342:2342"$/m);
    expect(r.stdout).toMatch(/^\+ {6}- "8080:2342"$/m);
    expect(r.stdout).toContain('--- a/storage/config/options.yml');
    expect(r.stdout).not.toMatch(/--- \S+ \(new, mode/);
    // secrets stay masked in the diff of options.yml
    expect(r.stdout).not.toMatch(/(Admin|Database)Password: "(?!\*{8}")/);
    expect(r.stdout).toMatch(/Dry run: nothing was written/);
    expect(await snapshot(dir)).toEqual(before);
  });
});

describe('environment presets for passwords', () => {
  test('PHOTOPRISM_HARDEN_{ADMIN,DATABASE,DATABASE_ROOT}_PASSWORD are used verbatim', async () => {
    const dir = newDir('env');
    const pw = { admin: 'EnvAdmin "pw" #1 ü', db: "EnvDb$pw'2-0123456789", root: 'EnvRoot pw 3 9876543210' };
    for (const [k, v] of Object.entries(pw)) remember(`env preset ${k}`, v);
    const r = await runCli(['init', '--yes', '--dir', dir], {
      env: { [SECRET_ENV.admin]: pw.admin, [SECRET_ENV.db]: pw.db, [SECRET_ENV.root]: pw.root },
    });
    expectExit(r, 0);
    expect(r.stdout).toMatch(/Admin password\s+from environment/);
    const inst = await readInstall(dir, 'env presets');
    expect(inst.options.AdminPassword).toBe(pw.admin);
    expect(inst.options.DatabasePassword).toBe(pw.db);
    expect(inst.dbPwd.toString('utf8')).toBe(pw.db);
    expect(inst.dbRootPwd.toString('utf8')).toBe(pw.root);
  });

  test('an invalid preset is refused with exit 2, naming the variable', async () => {
    const dir = newDir('env-bad');
    const r = await runCli(['init', '--yes', '--dir', dir], { env: { [SECRET_ENV.admin]: 'short' } });
    expectExit(r, 2);
    expect(r.stderr).toMatch(/PHOTOPRISM_HARDEN_ADMIN_PASSWORD: adminPassword must be 8-72 characters/);
    expect(await exists(dir)).toBe(false);
  });
});

describe('transcoding that needs a device the host does not have', () => {
  test.each([
    ['vaapi', '/dev/dri'],
    ['intel', '/dev/dri'],
    ['raspberry', '/dev/video11'],
  ])('--transcoding %s without %s: exit 2 naming the transcoding and the device, no override offered, nothing written', async (t, dev) => {
    const dir = newDir(`no-device-${t}`);
    const r = await runCli(['init', '--yes', '--dir', dir, '--transcoding', t]);
    expectExit(r, 2);
    expect(r.stderr).toContain(`transcoding "${t}" needs ${dev}`);
    expect(r.stderr).not.toMatch(/gid \d+ cannot open/);
    expect(r.stderr).not.toMatch(/--allow-unsafe/);
    expect(await exists(dir)).toBe(false);
  });

  test('with the device present, vaapi is accepted', async () => {
    const dir = newDir('device-vaapi');
    const r = await runCli(['init', '--yes', '--dry-run', '--dir', dir, '--transcoding', 'vaapi'], { fakeHost: 'cli-host-devices.json' });
    expectExit(r, 0);
  });
});

describe('uid of a regular host account', () => {
  test('refused with exit 2, naming the account and the override', async () => {
    const dir = newDir('host-account');
    const r = await runCli(['init', '--yes', '--dir', dir, '--uid', '1000']);
    expectExit(r, 2);
    expect(r.stderr).toMatch(/uid 1000 belongs to the regular host account "alice"/);
    expect(r.stderr).toMatch(/--allow-unsafe host-account/);
    expect(await exists(dir)).toBe(false);
  });

  test('allowed with --allow-unsafe host-account, and the accepted risk is stated', async () => {
    const dir = newDir('host-account-ok');
    const r = await runCli(['init', '--yes', '--dir', dir, '--uid', '1000', '--allow-unsafe', 'host-account']);
    expectExit(r, 0);
    expect(r.stdout).toMatch(/accepted risk "host-account"/);
    const inst = await readInstall(dir, 'host-account');
    expect(photoprismEnv(inst).PHOTOPRISM_UID).toBe('1000');
  });

  test('the default uid avoids the fake account (uidMin 1000, alice 1000)', async () => {
    const r = await runCli(['init', '--yes', '--dry-run', '--dir', newDir('default-uid')]);
    expectExit(r, 0);
    expect(r.stdout).toMatch(/^\s+UID\s+2000$/m);
  });
});

describe('command line', () => {
  test('unknown option: exit 2', async () => {
    const dir = newDir('unknown-option');
    const r = await runCli(['init', '--yes', '--dir', dir, '--no-such-option']);
    expectExit(r, 2);
    expect(r.stderr).toMatch(/unknown option '--no-such-option'/i);
    expect(await exists(dir)).toBe(false);
    expectExit(await runCli(['--no-such-option']), 2);
  });

  test('passwords are not accepted as flags (exit 2)', async () => {
    const r = await runCli(['init', '--yes', '--dir', newDir('pw-flag'), '--admin-password', 'FlagPassword-123']);
    expectExit(r, 2);
  });

  test('--help and init --help exit 0', async () => {
    const top = await runCli(['--help']);
    expectExit(top, 0);
    expect(top.stdout).toMatch(/Usage: photoprism-harden/);
    expect(top.stdout).toMatch(/init/);
    const init = await runCli(['init', '--help']);
    expectExit(init, 0);
    expect(init.stdout).toMatch(/--answers <file>/);
    expect(init.stdout).toMatch(/PHOTOPRISM_HARDEN_ADMIN_PASSWORD/);
  });

  test('--version exits 0 and prints the package version', async () => {
    const pkg = JSON.parse(readFileSync(path.join(REPO_ROOT, 'package.json'), 'utf8')) as { version: string };
    for (const flag of ['--version', '-V']) {
      const r = await runCli([flag]);
      expectExit(r, 0);
      expect(r.stdout.trim()).toBe(pkg.version);
    }
  });

  test('schema prints a JSON Schema with additionalProperties false', async () => {
    const r = await runCli(['schema']);
    expectExit(r, 0);
    const schema = JSON.parse(r.stdout) as Record<string, any>;
    expect(schema.type).toBe('object');
    expect(schema.additionalProperties).toBe(false);
    expect(Object.keys(schema.properties)).toEqual(
      expect.arrayContaining(['uid', 'gid', 'transcoding', 'initActions', 'siteUrl', 'adminPassword', 'allowUnsafe']),
    );
    expect(schema.properties.transcoding.enum).toEqual(['software', 'intel', 'vaapi', 'nvidia', 'raspberry']);
  });
});

describe('re-running on existing installations', () => {
  test('keys in options.yml that the tool does not manage (e.g. added by the web UI) are kept', async () => {
    const dir = newDir('options-merge');
    expectExit(await runCli(['init', '--yes', '--dir', dir]), 0);
    await readInstall(dir, 'options merge');
    const p = path.join(dir, 'storage/config/options.yml');
    await fsp.appendFile(p, 'DisablePlaces: true\nWakeupInterval: 900\n');
    const r = await runCli(['init', '--yes', '--dir', dir]);
    expectExit(r, 0);
    const data = parseYaml(await fsp.readFile(p, 'utf8')) as Record<string, unknown>;
    expect(data.DisablePlaces).toBe(true);
    expect(data.WakeupInterval).toBe(900);
  });

  test('an existing secret file that ends with a newline (made with echo) is kept, not refused', async () => {
    const dir = newDir('secret-newline');
    await fsp.mkdir(path.join(dir, '.secrets'), { recursive: true, mode: 0o700 });
    const pw = 'EchoMadeDbPassword-0123';
    remember('echo-made secret', pw);
    await fsp.writeFile(path.join(dir, '.secrets/db_pwd.txt'), `${pw}\n`, { mode: 0o600 });
    const r = await runCli(['init', '--yes', '--dir', dir]);
    expectExit(r, 0);
    const inst = await readInstall(dir, 'echo-made secret');
    expect(inst.options.DatabasePassword).toBe(pw);
    expect(inst.dbPwd.toString('utf8').replace(/\n$/, '')).toBe(pw);
  });
});

// Keep this last: it scans the output of every run above.
describe('secret scan', () => {
  test('no supplied or generated password appears in any output of any run', () => {
    expect(runs.length).toBeGreaterThan(0);
    expect(knownSecrets.size).toBeGreaterThan(0);
    const leaks: string[] = [];
    for (const [secret, label] of knownSecrets) {
      for (const r of runsContaining(secret)) {
        leaks.push(`${label} (${secret.length} chars) printed by: photoprism-harden ${r.args.join(' ')}`);
      }
    }
    expect(leaks).toEqual([]);
  });
});
