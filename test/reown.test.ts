// Re-owning storage after a UID/GID change: every entry below storage/ (never through a symlink), skipping
// what is already right, and never the database folder or originals. Runs as root (chown needs it).

import { afterAll, beforeAll, describe, expect, jest, test } from '@jest/globals';
import fs, { promises as fsp } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { UsageError } from '../src/errors.js';
import { FixtureHost } from '../src/host.js';
import { runInit } from '../src/init.js';
import { Output } from '../src/output.js';
import { REAL_OPS, reownTree } from '../src/reown.js';
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
        if (p === path.join(root, 'b')) {
          fs.rmSync(p);
          throw Object.assign(new Error(`ENOENT: no such file or directory, lchown '${p}'`), { code: 'ENOENT' });
        }
        REAL_OPS.lchown(p, uid, gid);
      },
    };
    const r = await reownTree(root, 2001, 2002, undefined, [], ops);
    expect(r).toEqual({ visited: 3, changed: 3, denied: 0 });
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

  rootOnly('a UID/GID change re-owns storage, never database/ or originals (not even originals inside storage)', async () => {
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
    expect(await owners(path.join(dir, 'import'))).toEqual(importBefore);
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
