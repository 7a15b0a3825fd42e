import { describe, expect, test } from '@jest/globals';
import fc from 'fast-check';
import { INIT_ACTION_NAMES, TRANSCODINGS, type Transcoding } from '../src/domain.js';
import {
  checkPassword,
  deviceAccess,
  deviceGidAdvice,
  gidProblems,
  initActionProblems,
  initActionWarnings,
  parseAdminUser,
  parseGid,
  parseHostPath,
  parseInitActions,
  parseInteger,
  parsePort,
  parseSiteUrl,
  parseUid,
  regularAccount,
  transcodingDeviceProblems,
  transcodingProblems,
  uidProblems,
  type Result,
} from '../src/validate.js';
import { devNode, fakeFacts, renderNode, video11Node } from './fixtures/unit-fakes.js';

function okValue<T>(r: Result<T>): T {
  if (!r.ok) throw new Error(`expected ok, got: ${r.message}`);
  return r.value;
}
function failMessage<T>(r: Result<T>): string {
  if (r.ok) throw new Error(`expected a failure, got ${JSON.stringify(r.value)}`);
  return r.message;
}

// ---------------------------------------------------------------------------------------------

/**
 * The documented password rule, written out independently of checkPassword: 8-72 characters, at most
 * 72 bytes, one trimmed printable line, no "${" and no "ldap://".
 */
function documentedPassword(s: string): boolean {
  const n = [...s].length;
  return (
    n >= 8 &&
    n <= 72 &&
    Buffer.byteLength(s) <= 72 &&
    s === s.trim() &&
    !s.includes('${') &&
    !s.toLowerCase().includes('ldap://') &&
    // eslint-disable-next-line no-control-regex
    !/[\u0000-\u001f\u007f-\u009f\u2028\u2029]/.test(s)
  );
}

describe('parseUid / parseGid: supported ranges', () => {
  const UID_INSIDE = [0, 33, 50, 51, 98, 99, 500, 501, 599, 600, 900, 901, 1000, 1249, 1250, 2000, 2001, 2099, 2100];
  const UID_OUTSIDE = [1, 32, 34, 49, 100, 499, 601, 899, 1251, 1999, 2101, 65534, 2147483647];
  const GID_EXTRA_INSIDE = [44, 105, 109, 115, 116];
  const GID_OUTSIDE = [1, 32, 34, 43, 45, 49, 100, 104, 106, 108, 110, 114, 117, 499, 601, 899, 1251, 1999, 2101, 65534];

  test.each(UID_INSIDE)('uid %d is accepted (number and string)', (id) => {
    expect(parseUid(id)).toEqual({ ok: true, value: id });
    expect(parseUid(String(id))).toEqual({ ok: true, value: id });
  });

  test.each(UID_OUTSIDE)('uid %d is refused with the allowed list', (id) => {
    const m = failMessage(parseUid(id));
    expect(m).toContain(`uid ${id} is not supported`);
    expect(m).toContain('0, 33, 50-99, 500-600, 900-1250, 2000-2100');
  });

  test.each(GID_EXTRA_INSIDE)('uid %d (a group-only id) is refused as a UID', (id) => {
    expect(parseUid(id).ok).toBe(false);
  });

  test.each([...UID_INSIDE, ...GID_EXTRA_INSIDE])('gid %d is accepted', (id) => {
    expect(parseGid(id)).toEqual({ ok: true, value: id });
    expect(parseGid(String(id))).toEqual({ ok: true, value: id });
  });

  test.each(GID_OUTSIDE)('gid %d is refused with the allowed list', (id) => {
    const m = failMessage(parseGid(id));
    expect(m).toContain(`gid ${id} is not supported`);
    expect(m).toContain('0, 33, 44, 50-99, 105, 109, 115-116, 500-600, 900-1250, 2000-2100');
  });

  test.each([
    ['negative', -1],
    ['negative string', '-1'],
    ['fraction', 2000.5],
    ['fraction string', '2000.5'],
    ['NaN', Number.NaN],
    ['Infinity', Number.POSITIVE_INFINITY],
    ['word', 'abc'],
    ['hex', '0x7d0'],
    ['exponent', '2e3'],
    ['empty string', ''],
    ['blank string', '   '],
    ['boolean', true],
    ['null', null],
    ['undefined', undefined],
    ['array', [2000]],
    ['object', { uid: 2000 }],
    ['too big', 2147483648],
    ['too big string', '99999999999999999999'],
  ])('%s is refused as uid and gid', (_label, raw) => {
    expect(failMessage(parseUid(raw))).toMatch(/^uid must be a whole number/);
    expect(failMessage(parseGid(raw))).toMatch(/^gid must be a whole number/);
  });

  test('surrounding whitespace in a string is tolerated', () => {
    expect(parseUid(' 2000 ')).toEqual({ ok: true, value: 2000 });
  });

  test('property: parseUid accepts exactly the documented ids', () => {
    const documented = (n: number) => n === 0 || n === 33 || (n >= 50 && n <= 99) || (n >= 500 && n <= 600) || (n >= 900 && n <= 1250) || (n >= 2000 && n <= 2100);
    fc.assert(
      fc.property(fc.integer({ min: -5, max: 2200 }), (n) => {
        expect(parseUid(n).ok).toBe(documented(n));
        expect(parseGid(n).ok).toBe(documented(n) || [44, 105, 109, 115, 116].includes(n));
      }),
      { numRuns: 500 },
    );
  });
});

