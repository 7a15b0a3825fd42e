// applyPlan / writeFileAtomic against a real filesystem, as root: real owners and modes (fs.stat) and
// real access as the kernel decides it (setpriv + cat as another uid/gid).

import { afterAll, afterEach, beforeAll, describe, expect, jest, test } from '@jest/globals';
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import fs, { promises as fsp } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parse as parseYaml } from 'yaml';
import { ApplyError, BACKUP_DIR, applyPlan, writeFileAtomic } from '../src/apply.js';
import { buildPlan, type Plan } from '../src/plan.js';
import type { Answers } from '../src/questions.js';
import { readTargetState } from '../src/state.js';
import { aliceOnlyFacts, validAnswers } from './fixtures/unit-fakes.js';

const IS_ROOT = process.getuid?.() === 0;
const SKIP_REASON = 'SKIPPED: these tests chown files to other uids and check access with setpriv, which needs root (run as root, as CI does)';
if (!IS_ROOT) console.warn(`apply.test.ts: ${SKIP_REASON}`);
const rootDescribe = IS_ROOT ? describe : describe.skip;

// ---------------------------------------------------------------------------------------------
// fixtures

const FACTS = aliceOnlyFacts();

const PW = {
  admin: 'Adm1n-"quoted"-\'single\'-#: $x',
  db: 'DbPassw0rd-abcdefghijklmnop',
  root: 'R00tPassw0rd-qrstuvwxyz012345',
};

function answers(o: Partial<Answers> = {}): Answers {
  return validAnswers({ initActions: ['update'], adminPassword: PW.admin, databasePassword: PW.db, databaseRootPassword: PW.root, ...o });
}

async function planFor(dir: string, a: Answers = answers()): Promise<Plan> {
  const originals = path.resolve(dir, a.originalsPath);
  const imp = a.importPath ? path.resolve(dir, a.importPath) : null;
  const state = await readTargetState(dir, [originals, ...(imp ? [imp] : [])]);
  return buildPlan({
    answers: a,
    facts: FACTS,
    state,
    version: '0.0.0-test',
    regenerate: 'photoprism-harden init --yes',
    hostPaths: { originals, import: imp },
  });
}

let tmpRoot = '';
let seq = 0;
/** A fresh, not yet existing install dir path inside the (world-traversable) temp root. */
const newDir = (label: string) => path.join(tmpRoot, `${String(++seq).padStart(2, '0')}-${label}`);

beforeAll(async () => {
  if (!IS_ROOT) return;
  tmpRoot = await fsp.mkdtemp(path.join(os.tmpdir(), 'pph-apply-'));
  // other uids must be able to traverse down to the install dirs: only the modes under test decide access
  await fsp.chmod(tmpRoot, 0o755);
});

afterAll(async () => {
  if (tmpRoot) await fsp.rm(tmpRoot, { recursive: true, force: true });
});

// ---------------------------------------------------------------------------------------------
// helpers

interface StatLine {
  mode: number;
  uid: number;
  gid: number;
}
async function st(p: string): Promise<StatLine> {
  const s = await fsp.lstat(p);
  return { mode: s.mode & 0o7777, uid: s.uid, gid: s.gid };
}

/** Every path under `root` with type, mode, owner, mtime and content hash (or link target). */
async function snapshot(root: string): Promise<string[]> {
  const out: string[] = [];
  async function walk(p: string, rel: string): Promise<void> {
    let s: fs.Stats;
    try {
      s = await fsp.lstat(p);
    } catch {
      out.push(`${rel || '.'} (missing)`);
      return;
    }
    const type = s.isSymbolicLink() ? 'l' : s.isDirectory() ? 'd' : s.isFile() ? 'f' : '?';
    const extra = s.isSymbolicLink()
      ? `-> ${await fsp.readlink(p)}`
      : s.isFile()
        ? createHash('sha256').update(await fsp.readFile(p)).digest('hex')
        : '';
    out.push(`${rel || '.'} ${type} ${(s.mode & 0o7777).toString(8)} ${s.uid}:${s.gid} mtime=${s.mtimeMs} ${extra}`);
    if (s.isDirectory()) for (const name of (await fsp.readdir(p)).sort()) await walk(path.join(p, name), rel ? `${rel}/${name}` : name);
  }
  await walk(root, '');
  return out;
}

