import { afterAll, describe, expect, test } from '@jest/globals';
import { runAudit } from '../src/audit/index.js';
import { RULES } from '../src/audit/rules/index.js';
import { containerView, isPhotoPrismProcess, parseHashes, parseTop, passwordInArgs, RUNNING_RULES } from '../src/audit/running.js';
import type { EngineAccess, ExecResult } from '../src/rotate/exec.js';
import { ADMIN_PW, DB_PW, DB_ROOT_PW, build, cleanup, facts } from './audit-helpers.js';
import { FixtureHost } from './helpers/fixture-host.js';

afterAll(cleanup);

const HASH_PP = 'a'.repeat(64);
const HASH_DB = 'b'.repeat(64);
const LEAKED = 'leaked-root-password-that-the-files-no-longer-show';

interface C {
  id: string;
  service: string;
  env?: string[];
  args?: string[];
  user?: string;
  capAdd?: string[];
  securityOpt?: string[];
  appArmor?: string;
  ports?: Record<string, { HostIp: string; HostPort: string }[]>;
  mounts?: { Type: string; Source: string; Destination: string; RW: boolean }[];
  hash?: string;
  state?: string;
  privileged?: boolean;
  network?: string;
}

function inspectJson(c: C): Record<string, unknown> {
  return {
    Id: c.id,
    Name: `/inst-${c.service}-1`,
    Path: c.args?.[0] ?? '/entrypoint.sh',
    Args: c.args?.slice(1) ?? [],
    State: { Status: c.state ?? 'running' },
    AppArmorProfile: c.appArmor ?? 'docker-default',
    Config: { Env: c.env ?? ['PATH=/usr/bin'], User: c.user ?? '', Labels: { 'com.docker.compose.service': c.service, 'com.docker.compose.config-hash': c.hash ?? (c.service === 'photoprism' ? HASH_PP : HASH_DB) } },
    HostConfig: { CapAdd: c.capAdd ?? null, CapDrop: null, Privileged: c.privileged ?? false, SecurityOpt: c.securityOpt ?? ['no-new-privileges:true'], NetworkMode: c.network ?? 'inst_default', PidMode: '', IpcMode: 'private', UTSMode: '', UsernsMode: '' },
    NetworkSettings: { Ports: c.ports ?? {} },
    Mounts: c.mounts ?? [],
  };
}

function fake(containers: C[], top: Record<string, string> = {}, hashOk = true): { access: EngineAccess; argv: string[][] } {
  const argv: string[][] = [];
  const ok = (stdout: string): ExecResult => ({ exitCode: 0, stdout, stderr: '' });
  const access: EngineAccess = {
    display: 'docker compose',
    runtime: 'docker',
    async compose(sub) {
      argv.push(['compose', ...sub]);
      if (sub[0] === 'ps') return ok(containers.map((c) => c.id).join('\n'));
      if (sub[0] === 'config' && sub[1] === '--hash') return hashOk ? ok(`mariadb ${HASH_DB}\nphotoprism ${HASH_PP}\n`) : { exitCode: 1, stdout: '', stderr: 'unknown flag: --hash' };
      return { exitCode: 125, stdout: '', stderr: 'unexpected' };
    },
    async container(args) {
      argv.push(args);
      if (args[0] === 'inspect') return ok(JSON.stringify(args.slice(1).map((id) => inspectJson(containers.find((c) => c.id === id)!))));
      if (args[0] === 'top') return ok(top[args[1]!] ?? 'PID UID GID COMMAND\n11 0 0 bash /scripts/entrypoint.sh /opt/photoprism/bin/photoprism start\n12 2000 2000 /opt/photoprism/bin/photoprism start\n');
      return { exitCode: 125, stdout: '', stderr: 'unexpected' };
    },
    async converse() {
      return { exitCode: 125, stdout: '', stderr: 'unexpected' };
    },
  };
  return { access, argv };
}

const HARDENED: C[] = [
  { id: 'pp1', service: 'photoprism', env: ['PHOTOPRISM_UID=2000', 'PHOTOPRISM_GID=2000'], ports: { '2342/tcp': [{ HostIp: '127.0.0.1', HostPort: '2342' }] } },
  { id: 'db1', service: 'mariadb', env: ['MARIADB_PASSWORD_FILE=/run/secrets/DB_PWD', 'MARIADB_ROOT_PASSWORD_FILE=/run/secrets/DB_ROOT_PWD'] },
];

