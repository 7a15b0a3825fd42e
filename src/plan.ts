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
import { describeRanges, hostOwner, modeLabel, type ContainerIdMapping } from './idmap.js';
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
  /** walk the recursive re-own even when the folder itself has the right owner (an interrupted re-own, see src/runlock.ts) */
  force?: boolean;
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
  /**
   * How container ids map to host ids (rootless Docker/Podman, userns-remap); null or absent: they are
   * the same. Owners in the plan are always host ids.
   */
  idMapping?: ContainerIdMapping | null;
  /** SELinux is enforcing: bind mounts get relabel options */
  selinux?: boolean;
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
  const messages: Message[] = [];
  const mapping = input.idMapping ?? null;
  const containerOwner: Owner = { uid: a.uid, gid: a.gid };
  // Files the PhotoPrism user reads and writes belong to the host ids it really has.
  const owner: Owner = hostOwner(mapping, containerOwner) ?? containerOwner;
  // Files container root needs (MariaDB's secrets, its data folder): root on the host without a user
  // namespace (whoever runs this tool), else the host id of container root.
  const rootOwner: Owner | null = mapping ? hostOwner(mapping, { uid: 0, gid: 0 }) : null;
  const mapped = (why: string) => (mapping ? `${why} (container ${a.uid}:${a.gid})` : why);
  const rootWhy = (why: string) => (rootOwner ? `${why} (container root)` : why);
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
    hostIdNote: mapping ? `${modeLabel(mapping.mode)}: UID:GID ${a.uid}:${a.gid} is ${owner.uid}:${owner.gid} on the host` : '',
    selinux: Boolean(input.selinux),
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
  dirs.push({ path: 'storage', mode: 0o750, owner, policy: 'ensure', why: mapped('PhotoPrism storage'), recursive: true, keep });
  dirs.push({ path: path.dirname(opts), mode: 0o750, owner, policy: 'ensure', why: mapped('PhotoPrism configuration') });
  dirs.push({ path: '.secrets', mode: 0o700, owner: rootOwner, policy: 'ensure', why: rootWhy('MariaDB secret files') });
  dirs.push({ path: 'database', mode: 0o700, owner: rootOwner, policy: 'if-missing', why: rootWhy('MariaDB data (never chowned)') });

  for (const [label, rel, abs] of [
    ['originals', a.originalsPath, input.hostPaths.originals],
    ['import', a.importPath, input.hostPaths.import],
  ] as const) {
    if (!rel || !abs) continue;
    const info = state.paths[abs];
    if (!info || !info.exists) {
      dirs.push({ path: abs, mode: 0o750, owner, policy: 'if-missing', why: mapped(`${label} (new, empty)`) });
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
        text: `${label} folder ${abs} (owner ${info.uid}:${info.gid}, mode ${info.mode.toString(8).padStart(4, '0')}) is not readable by ${owner.uid}:${owner.gid}${mapping ? ` (container ${a.uid}:${a.gid})` : ''}: PhotoPrism will not see your files. It is not changed here; grant access, e.g. "setfacl -R -m u:${owner.uid}:rX ${abs}"`,
      });
    } else if (!acc.write && label === 'originals') {
      messages.push({
        level: 'info',
        text: `originals folder ${abs} is read-only for ${owner.uid}:${owner.gid}: indexing works, uploads and imports into it do not (or set ReadOnly: true in options.yml)`,
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
    why: mapped('settings + admin/DB passwords'),
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
    files.push({ path: rel, content, mode: 0o600, owner: rootOwner, secret: 'whole', why: rootWhy(why), status: st, replace: st === 'update' && input.replaceSecrets === true });
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
  messages.push(...idMessages(a, facts, mapping, owner, rootOwner));
  if (input.selinux) {
    messages.push({
      level: 'info',
      text: 'SELinux is enforcing: storage/ and database/ are mounted with "selinux: Z" (relabelled for that one container) and the originals/import folders with "selinux: z" (shared label), so the containers may read them; the engine relabels them when the containers start (this changes the SELinux type of those folders: a folder another confined service such as Samba shares needs a label both may use). If MariaDB cannot read /run/secrets/* ("Permission denied" in its log), label the secret files for containers: chcon -R -t container_file_t .secrets',
    });
  }
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
  if (state.databaseInitialised && state.contents[SECRET_FILES.dbPassword] && state.contents[SECRET_FILES.dbRootPassword]) {
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

/** Explain whose host ids the files get, and whether those ids belong to someone on this host. */
function idMessages(a: Answers, facts: HostFacts, mapping: ContainerIdMapping | null, owner: Owner, rootOwner: Owner | null): Message[] {
  const out: Message[] = [];
  const acct = facts.accounts.find((x) => x.uid === owner.uid);
  const grp = facts.groups.find((g) => g.gid === owner.gid);
  if (mapping) {
    const label = modeLabel(mapping.mode);
    const user = `${mapping.user.name}${mapping.user.uid >= 0 ? ` (uid ${mapping.user.uid})` : ''}`;
    out.push({
      level: 'info',
      text:
        `${label}: container ids are not host ids here (UIDs ${describeRanges(mapping.map.uids)}, from ${mapping.source}). ` +
        `PhotoPrism's UID:GID ${a.uid}:${a.gid} is ${owner.uid}:${owner.gid} on the host, so storage/ and options.yml are owned by ${owner.uid}:${owner.gid}. ` +
        (rootOwner
          ? `Container root is ${rootOwner.uid}:${rootOwner.gid} on the host${mapping.mode === 'userns-remap' ? '' : ` (${user}, the account that runs the engine)`}: .secrets/ and its files (mode 0600) and a new database/ belong to it, because MariaDB's entrypoint reads the secrets as container root and hands database/ to its own user.`
          : ''),
    });
    if (hostOwner(mapping, { uid: a.uid, gid: a.gid }) === null) {
      out.push({
        level: 'warn',
        text: `UID:GID ${a.uid}:${a.gid} is outside the ids ${label} gives the containers (${describeRanges(mapping.map.uids)}): the container cannot use it, and the files are written with the container ids`,
      });
    }
    if (a.uid === 0 && mapping.mode !== 'userns-remap') {
      out.push({
        level: 'info',
        text: `PhotoPrism runs as root inside the container, and with ${label} container root is ${user} on the host: a process that escapes the container has that account's rights, not the host's root`,
      });
    } else if (a.uid === 0) {
      out.push({ level: 'info', text: `PhotoPrism runs as root inside the container, which is the unprivileged host id ${owner.uid} under userns-remap` });
    }
    if (facts.renderNodes.length && a.transcoding !== 'software' && a.transcoding !== 'nvidia') {
      out.push({
        level: 'warn',
        text: `${label}: a device node keeps its host group, which the container sees as "nogroup" because that group is not mapped. The container can open it only if the node allows everyone, or the engine keeps the engine user's supplementary groups (Podman: group_add: [keep-groups]); the GID checks above assume a rootful engine`,
      });
    }
  }
  if (acct && !(mapping && a.uid === 0)) {
    out.push({ level: 'warn', text: `host UID ${owner.uid} is the host account "${acct.name}": it owns storage/ and options.yml as well` });
  } else if (!acct) {
    out.push({ level: 'info', text: `host UID ${owner.uid} belongs to no account on this host${grp ? '' : `, GID ${owner.gid} to no group`}` });
  }
  if (grp) out.push({ level: 'info', text: `host GID ${owner.gid} is the group "${grp.name}" on this host: its members can read storage/ (mode 0750)` });
  return out;
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
