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
import { octalMode } from './text.js';
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
  transcodingDeviceProblems,
  transcodingProblems,
  uidProblems,
  ADMIN_USER_PATTERN,
  HOST_PATH_PATTERN,
  NO_IMPORT,
  PASSWORD_PATTERN,
  RESERVED_USER_NAMES,
  type Problem,
  type Result,
} from './validate.js';
import { IMAGE_MEMBER_GIDS, inRanges, type IdRange } from './domain.js';
import { TARGET_NAMES, TARGET_REGISTRY, type TargetName } from './targets/registry.js';

/** The answers, derived from the table below: one property per question, of the type its parser returns. */
export type Answers = { -readonly [K in keyof typeof TABLE]: (typeof TABLE)[K] extends Spec<infer V> ? V : never };

export type Key = keyof Answers;

export const SECRET_KEYS = ['adminPassword', 'databasePassword', 'databaseRootPassword'] as const satisfies readonly Key[];
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
  /** not selectable here, with the reason */
  disabled?: string;
}

export type Kind = 'input' | 'number' | 'confirm' | 'select' | 'checkbox' | 'secret' | 'override';

/**
 * What an existing installation says, digested for the questions' read-back (src/previous.ts builds it
 * from the compose file and options.yml). Each question reads its own previous value from it.
 */
export interface ReadBack {
  /** the compose file has a photoprism service */
  service: boolean;
  /** its environment (mapping or KEY=value list) */
  env: Record<string, string>;
  /** options.yml as read, when it parses */
  options: Record<string, unknown> | undefined;
  /** `user: "UID[:GID]"` of the service (gid undefined when not written: the engine picks the group) */
  user?: { uid: number; gid: number | undefined };
  /** the host side of the port that reaches container port 2342 */
  port?: { published?: number; loopback: boolean };
  /** an adopted installation reached only through a reverse proxy (proxy labels, or no published port) */
  proxied?: boolean;
  /** bind-mount source of a container path */
  source(target: string): string | undefined;
  /** host device paths of `devices:` */
  devices: string[];
  /** a `deploy:` block that reserves NVIDIA devices */
  nvidia: boolean;
  /** what the read-back noticed (an unknown init action, ...) */
  notes: string[];
}

/** One question of value type V: everything the prompts, flags, answers file, docs and summary need. */
export interface Spec<V> {
  kind: Kind;
  /** the name a person sees: summaries, messages (with the answers-file key in parentheses where a file is meant) */
  label: string;
  /** the prompt text */
  message: string;
  /** one-line description (answers-file schema, --help) */
  description: string;
  /** the notes column of the README's question table */
  readme: string;
  /** command-line flag name without dashes; secrets have none (never on the command line) */
  flag?: string;
  flagArg?: string;
  choices?(ctx: Ctx): Choice<string>[];
  default(ctx: Ctx): V;
  /** type and single-field validation, shared by prompts, flags and the answers file */
  parse(raw: unknown): Result<V>;
  /** cross-field checks against earlier answers and the host */
  check?(value: V, ctx: Ctx): Problem[];
  /** extra explanation shown before the prompt */
  hint?(ctx: Ctx): string[];
  /** JSON Schema of the value in the answers file: accepts exactly what `parse` accepts there (tested) */
  schema: Record<string, unknown>;
  /** the value in the summary (default: yes/no, a list joined by spaces, or the value itself) */
  display?(value: V, answers: Answers): string;
  /** the previous installation's value, read from what it wrote */
  readBack?(found: ReadBack): V | undefined;
  /**
   * Answers this default is derived from: when the previous value was just the derived default and one
   * of these changed, the new derived default is offered instead of the old value.
   */
  derivedFrom?: readonly Key[];
  /** asked only when this holds (earlier answers decide); otherwise the given value or the default applies */
  when?(ctx: Ctx): boolean;
  /** shown in the summary only when this holds (answers that matter for one target only) */
  shownIf?(a: Answers): boolean;
  /** the targets this answer means something for (absent: every target); given for another one, it is refused */
  targets?: readonly TargetName[];
}

/** A question of the table, with its key (widened over all keys: methods take any answer value). */
export type Question = Spec<Answers[Key]> & { readonly key: Key };

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

