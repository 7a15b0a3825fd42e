// Small helpers shared by the rules (pure).

import { packagePath } from '../../paths.js';
import { readFileSync } from 'node:fs';
import { defaultUid, defaultPlainGid } from '../../host.js';
import { modeLabel, toHost } from '../../idmap.js';
import type { AuditContext, EnvEntry, ServiceView } from '../types.js';

/**
 * Container ids as the host's files show them: through the engine's user namespace (rootless Docker
 * or Podman, userns-remap: facts.idMapping, the same mapping the plan uses), else unchanged. `via` is
 * the explanation for a message (empty without a mapping); an id outside the mapping is null.
 */
export function onHost(ctx: AuditContext, uid: number, gid: number | null): { uid: number | null; gid: number | null; via: string } {
  const m = ctx.facts.idMapping;
  if (!m) return { uid, gid, via: '' };
  return {
    uid: toHost(m.map.uids, uid),
    gid: gid === null ? null : toHost(m.map.gids, gid),
    via: ` (container ${gid === null ? uid : `${uid}:${gid}`} under ${modeLabel(m.mode)})`,
  };
}

/** Where a service key is written: { file, line } for a finding. */
export function at(ctx: AuditContext, svc: ServiceView, ...keys: (string | number)[]): { file: string; line?: number; column?: number; service: string } {
  const pos = ctx.posOf(ctx.compose, ['services', svc.name, ...keys]);
  return { file: ctx.compose.rel, line: pos?.line ?? svc.line, column: pos?.col, service: svc.name };
}

/** Where an environment entry is written (compose file or env file). */
export function envAt(e: EnvEntry, svc: ServiceView): { file: string; line?: number; column?: number; service: string } {
  return { file: e.file, line: e.line, column: e.column, service: svc.name };
}

/** The effective (non-empty) value of a variable, if set. */
export function envValue(svc: ServiceView | null, name: string): string | undefined {
  const v = svc?.envMap.get(name)?.value;
  return v === null || v === undefined || v === '' ? undefined : v;
}

/** `service "x"`, with its profiles when it only starts on request. */
export function svcLabel(svc: ServiceView): string {
  const p = Array.isArray(svc.data.profiles) ? (svc.data.profiles as unknown[]).map(String) : [];
  return `service "${svc.name}"${p.length ? ` (profile ${p.map((x) => `"${x}"`).join(', ')})` : ''}`;
}

/** An options.yml value and the line of its key. */
export function option(ctx: AuditContext, key: string): { value: unknown; line?: number } | undefined {
  const o = ctx.options;
  if (!o || !o.data || typeof o.data !== 'object') return undefined;
  const data = o.data as Record<string, unknown>;
  if (!(key in data)) return undefined;
  return { value: data[key], line: ctx.lineOf(o, [key]) };
}

/** Does the entrypoint chown storage to UID:GID at every start? (root start + PHOTOPRISM_UID, chown not disabled) */
export function chownAtStart(ctx: AuditContext): boolean {
  if (ctx.identity?.mode !== 'env' || !ctx.identity.uid) return false;
  const v = envValue(ctx.photoprism, 'PHOTOPRISM_DISABLE_CHOWN');
  return v === undefined || v === 'false';
}

/** A UID:GID to suggest in fixes: a supported id no account on this host uses. */
export function suggestedIds(ctx: AuditContext): { uid: number; gid: number } {
  const uid = defaultUid(ctx.facts);
  return { uid, gid: defaultPlainGid(ctx.facts, uid) };
}

/** Indent a block of YAML for a fix text. */
export function yaml(...lines: string[]): string {
  return lines.join('\n');
}

export { octalMode as mode } from '../../text.js';

/** Can uid:gid (plus supplementary groups) open a path for reading, by its mode bits? */
export function canRead(info: { uid: number; gid: number; mode: number }, uid: number, gids: number[]): boolean {
  if (uid === 0) return true;
  if (info.uid === uid) return (info.mode & 0o400) !== 0;
  if (gids.includes(info.gid)) return (info.mode & 0o040) !== 0;
  return (info.mode & 0o004) !== 0;
}

let keys: Set<string> | undefined;
/** Every key PhotoPrism reads from options.yml (schema/photoprism-options-keys.txt, from internal/config/options.go). */
export function knownOptionKeys(): Set<string> {
  if (!keys) {
    const text = readFileSync(packagePath('schema', 'photoprism-options-keys.txt'), 'utf8');
    keys = new Set(text.split(/\r?\n/).map((l) => l.trim()).filter((l) => l && !l.startsWith('#')));
  }
  return keys;
}

/** Map an environment name (PHOTOPRISM_OIDC_SECRET) to its options.yml key (OIDCSecret), if there is one. */
export function optionKeyFor(envName: string): string | undefined {
  if (!envName.startsWith('PHOTOPRISM_')) return undefined;
  const flat = envName.slice('PHOTOPRISM_'.length).replace(/_/g, '').toLowerCase();
  for (const k of knownOptionKeys()) if (k.toLowerCase() === flat) return k;
  return undefined;
}
