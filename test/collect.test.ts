import { describe, expect, test } from '@jest/globals';
import { collect, existingSecrets, parseAnswersFile, type CollectOptions, type Collected } from '../src/collect.js';
import { UsageError } from '../src/errors.js';
import { ANSWER_KEYS, QUESTIONS } from '../src/questions.js';
import { SECRET_ENV as ENV, defaultAnswers, emptyState, fakeFacts, renderNode } from './fixtures/unit-fakes.js';

function opts(over: Partial<CollectOptions> = {}): CollectOptions {
  return { facts: fakeFacts(), state: emptyState(), flags: {}, env: {}, ...over };
}
const file = (text: string) => ({ name: 'answers.yml', text });

/** collect() must fail with a UsageError; returns its problems. */
async function problemsOf(o: CollectOptions): Promise<string[]> {
  let err: unknown;
  try {
    await collect(o);
  } catch (e) {
    err = e;
  }
  expect(err).toBeInstanceOf(UsageError);
  return (err as UsageError).problems;
}

/** The answers must satisfy every question's parse (what the plan relies on). */
function expectParsable(c: Collected) {
  for (const q of QUESTIONS) expect(q.parse(c.answers[q.key])).toEqual({ ok: true, value: c.answers[q.key] });
}

const GENERATED = /^[A-Za-z0-9]+$/;

// ---------------------------------------------------------------------------------------------
describe('defaults (--yes, nothing given)', () => {
  test('a complete, valid, hardened answer set', async () => {
    const c = await collect(opts());
    expectParsable(c);
    expect(c.answers).toMatchObject({
      ...defaultAnswers(),
      // http://localhost: PhotoPrism does not serve TLS itself, so no "https" action
      initActions: ['update'],
    });
    expect(Object.keys(c.answers).sort()).toEqual([...ANSWER_KEYS].sort());
    expect(c.defaults.uid).toBe(2000);
    expect(c.defaults.initActions).toEqual(['update']);
  });

  test('generated passwords: DB >= 32 chars, admin 8-72, only [A-Za-z0-9], all different', async () => {
    for (let i = 0; i < 5; i++) {
      const c = await collect(opts());
      const { adminPassword, databasePassword, databaseRootPassword } = c.answers;
      expect(c.secretSources).toEqual({ adminPassword: 'generated', databasePassword: 'generated', databaseRootPassword: 'generated' });
      expect(adminPassword.length).toBeGreaterThanOrEqual(8);
      expect(adminPassword.length).toBeLessThanOrEqual(72);
      expect(databasePassword.length).toBeGreaterThanOrEqual(32);
      expect(databaseRootPassword.length).toBeGreaterThanOrEqual(32);
      for (const pw of [adminPassword, databasePassword, databaseRootPassword]) {
        expect(pw).toMatch(GENERATED);
        expect(pw.length).toBeLessThanOrEqual(72);
      }
      expect(new Set([adminPassword, databasePassword, databaseRootPassword]).size).toBe(3);
    }
  });

  test('two runs generate different passwords', async () => {
    const [a, b] = await Promise.all([collect(opts()), collect(opts())]);
    expect(a.answers.databasePassword).not.toBe(b.answers.databasePassword);
    expect(a.answers.adminPassword).not.toBe(b.answers.adminPassword);
  });

  test('the default uid avoids accounts that exist', async () => {
    const accounts = [2000, 2001, 2002, 2003, 2004, 2005].map((uid) => ({ name: `svc${uid}`, uid, gid: uid, home: '/', shell: '/bin/false' }));
    const c = await collect(opts({ facts: fakeFacts({ accounts }) }));
    expect(c.answers.uid).toBe(2006);
  });

  test('an https:// site URL without a proxy preselects "https"; a bare host means https', async () => {
    for (const siteUrl of ['https://photos.example.com/', 'photos.example.com']) {
      const c = await collect(opts({ flags: { siteUrl } }));
      expect(c.answers.siteUrl).toBe('https://photos.example.com/');
      expect(c.answers.initActions).toEqual(['update', 'https']);
    }
  });

  test('behind a proxy the default init actions drop "https" (the proxy terminates TLS)', async () => {
    const c = await collect(opts({ flags: { behindProxy: true, siteUrl: 'https://photos.example.com/' } }));
    expect(c.answers.behindProxy).toBe(true);
    expect(c.answers.initActions).toEqual(['update']);
  });

  test('hardware default: the render node\'s supported group becomes the gid', async () => {
    const c = await collect(opts({ facts: fakeFacts({ renderNodes: [renderNode(993)] }), flags: { transcoding: 'vaapi' } }));
    expect(c.answers.gid).toBe(993);
    expect(c.defaults.gid).toBe(993);
  });
});

