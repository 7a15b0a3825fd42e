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
