// `audit --running`: what the files cannot show. The live containers of the installation are read
// through the engine (`compose ps`, `inspect`, `top`, `config --hash`) and judged with the same rule
// ids, severities and report as the file audit: a password in a running container's environment or
// command line, the user it really runs as, capabilities, seccomp/AppArmor, no-new-privileges,
// published ports, mounts, and containers created from an older compose file than the one on disk.
// Collecting is the only part that talks to the engine; the rules are pure functions of what it read.

import path from 'node:path';
import type { EngineAccess } from '../rotate/exec.js';
import { isSecretName } from './load.js';
import { passwordInEnvironment } from './rules/password-in-environment.js';
import { runsAsRoot } from './rules/runs-as-root.js';
import { privileged } from './rules/privileged.js';
import { dockerSocketMounted, isRuntimeSocket } from './rules/docker-socket-mounted.js';
import { sensitiveHostMount, sensitiveReason } from './rules/sensitive-host-mount.js';
import { apparmorUnconfined, noNewPrivileges, seccompUnconfined } from './rules/security-opt.js';
import { databasePortPublished, portAllInterfaces } from './rules/ports.js';
import { hostIpc, hostNetwork, hostPid, hostUts, hostUserns } from './rules/host-namespace.js';
import { capabilitiesNotDropped, capabilityBeyondNeed, neededCaps } from './rules/least-privilege.js';
import { at } from './rules/util.js';
import type { AuditContext, RawFinding, Rule, ServiceView } from './types.js';

export interface PortBinding {
  containerPort: string;
  hostIp: string;
  hostPort: string;
}

export interface MountView {
  type: string;
  source: string;
  destination: string;
  rw: boolean;
}

export interface ProcessView {
  uid: number | null;
  gid: number | null;
  args: string;
}

/** One running (or stopped) container of the installation, as the engine reports it. */
export interface ContainerView {
  id: string;
  name: string;
  service: string;
  state: string;
  /** Config.Env, split at the first = */
  env: { name: string; value: string }[];
  /** Path + Args: the command line of the container's first process */
  argv: string[];
  /** Config.User ('' = the image's default, usually root) */
  user: string;
  capAdd: string[];
  capDrop: string[];
  privileged: boolean;
  securityOpt: string[];
  appArmorProfile: string;
  ports: PortBinding[];
  mounts: MountView[];
  networkMode: string;
  pidMode: string;
  ipcMode: string;
  utsMode: string;
  usernsMode: string;
  configHash: string | null;
  /** processes inside (docker top); null when the engine could not list them */
  processes: ProcessView[] | null;
}

export interface RunningContext {
  files: AuditContext;
  containers: ContainerView[];
  /** service -> the hash Compose computes for the compose file on disk; null when unknown */
  expectedHashes: Map<string, string> | null;
  /** problems while reading (shown as info findings) */
  notes: string[];
}

const arr = (v: unknown): string[] => (Array.isArray(v) ? v.map(String) : []);

