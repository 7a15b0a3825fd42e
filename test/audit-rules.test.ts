// One fixture per rule that triggers it and one that does not (a near miss where there is one).

import { afterAll, describe, expect, test } from '@jest/globals';
import { RULES } from '../src/audit/index.js';
import type { Finding } from '../src/audit/types.js';
import {
  ADMIN_PW,
  BASE_COMPOSE,
  BASE_OPTIONS,
  DB_PW,
  DB_ROOT_PW,
  auditFixture,
  cleanup,
  edit,
  lineOf,
  ruleFindings,
  type Fixture,
} from './audit-helpers.js';

afterAll(cleanup);

const C = BASE_COMPOSE;
const ppEnv = (extra: string) => edit(C, '      PHOTOPRISM_DISABLE_CHOWN: "false"\n', `      PHOTOPRISM_DISABLE_CHOWN: "false"\n${extra}`);
const dbEnv = (extra: string) => edit(C, '      MARIADB_USER: "photoprism"\n', `      MARIADB_USER: "photoprism"\n${extra}`);
const ppKey = (extra: string) => edit(C, '    working_dir: "/photoprism"\n', `    working_dir: "/photoprism"\n${extra}`);
const dbKey = (extra: string) => edit(C, '    image: mariadb:11\n', `    image: mariadb:11\n${extra}`);
const noIds = edit(edit(C, '      PHOTOPRISM_UID: "2000"\n', ''), '      PHOTOPRISM_GID: "2000"\n', '');
const withIds = (uid: string, gid: string) => edit(edit(C, 'PHOTOPRISM_UID: "2000"', `PHOTOPRISM_UID: "${uid}"`), 'PHOTOPRISM_GID: "2000"', `PHOTOPRISM_GID: "${gid}"`);
const encoder = (e: string) => edit(BASE_OPTIONS, 'FFmpegEncoder: "software"', `FFmpegEncoder: "${e}"`);
const node = (gid: number, mode = 0o660) => ({ path: '/dev/dri/renderD128', uid: 0, gid, mode });

interface Case {
  rule: string;
  bad: Fixture;
  good: Fixture;
  /** checks on the findings of the bad fixture */
  expect?: (f: Finding[]) => void;
}