describe('parseInteger / parsePort', () => {
  test('port bounds', () => {
    expect(parsePort(1)).toEqual({ ok: true, value: 1 });
    expect(parsePort('65535')).toEqual({ ok: true, value: 65535 });
    expect(parsePort(0).ok).toBe(false);
    expect(parsePort(65536).ok).toBe(false);
    expect(parsePort('80a').ok).toBe(false);
  });
  test('the message names the field and the raw value', () => {
    expect(failMessage(parseInteger('x', 'thing', 1, 5))).toBe('thing must be a whole number from 1 to 5, got "x"');
  });
});

// ---------------------------------------------------------------------------------------------
describe('uidProblems / gidProblems', () => {
  const facts = fakeFacts();

  test('root needs the "root" override', () => {
    const p = uidProblems(0, facts);
    expect(p).toHaveLength(1);
    expect(p[0]!.override).toBe('root');
    expect(p[0]!.message).toContain('uid 0 is root');
  });

  test('a regular host account (UID_MIN..UID_MAX) needs "host-account" and is named', () => {
    const p = uidProblems(1000, facts);
    expect(p).toHaveLength(1);
    expect(p[0]!.override).toBe('host-account');
    expect(p[0]!.message).toContain('"alice"');
  });

  test('a regular account is judged by the host UID_MIN/UID_MAX, not by a fixed 1000', () => {
    const f = fakeFacts({
      uidMin: 500,
      uidMax: 60000,
      accounts: [{ name: 'bob', uid: 550, gid: 550, home: '/home/bob', shell: '/bin/sh' }],
    });
    expect(uidProblems(550, f).map((x) => x.override)).toEqual(['host-account']);
    // same account, but below UID_MIN: a system account
    expect(uidProblems(550, fakeFacts({ accounts: f.accounts })).length).toBe(0);
    // at the upper edge and just above it
    const g = fakeFacts({ uidMin: 1000, uidMax: 1100, accounts: [
      { name: 'edge', uid: 1100, gid: 1100, home: '/', shell: '/bin/sh' },
      { name: 'above', uid: 1101, gid: 1101, home: '/', shell: '/bin/sh' },
    ] });
    expect(uidProblems(1100, g).map((x) => x.override)).toEqual(['host-account']);
    expect(uidProblems(1101, g)).toEqual([]);
  });

  test('system accounts (uid < UID_MIN) are fine', () => {
    expect(uidProblems(33, facts)).toEqual([]); // www-data
    expect(uidProblems(998, facts)).toEqual([]); // systemd-network
  });

  test('nobody (65534) is never a regular account, even inside UID_MIN..UID_MAX', () => {
    const f = fakeFacts({ uidMax: 65535 });
    expect(regularAccount(f, 65534)).toBeUndefined();
    expect(uidProblems(65534, f)).toEqual([]);
  });

  test('an unused supported uid has no problems', () => {
    expect(uidProblems(2000, facts)).toEqual([]);
    expect(uidProblems(1001, facts)).toEqual([]); // in range, but no account uses it
  });

  test('gid 0 needs the "root" override; others are fine', () => {
    expect(gidProblems(0).map((p) => p.override)).toEqual(['root']);
    expect(gidProblems(2000)).toEqual([]);
    expect(gidProblems(44)).toEqual([]);
  });
});

