// Host preflight (read-only): which Compose engine and container runtime this host has, whether the
// runtime uses a user namespace (rootless Docker, rootless Podman, userns-remap) and therefore how
// container ids map to host ids, SELinux, and free disk. It runs `version` and `info` commands and
// reads files; it never changes anything on the host.

import { promises as fsp } from 'node:fs';
import { octalMode, termWidth, wrapWords } from './text.js';
import { trace } from './trace.js';
import type { HostFacts, HostProbe } from './host.js';
import { commandsOf, detect, systemCommands, type CommandRunner, type Detection, type Engine, type EngineChoice, type RunResult } from './engine.js';
import {
  fromPodmanMaps,
  parseUsernsRemap,
  rangesOf,
  remapMap,
  remapRootFromDockerRootDir,
  rootlessMap,
  type ContainerIdMapping,
  type IdMap,
} from './idmap.js';

export interface RuntimeInfo {
  runtime: 'docker' | 'podman';
  /** the daemon (or podman) answered `info` */
  reachable: boolean;
  /** first line of the error when it did not */
  error?: string;
  serverVersion?: string;
  rootless: boolean;
  usernsRemap: boolean;
  /** the daemon/podman applies SELinux labels */
  selinux: boolean;
  rootDir?: string;
  /** podman's own uid/gid maps (rootless podman) */
  podmanMap?: IdMap;
}

export interface Note {
  level: 'info' | 'warn';
  text: string;
}

export interface Preflight {
  engine: Engine | null;
  /** engines looked for and not usable */
  notFound: string[];
  runtime: RuntimeInfo | null;
  mapping: ContainerIdMapping | null;
  selinuxEnforcing: boolean;
  free: { path: string; bytes: number } | null;
  runtimeFree: { path: string; bytes: number } | null;
  notes: Note[];
}

export interface PreflightOptions {
  facts: HostFacts;
  /** the host; its engines() may have started the engine commands already */
  probe?: HostProbe;
  dir: string;
  engineChoice?: EngineChoice;
  env: NodeJS.ProcessEnv;
}

/** What the engine and runtime commands find (promises: they may run while other work goes on). */
export interface EngineFacts {
  detection: Promise<Detection>;
  /** `docker info` (or `podman info` with --engine podman): the runtime the engine most likely uses */
  guess: 'docker' | 'podman';
  runtime: Promise<RuntimeInfo>;
}

/** Engine facts being found by running processes, for one --engine choice. */
export interface EngineProbes extends EngineFacts {
  engineChoice?: EngineChoice;
  /** what runs them (the host's commands) */
  runner: CommandRunner;
  /**
   * started with the real commands (systemCommands). dist/prelude.cjs and dist/cli.cjs each bundle
   * their own copy of engine.ts, so the prelude's systemCommands is not the object cli's real host
   * has: this says that both are the real host's.
   */
  system: boolean;
  /** kill whatever still runs (the caller stopped early, e.g. on invalid input) */
  abort(): void;
}

/**
 * Start the read-only engine probes (`version` of each engine, `info` of the likely runtime). They
 * are external processes, run by `runner` (the host's commands): the CLI starts them before it loads
 * init's code, so they run meanwhile.
 */
export function startEngineProbes(env: NodeJS.ProcessEnv, engineChoice?: EngineChoice, runner: CommandRunner = systemCommands): EngineProbes {
  const system = runner === systemCommands;
  trace('preflight: engine probes start');
  const ac = new AbortController();
  // `docker info` is needed whenever the engine turns out to be Docker's (or none is found): start it
  // together with the engine probes instead of after them
  const guess: 'docker' | 'podman' = engineChoice === 'podman' ? 'podman' : 'docker';
  const info = runInfo(guess, env, ac.signal, runner);
  return {
    engineChoice,
    runner,
    system,
    // `docker info` also names the Docker CLI's compose plugin: then `docker compose version` is not run
    detection: detect(env, engineChoice, ac.signal, guess === 'docker' ? info : undefined, runner),
    guess,
    runtime: runtimeInfo(guess, env, info, runner),
    abort: () => ac.abort(),
  };
}

