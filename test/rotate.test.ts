import { afterEach, beforeEach, describe, expect, test } from '@jest/globals';
import { promises as fsp } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Output } from '../src/output.js';
import { runRotate, stagedNew, stagedOld, newPasswords, type RotateOptions } from '../src/rotate/index.js';
import { JOURNAL, optionOf, withOption } from '../src/rotate/files.js';
import { CLIENT_SCRIPT, alterSql, clientInput, optionValue, sqlString } from '../src/rotate/mariadb.js';
import { childEnv } from '../src/rotate/exec.js';
import { lostSecretAdvice } from '../src/rotate/lost.js';
import { fakeRunning, type FakeState } from './helpers/fake-running.js';

const DB = 'Old-Db-Pw-4f9c1e7a2b33';
const ROOT = 'Old-Root-Pw-9e8d7c6b5a11';
const ADMIN = 'Old-Admin-Pw-1a2b3c4d';

const COMPOSE = `services:
  photoprism:
    image: photoprism/photoprism:250426
    environment:
      PHOTOPRISM_UID: "2000"
      PHOTOPRISM_GID: "2000"
    volumes:
      - "./storage:/photoprism/storage"
  mariadb:
    image: mariadb:11
    environment:
      MARIADB_DATABASE: "photoprism"
      MARIADB_USER: "photoprism"
      MARIADB_PASSWORD_FILE: "/run/secrets/DB_PWD"
      MARIADB_ROOT_PASSWORD_FILE: "/run/secrets/DB_ROOT_PWD"
    secrets: [DB_PWD, DB_ROOT_PWD]
    volumes:
      - "./database:/var/lib/mysql"
secrets:
  DB_PWD:
    file: ./.secrets/db_pwd.txt
  DB_ROOT_PWD:
    file: ./.secrets/db_root_pwd.txt
`;

const OPTIONS = `# PhotoPrism options
AdminUser: "admin"
AdminPassword: "${ADMIN}" # keep this comment
DatabaseServer: "mariadb:3306"
DatabaseUser: "photoprism"
DatabasePassword: "${DB}"
SiteUrl: "http://localhost:2342/"
`;

let dir: string;
let state: FakeState;

async function install(): Promise<string> {
  const d = await fsp.mkdtemp(path.join(os.tmpdir(), 'phh-rotate-'));
  await fsp.writeFile(path.join(d, 'docker-compose.yml'), COMPOSE);
  await fsp.mkdir(path.join(d, '.secrets'), { mode: 0o700 });
  await fsp.writeFile(path.join(d, '.secrets/db_pwd.txt'), DB, { mode: 0o600 });
  await fsp.writeFile(path.join(d, '.secrets/db_root_pwd.txt'), `${ROOT}\n`, { mode: 0o600 });
  await fsp.mkdir(path.join(d, 'storage/config'), { recursive: true });
  await fsp.writeFile(path.join(d, 'storage/config/options.yml'), OPTIONS, { mode: 0o600 });
  await fsp.chown(path.join(d, 'storage/config/options.yml'), 2000, 2000);
  await fsp.mkdir(path.join(d, 'database/mysql'), { recursive: true });
  return d;
}

function freshState(): FakeState {
  return {
    accounts: new Map([
      ['root@localhost', ROOT],
      ['root@%', ROOT],
      ['photoprism@%', DB],
    ]),
    admin: { user: 'admin', password: ADMIN },
    running: new Set(['mariadb', 'photoprism']),
    dir,
    restarts: [],
    alters: 0,
    argv: [],
    stdinSeen: [],
  };
}

interface Captured {
  out: string;
  err: string;
}
function output(): { o: Output; c: Captured } {
  const c: Captured = { out: '', err: '' };
  const o = new Output({ write: (s) => ((c.out += s), true) }, { write: (s) => ((c.err += s), true) });
  return { o, c };
}

const read = (rel: string) => fsp.readFile(path.join(dir, rel), 'utf8');
const exists = (rel: string) => fsp.lstat(path.join(dir, rel)).then(() => true, () => false);

function opts(extra: Partial<RotateOptions>): RotateOptions {
  return { dir, targets: [], access: fakeRunning(state), env: { PATH: '/usr/bin:/bin', HOME: '/root' }, pollMs: 1, timeoutMs: 2000, ...extra };
}