// ---------------------------------------------------------------------------------------------
describe('deviceAccess', () => {
  test.each([44, 109, 115, 105, 116])('node in image member group %d (mode 0660) opens for any gid', (g) => {
    for (const gid of [2000, 33, 993, 1000]) {
      const a = deviceAccess(renderNode(g), 2000, gid);
      expect(a.canOpen).toBe(true);
      expect(a.via).toContain('already members');
    }
  });

  test('supported node gid 993 opens only when the chosen gid is 993', () => {
    expect(deviceAccess(renderNode(993), 2000, 993)).toEqual({ canOpen: true, via: expect.stringContaining('the chosen GID') });
    expect(deviceAccess(renderNode(993), 2000, 2000).canOpen).toBe(false);
    expect(deviceAccess(renderNode(993), 2000, 44).canOpen).toBe(false);
  });

  test('mode 0666 opens for everyone', () => {
    expect(deviceAccess(renderNode(110, 0o666), 2000, 2000).canOpen).toBe(true);
    expect(deviceAccess(renderNode(110, 0o666), 2000, 2000).via).toContain('everyone');
  });

  test('a group without rw bits (0640) does not open even when the gid matches', () => {
    expect(deviceAccess(renderNode(993, 0o640), 2000, 993).canOpen).toBe(false);
    expect(deviceAccess(renderNode(44, 0o600), 2000, 2000).canOpen).toBe(false);
  });

  test('owner access: the node owner with 0600 opens', () => {
    expect(deviceAccess(devNode('/dev/dri/renderD128', 110, 0o600, 2000), 2000, 2000).canOpen).toBe(true);
    expect(deviceAccess(devNode('/dev/dri/renderD128', 110, 0o600, 2001), 2000, 2000).canOpen).toBe(false);
  });

  test('file type bits above 0o777 are ignored; the refusal explains owner and mode', () => {
    const a = deviceAccess(devNode('/dev/dri/renderD128', 110, 0o20660), 2000, 2000);
    expect(a.canOpen).toBe(false);
    expect(a.via).toContain('0:110');
    expect(a.via).toContain('0660');
  });
});

describe('transcodingProblems', () => {
  test('software never needs a device', () => {
    expect(transcodingProblems('software', 2000, 2000, fakeFacts())).toEqual([]);
  });

  // a missing device is the transcoding question's refusal (transcodingDeviceProblems), not the GID's
  test.each(['intel', 'vaapi', 'raspberry'] as const)('%s without its device: no GID problem (there is nothing to open)', (t) => {
    expect(transcodingProblems(t, 2000, 2000, fakeFacts())).toEqual([]);
  });

  test('nvidia checks no device node (the toolkit provides it)', () => {
    expect(transcodingProblems('nvidia', 2000, 2000, fakeFacts())).toEqual([]);
  });

  test.each([44, 109, 115])('render node in group %d works for any gid', (g) => {
    const f = fakeFacts({ renderNodes: [renderNode(g)] });
    for (const gid of [2000, 1000, 993, 33]) {
      expect(transcodingProblems('intel', 2000, gid, f)).toEqual([]);
      expect(transcodingProblems('vaapi', 2000, gid, f)).toEqual([]);
    }
  });

  test('render node in supported group 993: fine with gid 993, refused (device-group) otherwise and 993 is suggested', () => {
    const f = fakeFacts({ renderNodes: [renderNode(993)] });
    expect(transcodingProblems('vaapi', 2000, 993, f)).toEqual([]);
    const p = transcodingProblems('vaapi', 2000, 2000, f);
    expect(p).toHaveLength(1);
    expect(p[0]!.override).toBe('device-group');
    expect(p[0]!.message).toContain('/dev/dri/renderD128');
    expect(p[0]!.message).toContain('use gid 993');
  });

  test('render node in unsupported group 110: device-group problem whose advice is a udev rule', () => {
    const f = fakeFacts({ renderNodes: [renderNode(110)] });
    for (const gid of [2000, 44, 115]) {
      const p = transcodingProblems('intel', 2000, gid, f);
      expect(p).toHaveLength(1);
      expect(p[0]!.override).toBe('device-group');
      expect(p[0]!.message).toMatch(/udev rule/);
      expect(p[0]!.message).toContain('GROUP="video"');
    }
    // the root group is supported by the image but never suggested
    expect(deviceGidAdvice(renderNode(0))).toMatch(/udev rule/);
  });

  test('mode 0666 render node in an unsupported group is fine', () => {
    expect(transcodingProblems('intel', 2000, 2000, fakeFacts({ renderNodes: [renderNode(110, 0o666)] }))).toEqual([]);
  });

  test('every render node is checked: one problem per unopenable node', () => {
    const f = fakeFacts({ renderNodes: [renderNode(44), devNode('/dev/dri/renderD129', 110), devNode('/dev/dri/renderD130', 111)] });
    const p = transcodingProblems('vaapi', 2000, 2000, f);
    expect(p.map((x) => x.message.split(' ')[4])).toEqual(['/dev/dri/renderD129', '/dev/dri/renderD130']);
  });

  test('raspberry checks /dev/video11 (not the render nodes)', () => {
    expect(transcodingProblems('raspberry', 2000, 2000, fakeFacts({ video11: video11Node(44), renderNodes: [renderNode(110)] }))).toEqual([]);
    const p = transcodingProblems('raspberry', 2000, 2000, fakeFacts({ video11: video11Node(110) }));
    expect(p.map((x) => x.override)).toEqual(['device-group']);
    expect(p[0]!.message).toContain('/dev/video11');
  });
});

