// Regeneration merges instead of overwriting: the freshly rendered file is merged into the existing
// one with the yaml Document API. Keys the tool manages are updated in place; keys, list entries,
// services and comments it does not manage stay where the user put them.

import { Pair, Scalar, YAMLMap, isMap, isScalar, isSeq, parseDocument, type Document, type Node, type YAMLSeq } from 'yaml';
import { parseMounts, parsePorts } from './compose/syntax.js';

type Path = readonly string[];

export interface SeqRule {
  /** identity of a list entry (from its plain JS value), e.g. a volume's container path */
  id: (item: unknown) => string | undefined;
  /** entries with these identities belong to the tool */
  managed: (id: string) => boolean;
}

export interface MergeRules {
  /** paths written once (when missing) and then left to the user */
  seed: (path: Path) => boolean;
  /** lists merged entry by entry */
  seqs: Record<string, SeqRule>;
  /** managed paths the tool removes when the fresh file does not have them (e.g. `user:` after a mode change) */
  conditional: string[];
  /** paths that must never exist (passwords in the environment) */
  forbidden: string[];
  /** first and last line of the header comment this tool writes (replaced); any other header is kept below ours */
  headerMarker: string;
  /** the last line of our header contains one of these */
  headerEnd: string | readonly string[];
  /** a last adjustment of the merged document (keys that must agree with what the user kept) */
  fixup?: (root: YAMLMap) => void;
}

const key = (p: Pair): string => String(isScalar(p.key) ? p.key.value : p.key);
const toJS = (n: unknown): unknown => (n && typeof n === 'object' && 'toJSON' in n ? (n as Node).toJSON() : n);
const same = (a: unknown, b: unknown) => JSON.stringify(toJS(a)) === JSON.stringify(toJS(b));

function clone<T>(n: T): T {
  return n && typeof n === 'object' && 'clone' in n ? ((n as unknown as Node).clone() as unknown as T) : n;
}

function getIn(map: YAMLMap, path: Path): unknown {
  let cur: unknown = map;
  for (const k of path) {
    if (!isMap(cur)) return undefined;
    cur = cur.get(k, true);
  }
  return cur;
}

/** Delete path; then delete parents that became empty (only along the path). */
function deleteIn(root: YAMLMap, path: Path): boolean {
  const parent = getIn(root, path.slice(0, -1));
  if (!isMap(parent) || !parent.has(path[path.length - 1])) return false;
  parent.delete(path[path.length - 1]);
  pruneEmpty(root, path.slice(0, -1));
  return true;
}

function pruneEmpty(root: YAMLMap, path: Path): void {
  for (let i = path.length; i > 0; i--) {
    const node = getIn(root, path.slice(0, i));
    const empty = (isMap(node) || isSeq(node)) && node.items.length === 0;
    if (!empty) return;
    const parent = getIn(root, path.slice(0, i - 1));
    if (isMap(parent)) parent.delete(path[i - 1]);
  }
}

function setValue(pair: Pair, fresh: unknown): void {
  const old = pair.value as Node | null;
  const next = clone(fresh) as Node;
  // keep the user's trailing comment on the value, else take ours
  if (old && typeof old === 'object' && 'comment' in old && old.comment && next && typeof next === 'object') next.comment = old.comment;
  pair.value = next;
}

function mergeSeq(old: YAMLSeq, fresh: YAMLSeq, rule: SeqRule): void {
  const freshById = new Map<string, unknown>();
  for (const item of fresh.items) {
    const id = rule.id(toJS(item));
    if (id !== undefined) freshById.set(id, item);
  }
  const seen = new Set<string>();
  const kept: unknown[] = [];
  for (const item of old.items) {
    const id = rule.id(toJS(item));
    if (id === undefined || !rule.managed(id)) {
      kept.push(item);
      continue;
    }
    const f = freshById.get(id);
    if (f === undefined || seen.has(id)) continue; // managed entry no longer wanted, or a duplicate
    seen.add(id);
    if (same(item, f)) kept.push(item);
    else {
      const next = clone(f) as Node;
      const comment = (item as Node).comment;
      if (comment && isScalar(item) && isScalar(next)) next.comment = comment;
      kept.push(next);
    }
  }
  for (const [id, f] of freshById) if (!seen.has(id)) kept.push(clone(f));
  old.items = kept;
}

