// `init`: collect -> plan -> (confirm) -> apply. Loaded lazily by the CLI.

import { promises as fsp } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { isatty } from 'node:tty';
import { applyPlan, shellQuote, type ApplyResult } from './apply.js';
import { auditDir, auditPlan, summaryLine, type Report } from './audit/index.js';
import { location } from './audit/report.js';
import { collect, type Collected, type Prompter } from './collect.js';
import { COMPOSE_FILE } from './domain.js';
import { installAdvice, shown, type Engine, type EngineChoice } from './engine.js';
import { UsageError } from './errors.js';
import { defaultProbe, type HostFacts, type HostProbe } from './host.js';
import { Output, diffLines, dryRunLines, messageLines, nextStepLines, planLines, repeatCommand, summaryLines } from './output.js';
import { buildPlan, planIsNoop } from './plan.js';
import { preflightLines, runPreflight, type EngineProbes, type Preflight } from './preflight.js';
import { SECRET_KEYS, type Key, type SecretKey } from './questions.js';
import { readTargetState, withHostPaths } from './state.js';
import * as stdio from './stdio.js';
import { trace } from './trace.js';

export interface InitOptions {
  dir: string;
  yes: boolean;
  answers?: string;
  dryRun: boolean;
  /** raw flag values by answer key */
  flags: Partial<Record<Key, unknown>>;
  version: string;
  env?: NodeJS.ProcessEnv;
  out?: Output;
  probe?: HostProbe;
  /** existing secrets to replace on purpose (--replace-secrets) */
  replaceSecrets?: string[];
  /** interactive prompts; when absent and the run is interactive, inquirer is used */
  prompter?: Prompter;
  stdinIsTTY?: boolean;
  /** --engine: only this Compose engine is looked for */
  engine?: EngineChoice;
  /** --apply: stop, then up -d --force-recreate, then wait for healthy */
  apply?: boolean;
  /** --no-validate turns the engine/schema check of the written file off */
  validate?: boolean;
  /** --apply-timeout, seconds to wait for healthy/running (default 300) */
  applyTimeoutSec?: number;
  /** poll interval while waiting (tests shorten it) */
  pollMs?: number;
  /** a precomputed preflight (tests) */
  preflight?: Preflight;
  /** engine probes the CLI started while it loaded this module */
  probes?: EngineProbes;
}

export const DEFAULT_APPLY_TIMEOUT_SEC = 300;

export function expandHome(p: string, home: string): string {
  if (p === '~') return home;
  if (p.startsWith('~/')) return path.join(home, p.slice(2));
  return p;
}

/** Absolute host path of a bind-mount source, as Compose resolves it (relative to the compose file). */
export function hostPath(p: string, dir: string, home: string): string {
  return path.resolve(dir, expandHome(p, home));
}

