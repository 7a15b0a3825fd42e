// `init`: collect -> plan -> (confirm) -> apply. Loaded lazily by the CLI.

import { promises as fsp } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { isTerminal } from './terminal.js';
import { TEMP_FILE, applyPlan, removeStaleTempFiles, writeProblems, type ApplyResult } from './apply.js';
import { planOverlay, summaryLine, type Report } from './audit/index.js';
import type { StorageLocator } from './audit/load.js';
import { location } from './audit/report.js';
import { collect, type Collected, type Prompter } from './collect.js';
import { COMPOSE_FILE, OVERRIDE_OF_RULE } from './domain.js';
import type { EngineChoice } from './engine.js';
import { UsageError } from './errors.js';
import { defaultProbe, type HostFacts, type HostProbe } from './host.js';
import { Output, diffLines, dryRunLines, messageLines, nextStepLines, planLines, repeatCommand, summaryLines } from './output.js';
import { planIsNoop, type Plan } from './plan.js';
import { preflightLines, runPreflight, type Preflight } from './preflight.js';
import { SECRET_KEYS, type Key, type SecretKey } from './questions.js';
import { readTargetState, withHostPaths, type StateLayout, type TargetState } from './state.js';
import { readFileSync } from 'node:fs';
import { adoptionChangeProblems, type Found } from './compose/adopt.js';
import { COMPOSE_NAMES, ComposeLoadError, loadComposeModel, type ComposeModel } from './compose/model.js';
import { detectTarget, loadTarget, type TargetName } from './targets/registry.js';
import type { OutputTarget } from './targets/types.js';
import { engineAnonymousLookup, engineVolumeLookup, type AnonymousLookup, type VolumeLookup } from './compose/volumes.js';
import { readPrevious } from './previous.js';
import { EXIT_LOCKED, LockedError, STATE_DIR, acquireLock, liveHolder, readJournal, type RunLock } from './runlock.js';
import { hostPathProblem } from './hostpaths.js';
import { invokedAs, shellQuote } from './text.js';
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
  /** --create-folders: a missing originals/import folder (or an adopted storage folder) outside the installation may be created */
  createFolders?: boolean;
  /** a precomputed preflight (tests) */
  preflight?: Preflight;
  /** where a named volume is on the host (default: asks the detected engine) */
  inspectVolume?: VolumeLookup;
  /** where the container of a service keeps an anonymous volume (default: the engine's ps/inspect) */
  inspectAnonymous?: AnonymousLookup;
}

/** The existing compose file, read through the compose model with its .env, env files and includes. */
function loadModelFromDisk(state: TargetState, env: NodeJS.ProcessEnv, home: string): ComposeModel | null {
  if (state.contents[state.composeFile] === undefined) return null;
  try {
    return loadComposeModel({
      dir: state.dir,
      env,
      home,
      // a target's own stack file (Swarm) is read as it is, without Compose's lookup and override files
      ...((COMPOSE_NAMES as readonly string[]).includes(state.composeFile) ? {} : { file: state.composeFile }),
      read: (abs) => {
        try {
          return readFileSync(abs, 'utf8');
        } catch {
          return null;
        }
      },
    });
  } catch (e) {
    if (e instanceof ComposeLoadError) throw new UsageError([`${e.message}; nothing was changed`]);
    throw e;
  }
}

