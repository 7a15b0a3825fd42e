// Pure validation rules, shared by the prompts, the flags and the answers file.
// Every function here is side-effect free: it gets values (and host facts) and returns a verdict.

import path from 'node:path';
import {
  IMAGE_MEMBER_GIDS,
  INIT_ACTION_NAMES,
  SUPPORTED_GIDS,
  SUPPORTED_UIDS,
  formatRanges,
  inRanges,
  transcodingDevice,
  type Transcoding,
  type UnsafeOverride,
} from './domain.js';
import type { DeviceNode, HostFacts } from './host.js';
import { describeRanges, modeLabel, toHost } from './idmap.js';
import { octalMode } from './text.js';

/** A refusal. `override` names the explicit risk override that would allow it anyway. */
export interface Problem {
  message: string;
  override?: UnsafeOverride;
  /** the message without its advice, for the wizard once the question's hint has given that advice */
  brief?: string;
}

export type Result<T> = { ok: true; value: T } | { ok: false; message: string };

export const ok = <T>(value: T): Result<T> => ({ ok: true, value });
export const fail = <T>(message: string): Result<T> => ({ ok: false, message });

// ---------------------------------------------------------------------------------------------
// ids

export function parseInteger(raw: unknown, what: string, min: number, max: number): Result<number> {
  let n: number;
  if (typeof raw === 'number') n = raw;
  else if (typeof raw === 'string' && /^\s*\d+\s*$/.test(raw)) n = Number(raw.trim());
  else return fail(`${what} must be a whole number from ${min} to ${max}, got ${JSON.stringify(raw)}`);
  if (!Number.isInteger(n) || n < min || n > max) {
    return fail(`${what} must be a whole number from ${min} to ${max}, got ${JSON.stringify(raw)}`);
  }
  return ok(n);
}

export function parseUid(raw: unknown): Result<number> {
  const r = parseInteger(raw, 'uid', 0, 2147483647);
  if (!r.ok) return r;
  if (!inRanges(r.value, SUPPORTED_UIDS)) {
    return fail(`uid ${r.value} is not supported by the PhotoPrism image; allowed: ${formatRanges(SUPPORTED_UIDS)}`);
  }
  return r;
}

export function parseGid(raw: unknown): Result<number> {
  const r = parseInteger(raw, 'gid', 0, 2147483647);
  if (!r.ok) return r;
  if (!inRanges(r.value, SUPPORTED_GIDS)) {
    return fail(`gid ${r.value} is not supported by the PhotoPrism image; allowed: ${formatRanges(SUPPORTED_GIDS)}`);
  }
  return r;
}

/** A "regular account" is a person's login on this host: UID_MIN..UID_MAX from login.defs, not nobody. */
export function regularAccount(facts: HostFacts, uid: number) {
  if (uid === 65534) return undefined;
  return facts.accounts.find((a) => a.uid === uid && uid >= facts.uidMin && uid <= facts.uidMax);
}

/**
 * Risks of a UID choice that need an explicit override. Under a user namespace (rootless Docker or
 * Podman, userns-remap; facts.idMapping) the checks apply to the host id the container UID really is:
 * container root is then an unprivileged host account, which the plan explains instead of refusing.
 */
export function uidProblems(uid: number, facts: HostFacts): Problem[] {
  const problems: Problem[] = [];
  const m = facts.idMapping;
  let hostUid = uid;
  if (m) {
    const h = toHost(m.map.uids, uid);
    if (h === null) {
      return [
        {
          message: `uid ${uid} is outside the ids ${modeLabel(m.mode)} gives the containers on this host (${describeRanges(m.map.uids)}); choose a smaller UID or give ${m.user.name} a larger range in /etc/subuid (this tool never changes it)`,
        },
      ];
    }
    hostUid = h;
    // rootless: container root is the engine's own user, by design; the plan says so
    if (uid === 0 && m.mode !== 'userns-remap') return [];
  }
  if (hostUid === 0) {
    problems.push({
      message: 'uid 0 is root: PhotoPrism would keep root privileges after initialisation',
      override: 'root',
    });
  }
  const acct = regularAccount(facts, hostUid);
  if (acct) {
    problems.push({
      message: `uid ${uid}${hostUid !== uid ? ` (host uid ${hostUid} under ${modeLabel(m!.mode)})` : ''} belongs to the regular host account "${acct.name}": after a container escape PhotoPrism could read and write that person's files`,
      override: 'host-account',
    });
  }
  return problems;
}

