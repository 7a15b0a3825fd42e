// Command-line entry. Only commander and the question table load at start; each command imports
// what it needs when it runs, so --help and --version stay fast.

import { readFileSync } from 'node:fs';
import { Command, CommanderError, Option } from 'commander';
import { UsageError } from './errors.js';
import { QUESTIONS, type Key } from './questions.js';
import { PASSWORD_ENV } from './domain.js';

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
    .option('--dry-run', 'show what would be written (secrets masked) and write nothing')
    .option(
      '--replace-secrets <list>',
      'replace existing secrets on purpose (adminPassword, databasePassword, databaseRootPassword); the running database must then be changed too',
    );
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

Exit codes: 0 success; 2 invalid input or usage (nothing written); 1 any other failure.`,
  );
  init.action(async (opts: Record<string, unknown>) => {
    const flags: Partial<Record<Key, unknown>> = {};
    for (const q of QUESTIONS) {
      if (!q.flag) continue;
      const v = opts[camel(q.flag)];
      if (v !== undefined) flags[q.key] = v;
    }
    const { runInit } = await import('./init.js');
    run.exitCode = await runInit({
      dir: String(opts.dir),
      yes: Boolean(opts.yes),
      answers: opts.answers as string | undefined,
      dryRun: Boolean(opts.dryRun),
      replaceSecrets: typeof opts.replaceSecrets === 'string' ? opts.replaceSecrets.split(/[\s,]+/).filter(Boolean) : [],
      flags,
      version,
    });
  });

  program
    .command('audit')
    .description('check a PhotoPrism installation against the Docker security guide and the Compose hardening rules')
    .option('--dir <path>', 'installation directory (with compose.yaml, compose.yml, docker-compose.yaml or docker-compose.yml)', '.')
    .option('--json', 'print a machine-readable report (see README, "audit")')
    .addHelpText(
      'after',
      `
Reads the compose file, env files, options.yml (storage/settings or storage/config), .secrets/ and the
owners and modes of storage and secret files. Never prints a password.

Exit codes: 0 no error-level finding; 1 at least one error-level finding; 2 usage error or an
installation that cannot be read (no compose file, invalid YAML).`,
    )
    .action(async (opts: { dir: string; json?: boolean }) => {
      const { runAudit } = await import('./audit/index.js');
      run.exitCode = await runAudit({ dir: String(opts.dir), json: Boolean(opts.json), version });
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
