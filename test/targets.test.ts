// The target seam: one registry, --help lists the targets, the installation model agrees with the
// compose plan (the compose target is the original code behind the interface), and `audit` picks the
// target that wrote a folder.

import { describe, expect, test } from '@jest/globals';
import { existsSync } from 'node:fs';
import path from 'node:path';
import { parse as parseYaml } from 'yaml';
import { buildPlan } from '../src/plan.js';
import { QUESTIONS } from '../src/questions.js';
import { installationModel } from '../src/targets/model.js';
import { TARGET_NAMES, TARGET_REGISTRY, detectTarget, loadTarget } from '../src/targets/registry.js';
import { planInput, validAnswers } from './fixtures/unit-fakes.js';
import { runCli } from './helpers/spawn.js';
import { scratchDirs } from './helpers/tmp.js';

// (the built CLI through the test-only entry: a fake host, so nothing depends on this machine)
const run = (args: string[]) => runCli(args);

describe('registry', () => {
  test('every target loads, has its name, and the question table offers exactly these', async () => {
    expect(TARGET_NAMES).toEqual(['compose', 'swarm', 'kubernetes']);
    for (const t of TARGET_REGISTRY) expect((await loadTarget(t.name)).name).toBe(t.name);
    expect(QUESTIONS.find((q) => q.key === 'target')!.schema).toEqual({ type: 'string', enum: ['compose', 'swarm', 'kubernetes'] });
    expect(detectTarget(() => false)).toBe('compose');
    expect(detectTarget((p) => p === 'docker-stack.yml')).toBe('swarm');
    expect(detectTarget((p) => p === 'kustomization.yaml')).toBe('kubernetes');
  });

  test('--help and init --help list the targets', async () => {
    const main = await run(['--help']);
    expect(main.code).toBe(0);
    // (wrapped to the terminal's width: compared with the line breaks and indents folded)
    const flat = main.stdout.replace(/\s+/g, ' ');
    for (const t of TARGET_REGISTRY) expect(flat).toContain(` ${t.name} ${t.summary.replace(/\s+/g, ' ')}`);
    const init = await run(['init', '--help']);
    expect(init.stdout).toMatch(/--target <target>/);
    for (const n of TARGET_NAMES) expect(init.stdout).toContain(n);
  });

  test('an unknown target is refused before anything is written (exit 2, the allowed values named)', async () => {
    const dir = path.join(scratch(), 'x');
    const r = await run(['init', '--yes', '--target', 'nomad', '--dir', dir]);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('target must be one of: compose, swarm, kubernetes; got "nomad"');
  });

  test('an answer only the kubernetes target uses, given for another target, is refused (exit 2, nothing written)', async () => {
    for (const target of ['compose', 'swarm']) {
      const dir = path.join(scratch(), `y-${target}`);
      const r = await run(['init', '--yes', '--target', target, '--namespace', 'pics', '--database-size', '5Gi', '--dir', dir]);
      expect(r.code).toBe(2);
      const err = r.stderr.replace(/\s+/g, ' ');
      expect(err).toContain(`namespace (--namespace) applies to the kubernetes target only, and this run writes the ${target} target`);
      expect(err).toContain('databaseSize (--database-size) applies to the kubernetes target only');
      expect(existsSync(dir)).toBe(false);
    }
  });
});

describe('the installation model agrees with the compose plan', () => {
  test.each([{ userMode: 'photoprism-uid' as const }, { userMode: 'user' as const, importPath: './import' }])('%o', (over) => {
    const input = planInput(validAnswers(over));
    const m = installationModel(input);
    const plan = buildPlan(input);
    const storage = plan.dirs.find((d) => d.path === 'storage')!;
    expect(m.owners.photoprism).toEqual(storage.owner);
    expect(m.owners.root).toEqual(plan.files.find((f) => f.path === '.secrets/db_pwd.txt')!.owner);
    const compose = parseYaml(plan.files.find((f) => f.path === 'docker-compose.yml')!.content) as Record<string, any>;
    const target = (svc: string) => (compose.services[svc].volumes as { source: string; target: string }[]).map((v) => [path.resolve(input.state.dir, v.source), v.target]);
    expect(m.mounts.filter((x) => x.service === 'photoprism').map((x) => [x.hostPath, x.containerPath])).toEqual(target('photoprism'));
    expect(m.mounts.filter((x) => x.service === 'mariadb').map((x) => [x.hostPath, x.containerPath])).toEqual(target('mariadb'));
    expect(compose.services.mariadb.command.split(' ')).toEqual(m.mariadbCommand);
    for (const [k, v] of Object.entries(m.mariadbEnv)) expect(compose.services.mariadb.environment[k]).toBe(v);
    const options = parseYaml(plan.files.find((f) => f.path.endsWith('options.yml'))!.content) as Record<string, unknown>;
    expect(options.DatabaseServer).toBe(m.photoprismEnv.PHOTOPRISM_DATABASE_SERVER);
    expect(options.SiteUrl).toBe(m.photoprismEnv.PHOTOPRISM_SITE_URL);
  });
});

const scratch = scratchDirs('ph-targets-');

describe('audit picks the target that wrote the folder', () => {
  test.each(['swarm', 'kubernetes'])('%s', async (t) => {
    const dir = path.join(scratch(), t);
    expect((await run(['init', '--yes', '--target', t, '--dir', dir])).code).toBe(0);
    const r = await run(['audit', '--dir', dir, '--json']);
    expect(r.code).toBe(0);
    const report = JSON.parse(r.stdout) as { compose: string; summary: { error: number } };
    expect(report.compose).toBe(t === 'swarm' ? 'docker-stack.yml' : 'kustomization.yaml');
    expect(report.summary.error).toBe(0);
  });
});
