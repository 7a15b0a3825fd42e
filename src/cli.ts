// Command-line entry. node:util parseArgs (no dependency to load) and the question table are all that
// load at start; each command imports what it needs when it runs, so --help and --version stay fast.

import { readFileSync } from 'node:fs';
import { parseArgs, type ParseArgsConfig } from 'node:util';
import { PASSWORD_ENV } from './domain.js';
import type { EngineChoice } from './engine.js';
import { UsageError } from './errors.js';
import { Output } from './out.js';
import { bulletLines, fitLine, termWidth, wrapWords } from './text.js';
import { trace } from './trace.js';
import { packagePath } from './paths.js';
import type { HostProbe } from './host.js';
import type { Early } from './prelude.js';
import type { EngineProbes } from './preflight.js';
import type { Key, Question } from './questions.js';
import { TARGET_REGISTRY } from './targets/registry.js';

export const EXIT = { ok: 0, failure: 1, usage: 2, locked: 3 } as const;

export function packageVersion(): string {
  const pkg = JSON.parse(readFileSync(packagePath('package.json'), 'utf8')) as { version: string };
  return pkg.version;
}

/** One command-line option: the parser's config and the help text come from the same entry. */
export interface OptionSpec {
  name: string;
  short?: string;
  /** a value placeholder like '<path>' makes it a string option; none makes it a flag */
  arg?: string;
  help: string;
  /** a flag that also has a --no-<name> form */
  negatable?: boolean;
  default?: string;
}

export interface CommandSpec {
  name: string;
  summary: string;
  options: OptionSpec[];
  epilog?: string;
}

const HELP: OptionSpec = { name: 'help', short: 'h', help: 'show this help' };

/** The flags of the question table (secrets have none). */
export function questionOptions(questions: readonly Question[]): OptionSpec[] {
  return questions.flatMap((q): OptionSpec[] => {
    if (!q.flag) return [];
    return [q.kind === 'confirm' ? { name: q.flag, negatable: true, help: q.description } : { name: q.flag, arg: q.flagArg ?? '<value>', help: q.description }];
  });
}

/** init's options come from the question table: loaded only when init (or its help) is asked for */
export async function initCommand(): Promise<CommandSpec> {
  const { QUESTIONS } = await import('./questions.js');
  const { ENGINE_CHOICES } = await import('./engine.js');
  const options: OptionSpec[] = [
    { name: 'dir', arg: '<path>', help: 'installation directory', default: '.' },
    { name: 'yes', short: 'y', help: 'accept every default (or the existing installation\'s values) and never prompt' },
    { name: 'answers', arg: '<file>', help: 'read answers from a YAML file (see `photoprism-harden schema`) and never prompt' },
    { name: 'dry-run', help: 'show what would be written (secrets masked), validate it on a temporary copy, and write nothing' },
    {
      name: 'replace-secrets',
      arg: '<list>',
      help: 'replace existing secrets on purpose (adminPassword, databasePassword, databaseRootPassword); the running database must then be changed too',
    },
    {
      name: 'engine',
      arg: '<engine>',
      help: `Compose engine: ${ENGINE_CHOICES.join(', ')} (docker = docker compose v2, podman = podman-compose); default: the first found in that order`,
    },
    { name: 'apply', help: 'after writing, restart the services: stop, then up -d --force-recreate, and wait until they are healthy' },
    { name: 'apply-timeout', arg: '<seconds>', help: 'how long --apply waits for healthy/running services', default: '300' },
    { name: 'validate', negatable: true, help: 'check the written compose file with the engine (or the Compose schema); --no-validate skips it' },
    { name: 'create-folders', help: 'create a missing originals or import folder (or an adopted storage folder) outside the installation (never done without it, or a yes in the wizard)' },
  ];
  options.push(...questionOptions(QUESTIONS), HELP);
  return {
    name: 'init',
    summary: INIT_SUMMARY,
    options,
    epilog: `Passwords are never taken from the command line. Supply them through the answers file, the hidden
prompt, or the environment: ${Object.values(PASSWORD_ENV).join(', ')}.
When absent they are generated with node:crypto.

Nothing is run against Docker or Podman unless you ask: --apply (or "yes" to the wizard's last question)
runs "stop" and "up -d --force-recreate". Without --apply the tool only reads: engine versions,
"docker info" / "podman info", and "config --quiet" on the written file.

Exit codes: 0 success; 2 invalid input or usage (nothing written); 3 another run is working on the
same installation (nothing written; its PID, command and start time are named); 1 any other failure
(also: the engine rejects the file, or --apply could not start the services).`,
  };
}

