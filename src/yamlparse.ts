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

/** How many alias expansions a document may make (Compose files share blocks with anchors; a bomb makes millions). */
export const MAX_ALIAS_COUNT = 1000;

/** Why a document's aliases were refused: a YAML alias bomb (each alias repeating the last). */
export const ALIAS_BOMB = `its aliases (*name) expand to too much data (more than ${MAX_ALIAS_COUNT} expansions; a YAML alias bomb?): write the repeated values out or use fewer aliases`;

/**
 * A parsed document's data, or `{ error }` when its aliases would expand beyond MAX_ALIAS_COUNT (the
 * yaml package throws a ReferenceError then, which must end as an input error, not a crash).
 */
export function yamlData(doc: { toJS(o?: { maxAliasCount?: number }): unknown }): { data: unknown; error?: undefined } | { data?: undefined; error: string } {
  try {
    return { data: doc.toJS({ maxAliasCount: MAX_ALIAS_COUNT }) };
  } catch (e) {
    if (e instanceof ReferenceError && /alias/i.test(e.message)) return { error: ALIAS_BOMB };
    throw e;
  }
}
