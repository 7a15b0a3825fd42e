import { describe, expect, test } from '@jest/globals';
import path from 'node:path';
import { parse } from 'yaml';
import { type HostFacts } from '../src/host.js';
import { FixtureHost } from './helpers/fixture-host.js';
import { parseSubIds, remapMap, rootlessMap, type ContainerIdMapping } from '../src/idmap.js';
import { schemaValidate } from '../src/composecheck.js';
import { buildPlan } from '../src/plan.js';
import type { Answers } from '../src/questions.js';
import { readTargetState } from '../src/state.js';
import { gidProblems, uidProblems } from '../src/validate.js';
import { ACCOUNT, GROUP, SUBIDS, validAnswers } from './fixtures/unit-fakes.js';
import { scratchDirs } from './helpers/tmp.js';

const tmp = scratchDirs('pph-plan-', 'all');

const answers = (over: Partial<Answers> = {}): Answers =>
  validAnswers({
    initActions: ['update'],
    adminPassword: 'AdminPassw0rdAdminPass',
    databasePassword: 'DbPassw0rdDbPassw0rdDbPassw0rd',
    databaseRootPassword: 'RootPassw0rdRootPassw0rdRoot',
    ...over,
  });

const subuid = parseSubIds(SUBIDS);
const alice = { name: 'alice', uid: 1000, gid: 1000 };
export const ROOTLESS: ContainerIdMapping = { mode: 'rootless-docker', user: alice, map: rootlessMap(alice, 'alice', subuid, subuid), source: '/etc/subuid and /etc/subgid' };
export const REMAP: ContainerIdMapping = {
  mode: 'userns-remap',
  user: { name: 'dockremap', uid: 998, gid: 998 },
  map: remapMap({ name: 'dockremap', uid: 998 }, { name: 'dockremap', gid: 998 }, subuid, subuid),
  source: 'daemon.json',
};

async function facts(over: Partial<HostFacts> = {}): Promise<HostFacts> {
  return new FixtureHost({
    accounts: [ACCOUNT.root, ACCOUNT.alice],
    groups: [GROUP.alice],
    euid: 0,
    egid: 0,
    ...over,
  }).facts();
}

async function plan(a: Answers, idMapping: ContainerIdMapping | null, selinux = false) {
  const dir = tmp();
  const f = await facts({ idMapping });
  const originals = path.join(dir, 'originals');
  const state = await readTargetState(dir, [originals]);
  return buildPlan({ answers: a, facts: f, state, version: '0.0.0', regenerate: 'x', hostPaths: { originals, import: null }, idMapping, selinux });
}

