// Faults an unlucky user meets, through the built CLI: SIGKILL at random moments of a UID change,
// two runs at once, a full disk, a read-only mount, an immutable file. Every file is always the old or
// the new one, no secret is ever readable by group or others, nothing half-done stays behind, and the
// next run finishes what a killed one began. Runs as root (chown, mount, chattr).

import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import { execFileSync, spawn, spawnSync } from 'node:child_process';
import fs, { promises as fsp } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parse } from 'yaml';
import { applyPlan } from '../src/apply.js';
import { buildPlan } from '../src/plan.js';
import { readTargetState } from '../src/state.js';
import { aliceOnlyFacts, validAnswers } from './fixtures/unit-fakes.js';
import { FIXTURES, cliWithHost, describeRun, runCli as spawnCli, type RunOptions } from './helpers/spawn.js';

/** the CLI with no engine on PATH (an empty folder): what the machine has installed does not matter */
let EMPTY_BIN = '';
const runCli = (args: string[], o: RunOptions = {}) => spawnCli(args, { ...o, env: { PATH: EMPTY_BIN, ...o.env } });

const IS_ROOT = process.geteuid?.() === 0;
const rootDescribe = IS_ROOT ? describe : describe.skip;
if (!IS_ROOT) console.warn('safety-faults.test.ts: needs root; skipped');

let TMP = '';
const mounts: string[] = [];
beforeAll(async () => {
  if (!IS_ROOT) return;
  TMP = await fsp.mkdtemp(path.join(os.tmpdir(), 'pph-faults-'));
  await fsp.chmod(TMP, 0o755);
  EMPTY_BIN = path.join(TMP, 'empty-bin');
  await fsp.mkdir(EMPTY_BIN);
});
afterAll(async () => {
  for (const m of mounts.reverse()) spawnSync('umount', [m]);
  if (TMP) await fsp.rm(TMP, { recursive: true, force: true });
});

/** a small tmpfs of its own (umounted after the file) */
function tmpfs(name: string, size: string): string {
  const m = path.join(TMP, name);
  fs.mkdirSync(m);
  execFileSync('mount', ['-t', 'tmpfs', '-o', `size=${size},mode=0755`, 'tmpfs', m]);
  mounts.push(m);
  return m;
}

/** every entry below `dir`: path -> "type mode uid:gid sha-ish" */
function listing(dir: string): Map<string, string> {
  const out = new Map<string, string>();
  const walk = (p: string) => {
    const st = fs.lstatSync(p);
    out.set(path.relative(dir, p) || '.', `${st.isDirectory() ? 'd' : 'f'} ${(st.mode & 0o7777).toString(8)} ${st.uid}:${st.gid} ${st.isFile() ? fs.readFileSync(p, 'base64') : ''}`);
    if (st.isDirectory()) for (const n of fs.readdirSync(p)) walk(path.join(p, n));
  };
  if (fs.existsSync(dir)) walk(dir);
  return out;
}

const composeUid = (dir: string): number => {
  const doc = parse(fs.readFileSync(path.join(dir, 'docker-compose.yml'), 'utf8')) as { services: { photoprism: { environment: Record<string, string> } } };
  return Number(doc.services.photoprism.environment.PHOTOPRISM_UID);
};

/** storage owners: uid -> count */
function storageOwners(dir: string): Map<number, number> {
  const out = new Map<number, number>();
  for (const [p, l] of listing(path.join(dir, 'storage'))) {
    if (p.startsWith('originals')) continue;
    const uid = Number(l.split(' ')[2]!.split(':')[0]);
    out.set(uid, (out.get(uid) ?? 0) + 1);
  }
  return out;
}

const tempFiles = (dir: string) => [...listing(dir).keys()].filter((p) => /\.tmp$/.test(p));

/**
 * Run the CLI and SIGKILL it `ms` after it has shown its plan (its trace line), unless it ended
 * before. True when it was killed.
 */
async function killedRun(args: string[], ms: number): Promise<boolean> {
  const entry = cliWithHost('cli-host.json');
  const env: NodeJS.ProcessEnv = { PATH: EMPTY_BIN, HOME: TMP, NO_COLOR: '1', PHOTOPRISM_HARDEN_TRACE: '1', ...entry.env };
  const child = spawn(process.execPath, [entry.script, ...args], { env, stdio: ['ignore', 'ignore', 'pipe'] });
  let killed = false;
  let err = '';
  child.stderr!.setEncoding('utf8').on('data', (d: string) => {
    if (!err.includes('init: summary and diff shown') && (err += d).includes('init: summary and diff shown')) {
      setTimeout(() => {
        if (child.exitCode === null && child.signalCode === null) killed = child.kill('SIGKILL');
      }, ms);
    }
  });
  await new Promise((r) => child.on('close', r));
  return killed;
}

