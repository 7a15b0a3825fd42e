// Every invalid input, however it arrives (flag, environment preset, answers file, the installation's
// own files, the wizard), ends with exit 2, a message naming the field, and no file changed: the whole
// tree (an existing installation next to the inputs) is hashed before and after each run.
// Spawned runs use the built CLI with a fake host (test/helpers/cli-entry.ts) and no engine on PATH.

import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import { createHash } from 'node:crypto';
import { promises as fsp } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Output } from '../src/output.js';
import type { Prompter } from '../src/collect.js';
import { runInit } from '../src/init.js';
import { UsageError } from '../src/errors.js';
import { FixtureHost } from './helpers/fixture-host.js';
import { Sink } from './helpers/sink.js';
import { describeRun, runCli } from './helpers/spawn.js';

let BASE = '';
let EMPTY_BIN = '';
let INST = '';

/** every entry below `root`: type, mode, owner, size, content hash (files) or target (links) */
async function treeHash(root: string): Promise<string> {
  const h = createHash('sha256');
  async function walk(d: string): Promise<void> {
    const names = (await fsp.readdir(d)).sort();
    for (const n of names) {
      const p = path.join(d, n);
      const st = await fsp.lstat(p);
      h.update(`${path.relative(root, p)}\0${st.mode}\0${st.uid}:${st.gid}\0${st.size}\0`);
      if (st.isSymbolicLink()) h.update(await fsp.readlink(p));
      else if (st.isFile()) h.update(await fsp.readFile(p));
      else if (st.isDirectory()) await walk(p);
      h.update('\n');
    }
  }
  await walk(root);
  return h.digest('hex');
}

const file = (name: string) => path.join(BASE, 'inputs', name);
// (the runs start in BASE/inputs: the tables name their files relative to it, before BASE exists)

// an alias bomb: each level repeats the one before nine times (9^7 values from 100 bytes of anchors)
const BOMB_LEVELS = ['a: &a ["x","x","x","x","x","x","x","x","x"]', ...'bcdefg'.split('').map((l, i) => {
  const prev = 'abcdefg'[i]!;
  return `${l}: &${l} [${Array(9).fill(`*${prev}`).join(',')}]`;
})];

const ANSWERS: Record<string, string> = {
  'bomb.yml': `${BOMB_LEVELS.join('\n')}\nsiteUrl: *g\n`,
  'not-yaml.yml': 'uid: [1, 2\n',
  'list.yml': '- uid: 2000\n',
  'unknown-key.yml': 'uid: 2000\nphotoPrismUid: 2000\n',
  'uid-root.yml': 'uid: 0\n',
  'site-url-tab.yml': 'siteUrl: "https://photos.exa\\tmple.com/"\n',
  'site-url-newline.yml': 'siteUrl: "https://photos.example.com/\\npp/"\n',
  'site-url-escape.yml': 'siteUrl: "https://photos.example.com/\\e[31m"\n',
  'port.yml': 'httpPort: 99999\n',
  'originals-proc.yml': 'originalsPath: /proc/self\n',
  'originals-dotdot.yml': 'originalsPath: ../../../../../../etc\n',
  'short-password.yml': 'adminPassword: short\n',
  'password-newline.yml': 'adminPassword: "abcdefgh\\nijklmnop"\n',
  'allow-unsafe.yml': 'allowUnsafe: [nope]\n',
  'transcoding.yml': 'transcoding: 42\n',
  'init-actions.yml': 'initActions: [update, rm-rf]\n',
};

interface Case {
  name: string;
  args: string[];
  env?: Record<string, string>;
  /** the field (flag, key, variable or file) the message must name */
  field: RegExp;
}

