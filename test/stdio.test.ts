// src/stdio.ts: output through plain descriptor writes. A reader that has gone (`| head`) is not an
// error (the run goes on, its output is dropped); a slow reader gets every byte.

import { describe, expect, test } from '@jest/globals';
import { spawn, spawnSync } from 'node:child_process';
import path from 'node:path';
import { REPO_ROOT, assertBuilt, cliWithHost } from './helpers/spawn.js';

describe('stdio writers (the built CLI)', () => {
  assertBuilt();
  const bin = path.join(REPO_ROOT, 'bin', 'photoprism-harden.cjs');

  test('stdout closed by its reader before the first write: exit 0, no error message', async () => {
    const child = spawn(process.execPath, [bin, 'schema'], { stdio: ['ignore', 'pipe', 'pipe'] });
    child.stdout.destroy(); // the reader is gone before the CLI (which takes ~100 ms to start) writes
    let stderr = '';
    child.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d));
    const code = await new Promise<number | null>((resolve) => child.on('close', (c) => resolve(c)));
    expect({ code, stderr }).toEqual({ code: 0, stderr: '' });
  });

  test('init whose reader has gone (`| head`): the files are still written, exit 0', async () => {
    const { mkdtempSync, existsSync, rmSync } = await import('node:fs');
    const os = await import('node:os');
    const dir = path.join(mkdtempSync(path.join(os.tmpdir(), 'pph-stdio-')), 'install');
    try {
      const entry = cliWithHost('cli-host.json');
      const child = spawn(process.execPath, [entry.script, 'init', '--yes', '--dir', dir], {
        stdio: ['ignore', 'pipe', 'pipe'],
        env: { PATH: process.env.PATH, HOME: '/root', ...entry.env },
      });
      child.stdout.destroy();
      let stderr = '';
      child.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d));
      const code = await new Promise<number | null>((resolve) => child.on('close', (c) => resolve(c)));
      expect({ code, stderr }).toEqual({ code: 0, stderr: '' });
      for (const f of ['docker-compose.yml', 'storage/config/options.yml', '.secrets/db_pwd.txt']) expect(existsSync(path.join(dir, f))).toBe(true);
    } finally {
      rmSync(path.dirname(dir), { recursive: true, force: true });
    }
  });

  test('a slow reader on a pipe gets every byte', () => {
    const full = spawnSync(process.execPath, [bin, 'schema'], { encoding: 'utf8' }).stdout;
    expect(full.length).toBeGreaterThan(2000);
    const r = spawnSync('sh', ['-c', '"$NODE" "$BIN" schema | (sleep 0.3; cat)'], { encoding: 'utf8', env: { PATH: process.env.PATH, BIN: bin, NODE: process.execPath } });
    expect(r.stdout).toBe(full);
    expect(JSON.parse(r.stdout).title).toBeTruthy();
  });
});

describe('isTerminal: isatty without node:tty for what is certainly no terminal', () => {
  assertBuilt();
  const bin = path.join(REPO_ROOT, 'bin', 'photoprism-harden.cjs');

  test('pipes, files, /dev/null and closed descriptors are no terminal (as isatty says)', async () => {
    const { isTerminal } = await import('../src/terminal.js');
    const { isatty } = await import('node:tty');
    const { openSync, closeSync, mkdtempSync, rmSync } = await import('node:fs');
    const os = await import('node:os');
    const dir = mkdtempSync(path.join(os.tmpdir(), 'pph-tty-'));
    const fds = [openSync('/dev/null', 'r'), openSync('/dev/zero', 'r'), openSync(path.join(dir, 'f'), 'w')];
    try {
      for (const fd of fds) expect([isTerminal(fd), isatty(fd)]).toEqual([false, false]);
      expect(isTerminal(987654)).toBe(false);
    } finally {
      for (const fd of fds) closeSync(fd);
      rmSync(dir, { recursive: true, force: true });
    }
  });

  test('--help into a pipe or /dev/null loads neither node:tty nor the socket code; in a terminal it is laid out for its width', async () => {
    // a preload that reports, at exit, whether node:tty and node:net were loaded
    const hook = `process.on('exit', () => require('node:fs').writeSync(2, 'LOADED ' + JSON.stringify(['tty', 'net'].filter((m) => process.moduleLoadList.includes('NativeModule ' + m)))))`;
    const { mkdtempSync, rmSync, writeFileSync } = await import('node:fs');
    const os = await import('node:os');
    const dir = mkdtempSync(path.join(os.tmpdir(), 'pph-tty-'));
    writeFileSync(path.join(dir, 'hook.cjs'), hook);
    try {
      for (const stdout of ['pipe', 'ignore'] as const) {
        const r = spawnSync(process.execPath, ['-r', path.join(dir, 'hook.cjs'), bin, '--help'], { stdio: ['ignore', stdout, 'pipe'], encoding: 'utf8' });
        expect(r.status).toBe(0);
        expect(r.stderr).toBe('LOADED []');
      }
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
    const piped = spawnSync(process.execPath, [bin, '--help'], { encoding: 'utf8', env: { PATH: process.env.PATH } });
    expect(Math.max(...piped.stdout.split('\n').map((l) => l.length))).toBeGreaterThan(50); // 80 columns when not a terminal
    const pty = await import('@lydell/node-pty');
    const term = pty.spawn(process.execPath, [bin, '--help'], { cols: 50, rows: 60, env: { PATH: process.env.PATH ?? '' } });
    const seen = await new Promise<string>((resolve) => {
      let out = '';
      term.onData((d) => (out += d));
      term.onExit(() => resolve(out));
    });
    const lines = seen.split(/\r?\n/).filter(Boolean);
    expect(lines.length).toBeGreaterThan(10);
    expect(Math.max(...lines.map((l) => l.length))).toBeLessThanOrEqual(50);
  });
});
