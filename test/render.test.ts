import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, test } from '@jest/globals';
import { Ajv } from 'ajv';
import fc from 'fast-check';
import YAML from 'yaml';
import { INIT_ACTION_NAMES, TRANSCODINGS, type Transcoding } from '../src/domain.js';
import type { HostFacts } from '../src/host.js';
import { buildPlan, type Plan } from '../src/plan.js';
import { QUESTIONS, type Answers, type Ctx } from '../src/questions.js';
import { composeScalar, renderYaml, yamlScalar } from '../src/render.js';
import { checkPassword } from '../src/validate.js';
import { fakeFacts, hardwareFacts, planInput, renderNode, validAnswers, video11Node } from './fixtures/unit-fakes.js';

const ROOT = fileURLToPath(new URL('../', import.meta.url));
const VERSION = '9.8.7-unit';

// ajv does not know the "https://json-schema.org/draft-07/schema" meta-schema URI the vendored file
// uses; the schema itself is plain draft-07, so validate without the $schema line.
const composeSchema = JSON.parse(readFileSync(`${ROOT}schema/compose-spec.json`, 'utf8')) as Record<string, unknown>;
delete composeSchema.$schema;
const validateCompose = new Ajv({ strict: false, allErrors: true }).compile(composeSchema);
const OPTION_KEYS = new Set(
  readFileSync(`${ROOT}schema/photoprism-options-keys.txt`, 'utf8')
    .split('\n')
    .map((l) => l.trim())
    .filter(Boolean),
);

const file = (plan: Plan, p: string) => {
  const f = plan.files.find((x) => x.path === p);
  if (!f) throw new Error(`no planned file ${p}`);
  return f.content;
};
const composeText = (plan: Plan) => file(plan, 'docker-compose.yml');
const optionsText = (plan: Plan) => file(plan, 'storage/config/options.yml');

/** Compose interpolation of a literal value: "$$" is a literal "$". */
const uncompose = (s: string) => s.replace(/\$\$/g, '$');

/** Every string anywhere in a parsed YAML value (keys included). */
function allStrings(v: unknown, out: string[] = []): string[] {
  if (typeof v === 'string') out.push(v);
  else if (Array.isArray(v)) for (const x of v) allStrings(x, out);
  else if (v && typeof v === 'object') for (const [k, x] of Object.entries(v)) out.push(k), allStrings(x, out);
  return out;
}

/** The answers pass every question's parse and check on these facts (as collect would demand). */
function expectValidAnswers(a: Answers, facts: HostFacts) {
  const ctx: Ctx = { answers: {}, facts };
  for (const q of QUESTIONS) {
    const v = a[q.key];
    expect(q.parse(v)).toEqual({ ok: true, value: v });
    const problems = q.check ? q.check(v as never, ctx) : [];
    expect(problems.filter((p) => !(p.override && a.allowUnsafe.includes(p.override)))).toEqual([]);
    (ctx.answers as Record<string, unknown>)[q.key] = v;
  }
}