// ---------------------------------------------------------------------------------------------
describe('answers file', () => {
  test('parseAnswersFile: unknown key lists the allowed keys; known keys pass through', () => {
    const r = parseAnswersFile('a.yml', 'uid: 2001\nadminPasswort: secret123\n');
    expect(r.values).toEqual({ uid: 2001 });
    expect(r.errors).toHaveLength(1);
    expect(r.errors[0]).toContain('unknown key "adminPasswort"');
    expect(r.errors[0]).toContain(`allowed keys: ${ANSWER_KEYS.join(', ')}`);
  });

  test('parseAnswersFile: empty file and null values mean "use the defaults"', () => {
    expect(parseAnswersFile('a.yml', '')).toEqual({ values: {}, errors: [] });
    expect(parseAnswersFile('a.yml', '# only a comment\n')).toEqual({ values: {}, errors: [] });
    expect(parseAnswersFile('a.yml', 'uid:\nimportPath: ~\n')).toEqual({ values: {}, errors: [] });
  });

  test.each([
    ['bad YAML', 'uid: [2000\n', 'not valid YAML'],
    ['duplicate key', 'uid: 2000\nuid: 2001\n', 'not valid YAML'],
    ['bad indentation', 'uid: 2000\n  gid: 2000\n', 'not valid YAML'],
    ['a list', '- uid\n- gid\n', 'must be a YAML mapping'],
    ['a scalar', 'just text\n', 'must be a YAML mapping'],
  ])('%s is refused', async (_l, text, msg) => {
    const problems = await problemsOf(opts({ answersFile: file(text) }));
    expect(problems).toHaveLength(1);
    expect(problems[0]).toContain('answers.yml');
    expect(problems[0]).toContain(msg);
  });

  test('unknown key: UsageError naming the key and the allowed keys', async () => {
    const problems = await problemsOf(opts({ answersFile: file('uid: 2001\nuser_mode: user\n') }));
    expect(problems).toEqual([`answers.yml: unknown key "user_mode"; allowed keys: ${ANSWER_KEYS.join(', ')}`]);
  });

  test('typed YAML values are accepted', async () => {
    const text = [
      'originalsPath: /srv/photos',
      'importPath: ./import',
      'behindProxy: true',
      'httpPort: 8080',
      'siteUrl: https://photos.example.com',
      'uid: 2001',
      'gid: 2002',
      'initActions: [update, clean]',
      'adminUser: boss',
      'adminPassword: "Admin pw #1: ok"',
      'databasePassword: "Db$pw\\"quoted\\"1"',
      'databaseRootPassword: root-pw-123',
    ].join('\n');
    const c = await collect(opts({ answersFile: file(text) }));
    expectParsable(c);
    expect(c.answers).toMatchObject({
      originalsPath: '/srv/photos',
      importPath: './import',
      behindProxy: true,
      httpPort: 8080,
      siteUrl: 'https://photos.example.com/',
      uid: 2001,
      gid: 2002,
      initActions: ['update', 'clean'],
      adminUser: 'boss',
      adminPassword: 'Admin pw #1: ok',
      databasePassword: 'Db$pw"quoted"1',
      databaseRootPassword: 'root-pw-123',
    });
    expect(c.secretSources).toEqual({ adminPassword: 'answers file', databasePassword: 'answers file', databaseRootPassword: 'answers file' });
  });

  test('value errors from the file are prefixed with its name', async () => {
    const problems = await problemsOf(opts({ answersFile: file('transcoding: apple\n') }));
    expect(problems).toEqual([expect.stringMatching(/^answers\.yml: transcoding must be one of: software, intel, vaapi, nvidia, raspberry/)]);
  });

  test('flags override the file', async () => {
    const c = await collect(
      opts({ answersFile: file('uid: 2001\ngid: 2001\nhttpPort: 8080\nadminUser: fromfile\n'), flags: { uid: '2003', httpPort: '9090' } }),
    );
    expect(c.answers.uid).toBe(2003);
    expect(c.answers.httpPort).toBe(9090);
    expect(c.answers.gid).toBe(2001);
    expect(c.answers.adminUser).toBe('fromfile');
  });

  test('a valid flag hides an invalid file value for the same key', async () => {
    const c = await collect(opts({ answersFile: file('uid: 7\n'), flags: { uid: '2004' } }));
    expect(c.answers.uid).toBe(2004);
  });
});