function noSecretInArgv(secrets: string[]) {
  for (const argv of state.argv) for (const a of argv) for (const s of secrets) expect(a).not.toContain(s);
}

beforeEach(async () => {
  dir = await install();
  state = freshState();
});
afterEach(async () => {
  await fsp.rm(dir, { recursive: true, force: true });
});

describe('rotate --database', () => {
  test('changes the running database first, then the files, restarts PhotoPrism; the new login works, the old fails', async () => {
    const { o, c } = output();
    const NEW = 'New-Db-Password-0123456789abcdef';
    expect(await runRotate(opts({ targets: ['database'], passwords: { database: NEW }, out: o }))).toBe(0);
    expect(state.accounts.get('photoprism@%')).toBe(NEW);
    expect(await read('.secrets/db_pwd.txt')).toBe(NEW);
    const opt = await read('storage/config/options.yml');
    expect(optionOf(opt, 'DatabasePassword')).toBe(NEW);
    // only that value changed: the comment and every other line stay
    expect(opt).toBe(OPTIONS.replace(`DatabasePassword: "${DB}"`, `DatabasePassword: "${NEW}"`));
    const st = await fsp.stat(path.join(dir, 'storage/config/options.yml'));
    expect([st.uid, st.gid, st.mode & 0o777]).toEqual([2000, 2000, 0o600]);
    expect((await fsp.stat(path.join(dir, '.secrets/db_pwd.txt'))).mode & 0o777).toBe(0o600);
    expect(state.restarts).toEqual(['photoprism']);
    // root untouched
    expect(state.accounts.get('root@%')).toBe(ROOT);
    // nothing staged or journaled is left
    expect(await exists(stagedOld('database'))).toBe(false);
    expect(await exists(stagedNew('database'))).toBe(false);
    expect(await exists(JOURNAL)).toBe(false);
    noSecretInArgv([DB, NEW, ROOT]);
    for (const s of [DB, NEW, ROOT]) expect(c.out + c.err).not.toContain(s);
    // the root login went through stdin, in the option file part
    expect(state.stdinSeen.some((s) => s.includes(`password=${optionValue(ROOT)}`))).toBe(true);
  });

  test('a generated password is 40 characters of the safe alphabet', async () => {
    const { o } = output();
    await runRotate(opts({ targets: ['database'], out: o }));
    const v = await read('.secrets/db_pwd.txt');
    expect(v).toMatch(/^[A-Za-z0-9]{40}$/);
    expect(v).not.toBe(DB);
    expect(state.accounts.get('photoprism@%')).toBe(v);
  });

  test('ALTER USER failing changes no file and says so', async () => {
    state.failAlter = true;
    const { o, c } = output();
    await expect(runRotate(opts({ targets: ['database'], passwords: { database: 'New-Db-Password-0123456789' }, out: o }))).rejects.toThrow(/rolled back: the old password still works/);
    expect(await read('.secrets/db_pwd.txt')).toBe(DB);
    expect(optionOf(await read('storage/config/options.yml'), 'DatabasePassword')).toBe(DB);
    expect(state.accounts.get('photoprism@%')).toBe(DB);
    expect(c.err).toMatch(/rolled back/);
    expect(await exists(JOURNAL)).toBe(false);
  });

  test('an ALTER that does not take effect is caught by the login check and rolled back', async () => {
    state.ignoreAlter = true;
    const { o } = output();
    await expect(runRotate(opts({ targets: ['database'], passwords: { database: 'New-Db-Password-0123456789' }, out: o }))).rejects.toThrow(/new password does not work/);
    expect(await read('.secrets/db_pwd.txt')).toBe(DB);
  });

  test('a restart that fails after the swap puts the old password back in the database and the files', async () => {
    state.failRestart = true;
    const { o } = output();
    await expect(runRotate(opts({ targets: ['database'], passwords: { database: 'New-Db-Password-0123456789' }, out: o }))).rejects.toThrow(/rolled back/);
    expect(state.accounts.get('photoprism@%')).toBe(DB);
    expect(await read('.secrets/db_pwd.txt')).toBe(DB);
    expect(optionOf(await read('storage/config/options.yml'), 'DatabasePassword')).toBe(DB);
  });

  test('refuses when the files do not match the running database (nothing changed)', async () => {
    state.accounts.set('photoprism@%', 'something-else-entirely');
    const { o } = output();
    await expect(runRotate(opts({ targets: ['database'], out: o }))).rejects.toThrow(/does not accept the current/);
    expect(await read('.secrets/db_pwd.txt')).toBe(DB);
    expect(await exists(JOURNAL)).toBe(false);
  });

  test('refuses when the services are not running, unless --start', async () => {
    state.running.clear();
    const { o } = output();
    await expect(runRotate(opts({ targets: ['database'], out: o }))).rejects.toThrow(/not running.*--start/);
    expect(state.accounts.get('photoprism@%')).toBe(DB);
    expect(await runRotate(opts({ targets: ['database'], out: o, start: true }))).toBe(0);
    expect(state.argv.some((a) => a[0] === 'up')).toBe(true);
  });
});

