// Re-owning storage after a UID/GID change: every entry below storage/ (never through a symlink), skipping
// what is already right, and never the database folder or originals. Runs as root (chown needs it).

import { afterAll, beforeAll, describe, expect, jest, test } from '@jest/globals';
import { execFileSync } from 'node:child_process';
import fs, { promises as fsp } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { UsageError } from '../src/errors.js';
import { FixtureHost } from './helpers/fixture-host.js';
import { runInit } from '../src/init.js';
import { Output } from '../src/output.js';
import { REAL_OPS, type ReownOptions, reownTree } from '../src/reown.js';
import type { Key } from '../src/questions.js';
import { Sink } from './helpers/sink.js';

const isRoot = process.geteuid?.() === 0;
const rootOnly = isRoot ? test : test.skip;

let TMP: string;
beforeAll(async () => {
  TMP = await fsp.mkdtemp(path.join(os.tmpdir(), 'ppr-reown-'));
});
afterAll(async () => {
  await fsp.rm(TMP, { recursive: true, force: true });
});

const OWNERS: [number, number][] = [
  [0, 0],
  [2000, 2000],
  [1234, 5678],
  [2001, 2002], // already right
];

/** storage-like tree: 20 folders x 100 files (plus nested folders), owners cycling through OWNERS */
async function makeTree(root: string): Promise<{ entries: number; alreadyRight: number }> {
  let entries = 1;
  let alreadyRight = 0;
  let i = 0;
  const own = async (p: string) => {
    const [uid, gid] = OWNERS[i++ % OWNERS.length]!;
    entries++;
    if (uid === 2001 && gid === 2002) alreadyRight++;
    await fsp.lchown(p, uid, gid);
  };
  await fsp.mkdir(root, { recursive: true });
  await fsp.lchown(root, 2000, 2000);
  await Promise.all(
    Array.from({ length: 20 }, async (_, d) => {
      const dir = path.join(root, 'cache', `d${d}`);
      await fsp.mkdir(dir, { recursive: true });
      await Promise.all(
        Array.from({ length: 100 }, async (_, f) => {
          const p = path.join(dir, `f${f}.jpg`);
          await fsp.writeFile(p, '');
          await own(p);
        }),
      );
      await own(dir);
    }),
  );
  await own(path.join(root, 'cache'));
  return { entries, alreadyRight };
}

async function owners(root: string): Promise<Map<string, string>> {
  const out = new Map<string, string>();
  const walk = async (p: string) => {
    const st = await fsp.lstat(p);
    out.set(path.relative(root, p) || '.', `${st.uid}:${st.gid}`);
    if (st.isDirectory()) for (const n of await fsp.readdir(p)) await walk(path.join(p, n));
  };
  await walk(root);
  return out;
}

