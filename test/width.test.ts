// The quality bar for output: at 80 and 100 columns no line of any command's output is wider than the
// terminal, and no word is broken. "No word broken" is checked by comparing words: the same run at
// two widths must print the same words (wrapping may only move the spaces between them), so a word
// cut at the edge shows up as two fragments that the other width does not have.
import { afterAll, describe, expect, test } from '@jest/globals';
import { promises as fsp } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { KEY, PtyRun } from './helpers/pty.js';
import { FIXTURES, assertBuilt, runCli } from './helpers/spawn.js';
import { engineFreePath } from './helpers/engine-free.js';
import { fitLine, wrapCommand, wrapWords } from '../src/text.js';

const WIDTHS = [80, 100] as const;
const dirs: string[] = [];
afterAll(async () => {
  for (const d of dirs) await fsp.rm(d, { recursive: true, force: true });
});

async function scratch(): Promise<string> {
  const d = await fsp.mkdtemp(path.join(os.tmpdir(), 'pph-width-'));
  dirs.push(d);
  return d;
}

/** Lines wider than `cols` (display width: code points), with their width. */
function tooWide(text: string, cols: number): string[] {
  return text
    .split('\n')
    .filter((l) => [...l].length > cols)
    .map((l) => `${[...l].length}: ${l}`);
}