/** All paths under `root` whose name looks like a temp file of writeFileAtomic. */
async function tmpFiles(root: string): Promise<string[]> {
  const found: string[] = [];
  for (const e of await fsp.readdir(root, { recursive: true, withFileTypes: true })) {
    if (e.name.endsWith('.tmp')) found.push(path.join(e.parentPath, e.name));
  }
  return found;
}

const HAVE_SETPRIV = spawnSync('setpriv', ['--version'], { stdio: 'ignore' }).status === 0;

/** `cat FILE` as uid:gid with no supplementary groups: the kernel's verdict on read access. */
function catAs(uid: number, gid: number, file: string): { ok: boolean; stdout: string; stderr: string } {
  if (!HAVE_SETPRIV) throw new Error('setpriv (util-linux) is required for the access checks: apt-get install util-linux');
  const r = spawnSync('setpriv', [`--reuid=${uid}`, `--regid=${gid}`, '--clear-groups', 'cat', file], { encoding: 'utf8', timeout: 10000 });
  return { ok: r.status === 0, stdout: r.stdout, stderr: r.stderr };
}

// ---------------------------------------------------------------------------------------------

rootDescribe('applyPlan on a fresh directory', () => {
  let dir = '';
  let plan: Plan;
  let result: Awaited<ReturnType<typeof applyPlan>>;

  beforeAll(async () => {
    dir = newDir('fresh');
    plan = await planFor(dir);
    result = await applyPlan(plan);
  });

  test('creates every planned file and folder', () => {
    // (state.json remembers the originals folder this run creates, so it follows a later UID change)
    expect(result.written.sort()).toEqual(
      ['.gitignore', '.photoprism-harden/state.json', '.secrets/db_pwd.txt', '.secrets/db_root_pwd.txt', 'docker-compose.yml', 'storage/config/options.yml'].sort(),
    );
    expect(result.createdDirs).toEqual(expect.arrayContaining(['storage', 'storage/config', '.secrets', 'database']));
    expect(result.manual).toEqual([]); // root can chown: nothing left for the user
    expect(result.backups).toEqual([]);
  });

  test('storage/ and storage/config/ belong to uid:gid 2000:2000, mode 0750', async () => {
    expect(await st(path.join(dir, 'storage'))).toEqual({ mode: 0o750, uid: 2000, gid: 2000 });
    expect(await st(path.join(dir, 'storage/config'))).toEqual({ mode: 0o750, uid: 2000, gid: 2000 });
  });

  test('options.yml is 0600 2000:2000 and holds both passwords exactly', async () => {
    const p = path.join(dir, 'storage/config/options.yml');
    expect(await st(p)).toEqual({ mode: 0o600, uid: 2000, gid: 2000 });
    const data = parseYaml(await fsp.readFile(p, 'utf8')) as Record<string, unknown>;
    expect(data.AdminPassword).toBe(PW.admin);
    expect(data.DatabasePassword).toBe(PW.db);
  });

  test('.secrets/ is 0700 and its files 0600, owned by the invoking user (root)', async () => {
    expect(await st(path.join(dir, '.secrets'))).toEqual({ mode: 0o700, uid: 0, gid: 0 });
    expect(await st(path.join(dir, '.secrets/db_pwd.txt'))).toEqual({ mode: 0o600, uid: 0, gid: 0 });
    expect(await st(path.join(dir, '.secrets/db_root_pwd.txt'))).toEqual({ mode: 0o600, uid: 0, gid: 0 });
  });

  test('secret files hold exactly the password, without a trailing newline', async () => {
    const db = await fsp.readFile(path.join(dir, '.secrets/db_pwd.txt'));
    const root = await fsp.readFile(path.join(dir, '.secrets/db_root_pwd.txt'));
    expect(db.equals(Buffer.from(PW.db, 'utf8'))).toBe(true);
    expect(root.equals(Buffer.from(PW.root, 'utf8'))).toBe(true);
    expect(db.at(-1)).not.toBe(0x0a);
  });

  test('database/ is created 0700 for root (MariaDB chowns it), originals/ 0750 for 2000:2000', async () => {
    expect(await st(path.join(dir, 'database'))).toEqual({ mode: 0o700, uid: 0, gid: 0 });
    expect(await st(path.join(dir, 'originals'))).toEqual({ mode: 0o750, uid: 2000, gid: 2000 });
  });

  test('docker-compose.yml is 0644 and holds no password', async () => {
    const p = path.join(dir, 'docker-compose.yml');
    expect((await st(p)).mode).toBe(0o644);
    const text = await fsp.readFile(p, 'utf8');
    for (const pw of Object.values(PW)) expect(text).not.toContain(pw);
  });

  test('no temp file is left behind', async () => {
    expect(await tmpFiles(dir)).toEqual([]);
  });

  test('kernel check: uid 2000 (gid 2000) can read options.yml', () => {
    const r = catAs(2000, 2000, path.join(dir, 'storage/config/options.yml'));
    expect(r.stderr).toBe('');
    expect(r.ok).toBe(true);
    expect(r.stdout).toContain('AdminPassword:');
  });

  test('kernel check: other uids cannot read options.yml (not even with gid 2000, which may traverse storage/)', () => {
    const f = path.join(dir, 'storage/config/options.yml');
    for (const [uid, gid] of [
      [2001, 2001],
      [1000, 1000],
      [2001, 2000], // group member: passes the 0750 folders, stopped by the file's 0600
      [65534, 65534],
    ] as const) {
      const r = catAs(uid, gid, f);
      expect({ uid, gid, ok: r.ok, stdout: r.stdout }).toEqual({ uid, gid, ok: false, stdout: '' });
      expect(r.stderr).toMatch(/Permission denied/);
    }
  });

  test('kernel check: neither uid 2000 nor any other non-root uid can read the secret files', () => {
    for (const rel of ['.secrets/db_pwd.txt', '.secrets/db_root_pwd.txt']) {
      for (const [uid, gid] of [
        [2000, 2000],
        [2001, 2001],
        [1000, 1000],
        [2000, 0], // even with gid 0 (group root): .secrets is 0700
      ] as const) {
        const r = catAs(uid, gid, path.join(dir, rel));
        expect({ rel, uid, gid, ok: r.ok, stdout: r.stdout }).toEqual({ rel, uid, gid, ok: false, stdout: '' });
      }
    }
    // control: the check itself works (root reads them)
    expect(catAs(0, 0, path.join(dir, '.secrets/db_pwd.txt'))).toMatchObject({ ok: true, stdout: PW.db });
  });

  test('applying the same plan again changes nothing on disk', async () => {
    const before = await snapshot(dir);
    const again = await applyPlan(await planFor(dir));
    expect(again.written).toEqual([]);
    expect(again.backups).toEqual([]);
    expect(await snapshot(dir)).toEqual(before);
  });
});

