// Collect, asking: the Prompter seam, one question asked until its answer passes, and the one loop
// that resolves a value's problems (a risk accepted by name, earlier or now, passes; the rest is refused).

import { UNSAFE_OVERRIDE_RISKS, type UnsafeOverride } from '../domain.js';
import type { Answers, Choice, Ctx, Key, Question } from '../questions.js';
import type { Problem } from '../validate.js';

/** The prompt library behind a small interface, so tests can drive the flow without a terminal. */
export interface Prompter {
  input(o: { message: string; default?: string; validate: (v: string) => true | string }): Promise<string>;
  confirm(o: { message: string; default: boolean }): Promise<boolean>;
  select(o: { message: string; choices: Choice<string>[]; default: string }): Promise<string>;
  checkbox(o: { message: string; choices: (Choice<string> & { checked: boolean })[]; validate: (v: readonly string[]) => true | string }): Promise<string[]>;
  password(o: { message: string; validate: (v: string) => true | string }): Promise<string>;
  note(lines: string[]): void;
}

/** A refusal as the user reads it, with the override that would accept it. */
export function problemText(p: Problem): string {
  return p.override
    ? `${p.message}. To accept this risk anyway: --allow-unsafe ${p.override} (answers file: allowUnsafe: [${p.override}])`
    : p.message;
}

/** `explained`: the question's hint already gave the advice (the udev rule is printed once). */
async function confirmRisk(p: Prompter, pr: Problem, explained: boolean): Promise<boolean> {
  p.note([`Warning: ${explained && pr.brief ? pr.brief : pr.message}.`, `If you accept: ${UNSAFE_OVERRIDE_RISKS[pr.override!]}.`]);
  return p.confirm({ message: `Accept this risk ("${pr.override}") and use it anyway?`, default: false });
}

/**
 * The one problem-resolution loop: a problem whose override was accepted (earlier, or remembered from
 * an earlier run) passes; with a prompter, the user is asked to accept an overridable risk by name
 * (and the acceptance is added to `overrides`); everything else is returned, refused. `firstOnly`
 * stops at the first refusal (the wizard asks the question again, so later risks are not asked about);
 * `explained`: the question's hint was shown, so a warning leaves out the advice it gave.
 */
export async function resolveProblems(
  problems: readonly Problem[],
  overrides: Set<UnsafeOverride>,
  p: Prompter | undefined,
  o: { firstOnly?: boolean; explained?: boolean } = {},
): Promise<Problem[]> {
  const refused: Problem[] = [];
  for (const pr of problems) {
    if (pr.override && overrides.has(pr.override)) continue;
    if (pr.override && p && (await confirmRisk(p, pr, Boolean(o.explained)))) {
      overrides.add(pr.override);
      continue;
    }
    refused.push(pr);
    if (o.firstOnly) break;
  }
  return refused;
}

/** The wizard names the question, not the answers-file key ("importPath: ..." -> "Import folder: ..."). */
export function sayTo(q: Question, m: string): string {
  if (!m.startsWith(q.key)) return m;
  const rest = m.slice(q.key.length);
  return `${q.label}${/^[:\s]/.test(rest) ? rest : ` ${rest}`}`;
}

/**
 * Ask one question until its answer passes parse and check (or a risk is explicitly accepted); the
 * answer and the hints shown with the question (the report does not repeat them).
 */
export async function ask(p: Prompter, q: Question, dflt: Answers[Key], ctx: Ctx, overrides: Set<UnsafeOverride>): Promise<{ value: Answers[Key]; hints: string[] }> {
  const hints = q.hint ? q.hint(ctx) : [];
  if (hints.length) p.note(hints);
  // the wizard names the question, not the answers-file key
  const say = (m: string) => sayTo(q, m);
  const validate = (raw: unknown): true | string => {
    const r = q.parse(raw);
    if (!r.ok) return say(r.message);
    const hard = (q.check ? q.check(r.value, ctx) : []).filter((pr) => !pr.override);
    return hard.length ? say(hard[0]!.message) : true;
  };
  for (;;) {
    const r = q.parse(await promptOnce(p, q, dflt, ctx, validate));
    if (!r.ok) {
      p.note([say(r.message)]);
      continue;
    }
    const refused = await resolveProblems(q.check ? q.check(r.value, ctx) : [], overrides, p, { firstOnly: true, explained: hints.length > 0 });
    if (!refused.length) return { value: r.value, hints };
    if (!refused[0]!.override) p.note([say(refused[0]!.message)]);
  }
}

/** One prompt of the question's kind; the raw answer. */
async function promptOnce(p: Prompter, q: Question, dflt: Answers[Key], ctx: Ctx, validate: (raw: unknown) => true | string): Promise<unknown> {
  switch (q.kind) {
    case 'confirm':
      return p.confirm({ message: q.message, default: dflt as boolean });
    case 'select': {
      const choices = q.choices!(ctx);
      const usable = choices.find((c) => c.value === dflt && !c.disabled) ? (dflt as string) : choices.find((c) => !c.disabled)!.value;
      return p.select({ message: q.message, choices, default: usable });
    }
    case 'checkbox': {
      const d = dflt as string[];
      return p.checkbox({
        message: q.message,
        choices: q.choices!(ctx).map((c) => ({ ...c, checked: d.includes(c.value) })),
        validate: (v) => validate([...v]),
      });
    }
    default:
      return p.input({ message: q.message, default: String(dflt), validate });
  }
}
