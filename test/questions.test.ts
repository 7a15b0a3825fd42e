import { describe, expect, test } from '@jest/globals';
import { Ajv } from 'ajv';
import { INIT_ACTION_NAMES, TRANSCODINGS, UNSAFE_OVERRIDES, USER_MODES } from '../src/domain.js';
import { defaultPlainGid, defaultUid, type Account } from '../src/host.js';
import {
  ANSWER_KEYS,
  QUESTIONS,
  SECRET_KEYS,
  answersSchema,
  defaultInitActions,
  deviceHints,
  parseOverrides,
  question,
  suggestedGid,
  type Answers,
  type Ctx,
} from '../src/questions.js';
import { devNode, fakeFacts, renderNode, validAnswers, video11Node } from './fixtures/unit-fakes.js';

const ISSUE_KEYS = [
  'initActions',
  'uid',
  'gid',
  'userMode',
  'adminUser',
  'adminPassword',
  'databasePassword',
  'databaseRootPassword',
  'siteUrl',
  'httpPort',
  'behindProxy',
  'originalsPath',
  'importPath',
  'transcoding',
  'allowUnsafe',
  // issue 14: the output target and the Kubernetes volumes
  'target',
  'namespace',
  'storageClass',
  'originalsSize',
  'storageSize',
  'databaseSize',
];

function compileSchema() {
  const ajv = new Ajv({ strict: false, allErrors: true });
  return ajv.compile(answersSchema());
}

