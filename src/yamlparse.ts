// One parse of each YAML text per run. `init` renders a file, parses it back (render.ts), audits it
// (audit/load.ts) and, without an engine, validates it against the Compose schema (composecheck.ts):
// the same text would be parsed three times, and parsing is most of what those steps cost.

import { LineCounter, parseDocument, type Document } from 'yaml';

export interface ParsedYaml {
  doc: Document.Parsed;
  lines: LineCounter;
}

/** The options every shared parse uses: positions for messages, merge keys (`<<`) as Compose reads them. */
const SHARED_PARSE_OPTIONS = { merge: true, prettyErrors: false, uniqueKeys: true } as const;

const KEEP = 8;
const recent = new Map<string, ParsedYaml>();

/**
 * Parse `text` (with line positions), or return the parse of the same text from earlier in this run.
 * The result is shared: read it, never change it (merge.ts, which edits documents, parses its own).
 */
export function parseShared(text: string): ParsedYaml {
  const hit = recent.get(text);
  if (hit) return hit;
  const lines = new LineCounter();
  const parsed = { doc: parseDocument(text, { ...SHARED_PARSE_OPTIONS, lineCounter: lines }), lines };
  recent.set(text, parsed);
  if (recent.size > KEEP) recent.delete(recent.keys().next().value!);
  return parsed;
}
