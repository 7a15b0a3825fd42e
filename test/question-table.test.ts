// The question table is the one source: every question's parser and its answers-file schema accept the
// same values, and a question added to a table reaches the prompts, the flags, the schema, the README
// table and the summary without any other change.
import { describe, expect, test } from '@jest/globals';
import { Ajv } from 'ajv';
import fc from 'fast-check';
import { commandHelp, parseCommand, questionOptions } from '../src/cli.js';
import { collect, type Prompter } from '../src/collect.js';
import { INIT_ACTION_NAMES, SUPPORTED_GIDS, SUPPORTED_UIDS, TRANSCODINGS, UNSAFE_OVERRIDES, USER_MODES } from '../src/domain.js';
import { summaryLines } from '../src/output.js';
import {
  QUESTIONS,
  answersSchema,
  parseFileValue,
  question,
  questionsMarkdown,
  type Key,
  type Question,
  type Spec,
} from '../src/questions.js';
import { TARGET_NAMES } from '../src/targets/registry.js';
import { fail, ok } from '../src/validate.js';
import { emptyState, fakeFacts } from './fixtures/unit-fakes.js';

const ajv = new Ajv({ strict: false, allErrors: true });
const schemaOf = (q: Question) => ajv.compile(q.schema);

/** ids around every edge of the supported ranges, and a few far away */
const idEdges = (ranges: readonly (readonly [number, number])[]) => [
  ...ranges.flatMap(([lo, hi]) => [lo - 1, lo, lo + 1, hi - 1, hi, hi + 1]),
  -1,
  1500,
  65534,
  2147483648,
];
const junk = fc.oneof(fc.string(), fc.boolean(), fc.constant(null), fc.double(), fc.array(fc.string(), { maxLength: 2 }), fc.object({ maxDepth: 1 }));
const words = (list: readonly string[]) => fc.oneof(fc.constantFrom(...list), fc.string({ maxLength: 8 }), fc.constantFrom(...list.map((w) => w.toUpperCase())));
/** strings with the characters the string rules care about */
const tricky = fc.stringMatching(/^[ a-zA-Z0-9._@/$\-{}:\t\n\u0001\u007f\u0085\u00a0\u2028\u00e9\u{1F600}]*$/u, { maxLength: 80 });
const around = (s: fc.Arbitrary<string>) =>
  fc.tuple(fc.constantFrom('', ' ', '\t', '${', 'ldap://', 'LDAP://', '\n', 'é'), s, fc.constantFrom('', ' ', '\n', '${', 'x')).map(([a, b, c]) => a + b + c);

const VALUES: Record<Key, fc.Arbitrary<unknown>> = {
  originalsPath: fc.oneof(around(tricky), fc.constantFrom('/etc', '/srv/photos', './storage', '~/Pictures', '', '  ')),
  importPath: fc.oneof(around(tricky), fc.constantFrom('-', 'none', 'NONE', '', '/proc/x', './import')),
  behindProxy: fc.oneof(fc.boolean(), junk, fc.constantFrom('yes', 'true', 'no')),
  httpPort: fc.oneof(fc.integer({ min: -5, max: 70000 }), fc.constantFrom(0, 1, 65535, 65536, 2342.5, '2342'), junk),
  siteUrl: fc.oneof(fc.webUrl(), around(tricky), fc.constantFrom('photos.example.com', 'ftp://x/', 'http://a b/', 'https://u:p@x/')),
  transcoding: fc.oneof(words(TRANSCODINGS), junk),
  userMode: fc.oneof(words(USER_MODES), junk),
  uid: fc.oneof(fc.constantFrom(...idEdges(SUPPORTED_UIDS)), fc.integer({ min: -10, max: 3000 }), fc.constantFrom('2000', 2000.5), junk),
  gid: fc.oneof(fc.constantFrom(...idEdges(SUPPORTED_GIDS)), fc.integer({ min: -10, max: 3000 }), fc.constantFrom('2000'), junk),
  initActions: fc.oneof(fc.array(words(INIT_ACTION_NAMES), { maxLength: 4 }), fc.constantFrom('update', ['update', 'update']), junk),
  adminUser: fc.oneof(fc.stringMatching(/^[a-zA-Z0-9._@\- -]{0,12}$/), fc.constantFrom('visitor', 'admin', 'a'.repeat(255), 'a'.repeat(256), '.admin'), junk),
  adminPassword: fc.oneof(around(tricky), fc.string({ unit: 'grapheme', maxLength: 80 }), junk),
  databasePassword: fc.oneof(around(tricky), fc.string({ unit: 'binary', maxLength: 80 })),
  databaseRootPassword: fc.oneof(around(tricky), fc.constantFrom('é'.repeat(40), 'x'.repeat(72), 'x'.repeat(73))),
  allowUnsafe: fc.oneof(fc.array(words(UNSAFE_OVERRIDES), { maxLength: 3 }), junk),
  target: fc.oneof(words(TARGET_NAMES), junk),
  namespace: fc.oneof(fc.stringMatching(/^[a-z0-9.\- A-Z]{0,70}$/), fc.constantFrom('photoprism', '-x', 'x-', 'a'.repeat(63), 'a'.repeat(64), 'a.b', ''), junk),
  storageClass: fc.oneof(fc.stringMatching(/^[a-z0-9.\- A-Z]{0,20}$/), fc.constantFrom('', 'local-path', 'fast.ssd', '.x', 'x.', 'a'.repeat(253), 'a'.repeat(254)), junk),
  originalsSize: fc.oneof(fc.stringMatching(/^[0-9]{0,8}(Mi|Gi|Ti|G|Ki|gi)?$/), fc.constantFrom('100Gi', '0Gi', ' 1Gi', '1Gi ', '999999Ti', '1000000Ti'), junk),
  storageSize: fc.oneof(fc.stringMatching(/^[0-9]{0,8}(Mi|Gi|Ti|G)?$/), fc.constantFrom('50Gi', '01Gi'), junk),
  databaseSize: fc.oneof(fc.stringMatching(/^[0-9]{0,8}(Mi|Gi|Ti|G)?$/), fc.constantFrom('10Gi', '1.5Gi'), junk),
};