const str = (v: unknown): string | undefined => (typeof v === 'string' && v ? v : undefined);
const envId = (v: string | undefined): number | undefined => (v !== undefined && /^\d+$/.test(v) ? Number(v) : undefined);

/** JSON Schema of an id in one of the supported ranges. */
function rangesSchema(ranges: readonly IdRange[]): Record<string, unknown> {
  return { type: 'integer', anyOf: ranges.map(([lo, hi]) => (lo === hi ? { const: lo } : { minimum: lo, maximum: hi })) };
}

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

/** Explain the video device's group: what it is, and what it means for the GID (one hint per node; a hint may have several lines). */
export function deviceHints(ctx: Ctx): string[] {
  const t = need(ctx, 'transcoding');
  const nodes = devicesFor(t, ctx.facts);
  const lines: string[] = [];
  for (const n of nodes) {
    const gname = ctx.facts.groups.find((g) => g.gid === n.gid)?.name;
    const label = `${n.path} belongs to group ${n.gid}${gname ? ` (${gname} on this host)` : ''}, mode ${octalMode(n.mode)}`;
    const image = IMAGE_MEMBER_GIDS.get(n.gid);
    if ((n.mode & 0o006) === 0o006) lines.push(`${label}: everyone may open it, so any GID works.`);
    else if (image) lines.push(`${label}: the image's accounts already belong to group ${n.gid} (${image}), so any supported GID can open it.`);
    else if (n.gid !== 0 && inRanges(n.gid, SUPPORTED_GIDS)) lines.push(`${label}: the image supports GID ${n.gid}, so it is suggested as PHOTOPRISM_GID.`);
    else
      // one hint of three lines (one bullet): the explanation, then the rule and the command to copy
      lines.push(
        [
          `${label}: GID ${n.gid} is not one the image supports, so no GID can open it. Either choose Software transcoding, or give the node to group video (44) and run init again. The udev rule, in /etc/udev/rules.d/99-photoprism.rules:`,
          `    SUBSYSTEM=="drm", KERNEL=="renderD*", GROUP="video", MODE="0660"`,
          `    udevadm control --reload && udevadm trigger`,
        ].join('\n'),
      );
  }
  if (transcodingDevice(t) === 'nvidia' && !ctx.facts.nvidia) {
    lines.push('No NVIDIA driver was found (/dev/nvidiactl is missing): install the NVIDIA driver and the NVIDIA Container Toolkit before starting PhotoPrism.');
  }
  return lines;
}

/**
 * The init actions to preselect: "update" (the guide recommends it), and what the answers need
 * ("https" for PhotoPrism's own TLS, the GPU packages of the encoder). None in "user:" mode: the
 * container never runs as root there, so they would only run through sudo.
 */
export function defaultInitActions(ctx: Ctx): string[] {
  if (need(ctx, 'userMode') === 'user') return [];
  const t = need(ctx, 'transcoding');
  const a = ['update'];
  // PhotoPrism serves its own TLS only for an https:// site URL and without a proxy in front
  if (!need(ctx, 'behindProxy') && need(ctx, 'siteUrl').startsWith('https://')) a.push('https');
  if (t === 'nvidia') a.push('gpu');
  if (t === 'intel') a.push('intel');
  const r = parseInitActions(a);
  return r.ok ? r.value : a;
}

// ---------------------------------------------------------------------------------------------
// The table. Each entry is annotated with its value type (that annotation is where `Answers` gets it);
// TABLE lists them in the order they are asked.

const originalsPath: Spec<string> = {
  kind: 'input',
  label: 'Originals folder',
  message: 'Folder with your photos and videos (originals)',
  description: 'host folder mounted as /photoprism/originals; relative paths are relative to the install directory; it is never chowned',
  readme:
    'mounted at `/photoprism/originals`; relative to the install dir; default `./originals`; an existing folder is never chowned (a missing one is created, owned by UID:GID, and remembered in `.photoprism-harden/state.json`: after a UID/GID change that folder itself takes the new owner, never what is inside it). Sensitive host folders (`/`, `/etc`, …) are refused.',
  flag: 'originals-path',
  flagArg: '<path>',
  default: () => './originals',
  when: (ctx) => ctx.answers.target !== 'kubernetes', // a PersistentVolumeClaim there
  shownIf: (a) => a.target !== 'kubernetes',
  parse: (raw) => parseHostPath(raw, 'originalsPath', false),
  schema: { type: 'string', minLength: 1, pattern: HOST_PATH_PATTERN },
  readBack: (f) => f.source('/photoprism/originals'),
};