rootDescribe('SIGKILL at random moments of a UID change', () => {
  test('50 runs killed at random: every file old or new, no secret readable by others, the next run completes the re-own', async () => {
    const dir = path.join(TMP, 'killed');
    let r = await runCli(['init', '--yes', '--dir', dir, '--uid', '2000', '--gid', '2000']);
    expect(r.code).toBe(0);
    // a storage worth re-owning: 60 folders x 100 files
    for (let d = 0; d < 60; d++) {
      const f = path.join(dir, 'storage', 'cache', `d${d}`);
      fs.mkdirSync(f, { recursive: true });
      for (let i = 0; i < 100; i++) fs.writeFileSync(path.join(f, `t${i}.jpg`), '');
    }
    execFileSync('chown', ['-R', '2000:2000', path.join(dir, 'storage')]);
    const secrets = ['.secrets/db_pwd.txt', '.secrets/db_root_pwd.txt'].map((p) => fs.readFileSync(path.join(dir, p), 'utf8'));
    const optionsPasswords = () => {
      const o = parse(fs.readFileSync(path.join(dir, 'storage/config/options.yml'), 'utf8')) as Record<string, string>;
      return [o.DatabasePassword, o.AdminPassword];
    };
    const passwords = optionsPasswords();
    let killedDuring = 0;
    let journals = 0;
    for (let round = 0; round < 50; round++) {
      const before = composeUid(dir);
      const target = before === 2000 ? 2001 : 2000;
      const composeBefore = fs.readFileSync(path.join(dir, 'docker-compose.yml'), 'utf8');
      // killed at a random moment of the writing part: from the plan on (the re-own of 6 000 entries
      // takes some 50-200 ms here)
      const killed = await killedRun(['init', '--yes', '--dir', dir, '--uid', String(target), '--gid', String(target)], Math.random() * (round % 2 ? 60 : 250));
      if (killed) killedDuring++;
      // every file is the old or the new one
      const compose = fs.readFileSync(path.join(dir, 'docker-compose.yml'), 'utf8');
      if (compose !== composeBefore) expect(composeUid(dir)).toBe(target);
      expect(optionsPasswords()).toEqual(passwords);
      expect(['.secrets/db_pwd.txt', '.secrets/db_root_pwd.txt'].map((p) => fs.readFileSync(path.join(dir, p), 'utf8'))).toEqual(secrets);
      // no secret (nor a temporary copy of one) is readable by group or others
      for (const [p, l] of listing(dir)) {
        if (/^\.secrets\/|options\.ya?ml/.test(p) && l.startsWith('f')) expect([p, Number.parseInt(l.split(' ')[1]!, 8) & 0o077]).toEqual([p, 0]);
      }
      const journal = fs.existsSync(path.join(dir, '.photoprism-harden/journal.json'));
      if (journal) journals++;
      // the next run (no UID given) finishes: storage, compose and the journal agree
      const next = await runCli(['init', '--yes', '--dir', dir], { timeoutMs: 60000 });
      expect({ code: next.code, run: next.code === 0 ? '' : describeRun(next) }).toEqual({ code: 0, run: '' });
      const uid = composeUid(dir);
      if (journal) expect(uid).toBe(target);
      expect([...storageOwners(dir).keys()]).toEqual([uid]);
      expect(tempFiles(dir)).toEqual([]);
      expect(fs.existsSync(path.join(dir, '.photoprism-harden/journal.json'))).toBe(false);
    }
    // the kills really landed in the middle of runs, some of them during the re-own
    expect(killedDuring).toBeGreaterThan(10);
    expect(journals).toBeGreaterThan(0);
  }, 400000);
});

rootDescribe('two runs at once', () => {
  test('on a new folder: never two sets of secrets; the other run names the one holding the lock, or refuses a changed installation', async () => {
    for (let round = 0; round < 4; round++) {
      const dir = path.join(TMP, `concurrent-${round}`);
      const [a, b] = await Promise.all([runCli(['init', '--yes', '--dir', dir]), runCli(['init', '--yes', '--dir', dir])]);
      const codes = [a.code, b.code].sort();
      expect(codes[0]).toBe(0);
      expect([0, 3]).toContain(codes[1]);
      const loser = a.code === 3 ? a : b.code === 3 ? b : null;
      if (loser) expect(loser.stderr).toMatch(/another photoprism-harden run is working on .*PID \d+|the installation changed while this run was planning/);
      // the secrets on disk are one consistent set: options.yml names the same database password
      const db = fs.readFileSync(path.join(dir, '.secrets/db_pwd.txt'), 'utf8');
      const o = parse(fs.readFileSync(path.join(dir, 'storage/config/options.yml'), 'utf8')) as Record<string, string>;
      expect(o.DatabasePassword).toBe(db);
      expect(tempFiles(dir)).toEqual([]);
    }
  }, 120000);

  test('a held lock: exit 3 naming the other run; a stale one (its process gone) is taken over', async () => {
    const dir = path.join(TMP, 'held');
    expect((await runCli(['init', '--yes', '--dir', dir])).code).toBe(0);
    const lock = path.join(dir, '.photoprism-harden', 'lock');
    fs.mkdirSync(path.dirname(lock), { recursive: true, mode: 0o700 });
    // this very process holds it (its PID and start time)
    const stat = fs.readFileSync('/proc/self/stat', 'utf8');
    const start = stat.slice(stat.lastIndexOf(')') + 2).split(' ')[19];
    fs.writeFileSync(lock, JSON.stringify({ pid: process.pid, start, command: 'photoprism-harden init --yes', started: '2026-12-01T20:00:00.000Z' }));
    const before = listing(dir);
    let r = await runCli(['init', '--yes', '--dir', dir, '--uid', '2005', '--gid', '2005']);
    expect(r.code).toBe(3);
    expect(r.stderr).toContain(`PID ${process.pid} ("photoprism-harden init --yes"), started 2026-12-01T20:00:00.000Z`);
    expect(listing(dir)).toEqual(before);
    // the same PID with another start time: a reused PID, so stale
    fs.writeFileSync(lock, JSON.stringify({ pid: process.pid, start: '1', command: 'x', started: 'y' }));
    r = await runCli(['init', '--yes', '--dir', dir, '--uid', '2005', '--gid', '2005']);
    expect({ code: r.code, run: r.code === 0 ? '' : describeRun(r) }).toEqual({ code: 0, run: '' });
    expect(fs.existsSync(lock)).toBe(false);
    expect(composeUid(dir)).toBe(2005);
  });
});

