// The interactive wizard, end to end: the REAL built CLI (bin/ -> dist/) in a pseudo-terminal, driven
// like a person at the keyboard. Host facts come from test/fixtures/pty-*.json through
// the test-only entry test/helpers/cli-entry.ts. Needs `npm run build` first (npm test does it).
//
// Prompt texts are taken from the question table, so rewording a question does not break these tests;
// long notes are matched with words(), which ignores where the wizard wraps them.

import { existsSync, promises as fsp } from 'node:fs';
import path from 'node:path';
import { afterEach, beforeAll, describe, expect, jest, test } from '@jest/globals';
import { parse as parseYaml } from 'yaml';
import { SUPPORTED_UIDS, formatRanges } from '../src/domain.js';
import { QUESTIONS, type Key } from '../src/questions.js';
import { KEY, PtyRun, ROOT, listFiles, tempInstallDir, words } from './helpers/pty.js';

// each test spawns the CLI once and walks ~15 prompts (about 2 s); allow for a slow machine
jest.setTimeout(60_000);

const question = (k: Key) => QUESTIONS.find((q) => q.key === k)!;
const msg = (k: Key) => question(k).message;

/** Prompt texts as they appear on screen, in the order the wizard asks them. */
const P = {
  originals: `? ${msg('originalsPath')}`,
  import: `? ${msg('importPath')}`,
  proxy: `? ${msg('behindProxy')}`,
  port: `? ${msg('httpPort')}`,
  siteUrl: `? ${msg('siteUrl')}`,
  transcoding: `? ${msg('transcoding')}`,
  userMode: `? ${msg('userMode')}`,
  uid: `? ${msg('uid')}`,
  gid: `? ${msg('gid')}`,
  initActions: `? ${msg('initActions')}`,
  adminUser: `? ${msg('adminUser')}`,
  adminHow: /\? Admin password\s*\n/,
  adminPw: `? ${msg('adminPassword')}`,
  adminAgain: `? ${question('adminPassword').label} again`,
  dbHow: /\? MariaDB passwords \(user photoprism and root\)\s*\n/,
  write: /\? Write these files to [^\n]*\?/,
} satisfies Record<string, string | RegExp>;
type Step = keyof typeof P;
const ORDER = Object.keys(P) as Step[];

const RISK = /\? Accept this risk[^\n]*\? \(y\/N\)/;
const GENERATE = '❯ Generate a strong random password (recommended)';
const GENERATE_DB = '❯ Generate two strong random passwords (recommended)';

let runs: PtyRun[] = [];
let cleanups: (() => Promise<void>)[] = [];

/**
 * Start `init --dir` in a pseudo-terminal, on a fresh install dir (not created yet) inside a temporary
 * folder; the run and the folder go after the test.
 */
async function startWizard(facts: string): Promise<{ dir: string; r: PtyRun }> {
  const t = await tempInstallDir();
  cleanups.push(t.cleanup);
  const r = await PtyRun.spawn(['init', '--dir', t.dir], { facts });
  runs.push(r);
  return { dir: t.dir, r };
}

/** Press Enter at every prompt from `from` to `to` (inclusive), skipping the hidden-password prompts. */
async function enterThrough(r: PtyRun, from: Step, to: Step): Promise<void> {
  for (const k of ORDER.slice(ORDER.indexOf(from), ORDER.indexOf(to) + 1)) {
    if (k === 'adminPw' || k === 'adminAgain') continue;
    await r.answer(P[k]);
  }
}

/** Pick a transcoding by its title (the list starts at "Software (CPU)"). */
async function chooseTranscoding(r: PtyRun, downs: number, title: string): Promise<void> {
  await r.expect(P.transcoding);
  await r.expect('❯ Software (CPU)');
  if (downs === 0) {
    r.send(KEY.enter);
    return;
  }
  r.send(KEY.down.repeat(downs));
  await r.answer(`❯ ${title}`);
}

/** Enter through to the site URL, pick a transcoding (see chooseTranscoding), Enter at user mode and UID. */
async function throughUid(r: PtyRun, downs: number, title: string): Promise<void> {
  await enterThrough(r, 'originals', 'siteUrl');
  await chooseTranscoding(r, downs, title);
  await r.answer(P.userMode);
  await r.answer(P.uid);
}