const importPath: Spec<string> = {
  kind: 'input',
  label: 'Import folder',
  message: `Import folder (optional; "${NO_IMPORT[0]}" for none)`,
  description: `host folder mounted as /photoprism/import; "" or "${NO_IMPORT[0]}" for none`,
  readme: `mounted at \`/photoprism/import\`; empty, \`${NO_IMPORT[0]}\` or \`${NO_IMPORT[1]}\` = none (also to drop the one an earlier run kept)`,
  flag: 'import-path',
  flagArg: '<path>',
  default: () => '',
  parse: (raw) => parseHostPath(raw, 'importPath', true),
  check: (v, ctx) =>
    v !== '' && v === ctx.answers.originalsPath
      ? [{ message: 'Import folder must differ from the originals folder (importPath, originalsPath)' }]
      : [],
  schema: { type: 'string', pattern: HOST_PATH_PATTERN },
  display: (v) => v || '(none)',
  readBack: (f) => (f.service ? (f.source('/photoprism/import') ?? '') : undefined),
};

const behindProxy: Spec<boolean> = {
  kind: 'confirm',
  label: 'Behind a reverse proxy',
  message: 'Is there a reverse proxy (Caddy, Traefik, nginx) on this host in front of PhotoPrism?',
  description: 'true binds the PhotoPrism port to 127.0.0.1 only and lets the proxy terminate TLS',
  readme: '`true` binds the port to `127.0.0.1` and disables PhotoPrism\'s own TLS',
  flag: 'behind-proxy',
  default: () => false,
  when: (ctx) => ctx.answers.target !== 'kubernetes', // an Ingress there
  shownIf: (a) => a.target !== 'kubernetes',
  parse: boolParser('behindProxy'),
  schema: { type: 'boolean' },
  readBack: (f) => (f.proxied ? true : f.port ? f.port.loopback : undefined),
};

const httpPort: Spec<number> = {
  kind: 'number',
  label: 'HTTP port on the host',
  message: 'Port on the host for PhotoPrism (the container port stays 2342)',
  description: 'host port published for PhotoPrism (container port is always 2342)',
  readme: 'default 2342; the container port always stays 2342',
  flag: 'http-port',
  flagArg: '<port>',
  default: () => 2342,
  // (kubernetes publishes no host port: a Service, an Ingress; the value is only the local port of
  // the "kubectl port-forward" the next steps show)
  when: (ctx) => ctx.answers.target !== 'kubernetes',
  shownIf: (a) => a.target !== 'kubernetes',
  parse: parsePort,
  schema: { type: 'integer', minimum: 1, maximum: 65535 },
  readBack: (f) => f.port?.published,
};

const siteUrl: Spec<string> = {
  kind: 'input',
  label: 'Site URL',
  message: 'Public URL of PhotoPrism, as users will open it',
  description: 'the URL users open, http(s)://domain.name(:port)/(path)',
  readme: '`http(s)://domain(:port)/(path)`; default `http://localhost:<port>/`; behind a proxy, the public https URL the proxy serves',
  flag: 'site-url',
  flagArg: '<url>',
  default: (ctx) => `http://localhost:${need(ctx, 'httpPort')}/`,
  parse: parseSiteUrl,
  hint: (ctx) =>
    need(ctx, 'behindProxy')
      ? ['Behind a reverse proxy, enter the public https URL the proxy serves (e.g. https://photos.example.com/): PhotoPrism builds its links and share URLs from it.']
      : [],
  schema: { type: 'string', pattern: '^\\s*([Hh][Tt][Tt][Pp][Ss]?://|[A-Za-z0-9.-]+(:[0-9]+)?(/|\\s*$))' },
  readBack: (f) => str(f.options?.SiteUrl) ?? f.env.PHOTOPRISM_SITE_URL,
  derivedFrom: ['httpPort'],
};