const GiB = 1024 ** 3;

/** `docker info --format '{{json .}}'`: the fields the preflight uses. */
export function parseDockerInfo(text: string): Pick<RuntimeInfo, 'serverVersion' | 'rootless' | 'usernsRemap' | 'selinux' | 'rootDir'> {
  const o = JSON.parse(text) as Record<string, unknown>;
  const opts = Array.isArray(o.SecurityOptions) ? (o.SecurityOptions as unknown[]).map(String) : [];
  const names = opts.map((s) => /(?:^|,)name=([^,]+)/.exec(s)?.[1] ?? s);
  return {
    serverVersion: typeof o.ServerVersion === 'string' && o.ServerVersion ? o.ServerVersion : undefined,
    rootless: names.includes('rootless'),
    usernsRemap: names.includes('userns'),
    selinux: names.includes('selinux'),
    rootDir: typeof o.DockerRootDir === 'string' && o.DockerRootDir ? o.DockerRootDir : undefined,
  };
}

/** The first of `docker info`'s ServerErrors (Docker CLI 20.10 lists why the daemon did not answer there). */
function dockerServerError(text: string): string | undefined {
  try {
    const errs = (JSON.parse(text) as { ServerErrors?: unknown }).ServerErrors;
    return Array.isArray(errs) && typeof errs[0] === 'string' && errs[0].trim() ? errs[0] : undefined;
  } catch {
    return undefined;
  }
}

/** `podman info --format json`: rootless flag, its own id maps, version. */
export function parsePodmanInfo(text: string): Pick<RuntimeInfo, 'serverVersion' | 'rootless' | 'usernsRemap' | 'selinux' | 'rootDir' | 'podmanMap'> {
  const o = JSON.parse(text) as Record<string, Record<string, unknown> | undefined>;
  const host = o.host ?? {};
  const sec = (host.security ?? {}) as Record<string, unknown>;
  const maps = (host.idMappings ?? {}) as Record<string, unknown>;
  const uids = fromPodmanMaps(maps.uidmap);
  const gids = fromPodmanMaps(maps.gidmap);
  const version = (o.version ?? {}) as Record<string, unknown>;
  const store = (o.store ?? {}) as Record<string, unknown>;
  return {
    serverVersion: typeof version.Version === 'string' ? version.Version : undefined,
    rootless: sec.rootless === true,
    usernsRemap: false,
    selinux: sec.selinuxEnabled === true,
    rootDir: typeof store.graphRoot === 'string' ? store.graphRoot : undefined,
    podmanMap: uids && gids && uids.length && gids.length ? { uids, gids } : undefined,
  };
}

/** `docker info` / `podman info` as JSON (read-only). */
export function runInfo(runtime: 'docker' | 'podman', env: NodeJS.ProcessEnv, signal?: AbortSignal, runner: CommandRunner = systemCommands): Promise<RunResult> {
  return runtime === 'docker'
    ? runner.run('docker', ['info', '--format', '{{json .}}'], { env, timeoutMs: 20000, signal })
    : runner.run('podman', ['info', '--format', 'json'], { env, timeoutMs: 30000, signal });
}

/** What `info` says (`result`: an `info` already running). */
export async function runtimeInfo(
  runtime: 'docker' | 'podman',
  env: NodeJS.ProcessEnv,
  result?: Promise<RunResult>,
  runner: CommandRunner = systemCommands,
): Promise<RuntimeInfo> {
  const r = await (result ?? runInfo(runtime, env, undefined, runner));
  const base: RuntimeInfo = { runtime, reachable: false, rootless: false, usernsRemap: false, selinux: false };
  if (r.missing) return { ...base, error: `${runtime} is not installed` };
  if (r.exitCode !== 0) {
    const line = (r.stderr || r.stdout).split('\n').find((l) => l.trim()) ?? `exit code ${r.exitCode}`;
    return { ...base, error: line.trim() };
  }
  try {
    const parsed = runtime === 'docker' ? parseDockerInfo(r.stdout) : parsePodmanInfo(r.stdout);
    // with --format, the Docker CLI prints its own part and exits 0 when the daemon is down (20.10 as
    // in Debian's docker.io adds ServerErrors, later ones write the error to stderr): only an answer
    // with the daemon's version is a reachable engine
    if (runtime === 'docker' && !parsed.serverVersion) {
      const said = dockerServerError(r.stdout) ?? r.stderr.split('\n').find((l) => l.trim());
      return { ...base, error: said?.trim() || 'the Docker daemon did not answer `docker info` (no server version)' };
    }
    return { ...base, ...parsed, reachable: true };
  } catch (e) {
    return { ...base, error: `cannot read \`${runtime} info\`: ${(e as Error).message}` };
  }
}