// ---------------------------------------------------------------------------------------------
describe('transcodingDeviceProblems', () => {
  test.each(['intel', 'vaapi'] as const)('%s without render nodes: error without override', (t) => {
    const p = transcodingDeviceProblems(t, fakeFacts());
    expect(p).toHaveLength(1);
    expect(p[0]!.override).toBeUndefined();
    expect(p[0]!.message).toContain('/dev/dri');
    expect(p[0]!.message).toContain(`transcoding "${t}"`);
  });

  test('raspberry without /dev/video11: error without override', () => {
    const p = transcodingDeviceProblems('raspberry', fakeFacts());
    expect(p).toHaveLength(1);
    expect(p[0]!.override).toBeUndefined();
    expect(p[0]!.message).toContain('/dev/video11');
  });

  test('software and nvidia never need a device node', () => {
    expect(transcodingDeviceProblems('software', fakeFacts())).toEqual([]);
    expect(transcodingDeviceProblems('nvidia', fakeFacts())).toEqual([]);
  });

  test('a device that exists is enough, whatever its group (the GID question checks access)', () => {
    const f = fakeFacts({ renderNodes: [renderNode(110)], video11: video11Node(110) });
    for (const t of ['intel', 'vaapi', 'raspberry'] as const) expect(transcodingDeviceProblems(t, f)).toEqual([]);
    // render nodes do not satisfy raspberry, and /dev/video11 does not satisfy intel/vaapi
    expect(transcodingDeviceProblems('raspberry', fakeFacts({ renderNodes: [renderNode(44)] }))).toHaveLength(1);
    expect(transcodingDeviceProblems('vaapi', fakeFacts({ video11: video11Node(44) }))).toHaveLength(1);
  });
});

// ---------------------------------------------------------------------------------------------
describe('parseInitActions', () => {
  test('every known action is accepted', () => {
    expect(okValue(parseInitActions([...INIT_ACTION_NAMES]))).toEqual([...INIT_ACTION_NAMES]);
  });

  test('an unknown action is refused, naming it and the allowed list', () => {
    const m = failMessage(parseInitActions(['update', 'tensorflow-gpu']));
    expect(m).toContain('"tensorflow-gpu"');
    expect(m).toContain(`allowed: ${INIT_ACTION_NAMES.join(', ')}`);
    expect(parseInitActions('update yt-dlp').ok).toBe(false);
    expect(parseInitActions(['Update']).ok).toBe(false);
    expect(parseInitActions([1]).ok).toBe(false);
  });

  test('comma, space and mixed string forms', () => {
    expect(okValue(parseInitActions('update,https'))).toEqual(['update', 'https']);
    expect(okValue(parseInitActions('update https'))).toEqual(['update', 'https']);
    expect(okValue(parseInitActions(' update , https\ttensorflow '))).toEqual(['update', 'https', 'tensorflow']);
    expect(okValue(parseInitActions(''))).toEqual([]);
    expect(okValue(parseInitActions([]))).toEqual([]);
  });

  test('duplicates are removed and the canonical order is kept', () => {
    expect(okValue(parseInitActions('clean,update,clean,https,update'))).toEqual(['update', 'https', 'clean']);
    expect(okValue(parseInitActions(['mariadb', 'gpu', 'update']))).toEqual(['update', 'gpu', 'mariadb']);
  });

  test('non-list values are refused', () => {
    expect(parseInitActions(5).ok).toBe(false);
    expect(parseInitActions(null).ok).toBe(false);
    expect(parseInitActions({ update: true }).ok).toBe(false);
  });

  test('property: any permutation with duplicates gives the same canonical list', () => {
    fc.assert(
      fc.property(fc.array(fc.constantFrom(...INIT_ACTION_NAMES), { maxLength: 20 }), (list) => {
        const r = okValue(parseInitActions(list));
        expect(r).toEqual(INIT_ACTION_NAMES.filter((n) => list.includes(n)));
        expect(okValue(parseInitActions(list.join(',')))).toEqual(r);
        expect(okValue(parseInitActions([...list].reverse()))).toEqual(r);
      }),
    );
  });
});