/** Where the adopted installation keeps storage and database, and which env files it reads. */
async function adoptionLayout(found: Found, lookup: VolumeLookup, anonymous: AnonymousLookup): Promise<StateLayout> {
  const layout: StateLayout = { files: [...found.model.envFileTexts.keys(), ...(found.model.dotenv ? [found.model.dotenv.abs] : [])] };
  const s = found.storage!;
  if (s.type === 'bind') layout.storage = s.resolved;
  else if (!s.source) {
    const r = await anonymous(found.model.project, found.pp.name, s.target);
    if ('error' in r) {
      throw new UsageError([
        `${location(s.where)}: PhotoPrism's storage ${s.target} is an anonymous volume; options.yml must be written into it, and only the container of "${found.pp.name}" knows which volume that is: ${r.error}. Nothing was changed: start the installation once (docker compose up -d) and run init again where the engine can be asked, or give the volume a name (e.g. "- storage:${s.target}" plus a top-level "volumes: storage:")`,
      ]);
    }
    layout.storage = r.mountpoint;
  } else {
    const r = await lookup(s.volumeName!);
    if ('error' in r) {
      throw new UsageError([
        `${location(s.where)}: PhotoPrism's storage is the named volume "${s.source}" (on the host: ${s.volumeName}); options.yml must be written into it, but its host folder is unknown: ${r.error}. Nothing was changed: run init where the engine can be asked (docker volume inspect ${s.volumeName}), or after starting the installation once`,
      ]);
    }
    layout.storage = r.mountpoint;
  }
  if (found.data) layout.database = found.data.type === 'bind' ? found.data.resolved : null;
  else layout.database = null;
  return layout;
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
  if (interactive && !o.prompter && !(o.stdinIsTTY ?? isTerminal(0))) {
    throw new UsageError([
      'standard input is not a terminal, so the wizard cannot ask its questions. Use --yes (accept all defaults) or --answers FILE.yml (answers from a file).',
    ]);
  }
  if (o.apply && o.dryRun) {
    throw new UsageError(['--apply cannot be combined with --dry-run: a dry run writes nothing and starts nothing']);
  }
  const dir = await installDir(o.dir);
  let answersFile: { name: string; text: string } | undefined;
  if (o.answers) {
    try {
      answersFile = { name: o.answers, text: await fsp.readFile(o.answers, 'utf8') };
    } catch (e) {
      throw new UsageError([`--answers: cannot read ${o.answers}: ${(e as Error).message}`]);
    }
  }

  // one run at a time per installation: the lock is taken right before the first write (so a run
  // that stops earlier, on invalid input or a dry run, leaves no trace) and held to the end; the
  // installation is then read again and must be what the plan was made from
  const held: Held = {};
  // another run holding the lock now: say so at once, before reading a half-written installation
  const holder = await liveHolder(dir);
  if (holder) throw new LockedError(dir, holder);
  try {
    let code: number;
    try {
      code = await initRun(o, dir, out, env, interactive, answersFile, held);
    } catch (e) {
      if (!held.lock && !held.decided && !(e instanceof LockedError) && (await changedMeanwhile(dir, held))) return changedExit(out);
      throw e;
    }
    // a refusal made from what another run was writing at the time is that run's doing, not this input's
    if (code !== 0 && !held.lock && !held.decided && (await changedMeanwhile(dir, held))) return changedExit(out);
    return code;
  } finally {
    await held.lock?.release();
  }
}

/** what a run carries to its end: the lock once taken, and what the installation looked like when read */
interface Held {
  lock?: RunLock;
  read?: { state0: TargetState; layout: StateLayout };
  /** past writing (or finding nothing to write): from here on the installation changes by this run's
   * own doing (its services start, MariaDB fills database/), so "changed meanwhile" no longer applies */
  decided?: boolean;
}

/** did another run (or a hand) change the installation while this run, which never took the lock, read it? */
async function changedMeanwhile(dir: string, held: Held): Promise<boolean> {
  if (await liveHolder(dir)) return true;
  if (!held.read) return false;
  try {
    return !sameState(held.read.state0, await readTargetState(dir, [], held.read.layout));
  } catch {
    return true;
  }
}

function changedExit(out: Output): number {
  out.err('photoprism-harden: the installation changed while this run was planning (another run, or a change by hand), so what it reported above may be out of date; nothing was written. Run init again.');
  return EXIT_LOCKED;
}

/** `--dir`: not empty, not a file; its nearest existing part must be a folder. */
async function installDir(raw: string): Promise<string> {
  if (raw.trim() === '') throw new UsageError(['--dir must not be empty (give the installation folder, e.g. --dir . or --dir /srv/photoprism)']);
  // eslint-disable-next-line no-control-regex
  if (/[\u0000-\u001f\u007f]/.test(raw)) throw new UsageError(['--dir must not contain control characters or newlines']);
  const dir = path.resolve(raw);
  for (let p = dir; ; p = path.dirname(p)) {
    const st = await fsp.stat(p).catch((e: NodeJS.ErrnoException) => (e.code === 'ENOENT' ? null : e));
    if (st instanceof Error) {
      if (st.code === 'ENOTDIR') continue;
      throw new UsageError([`--dir ${JSON.stringify(raw)} cannot be used: ${st.message}`]);
    }
    if (st === null) {
      if (p === path.dirname(p)) break;
      continue;
    }
    if (!st.isDirectory()) {
      throw new UsageError([p === dir ? `--dir ${JSON.stringify(raw)} is a file, not a folder: give the installation folder` : `--dir ${JSON.stringify(raw)}: ${p} is a file, not a folder`]);
    }
    break;
  }
  return dir;
}

