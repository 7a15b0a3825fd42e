// Collect: turn flags, an answers file, environment presets, existing secrets and (when interactive)
// prompts into one validated Answers value. Every value passes the same parse/check functions
// whatever its source. Nothing is written here.

import { parseDocument } from 'yaml';
import { yamlData } from './yamlparse.js';
import { lostSecretAdvice } from './rotate/lost.js';
import { ADMIN_SECRET_FILE, PASSWORD_ENV, SECRET_FILES, UNSAFE_OVERRIDE_RISKS, secretFileValue, type UnsafeOverride } from './domain.js';
import { UsageError } from './errors.js';
import type { HostFacts } from './host.js';
import { GENERATED_LENGTH, generatePassword } from './passwords.js';
import {
  ANSWER_KEYS,
  QUESTIONS,
  SECRET_KEYS,
  labelled,
  parseFileValue,
  question,
  type Answers,
  type Choice,
  type Ctx,
  type Key,
  type Question,
  type SecretKey,
} from './questions.js';
import { readPrevious } from './previous.js';
import type { TargetState } from './state.js';
import type { ComposeModel } from './compose/model.js';
import type { Problem } from './validate.js';

export type SecretSource = 'generated' | 'answers file' | 'environment' | 'prompt' | 'existing';

export interface Collected {
  answers: Answers;
  /** what an existing installation said, and what this run noticed about it */
  previous: Partial<Answers>;
  notes: string[];
  secretSources: Record<SecretKey, SecretSource>;
  /** what each question's default was, to build the repeat command */
  defaults: Partial<Answers>;
  /** every secret value found in the existing installation (kept or replaced), to mask in diffs */
  knownSecrets: string[];
}

/** The prompt library behind a small interface, so tests can drive the flow without a terminal. */
export interface Prompter {
  input(o: { message: string; default?: string; validate: (v: string) => true | string }): Promise<string>;
  confirm(o: { message: string; default: boolean }): Promise<boolean>;
  select(o: { message: string; choices: Choice<string>[]; default: string }): Promise<string>;
  checkbox(o: { message: string; choices: (Choice<string> & { checked: boolean })[]; validate: (v: readonly string[]) => true | string }): Promise<string[]>;
  password(o: { message: string; validate: (v: string) => true | string }): Promise<string>;
  note(lines: string[]): void;
}

export interface CollectOptions {
  facts: HostFacts;
  state: TargetState;
  /** raw flag values by answer key (strings from the command line) */
  flags: Partial<Record<Key, unknown>>;
  /** the answers file's text and name, if given */
  answersFile?: { name: string; text: string };
  env: NodeJS.ProcessEnv;
  /** prompts, or undefined for a non-interactive run (--yes / --answers) */
  prompter?: Prompter;
  /** existing secrets the user explicitly chose to replace (--replace-secrets) */
  replaceSecrets?: SecretKey[];
  /** the question table (default: QUESTIONS) */
  questions?: readonly Question[];
  /** the existing compose file read through the compose model (default: from state.contents alone) */
  model?: ComposeModel | null;
  /** previous answers known from elsewhere than the files readPrevious reads (the target that wrote them) */
  previous?: Partial<Answers>;
}

/** Parse an answers file: YAML mapping of known camelCase keys. */
export function parseAnswersFile(
  name: string,
  text: string,
  keys: readonly Key[] = ANSWER_KEYS,
): { values: Partial<Record<Key, unknown>>; errors: string[] } {
  const errors: string[] = [];
  const doc = parseDocument(text, { uniqueKeys: true });
  // only the first line ("... at line L, column C"): the rest quotes the file, which may hold passwords
  if (doc.errors.length) {
    return { values: {}, errors: [`${name}: not valid YAML: ${doc.errors[0]!.message.split('\n')[0]!.replace(/:$/, '')}`] };
  }
  const parsed = yamlData(doc);
  if (parsed.error) return { values: {}, errors: [`${name}: ${parsed.error}`] };
  const data = parsed.data;
  if (data === null || data === undefined) return { values: {}, errors };
  if (typeof data !== 'object' || Array.isArray(data)) return { values: {}, errors: [`${name}: must be a YAML mapping of answer keys`] };
  const values: Partial<Record<Key, unknown>> = {};
  for (const [k, v] of Object.entries(data as Record<string, unknown>)) {
    if (!(keys as readonly string[]).includes(k)) {
      errors.push(`${name}: unknown key "${k}"; allowed keys: ${keys.join(', ')}`);
      continue;
    }
    if (v !== null && v !== undefined) values[k as Key] = v;
  }
  return { values, errors };
}