rootDescribe('applyPlan with existing folders', () => {
  test('an existing database/ (owned by 999, content inside) is left exactly as it is', async () => {
    const dir = newDir('existing-db');
    await fsp.mkdir(path.join(dir, 'database', 'mysql'), { recursive: true });
    await fsp.writeFile(path.join(dir, 'database', 'mysql', 'db.opt'), 'default-character-set=utf8mb4\n');
    await fsp.writeFile(path.join(dir, 'database', 'ibdata1'), 'innodb');
    for (const [rel, mode] of [
      ['database', 0o755],
      ['database/mysql', 0o750],
      ['database/mysql/db.opt', 0o660],
      ['database/ibdata1', 0o640],
    ] as const) {
      await fsp.chown(path.join(dir, rel), 999, 999);
      await fsp.chmod(path.join(dir, rel), mode);
    }
    const before = await snapshot(path.join(dir, 'database'));
    const plan = await planFor(dir);
    const result = await applyPlan(plan);
    expect(result.createdDirs).not.toContain('database');
    expect(result.fixedDirs).not.toContain('database');
    expect(await snapshot(path.join(dir, 'database'))).toEqual(before);
    expect(await st(path.join(dir, 'database'))).toEqual({ mode: 0o755, uid: 999, gid: 999 });
    expect(await st(path.join(dir, 'database/ibdata1'))).toEqual({ mode: 0o640, uid: 999, gid: 999 });
  });

  test('an existing originals folder (and its files) is never chowned or chmodded', async () => {
    const dir = newDir('existing-originals');
    const orig = path.join(dir, 'originals');
    await fsp.mkdir(path.join(orig, '2024'), { recursive: true });
    await fsp.writeFile(path.join(orig, '2024', 'IMG_0001.jpg'), 'jpeg');
    for (const [rel, mode] of [
      ['', 0o755],
      ['2024', 0o755],
      ['2024/IMG_0001.jpg', 0o644],
    ] as const) {
      await fsp.chown(path.join(orig, rel), 1000, 1000);
      await fsp.chmod(path.join(orig, rel), mode);
    }
    const before = await snapshot(orig);
    const plan = await planFor(dir);
    expect(plan.dirs.map((d) => d.path)).not.toContain(orig);
    await applyPlan(plan);
    expect(await snapshot(orig)).toEqual(before);
    expect(await st(orig)).toEqual({ mode: 0o755, uid: 1000, gid: 1000 });
  });

  test('an existing originals folder given as an absolute path outside the install dir is not touched either', async () => {
    const dir = newDir('abs-originals');
    const orig = path.join(tmpRoot, `photos-${seq}`);
    await fsp.mkdir(orig);
    await fsp.chown(orig, 1000, 1000);
    await fsp.chmod(orig, 0o700);
    const before = await snapshot(orig);
    const plan = await planFor(dir, answers({ originalsPath: orig }));
    // not readable by 2000: a warning, never a fix
    expect(plan.messages.some((m) => m.level === 'warn' && m.text.includes(orig))).toBe(true);
    await applyPlan(plan);
    expect(await snapshot(orig)).toEqual(before);
  });

  test('existing storage/ with wrong owner and mode is fixed (ensure policy)', async () => {
    const dir = newDir('fix-storage');
    await fsp.mkdir(path.join(dir, 'storage'), { recursive: true });
    await fsp.chmod(path.join(dir, 'storage'), 0o777);
    const result = await applyPlan(await planFor(dir));
    expect(result.fixedDirs).toContain('storage');
    expect(await st(path.join(dir, 'storage'))).toEqual({ mode: 0o750, uid: 2000, gid: 2000 });
  });
});

