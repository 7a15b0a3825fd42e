// User-namespace id mapping (pure). With rootless Docker, rootless Podman or Docker's userns-remap, a
// numeric id inside a container is a different id on the host. Files the containers use must be owned
// by the *host* id, so the plan asks this module which host id a container id really is.
//
// Rules (the kernel's uid_map as the engines set it up from /etc/subuid and /etc/subgid):
// - rootless Docker / rootless Podman: container 0 is the engine user's own id; container n >= 1 is the
//   n-th subordinate id of that user (the ranges of every matching line, in file order).
// - userns-remap (rootful Docker): container n is the n-th subordinate id of the remap user
//   ("default" means the account dockremap), starting at n = 0.

/** One line of /etc/subuid or /etc/subgid: `owner:start:count` (owner is a name or a numeric id). */
export interface SubIdRange {
  owner: string;
  start: number;
  count: number;
}

/** A contiguous piece of a uid_map/gid_map: container ids [container, container+size) are host ids [host, host+size). */
export interface IdRange {
  container: number;
  host: number;
  size: number;
}

export interface IdMap {
  uids: IdRange[];
  gids: IdRange[];
}

export type UsernsMode = 'rootless-docker' | 'rootless-podman' | 'userns-remap';

/** How container ids become host ids on this host, and why (for the explanation). */
export interface ContainerIdMapping {
  mode: UsernsMode;
  /** rootless: the account that runs the engine; userns-remap: the remap account */
  user: { name: string; uid: number; gid: number };
  map: IdMap;
  /** where the ranges came from, shown to the user (e.g. "/etc/subuid and /etc/subgid") */
  source: string;
}

const MAX_ID = 4294967294;

export function parseSubIds(text: string): SubIdRange[] {
  const out: SubIdRange[] = [];
  for (const raw of text.split('\n')) {
    const line = raw.trim();
    if (!line || line.startsWith('#')) continue;
    const f = line.split(':');
    if (f.length !== 3 || !f[0]) continue;
    const start = Number(f[1]);
    const count = Number(f[2]);
    if (!/^\d+$/.test(f[1]!) || !/^\d+$/.test(f[2]!) || count < 1 || start + count - 1 > MAX_ID) continue;
    out.push({ owner: f[0], start, count });
  }
  return out;
}

/** The lines that belong to an account, matched by name or by numeric id, in file order. */
export function rangesOf(list: readonly SubIdRange[], name: string, id: number): SubIdRange[] {
  return list.filter((r) => r.owner === name || r.owner === String(id));
}

function concat(ranges: readonly SubIdRange[], firstContainerId: number): IdRange[] {
  const out: IdRange[] = [];
  let next = firstContainerId;
  for (const r of ranges) {
    out.push({ container: next, host: r.start, size: r.count });
    next += r.count;
  }
  return out;
}

/** Rootless Docker or Podman run by `user`: container 0 is the user, 1.. are the subordinate ids. */
export function rootlessMap(
  user: { name: string; uid: number; gid: number },
  groupName: string,
  subuid: readonly SubIdRange[],
  subgid: readonly SubIdRange[],
): IdMap {
  return {
    uids: [{ container: 0, host: user.uid, size: 1 }, ...concat(rangesOf(subuid, user.name, user.uid), 1)],
    gids: [{ container: 0, host: user.gid, size: 1 }, ...concat(rangesOf(subgid, groupName, user.gid), 1)],
  };
}

/** userns-remap: every container id, root included, is a subordinate id of the remap user and group. */
export function remapMap(
  user: { name: string; uid: number },
  group: { name: string; gid: number },
  subuid: readonly SubIdRange[],
  subgid: readonly SubIdRange[],
): IdMap {
  return {
    uids: concat(rangesOf(subuid, user.name, user.uid), 0),
    gids: concat(rangesOf(subgid, group.name, group.gid), 0),
  };
}

/** The host id of a container id, or null when the container cannot use that id at all. */
export function toHost(ranges: readonly IdRange[], id: number): number | null {
  for (const r of ranges) if (id >= r.container && id < r.container + r.size) return r.host + (id - r.container);
  return null;
}

/** Total number of container ids a map provides. */
export function mappedCount(ranges: readonly IdRange[]): number {
  return ranges.reduce((n, r) => n + r.size, 0);
}

export interface Owner {
  uid: number;
  gid: number;
}

/** Host owner of a container owner; null when either id is outside the mapping. Identity without a mapping. */
export function hostOwner(m: ContainerIdMapping | null | undefined, o: Owner): Owner | null {
  if (!m) return o;
  const uid = toHost(m.map.uids, o.uid);
  const gid = toHost(m.map.gids, o.gid);
  return uid === null || gid === null ? null : { uid, gid };
}

/** "100000-165535" style text of the subordinate part of a map (for explanations). */
export function describeRanges(ranges: readonly IdRange[]): string {
  return ranges.map((r) => (r.size === 1 ? `${r.container}→${r.host}` : `${r.container}-${r.container + r.size - 1}→${r.host}-${r.host + r.size - 1}`)).join(', ');
}

/** Parse Docker's "userns-remap" setting: "default", "user", "user:group", "uid:gid". */
export function parseUsernsRemap(value: string): { user: string; group: string } | null {
  const v = value.trim();
  if (!v) return null;
  if (v === 'default') return { user: 'dockremap', group: 'dockremap' };
  const [user, group] = v.split(':', 2) as [string, string | undefined];
  if (!user) return null;
  return { user, group: group || user };
}

/**
 * userns-remap puts the daemon's data in <data-root>/<uid>.<gid> (the host ids container root maps to):
 * the one fact about the mapping that needs no /etc/subuid access.
 */
export function remapRootFromDockerRootDir(dir: string): { uid: number; gid: number } | null {
  const m = /\/(\d+)\.(\d+)\/?$/.exec(dir);
  return m ? { uid: Number(m[1]), gid: Number(m[2]) } : null;
}

/** Podman reports its own maps (`podman info`): [{container_id, host_id, size}]. */
export function fromPodmanMaps(list: unknown): IdRange[] | null {
  if (!Array.isArray(list)) return null;
  const out: IdRange[] = [];
  for (const e of list) {
    if (!e || typeof e !== 'object') return null;
    const o = e as Record<string, unknown>;
    const c = o.container_id ?? o.ContainerID;
    const h = o.host_id ?? o.HostID;
    const s = o.size ?? o.Size;
    if (typeof c !== 'number' || typeof h !== 'number' || typeof s !== 'number') return null;
    out.push({ container: c, host: h, size: s });
  }
  return out;
}

export function modeLabel(mode: UsernsMode): string {
  switch (mode) {
    case 'rootless-docker':
      return 'rootless Docker';
    case 'rootless-podman':
      return 'rootless Podman';
    default:
      return 'Docker userns-remap';
  }
}