/** Passwords already in the installation: MariaDB and PhotoPrism only read them on first start. */
export function existingSecrets(
  state: TargetState,
  fromComposeEnv: Partial<Record<SecretKey, string>> = {},
): { values: Partial<Record<SecretKey, string>>; errors: string[]; others: string[] } {
  const values: Partial<Record<SecretKey, string>> = {};
  const errors: string[] = [];
  /** secret values seen that are not the kept ones (never shown either) */
  const others: string[] = [];
  const db = state.contents[SECRET_FILES.dbPassword];
  const root = state.contents[SECRET_FILES.dbRootPassword];
  if (db !== undefined && db !== '') values.databasePassword = secretFileValue(db);
  if (root !== undefined && root !== '') values.databaseRootPassword = secretFileValue(root);
  // the Swarm and Kubernetes targets keep the admin password in a secret file, not in options.yml
  const admin = state.contents[ADMIN_SECRET_FILE];
  if (admin !== undefined && admin !== '') values.adminPassword = secretFileValue(admin);
  const optsText = state.contents[state.optionsSource];
  if (optsText !== undefined) {
    const doc = parseDocument(optsText);
    const parsed = doc.errors.length ? undefined : yamlData(doc);
    if (parsed?.error) errors.push(`${state.optionsSource}: ${parsed.error}`);
    const data = parsed?.data as Record<string, unknown> | null | undefined;
    if (data && typeof data === 'object') {
      if (typeof data.AdminPassword === 'string' && data.AdminPassword) values.adminPassword = data.AdminPassword;
      const optDb = data.DatabasePassword;
      if (typeof optDb === 'string' && optDb) {
        if (values.databasePassword === undefined) values.databasePassword = optDb;
        else if (optDb !== values.databasePassword) {
          others.push(optDb);
          errors.push(
            `databasePassword: DatabasePassword in ${state.optionsSource} differs from ${SECRET_FILES.dbPassword}. ` +
              (state.databaseInitialised
                ? `The database most likely uses ${SECRET_FILES.dbPassword} (MariaDB read it when it created database/). `
                : 'The database folder is not initialised yet, so neither has been used. ') +
              'Nothing was changed: make both the same value by hand, then run init again.',
          );
        }
      }
    }
  }
  // PhotoPrism's example keeps passwords in the compose environment: the database already uses them
  for (const k of SECRET_KEYS) if (values[k] === undefined && fromComposeEnv[k] !== undefined) values[k] = fromComposeEnv[k];
  return { values, errors, others };
}

/**
 * An initialised database with a lost MariaDB secret: MariaDB keeps the passwords it was created
 * with, so a new generated one would only lock PhotoPrism (or the admin) out. It is an error with
 * what to do, never a silent new password.
 */
export function lostSecretErrors(state: TargetState, values: Partial<Record<SecretKey, string>>): string[] {
  if (!state.databaseInitialised) return [];
  const out: string[] = [];
  for (const [key, file, user] of [
    ['databaseRootPassword', SECRET_FILES.dbRootPassword, 'root'],
    ['databasePassword', SECRET_FILES.dbPassword, 'photoprism'],
  ] as const) {
    if (values[key] !== undefined) continue;
    const was = state.paths[file]?.exists ? 'is empty' : 'is missing';
    // rotate can set a new user password in the running database only with the root password
    const advice = lostSecretAdvice(key, values.databaseRootPassword !== undefined, state.dir).slice(1);
    out.push(
      `${key}: database/ already holds MariaDB data, but ${file} ${was}${key === 'databasePassword' ? ` (and ${state.optionsSource} has no DatabasePassword)` : ''}. ` +
        `MariaDB keeps the password it was created with, so a new one would lock ${user === 'root' ? 'you' : 'PhotoPrism'} out; nothing was changed. ` +
        `Restore the file from your backup or from ${BACKUP_DIR_HINT}/<newest>/${file}, then run init again. If it is lost for good: ` +
        advice.map((l) => l.trim()).join(' '),
    );
  }
  return out;
}

const BACKUP_DIR_HINT = '.photoprism-harden/backups';

function problemText(p: Problem): string {
  return p.override
    ? `${p.message}. To accept this risk anyway: --allow-unsafe ${p.override} (answers file: allowUnsafe: [${p.override}])`
    : p.message;
}

const same = (a: unknown, b: unknown) => JSON.stringify(a) === JSON.stringify(b);

