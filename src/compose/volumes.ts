// Named volumes live where the engine keeps them: the one question adoption asks the engine is
// "where is volume X on the host" (`docker volume inspect`, `podman volume inspect`). Read-only.

import { commandsOf, type Engine } from '../engine.js';

/** Host folder of a named volume, or null when the engine does not know it (never created) or cannot be asked. */
export type VolumeLookup = (name: string) => Promise<{ mountpoint: string } | { error: string }>;

export function engineVolumeLookup(engine: Engine | null, env: NodeJS.ProcessEnv): VolumeLookup {
  return async (name) => {
    if (!engine) return { error: 'no container engine was found to ask where it keeps the volume' };
    const r = await commandsOf(engine).run(engine.runtime, ['volume', 'inspect', '--format', '{{.Mountpoint}}', name], { env, timeoutMs: 10000 });
    if (r.missing) return { error: `${engine.runtime} is not installed` };
    if (r.exitCode !== 0) return { error: `${engine.runtime} volume inspect ${name} failed: ${r.stderr.trim().split('\n')[0] || `exit code ${r.exitCode}`}` };
    const mountpoint = r.stdout.trim().split('\n')[0] ?? '';
    if (!mountpoint.startsWith('/')) return { error: `${engine.runtime} volume inspect ${name} gave no host folder` };
    return { mountpoint };
  };
}

/**
 * Host folder of the anonymous volume that the container of a Compose service has at `target`
 * (Compose re-uses it for every re-created container of the service). Read-only: `ps -a` by the
 * labels Compose sets, then the container's mounts.
 */
export type AnonymousLookup = (project: string, service: string, target: string) => Promise<{ mountpoint: string; name: string } | { error: string }>;

export function engineAnonymousLookup(engine: Engine | null, env: NodeJS.ProcessEnv): AnonymousLookup {
  return async (project, service, target) => {
    if (!engine) return { error: 'no container engine was found to ask for the container that holds it' };
    const run = (args: string[]) => commandsOf(engine).run(engine.runtime, args, { env, timeoutMs: 10000 });
    const ps = await run(['ps', '-a', '-q', '--no-trunc', '--filter', `label=com.docker.compose.project=${project}`, '--filter', `label=com.docker.compose.service=${service}`]);
    if (ps.missing) return { error: `${engine.runtime} is not installed` };
    if (ps.exitCode !== 0) return { error: `${engine.runtime} ps failed: ${ps.stderr.trim().split('\n')[0] || `exit code ${ps.exitCode}`}` };
    const ids = ps.stdout.split('\n').map((l) => l.trim()).filter(Boolean);
    if (!ids.length) return { error: `there is no container of "${service}" (project ${project}) yet, so the volume does not exist` };
    const found = new Map<string, string>();
    for (const id of ids) {
      const r = await run(['inspect', '--format', '{{json .Mounts}}', id]);
      if (r.exitCode !== 0) return { error: `${engine.runtime} inspect ${id.slice(0, 12)} failed: ${r.stderr.trim().split('\n')[0] || `exit code ${r.exitCode}`}` };
      let mounts: unknown;
      try {
        mounts = JSON.parse(r.stdout.trim() || 'null');
      } catch {
        return { error: `${engine.runtime} inspect ${id.slice(0, 12)} gave no list of mounts` };
      }
      for (const m of Array.isArray(mounts) ? (mounts as Record<string, unknown>[]) : []) {
        if (m.Destination !== target || m.Type !== 'volume' || typeof m.Source !== 'string' || typeof m.Name !== 'string') continue;
        found.set(m.Name, m.Source);
      }
    }
    if (found.size === 0) return { error: `the container of "${service}" has no volume at ${target}` };
    if (found.size > 1) return { error: `the ${ids.length} containers of "${service}" have different volumes at ${target} (${[...found.keys()].map((n) => n.slice(0, 12)).join(', ')}); remove the ones no longer used` };
    const [name, mountpoint] = [...found][0]!;
    if (!mountpoint.startsWith('/')) return { error: `${engine.runtime} inspect gave no host folder for the volume at ${target}` };
    return { name, mountpoint };
  };
}