async function audit(containers: C[], format: 'json' | 'sarif' = 'json', top?: Record<string, string>, hashOk = true) {
  const dir = await build();
  let out = '';
  let err = '';
  const { access, argv } = fake(containers, top, hashOk);
  const code = await runAudit({
    dir,
    json: format === 'json',
    format,
    running: true,
    version: '0.0.0-test',
    probe: new FixtureHost(facts()),
    access,
    env: { HOME: '/root', PATH: '/usr/bin' },
    stdout: { write: (s) => ((out += s), true) },
    stderr: { write: (s) => ((err += s), true) },
  });
  return { code, out, err, argv, json: JSON.parse(out) as Record<string, any> };
}

const ids = (j: Record<string, any>) => (j.findings as { rule: string }[]).map((f) => f.rule);

describe('audit --running', () => {
  test('a hardened installation that runs as written: clean, and only read-only engine commands', async () => {
    const r = await audit(HARDENED);
    expect(r.json.findings).toEqual([]);
    expect(r.code).toBe(0);
    expect(r.json.summary.rules).toBe(RULES.length + RUNNING_RULES.length);
    for (const a of r.argv) expect(['ps', 'config', 'inspect', 'top']).toContain(a[0] === 'compose' ? a[1] : a[0]);
  });

  test('catches a password in a running container environment that the files no longer show, without printing it', async () => {
    const leaky = [HARDENED[0]!, { ...HARDENED[1]!, env: [...HARDENED[1]!.env!, `MARIADB_ROOT_PASSWORD=${LEAKED}`], hash: 'c'.repeat(64) }];
    const r = await audit(leaky);
    const f = (r.json.findings as any[]).find((x) => x.rule === 'password-in-environment');
    expect(f).toMatchObject({ severity: 'error', service: 'mariadb', file: 'docker-compose.yml' });
    expect(f.message).toMatch(/MARIADB_ROOT_PASSWORD holds a password in the environment of running container inst-mariadb-1.*no longer sets it/);
    expect(ids(r.json)).toContain('container-outdated');
    expect(r.code).toBe(1);
    expect(r.out + r.err).not.toContain(LEAKED);
    const text = await audit(leaky, 'sarif');
    expect(text.out).not.toContain(LEAKED);
  });

  test('a known password on a command line, in the first process or a later one', async () => {
    const r = await audit([{ ...HARDENED[0]! }, { ...HARDENED[1]!, args: ['docker-entrypoint.sh', 'mariadbd', `--password=${DB_PW}`] }]);
    expect((r.json.findings as any[]).filter((x) => x.rule === 'password-in-environment').map((x) => x.message)).toEqual([expect.stringMatching(/command line of running container inst-mariadb-1/)]);
    expect(r.out).not.toContain(DB_PW);
    const r2 = await audit(HARDENED, 'json', { pp1: `PID UID GID COMMAND\n5 2000 2000 photoprism start\n6 2000 2000 sh -c echo ${ADMIN_PW}\n` });
    expect(ids(r2.json)).toContain('password-in-environment');
    expect(r2.out).not.toContain(ADMIN_PW);
  });

  test('the user PhotoPrism really runs as, capabilities, seccomp/AppArmor, no-new-privileges, ports, mounts, host namespaces', async () => {
    const bad: C[] = [
      {
        id: 'pp1',
        service: 'photoprism',
        capAdd: ['SYS_ADMIN', 'CHOWN'],
        securityOpt: ['seccomp=unconfined'],
        appArmor: 'unconfined',
        ports: { '2342/tcp': [{ HostIp: '0.0.0.0', HostPort: '2342' }, { HostIp: '::', HostPort: '2342' }] },
        mounts: [
          { Type: 'bind', Source: '/var/run/docker.sock', Destination: '/var/run/docker.sock', RW: true },
          { Type: 'bind', Source: '/etc', Destination: '/host-etc', RW: false },
        ],
        privileged: true,
      },
      { id: 'db1', service: 'mariadb', ports: { '3306/tcp': [{ HostIp: '', HostPort: '3306' }] }, network: 'host', securityOpt: [] },
    ];
    const r = await audit(bad, 'json', { pp1: 'PID UID GID COMMAND\n1 0 0 /bin/sh /entrypoint.sh\n2 0 0 /opt/photoprism/bin/photoprism start\n' });
    const got = ids(r.json);
    for (const id of ['runs-as-root', 'capability-added', 'seccomp-unconfined', 'apparmor-unconfined', 'no-new-privileges-missing', 'port-all-interfaces', 'database-port-published', 'docker-socket-mounted', 'sensitive-host-mount', 'privileged', 'host-network']) {
      expect(got).toContain(id);
    }
    expect((r.json.findings as any[]).filter((x) => x.rule === 'port-all-interfaces')).toHaveLength(1);
    expect((r.json.findings as any[]).find((x) => x.rule === 'capability-added').message).toMatch(/SYS_ADMIN/);
    expect((r.json.findings as any[]).find((x) => x.rule === 'capability-added').message).not.toMatch(/CHOWN/);
  });

  test('services not running, and an engine without config --hash, are reported as info', async () => {
    const r = await audit([HARDENED[0]!, { ...HARDENED[1]!, state: 'exited' }], 'json', undefined, false);
    const info = (r.json.findings as any[]).filter((x) => x.rule === 'container-not-running').map((x) => x.message);
    expect(info).toHaveLength(2);
    expect(info).toEqual(expect.arrayContaining([expect.stringMatching(/"mariadb" is exited/), expect.stringMatching(/config --hash/)]));
    expect(r.code).toBe(0);
  });

  test('SARIF 2.1.0: rules, levels, locations relative to the installation folder', async () => {
    const r = await audit([HARDENED[0]!, { ...HARDENED[1]!, env: [`MARIADB_PASSWORD=${LEAKED}`] }], 'sarif');
    const s = r.json;
    expect(s.version).toBe('2.1.0');
    expect(s.$schema).toMatch(/sarif-2\.1\.0/);
    const run = s.runs[0];
    expect(run.tool.driver.name).toBe('photoprism-harden');
    const rules = run.tool.driver.rules as { id: string; defaultConfiguration: { level: string } }[];
    expect(rules.map((x) => x.id)).toEqual(expect.arrayContaining(['password-in-environment', 'container-outdated']));
    const res = run.results.find((x: any) => x.ruleId === 'password-in-environment');
    expect(rules[res.ruleIndex]!.id).toBe('password-in-environment');
    expect(res.level).toBe('error');
    expect(res.locations[0].physicalLocation.artifactLocation).toEqual({ uri: 'docker-compose.yml', uriBaseId: 'INSTALLDIR' });
    expect(res.locations[0].physicalLocation.region.startLine).toBeGreaterThan(0);
    expect(run.originalUriBaseIds.INSTALLDIR.uri).toMatch(/^file:\/\/\/.*\/$/);
    expect(rules.find((x) => x.id === 'no-new-privileges-missing')!.defaultConfiguration.level).toBe('note');
    expect(r.code).toBe(1);
  });
});