/** does a folder the plan writes to hold a temporary file of a killed run? (read-only) */
async function hasStaleTemps(plan: Plan): Promise<boolean> {
  for (const rel of new Set(plan.files.map((f) => path.dirname(f.path)))) {
    const names = await fsp.readdir(path.join(plan.dir, rel)).catch(() => [] as string[]);
    if (names.some((n) => TEMP_FILE.test(n))) return true;
  }
  const backups = await fsp.readdir(path.join(plan.dir, STATE_DIR), { recursive: true }).catch(() => [] as string[]);
  return backups.some((p) => TEMP_FILE.test(path.basename(p)));
}

/** the same files, contents, owners and modes */
function sameState(a: TargetState, b: TargetState): boolean {
  return JSON.stringify([a.paths, a.contents, a.databaseInitialised]) === JSON.stringify([b.paths, b.contents, b.databaseInitialised]);
}

/** how the lock names this run (never a password: those are never on the command line) */
function lockCommand(): string {
  return ['photoprism-harden', ...process.argv.slice(2)].join(' ').slice(0, 200);
}

/** Phase 1 (read-only): the host, the engine and what the installation folder holds now. */
interface Inspected {
  facts: HostFacts;
  pf: Preflight;
  home: string;
  /** the installation folder as read, before any target's view of it */
  raw: TargetState;
  /** the target that wrote this folder (compose when none did) and its view of the folder */
  previousTarget: TargetName;
  wrote: OutputTarget;
  /** the installation as read before anything is asked (as the target that wrote it reads it) */
  state0: TargetState;
  model: ComposeModel | null;
  layout: StateLayout;
  adopt: Found | null;
  /** the journal of a run killed while it re-owned storage/ */
  journal: Journal | null;
  /** the flags, with the journal's UID:GID when nothing else says which */
  flags: Partial<Record<Key, unknown>>;
  /** printed before anything is asked */
  lines: string[];
}

type Journal = NonNullable<Awaited<ReturnType<typeof readJournal>>>;

async function inspect(o: InitOptions, dir: string, env: NodeJS.ProcessEnv, interactive: boolean, answersFile: AnswersFile | undefined): Promise<Inspected> {
  trace('init: loaded; host facts next');
  const probe = o.probe ?? defaultProbe();
  const hostFacts: HostFacts = await probe.facts();
  // read-only: engine versions, `docker info`/`podman info`, user namespace, SELinux, free disk
  trace('init: host facts read; preflight next');
  const pf = o.preflight ?? (await runPreflight({ facts: hostFacts, probe, dir, engineChoice: o.engine, env }));
  const facts: HostFacts = { ...hostFacts, idMapping: pf.mapping };
  trace('init: preflight done');
  const home = env.HOME ?? os.homedir();
  let raw = await readTargetState(dir);
  // the previous answers are read the way the target that wrote this folder left them
  const previousTarget = detectTarget((rel) => raw.paths[rel]?.exists === true);
  const wrote = await loadTarget(previousTarget);
  let state0 = wrote.adaptState(raw);
  // an existing compose file is read through the compose model (src/compose/): a hand-made one is
  // adopted in place, with its data where it is
  const model = loadModelFromDisk(state0, env, home);
  const first = readPrevious(state0, model);
  if (first.problems.length) throw new UsageError(first.problems);
  const layout: StateLayout = first.adopt ? await adoptionLayout(first.adopt, o.inspectVolume ?? engineVolumeLookup(pf.engine, env), o.inspectAnonymous ?? engineAnonymousLookup(pf.engine, env)) : {};
  if (first.adopt) {
    raw = await readTargetState(dir, [], layout);
    state0 = wrote.adaptState(raw);
  }
  const adopt = first.adopt ? readPrevious(state0, model).adopt : null;
  // a run killed while it re-owned storage/ left its journal: this run finishes the change (to the
  // UID:GID it was making, unless this run is given others)
  const journal = o.dryRun ? null : await readJournal(dir);
  let flags = o.flags;
  const lines: string[] = [];
  if (journal) {
    const given = flags.uid !== undefined || flags.gid !== undefined || (answersFile && /^\s*(uid|gid)\s*:/m.test(answersFile.text));
    if (!given && !interactive) flags = { ...flags, uid: String(journal.uid), gid: String(journal.gid) };
    lines.push(`A run started ${journal.started} was interrupted while re-owning storage/ to ${journal.uid}:${journal.gid}; this run finishes the re-own${given || interactive ? '' : ` (to ${journal.uid}:${journal.gid})`}.`);
  }
  trace('init: target read');
  return { facts, pf, home, raw, previousTarget, wrote, state0, model, layout, adopt, journal, flags, lines };
}