export async function runInit(o: InitOptions): Promise<number> {
  const out = o.out ?? new Output();
  const env = o.env ?? process.env;
  const interactive = !o.yes && !o.answers;
  // (process.stdin is created on first use, which loads stream code: only the wizard needs it)
  if (interactive && !o.prompter && !(o.stdinIsTTY ?? isatty(0))) {
    throw new UsageError([
      'standard input is not a terminal, so the wizard cannot ask its questions. Use --yes (accept all defaults) or --answers FILE.yml (answers from a file).',
    ]);
  }
  if (o.apply && o.dryRun) {
    throw new UsageError(['--apply cannot be combined with --dry-run: a dry run writes nothing and starts nothing']);
  }
  const dir = path.resolve(o.dir);
  let answersFile: { name: string; text: string } | undefined;
  if (o.answers) {
    try {
      answersFile = { name: o.answers, text: await fsp.readFile(o.answers, 'utf8') };
    } catch (e) {
      throw new UsageError([`--answers: cannot read ${o.answers}: ${(e as Error).message}`]);
    }
  }

  trace('init: loaded; host facts next');
  const probe = o.probe ?? (await defaultProbe());
  const hostFacts: HostFacts = await probe.facts();
  // read-only: engine versions, `docker info`/`podman info`, user namespace, SELinux, free disk
  trace('init: host facts read; preflight next');
  const pf = o.preflight ?? (await runPreflight({ facts: hostFacts, probe, dir, engineChoice: o.engine, env, probes: o.probes }));
  const facts: HostFacts = { ...hostFacts, idMapping: pf.mapping };
  trace('init: preflight done');
  const home = env.HOME ?? os.homedir();
  const state0 = await readTargetState(dir);

  trace('init: target read');
  let prompter = o.prompter;
  if (interactive && !prompter) {
    const { inquirerPrompter } = await import('./prompter.js');
    prompter = inquirerPrompter((l) => out.out(l));
  }
  if (interactive) {
    out.out(`photoprism-harden ${o.version}: a hardened PhotoPrism installation in ${dir}`);
    out.out('Press Enter to accept a default. Nothing is written before you confirm.');
    out.out('');
    for (const l of preflightLines(pf, facts)) out.out(l);
    out.out('');
  }

  const replaceSecrets = (o.replaceSecrets ?? []).map((k) => {
    if (!(SECRET_KEYS as readonly string[]).includes(k)) {
      throw new UsageError([`--replace-secrets: unknown secret "${k}"; allowed: ${SECRET_KEYS.join(', ')}`]);
    }
    return k as SecretKey;
  });
  const collected = await collect({ facts, state: state0, flags: o.flags, answersFile, env, prompter, replaceSecrets });
  trace('init: answers collected');
  const { adminPassword, databasePassword, databaseRootPassword } = collected.answers;
  out.addSecrets([adminPassword, databasePassword, databaseRootPassword, ...collected.knownSecrets].filter((v) => v.length >= 8));

  const a = collected.answers;
  const originals = hostPath(a.originalsPath, dir, home);
  const imp = a.importPath ? hostPath(a.importPath, dir, home) : null;
  const state = await withHostPaths(state0, [originals, ...(imp ? [imp] : [])]);
  const repeat = repeatCommand(collected, dir, o.engine);
  const plan = buildPlan({
    answers: a,
    facts,
    state,
    version: o.version,
    regenerate: repeat,
    hostPaths: { originals, import: imp },
    notes: collected.notes,
    replaceSecrets: replaceSecrets.length > 0,
    knownSecrets: collected.knownSecrets,
    idMapping: pf.mapping,
    selinux: pf.selinuxEnforcing,
  });
  trace('init: planned');
  plan.messages.push(...pf.notes);
  const name = (id: number, list: { name: string; uid?: number; gid?: number }[], k: 'uid' | 'gid') => list.find((x) => x[k] === id)?.name ?? String(id);
  const invoker = `${name(facts.euid, facts.accounts, 'uid')}:${name(facts.egid, facts.groups, 'gid')}`;

  if (!interactive) {
    out.out(`photoprism-harden ${o.version}: ${o.dryRun ? 'dry run for' : 'writing'} ${dir}`);
    out.out('');
    for (const l of preflightLines(pf, facts)) out.out(l);
  }
  out.out('');
  out.out('Summary (no password is ever shown):');
  for (const l of summaryLines(collected)) out.out(l);
  out.out('');
  for (const l of planLines(plan, invoker)) out.out(l);
  if (plan.messages.length) {
    out.out('');
    out.out('Notes:');
    for (const l of messageLines(plan)) out.out(l);
  }

  const diff = await diffLines(plan, state.contents);
  if (diff.length) {
    out.out('');
    out.out('Changes (secrets masked):');
    for (const l of diff) out.out(l);
  }
  for (const k of replaceSecrets) {
    out.out('');
    out.out(`! ${k} is REPLACED. ${replaceAdvice(k)}`);
  }

  trace('init: summary and diff shown');
  const validate = o.validate !== false;
  const engine = pf.engine;
  if (o.dryRun) {
    for (const l of dryRunLines(plan)) out.out(l);
    for (const l of await auditLines(() => auditPlan(plan, facts, o.version, env), null)) out.out(l);
    out.out('');
    let code = 0;
    if (validate) {
      const { checkText } = await import('./composecheck.js');
      const compose = plan.files.find((f) => f.path === state.composeFile)!;
      const r = await checkText(compose.content, engine, env);
      code = reportValidation(out, r.validation, r.by, engine, r.tempCopy ? `a temporary copy (${r.tempCopy})` : compose.path, false);
    }
    out.out('Dry run: nothing was written.');
    return code;
  }
  const noop = planIsNoop(plan);
  let result: ApplyResult | null = null;
  if (!noop) {
    if (prompter) {
      out.out('');
      const go = await prompter.confirm({ message: `Write these files to ${dir}?`, default: true });
      if (!go) {
        out.out('Nothing was written.');
        return 1;
      }
    }
    let progressShown = false;
    const progress = isatty(2)
      ? (visited: number, changed: number) => {
          progressShown = true;
          stdio.stderr.write(`\r  re-owning storage: ${visited} checked, ${changed} changed`);
        }
      : undefined;
    result = await applyPlan(plan, new Date(), progress);
    if (progressShown) stdio.stderr.write('\n');
    out.out('');
    out.out(`Done: ${result.written.length} file(s) written${result.unchanged.length ? `, ${result.unchanged.length} unchanged` : ''}${result.createdDirs.length ? `, ${result.createdDirs.length} folder(s) created` : ''}${result.reowned ? `, ${result.reowned} storage entries re-owned to ${a.uid}:${a.gid}` : ''}.`);
  } else {
    out.out('');
    out.out('Nothing to change: the installation already matches these answers.');
  }
  trace('init: written');
  // the audit and the engine's (or the schema's) check of the written files read them side by side;
  // their reports are printed in this order
  const validation =
    validate && !(noop && !o.apply) ? import('./composecheck.js').then(({ checkInstalled }) => checkInstalled(dir, engine, env, state.composeFile)) : null;
  validation?.catch(() => {}); // (awaited below; an audit failure must not leave it unhandled)
  for (const l of await auditLines(() => auditDir(dir, facts, o.version, { env }), dir)) out.out(l);
  trace('init: audited');
  if (noop && !o.apply) return 0;

  if (validation) {
    const r = await validation;
    if (reportValidation(out, r.validation, r.by, engine, state.composeFile, true) !== 0) return 1;
  }
  trace('init: validated');
  if (!engine) {
    out.out('');
    out.out(`No Compose engine was found: ${pf.notFound.join(', ')}.`);
    out.out('The files are written; to start PhotoPrism, install one:');
    for (const l of installAdvice(o.engine)) out.out(`  ${l}`);
  }

  let apply = Boolean(o.apply);
  if (!apply && prompter && engine) {
    out.out('');
    apply = await prompter.confirm({
      message: `Start PhotoPrism now? (runs "${shown(engine, ['stop'])}", then "${shown(engine, ['up', '-d', '--force-recreate'])}")`,
      default: false,
    });
  }
  let started = false;
  if (apply) {
    if (!engine) {
      out.err('--apply: no Compose engine to start the services with (see above); nothing was started.');
      return 1;
    }
    out.out('');
    const { startServices } = await import('./lifecycle.js');
    const timeoutSec = o.applyTimeoutSec ?? DEFAULT_APPLY_TIMEOUT_SEC;
    const r = await startServices({ engine, dir, env, out: (l) => out.out(l), timeoutMs: timeoutSec * 1000, pollMs: o.pollMs, composeFile: state.composeFile });
    if (!r.ok) return 1;
    started = true;
  }
  for (const l of nextStepLines(plan, result, collected, repeat, { engine: engine?.display ?? 'docker compose', started, mapping: pf.mapping })) out.out(l);
  trace('init: done');
  return 0;
}