// ---------------------------------------------------------------------------------------------
describe('yamlScalar', () => {
  const TRICKY = [
    '',
    ' ',
    'plain',
    '"double" quotes',
    "'single' quotes",
    'back\\slash\\',
    '\\"',
    '#not a comment',
    'value # with hash',
    'key: value',
    'a:b',
    ':',
    '- item',
    '? key',
    '*alias',
    '&anchor',
    '!tag',
    '!!str',
    '%YAML',
    '@at',
    '`backtick`',
    '{flow: map}',
    '[flow, seq]',
    '|',
    '>',
    ',',
    'yes',
    'no',
    'on',
    'off',
    'Yes',
    'NO',
    'true',
    'False',
    'null',
    'Null',
    '~',
    '0123',
    '0x1F',
    '1e3',
    '1_000',
    '.inf',
    '-.Inf',
    '.nan',
    '12:30:00',
    '2024-01-01',
    '---',
    '...',
    '  padded  ',
    'trailing space ',
    'ünïcödé ßtraße',
    '日本語のパスワード',
    'emoji 😀🎉👨‍👩‍👧',
    '\u00a0nbsp',
    '\ufeffbom',
    'tab\there',
    'new\nline',
    'cr\rreturn',
    '\u0085nel',
    '\u2028ls',
    'x'.repeat(300),
    'long words '.repeat(30),
    '$dollar ${VAR} $$',
  ];

  test.each(TRICKY.map((s) => [JSON.stringify(s), s]))('%s round-trips as a mapping value and a sequence item', (_l, s) => {
    const scalar = yamlScalar(s);
    expect(scalar).not.toContain('\n');
    expect(YAML.parse(`k: ${scalar}`)).toEqual({ k: s });
    expect(YAML.parse(`k: ${scalar} # comment`)).toEqual({ k: s });
    expect(YAML.parse(`- ${scalar}\n- x`)).toEqual([s, 'x']);
    // YAML 1.1 parsers too (yes/no/on/off are booleans there)
    expect(YAML.parse(`k: ${scalar}`, { version: '1.1' })).toEqual({ k: s });
  });

  test('strings are always double-quoted', () => {
    for (const s of ['plain', 'yes', '0123']) expect(yamlScalar(s)).toBe(`"${s}"`);
  });

  test('numbers and booleans are plain; other types and non-finite numbers throw', () => {
    expect(yamlScalar(2342)).toBe('2342');
    expect(yamlScalar(0)).toBe('0');
    expect(yamlScalar(true)).toBe('true');
    expect(yamlScalar(false)).toBe('false');
    expect(() => yamlScalar(Number.NaN)).toThrow();
    expect(() => yamlScalar(Number.POSITIVE_INFINITY)).toThrow();
    expect(() => yamlScalar(undefined)).toThrow(/expected a string/);
    expect(() => yamlScalar(null)).toThrow();
    expect(() => yamlScalar({})).toThrow();
    expect(() => yamlScalar(['a'])).toThrow();
  });

  test('strings the yaml library folds onto two lines (line breaks after NULs) stay on one line', () => {
    // (a counterexample the property below found: the library writes "\0\0\0\0\n\n\0\0" over two lines)
    for (const s of ['\u0000\u0000\u0000\u0000\n\u0000\u0000', '\u0000\n', 'a\u0000\n\n b', '\u0085\u2028\n\u0000"\\']) {
      const scalar = yamlScalar(s);
      expect(scalar).not.toContain('\n');
      expect(YAML.parse(`k: ${scalar}`).k).toBe(s);
    }
    expect(yamlScalar('\u0000\u0000\u0000\u0000\n\u0000\u0000')).toBe('"\\u0000\\u0000\\u0000\\u0000\\n\\u0000\\u0000"');
  });

  test('property: any string round-trips on one line', () => {
    fc.assert(
      fc.property(fc.string({ unit: 'binary', maxLength: 60 }), (s) => {
        const scalar = yamlScalar(s);
        expect(scalar).not.toContain('\n');
        expect(YAML.parse(`k: ${scalar}`).k).toBe(s);
      }),
      { numRuns: 300 },
    );
  });
});

describe('composeScalar', () => {
  test('doubles every "$" so Compose interpolation gives back the literal', () => {
    expect(composeScalar('a$b')).toBe('"a$$b"');
    expect(composeScalar('$$')).toBe('"$$$$"');
    expect(composeScalar('${HOME}/x')).toBe('"$${HOME}/x"');
    expect(composeScalar('no dollar')).toBe('"no dollar"');
    expect(composeScalar(2342)).toBe('2342');
  });

  test('property: parse + compose un-interpolation gives the original; no lone "$" remains', () => {
    fc.assert(
      fc.property(fc.string({ unit: fc.constantFrom('$', '{', '}', 'a', ' ', '"', '\\', '#', ':'), maxLength: 30 }), (s) => {
        const v = YAML.parse(`k: ${composeScalar(s)}`).k as string;
        expect(v.replace(/\$\$/g, '')).not.toContain('$');
        expect(uncompose(v)).toBe(s);
      }),
    );
  });
});