rootDescribe('full, read-only and immutable', () => {
  test('a full tmpfs is named before the plan, and nothing is written', async () => {
    const m = tmpfs('full', '256k');
    // leave a few KiB free: less than a new installation needs
    fs.writeFileSync(path.join(m, 'filler'), Buffer.alloc(256 * 1024 - 12 * 1024));
    const dir = path.join(m, 'install');
    const r = await runCli(['init', '--yes', '--dir', dir], { fakeHost: { accounts: [], groups: [], uidMin: 1000, uidMax: 60000, renderNodes: [], video11: null, nvidia: false } });
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/The disk is full: .* bytes free, and this run writes about \d+/);
    expect(r.stdout).not.toContain('Summary');
    expect(fs.existsSync(dir)).toBe(false);
  });

  test('ENOSPC in the middle of apply: one sentence, no temporary file and no folder of the failed run left', async () => {
    const m = tmpfs('enospc', '64k');
    const dir = path.join(m, 'install');
    const a = validAnswers({ initActions: ['update'], adminPassword: 'Adm1n-passw0rd-xyz', databasePassword: 'x'.repeat(40), databaseRootPassword: 'y'.repeat(40) });
    const originals = path.resolve(dir, a.originalsPath);
    const plan = buildPlan({ answers: a, facts: aliceOnlyFacts(), state: await readTargetState(dir, [originals]), version: 't', regenerate: 'x', hostPaths: { originals, import: null } });
    fs.writeFileSync(path.join(m, 'filler'), Buffer.alloc(60 * 1024)); // a tmpfs block is 4 KiB: room for a folder or two
    const err = await applyPlan(plan).then(
      () => null,
      (e: Error) => e,
    );
    if (!/^The disk is full/.test(err?.message ?? '')) console.log(err);
    expect(err?.message).toMatch(/^The disk is full \(.*\): free some space and run init again\./);
    expect(fs.readdirSync(m)).toEqual(['filler']);
  });

  test('a read-only mount is named before the plan; nothing changes', async () => {
    const m = tmpfs('ro', '8m');
    const dir = path.join(m, 'install');
    expect((await runCli(['init', '--yes', '--dir', dir, '--uid', '2000', '--gid', '2000'])).code).toBe(0);
    execFileSync('mount', ['-o', 'remount,ro', m]);
    try {
      const before = listing(dir);
      const r = await runCli(['init', '--yes', '--dir', dir, '--uid', '2001', '--gid', '2001']);
      expect(r.code).toBe(1);
      expect(r.stderr).toMatch(/The file system is mounted read-only/);
      expect(r.stdout).not.toContain('Summary');
      expect(listing(dir)).toEqual(before);
    } finally {
      execFileSync('mount', ['-o', 'remount,rw', m]);
    }
  });

  test('an immutable compose file is named before the plan; storage is not re-owned', async () => {
    const dir = path.join(TMP, 'immutable');
    expect((await runCli(['init', '--yes', '--dir', dir, '--uid', '2000', '--gid', '2000'])).code).toBe(0);
    const compose = path.join(dir, 'docker-compose.yml');
    execFileSync('chattr', ['+i', compose]);
    try {
      const before = listing(dir);
      const r = await runCli(['init', '--yes', '--dir', dir, '--uid', '2001', '--gid', '2001']);
      expect(r.code).toBe(1);
      expect(r.stderr).toMatch(/docker-compose\.yml: The operation is not permitted .* immutable or append-only/);
      expect(listing(dir)).toEqual(before);
    } finally {
      execFileSync('chattr', ['-i', compose]);
    }
  });
});
