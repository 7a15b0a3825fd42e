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