describe('renderYaml', () => {
  test('a newline in a comment value cannot inject YAML', () => {
    const plan = buildPlan(planInput(validAnswers(), { regenerate: 'init --yes\nevil: true\r\n  # x' }));
    const doc = YAML.parse(composeText(plan)) as Record<string, unknown>;
    expect(doc.evil).toBeUndefined();
    expect(Object.keys(doc).sort()).toEqual(['networks', 'secrets', 'services']);
  });

  test('an unknown template throws; a missing variable is an error (strict)', () => {
    expect(() => renderYaml('no-such-template', {})).toThrow();
    expect(() => renderYaml('options.yml', { version: '1' })).toThrow();
  });
});

// ---------------------------------------------------------------------------------------------
// passwords: property-based, through the real plan

const TRICKY_TOKENS = ['"', "'", '\\', '#', ': ', ' #', '*', '&', '!', '%', '@', '`', '{', '}', '[', ']', ',', '|', '>', '-', '?', '$', '$$', '~', 'yes', 'no', 'null', '0123', '\u00e9', '\u00df', '日本', '😀', '\u200d', ' '];
const passwordArb = fc
  .array(
    fc.oneof(
      fc.constantFrom(...TRICKY_TOKENS),
      fc.string({ unit: 'grapheme-ascii', maxLength: 4 }),
      fc.string({ unit: 'grapheme', maxLength: 2 }),
      fc.string({ unit: 'binary', maxLength: 2 }),
    ),
    { minLength: 3, maxLength: 24 },
  )
  .map((parts) => parts.join(''))
  .filter((s) => checkPassword(s, 'password').ok);

describe('passwords survive rendering exactly (property)', () => {
  const baseCompose = composeText(buildPlan(planInput(validAnswers())));

  test('admin and database passwords: options.yml values, secret files, never in the compose file', () => {
    fc.assert(
      fc.property(passwordArb, passwordArb, passwordArb, (adminPassword, databasePassword, root) => {
        fc.pre(root !== databasePassword);
        const a = validAnswers({ adminPassword, databasePassword, databaseRootPassword: root });
        const plan = buildPlan(planInput(a));
        const opts = YAML.parse(optionsText(plan)) as Record<string, unknown>;
        expect(opts.AdminPassword).toBe(adminPassword);
        expect(opts.DatabasePassword).toBe(databasePassword);
        expect(file(plan, '.secrets/db_pwd.txt')).toBe(databasePassword);
        expect(file(plan, '.secrets/db_root_pwd.txt')).toBe(root);
        // the compose file does not depend on any secret at all
        const compose = composeText(plan);
        expect(compose).toBe(baseCompose);
        for (const pw of [adminPassword, databasePassword, root]) {
          if (!baseCompose.includes(pw)) expect(compose).not.toContain(pw);
        }
        expect(plan.secrets).toEqual([adminPassword, databasePassword, root]);
      }),
      { numRuns: 150 },
    );
  });

  test('the generated-password alphabet needs no quoting and ends up verbatim', () => {
    const pw = 'Ab3xYz9QrStUvWxYz2345678';
    const plan = buildPlan(planInput(validAnswers({ adminPassword: pw })));
    expect(optionsText(plan)).toContain(`AdminPassword: "${pw}"`);
  });

  test('secret files have no trailing newline', () => {
    const plan = buildPlan(planInput(validAnswers()));
    expect(file(plan, '.secrets/db_pwd.txt')).not.toMatch(/\n$/);
    expect(file(plan, '.secrets/db_root_pwd.txt')).not.toMatch(/\n$/);
  });
});

// ---------------------------------------------------------------------------------------------
// the rendered compose file, for many answer variants

interface Variant {
  name: string;
  answers: Answers;
  facts: HostFacts;
}