describe('the question table and the answers schema', () => {
  test('ANSWER_KEYS are exactly the issue\'s keys plus allowUnsafe, without duplicates', () => {
    expect([...ANSWER_KEYS].sort()).toEqual([...ISSUE_KEYS].sort());
    expect(new Set(ANSWER_KEYS).size).toBe(ANSWER_KEYS.length);
  });

  test('every Answers key of a complete answers object has a question', () => {
    expect(Object.keys(validAnswers()).sort()).toEqual([...ANSWER_KEYS].sort());
  });

  test('answersSchema: closed object whose properties are exactly ANSWER_KEYS', () => {
    const s = answersSchema();
    expect(s.type).toBe('object');
    expect(s.additionalProperties).toBe(false);
    expect(Object.keys(s.properties as object).sort()).toEqual([...ANSWER_KEYS].sort());
    expect(s.$schema).toBe('http://json-schema.org/draft-07/schema#');
    for (const [k, p] of Object.entries(s.properties as Record<string, Record<string, unknown>>)) {
      expect(typeof p.description).toBe('string');
      expect((p.description as string).length).toBeGreaterThan(5);
      expect(p.type).toBeDefined();
      expect(k).toMatch(/^[a-z][A-Za-z]+$/);
    }
  });

  test('a full valid answers object validates (and the empty object too: every key is optional)', () => {
    const validate = compileSchema();
    const full = validAnswers({ allowUnsafe: ['host-account'], importPath: './import', initActions: [...INIT_ACTION_NAMES] });
    expect(validate(full)).toBe(true);
    expect(validate.errors ?? null).toBeNull();
    expect(validate({})).toBe(true);
    for (const t of TRANSCODINGS) expect(validate({ transcoding: t })).toBe(true);
    for (const m of USER_MODES) expect(validate({ userMode: m })).toBe(true);
    expect(validate({ allowUnsafe: [...UNSAFE_OVERRIDES] })).toBe(true);
  });

  test.each([
    ['unknown key', { ...validAnswers(), adminPasswort: 'xxxxxxxx' }, 'additionalProperties'],
    ['snake_case key', { admin_user: 'admin' }, 'additionalProperties'],
    ['bad transcoding enum', { transcoding: 'apple' }, 'enum'],
    ['bad userMode enum', { userMode: 'root' }, 'enum'],
    ['unknown init action', { initActions: ['update', 'yt-dlp'] }, 'enum'],
    ['unknown override', { allowUnsafe: ['everything'] }, 'enum'],
    ['uid as string', { uid: '2000' }, 'type'],
    ['negative gid', { gid: -1 }, 'minimum'],
    ['fractional uid', { uid: 2000.5 }, 'type'],
    ['port 0', { httpPort: 0 }, 'minimum'],
    ['port 65536', { httpPort: 65536 }, 'maximum'],
    ['behindProxy as string', { behindProxy: 'yes' }, 'type'],
    ['short admin password', { adminPassword: 'short' }, 'minLength'],
    ['long db password', { databasePassword: 'x'.repeat(73) }, 'maxLength'],
    ['ftp site url', { siteUrl: 'ftp://example.com/' }, 'pattern'],
    ['uppercase admin', { adminUser: 'Admin' }, 'pattern'],
    ['empty originals', { originalsPath: '' }, 'minLength'],
  ])('rejects: %s', (_l, data, keyword) => {
    const validate = compileSchema();
    expect(validate(data)).toBe(false);
    expect(validate.errors!.map((e) => e.keyword)).toContain(keyword);
  });

  test('several bad fields give several schema errors (allErrors)', () => {
    const validate = compileSchema();
    expect(validate({ transcoding: 'x', userMode: 'y', nope: 1 })).toBe(false);
    expect(validate.errors!.length).toBeGreaterThanOrEqual(3);
  });

  test('every question with a flag has a kebab-case flag; flags are unique', () => {
    const flags = QUESTIONS.filter((q) => q.flag !== undefined).map((q) => q.flag!);
    for (const f of flags) expect(f).toMatch(/^[a-z][a-z0-9]*(-[a-z0-9]+)*$/);
    expect(new Set(flags).size).toBe(flags.length);
    // the flag is the key in kebab-case
    for (const q of QUESTIONS.filter((x) => x.flag)) {
      expect(q.flag).toBe(q.key.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`));
    }
  });

  test('secret questions (passwords) never have a flag; every other question has one', () => {
    const secrets = QUESTIONS.filter((q) => q.kind === 'secret');
    expect(secrets.map((q) => q.key).sort()).toEqual([...SECRET_KEYS].sort());
    for (const q of secrets) {
      expect(q.flag).toBeUndefined();
      expect(q.flagArg).toBeUndefined();
    }
    for (const q of QUESTIONS.filter((x) => x.kind !== 'secret')) expect(q.flag).toBeDefined();
    expect(SECRET_KEYS).toEqual(['adminPassword', 'databasePassword', 'databaseRootPassword']);
  });

  test('choices of select/checkbox questions match their schema enums', () => {
    const ctx: Ctx = { answers: {}, facts: fakeFacts() };
    for (const q of QUESTIONS.filter((x) => x.kind === 'select' || x.kind === 'checkbox')) {
      const values = q.choices!(ctx).map((c) => c.value);
      const schemaEnum = (q.schema.enum ?? (q.schema.items as { enum: string[] }).enum) as string[];
      expect(values).toEqual(schemaEnum);
    }
  });

  test('question() finds every key and throws for an unknown one', () => {
    for (const k of ANSWER_KEYS) expect(question(k).key).toBe(k);
    expect(() => question('nope' as keyof Answers)).toThrow(/no question/);
  });

  test('every question\'s parse accepts the value in a valid answers object', () => {
    const a = validAnswers();
    for (const q of QUESTIONS) {
      expect(q.parse(a[q.key])).toEqual({ ok: true, value: a[q.key] });
    }
  });

  test('boolean parsing for behindProxy: true/false/yes/no', () => {
    const q = question('behindProxy');
    expect(q.parse(true)).toEqual({ ok: true, value: true });
    expect(q.parse('yes')).toEqual({ ok: true, value: true });
    expect(q.parse('false')).toEqual({ ok: true, value: false });
    expect(q.parse('no')).toEqual({ ok: true, value: false });
    expect(q.parse('maybe').ok).toBe(false);
    expect(q.parse(1).ok).toBe(false);
  });

  test('parseOverrides: list or string, dedupe, unknown refused', () => {
    expect(parseOverrides('root,host-account root')).toEqual({ ok: true, value: ['root', 'host-account'] });
    expect(parseOverrides([])).toEqual({ ok: true, value: [] });
    const r = parseOverrides(['all']);
    expect(r.ok).toBe(false);
    if (!r.ok) expect(r.message).toContain('root, host-account, device-group');
    expect(parseOverrides(3).ok).toBe(false);
  });

  test('importPath must differ from originalsPath; root password must differ from the db password', () => {
    const ctx: Ctx = { answers: { originalsPath: './photos', databasePassword: 'samesame1' }, facts: fakeFacts() };
    expect(question('importPath').check!('./photos', ctx)).toHaveLength(1);
    expect(question('importPath').check!('./import', ctx)).toEqual([]);
    expect(question('importPath').check!('', ctx)).toEqual([]);
    expect(question('databaseRootPassword').check!('samesame1', ctx)).toHaveLength(1);
    expect(question('databaseRootPassword').check!('different1', ctx)).toEqual([]);
  });
});

// ---------------------------------------------------------------------------------------------
const acct = (name: string, uid: number): Account => ({ name, uid, gid: uid, home: `/home/${name}`, shell: '/bin/sh' });

describe('defaultUid / defaultPlainGid', () => {
  test('2000 on a host without accounts in the range', () => {
    expect(defaultUid(fakeFacts())).toBe(2000);
  });

  test('skips used ids: accounts 2000-2005 -> 2006', () => {
    const facts = fakeFacts({ accounts: [0, 2000, 2001, 2002, 2003, 2004, 2005].map((u) => acct(`u${u}`, u)) });
    expect(defaultUid(facts)).toBe(2006);
  });

  test('falls back to the next preferred range when 2000-2100 is full', () => {
    const used = Array.from({ length: 101 }, (_, i) => acct(`u${2000 + i}`, 2000 + i));
    expect(defaultUid(fakeFacts({ accounts: used }))).toBe(900);
    const alsoLow = [...used, ...Array.from({ length: 100 }, (_, i) => acct(`s${900 + i}`, 900 + i))];
    expect(defaultUid(fakeFacts({ accounts: alsoLow }))).toBe(1100);
  });

  test('the default uid is always supported and unused', () => {
    for (const n of [0, 5, 50, 101, 250]) {
      const accounts = Array.from({ length: n }, (_, i) => acct(`u${i}`, 2000 + i));
      const facts = fakeFacts({ accounts });
      const uid = defaultUid(facts);
      expect(question('uid').parse(uid).ok).toBe(true);
      expect(accounts.some((a) => a.uid === uid)).toBe(false);
    }
  });

  test('defaultPlainGid prefers the uid, else a free supported gid', () => {
    expect(defaultPlainGid(fakeFacts(), 2000)).toBe(2000);
    const facts = fakeFacts({ groups: [2000, 2001].map((g) => ({ name: `g${g}`, gid: g, members: [] })) });
    expect(defaultPlainGid(facts, 2000)).toBe(2002);
  });
});

describe('suggestedGid', () => {
  const ctxFor = (transcoding: Answers['transcoding'], over: Parameters<typeof fakeFacts>[0] = {}): Ctx => ({
    answers: { uid: 2000, transcoding },
    facts: fakeFacts(over),
  });

  test('software: the plain default', () => {
    expect(suggestedGid(ctxFor('software', { renderNodes: [renderNode(993)] }))).toBe(2000);
  });

  test('render node in supported group 993: suggests 993 for intel and vaapi', () => {
    expect(suggestedGid(ctxFor('intel', { renderNodes: [renderNode(993)] }))).toBe(993);
    expect(suggestedGid(ctxFor('vaapi', { renderNodes: [renderNode(993)] }))).toBe(993);
  });

  test.each([44, 109, 115])('render node in image group %d: the plain default (the image accounts are members)', (g) => {
    expect(suggestedGid(ctxFor('intel', { renderNodes: [renderNode(g)] }))).toBe(2000);
  });

  test('render node in unsupported group 110: the plain default (and the gid check then refuses it)', () => {
    const ctx = ctxFor('vaapi', { renderNodes: [renderNode(110)] });
    const gid = suggestedGid(ctx);
    expect(gid).toBe(2000);
    const problems = question('gid').check!(gid, ctx);
    expect(problems.map((p) => p.override)).toEqual(['device-group']);
  });

  test('0666 node: the plain default', () => {
    expect(suggestedGid(ctxFor('intel', { renderNodes: [renderNode(993, 0o666)] }))).toBe(2000);
  });

  test('raspberry: the group of /dev/video11 when supported', () => {
    expect(suggestedGid(ctxFor('raspberry', { video11: video11Node(993) }))).toBe(993);
    expect(suggestedGid(ctxFor('raspberry', { video11: video11Node(44) }))).toBe(2000);
  });

  test('two nodes in different non-member groups: no single gid opens both -> plain default', () => {
    const nodes = [renderNode(993), devNode('/dev/dri/renderD129', 994)];
    expect(suggestedGid(ctxFor('vaapi', { renderNodes: nodes }))).toBe(2000);
  });

  test('the suggested gid always passes the gid question\'s parse and check when the node group is usable', () => {
    for (const g of [44, 109, 115, 993, 1100, 2050]) {
      const ctx = ctxFor('vaapi', { renderNodes: [renderNode(g)] });
      const gid = suggestedGid(ctx);
      expect(question('gid').parse(gid).ok).toBe(true);
      expect(question('gid').check!(gid, ctx)).toEqual([]);
    }
  });

  test('the gid default uses suggestedGid', () => {
    const ctx = ctxFor('intel', { renderNodes: [renderNode(993)] });
    expect(question('gid').default(ctx)).toBe(993);
  });
});

describe('hints and defaults', () => {
  test('deviceHints explains each render node group case', () => {
    const hint = (g: number, mode = 0o660) =>
      deviceHints({ answers: { transcoding: 'intel' }, facts: fakeFacts({ renderNodes: [renderNode(g, mode)] }) }).join('\n');
    expect(hint(44)).toContain('already belong to group 44 (video)');
    expect(hint(44)).toContain('(video on this host)');
    expect(hint(993)).toContain('suggested as PHOTOPRISM_GID');
    expect(hint(110)).toContain('udev rule');
    expect(hint(110, 0o666)).toContain('everyone may open it');
    expect(deviceHints({ answers: { transcoding: 'software' }, facts: fakeFacts({ renderNodes: [renderNode(110)] }) })).toEqual([]);
  });

  test('deviceHints warns about a missing NVIDIA driver only for nvidia', () => {
    expect(deviceHints({ answers: { transcoding: 'nvidia' }, facts: fakeFacts({ nvidia: false }) }).join()).toContain('NVIDIA');
    expect(deviceHints({ answers: { transcoding: 'nvidia' }, facts: fakeFacts({ nvidia: true }) })).toEqual([]);
  });

  test('defaultInitActions follows transcoding, site URL and proxy choice, in canonical order', () => {
    const d = (transcoding: Answers['transcoding'], behindProxy: boolean, siteUrl = 'http://localhost:2342/') =>
      defaultInitActions({ answers: { transcoding, behindProxy, siteUrl, userMode: 'photoprism-uid' }, facts: fakeFacts() });
    // the default install (http://localhost:2342/): PhotoPrism serves plain HTTP, so no "https"
    // only "update" is preselected (the README's promise); "tensorflow" is a choice, never a default
    expect(d('software', false)).toEqual(['update']);
    expect(d('software', true)).toEqual(['update']);
    // "https" only when PhotoPrism serves TLS itself: an https:// site URL and no reverse proxy
    expect(d('software', false, 'https://photos.example.com/')).toEqual(['update', 'https']);
    expect(d('software', true, 'https://photos.example.com/')).toEqual(['update']);
    expect(d('nvidia', true)).toEqual(['update', 'gpu']);
    expect(d('intel', true)).toEqual(['update', 'intel']);
    expect(d('intel', false, 'https://photos.example.com/')).toEqual(['update', 'https', 'intel']);
    // "user:" mode never runs as root in the container: no init action is preselected
    expect(defaultInitActions({ answers: { transcoding: 'intel', behindProxy: false, siteUrl: 'https://p.example/', userMode: 'user' }, facts: fakeFacts() })).toEqual([]);
    expect(d('raspberry', true)).toEqual(['update']);
    // the defaults never contradict the transcoding
    for (const t of TRANSCODINGS) {
      for (const bp of [true, false]) {
        for (const url of ['http://localhost:2342/', 'https://photos.example.com/']) {
          expect(question('initActions').check!(d(t, bp, url), { answers: { transcoding: t }, facts: fakeFacts() })).toEqual([]);
        }
      }
    }
  });

  test('the siteUrl default follows the port', () => {
    expect(question('siteUrl').default({ answers: { httpPort: 8080 }, facts: fakeFacts() })).toBe('http://localhost:8080/');
  });

  test('a default that needs an unanswered earlier key fails loudly', () => {
    expect(() => question('gid').default({ answers: {}, facts: fakeFacts() })).toThrow(/internal/);
  });
});
