// The audit report as SARIF 2.1.0 (OASIS static analysis results format), for code-scanning tools:
// one run, one reportingDescriptor per rule that was checked, one result per finding, locations
// relative to the installation folder (uriBaseId INSTALLDIR). Built from the same Report as --json,
// so it holds no password either.

import { pathToFileURL } from 'node:url';
import path from 'node:path';
import type { Report } from './report.js';
import type { Rule, Severity } from './types.js';

export const SARIF_SCHEMA = 'https://json.schemastore.org/sarif-2.1.0.json';
export const INFORMATION_URI = 'https://github.com/photoprism/photoprism/tree/develop/docs';

const LEVEL: Record<Severity, 'error' | 'warning' | 'note'> = { error: 'error', warning: 'warning', info: 'note' };

/** A relative path as a URI reference (each segment percent-encoded). */
function relUri(rel: string): string {
  return rel.split(path.sep).map(encodeURIComponent).join('/');
}

export function toSarif(report: Report, rules: readonly Rule[]): Record<string, unknown> {
  const index = new Map(rules.map((r, i) => [r.id, i]));
  const dirUri = pathToFileURL(report.dir.endsWith('/') ? report.dir : `${report.dir}/`).href;
  return {
    $schema: SARIF_SCHEMA,
    version: '2.1.0',
    runs: [
      {
        tool: {
          driver: {
            name: 'photoprism-harden',
            version: report.version,
            semanticVersion: report.version,
            informationUri: INFORMATION_URI,
            rules: rules.map((r) => ({
              id: r.id,
              name: r.id
                .split('-')
                .map((w) => w[0]!.toUpperCase() + w.slice(1))
                .join(''),
              shortDescription: { text: r.title },
              fullDescription: { text: r.why },
              defaultConfiguration: { level: LEVEL[r.severity] },
              properties: { ...(r.kics ? { kics: r.kics } : {}), ...(r.cis ? { cis: `CIS Docker Benchmark ${r.cis}` } : {}), tags: ['security'] },
            })),
          },
        },
        originalUriBaseIds: { INSTALLDIR: { uri: dirUri } },
        results: report.findings.map((f) => {
          const abs = path.isAbsolute(f.file);
          const region = f.line ? { region: { startLine: f.line, ...(f.column ? { startColumn: f.column } : {}) } } : {};
          return {
            ruleId: f.rule,
            ...(index.has(f.rule) ? { ruleIndex: index.get(f.rule) } : {}),
            level: LEVEL[f.severity],
            message: { text: `${f.message}\nFix: ${f.fix}` },
            locations: [
              {
                physicalLocation: {
                  artifactLocation: abs ? { uri: pathToFileURL(f.file).href } : { uri: relUri(f.file), uriBaseId: 'INSTALLDIR' },
                  ...region,
                },
                ...(f.service ? { logicalLocations: [{ name: f.service, kind: 'module' }] } : {}),
              },
            ],
            properties: { why: f.why, fix: f.fix, ...(f.service ? { service: f.service } : {}) },
          };
        }),
        properties: { summary: report.summary, compose: report.compose, options: report.options },
      },
    ],
  };
}
