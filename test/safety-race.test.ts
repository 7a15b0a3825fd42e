// A compromised container swaps folders of storage/ for symlinks while the tool (root) works in them:
// nothing outside the installation may ever change. The swaps run in another process, concurrently,
// for at least 100 rounds each; one deterministic swap per case lands exactly between "listed" and
// "entered" (or "checked" and "written"), the window the old path-based code fell into every time.

import { afterAll, beforeAll, describe, expect, jest, test } from '@jest/globals';
import { spawn, type ChildProcess } from 'node:child_process';
import fs, { promises as fsp } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { applyPlan } from '../src/apply.js';
import { buildPlan, type Plan } from '../src/plan.js';
import { REAL_OPS, reownTree, type TreeOps } from '../src/reown.js';
import { readTargetState } from '../src/state.js';
import { aliceOnlyFacts, validAnswers } from './fixtures/unit-fakes.js';

const IS_ROOT = process.geteuid?.() === 0;
const rootDescribe = IS_ROOT ? describe : describe.skip;
if (!IS_ROOT) console.warn('safety-race.test.ts: needs root (chown to other users); skipped');

let TMP = '';
beforeAll(async () => {
  if (!IS_ROOT) return;
  TMP = await fsp.mkdtemp(path.join(os.tmpdir(), 'pph-race-'));
  await fsp.chmod(TMP, 0o755);
});
afterAll(async () => {
  if (TMP) await fsp.rm(TMP, { recursive: true, force: true });
});

const VICTIM_OWNER = 4321;

/** A folder outside the installation with files, a sub-folder and an options.yml, all 4321:4321. */
async function makeVictim(dir: string): Promise<void> {
  await fsp.mkdir(path.join(dir, 'inner'), { recursive: true });
  await fsp.writeFile(path.join(dir, 'passwd'), 'victim\n');
  await fsp.writeFile(path.join(dir, 'options.yml'), 'Victim: true\n');
  await fsp.writeFile(path.join(dir, 'inner', 'x'), 'x');
  for (const p of ['', 'passwd', 'options.yml', 'inner', 'inner/x']) await fsp.lchown(path.join(dir, p), VICTIM_OWNER, VICTIM_OWNER);
  await fsp.chmod(dir, 0o755);
  await fsp.chmod(path.join(dir, 'options.yml'), 0o644);
}

/** names, types, modes, owners and contents of everything in `dir` */
async function snapshot(dir: string): Promise<string[]> {
  const out: string[] = [];
  const walk = async (p: string, rel: string) => {
    const st = await fsp.lstat(p);
    out.push(`${rel || '.'} ${st.isDirectory() ? 'd' : 'f'} ${(st.mode & 0o7777).toString(8)} ${st.uid}:${st.gid} ${st.isFile() ? await fsp.readFile(p, 'utf8') : ''}`);
    if (st.isDirectory()) for (const n of (await fsp.readdir(p)).sort()) await walk(path.join(p, n), rel ? `${rel}/${n}` : n);
  };
  await walk(dir, '');
  return out;
}

/**
 * A process that swaps `target` (a real folder) with a symlink to `victim`, over and over, with
 * rename(2) (atomic, as an attacker would): target <-> target.real / target.link. Prints "go" once
 * swapping. While the file `target`.pause exists it holds still with the real folder in place (and
 * says so with `target`.paused). Stopped with SIGKILL by the test (its own child).
 */
interface Swapper {
  /** hold still with the real folder in place, until `resume` */
  pause(): Promise<void>;
  resume(): void;
  stop(): Promise<void>;
}