const transcoding: Spec<Transcoding> = {
  kind: 'select',
  label: 'Video transcoding',
  message: 'Video transcoding',
  description: 'FFmpeg encoder and the device it needs: software, intel (Quick Sync), vaapi, nvidia, raspberry',
  readme: '`software` (default), `intel` (Quick Sync), `vaapi`, `nvidia`, `raspberry`; sets `FFmpegEncoder` and the `devices:` / `deploy:` block it needs',
  flag: 'transcoding',
  flagArg: '<encoder>',
  choices: (ctx) =>
    TRANSCODINGS.map((t) => {
      const missing = transcodingDeviceProblems(t, ctx.facts).length > 0;
      const dev = transcodingDevice(t) === 'video11' ? '/dev/video11' : '/dev/dri';
      return {
        value: t,
        name: TRANSCODING_INFO[t].title,
        description: TRANSCODING_INFO[t].description,
        ...(missing ? { disabled: `(no ${dev} on this host)` } : {}),
      };
    }),
  default: () => 'software',
  parse: enumParser('transcoding', TRANSCODINGS),
  check: (v, ctx) => transcodingDeviceProblems(v, ctx.facts),
  schema: { type: 'string', enum: [...TRANSCODINGS] },
  display: (v) => `${TRANSCODING_INFO[v].title} (${v})`,
  readBack: (f) => {
    const encoder = str(f.options?.FFmpegEncoder) ?? f.env.PHOTOPRISM_FFMPEG_ENCODER;
    if (encoder && (TRANSCODINGS as readonly string[]).includes(encoder)) return encoder as Transcoding;
    if (!f.service) return undefined;
    if (f.nvidia) return 'nvidia';
    if (f.devices.includes('/dev/video11')) return 'raspberry';
    if (f.devices.includes('/dev/dri')) return 'vaapi';
    return undefined;
  },
};

const userMode: Spec<UserMode> = {
  kind: 'select',
  label: 'How PhotoPrism drops root',
  message: 'How should PhotoPrism run as a non-root user?',
  description: 'photoprism-uid: PHOTOPRISM_UID/GID (starts as root for init, then drops privileges; recommended); user: the compose "user:" property (never root, init actions limited)',
  readme:
    '`photoprism-uid` (default: `PHOTOPRISM_UID`/`GID`, root only for init actions) or `user` (the compose `user:` property: never root, but no root init, so the entrypoint cannot fix storage ownership and init actions only run through sudo). Never both.',
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
      description: 'never root; but the entrypoint cannot fix storage ownership, and init actions only run via sudo',
    },
  ],
  hint: (ctx) =>
    ctx.answers.target === 'kubernetes'
      ? ['On Kubernetes, "user" lets the namespace enforce PodSecurity "restricted" (PhotoPrism never root, no capabilities, no init actions); PHOTOPRISM_UID needs "baseline" (the entrypoint starts as root to run init actions and chown storage).']
      : ctx.answers.target === 'swarm'
        ? ['On Swarm, no-new-privileges is ignored: "user" runs PhotoPrism without root and without capabilities; PHOTOPRISM_UID keeps the root entrypoint with the capabilities it needs.']
        : [],
  default: () => 'photoprism-uid',
  parse: enumParser('userMode', USER_MODES),
  schema: { type: 'string', enum: [...USER_MODES] },
  display: (v) => (v === 'user' ? 'compose "user:" (user)' : 'PHOTOPRISM_UID / PHOTOPRISM_GID (photoprism-uid)'),
  readBack: (f) => (f.user ? 'user' : f.env.PHOTOPRISM_UID !== undefined && /^\d+$/.test(f.env.PHOTOPRISM_UID) ? 'photoprism-uid' : undefined),
};

const uid: Spec<number> = {
  kind: 'number',
  label: 'UID',
  message: 'User id (UID) PhotoPrism runs as',
  description: `PHOTOPRISM_UID (or user:) - supported: ${formatRanges(SUPPORTED_UIDS)}; default: a supported UID no host account uses`,
  readme: `supported: ${formatRanges(SUPPORTED_UIDS)}. Root and the UID of a regular host account (\`UID_MIN\`..\`UID_MAX\` of the real passwd database) are refused unless overridden.`,
  flag: 'uid',
  flagArg: '<uid>',
  default: (ctx) => defaultUid(ctx.facts),
  parse: parseUid,
  check: (v, ctx) => uidProblems(v, ctx.facts),
  hint: (ctx) => [
    `Supported UIDs: ${formatRanges(SUPPORTED_UIDS)}. Avoid root and the UID of any person on this host (ids are shared with the host).`,
    `Suggested: ${defaultUid(ctx.facts)}, which no account on this host uses.`,
  ],
  schema: rangesSchema(SUPPORTED_UIDS),
  readBack: (f) => f.user?.uid ?? envId(f.env.PHOTOPRISM_UID),
};

