// The Swarm target: docker-stack.yml for `docker stack deploy`, every password a Swarm secret created
// from a file in .secrets/ with `docker secret create NAME FILE`. Folders, owners and options.yml are
// the compose target's (the same host folders are bind-mounted on the node labelled for them), except
// that options.yml holds no password: PhotoPrism reads both from /run/secrets via *_PASSWORD_FILE.

import { parseDocument } from 'yaml';
import { buildPlan, type Message, type Plan, type PlanInput } from '../../plan.js';
import { OPTIONS_RULES, mergeYaml } from '../../merge.js';
import { renderYaml } from '../../render.js';
import type { TargetState } from '../../state.js';
import { shellQuote, termWidth, wrapCommand } from '../../text.js';
import { plannedFile, secretContent } from '../files.js';
import { installationModel, type InstallationModel, type ModelSecret } from '../model.js';
import type { Preflight } from '../../preflight.js';
import type { OutputTarget } from '../types.js';
import { auditSwarm } from './audit.js';
import { MARIADB_INIT_CAPS, PHOTOPRISM_INIT_CAPS } from '../../audit/rules/least-privilege.js';

export const STACK_FILE = 'docker-stack.yml';
export const STACK_NAME = 'photoprism';
export const NODE_LABEL = 'photoprism.data';
/** PhotoPrism's entrypoint as root: chown storage, switch to PHOTOPRISM_UID (TrueNAS ships the same set) */
export const PHOTOPRISM_CAPS = [...PHOTOPRISM_INIT_CAPS].sort();
/** MariaDB's entrypoint as root: chown the data folder, gosu to mysql */
export const MARIADB_CAPS = [...MARIADB_INIT_CAPS].sort();

/** Swarm secret name of one secret at one version: photoprism_db_pwd_v1 */
export function secretName(s: Pick<ModelSecret, 'name'>, version: number): string {
  return `${STACK_NAME}_${s.name}_v${version}`;
}

/** The versions the existing stack file uses, by secret name (admin_pwd → 1). */
export function stackSecretVersions(text: string | undefined): Record<string, number> {
  const out: Record<string, number> = {};
  if (text === undefined) return out;
  const doc = parseDocument(text);
  if (doc.errors.length) return out;
  const data = doc.toJS() as { secrets?: Record<string, unknown> } | null;
  for (const k of Object.keys(data?.secrets ?? {})) {
    const m = new RegExp(`^${STACK_NAME}_(admin_pwd|db_pwd|db_root_pwd)_v(\\d+)$`).exec(k);
    if (m) out[m[1]!] = Math.max(out[m[1]!] ?? 0, Number(m[2]));
  }
  return out;
}

/** Each control of the compose target that `docker stack deploy` drops, and what replaces it here. */
export function droppedControls(m: InstallationModel, selinux: boolean): string[] {
  const a = m.answers;
  const out = [
    a.userMode === 'user'
      ? 'security_opt "no-new-privileges" (ignored by Swarm): PhotoPrism runs as the "user:" from the start; both services drop ALL capabilities and add back only what their entrypoints need (cap_drop/cap_add are kept by Swarm)'
      : 'security_opt "no-new-privileges" (ignored by Swarm): both services drop ALL capabilities and add back only what their entrypoints need to chown and switch users (cap_drop/cap_add are kept by Swarm)',
    'depends_on "service_healthy" (ignored by Swarm): PhotoPrism retries the database connection until MariaDB answers, and restart_policy restarts either service',
    'restart: (ignored by Swarm): deploy.restart_policy',
    'file secrets bind-mounted from .secrets/ with the host file\'s owner and mode: Swarm secrets (stored encrypted in the managers\' Raft log, mounted on tmpfs at /run/secrets with uid/gid/mode 0400 per service)',
    'the compose project network: an overlay network "backend" marked internal (no route out) for MariaDB, and "frontend" for PhotoPrism\'s way out',
    'privileged, userns_mode: the compose target sets neither; Swarm ignores both (audit reports them if they are added)',
  ];
  if (m.devices.length) {
    out.push(
      `devices (${m.devices.join(', ')}, ignored by Swarm): Swarm cannot pass a device node to a service, so ${a.transcoding} transcoding has no device; PhotoPrism falls back to software encoding. For hardware transcoding use the compose target on that host`,
    );
  }
  if (m.nvidia) out.push('the NVIDIA device reservation: a generic resource "NVIDIA-GPU" (the node must advertise it: node-generic-resources in daemon.json, nvidia runtime as default)');
  if (a.behindProxy) out.push('the port bound to 127.0.0.1 (Swarm cannot bind a published port to one address): no port is published; the reverse proxy joins the attachable overlay network "photoprism_frontend" and connects to http://photoprism:2342');
  if (selinux) out.push('bind "selinux: Z/z" relabelling (not in stack files): label the folders once yourself, e.g. chcon -R -t container_file_t storage database <originals>');
  return out;
}