function accountByUid(facts: HostFacts, uid: number) {
  return facts.accounts.find((a) => a.uid === uid);
}

/** Who runs a rootless Docker daemon: the owner of its data root, else of the DOCKER_HOST socket, else us. */
async function rootlessDaemonUid(info: RuntimeInfo, env: NodeJS.ProcessEnv, facts: HostFacts): Promise<{ uid: number; how: string }> {
  if (info.rootDir) {
    try {
      const st = await fsp.stat(info.rootDir);
      return { uid: st.uid, how: `the owner of its data root ${info.rootDir}` };
    } catch {
      /* not visible to us */
    }
  }
  const host = env.DOCKER_HOST ?? '';
  if (host.startsWith('unix://')) {
    try {
      const st = await fsp.stat(host.slice('unix://'.length));
      return { uid: st.uid, how: `the owner of its socket ${host.slice('unix://'.length)}` };
    } catch {
      /* fall through */
    }
    const m = /^unix:\/\/\/run\/user\/(\d+)\//.exec(host);
    if (m) return { uid: Number(m[1]), how: `the uid in DOCKER_HOST ${host}` };
  }
  return { uid: facts.euid, how: 'the user running this tool' };
}

/**
 * The id mapping of this host's runtime, or null when container ids are host ids. `problem` explains a
 * user namespace whose mapping could not be worked out (no /etc/subuid entry, unknown account, ...).
 */
