// The swarm target, offline: the stack file against the Compose schema and the Swarm read-back checks,
// Swarm secrets for every password (external, versioned names), options.yml without passwords, the
// list of dropped controls, re-runs that keep the secret names, and audit of stack installations.
// (The real deployment on a single-node Swarm is test/e2e/swarm.test.ts.)

import { describe, expect, test } from '@jest/globals';
import { promises as fsp } from 'node:fs';
import path from 'node:path';
import { parse as parseYaml } from 'yaml';
import { schemaValidate } from '../src/composecheck.js';
import { FixtureHost } from './helpers/fixture-host.js';
import { runInit } from '../src/init.js';
import { Output } from '../src/output.js';
import type { Preflight } from '../src/preflight.js';
import { TRANSCODINGS, USER_MODES } from '../src/domain.js';
import { stackProblems } from '../src/targets/swarm/deploy.js';
import { auditSwarm } from '../src/targets/swarm/audit.js';
import { droppedControls, stackSecretsOf, stackSecretVersions, swarmPlan, withoutPasswords, STACK_FILE } from '../src/targets/swarm/index.js';
import { installationModel } from '../src/targets/model.js';
import { fakeFacts, hardwareFacts, planInput, validAnswers } from './fixtures/unit-fakes.js';
import { Sink } from './helpers/sink.js';
import { scratchDirs } from './helpers/tmp.js';

type Obj = Record<string, any>;
const splan = (over: Parameters<typeof validAnswers>[0] = {}, facts = fakeFacts()) => swarmPlan(planInput(validAnswers({ target: 'swarm', ...over }), { facts }));
const stackOf = (plan: ReturnType<typeof swarmPlan>) => plan.files.find((f) => f.path === STACK_FILE)!.content;

const variants = USER_MODES.flatMap((userMode) => TRANSCODINGS.flatMap((transcoding) => [true, false].map((behindProxy) => ({ userMode, transcoding, behindProxy }))));