rootDescribe('symbolic links are refused and nothing is written', () => {
  /**
   * Build `dir` with `setup`, snapshot it and `outside`, and expect applyPlan to throw ApplyError
   * matching `message` while leaving both trees exactly as they were.
   */
  async function expectRefusal(label: string, setup: (dir: string, outside: string) => Promise<void>, message: RegExp): Promise<void> {
    const dir = newDir(label);
    const outside = path.join(tmpRoot, `outside-${seq}`);
    await fsp.mkdir(dir, { recursive: true });
    await fsp.mkdir(outside, { recursive: true });
    await fsp.writeFile(path.join(outside, 'target.txt'), 'outside-original-content');
    await setup(dir, outside);
    const plan = await planFor(dir);
    const beforeDir = await snapshot(dir);
    const beforeOutside = await snapshot(outside);
    let err: unknown;
    try {
      await applyPlan(plan);
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(ApplyError);
    expect((err as Error).message).toMatch(/nothing was written/);
    expect((err as Error).message).toMatch(message);
    expect(await snapshot(dir)).toEqual(beforeDir);
    expect(await snapshot(outside)).toEqual(beforeOutside);
    expect(await fsp.readFile(path.join(outside, 'target.txt'), 'utf8')).toBe('outside-original-content');
  }

  test('.secrets/db_pwd.txt -> a file outside', async () => {
    await expectRefusal(
      'link-db-pwd',
      async (dir, outside) => {
        await fsp.mkdir(path.join(dir, '.secrets'), { mode: 0o700 });
        await fsp.symlink(path.join(outside, 'target.txt'), path.join(dir, '.secrets/db_pwd.txt'));
      },
      /\.secrets\/db_pwd\.txt is a symbolic link/,
    );
  });

  test('.secrets/db_pwd.txt -> a missing file outside (dangling: the target must not be created)', async () => {
    await expectRefusal(
      'link-db-pwd-dangling',
      async (dir, outside) => {
        await fsp.mkdir(path.join(dir, '.secrets'), { mode: 0o700 });
        await fsp.symlink(path.join(outside, 'created-through-link.txt'), path.join(dir, '.secrets/db_pwd.txt'));
      },
      /\.secrets\/db_pwd\.txt is a symbolic link/,
    );
  });

  test('storage/config -> a folder outside', async () => {
    await expectRefusal(
      'link-storage-config',
      async (dir, outside) => {
        await fsp.mkdir(path.join(dir, 'storage'));
        await fsp.symlink(outside, path.join(dir, 'storage/config'));
      },
      /storage\/config is a symbolic link/,
    );
  });

  test('storage -> a folder outside', async () => {
    await expectRefusal(
      'link-storage',
      async (dir, outside) => {
        await fsp.symlink(outside, path.join(dir, 'storage'));
      },
      /storage is a symbolic link/,
    );
  });

  test('.secrets -> a folder outside', async () => {
    await expectRefusal(
      'link-secrets',
      async (dir, outside) => {
        await fsp.symlink(outside, path.join(dir, '.secrets'));
      },
      /\.secrets is a symbolic link/,
    );
  });

  test('docker-compose.yml -> a file outside', async () => {
    await expectRefusal(
      'link-compose',
      async (dir, outside) => {
        await fsp.symlink(path.join(outside, 'target.txt'), path.join(dir, 'docker-compose.yml'));
      },
      /docker-compose\.yml is a symbolic link/,
    );
  });

  test('docker-compose.yml -> /tmp path that does not exist (dangling)', async () => {
    await expectRefusal(
      'link-compose-dangling',
      async (dir, outside) => {
        await fsp.symlink(path.join(outside, 'somewhere', 'docker-compose.yml'), path.join(dir, 'docker-compose.yml'));
      },
      /docker-compose\.yml is a symbolic link/,
    );
  });

  test('a symlink in an otherwise complete installation: still nothing is written', async () => {
    const dir = newDir('link-after-install');
    await applyPlan(await planFor(dir));
    const outside = path.join(tmpRoot, `outside-${seq}`);
    await fsp.mkdir(outside);
    await fsp.writeFile(path.join(outside, 'compose.yml'), 'services: {}\n');
    await fsp.rm(path.join(dir, 'docker-compose.yml'));
    await fsp.symlink(path.join(outside, 'compose.yml'), path.join(dir, 'docker-compose.yml'));
    // a change that would otherwise rewrite several files
    const plan = await planFor(dir, answers({ httpPort: 2500, siteUrl: 'http://localhost:2500/' }));
    const before = [...(await snapshot(dir)), ...(await snapshot(outside))];
    await expect(applyPlan(plan)).rejects.toThrow(ApplyError);
    expect([...(await snapshot(dir)), ...(await snapshot(outside))]).toEqual(before);
  });
});

rootDescribe('preflight refusals', () => {
  test('an existing secret with another value is never replaced (nothing written)', async () => {
    const dir = newDir('other-secret');
    await fsp.mkdir(path.join(dir, '.secrets'), { recursive: true, mode: 0o700 });
    await fsp.writeFile(path.join(dir, '.secrets/db_pwd.txt'), 'OldDbPassw0rd-123', { mode: 0o600 });
    const plan = await planFor(dir); // plans PW.db
    expect(plan.files.find((f) => f.path === '.secrets/db_pwd.txt')?.status).toBe('update');
    const before = await snapshot(dir);
    await expect(applyPlan(plan)).rejects.toThrow(ApplyError);
    await expect(applyPlan(plan)).rejects.toThrow(/db_pwd\.txt already exists with another value; existing secrets are never replaced/);
    expect(await snapshot(dir)).toEqual(before);
    expect(await fsp.readFile(path.join(dir, '.secrets/db_pwd.txt'), 'utf8')).toBe('OldDbPassw0rd-123');
  });

  test('a folder where a file is planned is refused (nothing written)', async () => {
    const dir = newDir('dir-for-file');
    await fsp.mkdir(path.join(dir, 'docker-compose.yml'), { recursive: true });
    const before = await snapshot(dir);
    await expect(applyPlan(await planFor(dir))).rejects.toThrow(/docker-compose\.yml is a folder/);
    expect(await snapshot(dir)).toEqual(before);
  });
});

rootDescribe('updating existing files', () => {
  const NOW = new Date(2024, 0, 2, 3, 4, 5);

  test('a changed docker-compose.yml is backed up (old content, same mode and owner) before it is replaced', async () => {
    const dir = newDir('update-compose');
    await fsp.mkdir(dir, { recursive: true });
    const old = '# my hand-made compose file\nservices: {}\n';
    await fsp.writeFile(path.join(dir, 'docker-compose.yml'), old);
    await fsp.chmod(path.join(dir, 'docker-compose.yml'), 0o640);
    await fsp.chown(path.join(dir, 'docker-compose.yml'), 1000, 1000);
    const plan = await planFor(dir);
    expect(plan.files.find((f) => f.path === 'docker-compose.yml')?.status).toBe('update');
    const result = await applyPlan(plan, NOW);
    // backups go to .photoprism-harden/backups/<stamp>/<relative path>, never beside the file
    const bak = '.photoprism-harden/backups/20240102-030405/docker-compose.yml';
    expect(BACKUP_DIR).toBe('.photoprism-harden/backups');
    expect(result.backups).toEqual([bak]);
    expect(await fsp.readFile(path.join(dir, bak), 'utf8')).toBe(old);
    expect(await st(path.join(dir, bak))).toEqual({ mode: 0o640, uid: 1000, gid: 1000 });
    // every backup folder is private to root (0700)
    for (const d of ['.photoprism-harden', '.photoprism-harden/backups', '.photoprism-harden/backups/20240102-030405']) {
      expect(await st(path.join(dir, d))).toEqual({ mode: 0o700, uid: 0, gid: 0 });
    }
    expect((await fsp.readdir(dir)).filter((n) => n.includes('.bak'))).toEqual([]);
    const compose = plan.files.find((f) => f.path === 'docker-compose.yml')!;
    expect(await fsp.readFile(path.join(dir, 'docker-compose.yml'), 'utf8')).toBe(compose.content);
    expect((await st(path.join(dir, 'docker-compose.yml'))).mode).toBe(0o644);
    expect(await tmpFiles(dir)).toEqual([]);
  });

  test('a backup of options.yml keeps 0600 and the PhotoPrism owner (it holds passwords)', async () => {
    const dir = newDir('update-options');
    await applyPlan(await planFor(dir));
    const p = path.join(dir, 'storage/config/options.yml');
    const old = await fsp.readFile(p, 'utf8');
    const plan = await planFor(dir, answers({ siteUrl: 'https://photos.example.com/' }));
    expect(plan.files.find((f) => f.path === 'storage/config/options.yml')?.status).toBe('update');
    const result = await applyPlan(plan, NOW);
    const bak = '.photoprism-harden/backups/20240102-030405/storage/config/options.yml';
    expect(result.backups).toContain(bak);
    expect(await fsp.readFile(path.join(dir, bak), 'utf8')).toBe(old);
    expect(await st(path.join(dir, bak))).toEqual({ mode: 0o600, uid: 2000, gid: 2000 });
    expect(await st(path.join(dir, '.photoprism-harden/backups/20240102-030405/storage/config'))).toEqual({ mode: 0o700, uid: 0, gid: 0 });
    expect(catAs(2001, 2000, path.join(dir, bak)).ok).toBe(false);
    // behind the root-only folders, not even PhotoPrism's own uid can reach it
    expect(catAs(2000, 2000, path.join(dir, bak)).ok).toBe(false);
    expect(await st(p)).toEqual({ mode: 0o600, uid: 2000, gid: 2000 });
  });

  test('an unchanged file with a wrong mode or owner is corrected without rewriting it', async () => {
    const dir = newDir('unchanged-fix');
    await applyPlan(await planFor(dir));
    const p = path.join(dir, 'storage/config/options.yml');
    await fsp.chmod(p, 0o644);
    await fsp.chown(p, 0, 0);
    const result = await applyPlan(await planFor(dir));
    expect(result.unchanged).toContain('storage/config/options.yml');
    expect(result.backups).toEqual([]);
    expect(await st(p)).toEqual({ mode: 0o600, uid: 2000, gid: 2000 });
  });
});

rootDescribe('writeFileAtomic', () => {
  const realOpen = fs.promises.open.bind(fs.promises);
  const realRename = fs.promises.rename.bind(fs.promises);
  let dir = '';

  beforeAll(async () => {
    dir = newDir('atomic');
    await fsp.mkdir(dir, { recursive: true });
  });

  afterEach(() => {
    jest.restoreAllMocks();
  });

  test('the temp file is born with the final mode (umask 0), is never world-readable, and gets its owner before the rename', async () => {
    const opened: { file: string; flags: unknown; mode: unknown; bornMode: number }[] = [];
    const renamed: { from: string; mode: number; uid: number; gid: number }[] = [];
    jest.spyOn(fs.promises, 'open').mockImplementation((async (file: fs.PathLike, flags?: unknown, mode?: unknown) => {
      const fh = await realOpen(file, flags as never, mode as never);
      if (String(file).endsWith('.tmp')) opened.push({ file: String(file), flags, mode, bornMode: (await fh.stat()).mode & 0o7777 });
      return fh;
    }) as typeof fs.promises.open);
    jest.spyOn(fs.promises, 'rename').mockImplementation((async (from: fs.PathLike, to: fs.PathLike) => {
      const s = await fsp.lstat(from);
      renamed.push({ from: String(from), mode: s.mode & 0o7777, uid: s.uid, gid: s.gid });
      return realRename(from, to);
    }) as typeof fs.promises.rename);

    const target = path.join(dir, 'secret.txt');
    const oldUmask = process.umask(0);
    try {
      await writeFileAtomic(target, 'top-secret-value', 0o600, { uid: 2000, gid: 2000 });
    } finally {
      process.umask(oldUmask);
    }
    expect(opened).toHaveLength(1);
    const o = opened[0]!;
    // same folder (the one pinned by its descriptor): the rename is atomic
    expect(o.file).toMatch(/^\/proc\/self\/fd\/\d+\/\.secret\.txt\.[0-9a-f]{12}\.tmp$/);
    expect(o.mode).toBe(0o600);
    expect(o.bornMode).toBe(0o600); // with umask 0 a default 0666 would show here
    const flags = o.flags as number;
    for (const f of [fs.constants.O_CREAT, fs.constants.O_EXCL, fs.constants.O_NOFOLLOW, fs.constants.O_WRONLY]) {
      expect(flags & f).toBe(f);
    }
    expect(renamed).toEqual([{ from: o.file, mode: 0o600, uid: 2000, gid: 2000 }]);
    expect(await st(target)).toEqual({ mode: 0o600, uid: 2000, gid: 2000 });
    expect(await fsp.readFile(target, 'utf8')).toBe('top-secret-value');
    expect(await tmpFiles(dir)).toEqual([]);
  });

  test('the final mode is exact whatever the umask (0644 under umask 077)', async () => {
    const target = path.join(dir, 'public.txt');
    const oldUmask = process.umask(0o077);
    try {
      await writeFileAtomic(target, 'hello', 0o644, null);
    } finally {
      process.umask(oldUmask);
    }
    expect((await st(target)).mode).toBe(0o644);
    expect(await tmpFiles(dir)).toEqual([]);
  });

  test('an interrupted write (rename fails) leaves the old file intact and no temp file', async () => {
    const target = path.join(dir, 'keep.txt');
    await fsp.writeFile(target, 'old content\n');
    await fsp.chmod(target, 0o640);
    const before = await snapshot(target);
    jest.spyOn(fs.promises, 'rename').mockRejectedValueOnce(Object.assign(new Error('EIO: simulated crash before rename'), { code: 'EIO' }));
    await expect(writeFileAtomic(target, 'new content that must not appear\n', 0o600, null)).rejects.toThrow(/simulated/);
    expect(await snapshot(target)).toEqual(before);
    expect(await fsp.readFile(target, 'utf8')).toBe('old content\n');
    expect(await tmpFiles(dir)).toEqual([]);
  });

  test('a real rename failure (target is a non-empty folder) leaves the folder intact and no temp file', async () => {
    const target = path.join(dir, 'is-a-folder');
    await fsp.mkdir(target);
    await fsp.writeFile(path.join(target, 'inside.txt'), 'inside');
    const before = await snapshot(target);
    await expect(writeFileAtomic(target, 'x', 0o600, null)).rejects.toThrow();
    expect(await snapshot(target)).toEqual(before);
    expect(await tmpFiles(dir)).toEqual([]);
  });

  test('refuses to write through a symbolic link', async () => {
    const real = path.join(dir, 'real.txt');
    await fsp.writeFile(real, 'real');
    const link = path.join(dir, 'link.txt');
    await fsp.symlink(real, link);
    await expect(writeFileAtomic(link, 'evil', 0o644, null)).rejects.toThrow(ApplyError);
    expect(await fsp.readFile(real, 'utf8')).toBe('real');
    expect((await fsp.lstat(link)).isSymbolicLink()).toBe(true);
    expect(await tmpFiles(dir)).toEqual([]);
  });
});