const AUDIT: CommandSpec = {
  name: 'audit',
  summary: 'check a PhotoPrism installation against the Docker security guide and the Compose hardening rules',
  options: [
    { name: 'dir', arg: '<path>', help: 'installation directory (with compose.yaml, compose.yml, docker-compose.yaml or docker-compose.yml)', default: '.' },
    { name: 'json', help: 'print a machine-readable report (see README, "audit"); the same as --format json' },
    { name: 'format', arg: '<format>', help: 'text, json or sarif (SARIF 2.1.0, for code-scanning tools)' },
    { name: 'running', help: 'also inspect the live containers through the engine: passwords in their environment or command line, the user they run as, capabilities, seccomp/AppArmor, ports, mounts, and containers created from an older compose file' },
    { name: 'engine', arg: '<engine>', help: 'Compose engine for --running: docker, docker-compose, podman (default: the first found)' },
    HELP,
  ],
  epilog: `Reads the compose file, env files, options.yml (storage/settings or storage/config), .secrets/ and the
owners and modes of storage and secret files. Never prints a password.

With --running it also runs "compose ps", "inspect", "top" and "config --hash" (read-only) and reports
what only the running containers show, under the same rule ids.

Exit codes: 0 no error-level finding; 1 at least one error-level finding; 2 usage error or an
installation that cannot be read (no compose file, invalid YAML; with --running: no engine).`,
};

const ROTATE: CommandSpec = {
  name: 'rotate',
  summary: 'give the database user, MariaDB root or the PhotoPrism admin a new password in the running installation',
  options: [
    { name: 'dir', arg: '<path>', help: 'installation directory (made or adopted by photoprism-harden init)', default: '.' },
    { name: 'database', help: "rotate the password of PhotoPrism's MariaDB user (.secrets/db_pwd.txt and DatabasePassword)" },
    { name: 'database-root', help: "rotate MariaDB's root password (.secrets/db_root_pwd.txt)" },
    { name: 'admin', help: "rotate PhotoPrism's admin password (AdminPassword), through photoprism passwd" },
    { name: 'answers', arg: '<file>', help: 'take the new passwords from a YAML file (adminPassword, databasePassword, databaseRootPassword)' },
    { name: 'prompt', help: 'ask for each new password (hidden, typed twice) instead of generating it' },
    { name: 'start', help: 'start the services (up -d) if they are not running; without it rotate refuses' },
    { name: 'engine', arg: '<engine>', help: 'Compose engine: docker, docker-compose, podman (default: the first found)' },
    { name: 'timeout', arg: '<seconds>', help: 'how long to wait for a restarted service', default: '300' },
    HELP,
  ],
  epilog: `Each password is changed inside the running system first (ALTER USER in MariaDB, logged in as root
over the container's local socket; "photoprism passwd" in the PhotoPrism container), then written to
the files atomically; PhotoPrism is restarted when its database password changed. The new login must
work and the old one must be refused; any failure rolls back to the old password and says so.
No password is passed on a command line or in an environment: it goes through the stdin of
"docker compose exec". New passwords: --answers, --prompt, or ${Object.values(PASSWORD_ENV).join(', ')};
otherwise generated with node:crypto. A rotation that was interrupted (even killed) is finished or
undone by the next run, so the files always match the database.

Exit codes: 0 rotated; 2 invalid input or usage (nothing changed); 1 any other failure (rolled back).`,
};

const SCHEMA: CommandSpec = { name: 'schema', summary: 'print the JSON Schema of the answers file', options: [HELP] };

const INIT_SUMMARY = 'ask a few questions and write docker-compose.yml, storage/config/options.yml and .secrets/';
const SUMMARIES: [string, string][] = [
  ['init', INIT_SUMMARY],
  [AUDIT.name, AUDIT.summary],
  [ROTATE.name, ROTATE.summary],
  [SCHEMA.name, SCHEMA.summary],
];

async function command(name: string | undefined): Promise<CommandSpec | undefined> {
  if (name === 'init') return initCommand();
  return [AUDIT, ROTATE, SCHEMA].find((c) => c.name === name);
}


/** Paragraphs (separated by an empty line) re-flowed to `width`. */
function paragraphs(text: string, width: number): string[] {
  return text.split('\n\n').flatMap((p, i) => [...(i ? [''] : []), ...wrapWords(p.replace(/\n/g, ' '), width)]);
}

export function commandHelp(c: CommandSpec): string {
  const cols = termWidth();
  const label = (o: OptionSpec) =>
    `${o.short ? `-${o.short}, ` : '    '}--${o.name}${o.arg ? ` ${o.arg}` : ''}${o.negatable ? `, --no-${o.name}` : ''}`;
  const width = Math.min(34, Math.max(...c.options.map((o) => label(o).length)) + 2);
  const lines = [`Usage: photoprism-harden ${c.name} [options]`, '', ...wrapWords(c.summary, cols), '', 'Options:'];
  for (const o of c.options) {
    const l = label(o);
    const help = `${o.help}${o.default !== undefined ? ` (default: ${o.default})` : ''}`;
    const long = l.length + 2 > width;
    const body = wrapWords(help, cols, long ? ' '.repeat(width + 2) : `  ${l.padEnd(width)}`, ' '.repeat(width + 2));
    lines.push(...(long ? [`  ${l}`] : []), ...body);
  }
  if (c.epilog) lines.push('', ...paragraphs(c.epilog, cols));
  return `${lines.join('\n')}\n`;
}

