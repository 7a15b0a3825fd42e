// Small text helpers with no dependencies (kept apart so light commands such as audit load little).

import path from 'node:path';
import { isTerminal } from './terminal.js';

/** Word-wrap one line of text to `width` columns (continuation lines indented by two spaces). */
export function wrap(text: string, width: number): string[] {
  // an indented line is a command or a config line: never broken, so it can be copied
  if (text.startsWith('    ')) return [text];
  return wrapWords(text, width, '', '  ');
}

/** Display width of a string (code points; the tool prints no wide characters). */
export const widthOf = (s: string): number => [...s].length;

/**
 * Word-wrap `text` to `width` columns: the first line starts with `first`, the others with `rest`
 * (a hanging indent). A word is never broken: one longer than a line stays whole on its own line.
 */
export function wrapWords(text: string, width: number, first = '', rest = ''): string[] {
  const out: string[] = [];
  let line = first;
  let empty = true;
  for (const word of text.split(' ')) {
    if (word === '' && !empty) continue; // (runs of spaces inside a sentence)
    if (!empty && widthOf(line) + 1 + widthOf(word) > width) {
      out.push(line);
      line = rest + word;
    } else {
      line = empty ? line + word : `${line} ${word}`;
    }
    empty = false;
  }
  out.push(line);
  return out;
}

/**
 * A shell command that fits `width` columns: long ones continue on the next line after " \", which a
 * shell reads as the same command (so it can still be copied whole). Words are never broken.
 */
export function wrapCommand(command: string, width: number, indent = '  '): string[] {
  if (widthOf(indent + command) <= width) return [indent + command];
  const lines = wrapWords(command, width - 2, indent, `${indent}  `);
  return lines.map((l, i) => (i < lines.length - 1 ? `${l} \\` : l));
}

/**
 * Fit one line of output to `width`: a longer line is word-wrapped, its continuation lines indented
 * under the text (past the line's own indentation and a "- " / "! " bullet). Output does this to every
 * line, so nothing the tool prints is wider than the terminal or broken inside a word by it.
 */
export function fitLine(line: string, width: number): string[] {
  if (widthOf(line) <= width) return [line];
  const lead = /^(\s*)((?:[-!*] |\d+\. )?)/.exec(line)!;
  const hang = ' '.repeat(lead[1]!.length + lead[2]!.length + (lead[2] ? 0 : 2));
  return wrapWords(line.slice(lead[0].length), width, lead[0], hang);
}

/** One bullet of several lines, fitted to `width`. */
export function bulletLines(lines: string[], bullet: string, width: number, indent = '  '): string[] {
  const hang = indent + ' '.repeat(bullet.length);
  return lines.flatMap((l, i) =>
    l.startsWith('    ') ? wrapCommand(l.trim(), width, hang + '  ') : wrapWords(l, width, i === 0 ? indent + bullet : hang, hang),
  );
}

/**
 * The width output is laid out for: a terminal's (at most 100, for reading); when not a terminal,
 * COLUMNS if set (as wide as asked: `COLUMNS=200 photoprism-harden init | less`), else 80.
 */
export function termWidth(): number {
  const tty = columns();
  if (tty !== undefined) return Math.max(40, Math.min(tty || 80, 100));
  const env = Number(process.env.COLUMNS);
  return Number.isInteger(env) && env >= 40 ? env : 80;
}

/** A file mode as people write it for chmod: four octal digits (0640, 2750). */
export function octalMode(mode: number): string {
  return (mode & 0o7777).toString(8).padStart(4, '0');
}

/** `s` quoted for a POSIX shell when it needs quoting. */
export function shellQuote(s: string): string {
  return /^[A-Za-z0-9_./:=@%+,-]+$/.test(s) ? s : `'${s.replace(/'/g, `'\\''`)}'`;
}

/**
 * The command a person typed to run this tool, for `sub` (init, audit): what the "next step" lines
 * print, so they run as typed. From npx: `npx photoprism-harden`; installed on PATH:
 * `photoprism-harden`; `npm run wizard` in a checkout: `npm run wizard --` (init); from a checkout:
 * `node bin/photoprism-harden.cjs` (relative to the current folder).
 */
export function invokedAs(sub: string, env: NodeJS.ProcessEnv = process.env, script = process.argv[1] ?? '', cwd = process.cwd()): string {
  if (env.npm_lifecycle_event === 'wizard' && sub === 'init') return 'npm run wizard --';
  if (/[/\\]_npx[/\\]/.test(script) || env.npm_command === 'exec') return `npx photoprism-harden ${sub}`;
  if (!script || path.basename(script) === 'photoprism-harden') return `photoprism-harden ${sub}`;
  const rel = path.relative(cwd, script);
  return `node ${shellQuote(rel.startsWith('..') || path.isAbsolute(rel) ? script : rel)} ${sub}`;
}

/** The terminal's width, or undefined when stdout is not a terminal (process.stdout is built only then). */
export function columns(): number | undefined {
  return isTerminal(1) ? process.stdout.columns : undefined;
}