describe('initActionProblems / initActionWarnings', () => {
  test.each(['intel', 'vaapi', 'nvidia', 'raspberry'] as const)('ffmpeg with %s is refused', (t) => {
    const p = initActionProblems(['update', 'ffmpeg'], t);
    expect(p).toHaveLength(1);
    expect(p[0]!.message).toContain('"ffmpeg"');
    expect(p[0]!.override).toBeUndefined();
  });

  test('ffmpeg with software is fine', () => {
    expect(initActionProblems(['update', 'ffmpeg'], 'software')).toEqual([]);
  });

  test.each(['gpu', 'intel'])('%s with raspberry is refused', (a) => {
    const p = initActionProblems(['update', a], 'raspberry');
    expect(p).toHaveLength(1);
    expect(p[0]!.message).toContain(`"${a}"`);
  });

  test('gpu and intel with raspberry give two problems; ffmpeg too makes three', () => {
    expect(initActionProblems(['gpu', 'intel'], 'raspberry')).toHaveLength(2);
    expect(initActionProblems(['gpu', 'intel', 'ffmpeg'], 'raspberry')).toHaveLength(3);
  });

  test('gpu/intel are fine with the other encoders', () => {
    for (const t of TRANSCODINGS.filter((x): x is Exclude<Transcoding, 'raspberry'> => x !== 'raspberry')) {
      expect(initActionProblems(['update', 'gpu', 'intel'], t)).toEqual([]);
    }
  });

  test('warnings: no update, intel without the intel action, https behind a proxy', () => {
    expect(initActionWarnings(['update'], 'software', false)).toEqual([]);
    expect(initActionWarnings([], 'software', false).join()).toContain('"update"');
    expect(initActionWarnings(['update'], 'intel', false).join()).toContain('"intel" init action');
    expect(initActionWarnings(['update', 'intel'], 'intel', false)).toEqual([]);
    expect(initActionWarnings(['update', 'https'], 'software', true).join()).toContain('"https"');
    expect(initActionWarnings(['update', 'https'], 'software', false)).toEqual([]);
  });
});