describe('docker-stack.yml', () => {
  test.each(variants)('%o: valid for the Compose schema and the Swarm checks; no password anywhere but .secrets/', async (v) => {
    const a = validAnswers({ target: 'swarm', ...v, gid: 44, initActions: ['update'] });
    const plan = swarmPlan(planInput(a, { facts: hardwareFacts() }));
    const stack = stackOf(plan);
    expect(await schemaValidate(stack)).toEqual({ ok: true, warnings: [] });
    expect(stackProblems(stack)).toEqual([]);
    for (const f of plan.files.filter((x) => !x.path.startsWith('.secrets/'))) {
      for (const s of [a.adminPassword, a.databasePassword, a.databaseRootPassword]) expect({ file: f.path, leaks: f.content.includes(s) }).toEqual({ file: f.path, leaks: false });
    }
    const data = parseYaml(stack) as Obj;
    // no control Swarm would ignore is written as if it worked
    for (const svc of Object.values<Obj>(data.services)) {
      for (const k of ['devices', 'security_opt', 'privileged', 'userns_mode', 'depends_on', 'restart', 'container_name']) expect(svc[k]).toBeUndefined();
      expect(svc.cap_drop).toEqual(['ALL']);
      expect(svc.deploy.placement.constraints).toEqual(['node.labels.photoprism.data == true']);
    }
    expect(data.services.photoprism.ports === undefined).toBe(v.behindProxy);
  });

  test('every password is a Swarm secret read through *_FILE, mode 0400, owned by the reader', () => {
    const data = parseYaml(stackOf(splan({ uid: 2001, gid: 2002 }))) as Obj;
    const pp = data.services.photoprism;
    const db = data.services.mariadb;
    expect(pp.environment.PHOTOPRISM_ADMIN_PASSWORD_FILE).toBe('/run/secrets/admin_pwd');
    expect(pp.environment.PHOTOPRISM_DATABASE_PASSWORD_FILE).toBe('/run/secrets/db_pwd');
    expect(db.environment.MARIADB_PASSWORD_FILE).toBe('/run/secrets/db_pwd');
    expect(db.environment.MARIADB_ROOT_PASSWORD_FILE).toBe('/run/secrets/db_root_pwd');
    expect(pp.secrets).toEqual([
      { source: 'photoprism_admin_pwd_v1', target: 'admin_pwd', uid: '2001', gid: '2002', mode: 0o400 },
      { source: 'photoprism_db_pwd_v1', target: 'db_pwd', uid: '2001', gid: '2002', mode: 0o400 },
    ]);
    expect(db.secrets).toEqual([
      { source: 'photoprism_db_pwd_v1', target: 'db_pwd', uid: '0', gid: '0', mode: 0o400 },
      { source: 'photoprism_db_root_pwd_v1', target: 'db_root_pwd', uid: '0', gid: '0', mode: 0o400 },
    ]);
    expect(data.secrets).toEqual({ photoprism_admin_pwd_v1: { external: true }, photoprism_db_pwd_v1: { external: true }, photoprism_db_root_pwd_v1: { external: true } });
    expect(stackSecretsOf(stackOf(splan()))).toEqual([
      { name: 'photoprism_admin_pwd_v1', file: '.secrets/admin_pwd.txt' },
      { name: 'photoprism_db_pwd_v1', file: '.secrets/db_pwd.txt' },
      { name: 'photoprism_db_root_pwd_v1', file: '.secrets/db_root_pwd.txt' },
    ]);
  });

  test('the database: internal overlay network, resources and placement; PhotoPrism also on a network with a way out', () => {
    const data = parseYaml(stackOf(splan())) as Obj;
    expect(data.networks.backend).toEqual({ driver: 'overlay', internal: true });
    expect(data.networks.frontend).toMatchObject({ driver: 'overlay', attachable: true });
    expect(data.services.mariadb.networks).toEqual(['backend']);
    expect(data.services.photoprism.networks).toEqual(['backend', 'frontend']);
    expect(data.services.mariadb.deploy.resources).toEqual({ reservations: { cpus: '0.5', memory: '1G' }, limits: { cpus: '2', memory: '2G' } });
    expect(data.services.mariadb.ports).toBeUndefined();
  });

  test('capabilities: the root entrypoint gets back only what it needs; "user:" mode gets none back', () => {
    const uidMode = parseYaml(stackOf(splan({ userMode: 'photoprism-uid' }))) as Obj;
    expect(uidMode.services.photoprism.cap_add).toEqual(['CHOWN', 'DAC_OVERRIDE', 'FOWNER', 'SETGID', 'SETUID']);
    const userMode = parseYaml(stackOf(splan({ userMode: 'user', uid: 2001, gid: 2001 }))) as Obj;
    expect(userMode.services.photoprism.user).toBe('2001:2001');
    expect(userMode.services.photoprism.cap_drop).toEqual(['ALL']);
    expect(userMode.services.photoprism.cap_add).toBeUndefined();
  });

  test('the wizard offers to deploy only where a Docker daemon answers; otherwise it says where to deploy', async () => {
    const { swarmTarget } = await import('../src/targets/swarm/index.js');
    const pf = (reachable: boolean): Preflight => ({ engine: null, notFound: [], runtime: { runtime: 'docker', reachable, rootless: false, usernsRemap: false, selinux: false, ...(reachable ? {} : { error: 'Cannot connect to the Docker daemon' }) }, mapping: null, selinuxEnforcing: false, free: null, runtimeFree: null, notes: [] });
    expect(swarmTarget.startCommand(pf(true))).toMatch(/docker stack deploy --compose-file docker-stack.yml photoprism/);
    expect(swarmTarget.cannotStart(pf(true))).toBeNull();
    expect(swarmTarget.startCommand(pf(false))).toBeNull();
    expect(swarmTarget.cannotStart(pf(false))!.join(' ')).toMatch(/Docker is not reachable here \(Cannot connect to the Docker daemon\).*Swarm manager/);
  });

  test('options.yml holds no password (PhotoPrism would prefer it over the secret file)', () => {
    const plan = splan();
    const opts = parseYaml(plan.files.find((f) => f.path.endsWith('options.yml'))!.content) as Obj;
    expect(opts.AdminPassword).toBeUndefined();
    expect(opts.DatabasePassword).toBeUndefined();
    expect(opts.DatabaseServer).toBe('mariadb:3306');
    // an options.yml from a compose installation loses its passwords and keeps everything else
    const old = 'AdminUser: "admin"\nAdminPassword: "old-secret-1"\nDatabasePassword: "old-secret-2"\nSiteCaption: "Mine"\n';
    const cleaned = parseYaml(withoutPasswords(old)) as Obj;
    expect(cleaned).toEqual({ AdminUser: 'admin', SiteCaption: 'Mine' });
  });

  test('the dropped controls are listed with what replaces them, in the notes and at the top of the stack file', () => {
    const input = planInput(validAnswers({ target: 'swarm', transcoding: 'vaapi', behindProxy: true, gid: 44 }), { facts: hardwareFacts(), selinux: true });
    const list = droppedControls(installationModel(input), true);
    const text = list.join('\n');
    for (const k of ['no-new-privileges', 'depends_on', 'restart:', 'devices (/dev/dri', '127.0.0.1', 'selinux', 'privileged, userns_mode']) expect(text).toContain(k);
    const plan = swarmPlan(input);
    for (const d of list) {
      expect(plan.messages.map((m) => m.text)).toContain(`Swarm drops ${d}`);
      expect(stackOf(plan)).toContain(d.slice(0, 40));
    }
  });
});

