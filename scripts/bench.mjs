#!/usr/bin/env node
// npm run bench: start-up and install-size targets of issue 6, measured side by side in one run as
// ratios to Node's own floor (`node -e 0`), each the median of several runs. Exits 1 when a target
// is missed. A benchmark, not a test: run it on a quiet machine (CI does not run it).
//
//   npm run bench            all measurements
//   npm run bench -- --quick fewer runs, 20 000 files instead of 100 000 for the ownership test
//   npm run bench -- --startup  the start-up measurements only

import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, mkdirSync, readdirSync, rmSync, statSync, writeFileSync, lstatSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const bin = path.join(root, 'bin', 'photoprism-harden.cjs');
const quick = process.argv.includes('--quick');
const startupOnly = process.argv.includes('--startup');
const RUNS = quick ? 7 : 15;
const FILES = quick ? 20000 : 100000;
const work = mkdtempSync(path.join(os.tmpdir(), 'pph-bench-'));
const env = { ...process.env };

const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)];
};

function once(cmd, a, runEnv = env) {
  const t0 = process.hrtime.bigint();
  const r = spawnSync(cmd, a, { env: runEnv, stdio: ['ignore', 'ignore', 'pipe'] });
  const ms = Number(process.hrtime.bigint() - t0) / 1e6;
  if (r.status !== 0) throw new Error(`${cmd} ${a.join(' ')} exited ${r.status}: ${r.stderr}`);
  return ms;
}

/**
 * A command's median wall time as a ratio to `node -e 0`'s, the two run in turns (floor, command,
 * floor, command, ...) so that both see the same machine: a shared machine's speed drifts within a
 * minute by more than the differences measured here. `prepare` runs before each run (untimed). One
 * untimed run first: it writes the code cache (dist/boot.cjs) that every later run of the command uses.
 */
function ratio(args, prepare, runEnv = env) {
  const floor = [];
  const xs = [];
  for (let i = -1; i < RUNS; i++) {
    const ctx = prepare ? prepare(i) : undefined;
    const a = typeof args === 'function' ? args(ctx) : args;
    const f = once(process.execPath, ['-e', '0']);
    const ms = once(process.execPath, a, runEnv);
    if (i >= 0) {
      floor.push(f);
      xs.push(ms);
    }
  }
  return { ratio: median(xs) / median(floor), ms: median(xs), floor: median(floor) };
}

const results = [];
function check(name, value, target, unit = '×', detail = '') {
  const ok = value <= target;
  results.push({ name, value, target, unit, ok });
  const shown = unit === '×' ? `${value.toFixed(2)}×` : `${value.toFixed(2)} ${unit}`;
  console.log(`${ok ? 'ok  ' : 'MISS'} ${name.padEnd(52)} ${shown.padStart(9)}   (target ≤ ${target}${unit === '×' ? '×' : ` ${unit}`}${detail ? `; ${detail}` : ''})`);
}

if (!readdirSync(path.join(root, 'dist')).includes('cli.cjs')) throw new Error('run npm run build first');

// --- start-up -------------------------------------------------------------------------------
console.log(`each command and \`node -e 0\` in turns, ${RUNS} runs each (medians):`);
const startup = (name, target, args, prepare, runEnv) => {
  const r = ratio(args, prepare, runEnv);
  if (target === null) console.log(`info ${name.padEnd(52)} ${`${r.ratio.toFixed(2)}×`.padStart(9)}   (${r.ms.toFixed(0)} ms; node -e 0: ${r.floor.toFixed(0)} ms)`);
  else check(name, r.ratio, target, '×', `${r.ms.toFixed(0)} ms; node -e 0: ${r.floor.toFixed(0)} ms`);
};
startup('--help', 1.3, [bin, '--help']);
startup('--version', 1.3, [bin, '--version']);
let n = 0;
const freshDir = () => path.join(work, `init-${n++}`);
startup('init --yes --dir <empty dir>', 2.0, (d) => [bin, 'init', '--yes', '--dir', d], freshDir);
// not a target: the very first run of a command, before its code cache exists
startup('init --yes without the code cache (a first run)', null, (d) => [bin, 'init', '--yes', '--dir', d], freshDir, { ...env, NODE_DISABLE_COMPILE_CACHE: '1' });
const installed = path.join(work, 'installed');
execFileSync(process.execPath, [bin, 'init', '--yes', '--dir', installed], { env, stdio: 'ignore' });
startup('audit on a generated installation', 1.5, [bin, 'audit', '--dir', installed]);

if (startupOnly) {
  rmSync(work, { recursive: true, force: true });
  const missed = results.filter((r) => !r.ok);
  process.exit(missed.length ? 1 : 0);
}

