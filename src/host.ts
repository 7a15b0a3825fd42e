// Host probes: everything the tool needs to know about the machine, behind one small interface.
// Real runs read the real system; tests inject a fake (test/helpers/fixture-host.ts); no environment
// variable or other hook in the shipped code can swap it.

import { promises as fsp, readFileSync, readdirSync, statSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { SUPPORTED_GIDS, SUPPORTED_UIDS, inRanges } from './domain.js';
import { systemCommands, type CommandRunner, type EngineChoice } from './engine.js';
import { parseSubIds, type ContainerIdMapping, type SubIdRange } from './idmap.js';
import type { EngineFacts } from './preflight.js';

export interface Account {
  name: string;
  uid: number;
  gid: number;
  home: string;
  shell: string;
}

export interface Group {
  name: string;
  gid: number;
  members: string[];
}

export interface DeviceNode {
  path: string;
  uid: number;
  gid: number;
  /** permission bits (mode & 0o7777) */
  mode: number;
}

export interface HostFacts {
  accounts: Account[];
  groups: Group[];
  /** login.defs UID_MIN / UID_MAX: the range of regular (human) accounts */
  uidMin: number;
  uidMax: number;
  /** /dev/dri/renderD* nodes */
  renderNodes: DeviceNode[];
  /** /dev/video11 (Raspberry Pi encoder), if present */
  video11: DeviceNode | null;
  /** /dev/nvidiactl present (NVIDIA driver loaded) */
  nvidia: boolean;
  /** effective uid/gid of this process */
  euid: number;
  egid: number;
  // Optional facts (engines and user namespaces). Absent means "unknown / not present".
  /** /etc/subuid and /etc/subgid (subordinate ids for rootless engines and userns-remap) */
  subuid?: SubIdRange[];
  subgid?: SubIdRange[];
  /** SELinux mode from /sys/fs/selinux/enforce ('disabled' when SELinux is not mounted) */
  selinux?: 'enforcing' | 'permissive' | 'disabled';
  /** the "userns-remap" value of /etc/docker/daemon.json, if set */
  dockerUsernsRemap?: string;
  /**
   * How container ids map to host ids (rootless Docker/Podman, userns-remap). Not probed by the host:
   * the engine preflight fills it in, and ownership/UID checks then use host ids.
   */
  idMapping?: ContainerIdMapping | null;
}

/** The probe interface: one async call that gathers facts, and the programs the host has. */
export interface HostProbe {
  facts(): Promise<HostFacts>;
  /**
   * How programs are found and run: the engines (`version`, `info`, `compose version`, validation
   * and lifecycle commands). The real host runs this machine's programs, found only in the PATH of
   * the environment each command is given; a test host answers for fake engines.
   */
  commands: CommandRunner;
  /** free bytes for an unprivileged user on the file system holding `dir` (or its nearest existing parent) */
  freeBytes?(dir: string): Promise<{ path: string; bytes: number } | null>;
  /**
   * The Compose engine and container runtime (read-only `version` / `info` commands), for `--engine`
   * `choice`. Without it the preflight runs the commands itself when it needs them.
   */
  engines?(choice: EngineChoice | undefined, env: NodeJS.ProcessEnv): EngineFacts;
}

/** SELinux mode from the content of /sys/fs/selinux/enforce ('' when the file is missing). */
export function parseSelinuxEnforce(text: string | null): 'enforcing' | 'permissive' | 'disabled' {
  if (text === null) return 'disabled';
  return text.trim() === '1' ? 'enforcing' : 'permissive';
}

/** The "userns-remap" value of a daemon.json text (undefined when unset or unreadable). */
export function parseDaemonJsonRemap(text: string): string | undefined {
  if (!text.trim()) return undefined;
  try {
    const v = (JSON.parse(text) as Record<string, unknown>)['userns-remap'];
    return typeof v === 'string' && v.trim() ? v.trim() : undefined;
  } catch {
    return undefined;
  }
}

/** statfs of `dir`, or of its nearest existing parent when it does not exist yet. Read-only. */
export async function freeBytesAt(dir: string): Promise<{ path: string; bytes: number } | null> {
  let p = path.resolve(dir);
  for (;;) {
    try {
      const st = await fsp.statfs(p);
      return { path: p, bytes: Number(st.bavail) * Number(st.bsize) };
    } catch (e) {
      const code = (e as NodeJS.ErrnoException).code;
      if ((code !== 'ENOENT' && code !== 'ENOTDIR') || p === path.dirname(p)) return null;
      p = path.dirname(p);
    }
  }
}

export function parsePasswd(text: string): Account[] {
  const out: Account[] = [];
  for (const line of text.split('\n')) {
    if (!line || line.startsWith('#')) continue;
    const f = line.split(':');
    if (f.length < 7) continue;
    const uid = Number(f[2]);
    const gid = Number(f[3]);
    if (!Number.isInteger(uid) || !Number.isInteger(gid)) continue;
    out.push({ name: f[0]!, uid, gid, home: f[5]!, shell: f[6]! });
  }
  return out;
}

export function parseGroup(text: string): Group[] {
  const out: Group[] = [];
  for (const line of text.split('\n')) {
    if (!line || line.startsWith('#')) continue;
    const f = line.split(':');
    if (f.length < 4) continue;
    const gid = Number(f[2]);
    if (!Number.isInteger(gid)) continue;
    out.push({ name: f[0]!, gid, members: f[3] ? f[3].split(',').filter(Boolean) : [] });
  }
  return out;
}

export function parseLoginDefs(text: string): { uidMin: number; uidMax: number } {
  const get = (key: string, dflt: number) => {
    const m = new RegExp(`^\\s*${key}\\s+(\\d+)`, 'm').exec(text);
    return m ? Number(m[1]) : dflt;
  };
  return { uidMin: get('UID_MIN', 1000), uidMax: get('UID_MAX', 60000) };
}

// Host files are small: read synchronously (one system call each, no thread-pool round trips, which
// cost more than the reads themselves and queue behind the engine probes' work).
async function readText(file: string): Promise<string> {
  return (await readOrNull(file)) ?? '';
}

async function readOrNull(file: string): Promise<string | null> {
  try {
    return readFileSync(file, 'utf8');
  } catch {
    return null;
  }
}

/** The NSS sources of a database in /etc/nsswitch.conf (default: files). */
export function nssSources(nsswitch: string, db: 'passwd' | 'group'): string[] {
  const m = new RegExp(`^\\s*${db}\\s*:(.*)$`, 'm').exec(nsswitch);
  if (!m) return ['files'];
  return m[1]!.replace(/#.*/, '').split(/\s+/).filter((w) => w && !w.startsWith('['));
}

/**
 * `getent` sees NSS sources (LDAP, sssd) as well as the files. When nsswitch.conf names only local
 * files, the files are read directly (no process to start); without getent, the files are read too.
 */
async function getent(db: 'passwd' | 'group', fallbackFile: string): Promise<string> {
  // "systemd" adds only DynamicUser= (61184-65519) and systemd-homed (60001-60513) accounts: ids that
  // can be neither a supported PhotoPrism id nor collide with one, so the files tell all that matters
  const local = nssSources(await readText('/etc/nsswitch.conf'), db).every((s) => s === 'files' || s === 'compat' || s === 'systemd');
  if (local) return readText(fallbackFile);
  const r = await systemCommands.run('getent', [db], { env: process.env, timeoutMs: 5000 });
  if (r.exitCode === 0 && r.stdout) return r.stdout;
  return readText(fallbackFile); // getent missing or failing: the file
}

/** stat `file`, reporting it under the host path `shown` */
async function statNode(file: string, shown: string): Promise<DeviceNode | null> {
  try {
    const st = statSync(file);
    return { path: shown, uid: st.uid, gid: st.gid, mode: st.mode & 0o7777 };
  } catch {
    return null;
  }
}

export class RealHost implements HostProbe {
  readonly commands: CommandRunner = systemCommands;
  constructor(private readonly root = '/') {}

  async facts(): Promise<HostFacts> {
    const r = (p: string) => path.join(this.root, p);
    const [passwd, group, loginDefs, subuid, subgid, enforce, daemonJson] = await Promise.all([
      this.root === '/' ? getent('passwd', '/etc/passwd') : readText(r('etc/passwd')),
      this.root === '/' ? getent('group', '/etc/group') : readText(r('etc/group')),
      readText(r('etc/login.defs')),
      readText(r('etc/subuid')),
      readText(r('etc/subgid')),
      readOrNull(r('sys/fs/selinux/enforce')),
      readText(r('etc/docker/daemon.json')),
    ]);
    let dri: string[] = [];
    try {
      dri = readdirSync(r('dev/dri')).filter((n) => n.startsWith('renderD')).sort();
    } catch {
      /* no /dev/dri */
    }
    const renderNodes = (await Promise.all(dri.map((n) => statNode(r(`dev/dri/${n}`), `/dev/dri/${n}`)))).filter(
      (n): n is DeviceNode => n !== null,
    );
    const video11 = await statNode(r('dev/video11'), '/dev/video11');
    const nvidia = (await statNode(r('dev/nvidiactl'), '/dev/nvidiactl')) !== null;
    return {
      accounts: parsePasswd(passwd),
      groups: parseGroup(group),
      ...parseLoginDefs(loginDefs),
      renderNodes,
      video11,
      nvidia,
      euid: process.geteuid?.() ?? os.userInfo().uid,
      egid: process.getegid?.() ?? os.userInfo().gid,
      subuid: parseSubIds(subuid),
      subgid: parseSubIds(subgid),
      selinux: parseSelinuxEnforce(enforce),
      dockerUsernsRemap: parseDaemonJsonRemap(daemonJson),
    };
  }

  freeBytes(dir: string) {
    return freeBytesAt(dir);
  }
}

/** The real host. Tests hand a fake HostProbe to main / runInit / runAudit / runRotate instead. */
export function defaultProbe(): HostProbe {
  return new RealHost();
}

// ---------------------------------------------------------------------------------------------
// derived suggestions (pure)

const UID_PREFERENCE: readonly [number, number][] = [
  [2000, 2100],
  [900, 999],
  [1100, 1250],
  [500, 600],
];

/** A supported UID that no account of this host uses. */
export function defaultUid(facts: HostFacts): number {
  const used = new Set(facts.accounts.map((a) => a.uid));
  for (const [lo, hi] of UID_PREFERENCE) {
    for (let id = lo; id <= hi; id++) if (!used.has(id) && inRanges(id, SUPPORTED_UIDS)) return id;
  }
  return 2000;
}

/** A supported GID that no group of this host uses, preferring the same number as the UID. */
export function defaultPlainGid(facts: HostFacts, uid: number): number {
  const used = new Set(facts.groups.map((g) => g.gid));
  if (!used.has(uid) && inRanges(uid, SUPPORTED_GIDS) && uid !== 0) return uid;
  for (const [lo, hi] of UID_PREFERENCE) {
    for (let id = lo; id <= hi; id++) if (!used.has(id) && inRanges(id, SUPPORTED_GIDS)) return id;
  }
  return uid;
}

export function groupName(facts: HostFacts, gid: number): string | undefined {
  return facts.groups.find((g) => g.gid === gid)?.name;
}