/**
 * Where the schema can only be a necessary condition: a host path's sensitive folders and overlaps are
 * judged after normalising it, a site URL by the URL parser, and JSON Schema cannot count UTF-8 bytes.
 * For those the schema accepts everything the parser accepts (an editor never flags a valid file);
 * everywhere else the two accept exactly the same values.
 */
const PARSER_ALSO_REFUSES: Partial<Record<Key, (v: unknown) => boolean>> = {
  originalsPath: () => true,
  importPath: () => true,
  siteUrl: () => true,
  adminPassword: (v) => typeof v === 'string' && Buffer.byteLength(v) > 72,
  databasePassword: (v) => typeof v === 'string' && Buffer.byteLength(v) > 72,
  databaseRootPassword: (v) => typeof v === 'string' && Buffer.byteLength(v) > 72,
};

describe('each question: its answers-file schema accepts exactly what its parser accepts', () => {
  test('every question has a generator here', () => {
    expect(Object.keys(VALUES).sort()).toEqual(QUESTIONS.map((q) => q.key).sort());
  });

  test.each(QUESTIONS.map((q) => [q.key, q] as const))('%s', (_k, q) => {
    const valid = schemaOf(q);
    fc.assert(
      fc.property(VALUES[q.key], (v) => {
        const parsed = parseFileValue(q, v).ok;
        const schema = valid(v) as boolean;
        if (parsed) expect({ v, schema }).toEqual({ v, schema: true });
        else if (!PARSER_ALSO_REFUSES[q.key]?.(v)) expect({ v, schema }).toEqual({ v, schema: false });
      }),
      { numRuns: 400 },
    );
  });

  test('the cases the issue names: uid 1500, a duplicate init action, the adminUser pattern and "visitor"', () => {
    for (const [k, v, accepted] of [
      ['uid', 1500, false],
      ['uid', 2000, true],
      ['gid', 44, true],
      ['gid', 45, false],
      ['initActions', ['update', 'update'], true],
      ['adminUser', 'visitor', false],
      ['adminUser', 'Admin', false],
      ['adminUser', 'photo.admin@home', true],
      ['adminPassword', ' leading-space', false],
      ['adminPassword', 'has ${var} in it', false],
      ['adminPassword', 'an LdAp://server', false],
      ['adminPassword', 'tab\tinside!', false],
      ['adminPassword', 'perfectly-fine', true],
    ] as const) {
      const q = question(k);
      expect([k, v, parseFileValue(q, v).ok]).toEqual([k, v, accepted]);
      expect([k, v, schemaOf(q)(v)]).toEqual([k, v, accepted]);
    }
  });

  test('an answers file holds typed values: "2000" is not a number there, as its schema says (flags take text)', () => {
    expect(parseFileValue(question('uid'), '2000').ok).toBe(false);
    expect(question('uid').parse('2000')).toEqual({ ok: true, value: 2000 });
    expect(parseFileValue(question('behindProxy'), 'yes').ok).toBe(false);
  });
});

// ---------------------------------------------------------------------------------------------
// a new question is one entry

