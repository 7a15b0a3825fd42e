// The one table of questions. The interactive flow, the command-line flags, the answers file and its
// JSON Schema are all derived from it, so they cannot drift apart.

import {
  INIT_ACTIONS,
  INIT_ACTION_NAMES,
  SUPPORTED_GIDS,
  SUPPORTED_UIDS,
  TRANSCODINGS,
  TRANSCODING_INFO,
  UNSAFE_OVERRIDES,
  USER_MODES,
  formatRanges,
  transcodingDevice,
  type Transcoding,
  type UnsafeOverride,
  type UserMode,
} from './domain.js';
import { defaultPlainGid, defaultUid, type HostFacts } from './host.js';
import {
  checkPassword,
  devicesFor,
  deviceAccess,
  fail,
  gidProblems,
  initActionProblems,
  ok,
  parseAdminUser,
  parseGid,
  parseHostPath,
  parseInitActions,
  parsePort,
  parseSiteUrl,
  parseUid,
  transcodingProblems,
  uidProblems,
  type Problem,
  type Result,
} from './validate.js';
import { IMAGE_MEMBER_GIDS, inRanges } from './domain.js';

export interface Answers {
  originalsPath: string;
  importPath: string;
  behindProxy: boolean;
  httpPort: number;
  siteUrl: string;
  transcoding: Transcoding;
  userMode: UserMode;
  uid: number;
  gid: number;
  allowUnsafe: UnsafeOverride[];
  initActions: string[];
  adminUser: string;
  adminPassword: string;
  databasePassword: string;
  databaseRootPassword: string;
}

export type Key = keyof Answers;

export const SECRET_KEYS = ['adminPassword', 'databasePassword', 'databaseRootPassword'] as const;
export type SecretKey = (typeof SECRET_KEYS)[number];

export interface Ctx {
  answers: Partial<Answers>;
  facts: HostFacts;
}

export interface Choice<V> {
  value: V;
  name: string;
  description?: string;
  /** shown as the answer once chosen */
  short?: string;
}

export type Kind = 'input' | 'number' | 'confirm' | 'select' | 'checkbox' | 'secret' | 'override';

export interface Question<K extends Key = Key> {
  key: K;
  kind: Kind;
  /** short label for summaries */
  label: string;
  /** the prompt text */
  message: string;
  /** one-line description (answers-file schema, --help, README) */
  description: string;
  /** command-line flag name without dashes; secrets have none (never on the command line) */
  flag?: string;
  flagArg?: string;
  choices?: (ctx: Ctx) => Choice<string>[];
  default: (ctx: Ctx) => Answers[K];
  /** asked only when this holds; otherwise the default applies */
  when?: (ctx: Ctx) => boolean;
  /** type and single-field validation, shared by prompts, flags and the answers file */
  parse: (raw: unknown) => Result<Answers[K]>;
  /** cross-field checks against earlier answers and the host */
  check?: (value: Answers[K], ctx: Ctx) => Problem[];
  /** extra explanation shown before the prompt (and in the plan's messages) */
  hint?: (ctx: Ctx) => string[];
  /** JSON Schema of the value in the answers file */
  schema: Record<string, unknown>;
}

function enumParser<T extends string>(what: string, values: readonly T[]) {
  return (raw: unknown): Result<T> =>
    typeof raw === 'string' && (values as readonly string[]).includes(raw)
      ? ok(raw as T)
      : fail(`${what} must be one of: ${values.join(', ')}; got ${JSON.stringify(raw)}`);
}

function boolParser(what: string) {
  return (raw: unknown): Result<boolean> => {
    if (typeof raw === 'boolean') return ok(raw);
    if (raw === 'true' || raw === 'yes') return ok(true);
    if (raw === 'false' || raw === 'no') return ok(false);
    return fail(`${what} must be true or false; got ${JSON.stringify(raw)}`);
  };
}

function passwordParser(what: string) {
  return (raw: unknown) => checkPassword(raw, what);
}

export function parseOverrides(raw: unknown): Result<UnsafeOverride[]> {
  const list = Array.isArray(raw) ? raw : typeof raw === 'string' ? raw.split(/[\s,]+/).filter(Boolean) : null;
  if (!list) return fail(`allowUnsafe must be a list of: ${UNSAFE_OVERRIDES.join(', ')}`);
  const out: UnsafeOverride[] = [];
  for (const item of list) {
    if (typeof item !== 'string' || !(UNSAFE_OVERRIDES as readonly string[]).includes(item)) {
      return fail(`allowUnsafe: unknown override ${JSON.stringify(item)}; allowed: ${UNSAFE_OVERRIDES.join(', ')}`);
    }
    if (!out.includes(item as UnsafeOverride)) out.push(item as UnsafeOverride);
  }
  return ok(out);
}

