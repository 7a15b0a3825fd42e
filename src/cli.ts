// Command-line entry. Only commander and the question table load at start; each command imports
// what it needs when it runs, so --help and --version stay fast.

import { readFileSync } from 'node:fs';
import { Command, CommanderError, Option } from 'commander';
import { UsageError } from './errors.js';
import { QUESTIONS, type Key } from './questions.js';
import { PASSWORD_ENV } from './domain.js';
import { ENGINE_CHOICES, type EngineChoice } from './engine.js';

export const EXIT = { ok: 0, failure: 1, usage: 2 } as const;

export function packageVersion(): string {
  const pkg = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')) as { version: string };
  return pkg.version;
}

function camel(flag: string): string {
  return flag.replace(/-([a-z])/g, (_, c: string) => c.toUpperCase());
}

export function buildProgram(version: string, run: { exitCode: number }): Command {
  const program = new Command();
  program
    .name('photoprism-harden')
    .description('Write a hardened PhotoPrism + MariaDB Docker Compose installation')
    .version(version, '-V, --version')
    .showHelpAfterError('(run with --help for usage)')
    .exitOverride()
    .configureOutput({ outputError: (str, write) => write(str) });

  const init = program
    .command('init')
    .description('ask a few questions and write docker-compose.yml, storage/config/options.yml and .secrets/')
    .option('--dir <path>', 'installation directory', '.')
    .option('-y, --yes', 'accept every default and never prompt')
    .option('--answers <file>', 'read answers from a YAML file (see `photoprism-harden schema`) and never prompt')
    .option('--dry-run', 'show what would be written (secrets masked), validate it on a temporary copy, and write nothing')
    .addOption(
      new Option('--engine <engine>', 'Compose engine to use: docker (docker compose v2), docker-compose, podman (podman-compose); default: the first found in that order').choices([
        ...ENGINE_CHOICES,
      ]),
    )
    .option('--apply', 'after writing, restart the services: stop, then up -d --force-recreate, and wait until they are healthy')
    .option('--apply-timeout <seconds>', 'how long --apply waits for healthy/running services', String(300))
    .option('--no-validate', 'do not check the written compose file with the engine (or the Compose schema)');
  for (const q of QUESTIONS) {
    if (!q.flag) continue;
    if (q.kind === 'confirm') {
      init.addOption(new Option(`--${q.flag}`, q.description));
      init.addOption(new Option(`--no-${q.flag}`, `opposite of --${q.flag}`));
    } else {
      init.addOption(new Option(`--${q.flag} ${q.flagArg ?? '<value>'}`, q.description));
    }
  }
  init.addHelpText(
    'after',
    `
Passwords are never taken from the command line. Supply them through the answers file, the hidden
prompt, or the environment: ${Object.values(PASSWORD_ENV).join(', ')}.
When absent they are generated with node:crypto.

Nothing is run against Docker or Podman unless you ask: --apply (or "yes" to the wizard's last question)
runs "stop" and "up -d --force-recreate". Without --apply the tool only reads: engine versions,
"docker info" / "podman info", and "config --quiet" on the written file.

Exit codes: 0 success; 2 invalid input or usage (nothing written); 1 any other failure (also: the
engine rejects the file, or --apply could not start the services).`,
  );
  init.action(async (opts: Record<string, unknown>) => {
    const flags: Partial<Record<Key, unknown>> = {};
    for (const q of QUESTIONS) {
      if (!q.flag) continue;
      const v = opts[camel(q.flag)];
      if (v !== undefined) flags[q.key] = v;
    }
    const timeout = String(opts.applyTimeout);
    if (!/^\d+$/.test(timeout) || Number(timeout) < 1 || Number(timeout) > 86400) {
      throw new UsageError([`--apply-timeout must be a whole number of seconds from 1 to 86400, got ${JSON.stringify(timeout)}`]);
    }
    const { runInit } = await import('./init.js');
    run.exitCode = await runInit({
      dir: String(opts.dir),
      yes: Boolean(opts.yes),
      answers: opts.answers as string | undefined,
      dryRun: Boolean(opts.dryRun),
      flags,
      version,
      engine: opts.engine as EngineChoice | undefined,
      apply: Boolean(opts.apply),
      validate: opts.validate !== false,
      applyTimeoutSec: Number(timeout),
    });
  });

  program
    .command('schema')
    .description('print the JSON Schema of the answers file')
    .action(async () => {
      const { answersSchema } = await import('./questions.js');
      process.stdout.write(`${JSON.stringify(answersSchema(), null, 2)}\n`);
    });
  return program;
}

export async function main(argv: string[]): Promise<number> {
  const run = { exitCode: EXIT.ok as number };
  const version = packageVersion();
  const program = buildProgram(version, run);
  try {
    await program.parseAsync(argv);
    return run.exitCode;
  } catch (e) {
    if (e instanceof CommanderError) {
      if (e.code === 'commander.helpDisplayed' || e.code === 'commander.version' || e.code === 'commander.help') return EXIT.ok;
      return EXIT.usage;
    }
    if (e instanceof UsageError) {
      process.stderr.write(`photoprism-harden: invalid input, nothing was written:\n${e.problems.map((p) => `  - ${p}`).join('\n')}\n`);
      return EXIT.usage;
    }
    if (e instanceof Error && e.name === 'ExitPromptError') {
      process.stderr.write('\nAborted: nothing was written.\n');
      return EXIT.failure;
    }
    process.stderr.write(`photoprism-harden: ${e instanceof Error ? e.message : String(e)}\n`);
    return EXIT.failure;
  }
}
