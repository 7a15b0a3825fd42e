// Plan: a pure function of (answers, host facts, current target state) -> files and folders with
// content, mode and owner, plus the messages to show. Nothing here touches the disk.

import path from 'node:path';
import {
  CONTAINER_PORT,
  DB_NAME,
  DB_SERVICE,
  DB_USER,
  SECRET_FILES,
  UNSAFE_OVERRIDE_RISKS,
  transcodingDevice,
} from './domain.js';
import type { HostFacts } from './host.js';
import { deviceHints, type Answers } from './questions.js';
import { COMPOSE_RULES, OPTIONS_RULES, mergeYaml, type MergeRules } from './merge.js';
import { renderYaml } from './render.js';
import type { PathInfo, TargetState } from './state.js';
import { initActionWarnings } from './validate.js';

export interface Owner {
  uid: number;
  gid: number;
}

export interface PlannedDir {
  path: string;
  mode: number;
  /** null: whoever runs the tool (root on a normal install) */
  owner: Owner | null;
  /** 'ensure': create, or fix mode/owner of an existing one; 'if-missing': create only, never touch an existing one */
  policy: 'ensure' | 'if-missing';
  why: string;
  /** when the owner is wrong, re-own everything below it too (storage after a UID/GID change) */
  recursive?: boolean;
  /** absolute paths a recursive re-own never touches or enters (database, originals, import) */
  keep?: string[];
  /** from the current state: missing, present but wrong mode/owner, or already right */
  status: 'create' | 'fix' | 'ok';
}

export interface PlannedFile {
  path: string;
  content: string;
  mode: number;
  owner: Owner | null;
  /** 'whole': the content is a secret; 'values': it contains secrets (mask them when shown) */
  secret: 'whole' | 'values' | false;
  why: string;
  status: 'create' | 'update' | 'unchanged';
  /** an existing secret is replaced, by explicit choice */
  replace?: boolean;
  /** the existing file already has this mode and owner */
  metaOk: boolean;
}

export interface Message {
  level: 'info' | 'warn';
  text: string;
}

export interface Plan {
  dir: string;
  dirs: PlannedDir[];
  files: PlannedFile[];
  messages: Message[];
  /** every secret value, so output can be scrubbed */
  secrets: string[];
}

export interface PlanInput {
  answers: Answers;
  facts: HostFacts;
  state: TargetState;
  version: string;
  /** the command that regenerates this installation (no secrets) */
  regenerate: string;
  /** the originals/import folders resolved to absolute host paths (keys of state.paths) */
  hostPaths: { originals: string; import: string | null };
  /** notes from reading the existing installation */
  notes?: string[];
  /** the user explicitly chose to replace existing secrets (--replace-secrets) */
  replaceSecrets?: boolean;
  /** secret values of the existing installation (old ones too), masked wherever a file is shown */
  knownSecrets?: string[];
}

export const GITIGNORE_LINES = ['.secrets/', 'storage/config/options.yml', 'storage/settings/options.yml', '.photoprism-harden/'];

/** True when applying the plan would change nothing at all. */
export function planIsNoop(plan: Plan): boolean {
  return plan.files.every((f) => f.status === 'unchanged' && f.metaOk) && plan.dirs.every((d) => d.status === 'ok');
}

/** Where PhotoPrism will actually read options.yml: the legacy settings folder wins when it exists. */
export function optionsPath(state: TargetState): string {
  return state.optionsFile;
}

function metaMatches(info: PathInfo | undefined, mode: number, owner: Owner | null): boolean {
  if (!info || !info.exists) return false;
  if ((info.mode & 0o7777) !== mode) return false;
  return !owner || (info.uid === owner.uid && info.gid === owner.gid);
}

function dirStatus(state: TargetState, p: string, mode: number, owner: Owner | null, policy: PlannedDir['policy']): PlannedDir['status'] {
  const info = state.paths[p];
  if (!info || !info.exists) return 'create';
  if (policy === 'if-missing') return 'ok';
  return metaMatches(info, mode, owner) ? 'ok' : 'fix';
}

function status(state: TargetState, rel: string, content: string): PlannedFile['status'] {
  const old = state.contents[rel];
  if (old === undefined) return state.paths[rel]?.exists ? 'update' : 'create';
  return old === content ? 'unchanged' : 'update';
}

/** Can uid:gid read (and write) a folder, judged from its mode bits as the kernel would? */
function folderAccess(info: PathInfo, o: Owner): { read: boolean; write: boolean } {
  const bits = info.uid === o.uid ? (info.mode >> 6) & 7 : info.gid === o.gid ? (info.mode >> 3) & 7 : info.mode & 7;
  return { read: (bits & 5) === 5, write: (bits & 3) === 3 };
}

