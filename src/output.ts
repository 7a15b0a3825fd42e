// Everything the user reads, as lines: the renderers of init's report. They are printed through
// Output (src/out.ts), which scrubs every known secret value and fits each line to the width.

import path from 'node:path';
import type { ApplyResult } from './apply.js';
import { bulletLines, fitLine, octalMode, shellQuote, termWidth, widthOf, wrap, wrapCommand, wrapWords } from './text.js';

export { termWidth, wrap };
export { Output } from './out.js';
import type { Collected } from './collect.js';
import { QUESTIONS, displayAnswer, type Question } from './questions.js';
import type { Plan, PlannedFile } from './plan.js';
import type { ContainerIdMapping } from './idmap.js';



function ownerText(f: { owner: { uid: number; gid: number } | null }, invoker: string): string {
  return f.owner ? `${f.owner.uid}:${f.owner.gid}` : invoker;
}

/** One line per answer, never a password. */
export function summaryLines(c: Collected, questions: readonly Question[] = QUESTIONS): string[] {
  const a = c.answers;
  const lines: string[] = [];
  const width = Math.max(...questions.map((q) => q.label.length)) + 2;
  for (const q of questions) {
    if (q.shownIf && !q.shownIf(a)) continue;
    let v: string;
    if (q.kind === 'secret') {
      const src = c.secretSources[q.key as keyof Collected['secretSources']];
      const len = [...(a[q.key] as string)].length;
      v = src === 'existing' ? 'kept from the existing installation' : `${src === 'generated' ? 'generated' : `from ${src}`} (${len} characters, hidden)`;
    } else if (q.kind === 'override') {
      if (a.allowUnsafe.length === 0) continue;
      v = a.allowUnsafe.join(', ');
    } else v = c.shown?.[q.key] ?? displayAnswer(q, a);
    lines.push(...wrapWords(v, termWidth(), `  ${q.label.padEnd(width)}`, ' '.repeat(width + 2)));
  }
  return lines;
}

/**
 * The Files and Folders tables: status, path, mode, owner and what it is for. The purpose column wraps
 * with a hanging indent; a path too long for its column puts the rest of its row on the next line.
 */
export function planLines(plan: Plan, invoker: string, width = termWidth()): string[] {
  const rows = (items: { status: string; shown: string; mode: number; owner: string; why: string }[]): string[] => {
    const pathCol = Math.min(28, Math.max(...items.map((r) => widthOf(r.shown))));
    const ownerCol = Math.max(9, ...items.map((r) => widthOf(r.owner)));
    const whyAt = 2 + 10 + pathCol + 1 + 6 + ownerCol + 1;
    const out: string[] = [];
    for (const r of items) {
      const head = `  ${r.status.padEnd(9)} `;
      const rest = `${octalMode(r.mode)}  ${r.owner.padEnd(ownerCol)} `;
      // the purpose column needs room for a few words; otherwise it goes under the path
      const roomy = width - whyAt >= 16;
      if (widthOf(r.shown) > pathCol) {
        out.push(`${head}${r.shown}`);
        out.push(...wrapWords(r.why, width, `${' '.repeat(head.length + pathCol + 1)}${rest}`, ' '.repeat(roomy ? whyAt : 14)));
      } else if (roomy) {
        out.push(...wrapWords(r.why, width, `${head}${r.shown.padEnd(pathCol)} ${rest}`, ' '.repeat(whyAt)));
      } else {
        out.push(`${head}${r.shown.padEnd(pathCol)} ${rest.trimEnd()}`, ...wrapWords(r.why, width, ' '.repeat(14), ' '.repeat(14)));
      }
    }
    return out;
  };
  const files = plan.files.map((f) => ({ status: f.status, shown: f.path, mode: f.mode, owner: ownerText(f, invoker), why: f.why }));
  const dirs = plan.dirs.map((d) => ({
    status: d.status,
    shown: path.isAbsolute(d.path) ? d.path : `${d.path}/`,
    mode: d.mode,
    owner: ownerText(d, invoker),
    why: d.why,
  }));
  return ['Files:', ...rows(files), '', 'Folders:', ...rows(dirs)];
}

/**
 * The plan's notes: one bullet each ("!" a warning), continuation lines indented under the text. A
 * message of several lines stays one bullet; a line indented by four spaces is a command or a config
 * line, kept whole (a long command continues after " \\").
 */
export function messageLines(plan: Plan, width = termWidth()): string[] {
  return plan.messages.flatMap((m) => bulletLines(m.text.split('\n'), m.level === 'warn' ? '! ' : '- ', width));
}


/**
 * A file's content as it may be shown: secrets masked. Every file is masked, not only those that hold
 * secrets by design: an existing compose file (PhotoPrism's example) has passwords in its environment.
 */