export function gidProblems(gid: number, facts?: HostFacts): Problem[] {
  const m = facts?.idMapping;
  if (m) {
    const h = toHost(m.map.gids, gid);
    if (h === null) {
      return [
        {
          message: `gid ${gid} is outside the group ids ${modeLabel(m.mode)} gives the containers on this host (${describeRanges(m.map.gids)}); choose a smaller GID or give ${m.user.name} a larger range in /etc/subgid (this tool never changes it)`,
        },
      ];
    }
    if (h !== 0) return [];
  }
  if (gid === 0) {
    return [{ message: 'gid 0 is the root group: files of group root on the host would be open to PhotoPrism', override: 'root' }];
  }
  const person = facts?.accounts.find((a) => a.gid === gid && regularAccount(facts, a.uid));
  if (person) {
    return [
      {
        message: `gid ${gid} is the primary group of the regular host account "${person.name}": after a container escape PhotoPrism could read and write that group's files`,
        override: 'host-account',
      },
    ];
  }
  return [];
}

// ---------------------------------------------------------------------------------------------
// devices

/** Why (or whether) a process running as uid:gid with the image's supplementary groups can open a node. */
export function deviceAccess(node: DeviceNode, uid: number, gid: number): { canOpen: boolean; via: string } {
  const m = node.mode & 0o777;
  if ((m & 0o006) === 0o006) return { canOpen: true, via: 'the node is readable and writable by everyone' };
  if (node.uid === uid && (m & 0o600) === 0o600) return { canOpen: true, via: `uid ${uid} owns the node` };
  if ((m & 0o060) === 0o060) {
    if (node.gid === gid) return { canOpen: true, via: `the node belongs to group ${gid}, the chosen GID` };
    const name = IMAGE_MEMBER_GIDS.get(node.gid);
    if (name) {
      return {
        canOpen: true,
        via: `the node belongs to group ${node.gid} (${name} in the image), and the image's accounts are already members of it`,
      };
    }
  }
  return { canOpen: false, via: `the node belongs to ${node.uid}:${node.gid} with mode ${octalMode(m)}` };
}

export function devicesFor(t: Transcoding, facts: HostFacts): DeviceNode[] {
  const need = transcodingDevice(t);
  if (need === 'dri') return facts.renderNodes;
  if (need === 'video11') return facts.video11 ? [facts.video11] : [];
  return [];
}

/** The chosen transcoding needs a device this host does not have (the container would not start). */
export function transcodingDeviceProblems(t: Transcoding, facts: HostFacts): Problem[] {
  const need = transcodingDevice(t);
  if (need === 'dri' && facts.renderNodes.length === 0) {
    return [{ message: `transcoding "${t}" needs /dev/dri render nodes, and this host has none (the container would fail to start); choose "software" or install the GPU driver first` }];
  }
  if (need === 'video11' && !facts.video11) {
    return [{ message: 'transcoding "raspberry" needs /dev/video11, and this host has none (the container would fail to start); choose "software"' }];
  }
  return [];
}

/** The chosen GID cannot open the transcoding device. */
export function transcodingProblems(t: Transcoding, uid: number, gid: number, facts: HostFacts): Problem[] {
  const problems: Problem[] = [];
  for (const node of devicesFor(t, facts)) {
    const access = deviceAccess(node, uid, gid);
    if (!access.canOpen) {
      const brief = `gid ${gid} cannot open ${node.path} (${access.via})`;
      problems.push({ message: `${brief}; ${deviceGidAdvice(node)}`, brief, override: 'device-group' });
    }
  }
  return problems;
}