/** Phase 2: the answers (the wizard's questions, or flags, answers file and presets). */
async function collectAnswers(
  o: InitOptions,
  ins: Inspected,
  dir: string,
  env: NodeJS.ProcessEnv,
  out: Output,
  interactive: boolean,
  answersFile: AnswersFile | undefined,
): Promise<{ collected: Collected; replaceSecrets: SecretKey[]; prompter: Prompter | undefined }> {
  let prompter = o.prompter;
  if (interactive && !prompter) {
    const { inquirerPrompter } = await import('./prompter.js');
    prompter = inquirerPrompter((l) => out.out(l));
  }
  if (interactive) for (const l of wizardIntroLines(o.version, dir, ins)) out.out(l);
  const replaceSecrets = (o.replaceSecrets ?? []).map((k) => {
    if (!(SECRET_KEYS as readonly string[]).includes(k)) {
      throw new UsageError([`--replace-secrets: unknown secret "${k}"; allowed: ${SECRET_KEYS.join(', ')}`]);
    }
    return k as SecretKey;
  });
  const collected = await collect({ facts: ins.facts, state: ins.state0, flags: ins.flags, answersFile, env, prompter, replaceSecrets, model: ins.model, previous: { target: ins.previousTarget, ...ins.wrote.previous?.(ins.state0) } });
  trace('init: answers collected');
  const { adminPassword, databasePassword, databaseRootPassword } = collected.answers;
  out.addSecrets([adminPassword, databasePassword, databaseRootPassword, ...collected.knownSecrets, ...(ins.adopt?.rawSecrets ?? [])].filter((v) => v.length >= 8));
  return { collected, replaceSecrets, prompter };
}