export function mainHelp(): string {
  const lines = ['Usage: photoprism-harden <command> [options]', '', ...wrapWords('Write a hardened PhotoPrism + MariaDB Docker Compose installation', termWidth()), '', 'Commands:'];
  for (const [name, summary] of SUMMARIES) lines.push(...wrapWords(summary, termWidth(), `  ${name.padEnd(8)}`, ' '.repeat(10)));
  lines.push('', ...wrapWords('Targets (init --target NAME; audit recognises each):', termWidth()));
  for (const t of TARGET_REGISTRY) lines.push(...wrapWords(t.summary, termWidth(), `  ${t.name.padEnd(12)}`, ' '.repeat(14)));
  lines.push('', 'Options:', '  -V, --version  print the version');
  lines.push(...wrapWords('show this help (photoprism-harden <command> --help for a command)', termWidth(), '  -h, --help     ', ' '.repeat(17)));
  return `${lines.join('\n')}\n`;
}

type Values = Record<string, string | boolean | undefined>;

/** Parse one command's options; unknown options and stray arguments are usage errors (exit 2). */
export function parseCommand(c: CommandSpec, args: string[]): Values {
  const options: ParseArgsConfig['options'] = {};
  for (const o of c.options) options[o.name] = { type: o.arg ? 'string' : 'boolean', ...(o.short ? { short: o.short } : {}) };
  let parsed;
  try {
    parsed = parseArgs({ args, options, strict: true, allowPositionals: true, allowNegative: true });
  } catch (e) {
    throw new UsageError([`${(e as Error).message.replace(/\. To specify a positional argument.*$/s, '')} (run "photoprism-harden ${c.name} --help")`]);
  }
  if (parsed.positionals.length) {
    throw new UsageError([`unexpected argument ${JSON.stringify(parsed.positionals[0])} (run "photoprism-harden ${c.name} --help")`]);
  }
  const values: Values = { ...(parsed.values as Values) };
  for (const o of c.options) {
    const v = values[o.name];
    if (!o.arg && !o.negatable && v === false) throw new UsageError([`--no-${o.name} is not an option (run "photoprism-harden ${c.name} --help")`]);
    if (o.default !== undefined && v === undefined) values[o.name] = o.default;
  }
  return values;
}

const list = (v: unknown) => (typeof v === 'string' ? v.split(/[\s,]+/).filter(Boolean) : []);

/**
 * Run the CLI. `early` is what dist/prelude.cjs started before this code was loaded (init's engine
 * probes); whatever of it is still running when main returns is stopped. `host` answers the host
 * probes (tests pass a fake; test/helpers/cli-entry.ts does for spawned runs); default: the real host.
 */
export async function main(argv: string[], early: Early = {}, host?: HostProbe): Promise<number> {
  trace('cli: started');
  try {
    return await run(argv, early, host);
  } finally {
    early.probes?.abort(); // a run that stopped early (invalid input) does not wait for them
  }
}

