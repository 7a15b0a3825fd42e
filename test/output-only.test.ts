// Every byte the CLI prints goes through Output (src/out.ts), which scrubs known secret values: no
// module in src/ may write to stdout or stderr another way. The writers themselves live in
// src/stdio.ts, and only src/out.ts may use them.
import { describe, expect, test } from '@jest/globals';
import { readFileSync, readdirSync } from 'node:fs';
import path from 'node:path';

const src = path.resolve(import.meta.dirname, '../src');
const ALLOWED = new Set(['out.ts', 'stdio.ts']);

const DIRECT: [string, RegExp][] = [
  ['process.stdout/stderr write', /\bprocess\s*\.\s*std(out|err)\s*\.\s*(write|end|cork)\b/],
  ['console output', /\bconsole\s*\.\s*(log|error|warn|info|debug|trace|dir|table)\s*\(/],
  ['the raw fd writers of src/stdio.ts', /from\s+['"](\.\.?\/)+stdio\.js['"]/],
  ['a write to descriptor 1 or 2', /\b(writeSync|write)\s*\(\s*[12]\s*,/],
];

/** the code of a file without its comments (a comment may mention process.stdout) */
function code(text: string): string {
  return text.replace(/\/\*[\s\S]*?\*\//g, '').replace(/(^|[^:'"`\\])\/\/.*$/gm, '$1');
}

function files(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) => (e.isDirectory() ? files(path.join(dir, e.name)) : e.name.endsWith('.ts') ? [path.join(dir, e.name)] : []));
}

export function directWrites(rel: string, text: string): string[] {
  if (ALLOWED.has(rel)) return [];
  const body = code(text);
  // a type-only import of Writer prints nothing
  const found: string[] = [];
  for (const [what, re] of DIRECT) {
    for (const line of body.split('\n')) {
      if (!re.test(line)) continue;
      if (/^\s*import\s+type\b/.test(line)) continue;
      found.push(`${rel}: ${what}: ${line.trim()}`);
    }
  }
  return found;
}

describe('every byte the CLI prints goes through Output', () => {
  test('no module in src/ writes to stdout or stderr directly', () => {
    const found = files(src).flatMap((f) => directWrites(path.relative(src, f), readFileSync(f, 'utf8')));
    expect(found).toEqual([]);
  });

  test('the check finds each kind of direct write (it can fail)', () => {
    expect(directWrites('x.ts', "process.stderr.write('a')")).toHaveLength(1);
    expect(directWrites('x.ts', 'console.log(1)')).toHaveLength(1);
    expect(directWrites('x.ts', "import * as stdio from './stdio.js';")).toHaveLength(1);
    expect(directWrites('a/x.ts', "import { stderr } from '../stdio.js';")).toHaveLength(1);
    expect(directWrites('x.ts', "writeSync(2, 'a')")).toHaveLength(1);
    expect(directWrites('x.ts', "import type { Writer } from './stdio.js';")).toEqual([]);
    expect(directWrites('x.ts', '// process.stdout.write is not used here')).toEqual([]);
    expect(directWrites('x.ts', 'const w = process.stdout.columns;')).toEqual([]);
    expect(directWrites('out.ts', "process.stderr.write('a')")).toEqual([]);
  });
});