/** Phase 3: the photo folders judged as the kernel will see them, then the plan (pure). */
async function planInstall(
  o: InitOptions,
  ins: Inspected,
  dir: string,
  c: { collected: Collected; replaceSecrets: SecretKey[]; prompter: Prompter | undefined },
): Promise<{ plan: Plan; state: TargetState; target: OutputTarget }> {
  const { facts, pf, home } = ins;
  const a = c.collected.answers;
  if (ins.adopt && a.target !== 'compose') {
    throw new UsageError([
      `target: ${ins.state0.composeFile} is a hand-made installation, which is adopted in place by the compose target only; nothing was changed. Run init without --target first (it hardens the file in place), then init --target ${a.target}`,
    ]);
  }
  const target = await loadTarget(a.target);
  if (o.apply && !target.canApply) {
    throw new UsageError([`--apply: the ${a.target} target only writes files; start it with its own tool (see the next steps of a run without --apply)`]);
  }
  // an adopted installation follows a new port or photo folder where it can; what it cannot is refused here
  if (ins.adopt) {
    const refused = adoptionChangeProblems(ins.adopt, a);
    if (refused.length) throw new UsageError(refused);
  }
  const originals = hostPath(a.originalsPath, dir, home);
  const imp = a.importPath ? hostPath(a.importPath, dir, home) : null;
  // an adopted photo folder on a volume (named or anonymous) is no host folder: nothing to judge or create
  const onVolume = (m: Found['originals']) => Boolean(m && m.type !== 'bind');
  const hostFolder = { originalsPath: !onVolume(ins.adopt?.originals), importPath: !onVolume(ins.adopt?.import) };
  // the photo folders as the kernel will see them: symlinks resolved, system and account folders refused
  const pathProblems: string[] = [];
  for (const [key, source, abs] of [
    ['originalsPath', a.originalsPath, originals],
    ['importPath', a.importPath, imp],
  ] as const) {
    if (!source || !abs || !hostFolder[key]) continue;
    const problem = hostPathProblem(source, abs, { home, facts, dockerRoot: pf.runtime?.rootDir });
    if (problem) pathProblems.push(`${key} ${problem}; mounting it would expose the host to the container. Choose the folder that holds your photos`);
  }
  // (a cluster target's volumes are no host folders: nothing is judged or created on this host)
  if (pathProblems.length && target.local) throw new UsageError(pathProblems);
  const state = await withHostPaths(target.adaptState(ins.raw), [...(hostFolder.originalsPath ? [originals] : []), ...(imp && hostFolder.importPath ? [imp] : [])]);
  // a missing folder outside the installation is created only when the user says so
  const outside = (abs: string) => {
    const rel = path.relative(dir, abs);
    return rel.startsWith('..') || path.isAbsolute(rel);
  };
  const sayso = async (abs: string, what: { ask: string; refused: string; instead: string }) => {
    const p = c.prompter;
    const ok = p ? await p.confirm({ message: what.ask, default: false }) : Boolean(o.createFolders);
    if (!ok) {
      throw new UsageError([
        `${what.refused}, and a folder outside the installation is never created without your say-so: create it yourself (mkdir -p ${shellQuote(abs)}), ${p ? 'answer yes' : 'or add --create-folders'}, ${what.instead}`,
      ]);
    }
  };
  for (const [key, abs] of [
    ['originalsPath', originals],
    ['importPath', imp],
  ] as const) {
    if (!target.local || !abs || !hostFolder[key] || state.paths[abs]?.exists || !outside(abs) || o.dryRun) continue;
    await sayso(abs, { ask: `${abs} (${key}) does not exist. Create it?`, refused: `${key}: ${abs} does not exist`, instead: 'or choose an existing folder' });
  }
  // ... and so is an adopted installation's storage folder that is missing on this host (the compose
  // file names it, e.g. /mnt/disk/photoprism/storage; this tool would create it to hold options.yml)
  const storage = ins.adopt?.storage?.type === 'bind' ? ins.adopt.storage : undefined;
  const storageKey = storage ? state.storage : undefined;
  if (target.local && storage && storageKey && state.paths[storageKey]?.exists === false && !o.dryRun) {
    const abs = path.resolve(dir, storageKey);
    const where = location(storage.where);
    if (outside(abs)) {
      await sayso(abs, {
        ask: `PhotoPrism's storage ${abs} (${where}) does not exist on this host. Create it?`,
        refused: `${where}: PhotoPrism's storage ${abs} does not exist on this host (is this the host the installation runs on?)`,
        instead: 'or run init where the installation is',
      });
    }
  }
  const plan = target.plan({
    answers: a,
    facts,
    state,
    version: o.version,
    regenerate: repeatCommand(c.collected, dir, undefined, o.engine),
    hostPaths: { originals, import: imp },
    notes: c.collected.notes,
    replaceSecrets: c.replaceSecrets.length > 0,
    knownSecrets: c.collected.knownSecrets,
    idMapping: pf.mapping,
    selinux: pf.selinuxEnforcing,
    adopt: ins.adopt,
  });
  // an interrupted re-own is finished: every kept recursive folder is walked again
  if (ins.journal) {
    for (const d of plan.dirs) {
      if (!d.recursive || d.status === 'create') continue;
      d.force = true;
      d.status = 'fix';
    }
  }
  trace('init: planned');
  // (the engine's notes are about this host's containers: nothing a cluster target runs here)
  if (target.local) plan.messages.push(...pf.notes);
  return { plan, state, target };
}

/** Phase 5 (after the report and the confirmation): the files written under the run lock. */
async function applyInstall(
  dir: string,
  ins: Inspected,
  plan: Plan,
  a: Collected['answers'],
  out: Output,
  held: { lock?: RunLock },
): Promise<{ result: ApplyResult } | { code: number }> {
  let progressShown = false;
  const progress = isTerminal(2)
    ? (visited: number, changed: number) => {
        progressShown = true;
        out.progress(`  re-owning storage: ${visited} checked, ${changed} changed`);
      }
    : undefined;
  held.lock = await acquireLock(dir, lockCommand());
  if (!sameState(ins.state0, await readTargetState(dir, [], ins.layout))) {
    out.err('photoprism-harden: nothing was written: the installation changed while this run was planning (another run, or a change by hand). Run init again.');
    return { code: EXIT_LOCKED };
  }
  const result = await applyPlan(plan, new Date(), progress, { journal: { uid: a.uid, gid: a.gid } });
  if (progressShown) out.endProgress();
  return { result };
}

/** Risks accepted by name; under rootless Docker/Podman container root is the engine's own user. */
function acceptedRisks(a: Collected['answers'], pf: Preflight): string[] {
  // collect accepted UID 0 there without an override (validate.ts), so the audit's runs-as-root is
  // not held against the run either
  return [...a.allowUnsafe, ...(pf.mapping && pf.mapping.mode !== 'userns-remap' && (a.uid === 0 || a.gid === 0) ? ['root'] : [])];
}