describe('reownTree', () => {
  rootOnly('re-owns a tree of ~2000 entries with mixed owners; a second pass keeps every owner', async () => {
    const root = path.join(TMP, 'big', 'storage');
    const { entries, alreadyRight } = await makeTree(root);
    expect(entries).toBeGreaterThan(2000);
    const progress = jest.fn<(visited: number, changed: number) => void>();
    const t0 = Date.now();
    const r = await reownTree(root, 2001, 2002, progress);
    const ms = Date.now() - t0;
    // like chown -R, every entry gets the owner (also the alreadyRight ones: no stat first; the plan
    // skips the whole walk when storage is already right)
    expect(alreadyRight).toBeGreaterThan(0);
    expect(r).toEqual({ visited: entries, changed: entries, denied: 0 });
    expect(new Set((await owners(root)).values())).toEqual(new Set(['2001:2002']));
    expect(progress).toHaveBeenLastCalledWith(entries, entries); // final progress report
    expect(ms).toBeLessThan(5000);

    const again = await reownTree(root, 2001, 2002);
    expect(again).toEqual({ visited: entries, changed: entries, denied: 0 });
    expect(new Set((await owners(root)).values())).toEqual(new Set(['2001:2002']));
  });

  rootOnly('never follows symlinks: the target outside keeps its owner, the link itself is re-owned', async () => {
    const outside = path.join(TMP, 'outside');
    await fsp.mkdir(path.join(outside, 'dir'), { recursive: true });
    await fsp.writeFile(path.join(outside, 'secret.txt'), 'x');
    await fsp.writeFile(path.join(outside, 'dir', 'inner.txt'), 'y');
    for (const p of ['secret.txt', 'dir', 'dir/inner.txt']) await fsp.chown(path.join(outside, p), 4321, 4321);
    const root = path.join(TMP, 'links', 'storage');
    await fsp.mkdir(root, { recursive: true });
    await fsp.symlink(path.join(outside, 'secret.txt'), path.join(root, 'file-link'));
    await fsp.symlink(path.join(outside, 'dir'), path.join(root, 'dir-link'));
    await fsp.symlink('/nonexistent/target', path.join(root, 'dangling'));

    const r = await reownTree(root, 2001, 2002);
    expect(r.visited).toBe(4);
    for (const p of ['secret.txt', 'dir', 'dir/inner.txt']) {
      const st = await fsp.stat(path.join(outside, p));
      expect(`${st.uid}:${st.gid}`).toBe('4321:4321');
    }
    for (const p of ['file-link', 'dir-link', 'dangling']) {
      const st = await fsp.lstat(path.join(root, p));
      expect(st.isSymbolicLink()).toBe(true);
      expect(`${st.uid}:${st.gid}`).toBe('2001:2002');
    }
  });

  rootOnly('excluded paths are neither re-owned nor entered', async () => {
    const root = path.join(TMP, 'excl', 'storage');
    await fsp.mkdir(path.join(root, 'originals', 'album'), { recursive: true });
    await fsp.writeFile(path.join(root, 'originals', 'album', 'a.jpg'), '');
    await fsp.writeFile(path.join(root, 'cache.db'), '');
    for (const p of ['originals', 'originals/album', 'originals/album/a.jpg']) await fsp.chown(path.join(root, p), 1500, 1500);
    const r = await reownTree(root, 2001, 2002, undefined, [path.join(root, 'originals')]);
    expect(r.visited).toBe(2);
    const o = await owners(root);
    expect(o.get('cache.db')).toBe('2001:2002');
    expect(o.get('originals')).toBe('1500:1500');
    expect(o.get(path.join('originals', 'album', 'a.jpg'))).toBe('1500:1500');
  });

  rootOnly('entries that vanish during the walk (PhotoPrism cleaning its cache) are skipped, not fatal', async () => {
    const root = path.join(TMP, 'vanish', 'storage');
    await fsp.mkdir(root, { recursive: true });
    for (const n of ['a', 'b', 'c']) await fsp.writeFile(path.join(root, n), '');
    // an lchown that finds "b" gone, as if PhotoPrism deleted it between readdir and lchown
    const ops = {
      ...REAL_OPS,
      lchown: (p: string, uid: number, gid: number) => {
        if (path.basename(p) === 'b') {
          fs.rmSync(path.join(root, 'b'));
          throw Object.assign(new Error(`ENOENT: no such file or directory, lchown '${p}'`), { code: 'ENOENT' });
        }
        REAL_OPS.lchown(p, uid, gid);
      },
    };
    const r = await reownTree(root, 2001, 2002, undefined, [], ops);
    expect(r).toEqual({ visited: 3, changed: 3, denied: 0 });
  });
});