const gid: Spec<number> = {
  kind: 'number',
  label: 'GID',
  message: 'Group id (GID) PhotoPrism runs as',
  description: `PHOTOPRISM_GID (always set with the UID) - supported: ${formatRanges(SUPPORTED_GIDS)}; default: the render node's group when hardware transcoding needs it, else a free GID`,
  readme: 'supported: the UID list plus 44, 105, 109, 115, 116. Always written together with the UID.',
  flag: 'gid',
  flagArg: '<gid>',
  default: (ctx) => suggestedGid(ctx),
  parse: parseGid,
  check: (v, ctx) => [...gidProblems(v, ctx.facts), ...transcodingProblems(need(ctx, 'transcoding'), need(ctx, 'uid'), v, ctx.facts)],
  hint: (ctx) => [`Supported GIDs: ${formatRanges(SUPPORTED_GIDS)}.`, ...deviceHints(ctx)],
  schema: rangesSchema(SUPPORTED_GIDS),
  readBack: (f) => (f.user ? f.user.gid : envId(f.env.PHOTOPRISM_UID) === undefined ? undefined : (envId(f.env.PHOTOPRISM_GID) ?? envId(f.env.PHOTOPRISM_UID))),
  derivedFrom: ['uid', 'transcoding'],
};

const initActions: Spec<string[]> = {
  kind: 'checkbox',
  label: 'Init actions',
  message: 'Init actions (PHOTOPRISM_INIT), run once when the container is created',
  description: `PHOTOPRISM_INIT actions: ${INIT_ACTION_NAMES.join(', ')}`,
  readme: `${INIT_ACTION_NAMES.map((n) => `\`${n}\`${n === 'update' ? ' (preselected, recommended)' : ''}`).join(', ')}. In \`user\` mode none is preselected (they run only through sudo). Unknown actions and contradictions (\`ffmpeg\` with a hardware encoder, \`gpu\`/\`intel\` on a Raspberry Pi) are refused.`,
  flag: 'init-actions',
  flagArg: '<list>',
  choices: () => INIT_ACTIONS.map((a) => ({ value: a.name, name: a.name, description: a.description })),
  default: defaultInitActions,
  parse: parseInitActions,
  check: (v, ctx) => initActionProblems(v, need(ctx, 'transcoding')),
  schema: { type: 'array', items: { type: 'string', enum: [...INIT_ACTION_NAMES] } },
  display: (v) => (v.length ? v.join(' ') : '(none)'),
  readBack: (f) => {
    if (!f.service || !('PHOTOPRISM_INIT' in f.env)) return undefined;
    const r = parseInitActions(f.env.PHOTOPRISM_INIT!.split(/\s+/).filter(Boolean));
    if (r.ok) return r.value;
    f.notes.push(`PHOTOPRISM_INIT has an action this tool does not know (${f.env.PHOTOPRISM_INIT}); it is replaced by the chosen actions`);
    return undefined;
  },
  derivedFrom: ['transcoding', 'behindProxy', 'userMode'],
};

const adminUser: Spec<string> = {
  kind: 'input',
  label: 'Admin user',
  message: 'PhotoPrism admin user name',
  description: 'name of the initial PhotoPrism admin account',
  readme: 'lowercase letters, digits, `. _ @ -`; default `admin`',
  flag: 'admin-user',
  flagArg: '<name>',
  default: () => 'admin',
  parse: parseAdminUser,
  schema: { type: 'string', pattern: ADMIN_USER_PATTERN, not: { enum: [...RESERVED_USER_NAMES] } },
  readBack: (f) => str(f.options?.AdminUser) ?? f.env.PHOTOPRISM_ADMIN_USER,
};

const passwordSchema = { type: 'string', minLength: 8, maxLength: 72, pattern: PASSWORD_PATTERN };