/** One element of `docker inspect`'s JSON array. */
export function containerView(raw: Record<string, unknown>): ContainerView {
  const config = (raw.Config ?? {}) as Record<string, unknown>;
  const host = (raw.HostConfig ?? {}) as Record<string, unknown>;
  const labels = (config.Labels ?? {}) as Record<string, string>;
  const state = (raw.State ?? {}) as Record<string, unknown>;
  const ports: PortBinding[] = [];
  const net = ((raw.NetworkSettings ?? {}) as Record<string, unknown>).Ports as Record<string, { HostIp?: string; HostPort?: string }[] | null> | undefined;
  const bindings = (net && Object.keys(net).length ? net : (host.PortBindings as typeof net)) ?? {};
  for (const [cport, list] of Object.entries(bindings)) {
    for (const b of list ?? []) ports.push({ containerPort: cport, hostIp: b.HostIp ?? '', hostPort: b.HostPort ?? '' });
  }
  const mounts = (Array.isArray(raw.Mounts) ? raw.Mounts : []).map((m: Record<string, unknown>) => ({
    type: String(m.Type ?? ''),
    source: String(m.Source ?? ''),
    destination: String(m.Destination ?? ''),
    rw: m.RW !== false,
  }));
  return {
    id: String(raw.Id ?? ''),
    name: String(raw.Name ?? '').replace(/^\//, ''),
    service: labels['com.docker.compose.service'] ?? labels['io.podman.compose.service'] ?? '',
    state: String(state.Status ?? '').toLowerCase(),
    env: arr(config.Env).map((e) => {
      const i = e.indexOf('=');
      return i < 0 ? { name: e, value: '' } : { name: e.slice(0, i), value: e.slice(i + 1) };
    }),
    argv: [String(raw.Path ?? ''), ...arr(raw.Args)].filter((a, i) => i > 0 || a !== ''),
    user: String(config.User ?? ''),
    capAdd: arr(host.CapAdd).map((c) => c.toUpperCase().replace(/^CAP_/, '')),
    capDrop: arr(host.CapDrop).map((c) => c.toUpperCase().replace(/^CAP_/, '')),
    privileged: host.Privileged === true,
    securityOpt: arr(host.SecurityOpt),
    appArmorProfile: String(raw.AppArmorProfile ?? ''),
    ports,
    mounts,
    networkMode: String(host.NetworkMode ?? ''),
    pidMode: String(host.PidMode ?? ''),
    ipcMode: String(host.IpcMode ?? ''),
    utsMode: String(host.UTSMode ?? ''),
    usernsMode: String(host.UsernsMode ?? ''),
    configHash: labels['com.docker.compose.config-hash'] ?? null,
    processes: null,
  };
}

/** `docker top ID -eo pid,uid,gid,args` output (the engine needs the PID column): a header, then PID UID GID COMMAND... */
export function parseTop(text: string): ProcessView[] {
  const lines = text.split('\n').filter((l) => l.trim() !== '');
  return lines.slice(1).map((l) => {
    const m = /^\s*\S+\s+(\S+)\s+(\S+)\s+(.*)$/.exec(l);
    const num = (s: string | undefined) => (s !== undefined && /^\d+$/.test(s) ? Number(s) : null);
    return m ? { uid: num(m[1]), gid: num(m[2]), args: m[3]! } : { uid: null, gid: null, args: l };
  });
}

/** `config --hash '*'` output: "service hash" per line. */
export function parseHashes(text: string): Map<string, string> {
  const out = new Map<string, string>();
  for (const l of text.split('\n')) {
    const m = /^(\S+)\s+([0-9a-f]{64})$/.exec(l.trim());
    if (m) out.set(m[1]!, m[2]!);
  }
  return out;
}

const firstLine = (s: string) => s.trim().split('\n')[0] ?? '';

/** Read the installation's containers through the engine. */
export async function collectRunning(files: AuditContext, access: EngineAccess): Promise<RunningContext> {
  const notes: string[] = [];
  let ids: string[] = [];
  const ps = await access.compose(['ps', '-a', '-q']);
  if (ps.exitCode !== 0) throw new Error(`${access.display} ps failed: ${firstLine(ps.stderr) || `exit code ${ps.exitCode}`}`);
  ids = ps.stdout.split('\n').map((l) => l.trim()).filter(Boolean);
  let containers: ContainerView[] = [];
  if (ids.length) {
    const ins = await access.container(['inspect', ...ids]);
    if (ins.exitCode !== 0) throw new Error(`${access.runtime} inspect failed: ${firstLine(ins.stderr) || `exit code ${ins.exitCode}`}`);
    containers = (JSON.parse(ins.stdout) as Record<string, unknown>[]).map(containerView);
    for (const c of containers) {
      if (c.state !== 'running') continue;
      const top = await access.container(['top', c.id, '-eo', 'pid,uid,gid,args']);
      if (top.exitCode === 0) c.processes = parseTop(top.stdout);
      else notes.push(`${access.runtime} top ${c.name}: ${firstLine(top.stderr) || `exit code ${top.exitCode}`} (the users of its processes were not checked)`);
    }
  }
  let expectedHashes: Map<string, string> | null = null;
  const h = await access.compose(['config', '--hash', '*']);
  if (h.exitCode === 0) expectedHashes = parseHashes(h.stdout);
  else notes.push(`${access.display} config --hash: ${firstLine(h.stderr) || `exit code ${h.exitCode}`} (whether containers match the compose file was not checked)`);
  return { files, containers, expectedHashes, notes };
}

// ---------------------------------------------------------------------------------------------
// rules (pure)

type RunningCheck = (r: RunningContext) => RawFinding[];

/** Where a container's finding points: its service in the compose file (or the compose file). */
function where(r: RunningContext, c: ContainerView, ...keys: string[]): { file: string; line?: number; column?: number; service: string } {
  const svc = r.files.services.find((s) => s.name === c.service);
  if (!svc) return { file: r.files.compose.rel, service: c.service || c.name };
  const pos = keys.length ? r.files.posOf(r.files.compose, ['services', svc.name, ...keys]) : undefined;
  return pos ? { file: r.files.compose.rel, line: pos.line, column: pos.col, service: svc.name } : at(r.files, svc);
}

const label = (c: ContainerView) => `running container ${c.name}${c.service ? ` (service "${c.service}")` : ''}`;
const serviceOf = (r: RunningContext, c: ContainerView): ServiceView | undefined => r.files.services.find((s) => s.name === c.service);
const running = (r: RunningContext) => r.containers.filter((c) => c.state === 'running');

/** Secret values the files know (their current passwords), for matching command lines and values. */
function knownSecrets(r: RunningContext): string[] {
  return r.files.secretValues.filter((v) => v.length >= 6);
}

const RECREATE = (c: ContainerView) => `recreate it from the current file: docker compose up -d --force-recreate ${c.service || ''}`.trim();

const envPasswords: RunningCheck = (r) => {
  const out: RawFinding[] = [];
  const known = knownSecrets(r);
  for (const c of running(r)) {
    const svc = serviceOf(r, c);
    for (const e of c.env) {
      const secretName = isSecretName(e.name) && e.value !== '';
      const secretValue = !secretName && e.value !== '' && known.some((k) => e.value.includes(k));
      if (!secretName && !secretValue) continue;
      const inFiles = svc?.envMap.has(e.name) ?? false;
      out.push({
        ...where(r, c, 'environment'),
        message:
          `${e.name} ${secretName ? 'holds a password' : 'holds one of the installation\'s passwords'} in the environment of ${label(c)} (docker inspect and /proc/<pid>/environ show it)` +
          (inFiles ? '' : '; the compose file no longer sets it, so the container was created from an older configuration'),
        fix: inFiles
          ? `remove ${e.name} from the compose file (see the file audit's fix), then ${RECREATE(c)}; a password that was exposed should be changed: photoprism-harden rotate`
          : `${RECREATE(c)}; the value was exposed, so change that password too: photoprism-harden rotate`,
      });
    }
  }
  return out;
};

/** A password on a command line: --password=..., -pVALUE, or a known secret value anywhere in it. */
export function passwordInArgs(args: string[], known: string[]): boolean {
  for (const a of args) {
    if (/^--(password|passwd|pass|db-password|database-password)=./i.test(a)) return true;
    if (/^-p\S+/.test(a) && !/^-p(ort|rotocol|ublish)/.test(a)) return true;
    if (known.some((k) => a.includes(k))) return true;
  }
  return false;
}

const argvPasswords: RunningCheck = (r) => {
  const out: RawFinding[] = [];
  const known = knownSecrets(r);
  for (const c of running(r)) {
    const inFirst = passwordInArgs(c.argv, known);
    const inProc = (c.processes ?? []).some((p) => passwordInArgs(p.args.split(/\s+/), known));
    if (!inFirst && !inProc) continue;
    out.push({
      ...where(r, c, 'command'),
      message: `a password is on the command line of ${inFirst ? `${label(c)} (docker inspect shows it)` : `a process in ${label(c)} (ps on the host shows it)`}`,
      fix: 'pass passwords through secret files (MARIADB_*_FILE, options.yml), never as arguments; then recreate the container and change the exposed password (photoprism-harden rotate)',
    });
  }
  return out;
};

/** The PhotoPrism program itself (not the entrypoint shell that started it): photoprism, or an interpreter running it. */
export function isPhotoPrismProcess(args: string): boolean {
  const [exe = '', first = ''] = args.trim().split(/\s+/);
  const base = (s: string) => s.slice(s.lastIndexOf('/') + 1);
  return base(exe) === 'photoprism' || (/^python[0-9.]*$/.test(base(exe)) && base(first) === 'photoprism');
}

const actualRoot: RunningCheck = (r) => {
  const out: RawFinding[] = [];
  for (const c of running(r)) {
    const svc = serviceOf(r, c);
    if (svc?.kind !== 'photoprism') continue;
    // the entrypoint stays root to wait for its child; the app is every process named photoprism
    const app = (c.processes ?? []).filter((p) => isPhotoPrismProcess(p.args));
    const rootApp = app.filter((p) => p.uid === 0 || p.gid === 0);
    if (rootApp.length) {
      out.push({
        ...where(r, c, 'environment'),
        message: `PhotoPrism runs as ${rootApp[0]!.uid === 0 ? 'root (UID 0)' : 'group root (GID 0)'} in ${label(c)}`,
        fix: 'set PHOTOPRISM_UID/PHOTOPRISM_GID (photoprism-harden init does), then recreate the container',
      });
    } else if (c.processes === null && (c.user === '' || /^(0|root)(:|$)/.test(c.user)) && !c.env.some((e) => e.name === 'PHOTOPRISM_UID' && e.value && e.value !== '0')) {
      out.push({
        ...where(r, c),
        message: `${label(c)} was started as root without PHOTOPRISM_UID: PhotoPrism runs as root`,
        fix: 'set PHOTOPRISM_UID/PHOTOPRISM_GID (photoprism-harden init does), then recreate the container',
      });
    }
  }
  return out;
};

const privilegedRunning: RunningCheck = (r) =>
  running(r)
    .filter((c) => c.privileged)
    .map((c) => ({ ...where(r, c, 'privileged'), message: `${label(c)} runs privileged`, fix: `remove "privileged: true", then ${RECREATE(c)}` }));

/** Capabilities beyond Docker's default set that let a container reach the host. */
export const DANGEROUS_CAPS = ['ALL', 'SYS_ADMIN', 'SYS_MODULE', 'SYS_PTRACE', 'SYS_RAWIO', 'SYS_BOOT', 'SYS_TIME', 'NET_ADMIN', 'DAC_READ_SEARCH', 'BPF', 'PERFMON', 'MAC_ADMIN', 'MAC_OVERRIDE', 'SYSLOG', 'LINUX_IMMUTABLE'];

export const capabilityAdded: Rule = {
  id: 'capability-added',
  severity: 'error',
  title: 'A running container has a capability that reaches the host (SYS_ADMIN, NET_ADMIN, SYS_PTRACE, ALL, ...)',
  why: 'these capabilities let a process in the container load modules, mount, trace host processes or change the network: most container escapes need one of them',
  cis: '5.3',
  check: () => [],
};

const capsRunning: RunningCheck = (r) => {
  const out: RawFinding[] = [];
  for (const c of running(r)) {
    const bad = c.capAdd.filter((x) => DANGEROUS_CAPS.includes(x));
    if (!bad.length) continue;
    out.push({ ...where(r, c, 'cap_add'), message: `${label(c)} has ${bad.join(', ')} added`, fix: `remove ${bad.join(', ')} from cap_add, then ${RECREATE(c)}` });
  }
  return out;
};

/** PhotoPrism's and MariaDB's containers as created: every capability dropped, only the mode's set added back. */
const notDroppedRunning: RunningCheck = (r) => {
  const out: RawFinding[] = [];
  for (const c of running(r)) {
    const svc = serviceOf(r, c);
    if (!svc || (svc.kind !== 'photoprism' && svc.kind !== 'mariadb') || c.capDrop.includes('ALL')) continue;
    out.push({ ...where(r, c, 'cap_drop'), message: `${label(c)} runs with Docker's default capabilities (CapDrop has no ALL)`, fix: `add cap_drop: [ALL] and only ${neededCaps(r.files, svc).caps.join(', ') || 'no'} cap_add (init does), then ${RECREATE(c)}` });
  }
  return out;
};

const beyondNeedRunning: RunningCheck = (r) => {
  const out: RawFinding[] = [];
  for (const c of running(r)) {
    const svc = serviceOf(r, c);
    if (!svc || (svc.kind !== 'photoprism' && svc.kind !== 'mariadb')) continue;
    const need = neededCaps(r.files, svc);
    const extra = c.capAdd.filter((x) => !need.caps.includes(x) && !DANGEROUS_CAPS.includes(x)); // dangerous ones: capability-added
    if (extra.length) out.push({ ...where(r, c, 'cap_add'), message: `${label(c)} has ${extra.join(', ')} added, which it does not need`, fix: `remove ${extra.join(', ')} from cap_add, then ${RECREATE(c)}` });
  }
  return out;
};

const optIs = (c: ContainerView, re: RegExp) => c.securityOpt.some((o) => re.test(o.trim()));

const seccompRunning: RunningCheck = (r) =>
  running(r)
    .filter((c) => optIs(c, /^seccomp[:=]unconfined$/i))
    .map((c) => ({ ...where(r, c, 'security_opt'), message: `${label(c)} runs without seccomp filtering`, fix: `delete "seccomp:unconfined", then ${RECREATE(c)}` }));

const apparmorRunning: RunningCheck = (r) =>
  running(r)
    .filter((c) => c.appArmorProfile === 'unconfined' || optIs(c, /^apparmor[:=]unconfined$/i))
    .map((c) => ({ ...where(r, c, 'security_opt'), message: `${label(c)} runs without AppArmor (profile "unconfined")`, fix: `delete "apparmor:unconfined", then ${RECREATE(c)}` }));

const nnpRunning: RunningCheck = (r) => {
  const out: RawFinding[] = [];
  for (const c of running(r)) {
    if (optIs(c, /^no-new-privileges(?:[:=]true)?$/i)) continue;
    const svc = serviceOf(r, c);
    if (svc?.kind === 'photoprism' && r.files.identity?.mode === 'user') continue;
    out.push({ ...where(r, c, 'security_opt'), message: `${label(c)} runs without no-new-privileges`, fix: `add security_opt "no-new-privileges:true" (init does), then ${RECREATE(c)}` });
  }
  return out;
};

const allIfaces = (ip: string) => ip === '' || ip === '0.0.0.0' || ip === '::' || ip === '[::]';

const dbPortRunning: RunningCheck = (r) => {
  const out: RawFinding[] = [];
  for (const c of running(r)) {
    if (serviceOf(r, c)?.kind !== 'mariadb') continue;
    for (const p of c.ports) {
      if (!p.hostPort) continue;
      out.push({ ...where(r, c, 'ports'), message: `${label(c)} publishes ${p.hostIp ? `${p.hostIp}:` : ''}${p.hostPort} -> ${p.containerPort}`, fix: `delete the ports: entry, then ${RECREATE(c)}` });
    }
  }
  return out;
};

const allIfacesRunning: RunningCheck = (r) => {
  const out: RawFinding[] = [];
  for (const c of running(r)) {
    if (serviceOf(r, c)?.kind === 'mariadb') continue;
    const seen = new Set<string>();
    for (const p of c.ports) {
      if (!p.hostPort || !allIfaces(p.hostIp) || seen.has(p.hostPort + p.containerPort)) continue;
      seen.add(p.hostPort + p.containerPort);
      out.push({ ...where(r, c, 'ports'), message: `${label(c)} publishes host port ${p.hostPort} -> ${p.containerPort} on all interfaces`, fix: `bind it to one address (e.g. "127.0.0.1:${p.hostPort}:${p.containerPort.replace(/\/tcp$/, '')}" behind a reverse proxy), then ${RECREATE(c)}` });
    }
  }
  return out;
};

const socketRunning: RunningCheck = (r) => {
  const out: RawFinding[] = [];
  for (const c of running(r)) {
    for (const m of c.mounts) {
      if (m.type === 'bind' && isRuntimeSocket(m.source)) out.push({ ...where(r, c, 'volumes'), message: `${label(c)} has the engine socket ${m.source} mounted at ${m.destination}`, fix: `remove the mount, then ${RECREATE(c)}` });
    }
  }
  return out;
};

const sensitiveRunning: RunningCheck = (r) => {
  const out: RawFinding[] = [];
  for (const c of running(r)) {
    for (const m of c.mounts) {
      if (m.type !== 'bind' || isRuntimeSocket(m.source)) continue;
      const reason = sensitiveReason(m.source, path.resolve(m.source), r.files.home, !m.rw);
      if (reason) out.push({ ...where(r, c, 'volumes'), message: `${label(c)} has ${m.source} mounted at ${m.destination}${m.rw ? '' : ' (read-only)'}: ${reason}`, fix: `mount only the folder the service needs, then ${RECREATE(c)}` });
    }
  }
  return out;
};

function nsRunning(field: 'networkMode' | 'pidMode' | 'ipcMode' | 'utsMode' | 'usernsMode', key: string): RunningCheck {
  return (r) =>
    running(r)
      .filter((c) => c[field] === 'host')
      .map((c) => ({ ...where(r, c, key), message: `${label(c)} shares the host's ${key.replace(/_mode$/, '')} namespace`, fix: `remove "${key}: host", then ${RECREATE(c)}` }));
}

export const containerOutdated: Rule = {
  id: 'container-outdated',
  severity: 'warning',
  title: 'A container was created from an older compose file than the one on disk (needs up -d --force-recreate)',
  why: 'Compose applies a changed file only when it recreates the container: until then the old settings (passwords, users, mounts) stay in force',
  check: () => [],
};

const outdatedRunning: RunningCheck = (r) => {
  if (!r.expectedHashes) return [];
  const out: RawFinding[] = [];
  for (const c of r.containers) {
    const want = r.expectedHashes.get(c.service);
    if (!want || !c.configHash || c.configHash === want) continue;
    out.push({
      ...where(r, c),
      message: `${label(c)} was created from another version of ${r.files.compose.rel} than the one on disk`,
      fix: `docker compose stop && docker compose up -d --force-recreate (photoprism-harden init --apply does both)`,
    });
  }
  return out;
};

export const containerNotRunning: Rule = {
  id: 'container-not-running',
  severity: 'info',
  title: 'A service of the compose file has no running container (audit --running could not check it)',
  why: 'what is not running cannot be inspected; a service that keeps exiting also hides its real configuration',
  check: () => [],
};

const notRunning: RunningCheck = (r) => {
  const out: RawFinding[] = [];
  for (const s of r.files.services) {
    if (Array.isArray(s.data.profiles) && (s.data.profiles as unknown[]).length) continue;
    const mine = r.containers.filter((c) => c.service === s.name);
    if (mine.some((c) => c.state === 'running')) continue;
    out.push({
      ...at(r.files, s),
      message: mine.length ? `service "${s.name}" is ${mine.map((c) => c.state).join(', ')}: not checked` : `service "${s.name}" has no container: not checked`,
      fix: 'start it (docker compose up -d), then run audit --running again',
    });
  }
  for (const n of r.notes) out.push({ file: r.files.compose.rel, message: n, fix: 'check that the engine runs and that this user may use it' });
  return out;
};

/** Running checks, each under the id (and severity) of the file rule it matches. */
const CHECKS: [Rule, RunningCheck][] = [
  [passwordInEnvironment, envPasswords],
  [passwordInEnvironment, argvPasswords],
  [runsAsRoot, actualRoot],
  [privileged, privilegedRunning],
  [capabilityAdded, capsRunning],
  [capabilitiesNotDropped, notDroppedRunning],
  [capabilityBeyondNeed, beyondNeedRunning],
  [dockerSocketMounted, socketRunning],
  [sensitiveHostMount, sensitiveRunning],
  [seccompUnconfined, seccompRunning],
  [apparmorUnconfined, apparmorRunning],
  [noNewPrivileges, nnpRunning],
  [databasePortPublished, dbPortRunning],
  [portAllInterfaces, allIfacesRunning],
  [hostNetwork, nsRunning('networkMode', 'network_mode')],
  [hostPid, nsRunning('pidMode', 'pid')],
  [hostIpc, nsRunning('ipcMode', 'ipc')],
  [hostUts, nsRunning('utsMode', 'uts')],
  [hostUserns, nsRunning('usernsMode', 'userns_mode')],
  [containerOutdated, outdatedRunning],
  [containerNotRunning, notRunning],
];

/** The rules only audit --running has (README table). */
export const RUNNING_RULES: readonly Rule[] = [capabilityAdded, containerOutdated, containerNotRunning];

/**
 * The file rules followed by the running checks, as Rules over the file context: the running checks
 * close over what the engine reported. Rules sharing an id are merged into one.
 */
export function runningRules(fileRules: readonly Rule[], r: RunningContext): Rule[] {
  const byId = new Map<string, Rule>();
  const order: string[] = [];
  const add = (rule: Rule, check: (ctx: AuditContext) => RawFinding[]) => {
    const prev = byId.get(rule.id);
    if (prev) {
      const before = prev.check;
      byId.set(rule.id, { ...prev, check: (ctx) => [...before(ctx), ...check(ctx)] });
    } else {
      byId.set(rule.id, { ...rule, check });
      order.push(rule.id);
    }
  };
  for (const f of fileRules) add(f, (ctx) => f.check(ctx));
  for (const [meta, check] of CHECKS) add(meta, () => check(r));
  return order.map((id) => byId.get(id)!);
}

/** Secret values a running container carries (to scrub from the report as well). */
export function runningSecretValues(r: RunningContext): string[] {
  const out: string[] = [];
  for (const c of r.containers) for (const e of c.env) if (isSecretName(e.name) && e.value) out.push(e.value);
  return out;
}