const PATHS: [string, string][] = [
  ['./originals', ''],
  ['/srv/My Photos', '/srv/import dir'],
  ['/mnt/$photos/${HOME}', './in$$port'],
  ['./pics #1', '/data/a:b:c'],
  ['~/Pictures', '~/import'],
  ['../shared/photos', "./it's \"quoted\""],
  ['/mnt/ünïcödé/😀', ''],
];

function variants(): Variant[] {
  const out: Variant[] = [];
  const facts = hardwareFacts();
  let i = 0;
  for (const transcoding of TRANSCODINGS) {
    for (const userMode of ['photoprism-uid', 'user'] as const) {
      for (const behindProxy of [true, false]) {
        const [originalsPath, importPath] = PATHS[i++ % PATHS.length]!;
        const initActions = INIT_ACTION_NAMES.filter((n) => {
          if (n === 'ffmpeg') return transcoding === 'software';
          if (n === 'gpu' || n === 'intel') return transcoding !== 'raspberry';
          return i % 2 === 0 || n === 'update';
        });
        out.push({
          name: `${transcoding}/${userMode}/${behindProxy ? 'proxy' : 'public'}/${originalsPath}|${importPath}`,
          facts,
          answers: validAnswers({
            transcoding,
            userMode,
            behindProxy,
            originalsPath,
            importPath,
            httpPort: behindProxy ? 8080 + i : 2342,
            siteUrl: behindProxy ? 'https://photos.example.com/' : 'http://localhost:2342/',
            uid: [2000, 1100, 50, 600][i % 4]!,
            gid: [2000, 44, 115, 1250][i % 4]!,
            initActions,
          }),
        });
      }
    }
  }
  // device groups that only work with a matching gid
  out.push({
    name: 'vaapi with render node in group 993, gid 993',
    facts: fakeFacts({ renderNodes: [renderNode(993)] }),
    answers: validAnswers({ transcoding: 'vaapi', gid: 993, initActions: ['update'] }),
  });
  out.push({
    name: 'raspberry with video11 in group 993, gid 993, user mode',
    facts: fakeFacts({ video11: video11Node(993) }),
    answers: validAnswers({ transcoding: 'raspberry', gid: 993, userMode: 'user', initActions: [] }),
  });
  out.push({
    name: 'explicit overrides: root and host-account',
    facts: fakeFacts(),
    answers: validAnswers({ uid: 1000, gid: 0, allowUnsafe: ['host-account', 'root'] }),
  });
  return out;
}