// ---------------------------------------------------------------------------------------------
describe('environment presets for passwords', () => {
  test('all three presets are used', async () => {
    const env = { [ENV.admin]: 'env-admin-pw', [ENV.db]: 'env-db-password', [ENV.root]: 'env-root-password' };
    const c = await collect(opts({ env }));
    expect(c.answers.adminPassword).toBe('env-admin-pw');
    expect(c.answers.databasePassword).toBe('env-db-password');
    expect(c.answers.databaseRootPassword).toBe('env-root-password');
    expect(c.secretSources).toEqual({ adminPassword: 'environment', databasePassword: 'environment', databaseRootPassword: 'environment' });
  });

  test('an empty preset is ignored (a password is generated)', async () => {
    const c = await collect(opts({ env: { [ENV.admin]: '' } }));
    expect(c.secretSources.adminPassword).toBe('generated');
  });

  test('an invalid preset names the variable', async () => {
    const problems = await problemsOf(opts({ env: { [ENV.db]: 'short' } }));
    expect(problems).toEqual([expect.stringContaining(`${ENV.db}: databasePassword must be 8-72 characters`)]);
  });

  test('env and file with different values: UsageError; with the same value: fine', async () => {
    const problems = await problemsOf(opts({ env: { [ENV.admin]: 'from-the-env' }, answersFile: file('adminPassword: from-the-file\n') }));
    expect(problems).toHaveLength(1);
    expect(problems[0]).toContain('adminPassword');
    expect(problems[0]).toContain(ENV.admin);
    const c = await collect(opts({ env: { [ENV.admin]: 'same-value' }, answersFile: file('adminPassword: same-value\n') }));
    expect(c.answers.adminPassword).toBe('same-value');
  });

  test('a root password equal to the database password is refused', async () => {
    const problems = await problemsOf(opts({ env: { [ENV.db]: 'same-password', [ENV.root]: 'same-password' } }));
    expect(problems.some((p) => p.includes('Database root password must differ from the database password (databaseRootPassword, databasePassword)'))).toBe(true);
  });
});