const FLAG_CASES = (): Case[] => [
  { name: 'uid 0 without the root override', args: ['--uid', '0'], field: /\buid\b.*--allow-unsafe root/s },
  { name: 'uid not a number', args: ['--uid', 'abc'], field: /\buid\b/ },
  { name: 'unsupported gid', args: ['--gid', '70000'], field: /\bgid 70000\b/ },
  { name: 'port 0', args: ['--http-port', '0'], field: /\bhttpPort\b/ },
  { name: 'ftp site URL', args: ['--site-url', 'ftp://photos.example.com/'], field: /\bsiteUrl\b/ },
  { name: 'tab in the site URL', args: ['--site-url', 'https://photos.exa\tmple.com/'], field: /\bsiteUrl\b.*U\+0009/s },
  { name: 'escape in the site URL', args: ['--site-url', 'https://photos.example.com/\x1b[2J'], field: /\bsiteUrl\b.*U\+001B/s },
  { name: 'DEL in the site URL', args: ['--site-url', 'https://photos\x7f.example.com/'], field: /\bsiteUrl\b.*U\+007F/s },
  { name: 'unknown encoder', args: ['--transcoding', 'foo'], field: /\btranscoding\b/ },
  { name: 'unknown user mode', args: ['--user-mode', 'x'], field: /\buserMode\b/ },
  { name: 'originals /etc', args: ['--originals-path', '/etc'], field: /\boriginalsPath\b/ },
  { name: 'originals ~/../../etc', args: ['--originals-path', '~/../../etc'], field: /\boriginalsPath\b/ },
  { name: 'import /root/.ssh', args: ['--import-path', '/root/.ssh'], field: /\bimportPath\b/ },
  { name: 'import /var/log', args: ['--import-path', '/var/log'], field: /\bimportPath\b/ },
  { name: 'admin user with a semicolon', args: ['--admin-user', 'x;y'], field: /\badminUser\b/ },
  { name: 'unknown init action', args: ['--init-actions', 'foo'], field: /\binitActions\b/ },
  { name: 'unknown risk override', args: ['--allow-unsafe', 'foo'], field: /\ballowUnsafe\b/ },
  { name: 'unknown secret to replace', args: ['--replace-secrets', 'foo'], field: /--replace-secrets/ },
  { name: 'unknown engine', args: ['--engine', 'lxc'], field: /--engine/ },
  { name: 'apply timeout 0', args: ['--apply-timeout', '0'], field: /--apply-timeout/ },
  { name: 'unknown option', args: ['--bogus'], field: /--bogus/ },
  { name: 'stray argument', args: ['photos'], field: /unexpected argument "photos"/ },
];

const DIR_CASES = (): Case[] => [
  { name: '--dir empty', args: ['--dir', ''], field: /--dir must not be empty/ },
  { name: '--dir naming a file', args: ['--dir', 'a-file'], field: /--dir .*a-file.* is a file/s },
  { name: '--dir below a file', args: ['--dir', 'a-file/inst'], field: /--dir/ },
  { name: 'an existing compose file that is an alias bomb', args: ['--dir', '../bomb-install'], field: /docker-compose\.yml: its aliases .*alias bomb/s },
];

const ENV_CASES = (): Case[] => [
  { name: 'admin password too short', args: [], env: { PHOTOPRISM_HARDEN_ADMIN_PASSWORD: 'short' }, field: /PHOTOPRISM_HARDEN_ADMIN_PASSWORD: adminPassword/ },
  { name: 'admin password with a newline', args: [], env: { PHOTOPRISM_HARDEN_ADMIN_PASSWORD: 'abcdefgh\nijklmnop' }, field: /PHOTOPRISM_HARDEN_ADMIN_PASSWORD: adminPassword/ },
  { name: 'database password with ${', args: [], env: { PHOTOPRISM_HARDEN_DATABASE_PASSWORD: 'abc${x}defgh' }, field: /PHOTOPRISM_HARDEN_DATABASE_PASSWORD: databasePassword/ },
  { name: 'database password with ldap://', args: [], env: { PHOTOPRISM_HARDEN_DATABASE_PASSWORD: 'ldap://abcdefgh' }, field: /PHOTOPRISM_HARDEN_DATABASE_PASSWORD: databasePassword/ },
  { name: 'root password over 72 bytes', args: [], env: { PHOTOPRISM_HARDEN_DATABASE_ROOT_PASSWORD: 'ä'.repeat(40) }, field: /PHOTOPRISM_HARDEN_DATABASE_ROOT_PASSWORD: databaseRootPassword/ },
  { name: 'root password with surrounding spaces', args: [], env: { PHOTOPRISM_HARDEN_DATABASE_ROOT_PASSWORD: ' abcdefghij ' }, field: /PHOTOPRISM_HARDEN_DATABASE_ROOT_PASSWORD: databaseRootPassword/ },
];

const ANSWERS_CASES = (): Case[] => {
  const fields: Record<string, RegExp> = {
    'bomb.yml': /bomb\.yml: its aliases .*alias bomb/s,
    'not-yaml.yml': /not-yaml\.yml: not valid YAML/,
    'list.yml': /list\.yml: must be a YAML mapping/,
    'unknown-key.yml': /unknown key "photoPrismUid"/,
    'uid-root.yml': /\buid\b.*allowUnsafe: \[root\]/s,
    'site-url-tab.yml': /\bsiteUrl\b.*U\+0009/s,
    'site-url-newline.yml': /\bsiteUrl\b.*U\+000A/s,
    'site-url-escape.yml': /\bsiteUrl\b.*U\+001B/s,
    'port.yml': /\bhttpPort\b/,
    'originals-proc.yml': /\boriginalsPath\b/,
    'originals-dotdot.yml': /\boriginalsPath\b/,
    'short-password.yml': /\badminPassword\b/,
    'password-newline.yml': /\badminPassword\b/,
    'allow-unsafe.yml': /\ballowUnsafe\b/,
    'transcoding.yml': /\btranscoding\b/,
    'init-actions.yml': /\binitActions\b/,
  };
  expect(Object.keys(fields).sort()).toEqual(Object.keys(ANSWERS).sort());
  return Object.entries(fields).map(([name, field]) => ({ name: `answers file ${name}`, args: ['--answers', name], field }));
};