/** What to do about a device node's group, in one sentence. */
export function deviceGidAdvice(node: DeviceNode): string {
  const name = IMAGE_MEMBER_GIDS.get(node.gid);
  if (name) return `its group ${node.gid} (${name}) is already shared by the image's accounts`;
  if (inRanges(node.gid, SUPPORTED_GIDS) && node.gid !== 0) return `use gid ${node.gid} (the node's group), which the image supports`;
  return `its group ${node.gid} is not a GID the image supports, so no GID can open it: give the node to group video (44) with a udev rule (SUBSYSTEM=="drm", KERNEL=="renderD*", GROUP="video", MODE="0660" in /etc/udev/rules.d/99-photoprism.rules, then "udevadm control --reload && udevadm trigger") and run init again, or choose transcoding "software"`;
}

// ---------------------------------------------------------------------------------------------
// init actions

export function parseInitActions(raw: unknown): Result<string[]> {
  let list: unknown[];
  if (Array.isArray(raw)) list = raw;
  else if (typeof raw === 'string') list = raw.split(/[\s,]+/).filter(Boolean);
  else return fail(`initActions must be a list of: ${INIT_ACTION_NAMES.join(', ')}`);
  const out: string[] = [];
  for (const item of list) {
    if (typeof item !== 'string' || !INIT_ACTION_NAMES.includes(item)) {
      return fail(
        `initActions: unknown action ${JSON.stringify(item)} (PhotoPrism ignores unknown actions silently at start); allowed: ${INIT_ACTION_NAMES.join(', ')}`,
      );
    }
    if (!out.includes(item)) out.push(item);
  }
  // keep the canonical order so the same choice always renders the same line
  out.sort((a, b) => INIT_ACTION_NAMES.indexOf(a) - INIT_ACTION_NAMES.indexOf(b));
  return ok(out);
}

/** Contradictory combinations of init actions and transcoding. */
export function initActionProblems(actions: readonly string[], t: Transcoding): Problem[] {
  const problems: Problem[] = [];
  if (actions.includes('ffmpeg') && t !== 'software') {
    problems.push({
      message: `initActions: "ffmpeg" installs a static FFmpeg build that cannot use hardware transcoding ("${t}"); remove "ffmpeg" or choose transcoding "software"`,
    });
  }
  if (t === 'raspberry') {
    for (const a of ['gpu', 'intel']) {
      if (actions.includes(a)) {
        problems.push({
          message: `initActions: "${a}" installs amd64 GPU/Intel packages, which do not exist for a Raspberry Pi (arm64); remove "${a}" or choose another transcoding`,
        });
      }
    }
  }
  return problems;
}

/** Advice (not refusals) about init actions. */
export function initActionWarnings(actions: readonly string[], t: Transcoding, behindProxy: boolean): string[] {
  const w: string[] = [];
  if (!actions.includes('update')) {
    w.push('initActions without "update": the container will not install security updates of its packages at start (the guide recommends "update")');
  }
  if (t === 'intel' && !actions.includes('intel')) {
    w.push('transcoding "intel" usually needs the "intel" init action (Quick Sync packages)');
  }
  if (behindProxy && actions.includes('https')) {
    w.push('"https" creates a self-signed certificate, but behind a reverse proxy PhotoPrism serves plain HTTP on 127.0.0.1 (TLS is disabled): the action has no effect');
  }
  return w;
}

// ---------------------------------------------------------------------------------------------
// names, URLs, ports, paths

/** PhotoPrism's user names (one source for the parser and the answers-file schema) */
export const ADMIN_USER_PATTERN = '^[a-z0-9][a-z0-9._@-]{0,254}$';
const ADMIN_USER_RE = new RegExp(ADMIN_USER_PATTERN);
/** names PhotoPrism keeps for itself */
export const RESERVED_USER_NAMES = ['visitor'] as const;