export function buildPlan(input: PlanInput): Plan {
  const { answers: a, facts, state } = input;
  const owner: Owner = { uid: a.uid, gid: a.gid };
  const messages: Message[] = [];
  const dirs: Omit<PlannedDir, 'status'>[] = [];
  const files: Omit<PlannedFile, 'metaOk'>[] = [];

  const opts = optionsPath(state);
  const ctx = {
    optionsFile: opts,
    version: input.version,
    regenerate: input.regenerate,
    uid: a.uid,
    gid: a.gid,
    uidString: String(a.uid),
    gidString: String(a.gid),
    userMode: a.userMode,
    userSpec: `${a.uid}:${a.gid}`,
    behindProxy: a.behindProxy,
    portMapping: a.behindProxy ? `127.0.0.1:${a.httpPort}:${CONTAINER_PORT}` : `${a.httpPort}:${CONTAINER_PORT}`,
    initLine: a.initActions.join(' '),
    transcoding: a.transcoding,
    devices: devicesFor(a),
    nvidia: a.transcoding === 'nvidia',
    originalsPath: a.originalsPath,
    importPath: a.importPath,
    dbName: DB_NAME,
    dbUser: DB_USER,
    dbServer: `${DB_SERVICE}:3306`,
    adminUser: a.adminUser,
    adminPassword: a.adminPassword,
    databasePassword: a.databasePassword,
    siteUrl: a.siteUrl,
  };

  // folders
  const keep = [path.join(state.dir, 'database'), input.hostPaths.originals, ...(input.hostPaths.import ? [input.hostPaths.import] : [])];
  dirs.push({ path: 'storage', mode: 0o750, owner, policy: 'ensure', why: 'PhotoPrism storage', recursive: true, keep });
  dirs.push({ path: path.dirname(opts), mode: 0o750, owner, policy: 'ensure', why: 'PhotoPrism configuration' });
  dirs.push({ path: '.secrets', mode: 0o700, owner: null, policy: 'ensure', why: 'MariaDB secret files' });
  dirs.push({ path: 'database', mode: 0o700, owner: null, policy: 'if-missing', why: 'MariaDB data (never chowned)' });

  for (const [label, rel, abs] of [
    ['originals', a.originalsPath, input.hostPaths.originals],
    ['import', a.importPath, input.hostPaths.import],
  ] as const) {
    if (!rel || !abs) continue;
    const info = state.paths[abs];
    if (!info || !info.exists) {
      dirs.push({ path: abs, mode: 0o750, owner, policy: 'if-missing', why: `${label} (new, empty)` });
      continue;
    }
    if (!info.isDir) {
      messages.push({ level: 'warn', text: `${label} path ${abs} exists but is not a folder` });
      continue;
    }
    const acc = folderAccess(info, owner);
    if (!acc.read) {
      messages.push({
        level: 'warn',
        text: `${label} folder ${abs} (owner ${info.uid}:${info.gid}, mode ${info.mode.toString(8).padStart(4, '0')}) is not readable by ${a.uid}:${a.gid}: PhotoPrism will not see your files. It is not changed here; grant access, e.g. "setfacl -R -m u:${a.uid}:rX ${abs}"`,
      });
    } else if (!acc.write && label === 'originals') {
      messages.push({
        level: 'info',
        text: `originals folder ${abs} is read-only for ${a.uid}:${a.gid}: indexing works, uploads and imports into it do not (or set ReadOnly: true in options.yml)`,
      });
    }
  }

  // files: an existing compose file or options.yml is merged into, never overwritten
  const merged = (rel: string, fresh: string, rules: MergeRules, from = rel) => {
    const old = state.contents[rel] ?? state.contents[from];
    return old === undefined ? fresh : mergeYaml(old, fresh, rules).text;
  };
  const compose = state.composeFile;
  const composeText = merged(compose, renderYaml('docker-compose.yml', ctx), COMPOSE_RULES);
  files.push({
    path: compose,
    content: composeText,
    mode: 0o644,
    owner: null,
    secret: false,
    why: 'services (no passwords)',
    status: status(state, compose, composeText),
  });
  // a new options file in the folder PhotoPrism reads starts from the one found elsewhere (keys, secrets)
  const optionsText = merged(opts, renderYaml('options.yml', ctx), OPTIONS_RULES, state.optionsSource);
  files.push({
    path: opts,
    content: optionsText,
    mode: 0o600,
    owner,
    secret: 'values',
    why: 'settings + admin/DB passwords',
    status: status(state, opts, optionsText),
  });
  for (const [rel, value, why] of [
    [SECRET_FILES.dbPassword, a.databasePassword, 'MariaDB user password'],
    [SECRET_FILES.dbRootPassword, a.databaseRootPassword, 'MariaDB root password'],
  ] as const) {
    // a file written by hand often ends in a newline; MariaDB's entrypoint drops it ("$(< file)"), so the
    // file already holds this value and is kept byte for byte
    const old = state.contents[rel];
    const content = old !== undefined && old.replace(/\n+$/, '') === value ? old : value;
    const st = status(state, rel, content);
    files.push({ path: rel, content, mode: 0o600, owner: null, secret: 'whole', why, status: st, replace: st === 'update' && input.replaceSecrets === true });
  }
  const gitignore = gitignoreContent(state.contents['.gitignore'], [opts]);
  files.push({
    path: '.gitignore',
    content: gitignore,
    mode: state.paths['.gitignore']?.exists ? state.paths['.gitignore'].mode & 0o777 : 0o644,
    owner: null,
    secret: false,
    why: 'keeps secrets out of git',
    status: status(state, '.gitignore', gitignore),
  });

  // messages
  if (state.legacySettings) {
    messages.push({
      level: 'warn',
      text: `storage/settings/ exists (legacy layout): PhotoPrism reads its options from there, so they are written to ${opts}${
        state.optionsSource !== opts
          ? `, starting from ${state.optionsSource} (left as it is; PhotoPrism does not read it while storage/settings/ exists)`
          : ''
      }`,
    });
  }
  if (state.composeFilesFound.length > 1) {
    messages.push({
      level: 'warn',
      text: `several compose files exist (${state.composeFilesFound.join(', ')}); Compose uses ${compose}, so that one is updated and the others are left alone`,
    });
  }
  for (const text of input.notes ?? []) messages.push({ level: 'info', text });
  for (const text of deviceHints({ answers: a, facts })) messages.push({ level: 'info', text });
  for (const text of initActionWarnings(a.initActions, a.transcoding, a.behindProxy)) messages.push({ level: 'warn', text });
  for (const o of a.allowUnsafe) messages.push({ level: 'warn', text: `accepted risk "${o}": ${UNSAFE_OVERRIDE_RISKS[o]}` });
  if (a.userMode === 'user') {
    messages.push({
      level: 'warn',
      text: '"user:" mode: no root phase in the container, so the entrypoint cannot fix storage ownership and init actions run only through sudo',
    });
  }
  if (a.behindProxy) {
    messages.push({
      level: 'info',
      text: `point the reverse proxy at http://127.0.0.1:${a.httpPort} (PhotoPrism serves plain HTTP there; the proxy terminates TLS for ${a.siteUrl})`,
    });
  } else {
    messages.push({
      level: 'info',
      text: `PhotoPrism's port ${a.httpPort} is published on all interfaces; outside a home network put an HTTPS reverse proxy in front`,
    });
  }
  if (state.databaseInitialised) {
    messages.push({
      level: 'info',
      text: 'database/ already holds a MariaDB data folder: MariaDB keeps the passwords it was created with, so the existing secrets are kept',
    });
  }

  return {
    dir: state.dir,
    dirs: dirs.map((d) => ({ ...d, status: dirStatus(state, d.path, d.mode, d.owner, d.policy) })),
    files: files.map((f) => ({ ...f, metaOk: metaMatches(state.paths[f.path], f.mode, f.owner) })),
    messages,
    secrets: [...new Set([a.adminPassword, a.databasePassword, a.databaseRootPassword, ...(input.knownSecrets ?? [])])].filter(Boolean),
  };
}

function devicesFor(a: Answers): string[] {
  switch (transcodingDevice(a.transcoding)) {
    case 'dri':
      return ['/dev/dri:/dev/dri'];
    case 'video11':
      return ['/dev/video11:/dev/video11'];
    default:
      return [];
  }
}

/** `extra`: further paths holding secrets (the options file in use, e.g. storage/config/options.yaml) */
export function gitignoreContent(existing: string | undefined, extra: string[] = []): string {
  const have = new Set((existing ?? '').split('\n').map((l) => l.trim()));
  const wanted = [...new Set([...GITIGNORE_LINES, ...extra])];
  const missing = wanted.filter((l) => !have.has(l) && !have.has(`/${l}`));
  if (existing !== undefined && missing.length === 0) return existing;
  let out = existing ?? '';
  if (out && !out.endsWith('\n')) out += '\n';
  out += `# photoprism-harden: these hold passwords, never commit them\n${missing.join('\n')}\n`;
  return out;
}
