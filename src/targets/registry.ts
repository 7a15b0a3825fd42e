// The output targets: one line each. A target is a folder under src/targets/ (its code) and, when it
// renders files, templates/<target>/. This file stays tiny: the question table and --help read the
// names from here at start-up, and a target's code is loaded only when it is used.

import type { OutputTarget } from './types.js';

export interface TargetEntry {
  name: string;
  /** one line for --help and the README */
  summary: string;
  /** a file (relative to the installation directory) whose presence says "this target wrote here" */
  marker: string | null;
  /** paths this target writes and reads back on a re-run (lstat-ed, and read when they are files) */
  paths: readonly string[];
  load(): Promise<OutputTarget>;
}

export const TARGET_REGISTRY = [
  { name: 'compose', summary: 'one host: docker-compose.yml, options.yml and .secrets/ (Docker Compose or Podman)', marker: null, paths: [], load: async () => (await import('./compose/index.js')).composeTarget },
  { name: 'swarm', summary: 'Docker Swarm: docker-stack.yml with Swarm secrets for every password (docker stack deploy)', marker: 'docker-stack.yml', paths: ['docker-stack.yml', '.secrets/admin_pwd.txt'], load: async () => (await import('./swarm/index.js')).swarmTarget },
  { name: 'kubernetes', summary: 'Kubernetes: plain manifests in a kustomize folder (kubectl apply -k), Secrets from files, NetworkPolicies', marker: 'kustomization.yaml', paths: ['kustomization.yaml', '.secrets/admin_pwd.txt', 'kubernetes', 'kubernetes/namespace.yaml', 'kubernetes/storage.yaml', 'kubernetes/mariadb.yaml', 'kubernetes/photoprism.yaml', 'kubernetes/network-policies.yaml', 'kubernetes/ingress.yaml'], load: async () => (await import('./kubernetes/index.js')).kubernetesTarget },
] as const satisfies readonly TargetEntry[];

export type TargetName = (typeof TARGET_REGISTRY)[number]['name'];
export const TARGET_NAMES: readonly TargetName[] = TARGET_REGISTRY.map((t) => t.name);

/** Every path any target reads back (state.ts reads them all; the plan of the chosen target uses its own). */
export const TARGET_PATHS: readonly string[] = [...new Set(TARGET_REGISTRY.flatMap((t) => t.paths))];

export function targetEntry(name: string): TargetEntry {
  const t = TARGET_REGISTRY.find((x) => x.name === name);
  if (!t) throw new Error(`internal: no target ${name}`);
  return t;
}

/** The target an earlier run wrote in this folder, judged from the files it left (compose when none). */
export function detectTarget(exists: (rel: string) => boolean): TargetName {
  for (const t of TARGET_REGISTRY) if (t.marker && exists(t.marker)) return t.name;
  return 'compose';
}

export async function loadTarget(name: string): Promise<OutputTarget> {
  return targetEntry(name).load();
}