const CASES: Case[] = [
  {
    rule: 'password-in-environment',
    bad: { compose: ppEnv(`      PHOTOPRISM_ADMIN_PASSWORD: "${ADMIN_PW}"\n`) },
    good: { compose: ppEnv('      PHOTOPRISM_PASSWORD_LENGTH: "12"\n      PHOTOPRISM_ADMIN_PASSWORD: ""\n') },
    expect: (f) => {
      expect(f).toHaveLength(1);
      expect(f[0]).toMatchObject({ file: 'docker-compose.yml', service: 'photoprism', line: lineOf(ppEnv(`      PHOTOPRISM_ADMIN_PASSWORD: "x"\n`), 'PHOTOPRISM_ADMIN_PASSWORD') });
      expect(f[0]!.message).toContain('PHOTOPRISM_ADMIN_PASSWORD');
      expect(f[0]!.fix).toContain('AdminPassword');
    },
  },
  {
    rule: 'env-var-and-file-set',
    bad: { compose: dbEnv(`      MARIADB_PASSWORD: "${DB_PW}"\n`) },
    good: { compose: dbEnv('      MARIADB_PASSWORD: ""\n') },
    expect: (f) => {
      expect(f).toHaveLength(1);
      expect(f[0]!.message).toMatch(/MARIADB_PASSWORD and MARIADB_PASSWORD_FILE.*exclusive/);
    },
  },
  {
    rule: 'runs-as-root',
    bad: { compose: noIds },
    good: { compose: C },
    expect: (f) => {
      expect(f).toHaveLength(1);
      expect(f[0]!.line).toBe(lineOf(noIds, '    environment:'));
      expect(f[0]!.fix).toContain('PHOTOPRISM_UID: "2000"');
    },
  },
  {
    rule: 'uid-gid-incomplete',
    bad: { compose: edit(C, '      PHOTOPRISM_GID: "2000"\n', '') },
    good: { compose: C },
    expect: (f) => {
      expect(f).toHaveLength(1);
      expect(f[0]!.message).toContain('without PHOTOPRISM_GID');
      expect(f[0]!.line).toBe(lineOf(C, 'PHOTOPRISM_UID'));
    },
  },
  {
    rule: 'uid-host-account',
    bad: { compose: withIds('1000', '1000') },
    good: { compose: withIds('1000', '1000'), facts: { uidMin: 1001 } },
    expect: (f) => expect(f[0]!.message).toContain('"alice"'),
  },
  {
    rule: 'id-unsupported',
    bad: { compose: withIds('1300', '1300') },
    good: { compose: withIds('1250', '1250') },
    expect: (f) => {
      expect(f.map((x) => x.message.slice(0, 8))).toEqual(['UID 1300', 'GID 1300']);
    },
  },
  {
    rule: 'user-and-photoprism-uid',
    bad: { compose: ppKey('    user: "2000:2000"\n') },
    good: { compose: edit(noIds, '    working_dir: "/photoprism"\n', '    working_dir: "/photoprism"\n    user: "2000:2000"\n') },
    expect: (f) => expect(f[0]!.line).toBe(lineOf(C, 'PHOTOPRISM_UID')),
  },
  {
    rule: 'init-without-update',
    bad: { compose: edit(C, 'PHOTOPRISM_INIT: "update https"', 'PHOTOPRISM_INIT: "https"') },
    good: { compose: C },
    expect: (f) => expect(f[0]!.fix).toContain('PHOTOPRISM_INIT: "update https"'),
  },
  {
    rule: 'init-unknown-action',
    bad: { compose: edit(C, 'PHOTOPRISM_INIT: "update https"', 'PHOTOPRISM_INIT: "update tensorflw"') },
    good: { compose: edit(C, 'PHOTOPRISM_INIT: "update https"', 'PHOTOPRISM_INIT: "update tensorflow"') },
    expect: (f) => expect(f.map((x) => x.message)).toEqual(['PHOTOPRISM_INIT contains "tensorflw", which is not an init action']),
  },
  {
    rule: 'secret-file-readable',
    bad: { meta: { '.secrets/db_pwd.txt': { mode: 0o644 }, 'storage/config/options.yml': { mode: 0o640 } } },
    good: { meta: { '.secrets/db_pwd.txt': { mode: 0o400 } } },
    expect: (f) => {
      expect(f.map((x) => x.file).sort()).toEqual(['.secrets/db_pwd.txt', 'storage/config/options.yml']);
      expect(f.find((x) => x.file === '.secrets/db_pwd.txt')!.message).toContain('0644');
    },
  },
  {
    rule: 'secret-file-owner',
    bad: { meta: { '.secrets/db_root_pwd.txt': { uid: 2000, gid: 2000 } } },
    good: { meta: { '.': { uid: 1500, gid: 1500 }, '.secrets/db_root_pwd.txt': { uid: 1500, gid: 1500 } } },
    expect: (f) => expect(f[0]!.message).toContain("PhotoPrism's own UID"),
  },
  {
    rule: 'secrets-dir-mode',
    bad: { meta: { '.secrets': { mode: 0o755 } } },
    good: { meta: { '.secrets': { mode: 0o500 } } },
    expect: (f) => expect(f[0]!.fix).toBe('chmod 700 .secrets'),
  },
  {
    rule: 'options-file-owner',
    bad: { meta: { 'storage/config/options.yml': { uid: 0, gid: 0 } } },
    good: {},
    expect: (f) => expect(f[0]!.message).toContain('only after its entrypoint re-owns storage'),
  },
  {
    rule: 'storage-owner',
    bad: { compose: edit(C, 'PHOTOPRISM_DISABLE_CHOWN: "false"', 'PHOTOPRISM_DISABLE_CHOWN: "true"'), meta: { storage: { uid: 0, gid: 0 } } },
    good: { meta: { 'storage/config': { uid: 0, gid: 0 } } },
    expect: (f) => {
      expect(f[0]!.file).toBe('storage');
      expect(f[0]!.message).toContain('PHOTOPRISM_DISABLE_CHOWN is set');
    },
  },
  {
    rule: 'database-password-mismatch',
    bad: { files: { '.secrets/db_pwd.txt': 'another-password-123' }, meta: { '.secrets/db_pwd.txt': { mode: 0o600 } } },
    good: { files: { '.secrets/db_pwd.txt': `${DB_PW}\n` }, meta: { '.secrets/db_pwd.txt': { mode: 0o600 } } },
    expect: (f) => {
      expect(f[0]!.file).toBe('storage/config/options.yml');
      expect(f[0]!.line).toBe(lineOf(BASE_OPTIONS, 'DatabasePassword'));
    },
  },
  {
    rule: 'transcoding-device-missing',
    bad: { options: encoder('intel'), facts: { renderNodes: [node(44)] } },
    good: { options: encoder('intel'), compose: ppKey('    devices:\n      - "/dev/dri:/dev/dri"\n'), facts: { renderNodes: [node(44)] } },
    expect: (f) => {
      expect(f).toHaveLength(1);
      expect(f[0]!.fix).toContain('/dev/dri:/dev/dri');
      expect(f[0]!.line).toBe(lineOf(BASE_OPTIONS, 'FFmpegEncoder'));
    },
  },
  {
    rule: 'transcoding-device-group',
    bad: { options: encoder('vaapi'), compose: ppKey('    devices:\n      - "/dev/dri:/dev/dri"\n'), facts: { renderNodes: [node(226)] } },
    good: { options: encoder('vaapi'), compose: ppKey('    devices:\n      - "/dev/dri:/dev/dri"\n'), facts: { renderNodes: [node(115)] } },
    expect: (f) => {
      expect(f[0]!.message).toContain('2000:2000 cannot open /dev/dri/renderD128');
      expect(f[0]!.fix).toContain('udev');
    },
  },
  {
    rule: 'options-unknown-key',
    bad: { options: `${BASE_OPTIONS}DatabasePasword: "x"\ndisableTLS: true\n` },
    good: { options: `${BASE_OPTIONS}DisableTLS: true\n` },
    expect: (f) => {
      expect(f.map((x) => x.message)).toEqual([
        '"DatabasePasword" is not a PhotoPrism option; did you mean "DatabasePassword"?',
        '"disableTLS" is not a PhotoPrism option; did you mean "DisableTLS"?',
      ]);
      expect(f[0]!.line).toBe(BASE_OPTIONS.split('\n').length);
    },
  },
  {
    rule: 'options-invalid',
    bad: { options: 'AdminUser: "admin\nAdminPassword: [\n' },
    good: {},
    expect: (f) => expect(f[0]!.file).toBe('storage/config/options.yml'),
  },
  {
    rule: 'options-file-ignored',
    bad: { files: { 'storage/settings/options.yml': BASE_OPTIONS }, meta: { 'storage/settings/options.yml': { mode: 0o600, uid: 2000, gid: 2000 } } },
    good: { options: null, files: { 'storage/settings/options.yml': BASE_OPTIONS }, meta: { 'storage/settings/options.yml': { mode: 0o600, uid: 2000, gid: 2000 } } },
    expect: (f) => expect(f[0]!.file).toBe('storage/config/options.yml'),
  },
  {
    rule: 'privileged',
    bad: { compose: ppKey('    privileged: true\n') },
    good: { compose: ppKey('    privileged: false\n') },
    expect: (f) => expect(f[0]!.line).toBe(lineOf(ppKey('    privileged: true\n'), 'privileged:')),
  },
  {
    rule: 'docker-socket-mounted',
    bad: { compose: `${edit(C, 'secrets:\n  DB_PWD', '  watchtower:\n    image: containrrr/watchtower:1.7.1\n    security_opt: ["no-new-privileges:true"]\n    volumes:\n      - "/var/run/docker.sock:/var/run/docker.sock"\nsecrets:\n  DB_PWD')}` },
    good: { compose: edit(C, '      - "./storage:/photoprism/storage"\n', '      - "./storage:/photoprism/storage"\n      - "./sockets:/sockets"\n') },
    expect: (f) => expect(f[0]).toMatchObject({ service: 'watchtower', kics: 'Docker Socket Mounted In Container', cis: '5.31' }),
  },
  ...(
    [
      ['host-network', 'network_mode', 'bridge'],
      ['host-pid', 'pid', '"service:mariadb"'],
      ['host-ipc', 'ipc', 'shareable'],
      ['host-userns', 'userns_mode', '""'],
      ['host-uts', 'uts', '""'],
    ] as const
  ).map(([rule, key, ok]) => ({
    rule,
    bad: { compose: dbKey(`    ${key}: host\n`) },
    good: { compose: dbKey(`    ${key}: ${ok}\n`) },
    expect: (f: Finding[]) => expect(f[0]).toMatchObject({ service: 'mariadb', line: lineOf(dbKey(`    ${key}: host\n`), `${key}: host`) }),
  })),
  {
    rule: 'sensitive-host-mount',
    bad: { compose: edit(C, '      - "./originals:/photoprism/originals"\n', '      - "/etc:/host/etc:ro"\n      - "~/.ssh:/ssh"\n') },
    good: { compose: edit(C, '      - "./originals:/photoprism/originals"\n', '      - "/etc/localtime:/etc/localtime:ro"\n      - "~/Pictures:/photoprism/originals"\n') },
    expect: (f) => expect(f.map((x) => x.message)).toEqual([
      'service "photoprism" mounts /etc (read-only): /etc is a sensitive host tree',
      'service "photoprism" mounts ~/.ssh: ~/.ssh holds credentials',
    ]),
  },
  {
    rule: 'seccomp-unconfined',
    bad: { compose: edit(C, '    security_opt:\n      - "no-new-privileges:true"\n    volumes:', '    security_opt:\n      - "no-new-privileges:true"\n      - seccomp:unconfined\n    volumes:') },
    good: { compose: edit(C, '    security_opt:\n      - "no-new-privileges:true"\n    volumes:', '    security_opt:\n      - "no-new-privileges:true"\n      - seccomp:./seccomp.json\n    volumes:') },
    expect: (f) => {
      expect(f[0]!.service).toBe('mariadb');
      expect(f[0]!.message).toContain('io_uring');
    },
  },
  {
    rule: 'apparmor-unconfined',
    bad: { compose: edit(C, '      - "no-new-privileges:true"\n    ports:', '      - "no-new-privileges:true"\n      - apparmor:unconfined\n    ports:') },
    good: { compose: edit(C, '      - "no-new-privileges:true"\n    ports:', '      - "no-new-privileges:true"\n      - apparmor:docker-default\n    ports:') },
    expect: (f) => expect(f[0]).toMatchObject({ service: 'photoprism', cis: '5.1' }),
  },
  {
    rule: 'no-new-privileges-missing',
    bad: { compose: edit(C, '    image: mariadb:11\n    security_opt:\n      - "no-new-privileges:true"\n', '    image: mariadb:11\n') },
    // PhotoPrism in user: mode must not get it (sudo for init actions; newer images fail to start with both)
    good: {
      compose: edit(edit(noIds, '    security_opt:\n      - "no-new-privileges:true"\n    ports:', '    ports:'), '    working_dir: "/photoprism"\n', '    working_dir: "/photoprism"\n    user: "2000:2000"\n'),
    },
    expect: (f) => expect(f.map((x) => x.service)).toEqual(['mariadb']),
  },
  {
    rule: 'capabilities-not-dropped',
    bad: { compose: edit(edit(C, '    cap_drop: [ALL]\n    cap_add: [CHOWN, DAC_OVERRIDE, FOWNER, SETUID, SETGID]\n', '    cap_drop: [NET_RAW]\n    cap_add: [CHOWN, DAC_OVERRIDE, FOWNER, SETUID, SETGID]\n'), '    cap_drop: [ALL]\n    cap_add: [CHOWN, DAC_OVERRIDE, SETUID, SETGID]\n', '') },
    good: { compose: edit(C, '    cap_drop: [ALL]\n    cap_add: [CHOWN, DAC_OVERRIDE, SETUID, SETGID]\n', '    cap_drop: ["cap_all"]\n') },
    expect: (f) => {
      expect(f.map((x) => [x.service, x.kics, x.cis])).toEqual([
        ['photoprism', 'Container Capabilities Unrestricted', '5.3'],
        ['mariadb', 'Container Capabilities Unrestricted', '5.3'],
      ]);
      expect(f[0]!.fix).toContain('      - FOWNER');
      expect(f[1]!.fix).not.toContain('FOWNER');
    },
  },
  {
    rule: 'capability-beyond-need',
    bad: {
      compose: edit(
        edit(C, '    cap_add: [CHOWN, DAC_OVERRIDE, FOWNER, SETUID, SETGID]\n', '    cap_add: [CHOWN, DAC_OVERRIDE, FOWNER, SETUID, SETGID, CAP_SYS_ADMIN, NET_RAW]\n'),
        '    cap_add: [CHOWN, DAC_OVERRIDE, SETUID, SETGID]\n',
        '    cap_add: [CHOWN, DAC_OVERRIDE, SETUID, SETGID, FOWNER]\n',
      ),
    },
    // user: mode needs none, and MariaDB with user: neither; the mode's own set passes
    good: {
      compose: edit(
        edit(edit(noIds, '    cap_add: [CHOWN, DAC_OVERRIDE, FOWNER, SETUID, SETGID]\n', ''), '    security_opt:\n      - "no-new-privileges:true"\n    ports:', '    ports:'),
        '    working_dir: "/photoprism"\n',
        '    working_dir: "/photoprism"\n    user: "2000:2000"\n',
      ),
    },
    expect: (f) => expect(f.map((x) => [x.service, x.message])).toEqual([
      ['photoprism', 'service "photoprism" adds SYS_ADMIN, which it does not need'],
      ['photoprism', 'service "photoprism" adds NET_RAW, which it does not need'],
      ['mariadb', 'service "mariadb" adds FOWNER, which it does not need'],
    ]),
  },
  {
    rule: 'database-network-not-internal',
    bad: { compose: edit(C, '    networks: [database]\n', '') },
    good: { compose: edit(edit(C, '    networks: [database]\n', '    networks:\n      backend: {}\n'), 'networks:\n  database:\n    internal: true\n', 'networks:\n  database:\n    internal: true\n  backend:\n    internal: "true"\n') },
    expect: (f) => expect(f.map((x) => x.message)).toEqual(['service "mariadb" is on network "default", which is not internal (no networks: puts it on the project\'s default network)']),
  },
  {
    rule: 'database-root-remote',
    bad: { compose: edit(C, '      MARIADB_ROOT_HOST: "localhost"\n', '      MYSQL_ROOT_HOST: "%"\n') },
    good: { compose: edit(C, '      MARIADB_ROOT_HOST: "localhost"\n', '      MARIADB_ROOT_HOST: "127.0.0.1"\n') },
    expect: (f) => {
      expect(f[0]!.message).toBe('service "mariadb" sets MYSQL_ROOT_HOST to "%": root may log in from there');
      expect(f[0]!.line).toBe(lineOf(edit(C, '      MARIADB_ROOT_HOST: "localhost"\n', '      MYSQL_ROOT_HOST: "%"\n'), 'MYSQL_ROOT_HOST'));
    },
  },
  {
    rule: 'pids-limit-missing',
    bad: { compose: edit(edit(C, '    pids_limit: 1024\n', ''), '    pids_limit: 512\n', '    pids_limit: -1\n') },
    good: { compose: edit(C, '    pids_limit: 1024\n', '    deploy:\n      resources:\n        limits:\n          pids: 2048\n') },
    expect: (f) => {
      expect(f.map((x) => x.message)).toEqual(['service "photoprism" has no PID limit', 'service "mariadb" sets pids_limit to no limit']);
      expect(f[0]).toMatchObject({ kics: 'Pids Limit Not Set', cis: '5.28' });
    },
  },
  {
    rule: 'log-rotation-missing',
    bad: { compose: edit(edit(C, '        max-size: "20m"\n    networks: [default', '    networks: [default'), '    logging:\n      options:\n        max-size: "20m"\n', '') },
    good: { compose: edit(C, '    logging:\n      options:\n        max-size: "20m"\n', '    logging:\n      driver: local\n') },
    expect: (f) => expect(f.map((x) => x.message)).toEqual([
      'service "photoprism" logs with json-file without max-size',
      'service "mariadb" uses the engine\'s default log driver (json-file unless /etc/docker/daemon.json says otherwise) without a size limit',
    ]),
  },
  {
    rule: 'database-port-published',
    bad: { compose: dbKey('    ports:\n      - "127.0.0.1:3306:3306"\n') },
    good: { compose: dbKey('    expose:\n      - "3306"\n') },
    expect: (f) => {
      expect(f[0]!.message).toContain('127.0.0.1:3306 -> 3306');
      expect(f[0]!.severity).toBe('error');
    },
  },
  {
    rule: 'port-all-interfaces',
    bad: { compose: edit(C, '      - "127.0.0.1:2342:2342"\n', '      - "2342:2342"\n      - target: 443\n        published: 8443\n') },
    good: { compose: edit(C, '      - "127.0.0.1:2342:2342"\n', '      - "[::1]:2342:2342"\n      - target: 443\n        published: 8443\n        host_ip: 192.168.1.10\n') },
    expect: (f) => expect(f.map((x) => x.message)).toEqual([
      'service "photoprism" publishes host port 2342 -> 2342 on all interfaces',
      'service "photoprism" publishes host port 8443 -> 443 on all interfaces',
    ]),
  },
  {
    rule: 'database-healthcheck-missing',
    bad: { compose: edit(C, '    healthcheck:\n      test:', '    healthcheck:\n      disable: true\n      test:') },
    good: { compose: C },
    expect: (f) => expect(f[0]!.message).toContain('disabled'),
  },
  {
    rule: 'image-latest-tag',
    bad: { compose: edit(edit(C, 'photoprism/photoprism:250426', 'photoprism/photoprism:latest'), 'image: mariadb:11', 'image: docker.io/library/mariadb') },
    good: { compose: edit(C, 'image: mariadb:11', `image: mariadb@sha256:${'a'.repeat(64)}`) },
    expect: (f) => expect(f.map((x) => x.service)).toEqual(['photoprism', 'mariadb']),
  },
  {
    rule: 'compose-file-ambiguous',
    bad: { composeName: 'compose.yaml', files: { 'docker-compose.yml': 'services: {}\n' } },
    good: { composeName: 'compose.yml' },
    expect: (f) => expect(f[0]!.message).toBe('docker-compose.yml is ignored: Compose uses compose.yaml'),
  },
  {
    rule: 'env-file-missing',
    bad: { compose: ppKey('    env_file: ./missing.env\n') },
    good: { compose: ppKey('    env_file:\n      - path: ./missing.env\n        required: false\n') },
    expect: (f) => expect(f[0]!.line).toBe(lineOf(ppKey('    env_file: ./missing.env\n'), 'env_file')),
  },
];

