// Rendering: readable Handlebars templates (templates/*.hbs) that produce commented YAML.
// Values enter YAML only through the `yaml` / `compose` helpers, which emit a correctly quoted YAML
// scalar produced by the `yaml` library (never Handlebars' HTML escaping, never concatenation).
// Every rendered file is parsed back before anything uses it.

import { readFileSync } from 'node:fs';
import path from 'node:path';
import Handlebars from 'handlebars';
import { Document, parseDocument } from 'yaml';
import { packagePath } from './paths.js';

export const TEMPLATE_DIR = packagePath('templates');

/** A YAML flow scalar for `value`: strings double-quoted, numbers and booleans plain. */
export function yamlScalar(value: unknown): string {
  if (typeof value === 'number' || typeof value === 'boolean') {
    if (typeof value === 'number' && !Number.isFinite(value)) throw new Error(`cannot render ${value} as YAML`);
    return String(value);
  }
  if (typeof value !== 'string') throw new Error(`yaml helper: expected a string, number or boolean, got ${typeof value}`);
  const doc = new Document(value);
  const out = doc.toString({ defaultStringType: 'QUOTE_DOUBLE', lineWidth: 0, minContentWidth: 0 }).replace(/\n$/, '');
  if (out.includes('\n')) throw new Error('yaml helper: a scalar must stay on one line');
  return out;
}

/** Compose interpolates `$` in values: a literal `$` is written `$$`. */
export function composeScalar(value: unknown): string {
  return yamlScalar(typeof value === 'string' ? value.replace(/\$/g, '$$$$') : value);
}

let hb: typeof Handlebars | undefined;
function engine(): typeof Handlebars {
  if (hb) return hb;
  hb = Handlebars.create();
  hb.registerHelper('yaml', (v: unknown) => new hb!.SafeString(yamlScalar(v)));
  hb.registerHelper('compose', (v: unknown) => new hb!.SafeString(composeScalar(v)));
  // text inside a YAML comment: one line, no control characters
  // eslint-disable-next-line no-control-regex
  hb.registerHelper('comment', (v: unknown) => new hb!.SafeString(String(v).replace(/[\u0000-\u001f\u007f]/g, ' ')));
  hb.registerHelper('eq', (a: unknown, b: unknown) => a === b);
  return hb;
}

const cache = new Map<string, Handlebars.TemplateDelegate>();

/** Render templates/<name>.hbs with `context` and parse the result back; throws when it is not valid YAML. */
export function renderYaml(name: string, context: object): string {
  let tpl = cache.get(name);
  if (!tpl) {
    const source = readFileSync(path.join(TEMPLATE_DIR, `${name}.hbs`), 'utf8');
    // strict: a missing variable is an error, not an empty string; noEscape: no HTML escaping at all
    tpl = engine().compile(source, { strict: true, noEscape: true });
    cache.set(name, tpl);
  }
  const text = tpl(context);
  const doc = parseDocument(text, { uniqueKeys: true });
  if (doc.errors.length > 0) {
    throw new Error(`internal: templates/${name}.hbs rendered invalid YAML: ${doc.errors[0]!.message}`);
  }
  return text;
}
