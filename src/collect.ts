// Collect: turn flags, an answers file, environment presets, existing secrets and (when interactive)
// prompts into one validated Answers value. Every value passes the same parse/check functions
// whatever its source. Nothing is written here. The jobs live in src/collect/: sources (flags,
// answers file, previous installation), secrets, and asking (prompts and the one problem-resolution
// loop); this module runs them in order.

import type { UnsafeOverride } from './domain.js';
import { UsageError } from './errors.js';
import type { HostFacts } from './host.js';
import { QUESTIONS, type Answers, type Ctx, type Key, type Question, type SecretKey } from './questions.js';
import { readPrevious } from './previous.js';
import type { TargetState } from './state.js';
import type { ComposeModel } from './compose/model.js';
import { ask, problemText, resolveProblems, type Prompter } from './collect/ask.js';
import { existingSecrets, knownSecrets, lostSecretErrors, settleSecret, type SecretPicks, type SecretSource } from './collect/secrets.js';
import { previousDefault, providedValues, same } from './collect/sources.js';

export { parseAnswersFile } from './collect/sources.js';
export { existingSecrets, lostSecretErrors, type SecretSource } from './collect/secrets.js';
export type { Prompter } from './collect/ask.js';

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
  /** the hints the wizard showed with its questions (a note the plan repeats is not printed again) */
  hintsShown: string[];
  /** how the summary shows an answer that is no host path (a photo folder kept on a volume) */
  shown?: Partial<Record<Key, string>>;
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

export async function collect(opts: CollectOptions): Promise<Collected> {
  const questions = opts.questions ?? QUESTIONS;
  const provided = providedValues(questions, opts.flags, opts.answersFile);
  const errors = [...provided.errors];

  // secrets: answers file, environment presets, existing installation
  const prev = readPrevious(opts.state, opts.model);
  Object.assign(prev.values, opts.previous);
  const existing = existingSecrets(opts.state, prev.envSecrets);
  const notes = [...prev.notes];
  errors.push(...prev.problems, ...existing.errors);
  const known = knownSecrets({ state: opts.state, env: opts.env, provided: provided.values, existing: existing.values, replace: new Set(opts.replaceSecrets ?? []) });
  errors.push(...known.errors);
  let secrets: SecretPicks = { values: known.values, sources: known.sources };
  // (an adopted SQLite installation has no MariaDB whose passwords could be lost)
  if (prev.adopt?.database.driver !== 'sqlite') errors.push(...lostSecretErrors(opts.state, secrets.values));
  // an interactive run stops here; a non-interactive one goes on so cross-field problems are reported too
  if (errors.length && opts.prompter) throw new UsageError(errors);

  const ctx: Ctx = { answers: {}, facts: opts.facts };
  // risks accepted in an earlier run are remembered (.photoprism-harden/state.json)
  const overrides = new Set<UnsafeOverride>([...((provided.values.allowUnsafe as UnsafeOverride[] | undefined) ?? []), ...((prev.values.allowUnsafe as UnsafeOverride[] | undefined) ?? [])]);
  const defaults: Partial<Answers> = {};
  const hintsShown: string[] = [];
  const p = opts.prompter;

  for (const q of questions) {
    if (q.kind === 'override') continue;
    if (q.kind === 'secret') {
      const key = q.key as SecretKey;
      if (secrets.values[key] === undefined) {
        const picked = await settleSecret(p, key, secrets, ctx);
        secrets = { values: { ...secrets.values, ...picked.values }, sources: { ...secrets.sources, ...picked.sources } };
      } else if (p && secrets.sources[key] === 'existing') {
        p.note([`${q.label}: kept from the existing installation (it was applied when the account or database was created)`]);
      }
      // an existing secret is what the database already uses: it is kept even if it would not pass today's rules
      const value = secrets.values[key]!;
      const problems = q.check && secrets.sources[key] !== 'existing' ? q.check(value, ctx) : [];
      errors.push(...(await resolveProblems(problems, overrides, undefined)).map(problemText));
      ctx.answers[key] = value;
      continue;
    }
    const base = q.default(ctx);
    const prevDefault = previousDefault(q, prev.values, ctx);
    if (prevDefault.note) notes.push(prevDefault.note);
    const dflt = prevDefault.value ?? base;
    // the repeat command lists what differs from the tool's own defaults, so it also works on a fresh host
    setAnswer(defaults, q.key, base);
    let value: Answers[Key];
    if (provided.failed.has(q.key)) {
      value = dflt;
    } else if (provided.values[q.key] !== undefined) {
      value = provided.values[q.key] as Answers[Key];
      errors.push(...(await resolveProblems(q.check ? q.check(value, ctx) : [], overrides, p)).map(problemText));
    } else if (p && (!q.when || q.when(ctx))) {
      const asked = await ask(p, q, dflt, ctx, overrides);
      value = asked.value;
      hintsShown.push(...asked.hints);
    } else {
      value = dflt;
      // a value taken over from the existing installation says where it was read
      const flag = `--${q.key.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`)}`;
      const existingValue = prev.from?.[q.key] && same(prev.values[q.key], value) ? prev.from[q.key] : undefined;
      const where = existingValue ? ` (this is what ${existingValue} uses now; choose another with ${flag} or in the answers file)` : '';
      const refused = await resolveProblems(q.check ? q.check(value, ctx) : [], overrides, undefined);
      for (const pr of refused) {
        // the UID/GID an existing installation already runs with, on a person's account: kept as it is
        // (a new one re-owns storage, a choice to make, not to default), and reported by the audit after
        // writing as a weakness with its fix (exit code 1) unless the risk is accepted
        if (existingValue && pr.override === 'host-account') {
          const note = `${q.label}: kept, as ${existingValue} has it: ${pr.message}. The audit after writing reports it (exit code 1): choose another with ${flag}, or accept the risk with --allow-unsafe host-account`;
          if (!notes.includes(note)) notes.push(note);
        } else errors.push(problemText({ ...pr, message: pr.message + where }));
      }
    }
    setAnswer(ctx.answers, q.key, value);
  }
  // an answer that only one target uses, given for another: a mistake to name, not to ignore
  const chosen = ctx.answers.target;
  for (const q of questions) {
    if (!q.targets || chosen === undefined || q.targets.includes(chosen) || provided.values[q.key] === undefined) continue;
    const flag = q.flag ? `--${q.flag}` : q.key;
    errors.push(`${q.key} (${flag}) applies to the ${q.targets.join(' and ')} target only, and this run writes the ${chosen} target: remove it, or add --target ${q.targets[0]}`);
  }
  if (errors.length) throw new UsageError(errors);

  const answers = { ...(ctx.answers as Answers), allowUnsafe: [...overrides].sort() };  // (every key was set above)
  const secretSources = secrets.sources as Record<SecretKey, SecretSource>; // (every secret question set one above)
  const knownValues = [...new Set([...Object.values(existing.values), ...Object.values(prev.envSecrets), ...existing.others])];
  // (a photo folder kept on a volume, unless this run gives another)
  const shown = Object.fromEntries(Object.entries(prev.shown ?? {}).filter(([k]) => same(answers[k as Key], prev.values[k as Key] ?? defaults[k as Key])));
  return { answers, secretSources, defaults, previous: prev.values, notes, knownSecrets: knownValues, hintsShown, ...(Object.keys(shown).length ? { shown } : {}) };
}

/** Set one answer (the key and the value come from the same question). */
function setAnswer<K extends Key>(answers: Partial<Answers>, key: K, value: Answers[K]): void {
  answers[key] = value;
}