beforeAll(async () => {
  BASE = await fsp.mkdtemp(path.join(os.tmpdir(), 'pph-inputs-'));
  EMPTY_BIN = path.join(BASE, 'empty-bin');
  await fsp.mkdir(EMPTY_BIN);
  await fsp.mkdir(path.join(BASE, 'inputs'));
  for (const [name, text] of Object.entries(ANSWERS)) await fsp.writeFile(file(name), text);
  await fsp.writeFile(file('a-file'), 'not a folder\n');
  await fsp.mkdir(path.join(BASE, 'bomb-install'));
  await fsp.writeFile(
    path.join(BASE, 'bomb-install', 'docker-compose.yml'),
    `${BOMB_LEVELS.map((l) => `x-${l}`).join('\n')}\nservices:\n  photoprism:\n    image: photoprism/photoprism:latest\n    labels: *g\n`,
  );
  // an existing installation: every invalid run against it must leave it as it is
  INST = path.join(BASE, 'inst');
  const r = await runCli(['init', '--yes', '--dir', INST], { env: { PATH: EMPTY_BIN, HOME: BASE } });
  expect(r.code).toBe(0);
});
afterAll(() => fsp.rm(BASE, { recursive: true, force: true }));

async function refused(c: Case, dirArgs: string[]): Promise<void> {
  const before = await treeHash(BASE);
  const args = ['init', ...(c.args.includes('--answers') ? [] : ['--yes']), ...dirArgs, ...c.args];
  const r = await runCli(args, { env: { PATH: EMPTY_BIN, HOME: BASE, ...c.env }, cwd: path.join(BASE, 'inputs') });
  const why = describeRun(r);
  expect({ code: r.code, why }).toEqual({ code: 2, why });
  expect(r.stderr).toContain('invalid input, nothing was written');
  expect(r.stderr).toMatch(c.field);
  expect(r.stderr).not.toMatch(/\n\s+at |Error:|ReferenceError|TypeError/); // one message, no stack or raw error
  expect(await treeHash(BASE)).toBe(before);
}

describe('invalid input through every channel: exit 2, the field named, nothing changed', () => {
  // (each table runs against the existing installation, and the ones that could create it against a new folder)
  test.each(FLAG_CASES().map((c) => [c.name, c] as const))('flag: %s', async (_n, c) => {
    await refused(c, ['--dir', INST]);
  });
  const NEW_FOLDER = /uid 0|tab in|originals ~|import \/root|unknown engine/;
  test.each(FLAG_CASES().filter((c) => NEW_FOLDER.test(c.name)).map((c) => [c.name, c] as const))('flag on a new folder: %s', async (_n, c) => {
    await refused(c, ['--dir', path.join(BASE, 'new-install')]);
  });
  test.each(DIR_CASES().map((c) => [c.name, c] as const))('folder: %s', async (_n, c) => {
    await refused(c, []);
  });
  test.each(ENV_CASES().map((c) => [c.name, c] as const))('environment preset: %s', async (_n, c) => {
    await refused(c, ['--dir', path.join(BASE, 'new-install')]);
  });
  test('answers files (each run on the existing installation, some on a new folder too)', async () => {
    for (const c of ANSWERS_CASES()) {
      await refused(c, ['--dir', INST]);
      if (/bomb|uid-root|tab|dotdot/.test(c.name)) await refused(c, ['--dir', path.join(BASE, 'new-install')]);
    }
  }, 180000);
});

// ---------------------------------------------------------------------------------------------
// the wizard (in-process, a scripted prompter)

const FACTS = {
  accounts: [
    { name: 'root', uid: 0, gid: 0, home: '/root', shell: '/bin/bash' },
    { name: 'alice', uid: 1000, gid: 1000, home: '/home/alice', shell: '/bin/bash' },
  ],
  groups: [
    { name: 'root', gid: 0, members: [] },
    { name: 'alice', gid: 1000, members: [] },
  ],
  euid: 0,
  egid: 0,
  freeBytes: 50 * 1024 ** 3,
};

