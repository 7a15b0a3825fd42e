// Compose-file grammar, shared by init and audit: node positions, interpolation exactly as Compose does it,
// and the small grammars of environment entries, env files, volumes, ports and devices. All pure.

import path from 'node:path';
import { isAlias, isMap, isPair, isScalar, isSeq, type Document, type LineCounter, type Node } from 'yaml';
import type { ServiceKind } from '../audit/types.js';

// ---------------------------------------------------------------------------------------------
// positions

function isMergeKey(key: unknown): boolean {
  if (!isScalar(key)) return false;
  return typeof key.value === 'symbol' || key.value === '<<';
}

function keyMatches(key: unknown, want: string | number): boolean {
  if (isScalar(key)) return String(key.value) === String(want);
  return String(key) === String(want);
}

function deref(doc: Document, node: unknown): unknown {
  let n = node;
  for (let i = 0; i < 10 && isAlias(n); i++) n = n.resolve(doc);
  return n;
}

/** The pair for `key` in a map, following merge keys (`<<: *anchor`) like Compose does. */
function findPair(doc: Document, map: unknown, key: string | number, depth = 0): { key: Node; value: unknown } | undefined {
  const m = deref(doc, map);
  if (!isMap(m) || depth > 10) return undefined;
  for (const p of m.items) if (isPair(p) && keyMatches(p.key, key)) return { key: p.key as Node, value: p.value };
  for (const p of m.items) {
    if (!isPair(p) || !isMergeKey(p.key)) continue;
    const v = deref(doc, p.value);
    const sources = isSeq(v) ? v.items : [v];
    for (const s of sources) {
      const found = findPair(doc, s, key, depth + 1);
      if (found) return found;
    }
  }
  return undefined;
}

/**
 * 1-based line of the node at `keys` (for a mapping key: the line of the key). Falls back to the deepest
 * node that exists, so a finding about a missing key points at its parent.
 */
export function lineAt(doc: Document, lines: LineCounter, keys: readonly (string | number)[]): number | undefined {
  return posAt(doc, lines, keys)?.line;
}

/** 1-based line and column of the node at `keys` (see lineAt). */
export function posAt(doc: Document, lines: LineCounter, keys: readonly (string | number)[]): { line: number; col: number } | undefined {
  let node: unknown = doc.contents;
  let line: { line: number; col: number } | undefined;
  for (const k of keys) {
    const n = deref(doc, node);
    if (isSeq(n) && typeof k === 'number') {
      const item = n.items[k];
      if (item === undefined) break;
      const r = (item as Node).range ?? (deref(doc, item) as Node).range;
      if (r) line = lines.linePos(r[0]);
      node = item;
      continue;
    }
    const pair = findPair(doc, n, k);
    if (!pair) break;
    if (pair.key.range) line = lines.linePos(pair.key.range[0]);
    node = pair.value;
  }
  return line;
}

// ---------------------------------------------------------------------------------------------
// interpolation (Compose: $$, $VAR, ${VAR}, ${VAR:-d}, ${VAR-d}, ${VAR:?e}, ${VAR?e}, ${VAR:+a}, ${VAR+a})

/** What interpolation noticed: every variable read, those that were unset, and `:?`/`?` errors. */
export interface Interpolation {
  /** names of every variable the text refers to (also inside defaults that were used) */
  refs: Set<string>;
  /** referenced without a default and not set (Compose substitutes an empty string and warns) */
  unset: Set<string>;
  /** `${VAR:?message}` / `${VAR?message}` whose condition failed: Compose refuses the file */
  errors: { name: string; message: string }[];
}

export const newInterpolation = (): Interpolation => ({ refs: new Set(), unset: new Set(), errors: [] });

const INTERP = /\$(\$|\{([A-Za-z_][A-Za-z0-9_]*)(?:(:?[-?+])((?:[^{}]|\{(?:[^{}]|\{[^{}]*\})*\})*))?\}|([A-Za-z_][A-Za-z0-9_]*))/g;

/**
 * Compose's interpolation: `$$` is a literal `$`; `$VAR`, `${VAR}`; `${VAR:-d}` (unset or empty),
 * `${VAR-d}` (unset), `${VAR:+a}` / `${VAR+a}` (the alternative when set), `${VAR:?e}` / `${VAR?e}` (an
 * error when unset (or empty)). Defaults are interpolated too. `unresolved` (legacy) collects unset names.
 */