// ---------------------------------------------------------------------------------------------
describe('checkPassword', () => {
  const W = 'adminPassword';

  test('length edges in characters: 7 refused, 8 ok, 72 ok, 73 refused', () => {
    expect(failMessage(checkPassword('a'.repeat(7), W))).toContain('8-72 characters long (it has 7)');
    expect(okValue(checkPassword('a'.repeat(8), W))).toBe('a'.repeat(8));
    expect(okValue(checkPassword('a'.repeat(72), W))).toBe('a'.repeat(72));
    expect(failMessage(checkPassword('a'.repeat(73), W))).toContain('(it has 73)');
    expect(checkPassword('', W).ok).toBe(false);
  });

  test('characters are code points, not UTF-16 units', () => {
    // 7 emoji = 14 UTF-16 units, but 7 characters
    expect(failMessage(checkPassword('😀'.repeat(7), W))).toContain('(it has 7)');
    // 8 emoji = 32 bytes: fine
    expect(checkPassword('😀'.repeat(8), W).ok).toBe(true);
  });

  test('more than 72 UTF-8 bytes is refused even within 72 characters', () => {
    expect(checkPassword('é'.repeat(36), W).ok).toBe(true); // 72 bytes
    expect(failMessage(checkPassword('é'.repeat(37), W))).toContain('72 bytes');
    expect(failMessage(checkPassword('😀'.repeat(19), W))).toContain('72 bytes'); // 76 bytes
    expect(checkPassword('😀'.repeat(18), W).ok).toBe(true); // 72 bytes
  });

  test.each([
    ['leading space', ' abcdefgh'],
    ['trailing space', 'abcdefgh '],
    ['leading tab', '\tabcdefgh'],
    ['trailing newline', 'abcdefgh\n'],
    ['trailing no-break space', 'abcdefgh\u00a0'],
  ])('%s is refused', (_l, pw) => {
    expect(checkPassword(pw, W).ok).toBe(false);
  });

  test('inner spaces are fine', () => {
    expect(checkPassword('correct horse battery', W).ok).toBe(true);
  });

  test('"${" is refused (anywhere), "$" and "{" alone are fine', () => {
    expect(failMessage(checkPassword('abc${HOME}xyz', W))).toContain('${');
    expect(checkPassword('${abcdefgh', W).ok).toBe(false);
    expect(checkPassword('ab$c{defgh}', W).ok).toBe(true);
    expect(checkPassword('$$$$$$$$', W).ok).toBe(true);
  });

  test('"ldap://" is refused case-insensitively', () => {
    expect(checkPassword('xxldap://yy', W).ok).toBe(false);
    expect(checkPassword('xxLDAP://yy', W).ok).toBe(false);
    expect(checkPassword('xxldap:/yy', W).ok).toBe(true);
  });

  test.each([
    ['newline', 'abcd\nefgh'],
    ['carriage return', 'abcd\refgh'],
    ['tab', 'abcd\tefgh'],
    ['NUL', 'abcd\u0000efgh'],
    ['escape', 'abcd\u001befgh'],
    ['DEL', 'abcd\u007fefgh'],
  ])('%s inside is refused', (_l, pw) => {
    expect(failMessage(checkPassword(pw, W))).toContain('single line');
  });

  // Regression (fixed): C1 control characters (U+0080-U+009F, e.g. NEL U+0085 "next line") and the
  // Unicode line/paragraph separators used to pass, although the rule says "no newlines ... or control
  // characters". Go's strings.TrimSpace (PhotoPrism) also trims a trailing U+0085, so the stored
  // password would differ from the one written.
  test.each([
    ['NEL', 'abcd\u0085efgh'],
    ['CSI', 'abcd\u009befgh'],
    ['line separator', 'abcd\u2028efgh'],
    ['trailing NEL', 'abcdefgh\u0085'],
  ])('%s (C1 control / line separator) is refused', (_l, pw) => {
    expect(checkPassword(pw, W).ok).toBe(false);
  });

  test('non-strings are refused with the field name', () => {
    expect(failMessage(checkPassword(12345678, 'databasePassword'))).toBe('databasePassword must be a string');
    expect(checkPassword(undefined, W).ok).toBe(false);
  });

  test('YAML/shell/SQL specials are fine', () => {
    for (const pw of ['"quoted"x', "it's me!", 'a\\b\\c\\d\\e', '#comment', 'key: value', '*alias&anchor', '!tag %d @x `y`', '{[yes]: no}']) {
      expect(okValue(checkPassword(pw, W))).toBe(pw);
    }
  });

  test('property: printable unicode of 8-72 chars and <= 72 bytes without ${ / ldap:// passes unchanged', () => {
    // graphemes from the printable ranges; no control characters, no surrounding whitespace
    const printable = fc.string({ unit: 'grapheme', minLength: 8, maxLength: 40 }).filter(documentedPassword);
    fc.assert(
      fc.property(printable, (s) => {
        expect(checkPassword(s, W)).toEqual({ ok: true, value: s });
      }),
      { numRuns: 300 },
    );
  });

  test('property: accepted exactly when 8-72 chars, <= 72 bytes, one trimmed printable line without ${ / ldap://', () => {
    // the documented rule, written out independently of checkPassword: every input is judged, the
    // rejected ones as well as the accepted ones (a checker that refused everything would fail here)
    const documented = documentedPassword;
    const seen = { accepted: 0, refused: 0 };
    const input = fc.oneof(
      fc.string({ unit: 'binary', maxLength: 80 }),
      fc.string({ unit: 'grapheme-ascii', maxLength: 80 }),
      fc.string({ unit: 'grapheme', maxLength: 40 }),
      fc.tuple(fc.string({ unit: 'grapheme-ascii', minLength: 4, maxLength: 30 }), fc.constantFrom('${', 'LDAP://', '\n', '\t', ' ', '\u2028'), fc.string({ unit: 'grapheme-ascii', minLength: 4, maxLength: 30 })).map(([a, m, b]) => a + m + b),
    );
    fc.assert(
      fc.property(input, (s) => {
        const r = checkPassword(s, W);
        expect(r.ok).toBe(documented(s));
        if (r.ok) {
          seen.accepted++;
          expect(r.value).toBe(s); // never altered
        } else {
          seen.refused++;
          expect(r.message).toContain(W); // the field is named
        }
      }),
      { numRuns: 600 },
    );
    // both outcomes were exercised
    expect(seen.accepted).toBeGreaterThan(50);
    expect(seen.refused).toBeGreaterThan(50);
  });
});

