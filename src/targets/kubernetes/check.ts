// Kubernetes: read every written (or planned) manifest back and check what can be checked without a
// cluster: each document is an object with apiVersion, kind and a name in the chosen namespace, the
// kustomization lists exactly the manifests and reads its secretGenerator files from .secrets/, and no
// manifest holds a Secret or a password. (The tests validate the same files against the Kubernetes
// JSON schemas and the PodSecurity checks.)

import { promises as fsp } from 'node:fs';
import path from 'node:path';
import { parseAllDocuments } from 'yaml';
import type { CheckOptions } from '../types.js';
import { KUSTOMIZATION } from './index.js';

export function manifestProblems(files: { path: string; content: string }[], namespace: string): string[] {
  const problems: string[] = [];
  const byPath = new Map(files.map((f) => [f.path, f.content]));
  const kText = byPath.get(KUSTOMIZATION);
  if (kText === undefined) return [`${KUSTOMIZATION} is missing`];
  const k = parseAllDocuments(kText)[0]!;
  if ('errors' in k && k.errors.length) return [`${KUSTOMIZATION}: not valid YAML: ${k.errors[0]!.message.split('\n')[0]}`];
  const kd = k.toJS() as { kind?: string; namespace?: string; resources?: string[]; secretGenerator?: { files?: string[] }[] };
  if (kd.kind !== 'Kustomization') problems.push(`${KUSTOMIZATION}: kind must be Kustomization`);
  if (kd.namespace !== namespace) problems.push(`${KUSTOMIZATION}: namespace is ${JSON.stringify(kd.namespace)}, expected ${namespace}`);
  for (const g of kd.secretGenerator ?? []) {
    for (const f of g.files ?? []) {
      const src = f.split('=').pop()!;
      if (!src.startsWith('.secrets/')) problems.push(`${KUSTOMIZATION}: secretGenerator reads ${src}, outside .secrets/`);
      else if (!byPath.has(src)) problems.push(`${KUSTOMIZATION}: secretGenerator reads ${src}, which is not written`);
    }
  }
  for (const r of kd.resources ?? []) {
    const text = byPath.get(r);
    if (text === undefined) {
      problems.push(`${KUSTOMIZATION}: resource ${r} is not written`);
      continue;
    }
    for (const [i, d] of parseAllDocuments(text).entries()) {
      if ('errors' in d && d.errors.length) {
        problems.push(`${r}: document ${i + 1} is not valid YAML: ${d.errors[0]!.message.split('\n')[0]}`);
        continue;
      }
      const o = d.toJS() as { apiVersion?: string; kind?: string; metadata?: { name?: string; namespace?: string } } | null;
      if (o === null) continue;
      if (!o.apiVersion || !o.kind || !o.metadata?.name) problems.push(`${r}: document ${i + 1} lacks apiVersion, kind or metadata.name`);
      if (o.kind === 'Secret') problems.push(`${r}: holds a Secret (passwords belong in .secrets/, read by the secretGenerator)`);
      if (o.kind !== 'Namespace' && o.metadata?.namespace !== namespace) problems.push(`${r}: ${o.kind} ${o.metadata?.name} is not in namespace ${namespace}`);
      const env = JSON.stringify(o).match(/"name":"[A-Z_]*PASSWORD","value"/);
      if (env) problems.push(`${r}: a password variable has a value in ${o.kind} ${o.metadata?.name}`);
    }
  }
  return problems;
}

export async function checkManifests(o: CheckOptions): Promise<number> {
  const files = await Promise.all(
    o.plan.files.map(async (f) => ({ path: f.path, content: o.written ? await fsp.readFile(path.join(o.plan.dir, f.path), 'utf8') : f.content })),
  );
  const ns = (/^namespace: "([^"]+)"/m.exec(files.find((f) => f.path === KUSTOMIZATION)?.content ?? '') ?? [])[1] ?? '';
  const problems = manifestProblems(files, ns);
  if (problems.length) {
    o.out.err('');
    o.out.err(`The Kubernetes manifests do not read back as written${o.written ? ' (the files are written)' : ''}:`);
    for (const p of problems) o.out.err(`  ${p}`);
    return 1;
  }
  const n = files.filter((f) => f.path.startsWith('kubernetes/')).length;
  o.out.out(`Validated: ${KUSTOMIZATION} and ${n} manifests read back (objects, namespace, Secrets only from .secrets/). No cluster was contacted: run "kubectl apply -k . --dry-run=server" against yours to have it check them.`);
  return 0;
}