describe('audit --format sarif without --running', () => {
  test('the file audit as SARIF', async () => {
    const dir = await build();
    let out = '';
    const code = await runAudit({ dir, json: false, format: 'sarif', version: '0', probe: new FixtureHost(facts()), env: { HOME: '/root' }, stdout: { write: (s) => ((out += s), true) }, stderr: { write: () => true } });
    const s = JSON.parse(out);
    expect(code).toBe(0);
    expect(s.runs[0].results).toEqual([]);
    expect(s.runs[0].tool.driver.rules).toHaveLength(RULES.length);
    expect(out).not.toContain(DB_ROOT_PW);
  });
});

describe('parsers', () => {
  test('inspect, top, hashes, command-line passwords', () => {
    const v = containerView(inspectJson({ id: 'x', service: 'photoprism', env: ['A=b=c', 'EMPTY='], capAdd: ['cap_sys_admin'] }));
    expect(v.env).toEqual([{ name: 'A', value: 'b=c' }, { name: 'EMPTY', value: '' }]);
    expect(v.capAdd).toEqual(['SYS_ADMIN']);
    expect(parseTop('PID UID GID CMD\n1 0 0 /init\n7 2000 2000 photoprism start --x\n')).toEqual([
      { uid: 0, gid: 0, args: '/init' },
      { uid: 2000, gid: 2000, args: 'photoprism start --x' },
    ]);
    expect(parseHashes(`a ${HASH_PP}\nnoise\n`)).toEqual(new Map([['a', HASH_PP]]));
    expect(isPhotoPrismProcess('bash /scripts/entrypoint.sh /opt/photoprism/bin/photoprism start')).toBe(false);
    expect(isPhotoPrismProcess('/opt/photoprism/bin/photoprism start')).toBe(true);
    expect(isPhotoPrismProcess('/usr/bin/python3 /opt/photoprism/bin/photoprism start')).toBe(true);
    expect(passwordInArgs(['mariadb', '-psecret'], [])).toBe(true);
    expect(passwordInArgs(['x', '--port=1', '-p', '--protocol=tcp'], [])).toBe(false);
    expect(passwordInArgs(['x', 'abcsecretvalue'], ['secretvalue'])).toBe(true);
  });
});

describe('README', () => {
  test('the table of --running rules is rulesMarkdown() of them, and their ids are new', async () => {
    const { readFileSync } = await import('node:fs');
    const { rulesMarkdown } = await import('../src/audit/rules/index.js');
    const readme = readFileSync(new URL('../README.md', import.meta.url), 'utf8');
    expect(readme).toContain(rulesMarkdown(RUNNING_RULES));
    for (const r of RUNNING_RULES) expect(RULES.map((x) => x.id)).not.toContain(r.id);
  });
});