async function startSwapper(target: string, victim: string): Promise<Swapper> {
  const code = `
const fs = require('fs');
const [t, v] = process.argv.slice(1);
try { fs.unlinkSync(t + '.link'); } catch {}
fs.symlinkSync(v, t + '.link');
fs.writeSync(1, 'go\\n');
for (;;) {
  if (fs.existsSync(t + '.pause')) {
    fs.writeFileSync(t + '.paused', '');
    while (fs.existsSync(t + '.pause'));
    try { fs.unlinkSync(t + '.paused'); } catch {}
  }
  try { fs.renameSync(t, t + '.real'); } catch {}
  try { fs.renameSync(t + '.link', t); } catch {}
  for (let i = 0; i < 50; i++);
  try { fs.renameSync(t, t + '.link'); } catch {}
  try { fs.renameSync(t + '.real', t); } catch {}
}`;
  const child: ChildProcess = spawn(process.execPath, ['-e', code, target, victim], { stdio: ['ignore', 'pipe', 'inherit'] });
  await new Promise<void>((resolve, reject) => {
    child.stdout!.once('data', () => resolve());
    child.once('error', reject);
    child.once('exit', (c) => reject(new Error(`swapper ended early (${c})`)));
  });
  const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
  return {
    async pause() {
      fs.writeFileSync(`${target}.pause`, '');
      while (!fs.existsSync(`${target}.paused`)) await sleep(1);
    },
    resume() {
      fs.rmSync(`${target}.pause`, { force: true });
    },
    async stop() {
      child.removeAllListeners('exit');
      const ended = new Promise((r) => child.once('exit', r));
      child.kill('SIGKILL');
      await ended;
      // put the real folder back where it belongs
      const st = await fsp.lstat(target).catch(() => null);
      if (st?.isSymbolicLink()) await fsp.unlink(target);
      if (fs.existsSync(`${target}.real`)) await fsp.rename(`${target}.real`, target);
      for (const x of ['link', 'pause', 'paused']) await fsp.rm(`${target}.${x}`, { force: true });
    },
  };
}

rootDescribe('re-own while a folder of storage/ is swapped for a symlink', () => {
  /** storage/ with cache/sub (10 files) and some siblings */
  async function makeStorage(root: string): Promise<void> {
    await fsp.mkdir(path.join(root, 'cache', 'sub'), { recursive: true });
    for (let i = 0; i < 10; i++) await fsp.writeFile(path.join(root, 'cache', 'sub', `f${i}`), '');
    for (let i = 0; i < 20; i++) await fsp.writeFile(path.join(root, 'cache', `c${i}`), '');
    await fsp.mkdir(path.join(root, 'sidecar'));
  }

  test('deterministic: the folder becomes a symlink right after its parent was listed; the victim never changes', async () => {
    const victim = path.join(TMP, 'det-victim');
    const root = path.join(TMP, 'det', 'storage');
    await makeVictim(victim);
    await makeStorage(root);
    const before = await snapshot(victim);
    let swapped = 0;
    const ops: TreeOps = {
      ...REAL_OPS,
      readdir: (p) => {
        const entries = REAL_OPS.readdir(p);
        if (entries.some((e) => e.name === 'sub')) {
          fs.renameSync(path.join(root, 'cache', 'sub'), path.join(root, 'cache', 'sub.real'));
          fs.symlinkSync(victim, path.join(root, 'cache', 'sub'));
          swapped++;
        }
        return entries;
      },
    };
    const r = await reownTree(root, 2001, 2002, undefined, [], ops);
    expect(swapped).toBe(1);
    expect(await snapshot(victim)).toEqual(before);
    // the link itself is re-owned (lchown), never followed; the moved-away real folder is not entered
    const link = await fsp.lstat(path.join(root, 'cache', 'sub'));
    expect([link.isSymbolicLink(), link.uid]).toEqual([true, 2001]);
    expect(r.denied).toBe(0);
  });

  // (a helper thread takes ~100-500 ms to start on a busy machine: fewer rounds with them)
  test.each([
    ['calling thread', 300, { helpers: 0 }],
    ['helper threads', 20, { helpers: 1, walkHere: false }],
  ] as const)('%s: %d rounds against a concurrent swapper; the victim never changes', async (label, rounds, options) => {
    const victim = path.join(TMP, `victim-${options.helpers}`);
    const root = path.join(TMP, `swap-${options.helpers}`, 'storage');
    await makeVictim(victim);
    await makeStorage(root);
    const before = await snapshot(victim);
    const target = path.join(root, 'cache', 'sub');
    const swapper = await startSwapper(target, victim);
    let entered = 0;
    try {
      for (let round = 0; round < rounds; round++) {
        const uid = 3000 + round;
        const r = await reownTree(root, uid, uid, undefined, [], REAL_OPS, options);
        if (r.visited > 30) entered++; // the real sub-folder was walked into this round (34 entries, else 24)
      }
    } finally {
      await swapper.stop();
    }
    expect(await snapshot(victim)).toEqual(before);
    expect(label).toBeTruthy();
    // the race really ran both ways (some rounds found the folder, some the link)
    expect(entered).toBeGreaterThan(0);
  }, 120000);
});