export function interpolate(s: string, vars: ReadonlyMap<string, string>, unresolved?: Set<string> | Interpolation): string {
  const info: Interpolation | undefined = unresolved && !(unresolved instanceof Set) ? unresolved : undefined;
  const legacy = unresolved instanceof Set ? unresolved : undefined;
  return s.replace(INTERP, (_all, dollar, braced, op, arg, bare) => {
    if (dollar === '$') return '$';
    const name: string = braced ?? bare;
    info?.refs.add(name);
    const has = vars.has(name);
    const v = vars.get(name) ?? '';
    const sub = (t: string | undefined) => interpolate(t ?? '', vars, unresolved);
    switch (op as string | undefined) {
      case ':-':
        return has && v !== '' ? v : sub(arg);
      case '-':
        return has ? v : sub(arg);
      case ':+':
        return has && v !== '' ? sub(arg) : '';
      case '+':
        return has ? sub(arg) : '';
      case ':?':
        if (!has || v === '') info?.errors.push({ name, message: sub(arg) || `${name} is required` });
        if (!has) legacy?.add(name);
        return v;
      case '?':
        if (!has) {
          info?.errors.push({ name, message: sub(arg) || `${name} is required` });
          legacy?.add(name);
        }
        return v;
      default:
        if (!has) {
          info?.unset.add(name);
          legacy?.add(name);
        }
        return v;
    }
  });
}

/** Interpolate every string in a plain YAML value (keys are left alone, as Compose does). */
export function interpolateDeep(value: unknown, vars: ReadonlyMap<string, string>, unresolved?: Set<string> | Interpolation): unknown {
  if (typeof value === 'string') return interpolate(value, vars, unresolved);
  if (Array.isArray(value)) return value.map((v) => interpolateDeep(v, vars, unresolved));
  if (value && typeof value === 'object') {
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(value as Record<string, unknown>)) out[k] = interpolateDeep(v, vars, unresolved);
    return out;
  }
  return value;
}

// ---------------------------------------------------------------------------------------------
// env files (Compose's dotenv subset: KEY=VALUE, export KEY=VALUE, quotes, # comments)

export interface DotenvEntry {
  name: string;
  /** the value as written, quotes removed and escapes applied (not interpolated); null: `KEY` alone */
  value: string | null;
  line: number;
  /** single-quoted values are literal; others are interpolated by Compose */
  quote: 'single' | 'double' | null;
}

const DOUBLE_ESCAPES: Record<string, string> = { n: '\n', r: '\r', t: '\t', '"': '"', '\\': '\\', $: '$$' };

/**
 * Compose's dotenv format (.env and env_file): KEY=VALUE, `export KEY=VALUE`, `#` comments (after a space
 * when unquoted), single quotes (literal), double quotes (escapes \n \t \" \\, may span lines), `KEY` alone.
 */