/** The dry run's end: what would be written, the audit of the plan and the engine's check. */
async function dryRun(o: InitOptions, ins: Inspected, target: OutputTarget, plan: Plan, state: TargetState, a: Collected['answers'], env: NodeJS.ProcessEnv, out: Output): Promise<number> {
  for (const l of dryRunLines(plan)) out.out(l);
  // the exit code a real run would give: 1 when the audit of what would be written keeps an unaccepted error
  const dryAudit = await auditLines(() => target.audit(plan.dir, ins.facts, o.version, { fs: planOverlay(plan, ins.facts), env, storageFolder: knownStorage(state) }), null, acceptedRisks(a, ins.pf));
  for (const l of dryAudit.lines) out.out(l);
  out.out('');
  let code = dryAudit.unaccepted ? 1 : 0;
  if (o.validate !== false) code = Math.max(code, await target.check({ out, plan, state, engine: ins.pf.engine, env, written: false }));
  out.out('Dry run: nothing was written.');
  return code;
}

/**
 * Phase 6: the written files read back: the audit (its code: 1 when an error no override accepts is
 * left) and the engine's (or the schema's) check, run side by side and printed in this order.
 */
async function verifyInstall(
  o: InitOptions,
  dir: string,
  ins: Inspected,
  target: OutputTarget,
  plan: Plan,
  state: TargetState,
  a: Collected['answers'],
  env: NodeJS.ProcessEnv,
  out: Output,
  checkCompose: boolean,
): Promise<{ auditCode: number; valid: boolean }> {
  const engine = ins.pf.engine;
  // (the check prints only after the audit: its lines are kept meanwhile)
  const checkOut = buffered();
  const validation = checkCompose ? target.check({ out: checkOut.output, plan, state, engine, env, written: true }) : null;
  validation?.catch(() => {}); // (awaited below; an audit failure must not leave it unhandled)
  const audited = await auditLines(() => target.audit(dir, ins.facts, o.version, { env, storageFolder: knownStorage(state) }), dir, acceptedRisks(a, ins.pf));
  for (const l of audited.lines) out.out(l);
  trace('init: audited');
  // exit 0 only when the audit of what is written passes, or every error left is a risk accepted by name
  const auditCode = audited.unaccepted ? 1 : 0;
  if (!validation) return { auditCode, valid: true };
  const valid = (await validation) === 0;
  checkOut.replay(out);
  trace('init: validated');
  return { auditCode, valid };
}

/** The storage folder this run located (an adopted volume's host folder), for the audit of what it writes. */
function knownStorage(state: TargetState): StorageLocator | undefined {
  const at = state.storage;
  return at ? async () => path.resolve(state.dir, at) : undefined;
}

/** Phase 7: start the services (--apply, or yes to the wizard's question); false when that failed. */
async function startInstall(o: InitOptions, ins: Inspected, target: OutputTarget, plan: Plan, state: TargetState, env: NodeJS.ProcessEnv, out: Output, prompter: Prompter | undefined): Promise<{ started: boolean } | { code: number }> {
  const cannot = target.cannotStart(ins.pf, o.engine);
  if (cannot) {
    out.out('');
    for (const l of cannot) out.out(l);
  }
  let apply = Boolean(o.apply);
  const startCommand = target.startCommand(ins.pf);
  if (!apply && prompter && startCommand) {
    out.out('');
    apply = await prompter.confirm({ message: `Start PhotoPrism now? (${startCommand})`, default: false });
  }
  if (!apply) return { started: false };
  const timeoutSec = o.applyTimeoutSec ?? DEFAULT_APPLY_TIMEOUT_SEC;
  // (an adopted installation's services keep their names; with SQLite there is no database service)
  const f = ins.adopt;
  const services = f ? { app: f.pp.name, db: f.db?.name ?? null, appPort: Number(f.pp.envMap.get('PHOTOPRISM_HTTP_PORT')?.value) || undefined } : undefined;
  const ok = await target.start({ out, plan, state, pf: ins.pf, env, timeoutMs: timeoutSec * 1000, pollMs: o.pollMs, services });
  return ok ? { started: true } : { code: 1 };
}

type AnswersFile = { name: string; text: string };