export function parseAdminUser(raw: unknown): Result<string> {
  if (typeof raw !== 'string') return fail('adminUser must be a string');
  if (!ADMIN_USER_RE.test(raw)) {
    return fail(
      `adminUser ${JSON.stringify(raw)} is not a valid PhotoPrism user name; allowed: 1-255 characters, lowercase letters, digits and . _ @ - (starting with a letter or digit)`,
    );
  }
  if ((RESERVED_USER_NAMES as readonly string[]).includes(raw)) return fail(`adminUser ${JSON.stringify(raw)} is reserved by PhotoPrism; choose another name`);
  return ok(raw);
}

export function parsePort(raw: unknown): Result<number> {
  return parseInteger(raw, 'httpPort', 1, 65535);
}

export function parseSiteUrl(raw: unknown): Result<string> {
  if (typeof raw !== 'string' || raw.trim() === '') return fail('siteUrl must be a URL like https://photos.example.com/');
  // the URL parser drops tabs and newlines (and percent-encodes other control characters): refused
  // instead, so what PhotoPrism is given is what the user typed
  // eslint-disable-next-line no-control-regex
  const control = /[\u0000-\u001f\u007f-\u009f\u2028\u2029]/.exec(raw.trim());
  if (control) return fail(`siteUrl must be one line of printable characters; it contains the control character U+${control[0].charCodeAt(0).toString(16).toUpperCase().padStart(4, '0')}`);
  let text = raw.trim();
  // a bare "photos.example.com" means https
  if (!/^[a-z][a-z0-9+.-]*:\/\//i.test(text) && /^[a-z0-9.-]+(:\d+)?(\/.*)?$/i.test(text)) text = `https://${text}`;
  let u: URL;
  try {
    u = new URL(text);
  } catch {
    return fail(`siteUrl ${JSON.stringify(raw)} is not a URL; expected http(s)://domain.name(:port)/(path)`);
  }
  if (u.protocol !== 'http:' && u.protocol !== 'https:') {
    return fail(`siteUrl must start with http:// or https://, got ${JSON.stringify(raw)}`);
  }
  if (u.username || u.password) return fail('siteUrl must not contain a user name or password');
  if (u.search || u.hash || /[?#]/.test(u.href)) return fail('siteUrl must not contain a query (?) or fragment (#)');
  let s = u.toString();
  if (!s.endsWith('/')) s += '/';
  return ok(s);
}

/** never mounted themselves; the second list not even a folder inside them */
const SENSITIVE_EXACT = ['/', '/home', '/var', '/srv', '/opt', '/mnt', '/media', '/var/lib'];
const SENSITIVE_TREES = ['/etc', '/root', '/proc', '/sys', '/dev', '/boot', '/run', '/var/run', '/var/log', '/var/lib/docker', '/usr', '/bin', '/sbin', '/lib', '/lib32', '/lib64', '/libx32'];

/** Why the absolute, normalised host path `p` is a system folder never to mount, or null. */
export function sensitiveTree(p: string): string | null {
  const exact = SENSITIVE_EXACT.find((d) => p === d);
  if (exact) return `${exact} is a sensitive host directory`;
  const tree = SENSITIVE_TREES.find((d) => p === d || p.startsWith(`${d}/`));
  return tree ? `${p === tree ? tree : `it is inside ${tree}`}, a sensitive host directory` : null;
}

/** what an optional folder takes for "none" (besides the empty string): a kept one can be dropped so */
export const NO_IMPORT = ['-', 'none'] as const;

/** answers-file schema of a host path: control characters only as surrounding whitespace (trimmed) */
export const HOST_PATH_PATTERN = String.raw`^\s*[^\u0000-\u001f\u007f]*\s*$`;

/** A host path for a bind mount (originals or import). Relative paths are relative to the install dir. */
export function parseHostPath(raw: unknown, what: string, allowEmpty: boolean): Result<string> {
  if (typeof raw !== 'string') return fail(`${what} must be a path string`);
  const s = raw.trim();
  if (s === '' || (allowEmpty && (NO_IMPORT as readonly string[]).includes(s.toLowerCase()))) {
    return allowEmpty ? ok('') : fail(`${what} must not be empty`);
  }
  // eslint-disable-next-line no-control-regex
  if (/[\u0000-\u001f\u007f]/.test(s)) return fail(`${what} must not contain control characters or newlines`);
  let p = s;
  if (!p.startsWith('/') && !p.startsWith('~') && !p.startsWith('./') && !p.startsWith('../')) p = `./${p}`;
  if (!p.startsWith('~')) {
    // collapse "//", "." and ".." so the checks below see the real folder
    const n = path.posix.normalize(p);
    p = p.startsWith('/') || n === '.' || n === './' || n === '..' || n.startsWith('../') ? n : `./${n}`;
  }
  if (p.length > 1) p = p.replace(/\/+$/, '');
  const sensitive = SENSITIVE_EXACT.find((d) => p === d) ?? SENSITIVE_TREES.find((d) => p === d || p.startsWith(`${d}/`));
  if (sensitive) {
    return fail(`${what} ${JSON.stringify(s)} is ${sensitive === p ? 'a sensitive host directory' : `inside the sensitive host directory ${sensitive}`}; mounting it would expose the host to the container. Choose the folder that holds your photos`);
  }
  const inside = ['./storage', './database', './.secrets', './.photoprism-harden'];
  if (p === '.' || /^\.\.(\/\.\.)*$/.test(p) || inside.some((d) => p === d || p.startsWith(`${d}/`))) {
    return fail(`${what} ${JSON.stringify(s)} overlaps the installation itself (its folder, storage, database or .secrets); choose a separate folder such as ./originals`);
  }
  return ok(p);
}

// ---------------------------------------------------------------------------------------------
// passwords

/**
 * The answers-file schema's form of checkPassword's rules (length is minLength/maxLength): no
 * surrounding whitespace, no "${", no "ldap://" in any case, a single line of printable characters.
 * JSON Schema cannot count UTF-8 bytes, so the 72-byte limit is the parser's alone.
 */
export const PASSWORD_PATTERN = String.raw`^(?!\s)(?![\s\S]*\s$)(?![\s\S]*\$\{)(?![\s\S]*[Ll][Dd][Aa][Pp]://)[^\u0000-\u001f\u007f-\u009f\u2028\u2029]*$`;

/** Rules for a password someone supplies (generated ones satisfy them by construction). */
export function checkPassword(raw: unknown, what: string): Result<string> {
  if (typeof raw !== 'string') return fail(`${what} must be a string`);
  const chars = [...raw].length;
  if (chars < 8 || chars > 72) return fail(`${what} must be 8-72 characters long (it has ${chars})`);
  if (raw !== raw.trim()) return fail(`${what} must not start or end with whitespace (PhotoPrism trims it, so the stored password would differ)`);
  if (raw.includes('${')) return fail(`${what} must not contain "\${" (PhotoPrism rejects such passwords to avoid variable expansion)`);
  if (raw.toLowerCase().includes('ldap://')) return fail(`${what} must not contain "ldap://" (PhotoPrism rejects such passwords)`);
  // eslint-disable-next-line no-control-regex
  if (/[\u0000-\u001f\u007f-\u009f\u2028\u2029]/.test(raw)) return fail(`${what} must be a single line of printable characters (no newlines, tabs or control characters)`);
  if (Buffer.byteLength(raw, 'utf8') > 72) return fail(`${what} is longer than 72 bytes in UTF-8; bcrypt would silently cut it, so use fewer non-ASCII characters`);
  return ok(raw);
}