export async function idMapping(
  info: RuntimeInfo,
  facts: HostFacts,
  env: NodeJS.ProcessEnv,
): Promise<{ mapping: ContainerIdMapping | null; problem?: string }> {
  const subuid = facts.subuid ?? [];
  const subgid = facts.subgid ?? [];
  if (info.rootless) {
    const mode = info.runtime === 'podman' ? 'rootless-podman' : 'rootless-docker';
    let uid: number;
    let how: string;
    if (info.runtime === 'podman') {
      // rootless podman runs as whoever calls it: this tool's user
      const first = info.podmanMap?.uids.find((r) => r.container === 0);
      uid = first ? first.host : facts.euid;
      how = 'the user running podman';  // (reported by podman info)
    } else ({ uid, how } = await rootlessDaemonUid(info, env, facts));
    const acct = accountByUid(facts, uid);
    const gid = acct?.gid ?? (info.podmanMap?.gids.find((r) => r.container === 0)?.host ?? uid);
    const user = { name: acct?.name ?? String(uid), uid, gid };
    const groupName = facts.groups.find((g) => g.gid === gid)?.name ?? user.name;
    if (info.podmanMap) {
      return { mapping: { mode, user, map: info.podmanMap, source: 'the uid/gid maps `podman info` reports' } };
    }
    const map = rootlessMap(user, groupName, subuid, subgid);
    if (map.uids.length < 2 || map.gids.length < 2) {
      return {
        mapping: null,
        problem: `${mode === 'rootless-docker' ? 'Rootless Docker' : 'Rootless Podman'} runs as ${user.name} (uid ${uid}, ${how}), but /etc/subuid or /etc/subgid has no range for ${user.name}: the containers cannot use any id but root. Add one (e.g. "usermod --add-subuids 100000-165535 --add-subgids 100000-165535 ${user.name}"; this tool never changes it) and restart the engine.`,
      };
    }
    return { mapping: { mode, user, map, source: `${user.name}'s ranges in /etc/subuid and /etc/subgid; the daemon runs as ${how}` } };
  }
  if (info.usernsRemap || facts.dockerUsernsRemap) {
    const setting = facts.dockerUsernsRemap;
    const names = setting ? parseUsernsRemap(setting) : null;
    const fromDir = info.rootDir ? remapRootFromDockerRootDir(info.rootDir) : null;
    if (names) {
      const acct = facts.accounts.find((a) => a.name === names.user || String(a.uid) === names.user);
      const grp = facts.groups.find((g) => g.name === names.group || String(g.gid) === names.group);
      const user = { name: acct?.name ?? names.user, uid: acct?.uid ?? (/^\d+$/.test(names.user) ? Number(names.user) : -1) };
      const group = { name: grp?.name ?? names.group, gid: grp?.gid ?? (/^\d+$/.test(names.group) ? Number(names.group) : -1) };
      const map = remapMap(user, group, rangesOf(subuid, user.name, user.uid), rangesOf(subgid, group.name, group.gid));
      if (map.uids.length && map.gids.length) {
        return {
          mapping: {
            mode: 'userns-remap',
            user: { name: user.name, uid: user.uid, gid: group.gid },
            map,
            source: `/etc/docker/daemon.json "userns-remap": "${setting}" and ${user.name}'s ranges in /etc/subuid and /etc/subgid`,
          },
        };
      }
    }
    if (fromDir) {
      // the data root tells where container root lands; assume the usual 65536 ids
      return {
        mapping: {
          mode: 'userns-remap',
          user: { name: names?.user ?? 'dockremap', uid: -1, gid: -1 },
          map: { uids: [{ container: 0, host: fromDir.uid, size: 65536 }], gids: [{ container: 0, host: fromDir.gid, size: 65536 }] },
          source: `the daemon's data root ${info.rootDir}, which names container root's host ids; 65536 ids assumed`,
        },
      };
    }
    if (info.usernsRemap || setting) {
      return {
        mapping: null,
        problem: `Docker uses userns-remap${setting ? ` ("${setting}")` : ''}, but its subordinate ids could not be found in /etc/subuid and /etc/subgid: owners are written as container ids, which will be wrong on this host. Check "docker info" and /etc/subuid.`,
      };
    }
  }
  return { mapping: null };
}

export async function runPreflight(o: PreflightOptions): Promise<Preflight> {
  const notes: Note[] = [];
  const runner = o.probe?.commands ?? systemCommands;
  const probes: EngineFacts = o.probe?.engines ? o.probe.engines(o.engineChoice, o.env) : startEngineProbes(o.env, o.engineChoice, runner);
  const { engine, notFound } = await probes.detection;
  const runtimeName: 'docker' | 'podman' = engine?.runtime ?? probes.guess;
  let runtime: RuntimeInfo | null =
    runtimeName === probes.guess ? await probes.runtime : await runtimeInfo(runtimeName, o.env, undefined, engine ? commandsOf(engine) : runner);
  if (!runtime.reachable && runtime.error?.endsWith('is not installed') && !engine) runtime = null;

  let mapping: ContainerIdMapping | null = null;
  if (runtime?.reachable || o.facts.dockerUsernsRemap) {
    const r = await idMapping(runtime ?? { runtime: 'docker', reachable: false, rootless: false, usernsRemap: false, selinux: false }, o.facts, o.env);
    mapping = r.mapping;
    if (r.problem) notes.push({ level: 'warn', text: r.problem });
  }
  if (runtime && !runtime.reachable && runtime.error) {
    const extra =
      runtime.runtime === 'docker' && o.facts.euid === 0 && !o.env.DOCKER_HOST
        ? ' If Docker runs rootless for another user, run this tool with DOCKER_HOST set to that daemon\'s socket (e.g. sudo DOCKER_HOST=unix:///run/user/1000/docker.sock …) so ownership matches its user namespace.'
        : '';
    notes.push({
      level: 'warn',
      text: `${runtime.runtime} info failed (${runtime.error}): rootless mode and userns-remap cannot be detected, so owners are written as plain host ids.${extra}`,
    });
  }

  const selinuxEnforcing = o.facts.selinux === 'enforcing';
  const free = o.probe?.freeBytes ? await o.probe.freeBytes(o.dir) : null;
  if (free && free.bytes < 2 * GiB) {
    notes.push({
      level: 'warn',
      text: `only ${formatBytes(free.bytes)} free on the file system of ${free.path}: PhotoPrism's cache and thumbnails grow with your library (plan several GB)`,
    });
  }
  let runtimeFree: { path: string; bytes: number } | null = null;
  if (runtime?.rootDir && o.probe?.freeBytes) {
    runtimeFree = await o.probe.freeBytes(runtime.rootDir);
    if (runtimeFree && runtimeFree.bytes < 5 * GiB) {
      notes.push({
        level: 'warn',
        text: `only ${formatBytes(runtimeFree.bytes)} free for images in ${runtime.rootDir}: the PhotoPrism and MariaDB images need several GB`,
      });
    }
  }
  return { engine, notFound, runtime, mapping, selinuxEnforcing, free, runtimeFree, notes };
}

