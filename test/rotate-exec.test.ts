// The real process path of rotate: engineAccess spawns the engine with stdin as a pipe. A fake
// engine script runs `exec -T SERVICE CMD...` as a local process, so the shell script that turns stdin
// into a 0600 option file, and the prompt-by-prompt conversation with `photoprism passwd`, run for real.

import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import { promises as fsp, readdirSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { engineAccess } from '../src/rotate/exec.js';
import { runSql } from '../src/rotate/mariadb.js';
import type { Engine } from '../src/engine.js';

let tmp: string;
let engine: Engine;
let bin: string;

const SECRET = 'Pw-with "quotes" \\ and #hash';

beforeAll(async () => {
  tmp = await fsp.mkdtemp(path.join(os.tmpdir(), 'phh-exec-'));
  bin = path.join(tmp, 'bin');
  await fsp.mkdir(bin);
  const fake = path.join(bin, 'fake-compose');
  await fsp.writeFile(
    fake,
    ['#!/bin/sh', '# -f FILE exec -T [--user U] SERVICE CMD...', 'shift 2', '[ "$1" = exec ] || exit 64', 'shift', '[ "$1" = -T ] && shift', '[ "$1" = --user ] && shift 2', 'shift', 'exec "$@"', ''].join('\n'),
    { mode: 0o755 },
  );
  // a stand-in client: reports the option file it was handed (mode, content) and the SQL on its stdin
  await fsp.writeFile(
    path.join(bin, 'mariadb'),
    ['#!/bin/sh', 'f=${1#--defaults-extra-file=}', 'shift', 'echo "mode=$(stat -c %a "$f")"', 'echo "dir=$(dirname "$f")"', 'cat "$f"', 'echo "args=$*"', 'echo "---"', 'cat', ''].join('\n'),
    { mode: 0o755 },
  );
  engine = { kind: 'docker-compose-v2', command: fake, prefix: [], version: '2.0.0', runtime: 'docker', display: 'fake compose' };
});
afterAll(async () => {
  await fsp.rm(tmp, { recursive: true, force: true });
});

const shmFiles = () => {
  try {
    return readdirSync('/dev/shm').filter((n) => n.startsWith('photoprism-harden.'));
  } catch {
    return [];
  }
};

describe('engineAccess on a real process', () => {
  test('the client script writes the option file 0600 on tmpfs, feeds the SQL on stdin, and removes the file', async () => {
    const before = shmFiles();
    const access = engineAccess(engine, tmp, 'docker-compose.yml', { PATH: `${bin}:/usr/bin:/bin` });
    const r = await runSql(access, 'mariadb', { user: 'root', password: SECRET }, "SELECT 'x';", 'socket');
    expect(r.exitCode).toBe(0);
    const [head, sql] = r.stdout.split('---\n');
    expect(head).toContain('mode=600');
    expect(head).toMatch(/dir=(\/dev\/shm|\/tmp)/);
    expect(head).toContain(`[client]\nuser=root\npassword="Pw-with \\"quotes\\" \\\\ and #hash"\n`);
    expect(head).toContain('args=--batch --skip-column-names --connect-timeout=10 --protocol=socket');
    expect(sql).toBe("SELECT 'x';\n");
    expect(shmFiles()).toEqual(before);
  });

  test('a conversation answers each prompt only after it appears (each read takes whatever is in the pipe)', async () => {
    // like photoprism passwd: a fresh reader per prompt, each taking up to 4096 bytes at once
    const script = path.join(tmp, 'passwd.cjs');
    await fsp.writeFile(
      script,
      `const fs = require('node:fs');
       const read = () => { const b = Buffer.alloc(4096); const n = fs.readSync(0, b, 0, 4096, null); return b.subarray(0, n).toString().trim(); };
       process.stdout.write('New Password: '); const a = read();
       process.stdout.write('Retype Password: '); const b = read();
       if (!a || a !== b) { console.error('passwords did not match'); process.exit(1); }
       fs.writeFileSync(process.argv[2], a);`,
    );
    const result = path.join(tmp, 'result.txt');
    const access = engineAccess(engine, tmp, 'docker-compose.yml', { PATH: `${bin}:/usr/bin:/bin` });
    const r = await access.converse(['exec', '-T', 'photoprism', process.execPath, script, result], [
      { expect: /New Password:/, send: `${SECRET}\n` },
      { expect: /Retype Password:/, send: `${SECRET}\n` },
    ]);
    expect(r.stderr).toBe('');
    expect(r.exitCode).toBe(0);
    expect(await fsp.readFile(result, 'utf8')).toBe(SECRET);
  });

  test('the engine never gets the password presets in its environment', async () => {
    const access = engineAccess(engine, tmp, 'docker-compose.yml', { PATH: `${bin}:/usr/bin:/bin`, PHOTOPRISM_HARDEN_DATABASE_PASSWORD: 'preset-secret', KEEP: '1' });
    const r = await access.compose(['exec', '-T', 'x', 'env']);
    expect(r.stdout).toContain('KEEP=1');
    expect(r.stdout).not.toContain('preset-secret');
  });
});