const owners = (p: Awaited<ReturnType<typeof plan>>) =>
  Object.fromEntries([...p.dirs, ...p.files].map((x) => [x.path.replace(/^\/.*\//, '<abs>/'), x.owner ? `${x.owner.uid}:${x.owner.gid}` : 'invoker']));

describe('plan owners are host ids', () => {
  test('without a user namespace: container ids, root-owned secrets', async () => {
    const p = await plan(answers(), null);
    expect(owners(p)).toMatchObject({
      storage: '2000:2000',
      'storage/config/options.yml': '2000:2000',
      '.secrets': 'invoker',
      '.secrets/db_pwd.txt': 'invoker',
      database: 'invoker',
      'docker-compose.yml': 'invoker',
    });
  });

  test('rootless Docker: PhotoPrism files belong to the mapped subordinate ids, secrets to the Docker user (0600)', async () => {
    const p = await plan(answers(), ROOTLESS);
    expect(owners(p)).toEqual({
      storage: '101999:101999',
      'storage/config': '101999:101999',
      '.secrets': '1000:1000',
      database: '1000:1000',
      '<abs>/originals': '101999:101999',
      'docker-compose.yml': 'invoker',
      'storage/config/options.yml': '101999:101999',
      '.secrets/db_pwd.txt': '1000:1000',
      '.secrets/db_root_pwd.txt': '1000:1000',
      '.gitignore': 'invoker',
      // the tool's own state (it remembers the originals folder it creates)
      '.photoprism-harden': 'invoker',
      '.photoprism-harden/state.json': 'invoker',
    });
    for (const f of p.files.filter((x) => x.path.startsWith('.secrets/'))) expect(f.mode).toBe(0o600);
    const text = p.messages.map((m) => m.text).join('\n');
    expect(text).toContain("rootless Docker: container ids are not host ids here");
    expect(text).toContain("PhotoPrism's UID:GID 2000:2000 is 101999:101999 on the host");
    expect(text).toContain('Container root is 1000:1000 on the host (alice (uid 1000), the account that runs the engine)');
    expect(p.files.find((f) => f.path === 'storage/config/options.yml')!.why).toContain('(container 2000:2000)');
    // the compose file says so too, and stays valid YAML
    const compose = p.files.find((f) => f.path === 'docker-compose.yml')!.content;
    expect(compose).toContain('#   (rootless Docker: UID:GID 2000:2000 is 101999:101999 on the host; the files are owned accordingly)');
    expect(() => parse(compose)).not.toThrow();
  });

  test('rootless: PhotoPrism as container root is the Docker user: explained, not refused', async () => {
    const f = await facts({ idMapping: ROOTLESS });
    expect(uidProblems(0, f)).toEqual([]);
    expect(gidProblems(0, f)).toEqual([]);
    const p = await plan(answers({ uid: 0, gid: 0 }), ROOTLESS);
    expect(owners(p).storage).toBe('1000:1000');
    expect(p.messages.map((m) => m.text).join('\n')).toContain(
      'PhotoPrism runs as root inside the container, and with rootless Docker container root is alice (uid 1000) on the host',
    );
    // without the namespace it still needs the explicit override
    expect(uidProblems(0, await facts()).map((x) => x.override)).toEqual(['root']);
  });

  test('userns-remap: container root is the remap start, secrets owned by it', async () => {
    const p = await plan(answers({ uid: 33, gid: 33 }), REMAP);
    expect(owners(p)).toMatchObject({ storage: '231105:231105', '.secrets/db_pwd.txt': '231072:231072', database: '231072:231072' });
    expect(p.messages.map((m) => m.text).join('\n')).toContain('Docker userns-remap: container ids are not host ids here');
  });

  test('UID checks use the host id: a mapped id colliding with a person is refused, an unmapped one always', async () => {
    const weird: ContainerIdMapping = { ...ROOTLESS, map: { uids: [{ container: 0, host: 1000, size: 1 }, { container: 1, host: 1000, size: 10 }], gids: ROOTLESS.map.gids } };
    const f = await facts({ idMapping: weird });
    expect(uidProblems(1, f)).toEqual([expect.objectContaining({ override: 'host-account', message: expect.stringContaining('host uid 1000 under rootless Docker') })]);
    const p = uidProblems(2000, f);
    expect(p).toHaveLength(1);
    expect(p[0]!.override).toBeUndefined();
    expect(p[0]!.message).toMatch(/outside the ids rootless Docker gives the containers.*\/etc\/subuid/);
    expect(gidProblems(70000, await facts({ idMapping: ROOTLESS }))[0]!.message).toMatch(/outside the group ids/);
  });

  test('a host account on the (unmapped) UID is named in the notes', async () => {
    const p = await plan(answers({ uid: 1000, gid: 1000, allowUnsafe: ['host-account'] }), null);
    const text = p.messages.map((m) => m.text).join('\n');
    expect(text).toContain('host UID 1000 is the host account "alice"');
    expect(text).toContain('host GID 1000 is the group "alice"');
  });
});

describe('SELinux', () => {
  test('enforcing: bind mounts get Z (storage, database) and z (originals, import); schema-valid YAML', async () => {
    const p = await plan(answers({ importPath: './import' }), null, true);
    const text = p.files.find((f) => f.path === 'docker-compose.yml')!.content;
    expect(await schemaValidate(text)).toEqual({ ok: true, warnings: [] });
    const compose = parse(text) as {
      services: Record<string, { volumes: { source: string; bind?: { selinux: string } }[] }>;
    };
    const labels = Object.fromEntries(
      Object.values(compose.services).flatMap((s) => s.volumes.map((v) => [v.source, v.bind?.selinux])),
    );
    expect(labels).toEqual({ './originals': 'z', './import': 'z', './storage': 'Z', './database': 'Z' });
    expect(p.messages.map((m) => m.text).join('\n')).toMatch(/SELinux is enforcing.*chcon -R -t container_file_t \.secrets/);
  });

  test('not enforcing: no relabel options', async () => {
    const p = await plan(answers(), null, false);
    expect(p.files.find((f) => f.path === 'docker-compose.yml')!.content).not.toContain('selinux');
  });
});