/**
 * `environment:` written as a list of KEY=value (Compose accepts both forms) as the equivalent mapping,
 * entries and comments kept, so it merges key by key. undefined when an entry is not KEY[=value].
 */
function envListToMap(seq: YAMLSeq): YAMLMap | undefined {
  const map = new YAMLMap();
  for (const item of seq.items) {
    if (!isScalar(item) || typeof item.value !== 'string') return undefined;
    const m = /^([^=\s]+)(?:=(.*))?$/s.exec(item.value);
    if (!m) return undefined;
    const k = new Scalar(m[1]);
    const v = new Scalar(m[2] === undefined ? null : m[2]);
    if (item.commentBefore) k.commentBefore = item.commentBefore;
    if (item.comment) v.comment = item.comment;
    map.items.push(new Pair(k, v));
  }
  map.commentBefore = seq.commentBefore;
  map.comment = seq.comment;
  return map;
}

function mergeMap(old: YAMLMap, fresh: YAMLMap, path: Path, rules: MergeRules): void {
  for (const pair of fresh.items as Pair[]) {
    const k = key(pair);
    const p = [...path, k];
    const oldPair = (old.items as Pair[]).find((x) => key(x) === k);
    if (!oldPair) {
      old.items.push(clone(pair));
      continue;
    }
    if (rules.seed(p)) continue;
    if (k === 'environment' && isSeq(oldPair.value) && isMap(pair.value)) {
      const asMap = envListToMap(oldPair.value);
      if (asMap) oldPair.value = asMap;
    }
    const rule = rules.seqs[p.join('.')];
    if (isMap(oldPair.value) && isMap(pair.value)) mergeMap(oldPair.value, pair.value, p, rules);
    else if (rule && isSeq(oldPair.value) && isSeq(pair.value)) mergeSeq(oldPair.value, pair.value, rule);
    else if (!same(oldPair.value, pair.value)) setValue(oldPair, pair.value);
  }
}

const STRINGIFY = { lineWidth: 0, flowCollectionPadding: false } as const;

/** Where a header comment lives: before the document, or (no blank line after it) on the first key. */
interface CommentHolder {
  commentBefore?: string | null;
}

function headerHolders(doc: Document): CommentHolder[] {
  const out: CommentHolder[] = [doc];
  if (isMap(doc.contents)) {
    out.push(doc.contents);
    const first = doc.contents.items[0] as Pair | undefined;
    if (first && isScalar(first.key)) out.push(first.key);
  }
  return out;
}

/** [start, end) of the header block this tool writes: from the marker's line to the end of the headerEnd line */
function ourBlock(text: string, rules: MergeRules): [number, number] | undefined {
  const at = text.indexOf(rules.headerMarker);
  if (at === -1) return undefined;
  const ends = (typeof rules.headerEnd === 'string' ? [rules.headerEnd] : rules.headerEnd).map((e) => text.indexOf(e, at)).filter((i) => i >= 0);
  if (ends.length === 0) return undefined;
  const endAt = Math.min(...ends);
  const lineEnd = text.indexOf('\n', endAt);
  return [text.lastIndexOf('\n', at) + 1, lineEnd === -1 ? text.length : lineEnd];
}

/**
 * Our header is replaced by the fresh one, in place, wherever the parser attached it (the document,
 * or the first key when no blank line follows the comment block). A foreign header (e.g. PhotoPrism's
 * example) is kept, below ours.
 */
function mergeHeader(oldDoc: Document, freshDoc: Document, rules: MergeRules): void {
  let fresh: string | undefined;
  for (const h of headerHolders(freshDoc)) {
    const b = h.commentBefore ? ourBlock(h.commentBefore, rules) : undefined;
    if (b) fresh = h.commentBefore!.slice(b[0], b[1]);
    if (fresh !== undefined) break;
  }
  if (fresh === undefined) return;
  for (const h of headerHolders(oldDoc)) {
    const text = h.commentBefore ?? '';
    const b = ourBlock(text, rules);
    if (b) {
      h.commentBefore = text.slice(0, b[0]) + fresh + text.slice(b[1]);
      return;
    }
  }
  const foreign = (oldDoc.commentBefore ?? '').replace(/^\n+/, '');
  oldDoc.commentBefore = foreign ? `${fresh}\n\n${foreign}` : fresh;
}