async function run(argv: string[], early: Early, injected: HostProbe | undefined): Promise<number> {
  const args = argv.slice(2);
  const print = new Output();
  const out = (s: string) => print.write(s);
  try {
    const [first, ...rest] = args;
    if (first === undefined || first === '-h' || first === '--help' || first === 'help') {
      const c = first === 'help' ? await command(rest[0]) : undefined;
      out(c ? commandHelp(c) : mainHelp());
      return first === undefined ? EXIT.usage : EXIT.ok;
    }
    if (first === '-V' || first === '--version') {
      out(`${packageVersion()}\n`);
      return EXIT.ok;
    }
    const c = await command(first);
    if (!c) throw new UsageError([`unknown command ${JSON.stringify(first)}; commands: ${SUMMARIES.map(([n]) => n).join(', ')}`]);
    const v = parseCommand(c, rest);
    if (v.help) {
      out(commandHelp(c));
      return EXIT.ok;
    }
    const version = packageVersion();
    if (c.name === 'schema') {
      const { answersSchema } = await import('./questions.js');
      out(`${JSON.stringify(answersSchema(), null, 2)}\n`);
      return EXIT.ok;
    }
    if (c.name === 'audit') {
      const { runAudit } = await import('./audit/index.js');
      const format = v.format === undefined ? (v.json ? 'json' : 'text') : String(v.format);
      if (!['text', 'json', 'sarif'].includes(format)) throw new UsageError([`--format must be one of: text, json, sarif; got ${JSON.stringify(format)}`]);
      if (v.json && format !== 'json') throw new UsageError([`--json cannot be combined with --format ${format}`]);
      const { ENGINE_CHOICES } = await import('./engine.js');
      if (v.engine !== undefined && !(ENGINE_CHOICES as readonly string[]).includes(String(v.engine))) {
        throw new UsageError([`--engine must be one of: ${ENGINE_CHOICES.join(', ')}; got ${JSON.stringify(v.engine)}`]);
      }
      return await runAudit({
        dir: String(v.dir),
        json: format === 'json',
        format: format as 'text' | 'json' | 'sarif',
        running: Boolean(v.running),
        engine: v.engine as EngineChoice | undefined,
        version,
        ...(injected ? { probe: injected } : {}),
      });
    }
    if (c.name === 'rotate') {
      const { runRotateCli } = await import('./rotate/cli.js');
      return await runRotateCli(v, process.env, injected);
    }
    // init
    const { QUESTIONS } = await import('./questions.js');
    const { ENGINE_CHOICES } = await import('./engine.js');
    const flags: Partial<Record<Key, unknown>> = {};
    for (const q of QUESTIONS) if (q.flag && v[q.flag] !== undefined) flags[q.key] = v[q.flag];
    const timeout = String(v['apply-timeout']);
    if (!/^\d+$/.test(timeout) || Number(timeout) < 1 || Number(timeout) > 86400) {
      throw new UsageError([`--apply-timeout must be a whole number of seconds from 1 to 86400, got ${JSON.stringify(timeout)}`]);
    }
    if (v.engine !== undefined && !(ENGINE_CHOICES as readonly string[]).includes(String(v.engine))) {
      throw new UsageError([`--engine must be one of: ${ENGINE_CHOICES.join(', ')}; got ${JSON.stringify(v.engine)}`]);
    }
    // the engine probes are processes: started before init's code loads (by the prelude, or here;
    // main stops them when the run ends)
    const { startEngineProbes } = await import('./preflight.js');
    const { defaultProbe } = await import('./host.js');
    const { systemCommands } = await import('./engine.js');
    const host = injected ?? defaultProbe();
    // the prelude's probes run on this host's commands: the same runner, or both the real ones (the
    // prelude's bundle has its own copy of systemCommands)
    const sameRunner = (p: EngineProbes) => p.runner === host.commands || (p.system && host.commands === systemCommands);
    if (!early.probes || early.probes.engineChoice !== v.engine || !sameRunner(early.probes)) {
      early.probes?.abort(); // (started for another --engine than the parse found, or another host)
      early.probes = startEngineProbes(process.env, v.engine as EngineChoice | undefined, host.commands);
    }
    const probes = early.probes;
    // the host answers for the engines with the probes already running (the domain code only sees
    // facts that arrive as promises; how early they started is this module's business)
    const probe: HostProbe = {
      facts: () => host.facts(),
      commands: host.commands,
      ...(host.freeBytes ? { freeBytes: (d: string) => host.freeBytes!(d) } : {}),
      engines: (choice, env) => (choice === probes.engineChoice && env === process.env ? probes : startEngines(env, choice)),
    };
    const startEngines = (env: NodeJS.ProcessEnv, choice: EngineChoice | undefined) => {
      const started = startEngineProbes(env, choice, host.commands);
      early.probes = started; // (main stops whatever runs when the run ends)
      probes.abort();
      return started;
    };
    const { runInit } = await import('./init.js');
    return await runInit({
      probe,
      dir: String(v.dir),
      yes: Boolean(v.yes),
      answers: v.answers as string | undefined,
      dryRun: Boolean(v['dry-run']),
      replaceSecrets: list(v['replace-secrets']),
      flags,
      version,
      engine: v.engine as EngineChoice | undefined,
      apply: Boolean(v.apply),
      validate: v.validate !== false,
      createFolders: Boolean(v['create-folders']),
      applyTimeoutSec: Number(timeout),
    });
  } catch (e) {
    if (e instanceof UsageError) {
      const problems = e.problems.flatMap((p) => bulletLines(p.split('\n'), '- ', termWidth()));
      print.writeErr(`photoprism-harden: invalid input, nothing was written:\n${problems.join('\n')}\n`);
      return EXIT.usage;
    }
    if (e instanceof Error && e.name === 'LockedError') {
      print.writeErr(`photoprism-harden: nothing was written: ${e.message}\n`);
      return EXIT.locked;
    }
    if (e instanceof Error && e.name === 'ExitPromptError') {
      print.writeErr('\nAborted: nothing was written.\n');
      return EXIT.failure;
    }
    print.writeErr(`${fitLine(`photoprism-harden: ${e instanceof Error ? e.message : String(e)}`, termWidth()).join('\n')}\n`);
    return EXIT.failure;
  }
}