describe('the base fixture', () => {
  test('passes every rule (no finding at all)', async () => {
    const { report } = await auditFixture();
    expect(report.findings).toEqual([]);
    expect(report.summary.clean).toBe(true);
  });
});

describe('every rule has a triggering and a passing fixture', () => {
  test('the case table covers every rule', () => {
    expect(CASES.map((c) => c.rule).sort()).toEqual(RULES.map((r) => r.id).sort());
  });
});

for (const c of CASES) {
  describe(c.rule, () => {
    test('triggers', async () => {
      const { report } = await auditFixture(c.bad);
      const f = ruleFindings(report, c.rule);
      expect(f.length).toBeGreaterThan(0);
      const rule = RULES.find((r) => r.id === c.rule)!;
      for (const x of f) {
        expect(x.severity).toBe(rule.severity);
        expect(x.why).toBeTruthy();
        expect(x.fix).toBeTruthy();
      }
      c.expect?.(f);
      // no password value ever appears in a finding
      const text = JSON.stringify(report);
      for (const pw of [ADMIN_PW, DB_PW, DB_ROOT_PW]) expect(text).not.toContain(pw);
    });
    test('does not trigger on the near miss', async () => {
      const { report } = await auditFixture(c.good);
      expect(ruleFindings(report, c.rule)).toEqual([]);
    });
  });
}

