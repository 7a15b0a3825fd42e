// Host folders for bind mounts (originals, import) judged as the kernel will see them: after ~
// expansion, normalisation and symlink resolution (the real path of the longest existing prefix),
// against system and account folders, Docker's own data root and every account's home.

import { realpathSync } from 'node:fs';
import path from 'node:path';
import { sensitiveReason } from './audit/rules/sensitive-host-mount.js';
import type { HostFacts } from './host.js';
import { sensitiveTree } from './validate.js';

/** `abs` with its longest existing prefix replaced by its real path (symlinks resolved). */
export function resolveHostPath(abs: string): string {
  const rest: string[] = [];
  for (let p = path.resolve(abs); ; p = path.dirname(p)) {
    try {
      return path.join(realpathSync(p), ...rest.reverse());
    } catch {
      if (p === path.dirname(p)) return path.resolve(abs);
      rest.push(path.basename(p));
    }
  }
}

export interface HostPathContext {
  home: string;
  facts: HostFacts;
  /** Docker's data root (docker info DockerRootDir), when known */
  dockerRoot?: string;
}

/** Why `source` (resolved: `real`) must not be mounted into PhotoPrism, or null. */
export function hostPathProblem(source: string, abs: string, ctx: HostPathContext): string | null {
  const real = resolveHostPath(abs);
  const shown = real !== abs ? `${source} (${real})` : source;
  for (const p of new Set([abs, real])) {
    const reason = sensitiveReason(p === abs ? source : p, p, ctx.home, false) ?? sensitiveTree(p);
    if (reason) return `${shown}: ${reason}`;
    const roots = [ctx.dockerRoot, '/var/lib/docker', '/var/lib/containerd', '/var/lib/containers'].filter((x): x is string => Boolean(x));
    const root = roots.find((d) => p === d || p.startsWith(`${d}/`));
    if (root) return `${shown}: ${root} is the container engine's own data`;
    const homes = new Set([ctx.home, ...ctx.facts.accounts.map((a) => a.home)].filter((h) => h && h !== '/' && h !== '/nonexistent'));
    if (homes.has(p)) return `${shown} is a whole home folder (SSH keys, credentials)`;
    if (/\/\.(ssh|docker|gnupg|aws|kube|config|local\/share\/keyrings|password-store)(\/|$)/.test(p)) return `${shown} holds an account's keys or credentials`;
  }
  return null;
}
