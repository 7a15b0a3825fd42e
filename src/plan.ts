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
  secretFileValue,
  transcodingDevice,
} from './domain.js';
import type { HostFacts } from './host.js';
import { describeRanges, hostOwner, modeLabel, type ContainerIdMapping } from './idmap.js';
import { deviceHints, type Answers } from './questions.js';
import { COMPOSE_RULES, OPTIONS_RULES, mergeYaml, type MergeRules } from './merge.js';
import { renderYaml } from './render.js';
import { octalMode, shellQuote } from './text.js';
import type { PathInfo, TargetState } from './state.js';
import { gidProblems, initActionWarnings, uidProblems } from './validate.js';
import { adoptCompose, type Found } from './compose/adopt.js';
import { STATE_FILE } from './previous.js';
import { stateKey } from './state.js';

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
  /** a hand-made installation adopted in place (src/compose/adopt.ts): its compose file is edited, not regenerated */
  adopt?: Found | null;
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
  const ctx = templateContext(input, opts, owner);

  // folders
  const adopt = input.adopt ?? null;
  const adopted = adopt
    ? adoptCompose({
        found: adopt,
        answers: a,
        version: input.version,
        regenerate: input.regenerate,
        secretFiles: { db: SECRET_FILES.dbPassword, root: SECRET_FILES.dbRootPassword },
        // (the UID/GID the installation already ran with, kept although a person on this host has it)
        personalIds: [...uidProblems(a.uid, facts), ...gidProblems(a.gid, facts)].filter((p) => p.override === 'host-account').map((p) => p.message),
      })
    : null;
  const dataDir = adopt ? (adopt.data?.type === 'bind' ? adopt.data.resolved : null) : path.join(state.dir, 'database');
  const storageDir = state.storage ?? 'storage';
  const keep = [...(dataDir ? [dataDir] : []), input.hostPaths.originals, ...(input.hostPaths.import ? [input.hostPaths.import] : [])];
  dirs.push({ path: storageDir, mode: 0o750, owner, policy: 'ensure', why: mapped('PhotoPrism storage'), recursive: true, keep });
  dirs.push({ path: path.dirname(opts), mode: 0o750, owner, policy: 'ensure', why: mapped('PhotoPrism configuration') });
  const secretsWanted = adopted ? adopted.writeSecrets : { db: true, root: true };
  if (secretsWanted.db || secretsWanted.root) dirs.push({ path: '.secrets', mode: 0o700, owner: rootOwner, policy: 'ensure', why: rootWhy('MariaDB secret files') });
  if (!adopt) dirs.push({ path: 'database', mode: 0o700, owner: rootOwner, policy: 'if-missing', why: rootWhy('MariaDB data (never chowned)') });

  // the photo folders this tool created (remembered in the state file) follow a UID/GID change
  const createdBefore = createdFolders(state.contents[STATE_FILE]);
  const created: CreatedFolder[] = [];
  for (const [label, rel, abs] of [
    ['originals', a.originalsPath, input.hostPaths.originals],
    ['import', a.importPath, input.hostPaths.import],
  ] as const) {
    if (!rel || !abs) continue;
    // (an adopted photo folder on a volume, named or anonymous, is no host folder to check or create)
    const mount = adopt ? (label === 'originals' ? adopt.originals : adopt.import) : undefined;
    if (mount && mount.type !== 'bind') continue;
    const info = state.paths[abs];
    // (a missing folder outside the installation got the user's say-so in init; an adopted
    // installation's missing folder is created as a new one would be, instead of by Docker as root)
    if (!info || !info.exists) {
      dirs.push({ path: abs, mode: 0o750, owner, policy: 'if-missing', why: mapped(`${label} (new, empty)`) });
      created.push({ path: abs, uid: owner.uid, gid: owner.gid });
      continue;
    }
    if (!info.isDir) {
      messages.push({ level: 'warn', text: `${label} path ${abs} exists but is not a folder` });
      continue;
    }
    // still owned as this tool left it (a folder given to someone else since is theirs)
    const mine = createdBefore.find((c) => c.path === abs && c.uid === info.uid && c.gid === info.gid);
    if (mine) {
      created.push({ path: abs, uid: owner.uid, gid: owner.gid });
      // the folder itself takes the new owner (its mode stays); what is inside it is never re-owned
      if (info.uid !== owner.uid || info.gid !== owner.gid) {
        dirs.push({ path: abs, mode: info.mode & 0o7777, owner, policy: 'ensure', why: mapped(`${label} (created by photoprism-harden, follows the UID/GID)`) });
        continue;
      }
    }
    const acc = folderAccess(info, owner);
    if (!acc.read) {
      messages.push({
        level: 'warn',
        text: `${label} folder ${abs} (owner ${info.uid}:${info.gid}, mode ${octalMode(info.mode)}) is not readable by ${owner.uid}:${owner.gid}${mapping ? ` (container ${a.uid}:${a.gid})` : ''}: PhotoPrism will not see your files. It is not changed here; grant access, e.g. give it the group and let the group read it: "chgrp -R ${owner.gid} ${shellQuote(abs)} && chmod -R g+rX ${shellQuote(abs)}"`,
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
  const composeText = adopted ? adopted.compose : merged(compose, renderYaml('docker-compose.yml', ctx), COMPOSE_RULES);
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
    ...(secretsWanted.db ? [[SECRET_FILES.dbPassword, a.databasePassword, 'MariaDB user password'] as const] : []),
    ...(secretsWanted.root ? [[SECRET_FILES.dbRootPassword, a.databaseRootPassword, 'MariaDB root password'] as const] : []),
  ]) {
    // a file written by hand often ends in a newline; MariaDB's entrypoint drops it ("$(< file)"), so the
    // file already holds this value and is kept byte for byte
    const old = state.contents[rel];
    const content = old !== undefined && secretFileValue(old) === value ? old : value;
    const st = status(state, rel, content);
    files.push({ path: rel, content, mode: 0o600, owner: rootOwner, secret: 'whole', why: rootWhy(why), status: st, replace: st === 'update' && input.replaceSecrets === true });
  }
  for (const e of adopted?.envFiles ?? []) {
    const key = stateKey(state.dir, e.abs);
    const info = state.paths[key];
    const keepOwner = info?.exists ? { uid: info.uid, gid: info.gid } : null;
    files.push({ path: key, content: e.content, mode: info?.exists ? info.mode & 0o777 : 0o600, owner: keepOwner, secret: 'values', why: e.why, status: status(state, key, e.content) });
  }
  // accepted risks are remembered for later runs (no secret is ever stored here)
  const remembered = state.contents[STATE_FILE];
  if (a.allowUnsafe.length || created.length || remembered !== undefined) {
    const content = `${JSON.stringify({ allowUnsafe: a.allowUnsafe, ...(created.length ? { createdFolders: created } : {}) }, null, 2)}\n`;
    // (the folder is not read as part of the installation: the run lock lives in it; a state file there says it exists)
    if (!state.paths[STATE_FILE]?.exists) dirs.push({ path: path.dirname(STATE_FILE), mode: 0o700, owner: null, policy: 'if-missing', why: "photoprism-harden's own state and backups" });
    files.push({ path: STATE_FILE, content, mode: 0o644, owner: null, secret: false, why: 'accepted risks (--allow-unsafe) and the photo folders it created, remembered for the next run', status: status(state, STATE_FILE, content) });
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
  messages.push(...planMessages({ input, owner, rootOwner, opts, adoptedNotes: adopted?.notes ?? [] }));

  return {
    dir: state.dir,
    dirs: dirs.map((d) => ({ ...d, status: dirStatus(state, d.path, d.mode, d.owner, d.policy) })),
    files: files.map((f) => ({ ...f, metaOk: metaMatches(state.paths[f.path], f.mode, f.owner) })),
    messages,
    secrets: [...new Set([a.adminPassword, a.databasePassword, a.databaseRootPassword, ...(input.knownSecrets ?? []), ...(adopt?.rawSecrets ?? [])])].filter(Boolean),
  };
}

/**
 * What the templates see: every answer under its key (a new question needs only its template lines),
 * plus what is derived from the answers, the host mapping and an adopted installation.
 */
function templateContext(input: PlanInput, opts: string, owner: Owner) {
  const a = input.answers;
  const mapping = input.idMapping ?? null;
  // every answer enters the templates under its key (a new question needs only its template lines),
  // plus what is derived from the answers
  return {
    ...a,
    optionsFile: opts,
    version: input.version,
    regenerate: input.regenerate,
    uidString: String(a.uid),
    gidString: String(a.gid),
    userSpec: `${a.uid}:${a.gid}`,
    portMapping: a.behindProxy ? `127.0.0.1:${a.httpPort}:${CONTAINER_PORT}` : `${a.httpPort}:${CONTAINER_PORT}`,
    initLine: a.initActions.join(' '),
    hostIdNote: mapping ? `${modeLabel(mapping.mode)}: UID:GID ${a.uid}:${a.gid} is ${owner.uid}:${owner.gid} on the host` : '',
    selinux: Boolean(input.selinux),
    devices: devicesFor(a),
    nvidia: a.transcoding === 'nvidia',
    dbName: input.adopt?.database.name || DB_NAME,
    dbUser: input.adopt?.database.user || DB_USER,
    dbServer: input.adopt?.database.server || `${DB_SERVICE}:3306`,
    dbDsn: input.adopt?.database.dsn ?? '',
    sqlite: input.adopt?.database.driver === 'sqlite',
    keepDbPassword: input.adopt?.database.driver === 'sqlite' && input.adopt.dbPassword !== null,
    dbLabel: input.adopt?.db ? `${input.adopt.dbKind === 'mysql' ? 'MySQL' : 'MariaDB'} service "${input.adopt.db.name}"` : 'MariaDB service "mariadb"',
    dbSecretNote: input.adopt?.dbUsesFiles && !input.adopt.ownSecrets
      ? 'the secret file the database service reads (its *_FILE variable), which it read when it created the database.'
      : `${SECRET_FILES.dbPassword}, which MariaDB read when it created the database.`,
    ppService: input.adopt?.pp.name ?? 'photoprism',
  };
}

/** The notes and warnings a plan carries about the answers, the host and the installation (in this order). */
function planMessages(o: { input: PlanInput; owner: Owner; rootOwner: Owner | null; opts: string; adoptedNotes: readonly string[] }): Message[] {
  const { input, owner, rootOwner, opts } = o;
  const { answers: a, facts, state } = input;
  const mapping = input.idMapping ?? null;
  const adopt = input.adopt ?? null;
  const compose = state.composeFile;
  const messages: Message[] = [];
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
  for (const text of o.adoptedNotes) messages.push({ level: 'info', text });
  if (adopt) {
    messages.push({
      level: 'info',
      text: `adopted in place: ${state.composeFile} keeps its services (PhotoPrism is "${adopt.pp.name}"${adopt.db ? `, the database "${adopt.db.name}"` : ', SQLite'}), mounts, ports, networks and labels; only the passwords move and the hardening settings are added`,
    });
  }
  for (const text of deviceHints({ answers: a, facts })) messages.push({ level: 'info', text });
  for (const text of initActionWarnings(a.initActions, a.transcoding, a.behindProxy)) messages.push({ level: 'warn', text });
  // without a proxy, users open the published port: a site URL on another port builds broken links
  const site = new URL(a.siteUrl);
  const sitePort = Number(site.port || (site.protocol === 'https:' ? 443 : 80));
  if (!a.behindProxy && site.port !== '' && sitePort !== a.httpPort) {
    messages.push({
      level: 'warn',
      text: `the Site URL (siteUrl) ${a.siteUrl} uses port ${sitePort}, but PhotoPrism is published on port ${a.httpPort} (httpPort): links and share URLs would point to the wrong port; use http://localhost:${a.httpPort}/ or the URL of your proxy`,
    });
  }
  for (const o of a.allowUnsafe) messages.push({ level: 'warn', text: `accepted risk "${o}": ${UNSAFE_OVERRIDE_RISKS[o]}` });
  if (a.userMode === 'user') {
    messages.push({
      level: 'warn',
      text: '"user:" mode: no root phase in the container, so the entrypoint cannot fix storage ownership and init actions run only through sudo',
    });
  }
  if (adopt) {
    const ports = adopt.pp.ports;
    messages.push({
      level: 'info',
      text: ports.length
        ? `the published ports of "${adopt.pp.name}" stay as they are (${ports.map((p) => p.raw).join(', ')})`
        : `"${adopt.pp.name}" publishes no port (reached through a reverse proxy on a compose network); none is added`,
    });
  } else if (a.behindProxy) {
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
  return messages;
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

/** A photo folder (absolute host path) a run created, with the host owner it gave it. */
interface CreatedFolder {
  path: string;
  uid: number;
  gid: number;
}

/** The photo folders an earlier run created, from the state file. */
function createdFolders(text: string | undefined): CreatedFolder[] {
  if (text === undefined) return [];
  try {
    const data = JSON.parse(text) as { createdFolders?: unknown } | null;
    if (!Array.isArray(data?.createdFolders)) return [];
    return data.createdFolders.filter(
      (c): c is CreatedFolder => typeof c === 'object' && c !== null && typeof c.path === 'string' && Number.isInteger(c.uid) && Number.isInteger(c.gid),
    );
  } catch {
    return [];
  }
}