/** What a replaced secret means for the running services (never with the password itself). */
export function replaceAdvice(k: SecretKey): string {
  switch (k) {
    case 'adminPassword':
      return 'PhotoPrism applied the old one when the admin account was created: set the new one with "docker compose exec photoprism photoprism passwd <admin user>" (it is AdminPassword in options.yml).';
    case 'databasePassword':
      return "MariaDB keeps the old password until you change it in the running database: before restarting, run \"docker compose exec mariadb mariadb -u root -p\" (the root password is in .secrets/db_root_pwd.txt) and ALTER USER 'photoprism'@'%' IDENTIFIED BY '<the new value of .secrets/db_pwd.txt>'; the old file is kept in .photoprism-harden/backups/.";
    default:
      return "MariaDB keeps the old root password until you change it: run \"docker compose exec mariadb mariadb -u root -p\" with the OLD password (kept in .photoprism-harden/backups/) and ALTER USER 'root'@'%' IDENTIFIED BY '<the new value of .secrets/db_root_pwd.txt>' (and 'root'@'localhost').";
  }
}

/**
 * The audit of what init wrote (or, in a dry run, would write): its one-line summary plus every
 * error-level finding. `dir` is null in a dry run (there is nothing on disk to audit in detail yet).
 */
async function auditLines(run: () => Promise<Report>, dir: string | null): Promise<string[]> {
  let report: Report;
  try {
    report = await run();
  } catch (e) {
    return ['', `audit: could not run (${(e as Error).message})`];
  }
  const lines = ['', summaryLine(report)];
  for (const f of report.findings) if (f.severity === 'error') lines.push(`  ! [${f.rule}] ${location(f)}: ${f.message}`);
  if (report.findings.length && dir) lines.push(`  details: npx photoprism-harden audit --dir ${shellQuote(dir)}`);
  return lines;
}

/** Print a validation result; 0 when accepted, 1 when rejected (the engine's error verbatim). */
function reportValidation(out: Output, v: import('./engine.js').Validation, by: 'engine' | 'schema', engine: Engine | null, what: string, written: boolean): number {
  const judge = by === 'engine' && engine ? `${shown(engine, engine.kind === 'podman-compose' ? ['config'] : ['config', '--quiet'])} (${engine.version})` : 'the Compose JSON schema (no engine found)';
  if (v.ok) {
    out.out(`Validated: ${judge} accepts ${what}.`);
    for (const w of v.warnings) out.out(`  ${w}`);
    return 0;
  }
  out.err('');
  out.err(`${judge} rejects ${what}${written ? ' (the files are written; nothing was started)' : ''}:`);
  for (const l of v.error.split('\n')) out.err(`  ${l}`);
  return 1;
}
