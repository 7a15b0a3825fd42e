// Run the rules over a context and present the findings: JSON for machines, grouped text for people.
// Every string that leaves here is scrubbed of the secret values seen while loading (a second line of
// defence: no rule prints a value on purpose).

import { fitLine, termWidth, wrap } from '../text.js';
import type { AuditContext, Finding, Rule, Severity } from './types.js';
import { SEVERITIES } from './types.js';

export interface Report {
  tool: 'photoprism-harden';
  version: string;
  /** absolute installation folder */
  dir: string;
  /** compose file used, relative to dir */
  compose: string;
  /** options.yml PhotoPrism reads, relative to dir; null when there is none */
  options: string | null;
  summary: { error: number; warning: number; info: number; rules: number; clean: boolean };
  findings: Finding[];
}

const ORDER: Record<Severity, number> = { error: 0, warning: 1, info: 2 };

export function scrubber(secrets: readonly string[]): (s: string) => string {
  const list = [...secrets].filter((s) => s.length >= 4).sort((a, b) => b.length - a.length);
  return (s) => {
    let out = s;
    for (const v of list) out = out.split(v).join('********');
    return out;
  };
}

export function runRules(ctx: AuditContext, rules: readonly Rule[]): Finding[] {
  const scrub = scrubber(ctx.secretValues);
  const out: Finding[] = [];
  for (const r of rules) {
    for (const f of r.check(ctx)) {
      out.push({
        rule: r.id,
        severity: r.severity,
        title: r.title,
        file: f.file,
        line: f.line ?? null,
        column: f.column ?? null,
        service: f.service ?? null,
        message: scrub(f.message),
        why: scrub(f.why ?? r.why),
        fix: scrub(f.fix),
        kics: r.kics ?? null,
        cis: r.cis ?? null,
      });
    }
  }
  const ruleIndex = new Map(rules.map((r, i) => [r.id, i]));
  return out.sort(
    (a, b) =>
      ORDER[a.severity] - ORDER[b.severity] ||
      (a.file === b.file ? 0 : a.file === ctx.compose.rel ? -1 : b.file === ctx.compose.rel ? 1 : a.file < b.file ? -1 : 1) ||
      (a.line ?? 0) - (b.line ?? 0) ||
      ruleIndex.get(a.rule)! - ruleIndex.get(b.rule)!,
  );
}

export function buildReport(ctx: AuditContext, rules: readonly Rule[], version: string): Report {
  const findings = runRules(ctx, rules);
  const count = (s: Severity) => findings.filter((f) => f.severity === s).length;
  const error = count('error');
  return {
    tool: 'photoprism-harden',
    version,
    dir: ctx.dir,
    compose: ctx.compose.rel,
    options: ctx.options?.rel ?? ctx.optionsError?.rel ?? null,
    summary: { error, warning: count('warning'), info: count('info'), rules: rules.length, clean: error === 0 },
    findings,
  };
}

const plural = (n: number, one: string, many = `${one}s`) => `${n} ${n === 1 ? one : many}`;

/** The one-line summary (also printed by init). */
export function summaryLine(r: Report): string {
  const s = r.summary;
  const counts = `${plural(s.error, 'error')}, ${plural(s.warning, 'warning')}, ${s.info} info`;
  return `audit: ${s.clean ? 'PASS' : 'FAIL'} - ${counts} (${s.rules} rules checked${s.clean ? '' : '; errors must be fixed'})`;
}

export function location(f: { file: string; line?: number | null }): string {
  return f.line ? `${f.file}:${f.line}` : f.file;
}

function refs(f: Finding): string | null {
  const parts: string[] = [];
  if (f.kics) parts.push(`KICS "${f.kics}"`);
  if (f.cis) parts.push(`CIS Docker ${f.cis}`);
  return parts.length ? parts.join(', ') : null;
}

/** A labelled, wrapped paragraph; lines of a YAML block (starting with a space) are kept as they are. */
function block(label: string, text: string, width: number): string[] {
  const indent = '    ';
  const pad = ' '.repeat(label.length);
  const out: string[] = [];
  text.split('\n').forEach((line, i) => {
    const head = i === 0 ? label : pad;
    if (line.startsWith(' ')) {
      if (i === 0 && label) out.push(`${indent}${label.trimEnd()}`);
      out.push(`${indent}${pad}${line}`);
    }
    else wrap(line, width - indent.length - label.length).forEach((l, j) => out.push(`${indent}${j === 0 ? head : pad}${j === 0 ? l : l.replace(/^ {2}/, '')}`));
  });
  return out;
}

const HEADINGS: Record<Severity, string> = { error: 'Errors', warning: 'Warnings', info: 'Info' };

export function humanLines(r: Report, width = termWidth()): string[] {
  const lines: string[] = [`photoprism-harden audit of ${r.dir}`, `  compose: ${r.compose}   options: ${r.options ?? '(none)'}`];
  for (const sev of SEVERITIES) {
    const list = r.findings.filter((f) => f.severity === sev);
    if (!list.length) continue;
    lines.push('', `${HEADINGS[sev]} (${list.length})`);
    for (const f of list) {
      lines.push(`  [${f.rule}] ${location(f)}${f.service ? `  (service ${f.service})` : ''}`);
      lines.push(...block('', f.message, width));
      lines.push(...block('why: ', f.why, width));
      lines.push(...block('fix: ', f.fix, width));
      const ref = refs(f);
      if (ref) lines.push(`    see: ${ref}`);
    }
  }
  if (!r.findings.length) lines.push('', 'No findings.');
  lines.push('', summaryLine(r));
  // (a YAML line of a fix, a long path: nothing is wider than the terminal)
  return lines.flatMap((l) => fitLine(l, width));
}