// The walk shares the work with helper threads on machines with several cores. `walkHere: false`
// makes the helpers do all of it (deterministically, whatever this machine's core count).
describe('reownTree with helper threads', () => {
  const HELPERS_ONLY: ReownOptions = { helpers: 2, walkHere: false };
  const MIXED: ReownOptions = { helpers: 1, spawnAfter: 0 }; // the calling thread walks too (the helper joins once started)

  rootOnly.each([
    ['helpers only', HELPERS_ONLY],
    ['calling thread and a helper', MIXED],
    ['calling thread alone', { helpers: 0 }],
  ] as [string, ReownOptions][])('%s: every entry of a ~2000-entry tree, counted once', async (name, options) => {
    const root = path.join(TMP, `threads-${name.replace(/\W+/g, '-')}`, 'storage');
    const { entries } = await makeTree(root);
    const progress = jest.fn<(visited: number, changed: number) => void>();
    const r = await reownTree(root, 2001, 2002, progress, [], REAL_OPS, options);
    expect(r).toEqual({ visited: entries, changed: entries, denied: 0 });
    expect(new Set((await owners(root)).values())).toEqual(new Set(['2001:2002']));
    expect(progress).toHaveBeenLastCalledWith(entries, entries);
    const again = await reownTree(root, 2003, 2004, undefined, [], REAL_OPS, options);
    expect(again).toEqual({ visited: entries, changed: entries, denied: 0 });
    expect(new Set((await owners(root)).values())).toEqual(new Set(['2003:2004']));
  });

  rootOnly('helpers never follow symlinks and neither re-own nor enter excluded paths', async () => {
    const outside = path.join(TMP, 'threads-outside');
    await fsp.mkdir(path.join(outside, 'dir'), { recursive: true });
    await fsp.writeFile(path.join(outside, 'dir', 'inner.txt'), 'y');
    for (const p of ['dir', 'dir/inner.txt']) await fsp.chown(path.join(outside, p), 4321, 4321);
    const root = path.join(TMP, 'threads-links', 'storage');
    await fsp.mkdir(path.join(root, 'originals', 'album'), { recursive: true });
    await fsp.writeFile(path.join(root, 'originals', 'album', 'a.jpg'), '');
    for (const p of ['originals', 'originals/album', 'originals/album/a.jpg']) await fsp.chown(path.join(root, p), 1500, 1500);
    await fsp.mkdir(path.join(root, 'cache'));
    await fsp.symlink(path.join(outside, 'dir'), path.join(root, 'cache', 'dir-link'));
    await fsp.writeFile(path.join(root, 'cache', 'c.jpg'), '');

    const r = await reownTree(root, 2001, 2002, undefined, [path.join(root, 'originals')], REAL_OPS, HELPERS_ONLY);
    expect(r).toEqual({ visited: 4, changed: 4, denied: 0 }); // root, cache, dir-link, c.jpg
    const o = await owners(root);
    expect(o.get('originals')).toBe('1500:1500');
    expect(o.get(path.join('originals', 'album', 'a.jpg'))).toBe('1500:1500');
    expect(o.get(path.join('cache', 'dir-link'))).toBe('2001:2002');
    for (const p of ['dir', 'dir/inner.txt']) {
      const st = await fsp.stat(path.join(outside, p));
      expect(`${st.uid}:${st.gid}`).toBe('4321:4321');
    }
  });

  // an immutable file refuses chown even to root (EPERM), like a file a non-root run may not chown
  rootOnly.each([
    ['helpers only', HELPERS_ONLY],
    ['calling thread alone', { helpers: 0 }],
  ] as [string, ReownOptions][])('%s: an entry chown refuses (EPERM) is counted as denied', async (name, options) => {
    const root = path.join(TMP, `threads-denied-${name.replace(/\W+/g, '-')}`, 'storage');
    await fsp.mkdir(path.join(root, 'cache'), { recursive: true });
    for (const n of ['a', 'b', 'c']) await fsp.writeFile(path.join(root, 'cache', n), '');
    const locked = path.join(root, 'cache', 'b');
    try {
      execFileSync('chattr', ['+i', locked], { stdio: 'ignore' });
    } catch {
      return; // no immutable files here (file system or container without CAP_LINUX_IMMUTABLE)
    }
    try {
      const r = await reownTree(root, 2001, 2002, undefined, [], REAL_OPS, options);
      expect(r).toEqual({ visited: 5, changed: 4, denied: 1 });
    } finally {
      execFileSync('chattr', ['-i', locked]);
    }
  });

  // a folder path longer than PATH_MAX (4096) is no problem for a walk by descriptor
  rootOnly.each([
    ['helpers only', HELPERS_ONLY],
    ['calling thread alone', { helpers: 0 }],
  ] as [string, ReownOptions][])('%s: a tree deeper than PATH_MAX is walked in full', async (name, options) => {
    const root = path.join(TMP, `threads-deep-${name.replace(/\W+/g, '-')}`, 'storage');
    await fsp.mkdir(root, { recursive: true });
    execFileSync('bash', ['-c', 'cd "$1" && for i in $(seq 25); do n=$(printf "%0200d" $i); mkdir $n && cd $n || exit 1; done; touch f', 'bash', root]);
    try {
      expect(await reownTree(root, 2001, 2002, undefined, [], REAL_OPS, options)).toEqual({ visited: 27, changed: 27, denied: 0 });
      const deepest = execFileSync('bash', ['-c', 'cd "$1" && cd $(ls) && for i in $(seq 24); do cd $(ls) || exit 1; done; stat -c %u:%g f', 'bash', root], { encoding: 'utf8' });
      expect(deepest.trim()).toBe('2001:2002');
    } finally {
      execFileSync('rm', ['-rf', path.dirname(root)]); // rm's fts walk copes with the long paths
    }
  });

  // any error but a vanished entry or EPERM fails the walk: here EMFILE (out of file descriptors,
  // the per-process limit lowered with prlimit for the moment of the walk)
  rootOnly.each([
    ['helpers only', HELPERS_ONLY],
    ['calling thread alone', { helpers: 0 }],
  ] as [string, ReownOptions][])('%s: any other error fails the walk (and stops the helpers)', async (name, options) => {
    const root = path.join(TMP, `threads-emfile-${name.replace(/\W+/g, '-')}`, 'storage');
    for (let i = 0; i < 200; i++) await fsp.mkdir(path.join(root, `d${i}`), { recursive: true });
    const limits = execFileSync('prlimit', ['--pid', String(process.pid), '--nofile', '--raw', '--noheadings', '--output', 'SOFT,HARD'], { encoding: 'utf8' }).trim().split(/\s+/);
    const open = fs.readdirSync('/proc/self/fd').length;
    execFileSync('prlimit', ['--pid', String(process.pid), `--nofile=${open + 40}:${limits[1]}`]);
    try {
      await expect(reownTree(root, 2001, 2002, undefined, [], REAL_OPS, options)).rejects.toMatchObject({ code: 'EMFILE' });
    } finally {
      execFileSync('prlimit', ['--pid', String(process.pid), `--nofile=${limits[0]}:${limits[1]}`]);
    }
  });
});