const need = <K extends Key>(ctx: Ctx, k: K): Answers[K] => {
  const v = ctx.answers[k];
  if (v === undefined) throw new Error(`internal: ${k} is needed before it was answered`);
  return v as Answers[K];
};

/** The GID to suggest: the video device's group when hardware transcoding needs it and the image supports it. */
export function suggestedGid(ctx: Ctx): number {
  const uid = need(ctx, 'uid');
  const plain = defaultPlainGid(ctx.facts, uid);
  const nodes = devicesFor(need(ctx, 'transcoding'), ctx.facts);
  if (nodes.length === 0) return plain;
  if (nodes.every((n) => deviceAccess(n, uid, plain).canOpen)) return plain;
  const g = nodes[0]!.gid;
  if (g !== 0 && inRanges(g, SUPPORTED_GIDS) && nodes.every((n) => deviceAccess(n, uid, g).canOpen)) return g;
  return plain;
}

/** Explain the video device's group: what it is, and what it means for the GID. */
export function deviceHints(ctx: Ctx): string[] {
  const t = need(ctx, 'transcoding');
  const nodes = devicesFor(t, ctx.facts);
  const lines: string[] = [];
  for (const n of nodes) {
    const gname = ctx.facts.groups.find((g) => g.gid === n.gid)?.name;
    const label = `${n.path} belongs to group ${n.gid}${gname ? ` (${gname} on this host)` : ''}, mode ${(n.mode & 0o777).toString(8).padStart(4, '0')}`;
    const image = IMAGE_MEMBER_GIDS.get(n.gid);
    if ((n.mode & 0o006) === 0o006) lines.push(`${label}: everyone may open it, so any GID works.`);
    else if (image) lines.push(`${label}: the image's accounts already belong to group ${n.gid} (${image}), so any supported GID can open it.`);
    else if (n.gid !== 0 && inRanges(n.gid, SUPPORTED_GIDS)) lines.push(`${label}: the image supports GID ${n.gid}, so it is suggested as PHOTOPRISM_GID.`);
    else
      lines.push(
        `${label}: GID ${n.gid} is not one the image supports (${formatRanges(SUPPORTED_GIDS)}). Give the node to group video (44) with a udev rule: SUBSYSTEM=="drm", KERNEL=="renderD*", GROUP="video", MODE="0660" in /etc/udev/rules.d/99-photoprism.rules, then "udevadm control --reload && udevadm trigger".`,
      );
  }
  if (transcodingDevice(t) === 'nvidia' && !ctx.facts.nvidia) {
    lines.push('No NVIDIA driver was found (/dev/nvidiactl is missing): install the NVIDIA driver and the NVIDIA Container Toolkit before starting PhotoPrism.');
  }
  return lines;
}

export function defaultInitActions(ctx: Ctx): string[] {
  const t = need(ctx, 'transcoding');
  const a = ['update'];
  if (!need(ctx, 'behindProxy')) a.push('https');
  if (t !== 'raspberry') a.push('tensorflow');
  if (t === 'nvidia') a.push('gpu');
  if (t === 'intel') a.push('intel');
  return parseInitActions(a).ok ? (parseInitActions(a) as { value: string[] }).value : a;
}

/** Type each entry by its own key, then widen for the table. */
function def<K extends Key>(q: Question<K>): Question {
  return q as unknown as Question;
}

