// Everything the user reads. All text passes through Output, which scrubs every known secret value
// before it reaches stdout or stderr (a second line of defence: nothing here prints one on purpose).

import path from 'node:path';
import type { ApplyResult } from './apply.js';
import * as stdio from './stdio.js';
import type { Writer } from './stdio.js';
import { shellQuote, termWidth, wrap } from './text.js';

export { termWidth, wrap };
import type { Collected } from './collect.js';
import { TRANSCODING_INFO } from './domain.js';
import { QUESTIONS, type Answers, type Key } from './questions.js';
import type { Plan, PlannedFile } from './plan.js';
import type { ContainerIdMapping } from './idmap.js';

export class Output {
  private secrets: string[] = [];
  constructor(
    private readonly stdout: Writer = stdio.stdout,
    private readonly stderr: Writer = stdio.stderr,
  ) {}

  addSecrets(values: Iterable<string>): void {
    for (const v of values) if (v && !this.secrets.includes(v)) this.secrets.push(v);
    this.secrets.sort((a, b) => b.length - a.length);
  }

  scrub(text: string): string {
    let out = text;
    for (const s of this.secrets) out = out.split(s).join('********');
    return out;
  }

  out(text = ''): void {
    this.stdout.write(`${this.scrub(text)}\n`);
  }

  err(text: string): void {
    this.stderr.write(`${this.scrub(text)}\n`);
  }
}

const mode = (m: number) => m.toString(8).padStart(4, '0');

function ownerText(f: { owner: { uid: number; gid: number } | null }, invoker: string): string {
  return f.owner ? `${f.owner.uid}:${f.owner.gid}` : invoker;
}

/** One line per answer, never a password. */
export function summaryLines(c: Collected): string[] {
  const a = c.answers;
  const lines: string[] = [];
  const width = Math.max(...QUESTIONS.map((q) => q.label.length)) + 2;
  for (const q of QUESTIONS) {
    let v: string;
    if (q.kind === 'secret') {
      const src = c.secretSources[q.key as keyof Collected['secretSources']];
      const len = [...(a[q.key] as string)].length;
      v = src === 'existing' ? 'kept from the existing installation' : `${src === 'generated' ? 'generated' : `from ${src}`} (${len} characters, hidden)`;
    } else if (q.kind === 'override') {
      if (a.allowUnsafe.length === 0) continue;
      v = a.allowUnsafe.join(', ');
    } else v = displayValue(q.key, a);
    lines.push(`  ${q.label.padEnd(width)}${v}`);
  }
  return lines;
}

function displayValue(key: Key, a: Answers): string {
  const v = a[key];
  if (key === 'importPath' && v === '') return '(none)';
  if (key === 'initActions') return (v as string[]).length ? (v as string[]).join(' ') : '(none)';
  if (typeof v === 'boolean') return v ? 'yes' : 'no';
  if (key === 'transcoding') return `${TRANSCODING_INFO[a.transcoding].title} (${a.transcoding})`;
  if (key === 'userMode') return a.userMode === 'user' ? 'compose "user:" (user)' : 'PHOTOPRISM_UID / PHOTOPRISM_GID (photoprism-uid)';
  return String(v);
}

export function planLines(plan: Plan, invoker: string): string[] {
  const lines: string[] = [];
  lines.push('Files:');
  for (const f of plan.files) {
    lines.push(`  ${f.status.padEnd(9)} ${f.path.padEnd(28)} ${mode(f.mode)}  ${ownerText(f, invoker).padEnd(10)} ${f.why}`);
  }
  lines.push('', 'Folders:');
  for (const d of plan.dirs) {
    const shown = path.isAbsolute(d.path) ? d.path : `${d.path}/`;
    const st = d.status === 'create' ? 'create' : d.status === 'fix' ? 'fix' : 'ok';
    lines.push(`  ${st.padEnd(9)} ${shown.padEnd(28)} ${mode(d.mode)}  ${ownerText(d, invoker).padEnd(10)} ${d.why}`);
  }
  return lines;
}

export function messageLines(plan: Plan): string[] {
  const width = termWidth() - 6;
  return plan.messages.flatMap((m) => wrap(m.text, width).map((l, i) => `  ${i === 0 ? (m.level === 'warn' ? '! ' : '- ') : ''}${l}`));
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

export function dryRunLines(plan: Plan): string[] {
  const lines: string[] = [];
  for (const f of plan.files) {
    if (f.status !== 'create') continue;
    lines.push('', `--- ${f.path} (new, mode ${mode(f.mode)}) ---`);
    lines.push(maskedContent(f, plan.secrets).replace(/\n$/, ''));
  }
  return lines;
}

/** The non-interactive command that repeats this run (never with a password); `engine` is the --engine given. */
export function repeatCommand(c: Collected, dir: string, engine?: string): string {
  const a = c.answers;
  const parts = ['npx', 'photoprism-harden', 'init', '--dir', shellQuote(dir), '--yes'];
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
    '  (or run photoprism-harden init again with --apply)',
    '',
    'To repeat this setup without prompts (passwords are kept from the written files):',
    `  ${repeat}`,
  );
  return lines;
}