/** A wizard user who types `typed[message]` (else accepts the default) and answers risk questions with `acceptRisk`. */
function scripted(typed: Record<string, string[]>, acceptRisk: boolean, seen: string[]): Prompter {
  const next = (message: string) => typed[Object.keys(typed).find((k) => message.startsWith(k)) ?? '']?.shift();
  return {
    input: async (o) => {
      for (;;) {
        const v = next(o.message) ?? o.default ?? '';
        const ok = o.validate(v);
        if (ok === true) return v;
        seen.push(ok);
        if (!typed[Object.keys(typed).find((k) => o.message.startsWith(k)) ?? '']?.length) throw new Error(`the wizard refused "${v}" for "${o.message}": ${ok}`);
      }
    },
    confirm: async (o) => {
      seen.push(o.message);
      return o.message.startsWith('Accept this risk') ? acceptRisk : o.message.startsWith('Start') ? false : o.default;
    },
    select: async (o) => o.default,
    checkbox: async (o) => o.choices.filter((c) => c.checked).map((c) => c.value),
    password: async () => {
      throw new Error('no password is asked in these tests');
    },
    note: (lines) => void seen.push(lines.join('\n')),
  };
}

async function initIn(dir: string, o: { prompter?: Prompter; flags?: Record<string, unknown> } = {}): Promise<{ code: number; text: string }> {
  const out = new Sink();
  try {
    const code = await runInit({
      dir,
      yes: !o.prompter,
      dryRun: false,
      flags: o.flags ?? {},
      version: 'test',
      env: { HOME: BASE, PHOTOPRISM_HARDEN_ADMIN_PASSWORD: 'wizard-admin-pw', PHOTOPRISM_HARDEN_DATABASE_PASSWORD: 'wizard-db-pw-1', PHOTOPRISM_HARDEN_DATABASE_ROOT_PASSWORD: 'wizard-root-pw-1' },
      out: new Output(out, out),
      probe: new FixtureHost(FACTS),
      validate: false,
      ...(o.prompter ? { prompter: o.prompter } : {}),
    });
    return { code, text: out.text };
  } catch (e) {
    if (e instanceof UsageError) return { code: 2, text: `${out.text}\n${e.problems.join('\n')}` };
    throw e;
  }
}

describe('the wizard', () => {
  test('refuses a control character in the site URL (and names the question), then takes the corrected one', async () => {
    const dir = path.join(BASE, 'wizard-url');
    const seen: string[] = [];
    const r = await initIn(dir, { prompter: scripted({ 'Public URL of PhotoPrism': ['https://photos.exa\tmple.com/', 'https://photos.example.com/'] }, false, seen) });
    expect(r.code).toBe(0);
    expect(seen.join('\n')).toMatch(/U\+0009/);
    expect(await fsp.readFile(path.join(dir, 'docker-compose.yml'), 'utf8')).toContain('https://photos.example.com/');
  });

  test('a risk accepted in the wizard is remembered: the next --yes run keeps the UID without --allow-unsafe', async () => {
    const dir = path.join(BASE, 'wizard-risk');
    const seen: string[] = [];
    const first = await initIn(dir, { prompter: scripted({ 'User id (UID)': ['1000'], 'Group id (GID)': ['1000'] }, true, seen) });
    expect({ code: first.code, text: first.text }).toEqual({ code: 0, text: first.text });
    expect(seen.join('\n')).toContain('host-account');
    const state = JSON.parse(await fsp.readFile(path.join(dir, '.photoprism-harden', 'state.json'), 'utf8')) as { allowUnsafe: string[] };
    expect(state.allowUnsafe).toEqual(['host-account']);
    const before = await treeHash(dir);
    const again = await initIn(dir);
    expect({ code: again.code, text: again.text }).toEqual({ code: 0, text: again.text });
    expect(again.text).toContain('accepted risk "host-account"');
    expect(await treeHash(dir)).toBe(before); // nothing to change
    expect(await fsp.readFile(path.join(dir, 'docker-compose.yml'), 'utf8')).toMatch(/PHOTOPRISM_UID: "?1000"?/);
  });

  test('a risk refused in the wizard is asked again and not remembered', async () => {
    const dir = path.join(BASE, 'wizard-no-risk');
    const seen: string[] = [];
    // 1000 (alice's UID), the risk refused; then the suggested default
    const r = await initIn(dir, { prompter: scripted({ 'User id (UID)': ['1000'] }, false, seen) });
    expect(r.code).toBe(0);
    expect(seen.join('\n')).toContain('Accept this risk ("host-account")');
    expect(await fsp.readFile(path.join(dir, 'docker-compose.yml'), 'utf8')).toMatch(/PHOTOPRISM_UID: "?2000"?/);
    // (state.json exists: it remembers the originals folder the run created; no accepted risk is in it)
    expect(JSON.parse(await fsp.readFile(path.join(dir, '.photoprism-harden', 'state.json'), 'utf8')).allowUnsafe).toEqual([]);
    // and the next --yes keeps 2000: a UID of a person still needs the override
    expect((await initIn(dir, { flags: { uid: '1000' } })).text).toContain('--allow-unsafe host-account');
  });
});