rootDescribe('apply while storage/config is swapped for a symlink', () => {
  const FACTS = aliceOnlyFacts();
  const PW = { adminPassword: 'Adm1n-passw0rd-xyz', databasePassword: 'DbPassw0rd-abcdefghijklmnop', databaseRootPassword: 'R00tPassw0rd-qrstuvwxyz012345' };

  async function planFor(dir: string, siteUrl: string): Promise<Plan> {
    const a = validAnswers({ initActions: ['update'], ...PW, siteUrl });
    const originals = path.resolve(dir, a.originalsPath);
    const imp = a.importPath ? path.resolve(dir, a.importPath) : null;
    const state = await readTargetState(dir, [originals, ...(imp ? [imp] : [])]);
    return buildPlan({ answers: a, facts: FACTS, state, version: 'test', regenerate: 'x', hostPaths: { originals, import: imp } });
  }

  test('deterministic: swapped after the plan was checked, before the folder is written; the victim never changes', async () => {
    const dir = path.join(TMP, 'apply-det');
    const victim = path.join(TMP, 'apply-det-victim');
    await makeVictim(victim);
    await applyPlan(await planFor(dir, 'https://a.example.com/'));
    const config = path.join(dir, 'storage', 'config');
    await fsp.chmod(config, 0o777); // so apply has a chmod to do there, too
    const plan = await planFor(dir, 'https://b.example.com/');
    expect(plan.files.find((f) => f.path === 'storage/config/options.yml')?.status).toBe('update');
    const before = await snapshot(victim);
    // the moment apply creates the temporary options file (the preflight has passed, the folders are
    // pinned), storage/config becomes a symlink to the victim
    const realOpen = fsp.open.bind(fsp);
    let swapped = 0;
    const spy = jest.spyOn(fsp, 'open').mockImplementation((async (file: fs.PathLike, flags?: unknown, mode?: unknown) => {
      if (!swapped && /\.options\.yml\.[0-9a-f]+\.tmp$/.test(String(file))) {
        swapped++;
        await fsp.rename(config, `${config}.real`);
        await fsp.symlink(victim, config);
      }
      return realOpen(file, flags as never, mode as never);
    }) as typeof fsp.open);
    try {
      await applyPlan(plan);
    } finally {
      spy.mockRestore();
    }
    expect(swapped).toBe(1);
    expect(await snapshot(victim)).toEqual(before);
    // the write went where the plan said: into the real folder (moved away meanwhile), mode fixed
    expect(await fsp.readFile(path.join(`${config}.real`, 'options.yml'), 'utf8')).toContain('b.example.com');
    expect((await fsp.stat(`${config}.real`)).mode & 0o7777).toBe(0o750);
    await fsp.unlink(config);
    await fsp.rename(`${config}.real`, config);
  });

  test('100 rounds against a concurrent swapper: the victim folder is never chmodded, its options.yml never replaced', async () => {
    const dir = path.join(TMP, 'apply-race');
    const victim = path.join(TMP, 'apply-race-victim');
    await makeVictim(victim);
    await applyPlan(await planFor(dir, 'https://round0.example.com/'));
    const config = path.join(dir, 'storage', 'config');
    const before = await snapshot(victim);
    const outcomes = new Map<string, number>();
    const swapper = await startSwapper(config, victim);
    try {
      for (let round = 1; round <= 100; round++) {
        // planned on the real folder (as a run that checked it), applied while the swaps go on
        await swapper.pause();
        await fsp.chmod(config, 0o777);
        const plan = await planFor(dir, `https://round${round}.example.com/`);
        swapper.resume();
        const outcome = await applyPlan(plan).then(
          () => 'applied',
          (e: NodeJS.ErrnoException) => e.code ?? e.constructor.name,
        );
        outcomes.set(outcome, (outcomes.get(outcome) ?? 0) + 1);
      }
    } finally {
      await swapper.stop();
    }
    expect(await snapshot(victim)).toEqual(before);
    // nothing was written into the victim folder, and no temporary file is left anywhere
    expect((await fsp.readdir(victim)).sort()).toEqual(['inner', 'options.yml', 'passwd']);
    const leftovers = (await fsp.readdir(dir, { recursive: true })).filter((n) => String(n).endsWith('.tmp'));
    expect(leftovers).toEqual([]);
    expect([...outcomes.keys()].length).toBeGreaterThan(0);
  }, 180000);
});