export const QUESTIONS: readonly Question[] = [
  def({
    key: 'originalsPath',
    kind: 'input',
    label: 'Originals folder',
    message: 'Folder with your photos and videos (originals)',
    description: 'host folder mounted as /photoprism/originals; relative paths are relative to the install directory; it is never chowned',
    flag: 'originals-path',
    flagArg: '<path>',
    default: () => './originals',
    parse: (raw) => parseHostPath(raw, 'originalsPath', false),
    schema: { type: 'string', minLength: 1 },
  }),
  def({
    key: 'importPath',
    kind: 'input',
    label: 'Import folder',
    message: 'Import folder (optional; leave empty for none)',
    description: 'host folder mounted as /photoprism/import; empty string for none',
    flag: 'import-path',
    flagArg: '<path>',
    default: () => '',
    parse: (raw) => parseHostPath(raw, 'importPath', true),
    check: (v, ctx) => (v !== '' && v === ctx.answers.originalsPath ? [{ message: 'importPath must differ from originalsPath' }] : []),
    schema: { type: 'string' },
  }),
  def({
    key: 'behindProxy',
    kind: 'confirm',
    label: 'Behind a reverse proxy',
    message: 'Is there a reverse proxy (Caddy, Traefik, nginx) on this host in front of PhotoPrism?',
    description: 'true binds the PhotoPrism port to 127.0.0.1 only and lets the proxy terminate TLS',
    flag: 'behind-proxy',
    default: () => false,
    parse: boolParser('behindProxy'),
    schema: { type: 'boolean' },
  }),
  def({
    key: 'httpPort',
    kind: 'number',
    label: 'HTTP port on the host',
    message: 'Port on the host for PhotoPrism (the container port stays 2342)',
    description: 'host port published for PhotoPrism (container port is always 2342)',
    flag: 'http-port',
    flagArg: '<port>',
    default: () => 2342,
    parse: parsePort,
    schema: { type: 'integer', minimum: 1, maximum: 65535 },
  }),
  def({
    key: 'siteUrl',
    kind: 'input',
    label: 'Site URL',
    message: 'Public URL of PhotoPrism, as users will open it',
    description: 'the URL users open, http(s)://domain.name(:port)/(path)',
    flag: 'site-url',
    flagArg: '<url>',
    default: (ctx) => `http://localhost:${need(ctx, 'httpPort')}/`,
    parse: parseSiteUrl,
    schema: { type: 'string', pattern: '^https?://' },
  }),
  def({
    key: 'transcoding',
    kind: 'select',
    label: 'Video transcoding',
    message: 'Video transcoding',
    description: 'FFmpeg encoder and the device it needs: software, intel (Quick Sync), vaapi, nvidia, raspberry',
    flag: 'transcoding',
    flagArg: '<encoder>',
    choices: () => TRANSCODINGS.map((t) => ({ value: t, name: TRANSCODING_INFO[t].title, description: TRANSCODING_INFO[t].description })),
    default: () => 'software',
    parse: enumParser('transcoding', TRANSCODINGS),
    schema: { type: 'string', enum: [...TRANSCODINGS] },
  }),
  def({
    key: 'userMode',
    kind: 'select',
    label: 'How PhotoPrism drops root',
    message: 'How should PhotoPrism run as a non-root user?',
    description: 'photoprism-uid: PHOTOPRISM_UID/GID (starts as root for init, then drops privileges; recommended); user: the compose "user:" property (never root, init actions limited)',
    flag: 'user-mode',
    flagArg: '<mode>',
    choices: () => [
      {
        value: 'photoprism-uid',
        name: 'PHOTOPRISM_UID / PHOTOPRISM_GID (recommended)',
        description: 'starts as root only to run init actions and fix storage ownership, then switches to UID:GID for good',
      },
      {
        value: 'user',
        name: 'compose "user:" property',
        description:
          'never root, but: no root init, so the entrypoint cannot chown storage and init actions (update, gpu, ...) only run through sudo inside the container; "no-new-privileges" cannot be used',
      },
    ],
    default: () => 'photoprism-uid',
    parse: enumParser('userMode', USER_MODES),
    schema: { type: 'string', enum: [...USER_MODES] },
  }),
  def({
    key: 'uid',
    kind: 'number',
    label: 'UID',
    message: 'User id (UID) PhotoPrism runs as',
    description: `PHOTOPRISM_UID (or user:) - supported: ${formatRanges(SUPPORTED_UIDS)}; default: a supported UID no host account uses`,
    flag: 'uid',
    flagArg: '<uid>',
    default: (ctx) => defaultUid(ctx.facts),
    parse: parseUid,
    check: (v, ctx) => uidProblems(v, ctx.facts),
    hint: (ctx) => [
      `Supported UIDs: ${formatRanges(SUPPORTED_UIDS)}. Avoid root and the UID of any person on this host (ids are shared with the host).`,
      `Suggested: ${defaultUid(ctx.facts)}, which no account on this host uses.`,
    ],
    schema: { type: 'integer', minimum: 0 },
  }),
  def({
    key: 'gid',
    kind: 'number',
    label: 'GID',
    message: 'Group id (GID) PhotoPrism runs as',
    description: `PHOTOPRISM_GID (always set with the UID) - supported: ${formatRanges(SUPPORTED_GIDS)}; default: the render node's group when hardware transcoding needs it, else a free GID`,
    flag: 'gid',
    flagArg: '<gid>',
    default: (ctx) => suggestedGid(ctx),
    parse: parseGid,
    check: (v, ctx) => [...gidProblems(v, ctx.facts), ...transcodingProblems(need(ctx, 'transcoding'), need(ctx, 'uid'), v, ctx.facts)],
    hint: (ctx) => [`Supported GIDs: ${formatRanges(SUPPORTED_GIDS)}.`, ...deviceHints(ctx)],
    schema: { type: 'integer', minimum: 0 },
  }),
  def({
    key: 'initActions',
    kind: 'checkbox',
    label: 'Init actions',
    message: 'Init actions (PHOTOPRISM_INIT) run as root when the container is created',
    description: `PHOTOPRISM_INIT actions: ${INIT_ACTION_NAMES.join(', ')}`,
    flag: 'init-actions',
    flagArg: '<list>',
    choices: () => INIT_ACTIONS.map((a) => ({ value: a.name, name: a.name, description: a.description })),
    default: defaultInitActions,
    parse: parseInitActions,
    check: (v, ctx) => initActionProblems(v, need(ctx, 'transcoding')),
    schema: { type: 'array', items: { type: 'string', enum: [...INIT_ACTION_NAMES] }, uniqueItems: true },
  }),
  def({
    key: 'adminUser',
    kind: 'input',
    label: 'Admin user',
    message: 'PhotoPrism admin user name',
    description: 'name of the initial PhotoPrism admin account',
    flag: 'admin-user',
    flagArg: '<name>',
    default: () => 'admin',
    parse: parseAdminUser,
    schema: { type: 'string', pattern: '^[a-z0-9][a-z0-9._@-]{0,254}$' },
  }),
  def({
    key: 'adminPassword',
    kind: 'secret',
    label: 'Admin password',
    message: 'Initial admin password (8-72 characters)',
    description: 'initial admin password, 8-72 characters; generated when absent (or from PHOTOPRISM_HARDEN_ADMIN_PASSWORD)',
    default: () => '',
    parse: passwordParser('adminPassword'),
    schema: { type: 'string', minLength: 8, maxLength: 72 },
  }),
  def({
    key: 'databasePassword',
    kind: 'secret',
    label: 'Database password',
    message: 'MariaDB password of the photoprism database user (8-72 characters)',
    description: 'MariaDB password of user photoprism; generated when absent (or from PHOTOPRISM_HARDEN_DATABASE_PASSWORD)',
    default: () => '',
    parse: passwordParser('databasePassword'),
    schema: { type: 'string', minLength: 8, maxLength: 72 },
  }),
  def({
    key: 'databaseRootPassword',
    kind: 'secret',
    label: 'Database root password',
    message: 'MariaDB root password (8-72 characters)',
    description: 'MariaDB root password; generated when absent (or from PHOTOPRISM_HARDEN_DATABASE_ROOT_PASSWORD)',
    default: () => '',
    parse: passwordParser('databaseRootPassword'),
    check: (v, ctx) => (v && v === ctx.answers.databasePassword ? [{ message: 'databaseRootPassword must differ from databasePassword' }] : []),
    schema: { type: 'string', minLength: 8, maxLength: 72 },
  }),
  def({
    key: 'allowUnsafe',
    kind: 'override',
    label: 'Accepted risks',
    message: 'Accepted risks',
    description: `explicit risk overrides: ${UNSAFE_OVERRIDES.join(', ')} (root: UID/GID 0; host-account: the UID of a person on this host; device-group: a GID that cannot open the video device)`,
    flag: 'allow-unsafe',
    flagArg: '<list>',
    default: () => [],
    parse: parseOverrides,
    schema: { type: 'array', items: { type: 'string', enum: [...UNSAFE_OVERRIDES] }, uniqueItems: true },
  }),
];

export function question<K extends Key>(key: K): Question<K> {
  const q = QUESTIONS.find((x) => x.key === key);
  if (!q) throw new Error(`internal: no question ${key}`);
  return q as unknown as Question<K>;
}

export const ANSWER_KEYS: readonly Key[] = QUESTIONS.map((q) => q.key);

/** JSON Schema of the answers file, derived from the table. */
export function answersSchema(): Record<string, unknown> {
  const properties: Record<string, unknown> = {};
  for (const q of QUESTIONS) properties[q.key] = { description: q.description, ...q.schema };
  return {
    $schema: 'http://json-schema.org/draft-07/schema#',
    title: 'photoprism-harden answers file',
    description: 'Answers for `photoprism-harden init --answers FILE.yml`. Every key is optional; missing keys take the wizard\'s defaults.',
    type: 'object',
    additionalProperties: false,
    properties,
  };
}
