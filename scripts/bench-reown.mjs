// Micro-benchmark: the storage re-own walk (reownTree, src/reown.ts) against `chown -R` on the same tree.
//
//   node scripts/bench-reown.mjs [--files 100000] [--per-dir 1000] [--rounds 7] [--cpus 0]
//                                [--quiet-wait 60] [--keep] [variant.ts ...]
//
// Needs root, GNU time (/usr/bin/time) and the dev dependencies (esbuild). Builds a tree of --files
// empty files (folders of --per-dir files under storage/cache, plus nested folders and a symlink) in a
// temp dir, then per round runs `chown -R` and every variant, each in a fresh process and each to a
// uid:gid no earlier run used, so every entry really changes owner (`sync` before each run, so no run
// pays for the previous one's inode write-back). A variant is a .ts/.js module exporting
// reownTree(root, uid, gid) (default: src/reown.ts); it is bundled with esbuild to a temp .mjs and run
// by a tiny runner that imports it and times only the `await reownTree(...)` call. To compare with an
// earlier walk: git show <commit>:src/reown.ts > /tmp/old.ts; node scripts/bench-reown.mjs /tmp/old.ts src/reown.ts
//
// Reported, medians over the rounds:
//   chown -R   its wall time minus the wall time of `chown --version` (the exec cost)
//   in-proc    the walk timed inside the node process (module loaded, no process start or exit)
//   proc-net   the node process's wall time minus that of `node -e 0`
// and each as a ratio to chown -R. Both exclude the process start, so in-proc / chown -R is the fair
// comparison of the walks themselves; proc-net also counts the exit (helper threads ending).
// --cpus runs every measured process (chown too) under `taskset -c <cpus>`, e.g. 0 for a single core.
// Other work on the machine skews wall times: each measured run first waits (up to --quiet-wait
// seconds) until the CPUs are nearly idle, and a chown -R or walk run during which other processes
// used more than 10% of its wall time in CPU (/proc/stat minus the run's own CPU) is repeated, up to
// 5 tries (the summary says how many stayed disturbed). Every entry's owner is checked after each
// variant's first run.
import { build } from 'esbuild';
import { execFileSync } from 'node:child_process';
import { lstatSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';

const repo = path.resolve(path.dirname(new URL(import.meta.url).pathname), '..');
const args = process.argv.slice(2);
const opt = (name, dflt) => {
  const i = args.indexOf(`--${name}`);
  if (i < 0) return dflt;
  const v = args[i + 1];
  args.splice(i, 2);
  return v;
};
const FILES = Number(opt('files', '100000'));
const ROUNDS = Number(opt('rounds', '7'));
const CPUS = opt('cpus', '');
const QUIET = Number(opt('quiet-wait', '60'));
const keepIdx = args.indexOf('--keep');
const KEEP = keepIdx >= 0;
if (KEEP) args.splice(keepIdx, 1);
const variants = args.length ? args : [path.join(repo, 'src/reown.ts')];
if (process.getuid?.() !== 0) throw new Error('needs root (chown to other users)');

const work = mkdtempSync(path.join(os.tmpdir(), 'bench-reown-'));
process.on('exit', () => (KEEP ? console.log(`kept ${work}`) : rmSync(work, { recursive: true, force: true })));
const storage = path.join(work, 'storage');

// --- the tree -------------------------------------------------------------------------------------
let entries = 0;
const mk = (p) => (mkdirSync(p), entries++);
const touch = (p) => (writeFileSync(p, ''), entries++);
mk(storage);
mk(path.join(storage, 'cache'));
const perDir = Number(opt('per-dir', '1000'));
let made = 0;
for (let d = 0; made < FILES; d++) {
  const dir = path.join(storage, 'cache', `d${d}`);
  mk(dir);
  for (let f = 0; f < perDir && made < FILES; f++, made++) touch(path.join(dir, `f${f}.jpg`));
}
// a few nested folders (sidecar-like) and a symlink
let nested = storage;
for (let i = 0; i < 5; i++) {
  nested = path.join(nested, `n${i}`);
  mk(nested);
  for (let f = 0; f < 10; f++) touch(path.join(nested, `x${f}.json`));
}
symlinkSync('/etc/passwd', path.join(storage, 'link'));
entries++;
console.log(`tree: ${entries} entries in ${work}${CPUS ? `; every process under taskset -c ${CPUS}` : ''}; ${os.cpus().length} cpus, node ${process.version}`);

// --- the variants, bundled --------------------------------------------------------------------------
const runner = path.join(work, 'runner.mjs');
writeFileSync(
  runner,
  `const [mod, root, id] = process.argv.slice(2);
const { reownTree } = await import(mod);
const t0 = process.hrtime.bigint();
const r = await reownTree(root, Number(id), Number(id));
const ms = Number(process.hrtime.bigint() - t0) / 1e6;
process.stdout.write(JSON.stringify({ ms, r }));
`,
);
const bundles = [];
for (const [i, v] of variants.entries()) {
  const out = path.join(work, `variant${i}.mjs`);
  await build({ entryPoints: [path.resolve(v)], outfile: out, bundle: true, format: 'esm', platform: 'node', target: 'node20.17', logLevel: 'warning' });
  bundles.push({ name: path.relative(repo, path.resolve(v)), file: out });
}
// the helper threads' module, beside the bundles (src/reown.ts looks for it next to its own code)
await build({ entryPoints: [path.join(repo, 'src/reown/helper.ts')], outfile: path.join(work, 'reown-helper.cjs'), bundle: true, format: 'cjs', platform: 'node', target: 'node20.17', logLevel: 'warning' });

// --- measuring -------------------------------------------------------------------------------------
let nextId = 3000; // every measured run re-owns to a uid:gid no earlier run used
const prefix = CPUS ? ['taskset', '-c', CPUS] : [];
const cpuJiffies = () => {
  const f = readFileSync('/proc/stat', 'utf8').split('\n')[0].trim().split(/\s+/).slice(1).map(Number);
  return { busy: f[0] + f[1] + f[2] + f[5] + f[6] + f[7], all: f.reduce((x, y) => x + y, 0) }; // all but idle, iowait
};
const HZ = 100; // USER_HZ
/** waits (at most QUIET seconds) until the CPUs are <8% busy for 300 ms */
const waitQuiet = () => {
  const until = Date.now() + QUIET * 1000;
  for (;;) {
    const a = cpuJiffies();
    execFileSync('sleep', ['0.3']);
    const b = cpuJiffies();
    if ((b.busy - a.busy) / (b.all - a.all || 1) < 0.08 || Date.now() > until) return;
  }
};
const timeFile = path.join(work, 'time.txt');
/** one process: wall ms, stdout, and the CPU ms that other processes used meanwhile */
const run = (cmd, argv) => {
  execFileSync('sync'); // the previous run's dirty inodes are written back now, not during this run
  const a = cpuJiffies();
  const t0 = process.hrtime.bigint();
  const out = execFileSync('/usr/bin/time', ['-o', timeFile, '-f', '%U %S', ...prefix, cmd, ...argv], { encoding: 'utf8' });
  const wall = Number(process.hrtime.bigint() - t0) / 1e6;
  const b = cpuJiffies();
  const [u, s] = readFileSync(timeFile, 'utf8').trim().split('\n').pop().split(' ').map(Number);
  return { wall, out, other: ((b.busy - a.busy) / HZ - u - s) * 1000 };
};
let disturbed = 0;
/** a heavy run that other processes did not disturb (other CPU use <= 10% of its wall time), up to 5 tries */
const undisturbed = (cmd, argvFor) => {
  for (let tries = 1; ; tries++) {
    waitQuiet();
    const id = nextId++;
    const r = { ...run(cmd, argvFor(id)), id };
    if (r.other <= Math.max(30, 0.1 * r.wall)) return r;
    if (tries === 5) return disturbed++, r;
  }
};
const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
};
const check = (id, label) => {
  // every entry must now be id:id (a full walk; not timed)
  const walk = (p) => {
    const st = lstatSync(p);
    if (st.uid !== id || st.gid !== id) throw new Error(`${label}: ${p} is ${st.uid}:${st.gid}, expected ${id}:${id}`);
    if (st.isDirectory()) for (const n of readdirSync(p)) walk(path.join(p, n));
  };
  walk(storage);
};