const scratch = scratchDirs('ph-swarm-');
const PF: Preflight = { engine: null, notFound: ['docker compose'], runtime: null, mapping: null, selinuxEnforcing: false, free: null, runtimeFree: null, notes: [] };
async function init(dir: string, flags: Record<string, unknown>, replaceSecrets?: string[]) {
  const out = new Sink();
  const err = new Sink();
  const code = await runInit({ dir, yes: true, dryRun: false, flags, version: '0.0.0-test', env: { HOME: '/root' }, out: new Output(out, err), probe: new FixtureHost(fakeFacts()), preflight: PF, replaceSecrets });
  return { code, out: out.text, err: err.text };
}

describe('init --target swarm (in-process)', () => {
  test('re-runs keep the target, the answers and the secret names; a replaced secret gets a new name', async () => {
    const dir = path.join(scratch(), 's');
    const first = await init(dir, { target: 'swarm', behindProxy: 'true', uid: '2001', gid: '2001' });
    expect(first.err).toBe('');
    expect(first.code).toBe(0);
    expect(first.out).toMatch(/audit: PASS/);
    expect(first.out).toContain('docker secret create photoprism_db_pwd_v1 .secrets/db_pwd.txt');
    const stack1 = await fsp.readFile(path.join(dir, STACK_FILE), 'utf8');
    const db1 = await fsp.readFile(path.join(dir, '.secrets', 'db_pwd.txt'), 'utf8');
    for (const s of [db1, await fsp.readFile(path.join(dir, '.secrets', 'admin_pwd.txt'), 'utf8')]) expect(first.out).not.toContain(s);

    const again = await init(dir, {});
    expect(again.code).toBe(0);
    expect(again.out).toContain('Nothing to change');

    const changed = await init(dir, { httpPort: '8081' });
    expect(changed.code).toBe(0);
    const stack2 = await fsp.readFile(path.join(dir, STACK_FILE), 'utf8');
    expect(stack2).not.toBe(stack1);
    expect(stackSecretVersions(stack2)).toEqual({ admin_pwd: 1, db_pwd: 1, db_root_pwd: 1 });
    expect(await fsp.readFile(path.join(dir, '.secrets', 'db_pwd.txt'), 'utf8')).toBe(db1);

    const rotated = await init(dir, {}, ['adminPassword']);
    expect(rotated.code).toBe(0);
    const stack3 = await fsp.readFile(path.join(dir, STACK_FILE), 'utf8');
    expect(stackSecretVersions(stack3)).toEqual({ admin_pwd: 2, db_pwd: 1, db_root_pwd: 1 });
    expect(rotated.out).toContain('photoprism_admin_pwd_v2');
  });

  test('audit of the written stack: no error; passwords put back in the environment are found', async () => {
    const dir = path.join(scratch(), 'a');
    expect((await init(dir, { target: 'swarm' })).code).toBe(0);
    const clean = await auditSwarm(dir, fakeFacts(), '0', {});
    expect(clean.summary.error).toBe(0);
    expect(clean.compose).toBe(STACK_FILE);
    const stack = await fsp.readFile(path.join(dir, STACK_FILE), 'utf8');
    await fsp.writeFile(
      path.join(dir, STACK_FILE),
      stack
        .replace('PHOTOPRISM_DISABLE_CHOWN: "false"', 'PHOTOPRISM_DISABLE_CHOWN: "false"\n      PHOTOPRISM_ADMIN_PASSWORD: "insecure-pw-1"')
        .replace(/ {4}cap_drop:\n {6}- ALL\n/, '')
        .replace('    stop_grace_period: 5s', '    stop_grace_period: 5s\n    privileged: true'),
    );
    const bad = await auditSwarm(dir, fakeFacts(), '0', {});
    const rules = bad.findings.map((f) => f.rule);
    expect(rules).toEqual(expect.arrayContaining(['password-in-environment', 'privileged', 'capabilities-not-dropped']));
    expect(JSON.stringify(bad)).not.toContain('insecure-pw-1');
  });
});