// ---------------------------------------------------------------------------------------------
describe('existing installation', () => {
  const DB = 'Existing $db "pw" #1: ümlaut';
  const ROOT = 'Existing-root-password';
  const ADMIN = 'Existing admin: pw';
  const optionsYml = (admin: string, db: string) => `AdminUser: "admin"\nAdminPassword: ${JSON.stringify(admin)}\nDatabasePassword: ${JSON.stringify(db)}\n`;
  const installed = (over: { db?: string; root?: string; options?: string; initialised?: boolean; legacy?: boolean } = {}) => {
    const contents: Record<string, string> = {};
    if (over.db !== undefined) contents['.secrets/db_pwd.txt'] = over.db;
    if (over.root !== undefined) contents['.secrets/db_root_pwd.txt'] = over.root;
    if (over.options !== undefined) contents[over.legacy ? 'storage/settings/options.yml' : 'storage/config/options.yml'] = over.options;
    return emptyState({ contents, databaseInitialised: over.initialised ?? false, legacySettings: over.legacy ?? false });
  };

  test('existing secrets are reused byte for byte', async () => {
    const c = await collect(opts({ state: installed({ db: DB, root: ROOT, options: optionsYml(ADMIN, DB) }) }));
    expect(c.answers.databasePassword).toBe(DB);
    expect(c.answers.databaseRootPassword).toBe(ROOT);
    expect(c.answers.adminPassword).toBe(ADMIN);
    expect(c.secretSources).toEqual({ adminPassword: 'existing', databasePassword: 'existing', databaseRootPassword: 'existing' });
  });

  test('existing secrets are kept even when they would not pass today\'s rules', async () => {
    const c = await collect(opts({ state: installed({ db: ' old pw', root: 'r' }) }));
    expect(c.answers.databasePassword).toBe(' old pw');
    expect(c.answers.databaseRootPassword).toBe('r');
  });

  test('trailing newlines of a secret file are dropped (MariaDB strips them too), nothing else', () => {
    expect(existingSecrets(installed({ db: `${DB}\n\n` })).values.databasePassword).toBe(DB);
    expect(existingSecrets(installed({ db: `${DB}\r\n` })).values.databasePassword).toBe(`${DB}\r`);
    expect(existingSecrets(installed({ db: ` ${DB} ` })).values.databasePassword).toBe(` ${DB} `);
    expect(existingSecrets(installed({ db: '' })).values.databasePassword).toBeUndefined();
  });

  test('the same value supplied again is fine', async () => {
    const c = await collect(opts({ state: installed({ db: DB }), answersFile: file(`databasePassword: ${JSON.stringify(DB)}\n`) }));
    expect(c.answers.databasePassword).toBe(DB);
    expect(c.secretSources.databasePassword).toBe('existing');
  });

  test.each([
    ['databasePassword', 'env', '.secrets/db_pwd.txt'],
    ['databaseRootPassword', 'file', '.secrets/db_root_pwd.txt'],
  ] as const)('a different %s (from the %s) is refused, never replaced', async (key, via, secretFile) => {
    const state = installed({ db: DB, root: ROOT });
    const o =
      via === 'env'
        ? opts({ state, env: { [ENV.db]: 'a-new-password' } })
        : opts({ state, answersFile: file(`${key}: a-new-password\n`) });
    const problems = await problemsOf(o);
    expect(problems).toHaveLength(1);
    expect(problems[0]).toContain(key);
    expect(problems[0]).toContain(secretFile);
    expect(problems[0]).toContain('never replaced');
  });

  test('a different admin password is refused with the passwd hint', async () => {
    const problems = await problemsOf(opts({ state: installed({ options: optionsYml(ADMIN, DB) }), env: { [ENV.admin]: 'another-admin-pw' } }));
    expect(problems).toHaveLength(1);
    expect(problems[0]).toContain('photoprism passwd');
  });

  test('DatabasePassword in options.yml alone is reused for the secret file', async () => {
    const c = await collect(opts({ state: installed({ options: optionsYml(ADMIN, DB) }) }));
    expect(c.answers.databasePassword).toBe(DB);
    expect(c.secretSources.databasePassword).toBe('existing');
  });

  test('legacy layout: options.yml is read from storage/settings', async () => {
    const c = await collect(opts({ state: installed({ options: optionsYml(ADMIN, DB), legacy: true }) }));
    expect(c.answers.adminPassword).toBe(ADMIN);
  });

  test('DatabasePassword differs from db_pwd.txt, database initialised: refused, naming db_pwd.txt as the one in use', async () => {
    const problems = await problemsOf(opts({ state: installed({ db: DB, root: ROOT, options: optionsYml(ADMIN, 'something-else'), initialised: true }) }));
    expect(problems).toHaveLength(1);
    expect(problems[0]).toContain('DatabasePassword in storage/config/options.yml differs from .secrets/db_pwd.txt');
    expect(problems[0]).toContain('most likely uses .secrets/db_pwd.txt');
    expect(problems[0]).toContain('Nothing was changed');
  });

  test('DatabasePassword differs, database not initialised: refused, saying neither was used', async () => {
    const problems = await problemsOf(opts({ state: installed({ db: DB, options: optionsYml(ADMIN, 'something-else') }) }));
    expect(problems).toHaveLength(1);
    expect(problems[0]).toContain('not initialised yet');
  });

  test('a broken options.yml is ignored for secrets (db secret file still wins)', async () => {
    const c = await collect(opts({ state: installed({ db: DB, options: 'AdminPassword: [unclosed\n' }) }));
    expect(c.answers.databasePassword).toBe(DB);
    expect(c.secretSources.adminPassword).toBe('generated');
  });
});