/** options.yml without the passwords (PhotoPrism would prefer them over the *_FILE secrets) and without the comments about them. */
export function withoutPasswords(text: string): string {
  const lines = text
    .split('\n')
    .filter((l) => !/^# (It holds passwords|AdminPassword is applied|DatabasePassword must stay)|^#   docker compose exec photoprism photoprism passwd/.test(l));
  const doc = parseDocument(lines.join('\n'));
  doc.delete('AdminPassword');
  doc.delete('DatabasePassword');
  let out = doc.toString({ lineWidth: 0 });
  const note = '# Swarm target: no password here. PhotoPrism reads them from Swarm secrets (PHOTOPRISM_ADMIN_PASSWORD_FILE, PHOTOPRISM_DATABASE_PASSWORD_FILE).';
  if (!out.includes(note)) out = out.replace(/^((?:#[^\n]*\n)*)/, (h) => `${h}${note}\n`);
  return out;
}

export function swarmPlan(input: PlanInput): Plan {
  const state = input.state;
  // the compose plan gives the folders, owners, checks and notes; its compose file (rendered in place of
  // the stack, never merged into it) and its options file are replaced below
  const { [STACK_FILE]: _stack, ...otherContents } = state.contents;
  const base = buildPlan({ ...input, state: { ...state, composeFile: STACK_FILE, contents: otherContents } });
  const m = installationModel(input);
  const a = input.answers;
  const messages: Message[] = base.messages.filter((x) => !x.text.startsWith('point the reverse proxy at') && !x.text.startsWith("PhotoPrism's port"));
  const files = base.files.filter((f) => f.path !== STACK_FILE && !/(^|\/)options\.ya?ml$/.test(f.path) && f.secret !== 'whole' && f.path !== '.gitignore');
  const opts = base.files.find((f) => /(^|\/)options\.ya?ml$/.test(f.path))!;
  // the fresh options without passwords, merged into the existing file (its other keys are kept; a
  // password an earlier compose installation left there is removed)
  const noOptions = { ...state, composeFile: STACK_FILE, contents: { ...state.contents } };
  delete noOptions.contents[opts.path];
  delete noOptions.contents[state.optionsSource];
  const fresh = withoutPasswords(buildPlan({ ...input, state: noOptions }).files.find((f) => f.path === opts.path)!.content);
  const old = state.contents[opts.path] ?? state.contents[state.optionsSource];
  const optionsText = old === undefined ? fresh : withoutPasswords(mergeYaml(old, fresh, OPTIONS_RULES).text);
  files.push(plannedFile(state, { ...opts, content: optionsText, secret: false, why: `${opts.why.replace('settings + admin/DB passwords', 'settings (no passwords: Swarm secrets)')}` }));

  // secret files (the source of each Swarm secret) and their versioned names
  const versions = stackSecretVersions(state.contents[STACK_FILE]);
  const rootOwner = base.files.find((f) => f.secret === 'whole')?.owner ?? null;
  const names: Record<string, string> = {};
  for (const s of m.secrets) {
    const content = secretContent(state, s.file, s.value);
    const f = plannedFile(state, {
      path: s.file,
      content,
      mode: 0o600,
      owner: rootOwner,
      secret: 'whole',
      why: `source of Swarm secret ${s.name} (${s.key})`,
      replaceSecrets: input.replaceSecrets,
    });
    files.push(f);
    let v = versions[s.name] ?? 1;
    if (versions[s.name] !== undefined && f.status !== 'unchanged') {
      // a new value never reuses a name: the existing secret keeps its content (Swarm secrets are immutable)
      v += 1;
      messages.push({ level: 'warn', text: `${s.file} has a new value: it becomes Swarm secret ${secretName(s, v)} (the services switch to it on deploy; ${secretName(s, v - 1)} is left for you to remove with "docker secret rm" once the stack runs)` });
    }
    names[s.name] = secretName(s, v);
  }
  const gitignore = base.files.find((f) => f.path === '.gitignore')!;
  files.push(gitignore);

  // bind sources as the answers give them: "docker stack deploy" resolves relative paths against the
  // stack file's folder, as Compose does (a ~ path is written expanded)
  const written: Record<string, string> = { originals: a.originalsPath, import: a.importPath, storage: './storage', database: './database' };
  const mountsOf = (svc: 'photoprism' | 'mariadb') =>
    m.mounts.filter((x) => x.service === svc).map((x) => ({ ...x, hostPath: written[x.name]!.startsWith('~') ? x.hostPath : written[x.name]! }));
  const env: Record<string, string> = {
    PHOTOPRISM_INIT: a.initActions.join(' '),
    ...(a.userMode === 'photoprism-uid' ? { PHOTOPRISM_UID: String(a.uid), PHOTOPRISM_GID: String(a.gid) } : {}),
    PHOTOPRISM_DISABLE_CHOWN: 'false',
    PHOTOPRISM_ADMIN_PASSWORD_FILE: '/run/secrets/admin_pwd',
    PHOTOPRISM_DATABASE_PASSWORD_FILE: '/run/secrets/db_pwd',
    ...(m.nvidia ? { NVIDIA_VISIBLE_DEVICES: 'all', NVIDIA_DRIVER_CAPABILITIES: 'compute,video,utility' } : {}),
  };
  const dropped = droppedControls(m, Boolean(input.selinux));
  const ctx = {
    version: input.version,
    regenerate: input.regenerate,
    dir: state.dir,
    stackName: STACK_NAME,
    dropped,
    photoprismImage: 'photoprism/photoprism:latest',
    userMode: a.userMode,
    uid: a.uid,
    gid: a.gid,
    userSpec: `${a.uid}:${a.gid}`,
    // (in "user:" mode nothing runs as root: no capability is needed)
    photoprismCaps: a.userMode === 'user' ? [] : PHOTOPRISM_CAPS,
    mariadbCaps: MARIADB_CAPS,
    publish: !a.behindProxy,
    httpPort: a.httpPort,
    frontendNetwork: `${STACK_NAME}_frontend`,
    photoprismEnv: env,
    photoprismSecrets: ['admin_pwd', 'db_pwd'].map((n) => ({ source: names[n], target: n, uid: String(a.uid), gid: String(a.gid) })),
    photoprismMounts: mountsOf('photoprism'),
    nvidia: m.nvidia,
    mariadbCommand: m.mariadbCommand,
    databasePath: mountsOf('mariadb')[0]!.hostPath,
    mariadbEnv: { ...m.mariadbEnv, MARIADB_PASSWORD_FILE: '/run/secrets/db_pwd', MARIADB_ROOT_PASSWORD_FILE: '/run/secrets/db_root_pwd' },
    mariadbSecrets: ['db_pwd', 'db_root_pwd'].map((n) => ({ source: names[n], target: n })),
    secretNames: Object.values(names),
  };
  const stack = renderYaml('swarm/docker-stack.yml', ctx);
  files.unshift(plannedFile(state, { path: STACK_FILE, content: stack, mode: 0o644, owner: null, secret: false, why: 'Swarm stack (no passwords; secrets by name)' }));

  messages.push({ level: 'info', text: 'Controls of the compose target that Swarm drops, and what replaces each (also listed at the top of docker-stack.yml):' });
  for (const d of dropped) messages.push({ level: 'info', text: `Swarm drops ${d}` });
  if (state.composeFilesFound.length) {
    messages.push({ level: 'warn', text: `${state.composeFilesFound.join(', ')} is left as it is: never run it with "docker compose up" next to the stack (both would use the same storage/ and database/ folders)` });
  }
  if (a.behindProxy) messages.push({ level: 'info', text: `no port is published: attach your reverse proxy service to the overlay network ${STACK_NAME}_frontend and point it at http://photoprism:2342 (it terminates TLS for ${a.siteUrl})` });
  else messages.push({ level: 'info', text: `Swarm publishes port ${a.httpPort} on every interface of every node (routing mesh); outside a home network put an HTTPS reverse proxy in front` });
  return { ...base, files, messages };
}

const docker = 'docker';
const dockerReachable = (pf: Preflight) => pf.runtime?.runtime === 'docker' && pf.runtime.reachable;

export const swarmTarget: OutputTarget = {
  name: 'swarm',
  canApply: true,
  local: true,
  // its services are read from the stack file (readPrevious reads it like a compose file)
  adaptState: (state: TargetState) => ({ ...state, composeFile: STACK_FILE }),
  previous(state) {
    // readPrevious reads the stack like a compose file; an unpublished port is this target's "behind a proxy"
    const t = state.contents[STACK_FILE];
    if (t === undefined) return {};
    const pp = (parseDocument(t).toJS() as { services?: Record<string, { ports?: unknown[] }> } | null)?.services?.photoprism;
    return pp && !pp.ports?.length ? { behindProxy: true } : {};
  },
  plan: swarmPlan,
  async check(o) {
    const { checkStack } = await import('./deploy.js');
    return checkStack(o);
  },
  // (asked only where a Docker daemon answers; whether it is a Swarm manager is checked on deploy)
  startCommand: (pf) => (dockerReachable(pf) ? `creates the missing Swarm secrets from .secrets/ and runs "docker stack deploy --compose-file ${STACK_FILE} ${STACK_NAME}"` : null),
  cannotStart: (pf) =>
    dockerReachable(pf)
      ? null
      : [`Docker is not reachable here (${pf.runtime?.error ?? 'docker info failed'}): the files are written; deploy them on a Swarm manager with the commands below (or "init --apply" there).`],
  async start(o) {
    const { deployStack } = await import('./deploy.js');
    return deployStack(o);
  },
  nextSteps({ plan, result, repeat, started, collected }) {
    const a = collected.answers;
    const stack = plan.files.find((f) => f.path === STACK_FILE)!;
    const secrets = stackSecretsOf(stack.content);
    const lines: string[] = [];
    if (result?.backups.length) lines.push(`Backups of replaced files: ${result.backups.join(', ')}`);
    // a command too long for the terminal continues after " \\", so that it can be copied whole
    const cmd = (c: string) => wrapCommand(c, termWidth());
    lines.push('', started ? 'PhotoPrism is deployed:' : 'Next steps (on a Swarm manager; "init --target swarm --apply" runs them):', ...cmd(`cd ${shellQuote(plan.dir)}`));
    if (!started) {
      lines.push('  (the node with these folders gets the label the database is placed by)');
      lines.push(...cmd(`${docker} node update --label-add ${NODE_LABEL}=true "$(${docker} info --format '{{.Swarm.NodeID}}')"`));
      for (const s of secrets) lines.push(...cmd(`${docker} secret inspect ${s.name} >/dev/null 2>&1 || ${docker} secret create ${s.name} ${s.file}`));
      lines.push(...cmd(`${docker} stack deploy --compose-file ${STACK_FILE} ${STACK_NAME}`));
    }
    lines.push(
      `  ${started ? 'open' : 'then open'} ${a.siteUrl} and sign in as "${a.adminUser}"`,
      `  (to see the admin password: sudo cat .secrets/admin_pwd.txt)`,
      '',
      'After any later change: run photoprism-harden init again (add --apply to deploy); the secrets in use are kept.',
      '',
      'To repeat this setup without prompts (passwords are kept from the written files):',
      ...cmd(repeat),
    );
    return lines;
  },
  audit: (dir, facts, version, o) => auditSwarm(dir, facts, version, o),
};

/** The Swarm secrets a stack file names, each with the file it is created from. */
export function stackSecretsOf(text: string): { name: string; file: string }[] {
  const data = parseDocument(text).toJS() as { secrets?: Record<string, unknown> } | null;
  const file: Record<string, string> = { admin_pwd: '.secrets/admin_pwd.txt', db_pwd: '.secrets/db_pwd.txt', db_root_pwd: '.secrets/db_root_pwd.txt' };
  return Object.keys(data?.secrets ?? {}).flatMap((name) => {
    const m = new RegExp(`^${STACK_NAME}_(admin_pwd|db_pwd|db_root_pwd)_v\\d+$`).exec(name);
    return m ? [{ name, file: file[m[1]!]! }] : [];
  });
}
