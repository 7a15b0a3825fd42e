// Work that can start before the bulk of the code is loaded. dist/boot.cjs loads this small bundle
// (dist/prelude.cjs) ahead of dist/cli.cjs for `init` and hands what it started to cli's main: the
// engine probes, processes that take longer than loading and starting the rest of init.

import { ENGINE_CHOICES, type CommandRunner, type EngineChoice } from './engine.js';
import { startEngineProbes, type EngineProbes } from './preflight.js';

export interface Early {
  /** `init`'s engine probes, started with the --engine the raw arguments name (main checks it) */
  probes?: EngineProbes;
}

/** The value of --engine in raw arguments: a guess made before parsing (the full parse decides). */
export function engineArg(args: readonly string[]): string | undefined {
  let found: string | undefined;
  for (let i = 0; i < args.length; i++) {
    const a = args[i]!;
    if (a === '--') break;
    if (a === '--engine') found = args[++i];
    else if (a.startsWith('--engine=')) found = a.slice('--engine='.length);
  }
  return found;
}

/** `runner`: the host's commands (boot passes those of the host handed to it; default: the real ones) */
export function prelude(argv: readonly string[], env: NodeJS.ProcessEnv = process.env, runner?: CommandRunner): Early {
  const [first, ...rest] = argv.slice(2);
  if (first !== 'init' || rest.includes('-h') || rest.includes('--help')) return {};
  const engine = engineArg(rest);
  if (engine !== undefined && !(ENGINE_CHOICES as readonly string[]).includes(engine)) return {};
  return { probes: startEngineProbes(env, engine as EngineChoice | undefined, runner) };
}