/** Enter through to the admin user, then choose to enter the admin password oneself. */
async function toOwnAdminPassword(r: PtyRun): Promise<void> {
  await enterThrough(r, 'originals', 'adminUser');
  await r.expect(P.adminHow);
  await r.expect(GENERATE);
  r.send(KEY.down);
  await r.answer('❯ Enter my own');
}

interface Written {
  files: string[];
  compose: string;
  options: Record<string, unknown>;
  dbPassword: string;
  dbRootPassword: string;
}

async function readInstall(dir: string): Promise<Written> {
  const read = (p: string) => fsp.readFile(path.join(dir, p), 'utf8');
  return {
    files: await listFiles(dir),
    compose: await read('docker-compose.yml'),
    options: parseYaml(await read('storage/config/options.yml')) as Record<string, unknown>,
    dbPassword: await read('.secrets/db_pwd.txt'),
    dbRootPassword: await read('.secrets/db_root_pwd.txt'),
  };
}

/** No secret anywhere in what the terminal received (checked without printing the secret on failure). */
function expectNoSecret(r: PtyRun, secrets: string[]): void {
  for (const s of secrets) {
    expect(s.length).toBeGreaterThanOrEqual(8);
    expect({ inRaw: r.raw.includes(s), inText: r.text.includes(s) }).toEqual({ inRaw: false, inText: false });
  }
}

beforeAll(() => {
  if (!existsSync(path.join(ROOT, 'dist', 'cli.cjs'))) throw new Error('dist/ is missing: run "npm run build" first');
});

afterEach(async () => {
  for (const r of runs) r.dispose();
  runs = [];
  for (const c of cleanups) await c();
  cleanups = [];
});

