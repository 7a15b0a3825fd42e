// dist/boot.cjs: CommonJS bundles run through vm.Script with a V8 code cache in <package>/.cache/v8.
// Unit tests on small fake packages, then the real built CLI (cache files hold no password; a package
// folder the user cannot write runs without a cache).

import { describe, expect, test } from '@jest/globals';
import { execFileSync, spawnSync } from 'node:child_process';
import { chmodSync, chownSync, cpSync, existsSync, lstatSync, mkdirSync, readFileSync, readdirSync, rmSync, symlinkSync, utimesSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { cacheTag } from '../src/boot.js';
import { REPO_ROOT, assertBuilt, cliWithHost } from './helpers/spawn.js';
import { scratchDirs } from './helpers/tmp.js';
import { engineFreePath } from './helpers/engine-free.js';

const tmp = scratchDirs('pph-boot-');

/** A fake package: <root>/dist/main.cjs requires ./dep.cjs and node:path. */
function fakePackage(): { root: string; dist: string; cacheDir: string } {
  const root = tmp();
  chmodSync(root, 0o755);
  const dist = path.join(root, 'dist');
  mkdirSync(dist);
  writeFileSync(path.join(dist, 'main.cjs'), "const p = require('node:path'); const dep = require('./dep.cjs'); module.exports = { value: dep.n + 1, sep: p.sep, file: __filename };\n");
  writeFileSync(path.join(dist, 'dep.cjs'), 'exports.n = 41;\n');
  return { root, dist, cacheDir: path.join(root, '.cache', 'v8') };
}

const cacheFiles = (dir: string) => (existsSync(dir) ? readdirSync(dir).filter((f) => f.endsWith('.bin')).sort() : []);

/**
 * One run of a fake package through the BUILT dist/boot.cjs, in a process of its own (within one
 * process V8 keeps compiled scripts in memory and would never look at the cache file).
 */
function runOnce(dist: string, tag = 'init', env: NodeJS.ProcessEnv = {}) {
  const code = `
    const boot = require(${JSON.stringify(path.join(REPO_ROOT, 'dist', 'boot.cjs'))}).createBoot(${JSON.stringify(dist)}, ${JSON.stringify(tag)}, process.env);
    const main = boot.require('./main.cjs');
    boot.save();
    process.stdout.write(JSON.stringify({ main, loaded: boot.loaded.map((l) => ({ file: l.file, cacheUsed: l.cacheUsed })) }));`;
  const r = spawnSync(process.execPath, ['-e', code], { env: { PATH: process.env.PATH, ...env }, encoding: 'utf8' });
  if (r.status !== 0) throw new Error(r.stderr);
  const out = JSON.parse(r.stdout) as { main: { value: number; sep: string; file: string }; loaded: { file: string; cacheUsed: boolean }[] };
  return { main: out.main, boot: { loaded: out.loaded } };
}

describe('boot: bundles with a code cache (the built dist/boot.cjs)', () => {
  assertBuilt();

  test('first run writes one cache per bundle (folders 0755, files 0644); the next run uses them', () => {
    const { dist, cacheDir } = fakePackage();
    const first = runOnce(dist);
    expect(first.main).toEqual({ value: 42, sep: '/', file: path.join(dist, 'main.cjs') });
    expect(first.boot.loaded.map((l) => [path.basename(l.file), l.cacheUsed])).toEqual([
      ['main.cjs', false],
      ['dep.cjs', false],
    ]);
    const files = cacheFiles(cacheDir);
    expect(files).toHaveLength(2);
    expect(files[0]).toMatch(new RegExp(`^dep\\.init\\.${process.version.replace(/\./g, '\\.')}-${process.arch}\\.[0-9a-z-]+\\.bin$`));
    expect(lstatSync(cacheDir).mode & 0o777).toBe(0o755);
    for (const f of files) expect(lstatSync(path.join(cacheDir, f)).mode & 0o777).toBe(0o644);

    const second = runOnce(dist);
    expect(second.main.value).toBe(42);
    expect(second.boot.loaded.every((l) => l.cacheUsed)).toBe(true);
    expect(cacheFiles(cacheDir)).toEqual(files); // nothing rewritten or added
  });

  test('each command has its own cache; a rebuilt bundle gets a new one and the old one is removed', () => {
    const { dist, cacheDir } = fakePackage();
    runOnce(dist, 'init');
    runOnce(dist, 'audit');
    expect(cacheFiles(cacheDir).filter((f) => f.startsWith('main.'))).toHaveLength(2);
    const before = cacheFiles(cacheDir).find((f) => f.startsWith('main.init.'))!;
    // same size, new content and time: a rebuild
    writeFileSync(path.join(dist, 'main.cjs'), readFileSync(path.join(dist, 'main.cjs'), 'utf8').replace('+ 1', '+ 2'));
    utimesSync(path.join(dist, 'main.cjs'), new Date(), new Date(Date.now() + 5000));
    const r = runOnce(dist, 'init');
    expect(r.main.value).toBe(43);
    expect(r.boot.loaded.find((l) => l.file.endsWith('main.cjs'))!.cacheUsed).toBe(false);
    const mainInit = cacheFiles(cacheDir).filter((f) => f.startsWith('main.init.'));
    expect(mainInit).toHaveLength(1);
    expect(mainInit[0]).not.toBe(before);
    expect(runOnce(dist, 'init').boot.loaded.every((l) => l.cacheUsed)).toBe(true);
  });

  test('a damaged cache (cut short) is rejected by V8 and written again', () => {
    const { dist, cacheDir } = fakePackage();
    runOnce(dist);
    const main = path.join(cacheDir, cacheFiles(cacheDir).find((f) => f.startsWith('main.'))!);
    const good = readFileSync(main);
    writeFileSync(main, good.subarray(0, Math.floor(good.length / 2)));
    const r = runOnce(dist);
    expect(r.main.value).toBe(42);
    expect(r.boot.loaded.find((l) => l.file.endsWith('main.cjs'))!.cacheUsed).toBe(false);
    expect(readFileSync(main).length).toBe(good.length);
    expect(runOnce(dist).boot.loaded.every((l) => l.cacheUsed)).toBe(true);
  });

  test('a cache owned by someone else, or writable by others, is not used', () => {
    const { dist, cacheDir } = fakePackage();
    runOnce(dist);
    const [dep, main] = cacheFiles(cacheDir).map((f) => path.join(cacheDir, f));
    chownSync(main!, 12345, 12345);
    chmodSync(dep!, 0o666);
    const r = runOnce(dist);
    expect(r.main.value).toBe(42);
    expect(r.boot.loaded.map((l) => l.cacheUsed)).toEqual([false, false]);
  });

  test('a cache file that is a symlink is neither read nor written through', () => {
    const { dist, cacheDir } = fakePackage();
    runOnce(dist);
    const main = path.join(cacheDir, cacheFiles(cacheDir).find((f) => f.startsWith('main.'))!);
    const elsewhere = path.join(tmp(), 'target.bin');
    writeFileSync(elsewhere, readFileSync(main));
    rmSync(main);
    symlinkSync(elsewhere, main);
    const before = readFileSync(elsewhere);
    const r = runOnce(dist);
    expect(r.boot.loaded.find((l) => l.file.endsWith('main.cjs'))!.cacheUsed).toBe(false);
    // the new cache replaced the link itself (rename); the link's target is untouched
    expect(lstatSync(main).isSymbolicLink()).toBe(false);
    expect(readFileSync(elsewhere)).toEqual(before);
  });

  test('a cache folder others may write, or that is a symlink, is not used at all', () => {
    const a = fakePackage();
    mkdirSync(a.cacheDir, { recursive: true });
    chmodSync(a.cacheDir, 0o777);
    runOnce(a.dist);
    expect(cacheFiles(a.cacheDir)).toEqual([]);

    const b = fakePackage();
    const other = tmp();
    chmodSync(other, 0o755);
    mkdirSync(path.join(b.root, '.cache'));
    symlinkSync(other, b.cacheDir);
    const r = runOnce(b.dist);
    expect(r.main.value).toBe(42);
    expect(readdirSync(other)).toEqual([]);
  });

  test('NODE_DISABLE_COMPILE_CACHE: no cache folder, no cache', () => {
    const { root, dist } = fakePackage();
    const r = runOnce(dist, 'init', { NODE_DISABLE_COMPILE_CACHE: '1' });
    expect(r.main.value).toBe(42);
    expect(existsSync(path.join(root, '.cache'))).toBe(false);
  });

  test('cacheTag: one cache per command, help runs apart', () => {
    const t = (...a: string[]) => cacheTag(['node', 'bin', ...a]);
    expect(t('init', '--yes')).toBe('init');
    expect(t('init', '--dir', 'x', '--dry-run')).toBe('init-dry-run');
    expect(t('init', '--help')).toBe('init-help');
    expect(t('help', 'init')).toBe('help-help');
    expect(t('audit', '--dir', 'x')).toBe('audit');
    expect(t('--version')).toBe('cli');
    expect(t('--help')).toBe('cli-help');
    expect(t()).toBe('cli');
    expect(t('../../etc')).toBe('cli');
  });
});

describe('boot: the built CLI', () => {
  assertBuilt();

  test('a package folder the user cannot write: runs, without a cache', () => {
    const root = tmp();
    chmodSync(root, 0o755);
    for (const d of ['bin', 'dist', 'templates', 'schema']) cpSync(path.join(REPO_ROOT, d), path.join(root, d), { recursive: true });
    cpSync(path.join(REPO_ROOT, 'package.json'), path.join(root, 'package.json'));
    const r = spawnSync('setpriv', ['--reuid=65534', '--regid=65534', '--clear-groups', process.execPath, path.join(root, 'bin', 'photoprism-harden.cjs'), 'schema'], {
      encoding: 'utf8',
    });
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
    expect(JSON.parse(r.stdout).title).toBeTruthy();
    expect(existsSync(path.join(root, '.cache'))).toBe(false);
  });

  test('only a run that succeeded writes the caches (an early stop compiled little of the code)', async () => {
    const root = tmp();
    chmodSync(root, 0o755);
    for (const d of ['bin', 'dist', 'templates', 'schema']) cpSync(path.join(REPO_ROOT, d), path.join(root, d), { recursive: true });
    cpSync(path.join(REPO_ROOT, 'package.json'), path.join(root, 'package.json'));
    // (no engine on PATH: init checks the file with the Compose schema, whose validator is cached too)
    const entry = cliWithHost('cli-host.json', path.join(root, 'bin', 'photoprism-harden.cjs'));
    const env = { PATH: await engineFreePath(), HOME: '/root', ...entry.env };
    const cli = (...args: string[]) => spawnSync(process.execPath, [entry.script, ...args], { env, encoding: 'utf8' });
    const dir = path.join(tmp(), 'install');
    expect(cli('init', '--yes', '--dir', dir, '--uid', '0').status).toBe(2);
    expect(cacheFiles(path.join(root, '.cache', 'v8')).filter((f) => f.startsWith('cli.init.'))).toEqual([]);
    expect(cli('init', '--yes', '--dir', dir).status).toBe(0);
    const caches = cacheFiles(path.join(root, '.cache', 'v8'));
    expect(caches.filter((f) => /^(cli|templates|compose-validator)\.init\./.test(f))).toHaveLength(3);
  });

  test("init's engine probes start once: cli uses those the prelude started (real host and injected host)", async () => {
    // dist/prelude.cjs and dist/cli.cjs each bundle their own copy of engine.ts: the real host's
    // commands are two objects, and cli once took the prelude's probes for another host's, ran them
    // all again and waited for the second set
    const probeStarts = (stderr: string) => stderr.split('\n').filter((l) => l.includes('preflight: engine probes start')).length;
    const env = { PATH: await engineFreePath(), HOME: '/root', PHOTOPRISM_HARDEN_TRACE: '1' };
    const real = spawnSync(process.execPath, [path.join(REPO_ROOT, 'bin', 'photoprism-harden.cjs'), 'init', '--yes', '--dir', path.join(tmp(), 'real')], { env, encoding: 'utf8' });
    expect(real.status).toBe(0);
    expect(probeStarts(real.stderr)).toBe(1);
    const entry = cliWithHost('cli-host.json');
    const fake = spawnSync(process.execPath, [entry.script, 'init', '--yes', '--dir', path.join(tmp(), 'fake')], { env: { ...env, ...entry.env }, encoding: 'utf8' });
    expect(fake.status).toBe(0);
    expect(probeStarts(fake.stderr)).toBe(1);
  });

  test('after init, the code caches hold no password', async () => {
    const root = tmp();
    chmodSync(root, 0o755);
    for (const d of ['bin', 'dist', 'templates', 'schema']) cpSync(path.join(REPO_ROOT, d), path.join(root, d), { recursive: true });
    cpSync(path.join(REPO_ROOT, 'package.json'), path.join(root, 'package.json'));
    const dir = path.join(tmp(), 'install');
    const entry = cliWithHost('cli-host.json', path.join(root, 'bin', 'photoprism-harden.cjs'));
    const env = { PATH: await engineFreePath(), HOME: '/root', ...entry.env };
    execFileSync(process.execPath, [entry.script, 'init', '--yes', '--dir', dir], { env, stdio: 'ignore' });
    const caches = cacheFiles(path.join(root, '.cache', 'v8'));
    expect(caches.some((f) => f.startsWith('cli.init.'))).toBe(true);
    const secrets = ['db_pwd.txt', 'db_root_pwd.txt'].map((f) => readFileSync(path.join(dir, '.secrets', f), 'utf8'));
    const options = readFileSync(path.join(dir, 'storage', 'config', 'options.yml'), 'utf8');
    secrets.push(/AdminPassword: "?([^"\n]+)"?/.exec(options)![1]!);
    for (const s of secrets) expect(s.length).toBeGreaterThanOrEqual(16);
    for (const f of caches) {
      const bytes = readFileSync(path.join(root, '.cache', 'v8', f));
      for (const s of secrets) {
        expect(bytes.includes(Buffer.from(s, 'latin1'))).toBe(false);
        expect(bytes.includes(Buffer.from(s, 'utf16le'))).toBe(false);
      }
    }
  });
});