export async function collect(opts: CollectOptions): Promise<Collected> {
  const errors: string[] = [];
  const provided: Partial<Record<Key, unknown>> = {};
  /** keys whose given value was refused: already reported, later checks go on with the default */
  const failed = new Set<Key>();

  const questions = opts.questions ?? QUESTIONS;
  let fileValues: Partial<Record<Key, unknown>> = {};
  if (opts.answersFile) {
    const r = parseAnswersFile(opts.answersFile.name, opts.answersFile.text, questions.map((q) => q.key));
    errors.push(...r.errors);
    fileValues = r.values;
  }
  // single-field validation of everything given up front; flags win over the file
  for (const q of questions) {
    const fromFlag = opts.flags[q.key];
    const raw = fromFlag !== undefined ? fromFlag : fileValues[q.key];
    if (raw === undefined) continue;
    const r = fromFlag !== undefined ? q.parse(raw) : parseFileValue(q, raw);
    if (r.ok) provided[q.key] = r.value;
    else if (failed.add(q.key)) errors.push(fromFlag !== undefined || !opts.answersFile ? r.message : `${opts.answersFile.name}: ${r.message}`);
  }

  // secrets: answers file, environment presets, existing installation
  const prev = readPrevious(opts.state, opts.model);
  Object.assign(prev.values, opts.previous);
  const existing = existingSecrets(opts.state, prev.envSecrets);
  const replace = new Set(opts.replaceSecrets ?? []);
  const notes = [...prev.notes];
  errors.push(...prev.problems, ...existing.errors);
  const secretSources = {} as Record<SecretKey, SecretSource>;
  const secretValues: Partial<Record<SecretKey, string>> = {};
  for (const key of SECRET_KEYS) {
    const q = question(key);
    const envName = PASSWORD_ENV[key];
    const envRaw = opts.env[envName];
    let fromEnv: string | undefined;
    if (envRaw !== undefined && envRaw !== '') {
      const r = q.parse(envRaw);
      if (r.ok) fromEnv = r.value;
      else errors.push(`${envName}: ${r.message}`);
    }
    const fromFile = provided[key] as string | undefined;
    const old = replace.has(key) ? undefined : existing.values[key];
    if (replace.has(key) && existing.values[key] === undefined) {
      errors.push(`--replace-secrets ${key}: there is no existing ${key} to replace`);
    }
    if (fromFile !== undefined && fromEnv !== undefined && fromFile !== fromEnv) {
      errors.push(`${key}: given both in the answers file and in ${envName} with different values; remove one`);
    }
    const supplied = fromEnv ?? fromFile;
    if (old !== undefined) {
      if (supplied !== undefined && supplied !== old) {
        errors.push(
          key === 'adminPassword'
            ? `adminPassword: ${opts.state.optionsFile} already has an admin password, and PhotoPrism applied it when the account was created; it is never replaced silently. Change it in PhotoPrism ("docker compose exec photoprism photoprism passwd") and leave this value out`
            : `${key}: the installation already has ${key === 'databasePassword' ? SECRET_FILES.dbPassword : SECRET_FILES.dbRootPassword}, and MariaDB only reads it when the database is first created; an existing secret is never replaced. Leave this value out (or change the password inside MariaDB first)`,
        );
      }
      secretValues[key] = old;
      secretSources[key] = 'existing';
    } else if (supplied !== undefined) {
      secretValues[key] = supplied;
      secretSources[key] = fromEnv !== undefined ? 'environment' : 'answers file';
    }
  }
  // (an adopted SQLite installation has no MariaDB whose passwords could be lost)
  if (prev.adopt?.database.driver !== 'sqlite') errors.push(...lostSecretErrors(opts.state, secretValues));
  // an interactive run stops here; a non-interactive one goes on so cross-field problems are reported too
  if (errors.length && opts.prompter) throw new UsageError(errors);

  const ctx: Ctx = { answers: {}, facts: opts.facts };
  // risks accepted in an earlier run are remembered (.photoprism-harden/state.json)
  const overrides = new Set<UnsafeOverride>([...((provided.allowUnsafe as UnsafeOverride[] | undefined) ?? []), ...((prev.values.allowUnsafe as UnsafeOverride[] | undefined) ?? [])]);
  const defaults: Partial<Answers> = {};
  const p = opts.prompter;

  for (const q of questions) {
    if (q.kind === 'override') continue;
    if (q.kind === 'secret') {
      const key = q.key as SecretKey;
      if (secretValues[key] === undefined) {
        if (p && key !== 'databaseRootPassword') {
          await promptSecret(p, key, secretValues, secretSources, ctx);
        } else if (p && key === 'databaseRootPassword' && secretSources.databasePassword === 'prompt') {
          await promptSecret(p, key, secretValues, secretSources, ctx);
        } else {
          secretValues[key] = generatePassword(key === 'adminPassword' ? GENERATED_LENGTH.admin : GENERATED_LENGTH.database);
          secretSources[key] = 'generated';
        }
      } else if (p && secretSources[key] === 'existing') {
        p.note([`${q.label}: kept from the existing installation (it was applied when the account or database was created)`]);
      }
      // an existing secret is what the database already uses: it is kept even if it would not pass today's rules
      const value = secretValues[key]!;
      const problems = q.check && secretSources[key] !== 'existing' ? q.check(value, ctx) : [];
      errors.push(...problems.map(problemText));
      ctx.answers[key] = value;
      continue;
    }
    const base = q.default(ctx);
    const dflt = previousDefault(q, prev.values, notes, ctx) ?? base;
    // the repeat command lists what differs from the tool's own defaults, so it also works on a fresh host
    setAnswer(defaults, q.key, base);
    let value: Answers[Key];
    if (failed.has(q.key)) {
      value = dflt;
    } else if (provided[q.key] !== undefined) {
      value = provided[q.key] as Answers[Key];
      const problems = q.check ? q.check(value, ctx) : [];
      for (const pr of problems) {
        if (pr.override && overrides.has(pr.override)) continue;
        if (pr.override && p && (await confirmRisk(p, pr))) {
          overrides.add(pr.override);
          continue;
        }
        errors.push(problemText(pr));
      }
    } else if (p && (!q.when || q.when(ctx))) {
      value = await ask(p, q, dflt, ctx, overrides);
    } else {
      value = dflt;
      const problems = q.check ? q.check(value, ctx) : [];
      // a value taken over from the existing installation says where it was read
      const where = prev.from?.[q.key] && same(prev.values[q.key], value) ? ` (this is what ${prev.from[q.key]} uses now; choose another with --${q.key.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`)} or in the answers file)` : '';
      for (const pr of problems) if (!(pr.override && overrides.has(pr.override))) errors.push(problemText({ ...pr, message: pr.message + where }));
    }
    setAnswer(ctx.answers, q.key, value);
  }
  // an answer that only one target uses, given for another: a mistake to name, not to ignore
  const chosen = ctx.answers.target;
  for (const q of questions) {
    if (!q.targets || chosen === undefined || q.targets.includes(chosen) || provided[q.key] === undefined) continue;
    const flag = q.flag ? `--${q.flag}` : q.key;
    errors.push(`${q.key} (${flag}) applies to the ${q.targets.join(' and ')} target only, and this run writes the ${chosen} target: remove it, or add --target ${q.targets[0]}`);
  }
  if (errors.length) throw new UsageError(errors);

  const answers = { ...(ctx.answers as Answers), allowUnsafe: [...overrides].sort() };  // (every key was set above)
  const knownSecrets = [...new Set([...Object.values(existing.values), ...Object.values(prev.envSecrets), ...existing.others])];
  return { answers, secretSources, defaults, previous: prev.values, notes, knownSecrets };
}

/** The previous installation's value as this question's default, when it is still valid. */
/** Set one answer (the key and the value come from the same question). */
function setAnswer<K extends Key>(answers: Partial<Answers>, key: K, value: Answers[K]): void {
  answers[key] = value;
}

/**
 * The previous installation's value as this question's default, when it is still valid. When the
 * previous value was just the derived default and an answer it derives from (q.derivedFrom) changed,
 * the new derived default is offered instead (port 8080 moves the site URL along; nvidia -> software
 * drops the "gpu" init action; a new UID takes its GID along).
 */
function previousDefault(q: Question, prev: Partial<Answers>, notes: string[], ctx: Ctx): Answers[Key] | undefined {
  const v = prev[q.key];
  if (v === undefined) return undefined;
  const r = q.parse(v);
  if (!r.ok) {
    notes.push(labelled(q, `${q.key}: the existing value (${JSON.stringify(v)}) is not valid any more (${r.message}); the default is offered instead`));
    return undefined;
  }
  const from = q.derivedFrom;
  if (from && from.some((k) => prev[k] !== undefined && !same(prev[k], ctx.answers[k]))) {
    let was: Answers[Key] | undefined;
    try {
      was = q.default({ answers: prev, facts: ctx.facts });
    } catch {
      was = undefined; // the previous installation lacks an answer the default needs
    }
    if (same(was, r.value)) return undefined;
  }
  return r.value;
}

/** The wizard names the question, not the answers-file key ("importPath: ..." -> "Import folder: ..."). */
function sayTo(q: Question, m: string): string {
  if (!m.startsWith(q.key)) return m;
  const rest = m.slice(q.key.length);
  return `${q.label}${/^[:\s]/.test(rest) ? rest : ` ${rest}`}`;
}

async function confirmRisk(p: Prompter, pr: Problem): Promise<boolean> {
  p.note([`Warning: ${pr.message}.`, `If you accept: ${UNSAFE_OVERRIDE_RISKS[pr.override!]}.`]);
  return p.confirm({ message: `Accept this risk ("${pr.override}") and use it anyway?`, default: false });
}

/** Ask one question until its answer passes parse and check (or a risk is explicitly accepted). */
async function ask(p: Prompter, q: Question, dflt: Answers[Key], ctx: Ctx, overrides: Set<UnsafeOverride>): Promise<Answers[Key]> {
  const hints = q.hint ? q.hint(ctx) : [];
  if (hints.length) p.note(hints);
  for (;;) {
    let value: unknown;
    // the wizard names the question, not the answers-file key
    const say = (m: string) => sayTo(q, m);
    const validate = (raw: unknown): true | string => {
      const r = q.parse(raw);
      if (!r.ok) return say(r.message);
      const hard = (q.check ? q.check(r.value, ctx) : []).filter((pr) => !pr.override);
      return hard.length ? say(hard[0]!.message) : true;
    };
    switch (q.kind) {
      case 'confirm':
        value = await p.confirm({ message: q.message, default: dflt as boolean });
        break;
      case 'select': {
        const choices = q.choices!(ctx);
        const usable = choices.find((c) => c.value === dflt && !c.disabled) ? (dflt as string) : choices.find((c) => !c.disabled)!.value;
        value = await p.select({ message: q.message, choices, default: usable });
        break;
      }
      case 'checkbox': {
        const d = dflt as string[];
        const raw = await p.checkbox({
          message: q.message,
          choices: q.choices!(ctx).map((c) => ({ ...c, checked: d.includes(c.value) })),
          validate: (v) => validate([...v]),
        });
        value = raw;
        break;
      }
      default: {
        const raw = await p.input({ message: q.message, default: String(dflt), validate });
        value = raw;
      }
    }
    const r = q.parse(value);
    if (!r.ok) {
      p.note([say(r.message)]);
      continue;
    }
    const parsed = r.value;
    const problems = q.check ? q.check(parsed, ctx) : [];
    let accepted = true;
    for (const pr of problems) {
      if (pr.override && overrides.has(pr.override)) continue;
      if (pr.override && (await confirmRisk(p, pr))) {
        overrides.add(pr.override);
        continue;
      }
      if (!pr.override) p.note([say(pr.message)]);
      accepted = false;
      break;
    }
    if (accepted) return parsed;
  }
}

async function promptSecret(
  p: Prompter,
  key: SecretKey,
  values: Partial<Record<SecretKey, string>>,
  sources: Record<SecretKey, SecretSource>,
  ctx: Ctx,
): Promise<void> {
  const q = question(key);
  const isDb = key !== 'adminPassword';
  if (key !== 'databaseRootPassword') {
    const how = await p.select({
      message: isDb ? 'MariaDB passwords (user photoprism and root)' : 'Admin password',
      choices: [
        { value: 'generate', name: isDb ? 'Generate two strong random passwords (recommended)' : 'Generate a strong random password (recommended)', short: 'generate', description: 'created with node:crypto; you will find it in the written files' },
        { value: 'enter', name: 'Enter my own', short: 'enter my own', description: '8-72 characters, typed hidden' },
      ],
      default: 'generate',
    });
    if (how === 'generate') {
      values[key] = generatePassword(isDb ? GENERATED_LENGTH.database : GENERATED_LENGTH.admin);
      sources[key] = 'generated';
      if (key === 'databasePassword' && values.databaseRootPassword === undefined) {
        values.databaseRootPassword = generatePassword(GENERATED_LENGTH.database);
        sources.databaseRootPassword = 'generated';
      }
      return;
    }
  }
  const say = (m: string) => sayTo(q, m);
  for (;;) {
    const validate = (v: string): true | string => {
      const r = q.parse(v);
      if (!r.ok) return say(r.message);
      const problems = q.check ? q.check(v, ctx) : [];
      return problems.length ? say(problems[0]!.message) : true;
    };
    const first = await p.password({ message: q.message, validate });
    const again = await p.password({ message: `${q.label} again`, validate: () => true });
    if (first === again) {
      values[key] = first;
      sources[key] = 'prompt';
      return;
    }
    p.note(['The two entries differ; please type it again.']);
  }
}
