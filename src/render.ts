// Rendering: readable Handlebars templates (templates/*.hbs) that produce commented YAML.
// Values enter YAML only through the `yaml` / `compose` helpers, which emit a correctly quoted YAML
// scalar produced by the `yaml` library (never Handlebars' HTML escaping, never concatenation).
// Every rendered file is parsed back before anything uses it.

import { existsSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import type Handlebars from 'handlebars';
// the runtime only (no compiler, no source-map): the build precompiles the templates
import HandlebarsRuntime from 'handlebars/runtime';
import { Document, parseAllDocuments } from 'yaml';
import { packagePath, requireShipped } from './paths.js';
import { parseShared } from './yamlparse.js';

export const TEMPLATE_DIR = packagePath('templates');

/** A YAML flow scalar for `value`: strings double-quoted, numbers and booleans plain. */
export function yamlScalar(value: unknown): string {
  if (typeof value === 'number' || typeof value === 'boolean') {
    if (typeof value === 'number' && !Number.isFinite(value)) throw new Error(`cannot render ${value} as YAML`);
    return String(value);
  }
  if (typeof value !== 'string') throw new Error(`yaml helper: expected a string, number or boolean, got ${typeof value}`);
  const doc = new Document(value);
  let out = doc.toString({ defaultStringType: 'QUOTE_DOUBLE', lineWidth: 0, minContentWidth: 0 }).replace(/\n$/, '');
  // (the yaml library folds some strings with line breaks, e.g. after NULs, onto two lines: every
  // character is then escaped by hand, which YAML's double-quoted style allows on one line)
  if (out.includes('\n')) out = escapedDoubleQuoted(value);
  if (out.includes('\n')) throw new Error('yaml helper: a scalar must stay on one line');
  return out;
}

/** A YAML double-quoted scalar on one line: `\`, `"`, control, line-break-like and non-printable characters escaped. */
function escapedDoubleQuoted(value: string): string {
  let out = '"';
  for (const ch of value) {
    const c = ch.codePointAt(0)!;
    if (ch === '\\' || ch === '"') out += `\\${ch}`;
    else if (ch === '\n') out += '\\n';
    else if (ch === '\t') out += '\\t';
    else if (c < 0x20 || (c >= 0x7f && c <= 0x9f) || c === 0x2028 || c === 0x2029 || c === 0xfeff || (c >= 0xd800 && c <= 0xdfff) || c === 0xfffe || c === 0xffff) out += `\\u${c.toString(16).padStart(4, '0')}`;
    else out += ch;
  }
  return `${out}"`;
}

/** Compose interpolates `$` in values: a literal `$` is written `$$`. */
export function composeScalar(value: unknown): string {
  return yamlScalar(typeof value === 'string' ? value.replace(/\$/g, '$$$$') : value);
}

let hb: typeof Handlebars | undefined;
function engine(name: string): typeof Handlebars {
  if (hb) return hb;
  // the build's precompiled templates need only the runtime; without a build (tests from src/) the
  // full Handlebars compiles templates/*.hbs
  const base = precompiled(name) ? (HandlebarsRuntime as unknown as typeof Handlebars) : (load('handlebars') as typeof Handlebars);
  hb = base.create();
  hb.registerHelper('yaml', (v: unknown) => new hb!.SafeString(yamlScalar(v)));
  hb.registerHelper('compose', (v: unknown) => new hb!.SafeString(composeScalar(v)));
  // text inside a YAML comment: one line, no control characters
  // eslint-disable-next-line no-control-regex
  hb.registerHelper('comment', (v: unknown) => new hb!.SafeString(String(v).replace(/[\u0000-\u001f\u007f]/g, ' ')));
  hb.registerHelper('eq', (a: unknown, b: unknown) => a === b);
  return hb;
}

const cache = new Map<string, Handlebars.TemplateDelegate>();

/** Options of every template: strict (a missing variable is an error), noEscape (no HTML escaping at all). */
export const TEMPLATE_OPTIONS = { strict: true, noEscape: true } as const;

const load = createRequire(import.meta.url);
/** the precompiled templates of each bundle loaded so far (null: that bundle is not built) */
const specs = new Map<string, Record<string, TemplateSpecification> | null>();
type TemplateSpecification = Parameters<typeof Handlebars.template>[0];

let fromSource = false;

/** Tests: render from templates/*.hbs even when the build's precompiled templates exist. */
export function renderFromSource(on: boolean): void {
  fromSource = on;
  hb = undefined;
  cache.clear();
}

/**
 * The bundle of the build's precompiled templates (scripts/build.mjs) that holds template `name`:
 * dist/templates.cjs for templates/*.hbs (the compose target's), dist/templates-<target>.cjs for
 * templates/<target>/*.hbs, so a run loads only the templates of the target it renders.
 */
export function templateBundle(name: string): string {
  const slash = name.indexOf('/');
  return slash < 0 ? 'templates.cjs' : `templates-${name.slice(0, slash)}.cjs`;
}

/** The precompiled templates of the bundle that holds `name`, if built. */
function precompiled(name: string): Record<string, TemplateSpecification> | null {
  if (fromSource) return null;
  const bundle = templateBundle(name);
  if (!specs.has(bundle)) {
    const file = packagePath('dist', bundle);
    specs.set(bundle, existsSync(file) ? (requireShipped(file) as Record<string, TemplateSpecification>) : null);
  }
  return specs.get(bundle)!;
}

/** Without a build (tests run from src/): compile templates/<name>.hbs. */
function compileTemplate(name: string): Handlebars.TemplateDelegate {
  return engine(name).compile(readFileSync(path.join(TEMPLATE_DIR, `${name}.hbs`), 'utf8'), TEMPLATE_OPTIONS);
}

/** Render templates/<name>.hbs with `context` and parse the result back; throws when it is not valid YAML. */
export function renderYaml(name: string, context: object, o: { documents?: 'one' | 'many' } = {}): string {
  let tpl = cache.get(name);
  if (!tpl) {
    const spec = precompiled(name)?.[name];
    tpl = spec ? engine(name).template(spec) : compileTemplate(name);
    cache.set(name, tpl);
  }
  const text = tpl(context);
  // a stream of documents (Kubernetes manifests) is checked document by document
  const errors = o.documents === 'many' ? parseAllDocuments(text).flatMap((d) => ('errors' in d ? d.errors : [])) : parseShared(text).doc.errors;
  if (errors.length > 0) {
    throw new Error(`internal: templates/${name}.hbs rendered invalid YAML: ${errors[0]!.message}`);
  }
  return text;
}