describe('storage re-own during init', () => {
  const FACTS = { accounts: [], groups: [], uidMin: 1000, uidMax: 60000, renderNodes: [], video11: null, nvidia: false };
  async function init(dir: string, flags: Partial<Record<Key, unknown>>): Promise<string> {
    const out = new Sink();
    try {
      const code = await runInit({
        dir,
        yes: true,
        dryRun: false,
        flags,
        version: 'test',
        env: { HOME: TMP },
        out: new Output(out, out),
        probe: new FixtureHost(FACTS),
      });
      expect(code).toBe(0);
    } catch (e) {
      if (e instanceof UsageError) throw new Error(e.problems.join('\n'));
      throw e;
    }
    return out.text;
  }

  rootOnly('a UID/GID change re-owns storage, never database/ or originals (not even originals inside storage); a photo folder the tool created follows, its contents do not', async () => {
    const dir = path.join(TMP, 'install');
    const originalsInside = path.join(dir, 'storage', 'originals'); // an absolute path the validation lets through
    await init(dir, { uid: '2000', gid: '2000', originalsPath: originalsInside, importPath: './import' });
    // the database as MariaDB leaves it, photos owned by a person, storage content owned by PhotoPrism
    await fsp.mkdir(path.join(dir, 'database', 'mysql'), { recursive: true });
    await fsp.writeFile(path.join(dir, 'database', 'mysql', 'db.opt'), '');
    await fsp.writeFile(path.join(dir, 'database', 'ibdata1'), '');
    for (const p of ['database/mysql', 'database/mysql/db.opt', 'database/ibdata1']) await fsp.chown(path.join(dir, p), 999, 999);
    await fsp.mkdir(path.join(originalsInside, '2024'), { recursive: true });
    await fsp.writeFile(path.join(originalsInside, '2024', 'IMG_1.jpg'), '');
    for (const p of ['', '2024', '2024/IMG_1.jpg']) await fsp.chown(path.join(originalsInside, p), 1500, 1500);
    await fsp.writeFile(path.join(dir, 'import', 'new.jpg'), '');
    await fsp.chown(path.join(dir, 'import', 'new.jpg'), 1500, 1500);
    await fsp.mkdir(path.join(dir, 'storage', 'cache', 'thumbs'), { recursive: true });
    await fsp.writeFile(path.join(dir, 'storage', 'cache', 'thumbs', 't.jpg'), '');
    for (const p of ['cache', 'cache/thumbs', 'cache/thumbs/t.jpg']) await fsp.chown(path.join(dir, 'storage', p), 2000, 2000);
    const dbBefore = await owners(path.join(dir, 'database'));
    const originalsBefore = await owners(originalsInside);
    const importBefore = await owners(path.join(dir, 'import'));

    const out = await init(dir, { uid: '2001', gid: '2002' });
    expect(out).toMatch(/storage entries re-owned to 2001:2002/);
    expect(await owners(path.join(dir, 'database'))).toEqual(dbBefore);
    expect(await owners(originalsInside)).toEqual(originalsBefore);
    // ./import was created by the first run (state.json says so) and still had its owner: the folder
    // itself follows the new UID/GID, what is in it does not (originals, given to 1500 since, stays theirs)
    expect(await owners(path.join(dir, 'import'))).toEqual(new Map([...importBefore, ['.', '2001:2002']]));
    const storage = await owners(path.join(dir, 'storage'));
    for (const [p, o] of storage) if (!p.startsWith('originals')) expect([p, o]).toEqual([p, '2001:2002']);

    // nothing left to do: the next run changes no owner
    const lchown = jest.spyOn(fs.promises, 'lchown');
    try {
      expect(await init(dir, {})).toContain('Nothing to change');
      expect(lchown).not.toHaveBeenCalled();
    } finally {
      lchown.mockRestore();
    }
  });
});