describe('rotate --database-root and --admin', () => {
  test('root: every root account changes, the secret file follows, nothing restarts', async () => {
    const NEW = 'New-Root-Password-0123456789abc';
    const { o } = output();
    expect(await runRotate(opts({ targets: ['databaseRoot'], passwords: { databaseRoot: NEW }, out: o }))).toBe(0);
    expect(state.accounts.get('root@localhost')).toBe(NEW);
    expect(state.accounts.get('root@%')).toBe(NEW);
    expect(await read('.secrets/db_root_pwd.txt')).toBe(NEW);
    expect(state.restarts).toEqual([]);
    noSecretInArgv([ROOT, NEW]);
  });

  test('root and database together: root first, then the user with the new root password', async () => {
    const { o } = output();
    expect(await runRotate(opts({ targets: ['database', 'databaseRoot'], out: o }))).toBe(0);
    const root = await read('.secrets/db_root_pwd.txt');
    const db = await read('.secrets/db_pwd.txt');
    expect(state.accounts.get('root@localhost')).toBe(root);
    expect(state.accounts.get('photoprism@%')).toBe(db);
    expect(root).not.toBe(ROOT);
    expect(db).not.toBe(DB);
  });

  test('admin: photoprism passwd gets the password on stdin (twice), as the PhotoPrism user; options.yml follows', async () => {
    const NEW = 'New-Admin-Pw-77';
    const { o } = output();
    expect(await runRotate(opts({ targets: ['admin'], passwords: { admin: NEW }, out: o }))).toBe(0);
    expect(state.admin.password).toBe(NEW);
    expect(optionOf(await read('storage/config/options.yml'), 'AdminPassword')).toBe(NEW);
    expect(await read('storage/config/options.yml')).toContain('# keep this comment');
    const passwd = state.argv.find((a) => a.includes('passwd'))!;
    expect(passwd).toEqual(['exec', '-T', '--user', '2000:2000', 'photoprism', 'photoprism', 'passwd', 'admin']);
    noSecretInArgv([ADMIN, NEW]);
  });

  test('admin: passwd failing leaves everything as it was', async () => {
    state.failPasswd = true;
    const { o } = output();
    await expect(runRotate(opts({ targets: ['admin'], passwords: { admin: 'New-Admin-Pw-77' }, out: o }))).rejects.toThrow(/rolled back/);
    expect(state.admin.password).toBe(ADMIN);
    expect(optionOf(await read('storage/config/options.yml'), 'AdminPassword')).toBe(ADMIN);
  });
});

