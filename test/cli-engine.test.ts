// The built CLI (dist/, so run after `tsc`): the engine flags are wired through commander; the test-only
// entry's fake host answers for the engines (test/helpers/fake-commands.ts), nothing on PATH is run.

import { afterAll, describe, expect, test } from '@jest/globals';
import { execa } from 'execa';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { cliWithHost } from './helpers/spawn.js';
import { CONFIG_OK, HEALTHY, V2_VERSION, dockerInfo, fakeEngines, psJson } from './helpers/fake-engines.js';

const tmp = mkdtempSync(path.join(os.tmpdir(), 'pph-cli-'));
const fakes = fakeEngines({
  docker: [
    V2_VERSION,
    dockerInfo(),
    CONFIG_OK,
    { when: '*stop', replies: {} },
    { when: '*up -d --force-recreate', replies: { stdout: ' Container x  Started\n' } },
    { when: '*ps -a --format json', replies: { stdout: psJson(HEALTHY) } },
  ],
});
afterAll(() => {
  rmSync(tmp, { recursive: true, force: true });
  fakes.cleanup();
});
// the fake host of the spawned test-only entry answers for the engines (nothing on PATH is run)
const FACTS = { accounts: [], groups: [], euid: 0, egid: 0, freeBytes: 10 * 1024 ** 3 };
const host = path.join(tmp, 'host.json');
writeFileSync(host, JSON.stringify(fakes.hostData(FACTS)));

const run = (args: string[]) =>
  execa(process.execPath, [cliWithHost(host).script, ...args], {
    reject: false,
    env: fakes.env(cliWithHost(host).env),
    extendEnv: false,
    stdin: 'ignore',
  });

describe('CLI flags for engines', () => {
  test('--help lists them', async () => {
    const r = await run(['init', '--help']);
    expect(r.exitCode).toBe(0);
    for (const f of ['--engine <engine>', '--apply', '--apply-timeout <seconds>', '--no-validate']) expect(r.stdout).toContain(f);
    expect(r.stdout).toContain('Nothing is run against Docker or Podman unless you ask');
  });

  test('usage errors exit 2 and write nothing', async () => {
    const dir = path.join(tmp, 'usage');
    let r = await run(['init', '--dir', dir, '--yes', '--apply', '--dry-run']);
    expect(r.exitCode).toBe(2);
    expect(r.stderr).toContain('--apply cannot be combined with --dry-run');
    r = await run(['init', '--dir', dir, '--yes', '--engine', 'lxc']);
    expect(r.exitCode).toBe(2);
    expect(r.stderr).toMatch(/--engine must be one of: docker, docker-compose, podman/);
    r = await run(['init', '--dir', dir, '--yes', '--apply-timeout', '0']);
    expect(r.exitCode).toBe(2);
    expect(r.stderr).toContain('--apply-timeout must be a whole number of seconds');
    expect(existsSync(dir)).toBe(false);
  });

  test('the engine probes start early, and an init stopped by invalid input does not wait for them', async () => {
    // a Docker CLI whose every command hangs (an unreachable daemon): the CLI starts `docker info`
    // before it loads init, then stops on the missing terminal and must kill it rather than wait
    const hung = fakeEngines({ docker: [{ when: '*', replies: { hangMs: 30000 } }] });
    const hangHost = path.join(tmp, 'hang-host.json');
    writeFileSync(hangHost, JSON.stringify(hung.hostData(FACTS)));
    const dir = path.join(tmp, 'hang');
    const t0 = Date.now();
    const r = await execa(process.execPath, [cliWithHost(hangHost).script, 'init', '--dir', dir], {
      reject: false,
      env: hung.env(cliWithHost(hangHost).env),
      extendEnv: false,
      stdin: 'ignore',
    });
    const hungCalls = hung.lines();
    hung.cleanup();
    expect(r.exitCode).toBe(2);
    expect(r.stderr).toContain('standard input is not a terminal');
    expect(Date.now() - t0).toBeLessThan(10000);
    expect(hungCalls).toContain('docker info --format {{json .}}');
    expect(existsSync(dir)).toBe(false);
  });

  test('init --yes --engine docker --apply: written, validated, started', async () => {
    const dir = path.join(tmp, 'install');
    const r = await run(['init', '--dir', dir, '--yes', '--engine', 'docker', '--apply', '--apply-timeout', '5']);
    expect(r.stderr).toBe('');
    expect(r.exitCode).toBe(0);
    expect(r.stdout).toContain('Validated: docker compose config --quiet (2.29.1) accepts docker-compose.yml.');
    expect(r.stdout).toMatch(/Started in \d+ s: photoprism running \(healthy\), mariadb running \(healthy\)\./);
    // the repeat command keeps --engine (it names the command that ran the tool; a long one continues after " \\")
    expect(r.stdout).toMatch(/photoprism-harden(?:\.cjs)? init --dir \S+ --yes(?: \\\n\s*| )--engine docker /);
    expect(fakes.lines().filter((l) => / (stop|up) /.test(l) || l.endsWith(' stop'))).toEqual([
      'docker compose -f docker-compose.yml stop',
      'docker compose -f docker-compose.yml up -d --force-recreate',
    ]);
  });
});