export function formatBytes(n: number): string {
  if (n >= GiB) return `${(n / GiB).toFixed(1)} GiB`;
  return `${Math.round(n / 1024 ** 2)} MiB`;
}

/** The read-only host report shown before the questions. */
export function preflightLines(p: Preflight, facts: HostFacts, width = termWidth()): string[] {
  const lines: string[] = ['Host checks (read-only):'];
  const row = (k: string, v: string) => lines.push(...wrapWords(v, width, `  ${k.padEnd(16)}`, ' '.repeat(18)));
  if (p.engine) row('Compose engine', `${p.engine.display} ${p.engine.version}${p.engine.kind === 'docker-compose-v1' ? ' (Compose v1, end of life: v2 is recommended)' : ''}`);
  else row('Compose engine', `none found: ${p.notFound.join(', ')}`);
  if (p.runtime) {
    const rt = p.runtime.runtime === 'docker' ? 'Docker Engine' : 'Podman';
    if (!p.runtime.reachable) row(p.runtime.runtime === 'docker' ? 'Docker' : 'Podman', `not reachable: ${p.runtime.error}`);
    else {
      const mode = p.runtime.rootless ? 'rootless' : p.runtime.usernsRemap ? 'rootful, userns-remap' : 'rootful';
      row(p.runtime.runtime === 'docker' ? 'Docker' : 'Podman', `${rt} ${p.runtime.serverVersion ?? '(version unknown)'}, ${mode}`);
    }
  }
  if (p.mapping) {
    const m = p.mapping;
    const u = m.map.uids;
    const sub = u.find((r) => r.container === (m.mode === 'userns-remap' ? 0 : 1));
    row(
      'User namespace',
      m.mode === 'userns-remap'
        ? `container id n is host id ${sub ? sub.host : '?'} + n`
        : `container root is ${m.user.name} (uid ${m.user.uid}); container id n ≥ 1 is host id ${sub ? sub.host : '?'} + n - 1`,
    );
    row('', `(from ${m.source})`);
  }
  row('SELinux', facts.selinux === 'enforcing' ? 'enforcing: bind mounts get relabel options (Z, z)' : (facts.selinux ?? 'not detected'));
  for (const n of facts.renderNodes) {
    const name = facts.groups.find((g) => g.gid === n.gid)?.name;
    row('Render node', `${n.path}: group ${n.gid}${name ? ` (${name})` : ''}, mode ${octalMode(n.mode)}`);
  }
  if (p.free) row('Free disk', `${formatBytes(p.free.bytes)} on the file system of ${p.free.path}`);
  if (p.runtimeFree && p.runtime?.rootDir) row('Free for images', `${formatBytes(p.runtimeFree.bytes)} in ${p.runtime.rootDir}`);
  return lines;
}
