import path from 'node:path';
import { expandHome, parseMounts } from '../compose.js';
import type { RawFinding, Rule } from '../types.js';
import { resolveHostPath } from '../../hostpaths.js';
import { isRuntimeSocket } from './docker-socket-mounted.js';
import { at, svcLabel } from './util.js';

/** Host folders never to mount as a whole. */
const EXACT = ['/', '/bin', '/sbin', '/lib', '/lib64', '/usr', '/home', '/root', '/var', '/var/run', '/run'];
/** Host trees of which no part should be mounted (except the read-only files in ALLOWED). */
const TREES = ['/etc', '/proc', '/sys', '/dev', '/boot', '/var/lib/docker', '/var/lib/containerd', '/run/containerd', '/var/log'];
const ALLOWED = ['/etc/localtime', '/etc/timezone'];
/** Credentials kept in home folders. */
const CREDENTIALS = /\/(\.ssh|\.docker|\.aws|\.kube|\.gnupg|\.config\/gcloud|\.netrc|\.git-credentials)(\/|$)/;

/** Why mounting `source` (resolved to `abs`) is sensitive, or null. `~/...` is judged as written, not by whose home it is. */
export function sensitiveReason(source: string, abs: string, home: string, readOnly: boolean): string | null {
  if (CREDENTIALS.test(source.startsWith('~') ? source.slice(1) : abs)) return `${source} holds credentials`;
  if (source === '~' || source === '~/' || abs === home) return 'it is a whole home folder (SSH keys, credentials)';
  if (source.startsWith('~/')) return null;
  if (EXACT.includes(abs)) return `${abs} is a system folder`;
  for (const t of TREES) {
    if (abs === t || abs.startsWith(`${t}/`)) {
      if (readOnly && ALLOWED.includes(abs)) return null;
      return `${t} is a sensitive host tree`;
    }
  }
  return null;
}

export const sensitiveHostMount: Rule = {
  id: 'sensitive-host-mount',
  severity: 'error',
  title: 'A sensitive host folder or credential file is mounted (/, /etc, /proc, /sys, /dev, /root, ~/.ssh, ~/.docker, ...)',
  why: 'the container can read (or change) host configuration, keys and credentials; a compromise of the service becomes a compromise of the host',
  kics: 'Volume Has Sensitive Host Directory',
  cis: '5.5',
  check(ctx) {
    const home = ctx.home;
    const out: RawFinding[] = [];
    for (const s of ctx.services) {
      for (const m of parseMounts(s.data.volumes)) {
        if (m.type !== 'bind' || !m.source || isRuntimeSocket(m.source)) continue;
        const abs = path.resolve(ctx.dir, expandHome(m.source, home));
        // judged as written and as the kernel resolves it (a symlink to /etc is /etc)
        const real = resolveHostPath(abs);
        const reason = sensitiveReason(m.source, abs, home, m.readOnly) ?? (real !== abs ? sensitiveReason(real, real, home, m.readOnly) : null);
        if (!reason) continue;
        out.push({
          ...at(ctx, s, 'volumes', m.index),
          message: `${svcLabel(s)} mounts ${m.source}${m.readOnly ? ' (read-only)' : ''}: ${reason}`,
          fix: 'mount only the folder the service needs (for PhotoPrism: your photo folder, never / or a home folder)',
        });
      }
    }
    return out;
  },
};