/**
 * Merge `freshText` (what the tool renders now) into `oldText` (what is on disk).
 * Returns oldText unchanged, byte for byte, when the merge changes nothing.
 */
export function mergeYaml(oldText: string, freshText: string, rules: MergeRules): { text: string; changed: boolean } {
  const oldDoc = parseDocument(oldText, { keepSourceTokens: false });
  const freshDoc = parseDocument(freshText);
  if (oldDoc.errors.length) throw new Error(`cannot merge: the existing file is not valid YAML (${oldDoc.errors[0]!.message})`);
  if (!isMap(oldDoc.contents)) {
    // empty or not a mapping: nothing of the user's to keep
    return { text: freshText, changed: oldText !== freshText };
  }
  const before = oldDoc.toString(STRINGIFY);
  const root = oldDoc.contents as YAMLMap;
  mergeMap(root, freshDoc.contents as YAMLMap, [], rules);

  for (const [p, rule] of Object.entries(rules.seqs)) {
    const path = p.split('.');
    if (getIn(freshDoc.contents as YAMLMap, path) !== undefined) continue;
    const seq = getIn(root, path);
    if (!isSeq(seq)) continue;
    seq.items = seq.items.filter((item) => {
      const id = rule.id(toJS(item));
      return id === undefined || !rule.managed(id);
    });
    pruneEmpty(root, path);
  }
  for (const p of rules.conditional) {
    const path = p.split('.');
    if (getIn(freshDoc.contents as YAMLMap, path) === undefined) deleteIn(root, path);
  }
  for (const p of rules.forbidden) deleteIn(root, p.split('.'));
  rules.fixup?.(root);

  // header: ours is replaced; a foreign header (e.g. PhotoPrism's example) is kept below ours
  mergeHeader(oldDoc, freshDoc, rules);

  const after = oldDoc.toString(STRINGIFY);
  if (after === before) return { text: oldText, changed: false };
  return { text: after, changed: true };
}

// ---------------------------------------------------------------------------------------------
// the rules for the two files this tool manages

/** "127.0.0.1:8080:2342/tcp" or {target: 2342} -> "2342" (the compose model's port grammar) */
export function portTarget(item: unknown): string | undefined {
  return parsePorts([item])[0]?.target;
}

/** "./storage:/photoprism/storage:rw" or {target} -> "/photoprism/storage" (the compose model's volume grammar) */
export function volumeTarget(item: unknown): string | undefined {
  return parseMounts([item])[0]?.target;
}

const deviceHost = (item: unknown) =>
  typeof item === 'string' ? item.split(':')[0] : item && typeof item === 'object' && 'source' in item ? String((item as { source: unknown }).source) : undefined;
const optName = (item: unknown) => (typeof item === 'string' ? item.split(/[:=]/)[0] : undefined);
const secretName = (item: unknown) =>
  typeof item === 'string' ? item : item && typeof item === 'object' && 'source' in item ? String((item as { source: unknown }).source) : undefined;
const driver = (item: unknown) => (item && typeof item === 'object' && 'driver' in item ? String((item as { driver: unknown }).driver) : undefined);

const capName = (item: unknown) => (typeof item === 'string' ? item.toUpperCase().replace(/^CAP_/, '') : undefined);
const networkName = (item: unknown) => (typeof item === 'string' ? item : undefined);
/** the capabilities the template adds back (src/audit: least privilege); DAC_READ_SEARCH: what earlier versions added, replaced */
const TOOL_CAPS = new Set(['CHOWN', 'DAC_OVERRIDE', 'DAC_READ_SEARCH', 'FOWNER', 'SETUID', 'SETGID']);

const PP = 'services.photoprism';
const DB = 'services.mariadb';
const COMPOSE_SEED = new Set([
  `${PP}.image`,
  `${PP}.stop_grace_period`,
  `${PP}.restart`,
  `${DB}.image`,
  `${DB}.command`,
  `${DB}.restart`,
  `${DB}.stop_grace_period`,
  `${DB}.healthcheck`,
]);

/**
 * Compose refuses `pids_limit` beside a `deploy.resources.limits` that does not say the same `pids`
 * ("can't set distinct values"): where a service keeps limits of the user's, the PID limit goes there
 * (a `pids` the user set there wins).
 */