// ---------------------------------------------------------------------------------------------
describe('risky ids and devices (non-interactive)', () => {
  test('uid 1000 of a regular account: UsageError with the override to use', async () => {
    const problems = await problemsOf(opts({ flags: { uid: '1000' } }));
    expect(problems).toHaveLength(1);
    expect(problems[0]).toContain('"alice"');
    expect(problems[0]).toContain('--allow-unsafe host-account');
    expect(problems[0]).toContain('allowUnsafe: [host-account]');
  });

  test('uid 1000 accepted with --allow-unsafe host-account (flag or file)', async () => {
    const c1 = await collect(opts({ flags: { uid: '1000', allowUnsafe: 'host-account' } }));
    expect(c1.answers.uid).toBe(1000);
    expect(c1.answers.allowUnsafe).toEqual(['host-account']);
    const c2 = await collect(opts({ answersFile: file('uid: 1000\nallowUnsafe: [host-account]\n') }));
    expect(c2.answers.uid).toBe(1000);
  });

  test('a different override does not cover the risk', async () => {
    const problems = await problemsOf(opts({ flags: { uid: '1000', allowUnsafe: 'root' } }));
    expect(problems.join()).toContain('--allow-unsafe host-account');
  });

  test('root needs "root"; gid 0 too', async () => {
    expect((await problemsOf(opts({ flags: { uid: '0' } }))).join()).toContain('--allow-unsafe root');
    expect((await problemsOf(opts({ flags: { gid: '0' } }))).join()).toContain('--allow-unsafe root');
    const c = await collect(opts({ flags: { uid: '0', gid: '0', allowUnsafe: 'root' } }));
    expect([c.answers.uid, c.answers.gid]).toEqual([0, 0]);
  });

  test('a render node group the default gid cannot open: device-group override needed', async () => {
    const facts = fakeFacts({ renderNodes: [renderNode(110)] });
    const problems = await problemsOf(opts({ facts, flags: { transcoding: 'vaapi' } }));
    expect(problems).toHaveLength(1);
    expect(problems[0]).toContain('/dev/dri/renderD128');
    expect(problems[0]).toContain('udev');
    expect(problems[0]).toContain('--allow-unsafe device-group');
    const c = await collect(opts({ facts, flags: { transcoding: 'vaapi', allowUnsafe: 'device-group' } }));
    expect(c.answers.allowUnsafe).toEqual(['device-group']);
  });

  test('hardware transcoding without a device: refused, no override offered', async () => {
    const problems = await problemsOf(opts({ flags: { transcoding: 'intel', allowUnsafe: 'device-group' } }));
    expect(problems).toHaveLength(1);
    expect(problems[0]).toContain('/dev/dri');
    expect(problems[0]).not.toContain('--allow-unsafe');
  });

  test('overrides come back sorted and deduplicated', async () => {
    const c = await collect(opts({ flags: { uid: '1000', gid: '0', allowUnsafe: 'root,host-account,root' } }));
    expect(c.answers.allowUnsafe).toEqual(['host-account', 'root']);
  });
});

describe('every error is reported at once', () => {
  test('several bad values: one message each', async () => {
    const problems = await problemsOf(
      opts({ flags: { uid: 'abc', gid: '7', transcoding: 'foo', adminUser: 'Bad Name', siteUrl: 'ftp://x/', httpPort: '0' } }),
    );
    expect(problems).toHaveLength(6);
    for (const word of ['uid', 'gid', 'transcoding', 'adminUser', 'siteUrl', 'httpPort']) {
      expect(problems.some((p) => p.startsWith(word) || p.includes(` ${word} `))).toBe(true);
    }
  });

  test('file errors, flag errors and env errors together', async () => {
    const problems = await problemsOf(
      opts({ answersFile: file('nope: 1\nuserMode: sometimes\n'), flags: { initActions: 'update,yt-dlp' }, env: { [ENV.root]: 'x' } }),
    );
    expect(problems).toHaveLength(4);
  });

  test('several cross-field problems: one message each', async () => {
    const facts = fakeFacts({ renderNodes: [renderNode(44)] });
    const problems = await problemsOf(
      opts({ facts, flags: { uid: '1000', transcoding: 'intel', initActions: 'update,ffmpeg', originalsPath: './p', importPath: 'p' } }),
    );
    expect(problems).toHaveLength(3);
    expect(problems.join('\n')).toContain('host-account');
    expect(problems.join('\n')).toContain('"ffmpeg"');
    expect(problems.join('\n')).toContain('Import folder must differ from the originals folder (importPath, originalsPath)');
  });

  // Regression (fixed): collect() used to throw after the single-field pass, so a bad value hid every
  // cross-field problem: "--admin-user Bad --uid 1000" reported only adminUser; the uid refusal
  // appeared only on the next run.
  test('a bad value and a risky uid are reported together', async () => {
    const problems = await problemsOf(opts({ flags: { adminUser: 'Bad', uid: '1000' } }));
    expect(problems).toHaveLength(2);
    expect(problems.join('\n')).toContain('--allow-unsafe host-account');
  });
});