const adminPassword: Spec<string> = {
  kind: 'secret',
  label: 'Admin password',
  message: 'Initial admin password (8-72 characters)',
  description: 'initial admin password, 8-72 characters; generated when absent (or from PHOTOPRISM_HARDEN_ADMIN_PASSWORD)',
  readme: 'generated (24 chars) or hidden prompt / answers file / `PHOTOPRISM_HARDEN_ADMIN_PASSWORD`',
  default: () => '',
  parse: passwordParser('adminPassword'),
  schema: passwordSchema,
};

const databasePassword: Spec<string> = {
  kind: 'secret',
  label: 'Database password',
  message: 'MariaDB password of the photoprism database user (8-72 characters)',
  description: 'MariaDB password of user photoprism; generated when absent (or from PHOTOPRISM_HARDEN_DATABASE_PASSWORD)',
  readme: 'generated (40 chars) or prompt / answers file / `PHOTOPRISM_HARDEN_DATABASE_PASSWORD`',
  default: () => '',
  parse: passwordParser('databasePassword'),
  schema: passwordSchema,
};

const databaseRootPassword: Spec<string> = {
  kind: 'secret',
  label: 'Database root password',
  message: 'MariaDB root password (8-72 characters)',
  description: 'MariaDB root password; generated when absent (or from PHOTOPRISM_HARDEN_DATABASE_ROOT_PASSWORD)',
  readme: 'generated (40 chars) or prompt / answers file / `PHOTOPRISM_HARDEN_DATABASE_ROOT_PASSWORD`',
  default: () => '',
  parse: passwordParser('databaseRootPassword'),
  check: (v, ctx) =>
    v && v === ctx.answers.databasePassword
      ? [{ message: 'Database root password must differ from the database password (databaseRootPassword, databasePassword)' }]
      : [],
  schema: passwordSchema,
};

const allowUnsafe: Spec<UnsafeOverride[]> = {
  kind: 'override',
  label: 'Accepted risks',
  message: 'Accepted risks',
  description: `explicit risk overrides: ${UNSAFE_OVERRIDES.join(', ')} (root: UID/GID 0; host-account: the UID of a person on this host; device-group: a GID that cannot open the video device)`,
  readme:
    'explicit risk overrides: `root` (UID/GID 0), `host-account` (the UID of a person on this host), `device-group` (a GID that cannot open the video device); for weaknesses an adopted installation keeps in other services: `docker-socket-mounted`, `sensitive-host-mount`, `privileged`, `host-network`, `database-port-published` (see [Exit codes](#exit-codes-init)). The wizard states the risk and asks; without a TTY the flag or key is required. Accepted risks are remembered in `.photoprism-harden/state.json`.',
  flag: 'allow-unsafe',
  flagArg: '<list>',
  default: () => [],
  parse: parseOverrides,
  schema: { type: 'array', items: { type: 'string', enum: [...UNSAFE_OVERRIDES] } },
  display: (v) => v.join(', '),
};

// ---------------------------------------------------------------------------------------------
// The output target and what only the kubernetes target asks.

const forKubernetes = (ctx: Ctx) => ctx.answers.target === 'kubernetes';
const isKubernetes = (a: Answers) => a.target === 'kubernetes';
const SIZE_PATTERN = '^[1-9][0-9]{0,5}(Mi|Gi|Ti)$';
const DNS_LABEL_PATTERN = '^[a-z0-9]([-a-z0-9]*[a-z0-9])?$';
const DNS_NAME_PATTERN = '^$|^[a-z0-9]([-a-z0-9.]*[a-z0-9])?$';

/** A Kubernetes quantity for a volume size, in the binary units storage is sold in (e.g. 20Gi). */
export function parseSize(what: string) {
  return (raw: unknown): Result<string> =>
    typeof raw === 'string' && new RegExp(SIZE_PATTERN).test(raw)
      ? ok(raw)
      : fail(`${what} must be a size like 20Gi (a whole number with Mi, Gi or Ti); got ${JSON.stringify(raw)}`);
}