describe('a rotation killed at each step is finished or undone by the next run', () => {
  const isLogin = (sub: string[], stdin: string) => sub[0] === 'exec' && stdin.includes('user=photoprism') && stdin.includes('CURRENT_USER');
  // where the first run stops for ever (as if killed: no rollback, no clean-up), and what the database then holds
  const KILLS: { at: string; when: (sub: string[], stdin: string) => boolean; after?: boolean; outcome: RegExp }[] = [
    { at: 'staged (checking the old password)', when: (sub, stdin) => isLogin(sub, stdin) && state.alters === 0, outcome: /rolled back/ },
    { at: 'changing (ALTER USER sent, no answer yet)', when: (sub, stdin) => stdin.includes('ALTER USER'), after: true, outcome: /completed/ },
    { at: 'changing (ALTER USER not yet applied)', when: (sub, stdin) => stdin.includes('ALTER USER'), outcome: /rolled back/ },
    { at: 'changed (checking the new password)', when: (sub, stdin) => isLogin(sub, stdin) && state.alters === 1, outcome: /completed/ },
    { at: 'swapped (restarting PhotoPrism)', when: (sub) => sub[0] === 'restart', outcome: /completed/ },
    { at: 'restarted (checking again)', when: (sub, stdin) => isLogin(sub, stdin) && state.restarts.length === 1, outcome: /completed/ },
  ];
  for (const k of KILLS) {
    test(`killed at ${k.at}: files and database agree afterwards`, async () => {
      const NEW = 'New-Db-Password-killed-0123456789';
      const { o } = output();
      let reached!: () => void;
      const hit = new Promise<void>((r) => (reached = r));
      state.hang = { when: k.when, after: k.after, reached: () => reached() };
      void runRotate(opts({ targets: ['database'], passwords: { database: NEW }, out: o }));
      await hit;
      expect(await exists(JOURNAL)).toBe(true);
      // the next run reconciles first, then does what it was asked
      const { o: o2, c: c2 } = output();
      const before = state.accounts.get('photoprism@%');
      expect(await runRotate(opts({ targets: ['databaseRoot'], out: o2 }))).toBe(0);
      expect(c2.out).toMatch(k.outcome);
      const db = state.accounts.get('photoprism@%');
      expect(db).toBe(before);
      expect(await read('.secrets/db_pwd.txt')).toBe(db);
      expect(optionOf(await read('storage/config/options.yml'), 'DatabasePassword')).toBe(db);
      expect(await exists(stagedNew('database'))).toBe(false);
      expect(await exists(JOURNAL)).toBe(false);
    });
  }

  test('staged files left with the database on neither value: error, nothing changed', async () => {
    await fsp.writeFile(path.join(dir, stagedOld('database')), 'aaaaaaaaaaaa', { mode: 0o600 });
    await fsp.writeFile(path.join(dir, stagedNew('database')), 'bbbbbbbbbbbb', { mode: 0o600 });
    state.accounts.set('photoprism@%', 'cccccccccccc');
    const { o } = output();
    await expect(runRotate(opts({ targets: ['database'], out: o }))).rejects.toThrow(/accepts none/);
    expect(await exists(stagedNew('database'))).toBe(true);
  });
});

describe('pieces', () => {
  test('SQL and option-file quoting', () => {
    expect(sqlString("a'b\\c")).toBe("'a\\'b\\\\c'");
    expect(optionValue('a"b\\c#d')).toBe('"a\\"b\\\\c#d"');
    expect(() => optionValue('a\nb')).toThrow();
    expect(alterSql('photoprism', ['%', 'localhost'], "p'w")).toContain("ALTER USER 'photoprism'@'%' IDENTIFIED BY 'p\\'w', 'photoprism'@'localhost' IDENTIFIED BY 'p\\'w';");
    const input = clientInput({ user: 'root', password: 'pw' }, 'SELECT 1;');
    expect(input).toBe('[client]\nuser=root\npassword="pw"\n[photoprism-harden-end]\nSELECT 1;\n');
    expect(CLIENT_SCRIPT).not.toMatch(/password/i);
  });

  test('withOption changes one scalar, appends a missing key, and reads back', () => {
    expect(withOption('A: "x" # c\nB: 1\n', 'A', 'y"z')).toBe('A: "y\\"z" # c\nB: 1\n');
    expect(withOption('B: 1', 'A', 'v')).toBe('B: 1\nA: "v"\n');
  });

  test('childEnv drops the password presets', () => {
    expect(childEnv({ PATH: '/bin', PHOTOPRISM_HARDEN_DATABASE_PASSWORD: 'x', PHOTOPRISM_HARDEN_ADMIN_PASSWORD: 'y', HOME: '/root' })).toEqual({ PATH: '/bin', HOME: '/root' });
  });

  test('given passwords are validated like init does; missing ones generated', () => {
    expect(() => newPasswords(['database'], { database: 'short' })).toThrow(/8-72/);
    expect(newPasswords(['admin'], {}).admin).toMatch(/^[A-Za-z0-9]{24}$/);
  });

  test('lost-secret advice names rotate or the reset procedure', () => {
    expect(lostSecretAdvice('databasePassword', true).join('\n')).toMatch(/rotate --database/);
    expect(lostSecretAdvice('databaseRootPassword', false).join('\n')).toMatch(/resetting-the-root-password.*\n.*skip-grant-tables/s);
  });
});
