// Small text helpers with no dependencies (kept apart so light commands such as audit load little).

import { isatty } from 'node:tty';

/** Word-wrap one line of text to `width` columns (continuation lines indented by two spaces). */
export function wrap(text: string, width: number): string[] {
  // an indented line is a command or a config line: never broken, so it can be copied
  if (text.startsWith('    ')) return [text];
  const out: string[] = [];
  let line = '';
  for (const word of text.split(' ')) {
    if (line && line.length + 1 + word.length > width) {
      out.push(line);
      line = `  ${word}`;
    } else line = line ? `${line} ${word}` : word;
  }
  if (line) out.push(line);
  return out;
}

export function termWidth(): number {
  return Math.min(columns() || 100, 100);
}

/** A file mode as people write it for chmod: four octal digits (0640, 2750). */
export function octalMode(mode: number): string {
  return (mode & 0o7777).toString(8).padStart(4, '0');
}

/** `s` quoted for a POSIX shell when it needs quoting. */
export function shellQuote(s: string): string {
  return /^[A-Za-z0-9_./:=@%+,-]+$/.test(s) ? s : `'${s.replace(/'/g, `'\\''`)}'`;
}

/** The terminal's width, or undefined when stdout is not a terminal (process.stdout is built only then). */
export function columns(): number | undefined {
  return isatty(1) ? process.stdout.columns : undefined;
}
