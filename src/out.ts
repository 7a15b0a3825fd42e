// Output: every byte the CLI prints goes through this class, which scrubs every known secret value
// before it reaches stdout or stderr (a second line of defence: nothing prints one on purpose).
// test/output-only.test.ts fails when code in src/ writes to stdout/stderr any other way. Kept light
// (stdio and text only): the CLI's help and error paths use it too.

import * as stdio from './stdio.js';
import type { Writer } from './stdio.js';
import { fitLine, termWidth } from './text.js';

export class Output {
  private secrets: string[] = [];
  constructor(
    private readonly stdout: Writer = stdio.stdout,
    private readonly stderr: Writer = stdio.stderr,
    /** the width to fit (default: termWidth() when a line is written) */
    private readonly width?: number,
  ) {}

  addSecrets(values: Iterable<string>): void {
    for (const v of values) if (v && !this.secrets.includes(v)) this.secrets.push(v);
    this.secrets.sort((a, b) => b.length - a.length);
  }

  scrub(text: string): string {
    let out = text;
    for (const s of this.secrets) out = out.split(s).join('********');
    return out;
  }

  /** Lines fit the width (fitLine): none is wider than the terminal, no word is broken. */
  private fit(text: string): string {
    const width = this.width ?? termWidth();
    return text
      .split('\n')
      .flatMap((l) => fitLine(l, width))
      .join('\n');
  }

  /** A line (or lines) of text on stdout, fitted to the width. */
  out(text = ''): void {
    this.stdout.write(`${this.fit(this.scrub(text))}\n`);
  }

  /** A line (or lines) of text on stderr, fitted to the width. */
  err(text: string): void {
    this.stderr.write(`${this.fit(this.scrub(text))}\n`);
  }

  /** Text already laid out (help, JSON, SARIF, preformatted lines), scrubbed but not refitted. */
  write(text: string): void {
    this.stdout.write(this.scrub(text));
  }

  /** stderr's counterpart of write(). */
  writeErr(text: string): void {
    this.stderr.write(this.scrub(text));
  }

  /** A progress line on stderr, rewritten in place ("\r"); end it with endProgress(). */
  progress(text: string): void {
    this.stderr.write(`\r${this.scrub(text)}`);
  }

  endProgress(): void {
    this.stderr.write('\n');
  }
}

