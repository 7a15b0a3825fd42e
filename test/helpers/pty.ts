// Expect-style driver for the real CLI in a pseudo-terminal (@lydell/node-pty).
//
// Everything the program writes is kept raw (`raw`) and with terminal escapes removed (`text`). The
// wizard redraws its prompts with cursor movements, so `text` is the concatenation of every frame:
// good for "did this ever appear" and "what came after that". `screen()` renders the raw stream
// through a headless xterm (when available) to show what a person would actually see, and every
// timeout reports that screen.

import { promises as fsp } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import * as pty from '@lydell/node-pty';
import { engineFreePath } from './engine-free.js';
import { cliWithHost } from './spawn.js';

export { engineFreePath };

export const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
export const CLI = path.join(ROOT, 'bin', 'photoprism-harden.cjs');
export const FIXTURES = path.join(ROOT, 'test', 'fixtures');

export const KEY = {
  enter: '\r',
  up: '\x1b[A',
  down: '\x1b[B',
  space: ' ',
  ctrlC: '\x03',
  /** readline: delete from the cursor to the start of the line */
  ctrlU: '\x15',
  backspace: '\x7f',
} as const;

// CSI ... final byte; OSC ... BEL/ST; two-byte ESC sequences; charset selection.
// eslint-disable-next-line no-control-regex
const ANSI = /\x1b\[[0-?]*[ -/]*[@-~]|\x1b\][^\x07\x1b]*(?:\x07|\x1b\\)|\x1b[()][0-9A-Za-z]|\x1b[@-Z\\-_=>78]/g;

/**
 * A pattern for `sentence` that tolerates any whitespace (line breaks and indentation included)
 * wherever the sentence has a space: the wizard wraps its notes to the terminal width.
 */
export function words(sentence: string): RegExp {
  return new RegExp(sentence.trim().split(/\s+/).map(escapeRe).join('\\s+'));
}