const chownNet = [];
const chownVersion = [];
const nodeNoop = [];
const times = bundles.map(() => ({ inproc: [], proc: [] }));
// warm up (page cache, dentries, node's own files)
run('chown', ['-R', `${nextId}:${nextId}`, storage]);
nextId++;
for (const b of bundles) run(process.execPath, [runner, b.file, storage, String(nextId++)]);
for (let round = 0; round < ROUNDS; round++) {
  waitQuiet();
  chownVersion.push(run('chown', ['--version']).wall);
  nodeNoop.push(run(process.execPath, ['-e', '0']).wall);
  const c = undisturbed('chown', (id) => ['-R', `${id}:${id}`, storage]);
  chownNet.push(c.wall);
  if (round === 0) check(c.id, 'chown -R');
  // rotate the order so no variant always runs right after chown
  for (let k = 0; k < bundles.length; k++) {
    const i = (k + round) % bundles.length;
    const v = undisturbed(process.execPath, (id) => [runner, bundles[i].file, storage, String(id)]);
    const { ms, r } = JSON.parse(v.out);
    if (r.visited !== entries || r.changed !== entries || r.denied !== 0) throw new Error(`${bundles[i].name}: ${JSON.stringify(r)}, expected ${entries} visited and changed`);
    if (round === 0) check(v.id, bundles[i].name);
    times[i].inproc.push(ms);
    times[i].proc.push(v.wall);
  }
}
const exec = median(chownVersion);
const chownMs = median(chownNet) - exec;
const nodeMs = median(nodeNoop);
console.log(`rounds: ${ROUNDS}; ${disturbed} heavy runs stayed disturbed by other processes after 5 tries; chown --version ${exec.toFixed(1)} ms, node -e 0 ${nodeMs.toFixed(1)} ms`);
console.log(`chown -R: ${chownMs.toFixed(0)} ms (wall ${median(chownNet).toFixed(0)} minus exec)  [${chownNet.map((x) => x.toFixed(0)).join(' ')}]`);
for (const [i, b] of bundles.entries()) {
  const inproc = median(times[i].inproc);
  const proc = median(times[i].proc) - nodeMs;
  console.log(
    `${b.name}: in-proc ${inproc.toFixed(0)} ms = ${(inproc / chownMs).toFixed(2)}x; proc-net ${proc.toFixed(0)} ms = ${(proc / chownMs).toFixed(2)}x  [${times[i].inproc.map((x) => x.toFixed(0)).join(' ')}]`,
  );
}