export function maskedContent(f: PlannedFile, secrets: string[]): string {
  if (f.secret === 'whole') return `<secret: ${[...f.content].length} characters, hidden>`;
  let out = f.content;
  for (const s of [...secrets].sort((a, b) => b.length - a.length)) if (s) out = out.split(s).join('********');
  return out;
}

/** Unified diffs (secrets masked) of every file that changes; `old` holds the current contents. */
export async function diffLines(plan: Plan, old: Record<string, string>): Promise<string[]> {
  const changed = plan.files.filter((f) => f.status === 'update');
  if (!changed.length) return [];
  const { createTwoFilesPatch } = await import('diff');
  const lines: string[] = [];
  for (const f of changed) {
    const before = maskedContent({ ...f, content: old[f.path] ?? '' }, plan.secrets);
    const after = maskedContent(f, plan.secrets);
    const patch = createTwoFilesPatch(`a/${f.path}`, `b/${f.path}`, before, after, undefined, undefined, { context: 3 });
    lines.push(...patch.replace(/^=+\n/, '').trimEnd().split('\n'));
  }
  return lines;
}

export function dryRunLines(plan: Plan, width = termWidth()): string[] {
  const lines: string[] = [];
  for (const f of plan.files) {
    if (f.status !== 'create') continue;
    lines.push('', `--- ${f.path} (new, mode ${octalMode(f.mode)}) ---`);
    // a long line of the preview wraps at a space; a comment continues as a comment
    for (const l of maskedContent(f, plan.secrets).replace(/\n$/, '').split('\n')) {
      const comment = /^\s*#+ ?/.exec(l)?.[0];
      lines.push(...(comment ? wrapWords(l.slice(comment.length), width, comment, `${comment}  `) : fitLine(l, width)));
    }
  }
  return lines;
}

/** The non-interactive command that repeats this run (never with a password); `engine` is the --engine given. */
export function repeatCommand(c: Collected, dir: string, command = 'npx photoprism-harden init', engine?: string): string {
  const a = c.answers;
  const parts = [command, '--dir', shellQuote(dir), '--yes'];
  if (engine) parts.push('--engine', shellQuote(engine));
  for (const q of QUESTIONS) {
    if (!q.flag || q.kind === 'secret') continue;
    const v = a[q.key];
    const always = q.key === 'uid' || q.key === 'gid';
    if (!always && JSON.stringify(v) === JSON.stringify(c.defaults[q.key] ?? (q.kind === 'override' ? [] : undefined))) continue;
    if (q.kind === 'confirm') parts.push(v ? `--${q.flag}` : `--no-${q.flag}`);
    else if (Array.isArray(v)) parts.push(`--${q.flag}`, shellQuote(v.join(',') || ''));
    else parts.push(`--${q.flag}`, shellQuote(String(v)));
  }
  return parts.join(' ');
}

export interface NextStepOptions {
  /** how the user types the engine ("docker compose", "podman-compose", ...) */
  engine?: string;
  /** the services were started by --apply */
  started?: boolean;
  mapping?: ContainerIdMapping | null;
}

export function nextStepLines(plan: Plan, result: ApplyResult | null, c: Collected, repeat: string, o: NextStepOptions = {}): string[] {
  const a = c.answers;
  const engine = o.engine ?? 'docker compose';
  const lines: string[] = [];
  if (result?.backups.length) lines.push(`Backups of replaced files: ${result.backups.join(', ')}`);
  if (result?.manual.length) {
    lines.push(
      '',
      'This run is not root, so it could not give these paths to the PhotoPrism user. Run:',
      ...result.manual.map((m) => `  ${m}`),
    );
    if (o.mapping?.mode === 'rootless-podman') {
      lines.push(
        `  (or, as ${o.mapping.user.name}, with container ids: podman unshare chown ${a.uid}:${a.gid} ${plan.dirs
          .filter((d) => d.owner && d.owner.uid !== o.mapping!.user.uid)
          .map((d) => shellQuote(d.path))
          .join(' ')} ${plan.files.filter((f) => f.path.endsWith('options.yml')).map((f) => shellQuote(f.path)).join(' ')})`,
      );
    }
  }
  const opts = plan.files.find((f) => /(^|\/)options\.ya?ml$/.test(f.path))!.path;
  lines.push('', o.started ? 'PhotoPrism is running:' : 'Next steps:', `  cd ${shellQuote(plan.dir)}`);
  if (!o.started) lines.push(`  ${engine} up -d`);
  lines.push(
    `  ${o.started ? 'open' : 'then open'} ${a.siteUrl} and sign in as "${a.adminUser}"`,
    `  (to see the admin password: sudo grep AdminPassword ${opts})`,
    '',
    'After any later change:',
    `  ${engine} stop`,
    `  ${engine} up -d --force-recreate`,
    '  (or add --apply to the command below: it stops, recreates and waits for them)',
    '',
    'To repeat this setup without prompts (passwords are kept from the written files):',
    ...wrapCommand(repeat, termWidth()),
  );
  return lines;
}