export function escapeRe(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

export function stripAnsi(s: string): string {
  // eslint-disable-next-line no-control-regex
  return s.replace(ANSI, '').replace(/\r/g, '').replace(/\x1b/g, '');
}

const COLS = 120;

const ROWS = 40;

type Headless = { write(data: string, cb?: () => void): void; dispose(): void; buffer: { active: { length: number; getLine(i: number): { translateToString(trim?: boolean): string; isWrapped: boolean } | undefined } } };

/** @xterm/headless comes with @inquirer/testing; without it `screen()` falls back to the tail of `text`. */
async function makeTerminal(cols: number): Promise<Headless | null> {
  try {
    const mod = (await import('@xterm/headless')) as unknown as { default?: { Terminal: new (o: object) => Headless }; Terminal?: new (o: object) => Headless };
    const Terminal = mod.Terminal ?? mod.default?.Terminal;
    if (!Terminal) return null;
    return new Terminal({ cols, rows: ROWS, allowProposedApi: true, scrollback: 5000 });
  } catch {
    return null;
  }
}

export interface SpawnOptions {
  /** terminal width (default 120) */
  cols?: number;
  /** fixture HostFacts file (absolute, or a name in test/fixtures); omitted: the real host */
  facts?: string;
  env?: Record<string, string>;
  /** default timeout of expect() in ms */
  timeout?: number;
}

export class PtyRun {
  raw = '';
  private cursor = 0;
  private exitInfo: { exitCode: number; signal?: number } | null = null;
  private readonly exitPromise: Promise<{ exitCode: number; signal?: number }>;
  private waiters = new Set<() => void>();

  private constructor(
    private readonly proc: pty.IPty,
    private readonly term: Headless | null,
    readonly timeout: number,
  ) {
    proc.onData((d) => {
      this.raw += d;
      this.term?.write(d);
      this.wake();
    });
    this.exitPromise = new Promise((resolve) => {
      proc.onExit((e) => {
        this.exitInfo = e;
        this.wake();
        resolve(e);
      });
    });
  }

  static async spawn(args: string[], o: SpawnOptions = {}): Promise<PtyRun> {
    const env: Record<string, string> = {};
    for (const k of ['HOME', 'LANG', 'LC_ALL', 'TMPDIR']) if (process.env[k]) env[k] = process.env[k]!;
    env.PATH = await engineFreePath();
    env.TERM = 'xterm-256color';
    env.LANG ??= 'C.UTF-8';
    const entry = cliWithHost(o.facts ?? null);
    Object.assign(env, entry.env);
    Object.assign(env, o.env ?? {});
    const cols = o.cols ?? COLS;
    const term = await makeTerminal(cols);
    const proc = pty.spawn(process.execPath, [entry.script, ...args], { name: 'xterm-256color', cols, rows: ROWS, cwd: ROOT, env });
    return new PtyRun(proc, term, o.timeout ?? 15000);
  }

  private wake(): void {
    for (const w of [...this.waiters]) w();
  }

  /** Everything printed so far, escapes removed. */
  get text(): string {
    return stripAnsi(this.raw);
  }

  /** Text printed after the last expect() match. */
  get rest(): string {
    return this.text.slice(this.cursor);
  }

  /** Mark everything printed so far as consumed (the next expect only looks at newer output). */
  skip(): void {
    this.cursor = this.text.length;
  }

  /**
   * Everything on the rendered terminal, scrollback included (what a person can scroll back to), and
   * the lines the terminal itself had to wrap because the program wrote past its width.
   */
  async rendered(): Promise<{ lines: string[]; wrapped: string[] }> {
    if (!this.term) throw new Error('@xterm/headless is needed to render the screen');
    await new Promise<void>((r) => this.term!.write('', r));
    const buf = this.term.buffer.active;
    const lines: string[] = [];
    const wrapped: string[] = [];
    for (let i = 0; i < buf.length; i++) {
      const l = buf.getLine(i);
      if (!l) continue;
      lines.push(l.translateToString(true));
      if (l.isWrapped) wrapped.push(`${buf.getLine(i - 1)?.translateToString(true) ?? ''}⏎${l.translateToString(true)}`);
    }
    return { lines, wrapped };
  }

  /** What a person sees now: the rendered terminal (visible rows), else the last lines of text. */
  async screen(): Promise<string> {
    if (this.term) {
      await new Promise<void>((r) => this.term!.write('', r));
      const buf = this.term.buffer.active;
      const lines: string[] = [];
      for (let i = Math.max(0, buf.length - ROWS); i < buf.length; i++) lines.push(buf.getLine(i)?.translateToString(true) ?? '');
      while (lines.length && lines.at(-1) === '') lines.pop();
      return lines.join('\n');
    }
    return this.text.split('\n').slice(-ROWS).join('\n');
  }

  /**
   * Wait until `pattern` appears in the output after the previous match; the cursor moves past it.
   * Rejects on timeout, or when the program exits first, with the current screen in the message.
   */
  async expect(pattern: string | RegExp, timeout = this.timeout): Promise<RegExpExecArray | string> {
    const find = (): { index: number; end: number; match: RegExpExecArray | string } | null => {
      const t = this.text;
      if (typeof pattern === 'string') {
        const i = t.indexOf(pattern, this.cursor);
        return i < 0 ? null : { index: i, end: i + pattern.length, match: pattern };
      }
      const re = new RegExp(pattern.source, pattern.flags.replace('g', '') + 'g');
      re.lastIndex = this.cursor;
      const m = re.exec(t);
      return m ? { index: m.index, end: m.index + m[0].length, match: m } : null;
    };
    const started = Date.now();
    for (;;) {
      const hit = find();
      if (hit) {
        this.cursor = hit.end;
        return hit.match;
      }
      const elapsed = Date.now() - started;
      if (this.exitInfo || elapsed >= timeout) {
        const why = this.exitInfo ? `the program exited (code ${this.exitInfo.exitCode})` : `timed out after ${timeout} ms`;
        throw new Error(
          `expected ${String(pattern instanceof RegExp ? pattern : JSON.stringify(pattern))}, but ${why}.\n` +
            `--- screen ---\n${await this.screen()}\n--- unread output (last 1500 chars) ---\n${this.rest.slice(-1500)}`,
        );
      }
      await new Promise<void>((resolve) => {
        const done = () => {
          clearTimeout(timer);
          this.waiters.delete(done);
          resolve();
        };
        const timer = setTimeout(done, Math.min(250, timeout - elapsed));
        this.waiters.add(done);
      });
    }
  }

  /** True if `pattern` appears after the last match right now (no waiting). */
  has(pattern: string | RegExp): boolean {
    const r = this.rest;
    return typeof pattern === 'string' ? r.includes(pattern) : pattern.test(r);
  }

  send(keys: string): void {
    this.proc.write(keys);
  }

  /** Wait for a prompt, then send keys (default: Enter). */
  async answer(prompt: string | RegExp, keys: string = KEY.enter): Promise<void> {
    await this.expect(prompt);
    this.send(keys);
  }

  /** Wait for the program to end; reject (with the screen) if it does not. */
  async exited(timeout = this.timeout): Promise<number> {
    const timer = new Promise<'timeout'>((r) => setTimeout(() => r('timeout'), timeout).unref());
    const r = await Promise.race([this.exitPromise, timer]);
    if (r === 'timeout') throw new Error(`the program did not exit within ${timeout} ms.\n--- screen ---\n${await this.screen()}`);
    return r.exitCode;
  }

  /** Kill the child (if still running) and free the terminal. Safe to call twice. */
  dispose(): void {
    if (!this.exitInfo) {
      try {
        this.proc.kill('SIGKILL');
      } catch {
        /* already gone */
      }
    }
    this.term?.dispose();
  }
}

/** A fresh temporary folder; the install dir inside it does not exist yet. */
export async function tempInstallDir(prefix = 'pph-pty-'): Promise<{ base: string; dir: string; cleanup: () => Promise<void> }> {
  const base = await fsp.mkdtemp(path.join(os.tmpdir(), prefix));
  return { base, dir: path.join(base, 'install'), cleanup: () => fsp.rm(base, { recursive: true, force: true }) };
}

/** Every file below `dir` (relative paths), or [] if it does not exist. */
export async function listFiles(dir: string): Promise<string[]> {
  const out: string[] = [];
  async function walk(d: string): Promise<void> {
    let entries: import('node:fs').Dirent[];
    try {
      entries = await fsp.readdir(d, { withFileTypes: true });
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'ENOENT') return;
      throw e;
    }
    for (const e of entries) {
      const p = path.join(d, e.name);
      if (e.isDirectory()) await walk(p);
      else out.push(path.relative(dir, p));
    }
  }
  await walk(dir);
  return out.sort();
}