// ---------------------------------------------------------------------------------------------
describe('parseSiteUrl', () => {
  test.each([
    ['https://photos.example.com', 'https://photos.example.com/'],
    ['https://photos.example.com/', 'https://photos.example.com/'],
    ['http://localhost:2342', 'http://localhost:2342/'],
    ['https://example.com/photos', 'https://example.com/photos/'],
    ['https://example.com/photos/', 'https://example.com/photos/'],
    ['  https://example.com/  ', 'https://example.com/'],
    ['HTTPS://Example.COM', 'https://example.com/'],
    // a bare host (and path) means https
    ['photos.example.com', 'https://photos.example.com/'],
    ['photos.example.com/pp', 'https://photos.example.com/pp/'],
    ['photos.example.com:8443/pp/', 'https://photos.example.com:8443/pp/'],
  ])('%s -> %s', (raw, want) => {
    expect(okValue(parseSiteUrl(raw))).toBe(want);
  });

  test.each([
    ['ftp', 'ftp://example.com/', 'http:// or https://'],
    ['file', 'file:///etc/passwd', 'http:// or https://'],
    ['not a URL (spaces)', 'not a url', 'not a URL'],
    ['not a URL (host with a space)', 'photos example.com', 'not a URL'],
    ['not a URL (bare IPv6)', '::1', 'not a URL'],
    ['credentials', 'https://user:pw@example.com/', 'user name or password'],
    ['user only', 'https://user@example.com/', 'user name or password'],
    ['query', 'https://example.com/?a=1', 'query'],
    ['fragment', 'https://example.com/#x', 'fragment'],
    ['empty', '', 'siteUrl must be'],
    ['blank', '   ', 'siteUrl must be'],
  ])('refuses %s', (_l, raw, msg) => {
    expect(failMessage(parseSiteUrl(raw))).toContain(msg);
  });

  test('non-strings are refused', () => {
    expect(parseSiteUrl(42).ok).toBe(false);
    expect(parseSiteUrl(undefined).ok).toBe(false);
  });

  // Regression (fixed): an empty query or fragment ("?" / "#" with nothing after) used to slip through
  // the u.search / u.hash test and be normalised into "https://example.com/?/".
  test.each(['https://example.com/?', 'https://example.com/#', 'https://example.com/photos?'])('refuses %s (empty query/fragment)', (raw) => {
    expect(parseSiteUrl(raw).ok).toBe(false);
  });

  test('property: every http(s) URL without credentials, query or fragment is accepted, ends with "/" and is stable', () => {
    // no early return: a generated URL that is refused fails the property
    const url = fc.webUrl({ validSchemes: ['http', 'https'], withQueryParameters: false, withFragments: false });
    fc.assert(
      fc.property(url, (u) => {
        const value = okValue(parseSiteUrl(u));
        expect(value.endsWith('/')).toBe(true);
        expect(new URL(value).origin).toBe(new URL(u).origin);
        expect(okValue(parseSiteUrl(value))).toBe(value);
      }),
      { numRuns: 200 },
    );
  });

  test('property: a control character anywhere in a valid URL is refused, never dropped', () => {
    const url = fc.webUrl({ validSchemes: ['http', 'https'], withQueryParameters: false, withFragments: false });
    // eslint-disable-next-line no-control-regex
    const control = fc.oneof(fc.integer({ min: 0, max: 0x1f }), fc.integer({ min: 0x7f, max: 0x9f })).map((c) => String.fromCharCode(c));
    fc.assert(
      fc.property(url, control, fc.nat(), (u, c, at) => {
        const i = 1 + (at % (u.length - 1)); // inside the URL (surrounding whitespace is trimmed)
        expect(failMessage(parseSiteUrl(u.slice(0, i) + c + u.slice(i)))).toContain('siteUrl');
      }),
      { numRuns: 200 },
    );
  });
});