describe('rule details', () => {
  test('a password in an env_file is reported at its line in that file, without its value', async () => {
    const { report } = await auditFixture({
      compose: ppKey('    env_file:\n      - ./photoprism.env\n'),
      files: { 'photoprism.env': `# settings\nPHOTOPRISM_DATABASE_PASSWORD="${DB_PW}"\nPHOTOPRISM_SITE_TITLE=Photos\n` },
    });
    const f = ruleFindings(report, 'password-in-environment');
    expect(f).toHaveLength(1);
    expect(f[0]).toMatchObject({ file: 'photoprism.env', line: 2, service: 'photoprism' });
    expect(f[0]!.message).toBe('PHOTOPRISM_DATABASE_PASSWORD holds a password in env file photoprism.env of service "photoprism"');
    expect(JSON.stringify(report)).not.toContain(DB_PW);
  });

  test('MariaDB passwords in the environment get the secret-file YAML as fix', async () => {
    const { report } = await auditFixture({ compose: dbEnv(`      MARIADB_ROOT_PASSWORD: "${DB_ROOT_PW}"\n`.replace('MARIADB_ROOT_PASSWORD', 'MYSQL_ROOT_PASSWORD')) });
    const f = ruleFindings(report, 'password-in-environment');
    expect(f[0]!.fix).toContain('MYSQL_ROOT_PASSWORD_FILE: /run/secrets/DB_ROOT_PWD');
  });

  test('runs-as-root: UID 0, user: root, a non-numeric UID and GID 0', async () => {
    for (const [compose, msg] of [
      [withIds('0', '0'), 'PHOTOPRISM_UID is 0 (root)'],
      [edit(noIds, '    working_dir: "/photoprism"\n', '    working_dir: "/photoprism"\n    user: "root"\n'), 'user: "root" runs PhotoPrism as root'],
      [withIds('photoprism', '2000'), 'PHOTOPRISM_UID "photoprism" is not a number'],
      [withIds('2000', '0'), 'GID 0, the root group'],
    ] as const) {
      const { report } = await auditFixture({ compose });
      expect(ruleFindings(report, 'runs-as-root').map((x) => x.message).join('\n')).toContain(msg);
    }
  });

  test('the entrypoint\'s aliases UID/PUID and GID/PGID count as PHOTOPRISM_UID/GID', async () => {
    const compose = edit(edit(C, 'PHOTOPRISM_UID: "2000"', 'PUID: "2000"'), 'PHOTOPRISM_GID: "2000"', 'PGID: "2000"');
    const { report } = await auditFixture({ compose });
    expect(report.findings).toEqual([]);
  });

  test('values are interpolated from .env like Compose does', async () => {
    const compose = edit(withIds('${PP_UID}', '${PP_GID:-1000}'), 'photoprism/photoprism:250426', 'photoprism/photoprism:${PP_TAG}');
    const { report } = await auditFixture({ compose, files: { '.env': 'PP_UID=1000\nPP_TAG=latest\n' } });
    expect(ruleFindings(report, 'uid-host-account')).toHaveLength(1);
    expect(ruleFindings(report, 'image-latest-tag')).toHaveLength(1);
    expect(ruleFindings(report, 'options-file-owner')[0]!.message).toContain('not 1000:1000');
  });

  test('merge keys (<<: *anchor) are followed, and the line is the anchor\'s', async () => {
    const compose = `x-hardening: &hardening\n  privileged: true\n${C.replace('  photoprism:\n', '  photoprism:\n    <<: *hardening\n')}`;
    const { report } = await auditFixture({ compose });
    expect(ruleFindings(report, 'privileged')[0]!.line).toBe(2);
  });

  test('storage-owner: chown at start vs. user: mode', async () => {
    const a = await auditFixture({ meta: { storage: { uid: 0, gid: 0 } } });
    expect(ruleFindings(a.report, 'storage-owner')[0]!.message).toContain('re-owns it at every start');
    const userMode = edit(edit(noIds, '    security_opt:\n      - "no-new-privileges:true"\n    ports:', '    ports:'), '    working_dir: "/photoprism"\n', '    working_dir: "/photoprism"\n    user: "2000:2000"\n');
    const b = await auditFixture({ compose: userMode, meta: { storage: { uid: 0, gid: 0 } } });
    expect(ruleFindings(b.report, 'storage-owner')[0]!.message).toContain('with user: nothing re-owns it');
  });

  test('transcoding: unknown encoder, raspberry without /dev/video11, nvidia without reservation', async () => {
    const a = await auditFixture({ options: encoder('avc') });
    expect(ruleFindings(a.report, 'transcoding-device-missing')[0]!.message).toContain('falls back to software');
    const b = await auditFixture({ options: encoder('raspberry') });
    expect(ruleFindings(b.report, 'transcoding-device-missing').map((x) => x.message)).toHaveLength(2);
    const c = await auditFixture({ options: encoder('nvidia'), facts: { nvidia: true } });
    expect(ruleFindings(c.report, 'transcoding-device-missing')[0]!.fix).toContain('driver: "nvidia"');
  });

  test('database password: the environment is compared when options.yml has none', async () => {
    const { report } = await auditFixture({
      options: BASE_OPTIONS.replace(/DatabasePassword.*\n/, ''),
      compose: ppEnv('      PHOTOPRISM_DATABASE_PASSWORD: "wrong-password-1"\n'),
    });
    expect(ruleFindings(report, 'database-password-mismatch')[0]!.message).toMatch(/^PHOTOPRISM_DATABASE_PASSWORD differs/);
  });

  test('database password: PHOTOPRISM_DATABASE_PASSWORD_FILE is read through the service\'s secrets when no plain value is set', async () => {
    const noPlain = BASE_OPTIONS.replace(/DatabasePassword.*\n/, '');
    const withFile = edit(
      ppEnv('      PHOTOPRISM_DATABASE_PASSWORD_FILE: /run/secrets/pp_db\n'),
      '    working_dir: "/photoprism"\n',
      '    working_dir: "/photoprism"\n    secrets:\n      - pp_db\n',
    ).replace(/^secrets:\n/m, 'secrets:\n  pp_db:\n    file: ./.secrets/pp_db.txt\n');
    const bad = await auditFixture({ options: noPlain, compose: withFile, files: { '.secrets/pp_db.txt': 'not-the-db-password\n' }, meta: { '.secrets/pp_db.txt': { mode: 0o600 } } });
    const f = ruleFindings(bad.report, 'database-password-mismatch');
    expect(f).toHaveLength(1);
    expect(f[0]!.message).toMatch(/^the file PHOTOPRISM_DATABASE_PASSWORD_FILE names differs from the MariaDB password \(\.secrets\/db_pwd\.txt\)/);
    const good = await auditFixture({ options: noPlain, compose: withFile, files: { '.secrets/pp_db.txt': `${DB_PW}\n` }, meta: { '.secrets/pp_db.txt': { mode: 0o600 } } });
    expect(ruleFindings(good.report, 'database-password-mismatch')).toEqual([]);
  });
});