function pidsLimitInDeploy(root: YAMLMap): void {
  const services = root.get('services');
  if (!isMap(services)) return;
  for (const pair of services.items) {
    const svc = pair.value;
    if (!isMap(svc) || !svc.has('pids_limit')) continue;
    const limits = svc.getIn(['deploy', 'resources', 'limits']);
    if (!isMap(limits)) continue;
    if (!limits.has('pids')) limits.set('pids', svc.get('pids_limit', true));
    svc.delete('pids_limit');
  }
}

export const HEADER_MARKER = 'PhotoPrism + MariaDB, hardened - generated by photoprism-harden';

export const COMPOSE_RULES: MergeRules = {
  seed: (p) => COMPOSE_SEED.has(p.join('.')) || p.join('.').startsWith(`${DB}.healthcheck.`),
  seqs: {
    [`${PP}.ports`]: { id: portTarget, managed: (id) => id === '2342' },
    [`${PP}.volumes`]: {
      id: volumeTarget,
      managed: (id) => ['/photoprism/originals', '/photoprism/import', '/photoprism/storage'].includes(id),
    },
    [`${PP}.devices`]: { id: deviceHost, managed: (id) => id === '/dev/dri' || id === '/dev/video11' },
    [`${PP}.security_opt`]: { id: optName, managed: (id) => id === 'no-new-privileges' },
    [`${PP}.deploy.resources.reservations.devices`]: { id: driver, managed: (id) => id === 'nvidia' },
    [`${DB}.volumes`]: { id: volumeTarget, managed: (id) => id === '/var/lib/mysql' },
    [`${DB}.security_opt`]: { id: optName, managed: (id) => id === 'no-new-privileges' },
    [`${DB}.secrets`]: { id: secretName, managed: (id) => id === 'DB_PWD' || id === 'DB_ROOT_PWD' },
    // least privilege (issue 12): the entries this tool writes are its own; capabilities or networks a user
    // added stay
    [`${PP}.cap_drop`]: { id: capName, managed: (id) => id === 'ALL' },
    [`${PP}.cap_add`]: { id: capName, managed: (id) => TOOL_CAPS.has(id) },
    [`${PP}.networks`]: { id: networkName, managed: (id) => id === 'default' || id === 'database' },
    [`${DB}.cap_drop`]: { id: capName, managed: (id) => id === 'ALL' },
    [`${DB}.cap_add`]: { id: capName, managed: (id) => TOOL_CAPS.has(id) },
    [`${DB}.networks`]: { id: networkName, managed: (id) => id === 'database' },
  },
  conditional: [
    `${PP}.user`,
    `${PP}.environment.PHOTOPRISM_UID`,
    `${PP}.environment.PHOTOPRISM_GID`,
    `${PP}.environment.NVIDIA_VISIBLE_DEVICES`,
    `${PP}.environment.NVIDIA_DRIVER_CAPABILITIES`,
  ],
  forbidden: [
    `${PP}.environment.PHOTOPRISM_ADMIN_PASSWORD`,
    `${PP}.environment.PHOTOPRISM_DATABASE_PASSWORD`,
    `${DB}.environment.MARIADB_PASSWORD`,
    `${DB}.environment.MARIADB_ROOT_PASSWORD`,
    `${DB}.environment.MYSQL_PASSWORD`,
    `${DB}.environment.MYSQL_ROOT_PASSWORD`,
  ],
  headerMarker: HEADER_MARKER,
  headerEnd: '(--force-recreate also re-runs the init actions',
  fixup: pidsLimitInDeploy,
};

/** options.yml keys driven by the answers; every other key is written once and then belongs to the user (or the web UI). */
export const OPTIONS_MANAGED = new Set([
  'AdminUser',
  'AdminPassword',
  'SiteUrl',
  'DisableTLS',
  'DefaultTLS',
  'DatabaseDriver',
  'DatabaseServer',
  'DatabaseName',
  'DatabaseUser',
  'DatabasePassword',
  'DatabaseDsn',
  'FFmpegEncoder',
]);

export const OPTIONS_RULES: MergeRules = {
  seed: (p) => !OPTIONS_MANAGED.has(p[0]!),
  seqs: {},
  conditional: [],
  forbidden: [],
  headerMarker: 'PhotoPrism options - written by photoprism-harden',
  headerEnd: ['DatabasePassword must stay equal to ', 'The database is SQLite (index.db'],
};