const timeZone: Spec<string> & { key: Key } = {
  // (not a key of the real table: the fixture table stands for the table after the entry is added)
  key: 'timeZone' as Key,
  kind: 'input',
  label: 'Time zone',
  message: 'Time zone of your photos (tz database name)',
  description: 'PHOTOPRISM_TIMEZONE: the tz database name of the photos\' local time, e.g. Europe/Berlin',
  readme: 'tz database name, e.g. `Europe/Berlin`; default `UTC`',
  flag: 'time-zone',
  flagArg: '<zone>',
  default: () => 'UTC',
  parse: (raw) => (typeof raw === 'string' && /^[A-Za-z_]+(\/[A-Za-z_+-]+)*$/.test(raw) ? ok(raw) : fail(`timeZone must be a tz database name like Europe/Berlin; got ${JSON.stringify(raw)}`)),
  schema: { type: 'string', pattern: '^[A-Za-z_]+(/[A-Za-z_+-]+)*$' },
};
const afterSiteUrl = QUESTIONS.findIndex((q) => q.key === 'siteUrl') + 1;
const FIXTURE: readonly Question[] = [...QUESTIONS.slice(0, afterSiteUrl), timeZone as Question, ...QUESTIONS.slice(afterSiteUrl)];

/** A prompter that answers every question with its default, and `answers` where given (by message). */
function scripted(answers: Record<string, string>): Prompter & { asked: string[] } {
  const asked: string[] = [];
  return {
    asked,
    async input(o) {
      asked.push(o.message);
      const v = answers[o.message] ?? o.default ?? '';
      const r = o.validate(v);
      if (r !== true) throw new Error(`refused: ${r}`);
      return v;
    },
    async confirm(o) {
      asked.push(o.message);
      return o.default;
    },
    async select(o) {
      asked.push(o.message);
      return o.default;
    },
    async checkbox(o) {
      asked.push(o.message);
      return o.choices.filter((c) => c.checked).map((c) => c.value);
    },
    async password(o) {
      asked.push(o.message);
      return 'not-asked-here';
    },
    note() {},
  };
}

describe('a question added to a (fixture) table reaches every derived place', () => {
  const base = { facts: fakeFacts(), state: emptyState(), flags: {}, env: {}, questions: FIXTURE };

  test('the wizard asks it, in table order, and validates the answer with its parser', async () => {
    const p = scripted({ [timeZone.message]: 'Europe/Berlin' });
    const c = await collect({ ...base, prompter: p });
    expect((c.answers as unknown as Record<string, unknown>).timeZone).toBe('Europe/Berlin');
    expect(p.asked.indexOf(timeZone.message)).toBe(p.asked.indexOf(question('siteUrl').message) + 1);
    await expect(collect({ ...base, prompter: scripted({ [timeZone.message]: 'not a zone' }) })).rejects.toThrow(/Time zone must be a tz database name/);
  });

  test('a flag: in init\'s options, in --help, parsed from the command line, and collected', async () => {
    const options = questionOptions(FIXTURE);
    expect(options).toContainEqual({ name: 'time-zone', arg: '<zone>', help: timeZone.description });
    const spec = { name: 'init', summary: 's', options };
    expect(commandHelp(spec)).toContain('--time-zone <zone>');
    expect(parseCommand(spec, ['--time-zone', 'Asia/Tokyo'])['time-zone']).toBe('Asia/Tokyo');
    const c = await collect({ ...base, flags: { ['timeZone' as Key]: 'Asia/Tokyo' } });
    expect((c.answers as unknown as Record<string, unknown>).timeZone).toBe('Asia/Tokyo');
  });

  test('the answers file: a known key, checked by the same parser; the schema has it', async () => {
    const c = await collect({ ...base, answersFile: { name: 'a.yml', text: 'timeZone: America/New_York\n' } });
    expect((c.answers as unknown as Record<string, unknown>).timeZone).toBe('America/New_York');
    await expect(collect({ ...base, answersFile: { name: 'a.yml', text: 'timeZone: 42\n' } })).rejects.toThrow(/a.yml: timeZone must be a string/);
    const schema = answersSchema(FIXTURE) as { properties: Record<string, unknown> };
    expect(schema.properties.timeZone).toEqual({ description: timeZone.description, ...timeZone.schema });
    expect(ajv.compile(answersSchema(FIXTURE))({ timeZone: 'Europe/Berlin' })).toBe(true);
    expect(ajv.compile(answersSchema())({ timeZone: 'Europe/Berlin' })).toBe(false);
  });

  test('the README table has its row; the summary shows it by label', async () => {
    expect(questionsMarkdown(FIXTURE)).toContain('| `timeZone` | `--time-zone <zone>` | Time zone | tz database name, e.g. `Europe/Berlin`; default `UTC` |');
    const c = await collect(base);
    expect(summaryLines(c, FIXTURE).join('\n')).toMatch(/^ {2}Time zone +UTC$/m);
  });
});