// --- package --------------------------------------------------------------------------------
const packDir = path.join(work, 'pack');
mkdirSync(packDir);
const tarball = execFileSync('npm', ['pack', '--silent', '--pack-destination', packDir], { cwd: root, encoding: 'utf8' }).trim().split('\n').pop();
const consumer = path.join(work, 'consumer');
mkdirSync(consumer);
writeFileSync(path.join(consumer, 'package.json'), '{"name":"consumer","version":"1.0.0","private":true}\n');
execFileSync('npm', ['install', '--silent', '--no-audit', '--no-fund', path.join(packDir, tarball)], { cwd: consumer, stdio: 'ignore' });
const nm = path.join(consumer, 'node_modules');
const pkgs = readdirSync(nm).filter((x) => !x.startsWith('.'));
function du(p) {
  const st = lstatSync(p);
  if (!st.isDirectory()) return st.size;
  return readdirSync(p).reduce((sum, e) => sum + du(path.join(p, e)), 0);
}
check('packages installed by `npm install <tarball>`', pkgs.length, 1, 'pkg');
check('installed size', du(path.join(nm, 'photoprism-harden')) / 1e6, 2, 'MB');
const smoke = spawnSync(path.join(nm, '.bin', 'photoprism-harden'), ['--version'], { encoding: 'utf8' });
if (smoke.status !== 0) throw new Error(`installed package does not run: ${smoke.stderr}`);

// --- ownership of a large storage tree --------------------------------------------------------
if (process.getuid?.() === 0) {
  const tree = path.join(work, 'own');
  const storage = path.join(tree, 'storage');
  console.log(`building a storage tree of ${FILES} files ...`);
  for (let d = 0; d < FILES / 1000; d++) {
    const dir = path.join(storage, 'cache', `d${d}`);
    mkdirSync(dir, { recursive: true });
    for (let f = 0; f < 1000; f++) writeFileSync(path.join(dir, `f${f}`), '');
  }
  const chownR = (id) => once('chown', ['-R', `${id}:${id}`, storage]);
  // our re-own: run init on the same tree after a UID change, so the measured work is what users get
  const initOwnOn = (dir, uid) => once(process.execPath, [bin, 'init', '--yes', '--dir', dir, '--uid', String(uid), '--gid', String(uid)]);
  const initOwn = (uid) => initOwnOn(tree, uid);
  // the fixed cost of init runs on an installation with an empty storage: one with the same UID change
  // (it rewrites the compose file and options.yml, makes backups, shows the diff, audits, validates:
  // everything but the walk) and one that changes nothing
  const small = path.join(work, 'small');
  execFileSync(process.execPath, [bin, 'init', '--yes', '--dir', small], { env, stdio: 'ignore' });
  const noopOn = (dir) => once(process.execPath, [bin, 'init', '--yes', '--dir', dir]);
  const rounds = quick ? 3 : 5;
  const c = [];
  const o = [];
  const same = [];
  const base = [];
  const baseChange = [];
  initOwn(2000);
  for (let i = 0; i < rounds; i++) {
    c.push(chownR(2001 + i)); // chown -R doing real work
    execFileSync('chown', ['-R', '2000:2000', storage]);
    initOwn(2000); // the installation itself at 2000 again (storage already is: nothing to re-own)
    o.push(initOwn(2010 + i)); // UID change: the whole tree is re-owned
    baseChange.push(initOwnOn(small, 2010 + i)); // the same UID change with an empty storage
    same.push(noopOn(tree)); // ownership already right
    base.push(noopOn(small));
    initOwn(2000);
    initOwnOn(small, 2000);
  }
  const fixed = median(base);
  const fixedChange = median(baseChange);
  const chownMs = median(c);
  const reownMs = median(o) - fixedChange;
  const sameMs = Math.max(0, median(same) - fixed);
  console.log(
    `chown -R on ${FILES} files: ${chownMs.toFixed(0)} ms; init's re-own: ${reownMs.toFixed(0)} ms (init with the same UID change on an empty storage, ${fixedChange.toFixed(0)} ms, subtracted); ` +
      `when already right: ${sameMs.toFixed(0)} ms (a no-op init, ${fixed.toFixed(0)} ms, subtracted)`,
  );
  check(`re-own ${FILES} files vs chown -R`, reownMs / chownMs, 1.2);
  check('ownership already right vs chown -R', sameMs / chownMs, 0.1);
  initOwn(2000 + 10 + rounds - 1);
  if (statSync(storage).uid !== 2000 + 10 + rounds - 1) throw new Error('init did not re-own the storage tree');
} else {
  console.log('skipped: the ownership benchmark needs root');
}

rmSync(work, { recursive: true, force: true });
const missed = results.filter((r) => !r.ok);
console.log(missed.length ? `\n${missed.length} target(s) missed` : '\nall targets met');
process.exit(missed.length ? 1 : 0);