/** The words of a text, sorted (the line continuation "\" of a long command is not a word). */
function wordsOf(text: string, replace: [string, string][] = []): string[] {
  // (free disk space changes between two runs)
  let t = text.replace(/\d+(\.\d+)? [GM]iB/g, 'N GiB');
  for (const [a, b] of replace) t = t.split(a).join(b);
  return t
    .split(/\s+/)
    .filter((w) => w && w !== '\\' && !/^#+$/.test(w))
    .sort();
}

async function cli(args: string[], cols: number) {
  assertBuilt();
  return runCli(args, { env: { COLUMNS: String(cols), PATH: await engineFreePath() } });
}

describe('text helpers never break a word', () => {
  test('wrapWords / fitLine / wrapCommand keep every word whole, and a line wider than the width is one word', () => {
    const text = 'settings + admin/DB passwords; a-very-long-word-that-does-not-fit-anywhere-at-all-in-twenty columns ok';
    for (const width of [10, 20, 33, 80]) {
      for (const lines of [wrapWords(text, width), fitLine(text, width), wrapCommand(text, width, '')]) {
        expect(wordsOf(lines.join('\n'))).toEqual(wordsOf(text));
        for (const l of lines) if ([...l].length > width) expect(l.trim().split(' ').filter((w) => w !== '\\')).toHaveLength(1);
      }
    }
  });
});

describe.each(WIDTHS.map((c) => [c]))('at %i columns', (cols) => {
  const other = cols === 80 ? 100 : 80;

  test.each([[['--help']], [['init', '--help']], [['audit', '--help']], [['schema', '--help']]])('%j: no line wider, the same words as at the other width', async (args) => {
    const a = await cli(args, cols);
    const b = await cli(args, other);
    expect(a.code).toBe(0);
    expect(tooWide(a.stdout, cols)).toEqual([]);
    expect(wordsOf(a.stdout)).toEqual(wordsOf(b.stdout));
  });

  test('init --yes --dry-run, init --yes, the audit of what it wrote, and of PhotoPrism\'s example', async () => {
    const root = await scratch();
    const out: Record<string, { code: number | null; text: string }> = {};
    for (const c of [cols, other]) {
      const dir = path.join(root, `install-${c}`);
      const dry = await cli(['init', '--yes', '--dry-run', '--dir', dir], c);
      const init = await cli(['init', '--yes', '--dir', dir], c);
      const audit = await cli(['audit', '--dir', dir], c);
      const example = path.join(root, `example-${c}`);
      await fsp.mkdir(example);
      await fsp.copyFile(path.join(FIXTURES, 'photoprism-official-compose.yaml'), path.join(example, 'docker-compose.yml'));
      const official = await cli(['audit', '--dir', example], c);
      for (const [k, r] of Object.entries({ dry, init, audit, official })) {
        out[`${k}@${c}`] = { code: r.code, text: `${r.stdout}\n${r.stderr}`.split(dir).join('DIR').split(example).join('EXAMPLE') };
      }
    }
    for (const k of ['dry', 'init', 'audit', 'official']) {
      const mine = out[`${k}@${cols}`]!;
      expect([k, mine.code]).toEqual([k, k === 'official' ? 1 : 0]);
      expect([k, tooWide(mine.text, cols)]).toEqual([k, []]);
      expect([k, wordsOf(mine.text)]).toEqual([k, wordsOf(out[`${k}@${other}`]!.text)]);
    }
  });

  test('a usage error: every problem fits, none is cut', async () => {
    const a = await cli(['init', '--yes', '--uid', '1500', '--import-path', '/etc/x', '--dir', '/tmp/none'], cols);
    const b = await cli(['init', '--yes', '--uid', '1500', '--import-path', '/etc/x', '--dir', '/tmp/none'], other);
    expect(a.code).toBe(2);
    expect(tooWide(a.stderr, cols)).toEqual([]);
    expect(wordsOf(a.stderr)).toEqual(wordsOf(b.stderr));
  });

  test('the wizard in a pseudo-terminal: Enter through every question, an unsupported UID refused, write', async () => {
    const texts: string[] = [];
    for (const c of [cols, other]) {
      const root = await scratch();
      const dir = path.join(root, 'install');
      const r = await PtyRun.spawn(['init', '--dir', dir], { facts: 'pty-render-110.json', cols: c, timeout: 20000 });
      try {
        await r.answer(/Folder with your photos/);
        await r.answer(/Import folder/);
        await r.answer(/reverse proxy/);
        await r.answer(/Port on the host/);
        await r.answer(/Public URL/);
        await r.answer(/Video transcoding/);
        await r.answer(/non-root user/);
        // an unsupported UID: the refusal under the prompt, then the default again
        await r.expect(/User id \(UID\)/);
        r.send(`${KEY.ctrlU}1500${KEY.enter}`);
        await r.expect(/is not supported by the PhotoPrism image/);
        r.send(`${KEY.ctrlU}2000${KEY.enter}`);
        await r.answer(/Group id \(GID\)/);
        await r.answer(/Init actions/);
        await r.answer(/admin user name/);
        await r.answer(/Admin password/);
        await r.answer(/MariaDB passwords/);
        await r.answer(/Write these files/);
        await r.expect(/To repeat this setup/);
        expect(await r.exited()).toBe(0);
      } catch (e) {
        r.send(KEY.ctrlC);
        throw e;
      }
      const screen = await r.rendered();
      // nothing the terminal had to wrap itself (a line written past its width)
      expect(screen.wrapped).toEqual([]);
      texts.push(screen.lines.join('\n').split(dir).join('DIR').split(root).join('ROOT'));
    }
    const [mine, theirs] = texts as [string, string];
    expect(tooWide(mine, cols)).toEqual([]);
    // what a person can scroll back to has the same words at both widths: none was cut at an edge
    expect(wordsOf(mine)).toEqual(wordsOf(theirs));
  });
});

describe('the next steps name the command that ran the tool', () => {
  test('npx, an installed command, npm run wizard, and a checkout', async () => {
    const { invokedAs } = await import('../src/text.js');
    expect(invokedAs('init', { npm_command: 'exec' }, '/root/.npm/_npx/1a2b/node_modules/.bin/photoprism-harden')).toBe('npx photoprism-harden init');
    expect(invokedAs('audit', {}, '/home/a/.npm/_npx/1a2b/node_modules/photoprism-harden/bin/photoprism-harden.cjs')).toBe('npx photoprism-harden audit');
    expect(invokedAs('init', {}, '/usr/local/bin/photoprism-harden')).toBe('photoprism-harden init');
    expect(invokedAs('init', { npm_lifecycle_event: 'wizard' }, '/src/ph/bin/photoprism-harden.cjs', '/src/ph')).toBe('npm run wizard --');
    expect(invokedAs('audit', { npm_lifecycle_event: 'wizard' }, '/src/ph/bin/photoprism-harden.cjs', '/src/ph')).toBe('node bin/photoprism-harden.cjs audit');
    expect(invokedAs('init', {}, '/src/ph/bin/photoprism-harden.cjs', '/src/ph')).toBe('node bin/photoprism-harden.cjs init');
    expect(invokedAs('init', {}, '/src/ph/bin/photoprism-harden.cjs', '/elsewhere')).toBe('node /src/ph/bin/photoprism-harden.cjs init');
  });
});