async function initRun(
  o: InitOptions,
  dir: string,
  out: Output,
  env: NodeJS.ProcessEnv,
  interactive: boolean,
  answersFile: AnswersFile | undefined,
  held: Held,
): Promise<number> {
  const ins = await inspect(o, dir, env, interactive, answersFile);
  held.read = { state0: ins.state0, layout: ins.layout };
  for (const l of ins.lines) out.out(l);
  const c = await collectAnswers(o, ins, dir, env, out, interactive, answersFile);
  const a = c.collected.answers;
  const { plan, state, target } = await planInstall(o, ins, dir, c);
  // disk and permission problems that can be foreseen: before the plan is shown
  if (!o.dryRun) {
    const problems = await writeProblems(plan, ins.pf.free);
    if (problems.length) {
      out.err(`photoprism-harden: nothing was written:`);
      for (const p of problems) out.err(`  - ${p}`);
      return 1;
    }
  }

  // Phase 4: the report, then (when interactive) the confirmation
  const report = await reportLines({ o, dir, ins, interactive, collected: c.collected, plan, state, replaceSecrets: c.replaceSecrets });
  for (const l of report) out.out(l);
  trace('init: summary and diff shown');
  if (o.dryRun) return dryRun(o, ins, target, plan, state, a, env, out);

  const noop = planIsNoop(plan);
  let result: ApplyResult | null = null;
  if (!noop) {
    if (c.prompter) {
      out.out('');
      if (!(await c.prompter.confirm({ message: `Write these files to ${dir}?`, default: true }))) {
        out.out('Nothing was written.');
        return 1;
      }
    }
    const applied = await applyInstall(dir, ins, plan, a, out, held);
    if ('code' in applied) return applied.code;
    result = applied.result;
    out.out('');
    out.out(doneLine(result, a));
  } else {
    // (still: temporary files a killed run left behind go, under the lock)
    if (await hasStaleTemps(plan)) {
      held.lock = await acquireLock(dir, lockCommand());
      await removeStaleTempFiles(plan);
    }
    out.out('');
    out.out('Nothing to change: the installation already matches these answers.');
  }
  held.decided = true;
  trace('init: written');

  const checkCompose = o.validate !== false && !(noop && !o.apply);
  const verified = await verifyInstall(o, dir, ins, target, plan, state, a, env, out, checkCompose);
  if (noop && !o.apply) return verified.auditCode;
  if (!verified.valid) return 1;

  const start = await startInstall(o, ins, target, plan, state, env, out, c.prompter);
  if ('code' in start) return start.code;
  const again = repeatCommand(c.collected, dir, invokedAs('init', env), o.engine);
  for (const l of target.nextSteps({ plan, result, collected: c.collected, repeat: again, engine: ins.pf.engine, started: start.started, mapping: ins.pf.mapping })) out.out(l);
  trace('init: done');
  return verified.auditCode;
}

// ---- the report renderer: everything init prints about its plan and result, as lines ----

/** The wizard's first screen: what it does, whether an installation was found, the host checks. */
function wizardIntroLines(version: string, dir: string, ins: Inspected): string[] {
  return [
    `photoprism-harden ${version}: a hardened PhotoPrism installation in ${dir}`,
    'Press Enter to accept a default. Nothing is written before you confirm.',
    ...(ins.state0.contents[ins.state0.composeFile] !== undefined
      ? [`An existing installation was found (${ins.state0.composeFile}): its answers are the defaults, so Enter keeps each one.`]
      : []),
    '',
    ...preflightLines(ins.pf, ins.facts),
    '',
  ];
}

/** The plan as the user reads it before anything is written: summary, files, notes, changes. */
async function reportLines(r: {
  o: InitOptions;
  dir: string;
  ins: Inspected;
  interactive: boolean;
  collected: Collected;
  plan: Plan;
  state: TargetState;
  replaceSecrets: SecretKey[];
}): Promise<string[]> {
  const { facts, pf } = r.ins;
  const name = (id: number, list: { name: string; uid?: number; gid?: number }[], k: 'uid' | 'gid') => list.find((x) => x[k] === id)?.name ?? String(id);
  const invoker = `${name(facts.euid, facts.accounts, 'uid')}:${name(facts.egid, facts.groups, 'gid')}`;
  const lines: string[] = [];
  if (!r.interactive) lines.push(`photoprism-harden ${r.o.version}: ${r.o.dryRun ? 'dry run for' : 'writing'} ${r.dir}`, '', ...preflightLines(pf, facts));
  lines.push('', 'Summary (no password is ever shown):', ...summaryLines(r.collected), '', ...planLines(r.plan, invoker));
  // (a note the wizard already showed with its question, such as the udev rule for a video device, is not repeated)
  const shown = new Set(r.collected.hintsShown);
  const notes = { ...r.plan, messages: r.plan.messages.filter((m) => !shown.has(m.text)) };
  if (notes.messages.length) lines.push('', 'Notes:', ...messageLines(notes));
  const diff = await diffLines(r.plan, r.state.contents);
  if (diff.length) lines.push('', 'Changes (secrets masked):', ...diff);
  // (an adopted installation's services keep their own names)
  const names = { app: r.ins.adopt?.pp.name ?? 'photoprism', db: r.ins.adopt?.db?.name ?? 'mariadb' };
  for (const k of r.replaceSecrets) lines.push('', `! ${k} is REPLACED. ${replaceAdvice(k, names)}`);
  return lines;
}

