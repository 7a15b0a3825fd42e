import { editDistance } from '../compose.js';
import type { RawFinding, Rule } from '../types.js';
import { knownOptionKeys } from './util.js';

function suggestion(key: string): string | undefined {
  const keys = [...knownOptionKeys()];
  const ci = keys.find((k) => k.toLowerCase() === key.toLowerCase());
  if (ci) return ci;
  let best: { k: string; d: number } | undefined;
  for (const k of keys) {
    const d = editDistance(key.toLowerCase(), k.toLowerCase());
    if (!best || d < best.d) best = { k, d };
  }
  return best && best.d <= Math.max(2, Math.floor(key.length / 5)) ? best.k : undefined;
}

/** options.yml keys PhotoPrism does not know. */
export const optionsUnknownKey: Rule = {
  id: 'options-unknown-key',
  severity: 'warning',
  title: 'options.yml has a key PhotoPrism does not know (keys are case-sensitive)',
  why: 'PhotoPrism silently ignores unknown keys, so a typo (e.g. in DatabasePassword or DisableTLS) quietly leaves the default in force',
  check(ctx) {
    const o = ctx.options;
    if (!o || !o.data || typeof o.data !== 'object') return [];
    const known = knownOptionKeys();
    const out: RawFinding[] = [];
    for (const key of Object.keys(o.data as Record<string, unknown>)) {
      if (known.has(key)) continue;
      const s = suggestion(key);
      out.push({
        file: o.rel,
        line: ctx.posOf(o, [key])?.line,
        column: ctx.posOf(o, [key])?.col,
        service: ctx.photoprism?.name,
        message: `"${key}" is not a PhotoPrism option${s ? `; did you mean "${s}"?` : ''}`,
        fix: s ? `rename the key to ${s}` : 'remove it, or look up the right name in PhotoPrism\'s config options (keys are case-sensitive)',
      });
    }
    return out;
  },
};

/** options.yml that cannot be parsed. */
export const optionsInvalid: Rule = {
  id: 'options-invalid',
  severity: 'error',
  title: 'options.yml is not valid YAML (or not a mapping)',
  why: 'PhotoPrism cannot use the file, so the passwords and settings in it do not apply',
  check(ctx) {
    const e = ctx.optionsError;
    if (!e) return [];
    return [{ file: e.rel, line: e.line, service: ctx.photoprism?.name, message: `${e.rel} ${e.message.replace(/^[^:]*options\.yml(:\d+)?: /, '')}`, fix: 'fix the YAML (one "Key: value" per line; quote strings that contain ": " or start with a special character)' }];
  },
};

/** storage/config/options.yml next to a legacy storage/settings folder. */
export const optionsFileIgnored: Rule = {
  id: 'options-file-ignored',
  severity: 'warning',
  title: 'storage/config/options.yml is ignored because a legacy storage/settings folder exists',
  why: 'PhotoPrism reads options.yml from storage/settings when that folder exists, so edits to the other file have no effect',
  check(ctx) {
    const s = ctx.optionsShadowed;
    if (!s) return [];
    return [
      {
        file: s.rel,
        service: ctx.photoprism?.name,
        message: `${s.rel} exists, but PhotoPrism reads ${ctx.options?.rel ?? 'storage/settings/options.yml'} (the storage/settings folder exists)`,
        fix: 'merge the two files into one; keep storage/settings/options.yml, or move it to storage/config/ and remove the storage/settings folder',
      },
    ];
  },
};
