// Host probes: everything the tool needs to know about the machine, behind one small interface.
// Real runs read the real system; tests hand in fake facts (loadFacts with a fixture, or plain objects).

import { promises as fsp } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { SUPPORTED_GIDS, SUPPORTED_UIDS, inRanges } from './domain.js';

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
}

/** The probe interface: one async call that gathers facts. */
export interface HostProbe {
  facts(): Promise<HostFacts>;
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

async function readText(file: string): Promise<string> {
  try {
    return await fsp.readFile(file, 'utf8');
  } catch {
    return '';
  }
}

/** `getent` sees NSS sources (LDAP, sssd) as well as the files; fall back to the files without it. */
async function getent(db: 'passwd' | 'group', fallbackFile: string): Promise<string> {
  try {
    const { execa } = await import('execa');
    const r = await execa('getent', [db], { reject: false, timeout: 5000 });
    if (r.exitCode === 0 && r.stdout) return r.stdout;
  } catch {
    /* getent missing: use the file */
  }
  return readText(fallbackFile);
}

/** stat `file`, reporting it under the host path `shown` */
async function statNode(file: string, shown: string): Promise<DeviceNode | null> {
  try {
    const st = await fsp.stat(file);
    return { path: shown, uid: st.uid, gid: st.gid, mode: st.mode & 0o7777 };
  } catch {
    return null;
  }
}

export class RealHost implements HostProbe {
  constructor(private readonly root = '/') {}

  async facts(): Promise<HostFacts> {
    const r = (p: string) => path.join(this.root, p);
    const [passwd, group, loginDefs] = await Promise.all([
      this.root === '/' ? getent('passwd', '/etc/passwd') : readText(r('etc/passwd')),
      this.root === '/' ? getent('group', '/etc/group') : readText(r('etc/group')),
      readText(r('etc/login.defs')),
    ]);
    let dri: string[] = [];
    try {
      dri = (await fsp.readdir(r('dev/dri'))).filter((n) => n.startsWith('renderD')).sort();
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
    };
  }
}

/** Fake host from a JSON fixture (used by the spawned-CLI tests through PHOTOPRISM_HARDEN_FAKE_HOST). */
export class FixtureHost implements HostProbe {
  constructor(private readonly data: Partial<HostFacts>) {}
  async facts(): Promise<HostFacts> {
    return {
      accounts: [],
      groups: [],
      uidMin: 1000,
      uidMax: 60000,
      renderNodes: [],
      video11: null,
      nvidia: false,
      euid: process.geteuid?.() ?? 0,
      egid: process.getegid?.() ?? 0,
      ...this.data,
    };
  }
}

export async function defaultProbe(): Promise<HostProbe> {
  const fixture = process.env.PHOTOPRISM_HARDEN_FAKE_HOST;
  if (fixture) return new FixtureHost(JSON.parse(await fsp.readFile(fixture, 'utf8')) as Partial<HostFacts>);
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