describe('re-own through the built CLI (the minified bundle, helper threads on a multi-core machine)', () => {
  rootOnly('a UID/GID change on 7 000 storage entries re-owns them all, never originals inside storage', async () => {
    const { runCli, describeRun } = await import('./helpers/spawn.js');
    const dir = path.join(TMP, 'cli-install');
    const originals = path.join(dir, 'storage', 'originals');
    let r = await runCli(['init', '--yes', '--dir', dir, '--uid', '2000', '--gid', '2000', '--originals-path', originals]);
    expect(r.code).toBe(0);
    // 70 folders x 100 files: above the entry count at which helper threads start
    for (let d = 0; d < 70; d++) {
      const f = path.join(dir, 'storage', 'cache', `d${d}`);
      fs.mkdirSync(f, { recursive: true });
      for (let i = 0; i < 100; i++) fs.writeFileSync(path.join(f, `t${i}.jpg`), '');
    }
    fs.mkdirSync(path.join(originals, '2024'), { recursive: true });
    fs.writeFileSync(path.join(originals, '2024', 'IMG_1.jpg'), '');
    execFileSync('chown', ['-R', '2000:2000', path.join(dir, 'storage')]);
    execFileSync('chown', ['-R', '1500:1500', originals]);
    const originalsBefore = await owners(originals);

    r = await runCli(['init', '--yes', '--dir', dir, '--uid', '2001', '--gid', '2002', '--originals-path', originals], {
      timeoutMs: 60000,
      env: { PHOTOPRISM_HARDEN_TRACE: '1' },
    });
    // the helper threads run the walk's own source text: it must survive minification
    if (os.availableParallelism() > 1) expect(r.stderr).toMatch(/reown: [1-3] helper thread\(s\) started/);
    expect({ code: r.code, run: r.code === 0 ? '' : describeRun(r) }).toEqual({ code: 0, run: '' });
    const m = /(\d+) storage entries re-owned to 2001:2002/.exec(r.stdout);
    expect(Number(m?.[1])).toBeGreaterThanOrEqual(7070);
    const storage = await owners(path.join(dir, 'storage'));
    const wrong = [...storage].filter(([p, o]) => !p.startsWith('originals') && o !== '2001:2002');
    expect(wrong).toEqual([]);
    expect(storage.size).toBeGreaterThan(7070);
    expect(await owners(originals)).toEqual(originalsBefore);
  }, 90000);
});

// The helper threads run a real module (src/reown/helper.ts, bundled by the build as
// dist/reown-helper.cjs), never code rebuilt from a function's source text.
describe('the re-own helper module', () => {
  test('is found (npm run build made it) and is a file of its own', async () => {
    const { helperFile, HELPER_BUNDLE } = await import('../src/reown.js');
    const file = helperFile();
    expect(file).not.toBeNull();
    expect(path.basename(file!)).toBe(HELPER_BUNDLE);
    const { readFileSync } = await import('node:fs');
    const src = readFileSync(path.resolve(import.meta.dirname, '../src/reown.ts'), 'utf8');
    expect(src).not.toMatch(/\.toString\(\)/);
    expect(src).not.toMatch(/eval:\s*true/);
  });
});
