// Collect, sources: the values given up front (flags win over the answers file) and the previous
// installation's values as defaults. Every value passes the question's own parse.

import { parseDocument } from 'yaml';
import { yamlData } from '../yamlparse.js';
import { ANSWER_KEYS, labelled, parseFileValue, type Answers, type Ctx, type Key, type Question } from '../questions.js';

/** Parse an answers file: YAML mapping of known camelCase keys. */
export function parseAnswersFile(
  name: string,
  text: string,
  keys: readonly Key[] = ANSWER_KEYS,
): { values: Partial<Record<Key, unknown>>; errors: string[] } {
  const errors: string[] = [];
  const doc = parseDocument(text, { uniqueKeys: true });
  // only the first line ("... at line L, column C"): the rest quotes the file, which may hold passwords
  if (doc.errors.length) {
    return { values: {}, errors: [`${name}: not valid YAML: ${doc.errors[0]!.message.split('\n')[0]!.replace(/:$/, '')}`] };
  }
  const parsed = yamlData(doc);
  if (parsed.error) return { values: {}, errors: [`${name}: ${parsed.error}`] };
  const data = parsed.data;
  if (data === null || data === undefined) return { values: {}, errors };
  if (typeof data !== 'object' || Array.isArray(data)) return { values: {}, errors: [`${name}: must be a YAML mapping of answer keys`] };
  const values: Partial<Record<Key, unknown>> = {};
  for (const [k, v] of Object.entries(data as Record<string, unknown>)) {
    if (!(keys as readonly string[]).includes(k)) {
      errors.push(`${name}: unknown key "${k}"; allowed keys: ${keys.join(', ')}`);
      continue;
    }
    if (v !== null && v !== undefined) values[k as Key] = v;
  }
  return { values, errors };
}

export interface Provided {
  /** parsed values given by flag or answers file */
  values: Partial<Record<Key, unknown>>;
  /** keys whose given value was refused: already reported, later checks go on with the default */
  failed: Set<Key>;
  errors: string[];
}

/** Single-field validation of everything given up front; flags win over the file. */
export function providedValues(
  questions: readonly Question[],
  flags: Partial<Record<Key, unknown>>,
  answersFile: { name: string; text: string } | undefined,
): Provided {
  const errors: string[] = [];
  const values: Partial<Record<Key, unknown>> = {};
  const failed = new Set<Key>();
  let fileValues: Partial<Record<Key, unknown>> = {};
  if (answersFile) {
    const r = parseAnswersFile(answersFile.name, answersFile.text, questions.map((q) => q.key));
    errors.push(...r.errors);
    fileValues = r.values;
  }
  for (const q of questions) {
    const fromFlag = flags[q.key];
    const raw = fromFlag !== undefined ? fromFlag : fileValues[q.key];
    if (raw === undefined) continue;
    const r = fromFlag !== undefined ? q.parse(raw) : parseFileValue(q, raw);
    if (r.ok) values[q.key] = r.value;
    else if (failed.add(q.key)) errors.push(fromFlag !== undefined || !answersFile ? r.message : `${answersFile.name}: ${r.message}`);
  }
  return { values, failed, errors };
}

export const same = (a: unknown, b: unknown) => JSON.stringify(a) === JSON.stringify(b);

/**
 * The previous installation's value as this question's default, when it is still valid. When the
 * previous value was just the derived default and an answer it derives from (q.derivedFrom) changed,
 * the new derived default is offered instead (port 8080 moves the site URL along; nvidia -> software
 * drops the "gpu" init action; a new UID takes its GID along). A value no longer valid yields a note.
 */
export function previousDefault(q: Question, prev: Partial<Answers>, ctx: Ctx): { value?: Answers[Key]; note?: string } {
  const v = prev[q.key];
  if (v === undefined) return {};
  const r = q.parse(v);
  if (!r.ok) {
    return { note: labelled(q, `${q.key}: the existing value (${JSON.stringify(v)}) is not valid any more (${r.message}); the default is offered instead`) };
  }
  const from = q.derivedFrom;
  if (from && from.some((k) => prev[k] !== undefined && !same(prev[k], ctx.answers[k]))) {
    // a previous value that is itself a risk (a person's group) does not outlive the answer it came
    // with: moving the UID away from a person's account moves the GID default along
    if (q.check?.(r.value, ctx).some((p) => p.override)) return {};
    let was: Answers[Key] | undefined;
    try {
      was = q.default({ answers: prev, facts: ctx.facts });
    } catch {
      was = undefined; // the previous installation lacks an answer the default needs
    }
    if (same(was, r.value)) return {};
  }
  return { value: r.value };
}