describe('interactive wizard in a pseudo-terminal', () => {
  test('Enter through everything: defaults, summary before confirm, no password on screen, next steps', async () => {
    const { dir, r } = await startWizard('pty-host.json');
    await r.expect('Press Enter to accept a default. Nothing is written before you confirm.');
    await r.answer(`${P.originals} (./originals)`);
    await enterThrough(r, 'import', 'port');
    await r.answer(`${P.siteUrl} (http://localhost:2342/)`);
    await chooseTranscoding(r, 0, 'Software (CPU)');
    await r.answer(P.userMode);
    await r.answer(`${P.uid} (2000)`);
    await r.answer(`${P.gid} (2000)`);
    await r.expect(P.initActions);
    // http://localhost: PhotoPrism serves no TLS itself, so "https" is not preselected
    await r.expect(/◉ update[^\n]*\n[^\n]*◯ https[^\n]*\n[^\n]*◯ tensorflow[^\n]*\n[^\n]*◯ gpu/);
    // all eleven actions are on screen at once (the last one too)
    await r.expect(/◯ clean /);
    r.send(KEY.enter);
    await r.answer(`${P.adminUser} (admin)`);
    await r.expect(P.adminHow);
    await r.answer(GENERATE);
    await r.expect(P.dbHow);
    await r.answer(GENERATE_DB);

    // the summary and the file plan come before the question that writes
    await r.expect('Summary (no password is ever shown):');
    const summaryAt = r.text.lastIndexOf('Summary (no password is ever shown):');
    // choices are shown by their titles, with the answers-file value
    await r.expect(/Video transcoding\s+Software \(CPU\) \(software\)\n/);
    await r.expect(/How PhotoPrism drops root\s+PHOTOPRISM_UID \/ PHOTOPRISM_GID \(photoprism-uid\)\n/);
    await r.expect(/Init actions\s+update\n/);
    await r.expect(/Admin password\s+generated \(24 characters, hidden\)/);
    await r.expect(/Database password\s+generated \(40 characters, hidden\)/);
    await r.expect(/Database root password\s+generated \(40 characters, hidden\)/);
    await r.expect('Files:');
    const writeQ = (await r.expect(P.write)) as RegExpExecArray;
    expect(writeQ[0]).toBe(`? Write these files to ${dir}?`);
    expect(r.text.lastIndexOf('? Write these files to')).toBeGreaterThan(summaryAt);
    expect(existsSync(dir)).toBe(false); // nothing before the confirmation
    r.send(KEY.enter);

    await r.expect(/Done: 6 file\(s\) written/); // (with .photoprism-harden/state.json: the originals folder it created)
    // init audits what it wrote
    await r.expect(/audit: PASS - 0 errors, \d+ warnings?, \d+ info \(\d+ rules checked\)/);
    await r.expect(/^\s*docker compose up -d$/m);
    await r.expect(/^\s*docker compose up -d --force-recreate$/m);
    const repeat = (await r.expect(/node bin\/photoprism-harden\.cjs init [^\n]*/)) as RegExpExecArray;
    expect(await r.exited()).toBe(0);

    const w = await readInstall(dir);
    // (state.json remembers the originals folder the run created)
    expect(w.files).toEqual(['.gitignore', '.photoprism-harden/state.json', '.secrets/db_pwd.txt', '.secrets/db_root_pwd.txt', 'docker-compose.yml', 'storage/config/options.yml']);
    expect(w.options.AdminUser).toBe('admin');
    expect(w.options.DatabasePassword).toBe(w.dbPassword);
    expect(w.compose).toContain('PHOTOPRISM_UID: "2000"');
    expect(w.compose).toContain('PHOTOPRISM_GID: "2000"');
    expect(w.compose).toContain('PHOTOPRISM_INIT: "update"');
    const secrets = [w.options.AdminPassword as string, w.dbPassword, w.dbRootPassword];
    expectNoSecret(r, secrets);

    expect(repeat[0].trim()).toBe(`node bin/photoprism-harden.cjs init --dir ${dir} --yes --uid 2000 --gid 2000`);
    expect(repeat[0]).not.toMatch(/password/i);
  });

  test('own admin password: masked, too short is refused with the reason, mismatch asks again, stored exactly', async () => {
    const PASSWORD = 'p@ss "word" #1 ü:';
    const stars = '*'.repeat([...PASSWORD].length);
    const { dir, r } = await startWizard('pty-host.json');
    await toOwnAdminPassword(r);

    // too short: refused with the reason; inquirer keeps the text in the field
    await r.answer(P.adminPw, 'short');
    await r.expect('*****');
    r.send(KEY.enter);
    // the refusal names the question, not the answers-file key
    await r.expect('Admin password must be 8-72 characters long (it has 5)');
    r.send(KEY.ctrlU + PASSWORD);
    await r.expect(stars);
    r.send(KEY.enter);
    // a different confirmation: told so, and both entries are asked again
    await r.answer(P.adminAgain, 'p@ss "word" #2 ü:' + KEY.enter);
    await r.expect('The two entries differ; please type it again.');
    await r.answer(P.adminPw, PASSWORD + KEY.enter);
    await r.answer(P.adminAgain, PASSWORD + KEY.enter);
    await r.expect(`✔ ${P.adminAgain.slice(2)} ${stars}`);

    await r.expect(P.dbHow);
    await r.answer(GENERATE_DB);
    await r.expect(/Admin password\s+from prompt \(17 characters, hidden\)/);
    await r.answer(P.write);
    await r.expect('Done:');
    expect(await r.exited()).toBe(0);

    const w = await readInstall(dir);
    expect(w.options.AdminPassword).toBe(PASSWORD);
    // the typed password, or a recognisable piece of it, never reached the terminal
    for (const piece of [PASSWORD, 'p@ss', '"word"', '#1 ü:']) expect(r.text.includes(piece)).toBe(false);
    expect(r.raw.includes(PASSWORD)).toBe(false);
    expectNoSecret(r, [w.dbPassword, w.dbRootPassword]);
  });

  test('UID of a regular host account: warning, "no" asks the UID again; an unsupported UID shows the allowed list', async () => {
    const { dir, r } = await startWizard('pty-host.json');
    await enterThrough(r, 'originals', 'userMode');
    await r.answer(`${P.uid} (2000)`, '1000');
    await r.expect('1000');
    r.send(KEY.enter);
    await r.expect(
      words(`Warning: uid 1000 belongs to the regular host account "alice": after a container escape PhotoPrism could read and write that person's files.`),
    );
    // what accepting means, before the question
    await r.expect(words("If you accept: the container user shares its numeric id with a person on this host: after a container escape it can read and write that person's files."));
    const risk = (await r.expect(RISK)) as RegExpExecArray;
    expect(risk[0]).toContain('? Accept this risk ("host-account") and use it anyway? (y/N)');
    r.send('n' + KEY.enter);
    await r.expect(/✔ Accept this risk[^\n]*No/);

    // asked again, same default
    await r.answer(`${P.uid} (2000)`, '1500' + KEY.enter);
    // refused inside the prompt, naming the question ("UID"), not the answers-file key
    await r.expect(words(`> UID 1500 is not supported by the PhotoPrism image; allowed: ${formatRanges(SUPPORTED_UIDS)}`));
    await r.expect(words('0, 33, 50-99, 500-600, 900-1250, 2000-2100'));
    r.send(KEY.ctrlU + '2001' + KEY.enter);
    await r.expect(`✔ ${msg('uid')} 2001`);
    // the GID follows the UID when that group number is free
    await r.answer(`${P.gid} (2001)`);
    await enterThrough(r, 'initActions', 'dbHow');
    await r.expect(/UID\s+2001\n/);
    await r.expect(P.write);
    expect(r.text).not.toMatch(/Accepted risks/);
    r.send(KEY.enter);
    await r.expect(/node bin\/photoprism-harden\.cjs init [^\n]*--uid 2001 --gid 2001/);
    expect(await r.exited()).toBe(0);
  });

  test('UID of a regular host account: accepting the risk is recorded (summary, notes, repeat command)', async () => {
    const { dir, r } = await startWizard('pty-host.json');
    await enterThrough(r, 'originals', 'userMode');
    await r.answer(P.uid, '1000' + KEY.enter);
    await r.answer(RISK, 'y' + KEY.enter);
    // group 1000 is alice's: the GID default moves to a free one
    await r.answer(`${P.gid} (2000)`);
    await enterThrough(r, 'initActions', 'dbHow');
    await r.expect(/Accepted risks\s+host-account/);
    await r.expect(words('! accepted risk "host-account": the container user shares its numeric id with a person on this host'));
    await r.answer(P.write);
    // (a long command continues on the next line after " \\"; the last line is the one that does not end in " \": the output arrives in pieces, so a pattern that
    // also matched a continued line alone could end the match before the rest of the command has arrived)
    const repeat = (await r.expect(/node bin\/photoprism-harden\.cjs init (?:[^\n]* \\\r?\n)*[^\n]*[^\\\r\n]\r?\n/)) as RegExpExecArray;
    expect(repeat[0].replace(/ \\\r?\n\s*/g, ' ')).toContain('--uid 1000 --gid 2000 --allow-unsafe host-account');
    expect(await r.exited()).toBe(0);
    expect((await readInstall(dir)).compose).toContain('PHOTOPRISM_UID: "1000"');
  });

  test('VA-API with a render node of group 993: the explanation is shown and the GID default becomes 993', async () => {
    const { dir, r } = await startWizard('pty-render-993.json');
    await throughUid(r, 2, 'VA-API');
    await r.expect(
      words('/dev/dri/renderD128 belongs to group 993 (render on this host), mode 0660: the image supports GID 993, so it is suggested as PHOTOPRISM_GID.'),
    );
    await r.answer(`${P.gid} (993)`);
    await enterThrough(r, 'initActions', 'dbHow');
    await r.expect(/Video transcoding\s+VA-API \(vaapi\)\n/);
    await r.expect(/GID\s+993\n/);
    await r.answer(P.write);
    await r.expect('Done:');
    expect(await r.exited()).toBe(0);
    const w = await readInstall(dir);
    expect(w.compose).toContain('PHOTOPRISM_GID: "993"');
    expect(w.compose).toContain('"/dev/dri:/dev/dri"');
    expect(w.options.FFmpegEncoder).toBe('vaapi');
  });

  test('Intel + ffmpeg init action: refused inside the checkbox, naming the question; the user\'s ticks stay', async () => {
    const { dir, r } = await startWizard('pty-render-993.json');
    await throughUid(r, 1, 'Intel Quick Sync');
    await r.expect(words('/dev/dri/renderD128 belongs to group 993 (render on this host), mode 0660'));
    await r.answer(`${P.gid} (993)`);

    await r.expect(P.initActions);
    await r.expect(/◉ intel /); // intel transcoding pre-selects the "intel" action
    // update, https, tensorflow, gpu, intel, ffmpeg: tick tensorflow (two down), tick ffmpeg (three more)
    r.send(KEY.down.repeat(2));
    await r.expect(/❯◯ tensorflow /);
    r.send(KEY.space);
    await r.expect(/❯◉ tensorflow /);
    r.send(KEY.down.repeat(3));
    await r.expect(/❯◯ ffmpeg /);
    r.send(KEY.space);
    await r.expect(/❯◉ ffmpeg /);
    r.send(KEY.enter);
    // refused by the checkbox itself, with the reason, naming the question
    await r.expect(
      words('> Init actions: "ffmpeg" installs a static FFmpeg build that cannot use hardware transcoding ("intel"); remove "ffmpeg" or choose transcoding "software"'),
    );
    // still the same prompt, with the user's ticks (tensorflow on, ffmpeg on)
    const screen = await r.screen();
    expect(screen).not.toContain(`✔ ${msg('initActions')}`);
    expect(screen).toMatch(/◉ update /);
    expect(screen).toMatch(/◉ tensorflow /);
    expect(screen).toMatch(/◉ intel /);
    expect(screen).toMatch(/❯◉ ffmpeg /);
    // untick ffmpeg (the cursor is still on it) and submit
    r.send(KEY.space);
    await r.expect(/❯◯ ffmpeg /);
    r.send(KEY.enter);
    await r.expect(`✔ ${msg('initActions')} update, tensorflow, intel`);
    await enterThrough(r, 'adminUser', 'dbHow');
    await r.expect(/Init actions\s+update tensorflow intel\n/);
    await r.answer(P.write);
    await r.expect('Done:');
    expect(await r.exited()).toBe(0);
    expect((await readInstall(dir)).compose).toContain('PHOTOPRISM_INIT: "update tensorflow intel"');
  });

  test('render node of group 110 (unsupported): the explanation gives the udev rule; a GID that cannot open it needs the risk accepted', async () => {
    const { dir, r } = await startWizard('pty-render-110.json');
    await throughUid(r, 2, 'VA-API');
    await r.expect(
      words(
        '/dev/dri/renderD128 belongs to group 110 (render on this host), mode 0660: GID 110 is not one the image supports, so no GID can open it. Either choose Software transcoding, or give the node to group video (44) and run init again. The udev rule, in /etc/udev/rules.d/99-photoprism.rules:',
      ),
    );
    // the rule and the command each on one unwrapped line, so they can be copied
    await r.expect(/^ +SUBSYSTEM=="drm", KERNEL=="renderD\*", GROUP="video", MODE="0660"$/m);
    await r.expect(/^ +udevadm control --reload && udevadm trigger$/m);
    // no supported GID can open the node, so the default stays a free one
    await r.answer(`${P.gid} (2000)`);
    await r.expect(words('Warning: gid 2000 cannot open /dev/dri/renderD128'));
    await r.expect(words('If you accept: the chosen GID cannot open the video device, so hardware transcoding will fail'));
    const risk = (await r.expect(RISK)) as RegExpExecArray;
    expect(risk[0]).toContain('("device-group")');
    r.send(KEY.enter); // default: no
    // the GID is asked again; 44 (video) does not help, the node is group 110
    await r.answer(P.gid, '44' + KEY.enter);
    await r.expect(words('Warning: gid 44 cannot open /dev/dri/renderD128'));
    await r.answer(RISK, 'y' + KEY.enter);
    await enterThrough(r, 'initActions', 'dbHow');
    await r.expect(/Accepted risks\s+device-group/);
    await r.expect(words('! accepted risk "device-group": the chosen GID cannot open the video device'));
    await r.answer(P.write);
    await r.expect(/node bin\/photoprism-harden\.cjs init [^]*?--gid[\s\\]+44[\s\\]+--allow-unsafe[\s\\]+device-group/);
    expect(await r.exited()).toBe(0);
    // the udev advice is printed once (with the GID question), not again in the warnings or the notes
    expect(r.text.match(/udevadm\s+control\s+--reload/g)).toHaveLength(1);
    expect(r.text.match(/99-photoprism\.rules/g)).toHaveLength(1);
  });

  test('a host without /dev/dri or /dev/video11: those transcodings are disabled with the reason; picking one is refused at the transcoding question', async () => {
    const { dir, r } = await startWizard('pty-host.json');
    await enterThrough(r, 'originals', 'siteUrl');
    await r.expect(P.transcoding);
    await r.expect('❯ Software (CPU)');
    await r.expect('Intel Quick Sync (no /dev/dri on this host)');
    await r.expect('VA-API (no /dev/dri on this host)');
    await r.expect('Raspberry Pi (V4L2) (no /dev/video11 on this host)');
    // NVIDIA needs no device node (the container toolkit provides it)
    expect(r.text).not.toContain('NVIDIA NVENC (no');
    // Enter on the disabled VA-API does nothing but say so
    r.send(KEY.down.repeat(2));
    await r.expect('❯ VA-API (no /dev/dri on this host)');
    r.send(KEY.enter);
    await r.expect('This option is disabled and cannot be selected.');
    expect(r.text).not.toContain(`✔ ${msg('transcoding')}`);
    // back to Software (CPU): accepted, and the GID question is asked once, without a refusal
    r.send(KEY.up.repeat(2));
    await r.answer('❯ Software (CPU)');
    await r.expect(`✔ ${msg('transcoding')} Software (CPU)`);
    await r.answer(P.userMode);
    await r.answer(`${P.uid} (2000)`);
    await r.answer(`${P.gid} (2000)`);
    await r.expect(`✔ ${msg('gid')} 2000`);
    await r.expect(P.initActions);
    expect(r.text).not.toMatch(/needs \/dev\/dri render nodes|cannot open \/dev/);
    expect(r.text.split(`✔ ${msg('gid')}`).length - 1).toBe(1);
    r.send(KEY.ctrlC);
    await r.expect('Aborted: nothing was written.');
    expect(await r.exited()).toBe(1);
    expect(existsSync(dir)).toBe(false);
  });

  test('Ctrl-C in the middle: non-zero exit, "nothing was written", no files', async () => {
    const { dir, r } = await startWizard('pty-host.json');
    await enterThrough(r, 'originals', 'userMode');
    await r.answer(P.uid, '12');
    await r.expect('12');
    r.send(KEY.ctrlC);
    await r.expect('Aborted: nothing was written.');
    expect(await r.exited()).toBe(1);
    expect(existsSync(dir)).toBe(false);
    expect(await listFiles(path.dirname(dir))).toEqual([]);
  });

  test('Ctrl-C at the hidden password prompt: nothing written, the partial password is not shown', async () => {
    const { dir, r } = await startWizard('pty-host.json');
    await toOwnAdminPassword(r);
    await r.answer(P.adminPw, 'secret-in-progress');
    await r.expect('*'.repeat('secret-in-progress'.length));
    r.send(KEY.ctrlC);
    await r.expect('Aborted: nothing was written.');
    expect(await r.exited()).toBe(1);
    expect(r.text).not.toContain('secret-in-progress');
    expect(existsSync(dir)).toBe(false);
  });

  test('"no" at "Write these files?" writes nothing', async () => {
    const { dir, r } = await startWizard('pty-host.json');
    await enterThrough(r, 'originals', 'dbHow');
    await r.expect('Summary (no password is ever shown):');
    await r.answer(/\? Write these files to [^\n]*\? \(Y\/n\)/, 'n');
    await r.expect('n');
    r.send(KEY.enter);
    await r.expect(/✔ Write these files to [^\n]*\? No/);
    await r.expect('Nothing was written.');
    // declining is reported like a failure (exit 1)
    expect(await r.exited()).toBe(1);
    expect(existsSync(dir)).toBe(false);
    expect(r.text).not.toContain('Done:');
  });
});