describe.each(variants().map((v) => [v.name, v] as const))('compose file: %s', (_name, v) => {
  const a = v.answers;
  const plan = buildPlan(planInput(a, { facts: v.facts, version: VERSION }));
  const text = composeText(plan);
  const doc = YAML.parse(text) as {
    services: Record<string, Record<string, unknown>>;
    secrets: Record<string, { file: string }>;
  };
  const pp = doc.services.photoprism!;
  const db = doc.services.mariadb!;
  const ppEnv = pp.environment as Record<string, unknown>;
  const dbEnv = db.environment as Record<string, unknown>;

  test('the answers are valid on these facts', () => {
    expectValidAnswers(a, v.facts);
  });

  test('parses strictly and validates against the compose spec', () => {
    const d = YAML.parseDocument(text, { uniqueKeys: true, prettyErrors: true });
    expect(d.errors).toEqual([]);
    expect(d.warnings).toEqual([]);
    const ok = validateCompose(doc);
    expect(validateCompose.errors ?? []).toEqual([]);
    expect(ok).toBe(true);
    expect(Object.keys(doc.services).sort()).toEqual(['mariadb', 'photoprism']);
  });

  test('starts with a provenance header naming the version', () => {
    const first = text.split('\n')[0]!;
    expect(first.startsWith('#')).toBe(true);
    expect(first).toContain('photoprism-harden');
    expect(first).toContain(VERSION);
  });

  test('contains no password, and no password variable', () => {
    for (const pw of [a.adminPassword, a.databasePassword, a.databaseRootPassword]) expect(text).not.toContain(pw);
    for (const env of [ppEnv, dbEnv]) {
      for (const k of Object.keys(env)) expect(k.endsWith('PASSWORD')).toBe(false);
    }
    expect(dbEnv).not.toHaveProperty('MARIADB_PASSWORD');
    expect(dbEnv).not.toHaveProperty('MARIADB_ROOT_PASSWORD');
    expect(ppEnv).not.toHaveProperty('PHOTOPRISM_ADMIN_PASSWORD');
    expect(ppEnv).not.toHaveProperty('PHOTOPRISM_DATABASE_PASSWORD');
  });

  test('mariadb: never published, healthcheck, photoprism waits for healthy', () => {
    expect(db.ports).toBeUndefined();
    expect(db.network_mode).toBeUndefined();
    const hc = db.healthcheck as { test: string[] };
    expect(hc.test).toEqual(['CMD', 'healthcheck.sh', '--connect', '--innodb_initialized']);
    expect(pp.depends_on).toEqual({ mariadb: { condition: 'service_healthy' } });
  });

  test('mariadb reads its passwords from secret files', () => {
    expect(dbEnv.MARIADB_PASSWORD_FILE).toBe('/run/secrets/DB_PWD');
    expect(dbEnv.MARIADB_ROOT_PASSWORD_FILE).toBe('/run/secrets/DB_ROOT_PWD');
    expect(db.secrets).toEqual(['DB_PWD', 'DB_ROOT_PWD']);
    expect(doc.secrets).toEqual({ DB_PWD: { file: './.secrets/db_pwd.txt' }, DB_ROOT_PWD: { file: './.secrets/db_root_pwd.txt' } });
    expect(pp.secrets).toBeUndefined();
    expect(dbEnv.MARIADB_DATABASE).toBe('photoprism');
    expect(dbEnv.MARIADB_USER).toBe('photoprism');
  });

  test('port: 127.0.0.1 only behind a proxy; container port 2342', () => {
    expect(pp.ports).toEqual([a.behindProxy ? `127.0.0.1:${a.httpPort}:2342` : `${a.httpPort}:2342`]);
  });

  test('no docker.sock anywhere, nothing privileged, no weakened profiles', () => {
    for (const s of allStrings(doc)) {
      expect(s).not.toContain('docker.sock');
      expect(s).not.toMatch(/unconfined/);
    }
    for (const svc of [pp, db]) {
      expect(svc.privileged).toBeUndefined();
      expect(svc.cap_drop).toEqual(['ALL']);
      expect(svc.pid).toBeUndefined();
      expect(svc.network_mode).toBeUndefined();
      expect(svc.pids_limit).toBeGreaterThan(0);
      expect(svc.logging).toMatchObject({ driver: 'json-file', options: { 'max-size': expect.any(String), 'max-file': expect.any(String) } });
    }
    // only what each root phase needs comes back (proven at run time by test/e2e/init-apply.test.ts); none as user:
    expect(pp.cap_add).toEqual(a.userMode === 'user' ? undefined : ['CHOWN', 'DAC_OVERRIDE', 'FOWNER', 'SETUID', 'SETGID']);
    expect(db.cap_add).toEqual(['CHOWN', 'DAC_OVERRIDE', 'SETUID', 'SETGID']);
  });

  test('MariaDB only on an internal network, root only from localhost', () => {
    expect(db.networks).toEqual(['database']);
    expect(pp.networks).toEqual(['default', 'database']);
    expect((doc as unknown as { networks: unknown }).networks).toEqual({ database: { internal: true } });
    expect(dbEnv.MARIADB_ROOT_HOST).toBe('localhost');
  });

  test('exactly one of user: or PHOTOPRISM_UID+GID', () => {
    const hasUser = pp.user !== undefined;
    const hasUid = 'PHOTOPRISM_UID' in ppEnv;
    const hasGid = 'PHOTOPRISM_GID' in ppEnv;
    expect(hasUid).toBe(hasGid);
    expect(hasUser).not.toBe(hasUid);
    if (a.userMode === 'user') {
      expect(pp.user).toBe(`${a.uid}:${a.gid}`);
      // user: + no-new-privileges fails at start on newer images
      expect(JSON.stringify(pp.security_opt ?? [])).not.toContain('no-new-privileges');
    } else {
      expect(ppEnv.PHOTOPRISM_UID).toBe(String(a.uid));
      expect(ppEnv.PHOTOPRISM_GID).toBe(String(a.gid));
      expect(pp.security_opt).toEqual(['no-new-privileges:true']);
    }
    expect(db.security_opt).toEqual(['no-new-privileges:true']);
  });

  test('PHOTOPRISM_INIT equals the chosen actions', () => {
    expect(ppEnv.PHOTOPRISM_INIT).toBe(a.initActions.join(' '));
  });

  test('devices and deploy block follow the transcoding', () => {
    const want: Record<Transcoding, string[] | undefined> = {
      software: undefined,
      intel: ['/dev/dri:/dev/dri'],
      vaapi: ['/dev/dri:/dev/dri'],
      raspberry: ['/dev/video11:/dev/video11'],
      nvidia: undefined,
    };
    expect(pp.devices).toEqual(want[a.transcoding]);
    if (a.transcoding === 'nvidia') {
      expect(pp.deploy).toEqual({ resources: { reservations: { devices: [{ driver: 'nvidia', count: 1, capabilities: ['gpu'] }] } } });
      expect(ppEnv.NVIDIA_VISIBLE_DEVICES).toBe('all');
      expect(ppEnv.NVIDIA_DRIVER_CAPABILITIES).toBe('compute,video,utility');
    } else {
      expect(pp.deploy).toBeUndefined();
      expect(ppEnv.NVIDIA_VISIBLE_DEVICES).toBeUndefined();
    }
  });

  test('bind mounts: originals, optional import, storage; database only in mariadb', () => {
    const vols = pp.volumes as { type: string; source: string; target: string }[];
    const byTarget = Object.fromEntries(vols.map((x) => [x.target, x]));
    expect(vols.every((x) => x.type === 'bind')).toBe(true);
    expect(uncompose(byTarget['/photoprism/originals']!.source)).toBe(a.originalsPath);
    expect(byTarget['/photoprism/storage']!.source).toBe('./storage');
    if (a.importPath) expect(uncompose(byTarget['/photoprism/import']!.source)).toBe(a.importPath);
    else expect(byTarget['/photoprism/import']).toBeUndefined();
    expect(vols).toHaveLength(a.importPath ? 3 : 2);
    expect(db.volumes).toEqual([{ type: 'bind', source: './database', target: '/var/lib/mysql' }]);
    expect(pp.working_dir).toBe('/photoprism');
  });

  test('no value is changed by Compose interpolation (every "$" is escaped)', () => {
    for (const s of allStrings(doc)) expect(s.replace(/\$\$/g, '')).not.toContain('$');
  });

  test('options.yml: valid, only keys PhotoPrism knows, the right values', () => {
    const otext = optionsText(plan);
    const d = YAML.parseDocument(otext, { uniqueKeys: true });
    expect(d.errors).toEqual([]);
    const o = d.toJS() as Record<string, unknown>;
    for (const k of Object.keys(o)) expect(OPTION_KEYS.has(k) ? k : `unknown option key ${k}`).toBe(k);
    expect(o).toMatchObject({
      AdminUser: a.adminUser,
      AdminPassword: a.adminPassword,
      DatabasePassword: a.databasePassword,
      DatabaseDriver: 'mysql',
      DatabaseServer: 'mariadb:3306',
      DatabaseName: 'photoprism',
      DatabaseUser: 'photoprism',
      SiteUrl: a.siteUrl,
      FFmpegEncoder: a.transcoding,
      DisableTLS: a.behindProxy,
      AuthMode: 'password',
    });
    expect(otext).not.toContain(a.databaseRootPassword);
    expect(otext.split('\n')[0]).toContain(VERSION);
  });
});