// ---------------------------------------------------------------------------------------------
describe('parseHostPath', () => {
  test.each([
    ['photos', './photos'],
    ['photos/', './photos'],
    ['my photos/2024', './my photos/2024'],
    ['./photos', './photos'],
    ['./photos///', './photos'],
    ['../photos', '../photos'],
    ['/srv/photos', '/srv/photos'],
    ['/srv/photos/', '/srv/photos'],
    ['~/Pictures', '~/Pictures'],
    ['  /srv/photos  ', '/srv/photos'],
    ['/mnt/$weird #dir: yes', '/mnt/$weird #dir: yes'],
    ['/etc-photos', '/etc-photos'],
    ['./storage-old', './storage-old'],
    ['/var/lib/photos', '/var/lib/photos'],
  ])('%j -> %j', (raw, want) => {
    expect(okValue(parseHostPath(raw, 'originalsPath', false))).toBe(want);
  });

  test.each(['/', '/etc', '/etc/', '/proc', '/sys', '/dev', '/boot', '/root', '/run', '/var/run', '/var/lib/docker', '/usr', '/bin', '/sbin', '/lib'])(
    'refuses the sensitive host directory %s',
    (raw) => {
      expect(failMessage(parseHostPath(raw, 'originalsPath', false))).toContain('sensitive host directory');
    },
  );

  test.each(['./storage', 'storage', './storage/', './storage/originals', 'database', './database/x', '.secrets', './.secrets/', './'])(
    'refuses %j, which overlaps the installation',
    (raw) => {
      expect(failMessage(parseHostPath(raw, 'importPath', true))).toContain('overlaps');
    },
  );

  // Regression (fixed): "." used to be prefixed to "./." and so escaped the "." check: the whole
  // install directory (with .secrets/ and database/) would have been mounted into PhotoPrism.
  test('refuses "." (the installation directory itself)', () => {
    expect(parseHostPath('.', 'originalsPath', false).ok).toBe(false);
  });

  // Regression (fixed): "//" (the root directory) used to lose all its slashes and become "" -
  // accepted even where an empty value is not allowed.
  test('refuses "//" (root written with two slashes)', () => {
    expect(parseHostPath('//', 'originalsPath', false).ok).toBe(false);
  });

  // Regression (fixed): the sensitive-directory list used to be compared with the raw string, so a
  // path that is not normalised ("/etc/.", "/./etc", "/usr/../etc", "/var//run") slipped through.
  test.each(['/etc/.', '/./etc', '/usr/../etc', '/var//run'])('refuses the non-normalised sensitive path %j', (raw) => {
    expect(parseHostPath(raw, 'originalsPath', false).ok).toBe(false);
  });

  test.each(['/photos\n/etc', 'a\tb', 'x\u0000y', 'x\u007fy'])('refuses control characters in %j', (raw) => {
    expect(failMessage(parseHostPath(raw, 'originalsPath', false))).toContain('control characters');
  });

  test('empty: allowed only when allowEmpty', () => {
    expect(okValue(parseHostPath('', 'importPath', true))).toBe('');
    expect(okValue(parseHostPath('   ', 'importPath', true))).toBe('');
    expect(failMessage(parseHostPath('', 'originalsPath', false))).toBe('originalsPath must not be empty');
  });

  test('non-strings are refused with the field name', () => {
    expect(failMessage(parseHostPath(5, 'importPath', true))).toBe('importPath must be a path string');
  });
});

describe('parseAdminUser', () => {
  test.each(['admin', 'a', 'photo.admin', 'me@example.com', 'user_1', 'x-y', '0day'])('accepts %j', (u) => {
    expect(okValue(parseAdminUser(u))).toBe(u);
  });
  test.each(['Admin', 'ADMIN', 'my admin', ' admin', 'admin ', '', '.admin', '-admin', 'ädmin', 'a/b', 'a:b'])('refuses %j', (u) => {
    expect(failMessage(parseAdminUser(u))).toContain('not a valid PhotoPrism user name');
  });
  test('refuses the reserved name "visitor"', () => {
    expect(failMessage(parseAdminUser('visitor'))).toContain('reserved');
  });
  test('length: 255 ok, 256 refused; non-strings refused', () => {
    expect(parseAdminUser('a'.repeat(255)).ok).toBe(true);
    expect(parseAdminUser('a'.repeat(256)).ok).toBe(false);
    expect(parseAdminUser(1).ok).toBe(false);
  });
});