export function parseDotenv(text: string): DotenvEntry[] {
  const out: DotenvEntry[] = [];
  const rows = text.split(/\r?\n/);
  for (let i = 0; i < rows.length; i++) {
    const line = rows[i]!.trim();
    if (!line || line.startsWith('#')) continue;
    const m = /^(?:export\s+)?([A-Za-z_][A-Za-z0-9_.-]*)\s*(?:=\s*(.*))?$/.exec(line);
    if (!m) continue;
    const name = m[1]!;
    if (m[2] === undefined) {
      out.push({ name, value: null, line: i + 1, quote: null });
      continue;
    }
    let v = m[2];
    const q = v[0];
    if (q === "'" || q === '"') {
      // the value ends at the matching quote, possibly on a later line
      let body = v.slice(1);
      let j = i;
      const closing = (t: string): number => {
        if (q === "'") return t.indexOf("'");
        for (let k = 0; k < t.length; k++) {
          if (t[k] === '\\') k++;
          else if (t[k] === '"') return k;
        }
        return -1;
      };
      let end = closing(body);
      while (end < 0 && j + 1 < rows.length) {
        j++;
        body += '\n' + rows[j]!;
        end = closing(body);
      }
      if (end >= 0) {
        const inner = body.slice(0, end);
        v = q === "'" ? inner : inner.replace(/\\(.)/g, (all, c: string) => (c in DOUBLE_ESCAPES ? DOUBLE_ESCAPES[c]! : all));
        out.push({ name, value: v, line: i + 1, quote: q === "'" ? 'single' : 'double' });
        i = j;
        continue;
      }
    }
    v = v.replace(/(^|\s+)#.*$/, '').trim();
    out.push({ name, value: v, line: i + 1, quote: null });
  }
  return out;
}

/** `environment:` as a list of entries with the key path of each (dict or KEY=VALUE list). */
export function environmentEntries(env: unknown): { name: string; value: string | null; key: string | number }[] {
  const out: { name: string; value: string | null; key: string | number }[] = [];
  if (Array.isArray(env)) {
    env.forEach((item, i) => {
      if (typeof item !== 'string') return;
      const eq = item.indexOf('=');
      if (eq < 0) out.push({ name: item, value: null, key: i });
      else out.push({ name: item.slice(0, eq), value: item.slice(eq + 1), key: i });
    });
  } else if (env && typeof env === 'object') {
    for (const [name, v] of Object.entries(env as Record<string, unknown>)) {
      out.push({ name, value: v === null || v === undefined ? null : String(v), key: name });
    }
  }
  return out;
}

/** env_file as a list of { path, required } (string, list of strings, or list of objects). */
export function envFileList(v: unknown): { path: string; required: boolean; index: number | null }[] {
  if (typeof v === 'string') return [{ path: v, required: true, index: null }];
  if (!Array.isArray(v)) return [];
  const out: { path: string; required: boolean; index: number | null }[] = [];
  v.forEach((item, i) => {
    if (typeof item === 'string') out.push({ path: item, required: true, index: i });
    else if (item && typeof item === 'object' && typeof (item as { path?: unknown }).path === 'string') {
      out.push({ path: (item as { path: string }).path, required: (item as { required?: unknown }).required !== false, index: i });
    }
  });
  return out;
}

// ---------------------------------------------------------------------------------------------
// volumes

export interface Mount {
  /** 'bind' for host paths, 'volume' for named/anonymous volumes, or the long syntax type */
  type: string;
  /** source as written (host path or volume name), '' when anonymous */
  source: string;
  target: string;
  readOnly: boolean;
  index: number;
}

/** Short syntax SOURCE:TARGET[:MODE]: a source starting with /, ., ~ (or a Windows drive) is a host path. */
export function parseMounts(volumes: unknown): Mount[] {
  if (!Array.isArray(volumes)) return [];
  const out: Mount[] = [];
  volumes.forEach((v, index) => {
    if (typeof v === 'string') {
      const parts = v.split(':');
      if (parts.length === 1) {
        out.push({ type: 'volume', source: '', target: parts[0]!, readOnly: false, index });
        return;
      }
      const [source, target, mode] = parts as [string, string, string | undefined];
      const isPath = /^[/.~]/.test(source) || /^[A-Za-z]$/.test(source);
      out.push({ type: isPath ? 'bind' : 'volume', source, target: target ?? '', readOnly: (mode ?? '').split(',').includes('ro'), index });
    } else if (v && typeof v === 'object') {
      const o = v as Record<string, unknown>;
      out.push({
        type: typeof o.type === 'string' ? o.type : 'volume',
        source: typeof o.source === 'string' ? o.source : '',
        target: typeof o.target === 'string' ? o.target : '',
        readOnly: o.read_only === true || o.read_only === 'true',
        index,
      });
    }
  });
  return out;
}

export function expandHome(p: string, home: string): string {
  if (p === '~') return home;
  if (p.startsWith('~/')) return path.join(home, p.slice(2));
  return p;
}

/** Absolute host path of a bind source (relative to the compose file's folder, ~ = home). */
export function hostPathOf(source: string, dir: string, home: string): string {
  return path.resolve(dir, expandHome(source, home));
}

// ---------------------------------------------------------------------------------------------
// ports

export interface PortMapping {
  /** host IP, '' when none (all interfaces) */
  hostIp: string;
  /** published host port(s), '' when Docker picks one */
  published: string;
  target: string;
  index: number;
  raw: string;
}

/** [HOST_IP:][HOST_PORT:]CONTAINER_PORT[/PROTOCOL], IPv6 host IPs in brackets, or the long syntax. */
export function parsePorts(ports: unknown): PortMapping[] {
  if (!Array.isArray(ports)) return [];
  const out: PortMapping[] = [];
  ports.forEach((p, index) => {
    if (typeof p === 'number') {
      out.push({ hostIp: '', published: '', target: String(p), index, raw: String(p) });
      return;
    }
    if (typeof p === 'string') {
      let rest = p.replace(/\/(tcp|udp|sctp)$/i, '');
      let hostIp = '';
      const v6 = /^\[([^\]]*)\]:(.*)$/.exec(rest);
      if (v6) {
        hostIp = v6[1]!;
        rest = v6[2]!;
      }
      const parts = rest.split(':');
      if (!v6 && parts.length === 3) {
        hostIp = parts[0]!;
        out.push({ hostIp, published: parts[1]!, target: parts[2]!, index, raw: p });
      } else if (parts.length === 2) {
        out.push({ hostIp, published: parts[0]!, target: parts[1]!, index, raw: p });
      } else {
        out.push({ hostIp, published: '', target: parts[parts.length - 1]!, index, raw: p });
      }
      return;
    }
    if (p && typeof p === 'object') {
      const o = p as Record<string, unknown>;
      out.push({
        hostIp: typeof o.host_ip === 'string' ? o.host_ip : '',
        published: o.published === undefined || o.published === null ? '' : String(o.published),
        target: String(o.target ?? ''),
        index,
        raw: JSON.stringify(o),
      });
    }
  });
  return out;
}