/** What apply did, in one line. */
function doneLine(result: ApplyResult, a: Collected['answers']): string {
  return `Done: ${result.written.length} file(s) written${result.unchanged.length ? `, ${result.unchanged.length} unchanged` : ''}${result.createdDirs.length ? `, ${result.createdDirs.length} folder(s) created` : ''}${result.reowned ? `, ${result.reowned} storage entries re-owned to ${a.uid}:${a.gid}` : ''}.`;
}

/** What a replaced secret means for the running services (never with the password itself). */
export function replaceAdvice(k: SecretKey, services = { app: 'photoprism', db: 'mariadb' }): string {
  switch (k) {
    case 'adminPassword':
      return `PhotoPrism applied the old one when the admin account was created: set the new one with "docker compose exec ${services.app} photoprism passwd <admin user>" (it is AdminPassword in options.yml).`;
    case 'databasePassword':
      return `MariaDB keeps the old password until you change it in the running database: before restarting, run "docker compose exec ${services.db} mariadb -u root -p" (the root password is in .secrets/db_root_pwd.txt) and ALTER USER 'photoprism'@'%' IDENTIFIED BY '<the new value of .secrets/db_pwd.txt>'; the old file is kept in .photoprism-harden/backups/.`;
    default:
      return `MariaDB keeps the old root password until you change it: run "docker compose exec ${services.db} mariadb -u root -p" with the OLD password (kept in .photoprism-harden/backups/) and ALTER USER 'root'@'%' IDENTIFIED BY '<the new value of .secrets/db_root_pwd.txt>' (and 'root'@'localhost').`;
  }
}

/**
 * The audit of what init wrote (or, in a dry run, would write): its one-line summary plus every
 * error-level finding with its fix; `unaccepted` counts the errors no --allow-unsafe override accepts.
 * `dir` is null in a dry run (there is nothing on disk to audit in detail yet).
 */
async function auditLines(run: () => Promise<Report>, dir: string | null, accepted: readonly string[]): Promise<{ lines: string[]; unaccepted: number }> {
  let report: Report;
  try {
    report = await run();
  } catch (e) {
    return { lines: ['', `audit: could not run (${(e as Error).message})`], unaccepted: 0 };
  }
  const lines = ['', summaryLine(report)];
  let unaccepted = 0;
  for (const f of report.findings) {
    if (f.severity !== 'error') continue;
    const override = OVERRIDE_OF_RULE[f.rule];
    const ok = override !== undefined && accepted.includes(override);
    if (!ok) unaccepted++;
    lines.push(`  ! [${f.rule}] ${location(f)}: ${f.message}${ok ? ` (accepted: --allow-unsafe ${override})` : ''}`);
    if (!ok) {
      const fix = f.fix.split('\n');
      lines.push(`    fix: ${fix[0]}`, ...fix.slice(1).map((l) => `         ${l}`));
      if (override) lines.push(`    or accept the risk: --allow-unsafe ${override} (remembered for later runs)`);
    }
  }
  if (unaccepted) lines.push(`  ${unaccepted} error(s) kept in the written files: exit code 1 (see the fixes above)`);
  if (report.findings.length && dir) lines.push(`  details: ${invokedAs('audit')} --dir ${shellQuote(dir)}`);
  return { lines, unaccepted };
}

/** An Output that keeps its lines (not yet fitted to the width), to print them later in order. */
function buffered(): { output: Output; replay(to: Output): void } {
  const lines: { err: boolean; text: string }[] = [];
  const writer = (err: boolean) => ({
    write: (t: string) => {
      lines.push({ err, text: t.replace(/\n$/, '') });
      return true;
    },
  });
  return {
    output: new Output(writer(false), writer(true), Number.MAX_SAFE_INTEGER),
    replay(to) {
      for (const l of lines) (l.err ? to.err(l.text) : to.out(l.text));
    },
  };
}