/** A Kubernetes object name: a DNS label (namespaces, max 63) or a DNS subdomain (storage classes, max 253). */
export function parseDnsName(what: string, allowEmpty: boolean, max: 63 | 253) {
  return (raw: unknown): Result<string> => {
    if (typeof raw !== 'string') return fail(`${what} must be a string; got ${JSON.stringify(raw)}`);
    const v = raw;
    if (v === '' && allowEmpty) return ok('');
    const re = new RegExp(max === 63 ? DNS_LABEL_PATTERN : DNS_NAME_PATTERN);
    return v !== '' && v.length <= max && re.test(v)
      ? ok(v)
      : fail(`${what} must be lower-case letters, digits and "-"${max === 63 ? '' : ' or "."'}, starting and ending with a letter or digit, at most ${max} characters; got ${JSON.stringify(raw)}`);
  };
}

const target: Spec<TargetName> = {
  kind: 'select',
  label: 'Target',
  message: 'Where will PhotoPrism run?',
  description: `what to write: ${TARGET_REGISTRY.map((t) => `${t.name} (${t.summary})`).join('; ')}`,
  readme: `${TARGET_REGISTRY.map((t) => `\`${t.name}\`${t.name === 'compose' ? ' (default)' : ''}`).join(', ')}; chosen with the flag or the answers file, never asked; a re-run keeps the target that wrote the folder (see [Targets](#targets-compose-swarm-kubernetes))`,
  flag: 'target',
  flagArg: '<target>',
  choices: () => TARGET_REGISTRY.map((t) => ({ value: t.name, name: t.name, description: t.summary })),
  default: () => 'compose',
  // chosen with --target (or the answers file); a re-run keeps the target that wrote the folder
  when: () => false,
  parse: enumParser('target', TARGET_NAMES),
  schema: { type: 'string', enum: [...TARGET_NAMES] },
  shownIf: (a) => a.target !== 'compose',
};

const namespace: Spec<string> = {
  kind: 'input',
  label: 'Kubernetes namespace',
  message: 'Kubernetes namespace for PhotoPrism and MariaDB',
  description: 'kubernetes target: the namespace the manifests create and use',
  readme: 'kubernetes target only: a DNS label, default `photoprism`',
  flag: 'namespace',
  flagArg: '<name>',
  default: () => 'photoprism',
  when: forKubernetes,
  targets: ['kubernetes'],
  parse: parseDnsName('namespace', false, 63),
  schema: { type: 'string', pattern: DNS_LABEL_PATTERN, maxLength: 63 },
  shownIf: isKubernetes,
};

const storageClass: Spec<string> = {
  kind: 'input',
  label: 'Storage class',
  message: 'StorageClass of the volumes (leave empty for the cluster default)',
  description: 'kubernetes target: storageClassName of every PersistentVolumeClaim; empty string for the cluster default',
  readme: 'kubernetes target only: `storageClassName` of every PersistentVolumeClaim; empty (default) = the cluster default class',
  flag: 'storage-class',
  flagArg: '<name>',
  default: () => '',
  when: forKubernetes,
  targets: ['kubernetes'],
  parse: parseDnsName('storageClass', true, 253),
  schema: { type: 'string', pattern: DNS_NAME_PATTERN, maxLength: 253 },
  display: (v) => v || '(cluster default)',
  shownIf: isKubernetes,
};

function sizeSpec(label: string, what: string, flag: string, dflt: string): Spec<string> {
  return {
    kind: 'input',
    label,
    message: `Size of the ${what}`,
    description: `kubernetes target: size of the ${what} PersistentVolumeClaim (Mi, Gi or Ti)`,
    readme: `kubernetes target only: e.g. \`${dflt}\` (default); a whole number with \`Mi\`, \`Gi\` or \`Ti\``,
    flag,
    flagArg: '<size>',
    default: () => dflt,
    when: forKubernetes,
    targets: ['kubernetes'],
    parse: parseSize(flag.replace(/-(.)/g, (_, c: string) => c.toUpperCase())),
    schema: { type: 'string', pattern: SIZE_PATTERN },
    shownIf: isKubernetes,
  };
}

const originalsSize = sizeSpec('Originals volume size', 'originals volume (your photos and videos)', 'originals-size', '100Gi');
const storageSize: Spec<string> = { ...sizeSpec('Storage volume size', 'storage volume (cache, thumbnails, sidecar files, backups)', 'storage-size', '50Gi'), readme: 'kubernetes target only: e.g. `50Gi` (default); a whole number with `Mi`, `Gi` or `Ti`; also the import volume\'s size' };
const databaseSize = sizeSpec('Database volume size', 'MariaDB volume', 'database-size', '10Gi');

const TABLE = {
  target,
  originalsPath,
  importPath,
  behindProxy,
  httpPort,
  siteUrl,
  transcoding,
  userMode,
  uid,
  gid,
  initActions,
  adminUser,
  adminPassword,
  databasePassword,
  databaseRootPassword,
  namespace,
  storageClass,
  originalsSize,
  storageSize,
  databaseSize,
  allowUnsafe,
};

/** Every question in the order it is asked. */
export const QUESTIONS: readonly Question[] = (Object.keys(TABLE) as Key[]).map((key): Question => ({ ...TABLE[key], key }));

export function question<K extends Key>(key: K): Spec<Answers[K]> & { readonly key: K } {
  if (!Object.hasOwn(TABLE, key)) throw new Error(`internal: no question ${String(key)}`);
  return { ...(TABLE[key] as Spec<Answers[K]>), key };
}

export const ANSWER_KEYS: readonly Key[] = QUESTIONS.map((q) => q.key);

const JSON_TYPES: Record<string, (v: unknown) => boolean> = {
  string: (v) => typeof v === 'string',
  integer: (v) => typeof v === 'number' && Number.isInteger(v),
  boolean: (v) => typeof v === 'boolean',
  array: Array.isArray,
};

/**
 * A value from the answers file: of the JSON type its schema names (the file is YAML, so 2000 is a
 * number and "2000" a string), then the question's parser. Flags and prompts give text, which the
 * parsers also take; the file does not, so it accepts exactly what its JSON Schema accepts.
 */
export function parseFileValue<K extends Key>(q: Spec<Answers[K]> & { readonly key: K }, raw: unknown): Result<Answers[K]>;
export function parseFileValue(q: Question, raw: unknown): Result<Answers[Key]>;
export function parseFileValue(q: Question, raw: unknown): Result<Answers[Key]> {
  const type = String(q.schema.type);
  const is = JSON_TYPES[type];
  if (is && !is(raw)) return fail(`${q.key} must be ${type === 'integer' ? 'a whole number' : type === 'array' ? 'a list' : `a ${type}`}; got ${JSON.stringify(raw)}`);
  return q.parse(raw);
}

/** JSON Schema of the answers file, derived from the table. */
export function answersSchema(questions: readonly Question[] = QUESTIONS): Record<string, unknown> {
  const properties: Record<string, unknown> = {};
  for (const q of questions) properties[q.key] = { description: q.description, ...q.schema };
  return {
    $schema: 'http://json-schema.org/draft-07/schema#',
    title: 'photoprism-harden answers file',
    description: 'Answers for `photoprism-harden init --answers FILE.yml`. Every key is optional; missing keys take the wizard\'s defaults.',
    type: 'object',
    additionalProperties: false,
    properties,
  };
}

/** The README's table of questions, flags and answers-file keys (test/schema-file.test.ts keeps it current). */
export function questionsMarkdown(questions: readonly Question[] = QUESTIONS): string {
  const flag = (q: Question) =>
    !q.flag ? '*(never a flag)*' : q.kind === 'confirm' ? `\`--${q.flag}\` / \`--no-${q.flag}\`` : `\`--${q.flag} ${q.flagArg ?? '<value>'}\``;
  const rows = questions.map((q) => `| \`${q.key}\` | ${flag(q)} | ${q.kind === 'override' ? '*(asked only when needed)*' : q.label} | ${q.readme} |`);
  return ['| answers-file key | flag | question | notes |', '|---|---|---|---|', ...rows].join('\n');
}

/** An answer as the summary shows it (never called for a secret). */
export function displayAnswer(q: Question, answers: Answers): string {
  const v = answers[q.key];
  if (q.display) return q.display(v, answers);
  if (typeof v === 'boolean') return v ? 'yes' : 'no';
  if (Array.isArray(v)) return v.length ? v.join(' ') : '(none)';
  return String(v);
}

/** A message about a question, for a person: its label, with the answers-file key in parentheses. */
export function labelled(q: Pick<Question, 'key' | 'label'>, message: string): string {
  if (!message.startsWith(q.key)) return message;
  const rest = message.slice(q.key.length).replace(/^:\s*/, ': ');
  return `${q.label} (${q.key})${rest}`;
}