/** Is a host IP "every interface"? ('' , 0.0.0.0, ::, [::]) */
export function allInterfaces(ip: string): boolean {
  return ip === '' || ip === '0.0.0.0' || ip === '::' || ip === '[::]';
}

// ---------------------------------------------------------------------------------------------
// devices

/** Host paths of `devices:` entries (HOST[:CONTAINER[:PERMS]] or { source }). */
export function deviceSources(devices: unknown): { source: string; index: number }[] {
  if (!Array.isArray(devices)) return [];
  const out: { source: string; index: number }[] = [];
  devices.forEach((d, index) => {
    if (typeof d === 'string') out.push({ source: d.split(':')[0]!, index });
    else if (d && typeof d === 'object' && typeof (d as { source?: unknown }).source === 'string') {
      out.push({ source: (d as { source: string }).source, index });
    }
  });
  return out;
}

// ---------------------------------------------------------------------------------------------
// misc

/** Compose's boolean casting for values that may come from interpolation. */
export function truthy(v: unknown): boolean {
  if (v === true) return true;
  if (typeof v === 'string') return ['true', '1', 'yes', 'y', 'on'].includes(v.trim().toLowerCase());
  if (typeof v === 'number') return v !== 0;
  return false;
}

export function asArray(v: unknown): unknown[] {
  return Array.isArray(v) ? v : [];
}

/** Image reference without registry/tag: "photoprism/photoprism", "mariadb", ... */
export function imageName(image: string): { repo: string; tag: string | null; digest: boolean } {
  const digest = image.includes('@');
  const noDigest = image.split('@')[0]!;
  const slash = noDigest.lastIndexOf('/');
  const colon = noDigest.lastIndexOf(':');
  let repo = noDigest;
  let tag: string | null = null;
  if (colon > slash) {
    repo = noDigest.slice(0, colon);
    tag = noDigest.slice(colon + 1);
  }
  // strip a registry host (has a dot or a port, or is localhost) and docker.io's library/
  const parts = repo.split('/');
  if (parts.length > 1 && /[.:]|^localhost$/.test(parts[0]!)) parts.shift();
  if (parts[0] === 'library' && parts.length > 1) parts.shift();
  return { repo: parts.join('/').toLowerCase(), tag, digest };
}

/** Which role a service plays: by image first, then by name. */
export function serviceKind(name: string, data: Record<string, unknown>): ServiceKind {
  const image = typeof data.image === 'string' ? imageName(data.image).repo : '';
  if (/^photoprism\/photoprism(-[a-z0-9]+)?$/.test(image) || image.endsWith('/photoprism') || image === 'photoprism') return 'photoprism';
  if (/(^|\/)(mariadb|mysql)$/.test(image)) return 'mariadb';
  if (!image) {
    if (name === 'photoprism') return 'photoprism';
    if (name === 'mariadb' || name === 'mysql') return 'mariadb';
  }
  return 'other';
}

/** Levenshtein distance (small strings only). */
export function editDistance(a: string, b: string): number {
  const prev = Array.from({ length: b.length + 1 }, (_, i) => i);
  for (let i = 1; i <= a.length; i++) {
    let diag = prev[0]!;
    prev[0] = i;
    for (let j = 1; j <= b.length; j++) {
      const tmp = prev[j]!;
      prev[j] = Math.min(prev[j]! + 1, prev[j - 1]! + 1, diag + (a[i - 1] === b[j - 1] ? 0 : 1));
      diag = tmp;
    }
  }
  return prev[b.length]!;
}


/**
 * `user:` as Compose passes it to the engine: "UID[:GID]" (names allowed). The group is null when not
 * written: the engine then takes the account's primary group from the image's /etc/passwd, or 0.
 */
export function parseUser(v: unknown): { uidText: string; gidText: string | null; uid: number | null; gid: number | null } | null {
  if (typeof v === 'number') return { uidText: String(v), gidText: null, uid: v, gid: null };
  if (typeof v !== 'string' || v.trim() === '') return null;
  const [u, g] = v.trim().split(':') as [string, string | undefined];
  const id = (t: string | undefined) => (t === undefined ? null : /^\d+$/.test(t) ? Number(t) : t === 'root' ? 0 : null);
  return { uidText: u, gidText: g ?? null, uid: id(u), gid: id(g) };
}
