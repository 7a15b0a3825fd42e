// `audit` of a Kubernetes installation (kustomization.yaml + the manifests it lists): the rules that
// apply to pods, with the ids, severities and texts of the compose audit where the risk is the same
// (password-in-environment, runs-as-root, privileged, no-new-privileges-missing, sensitive-host-mount,
// host-network/pid/ipc, seccomp-unconfined, image-latest-tag, secrets-dir-mode, secret-file-readable),
// and rules of its own where Kubernetes has its own control (capabilities, NetworkPolicy, Secrets in
// manifests). The report has the compose audit's format.

import path from 'node:path';
import { LineCounter, parseAllDocuments } from 'yaml';
import { isSecretName, realFs, type FsView } from '../../audit/load.js';
import { scrubber, type Report } from '../../audit/report.js';
import { RULES } from '../../audit/rules/index.js';
import { MARIADB_INIT_CAPS, PHOTOPRISM_INIT_CAPS } from '../../audit/rules/least-privilege.js';
import type { Finding, Rule, Severity } from '../../audit/types.js';
import type { HostFacts } from '../../host.js';
import { KUSTOMIZATION } from './index.js';

export interface KubeObject {
  file: string;
  line: number;
  data: Record<string, any>;
}

/** A rule's description without its compose check (the checks here read manifests) */
export type KubeRule = Omit<Rule, 'check'>;

/** Rules only the Kubernetes (and Swarm) audit has. */
export const KUBE_RULES: readonly KubeRule[] = [
  {
    id: 'capabilities-not-dropped',
    severity: 'warning',
    title: 'A container keeps Linux capabilities it does not need (no drop ALL, or capabilities added beyond what its entrypoint needs)',
    why: 'every capability left is a kernel privilege an attacker in the container can use (CAP_NET_RAW spoofs traffic, CAP_SYS_ADMIN is nearly root)',
    kics: 'Containers Without Drop All Capabilities',
  },
  {
    id: 'network-policy-missing',
    severity: 'error',
    title: 'No default-deny NetworkPolicy in the namespace (or no policy admitting PhotoPrism -> MariaDB only)',
    why: 'without a NetworkPolicy every pod in the cluster can reach MariaDB on 3306 and PhotoPrism can reach every other service',
  },
  {
    id: 'secret-in-manifest',
    severity: 'error',
    title: 'A Secret with its values is written in a manifest file',
    why: 'manifests get committed, copied and pasted: a password in one is a password in git history',
  },
];

const ROOT_PHASE = new Set<string>([...PHOTOPRISM_INIT_CAPS, ...MARIADB_INIT_CAPS]);

function meta(id: string): KubeRule {
  const r = RULES.find((x) => x.id === id) ?? KUBE_RULES.find((x) => x.id === id);
  if (!r) throw new Error(`internal: no rule ${id}`);
  return { id: r.id, severity: r.severity, title: r.title, why: r.why, kics: r.kics, cis: r.cis };
}

type Raw = { rule: string; file: string; line: number; service: string | null; message: string; fix: string };

export function kubeFindings(objects: KubeObject[], secretsDir: { mode: number; files: { rel: string; mode: number }[] } | null): Raw[] {
  const out: Raw[] = [];
  const pods = objects.flatMap((o) => {
    const kind = o.data.kind;
    const spec = kind === 'Pod' ? o.data.spec : ['Deployment', 'StatefulSet', 'DaemonSet', 'ReplicaSet', 'Job'].includes(kind) ? o.data.spec?.template?.spec : kind === 'CronJob' ? o.data.spec?.jobTemplate?.spec?.template?.spec : null;
    return spec ? [{ o, spec, name: `${kind} ${o.data.metadata?.name}` }] : [];
  });
  for (const { o, spec, name } of pods) {
    const add = (rule: string, message: string, fix: string, service: string | null = name) => out.push({ rule, file: o.file, line: o.line, service, message, fix });
    const psc = spec.securityContext ?? {};
    for (const [field, rule] of [['hostNetwork', 'host-network'], ['hostPID', 'host-pid'], ['hostIPC', 'host-ipc']] as const) {
      if (spec[field] === true) add(rule, `${name} sets ${field}: true`, `delete ${field}`);
    }
    for (const v of spec.volumes ?? []) {
      if (v.hostPath) add('sensitive-host-mount', `${name} mounts the host path ${v.hostPath.path} (volume ${v.name})`, 'use a PersistentVolumeClaim instead of hostPath (PodSecurity "baseline" forbids hostPath)');
    }
    if (psc.seccompProfile?.type === 'Unconfined') add('seccomp-unconfined', `${name} sets seccompProfile Unconfined`, 'seccompProfile: { type: RuntimeDefault }');
    for (const c of [...(spec.initContainers ?? []), ...(spec.containers ?? [])]) {
      const cname = `${name}, container ${c.name}`;
      const sc = c.securityContext ?? {};
      for (const e of c.env ?? []) {
        if (!isSecretName(e.name) || /_FILE$/.test(e.name)) continue;
        if ((e.value ?? '') !== '' || e.valueFrom?.secretKeyRef) {
          add('password-in-environment', `${e.name} holds a password in the environment of ${cname}${e.valueFrom ? ' (from a Secret, but still an environment variable)' : ''}`, `mount the Secret as a volume and set ${e.name}_FILE to the file's path`);
        }
      }
      for (const f of c.envFrom ?? []) {
        if (f.secretRef) add('password-in-environment', `${cname} imports Secret ${f.secretRef.name} into its environment (envFrom)`, 'mount the Secret as a volume and point the *_FILE variables at its files');
      }
      if (sc.privileged === true) add('privileged', `${cname} has privileged: true`, 'delete privileged: true');
      if (sc.allowPrivilegeEscalation !== false) add('no-new-privileges-missing', `${cname} does not set allowPrivilegeEscalation: false`, 'securityContext:\n  allowPrivilegeEscalation: false');
      const drop: string[] = (sc.capabilities?.drop ?? []).map(String);
      const added: string[] = (sc.capabilities?.add ?? []).map(String);
      if (!drop.includes('ALL')) add('capabilities-not-dropped', `${cname} does not drop ALL capabilities`, 'securityContext:\n  capabilities:\n    drop: ["ALL"]');
      const extra = added.filter((x) => !ROOT_PHASE.has(x.replace(/^CAP_/, '')));
      if (extra.length) add('capabilities-not-dropped', `${cname} adds ${extra.join(', ')}`, `remove ${extra.join(', ')} from capabilities.add`);
      if (sc.seccompProfile?.type === 'Unconfined') add('seccomp-unconfined', `${cname} sets seccompProfile Unconfined`, 'seccompProfile: { type: RuntimeDefault }');
      const user = sc.runAsUser ?? psc.runAsUser;
      const nonRoot = (sc.runAsNonRoot ?? psc.runAsNonRoot) === true;
      const env = new Map((c.env ?? []).map((e: { name: string; value?: string }) => [e.name, e.value]));
      const isPhotoprism = /photoprism\/photoprism/.test(String(c.image ?? ''));
      const drops = isPhotoprism && /^\d+$/.test(String(env.get('PHOTOPRISM_UID') ?? '')) && env.get('PHOTOPRISM_UID') !== '0';
      if (!nonRoot && (user === undefined || user === 0) && isPhotoprism && !drops) {
        add('runs-as-root', `${cname} runs as root: no runAsUser / runAsNonRoot and no PHOTOPRISM_UID`, 'securityContext:\n  runAsNonRoot: true\n  runAsUser: <uid>\n  runAsGroup: <gid>\n(or PHOTOPRISM_UID/PHOTOPRISM_GID, which drop root after the init)');
      }
      if (/:latest$|^[^:@]+$/.test(String(c.image ?? ''))) add('image-latest-tag', `${cname} uses ${c.image}`, 'pin a release tag (photoprism/photoprism:YYMMDD, mariadb:11.x)');
    }
  }
  const policies = objects.filter((o) => o.data.kind === 'NetworkPolicy');
  const denyAll = policies.some((p) => Object.keys(p.data.spec?.podSelector ?? {}).every((k) => Object.keys(p.data.spec.podSelector[k] ?? {}).length === 0) && (p.data.spec?.policyTypes ?? []).includes('Ingress') && (p.data.spec?.policyTypes ?? []).includes('Egress') && !p.data.spec?.ingress && !p.data.spec?.egress);
  const ns = objects.find((o) => o.data.kind === 'Namespace') ?? objects[0];
  if (!denyAll) out.push({ rule: 'network-policy-missing', file: ns?.file ?? KUSTOMIZATION, line: ns?.line ?? 1, service: null, message: 'no NetworkPolicy denies all ingress and egress by default (podSelector: {}, policyTypes Ingress and Egress, no rules)', fix: 'add a default-deny NetworkPolicy and allow only PhotoPrism -> MariaDB 3306, ingress to PhotoPrism 2342 and DNS (photoprism-harden init --target kubernetes writes them)' });
  const dbIngress = policies.some((p) => p.data.spec?.podSelector?.matchLabels?.['app.kubernetes.io/name'] === 'mariadb' && (p.data.spec?.ingress ?? []).length > 0);
  if (denyAll && !dbIngress && pods.some((p) => p.o.data.metadata?.name === 'mariadb')) out.push({ rule: 'network-policy-missing', file: ns?.file ?? KUSTOMIZATION, line: ns?.line ?? 1, service: null, message: 'no NetworkPolicy admits PhotoPrism to MariaDB on 3306: the default deny also blocks the database', fix: 'a NetworkPolicy for the mariadb pods with ingress from the photoprism pods on TCP 3306' });
  for (const o of objects) {
    if (o.data.kind === 'Secret' && (o.data.data || o.data.stringData)) out.push({ rule: 'secret-in-manifest', file: o.file, line: o.line, service: null, message: `Secret ${o.data.metadata?.name} is written with its values in ${o.file}`, fix: 'keep the values in .secrets/ (0700, files 0600, in .gitignore) and generate the Secret with a kustomize secretGenerator' });
  }
  if (secretsDir) {
    if ((secretsDir.mode & 0o077) !== 0) out.push({ rule: 'secrets-dir-mode', file: '.secrets', line: 0, service: null, message: `.secrets has mode ${secretsDir.mode.toString(8).padStart(4, '0')}`, fix: 'chmod 700 .secrets' });
    for (const f of secretsDir.files) if ((f.mode & 0o077) !== 0) out.push({ rule: 'secret-file-readable', file: f.rel, line: 0, service: null, message: `${f.rel} has mode ${f.mode.toString(8).padStart(4, '0')}: others can read the password`, fix: `chmod 600 ${f.rel}` });
  }
  return out;
}

/** Parse the kustomization and every manifest it lists (through an FsView, so a dry run audits the plan). */
export async function loadManifests(dir: string, fs: FsView): Promise<{ objects: KubeObject[]; texts: string[] }> {
  const objects: KubeObject[] = [];
  const texts: string[] = [];
  const read = async (rel: string) => {
    const text = await fs.readFile(path.join(dir, rel));
    texts.push(text);
    const lc = new LineCounter();
    for (const d of parseAllDocuments(text, { lineCounter: lc })) {
      if ('errors' in d && d.errors.length) throw new Error(`${rel}: not valid YAML: ${d.errors[0]!.message.split('\n')[0]}`);
      const data = d.toJS();
      if (data && typeof data === 'object') objects.push({ file: rel, line: d.contents ? lc.linePos(d.contents.range[0]).line : 1, data: data as Record<string, any> });
    }
  };
  await read(KUSTOMIZATION);
  const k = objects.pop()!.data as { resources?: string[] };
  for (const r of k.resources ?? []) await read(r);
  return { objects, texts };
}

export async function auditKubernetes(dir: string, _facts: HostFacts, version: string, o: { fs?: FsView; env?: NodeJS.ProcessEnv }): Promise<Report> {
  const fs = o.fs ?? realFs;
  const abs = path.resolve(dir);
  const { objects } = await loadManifests(abs, fs);
  const sd = await fs.stat(path.join(abs, '.secrets'));
  let secretsDir: { mode: number; files: { rel: string; mode: number }[] } | null = null;
  const secretValues: string[] = [];
  if (sd?.isDir) {
    const files: { rel: string; mode: number }[] = [];
    for (const n of (await fs.readdir(path.join(abs, '.secrets'))) ?? []) {
      const p = path.join(abs, '.secrets', n);
      const st = await fs.stat(p);
      if (!st || st.isDir) continue;
      files.push({ rel: `.secrets/${n}`, mode: st.mode });
      secretValues.push((await fs.readFile(p)).replace(/\n+$/, ''));
    }
    secretsDir = { mode: sd.mode, files };
  }
  const scrub = scrubber(secretValues);
  const rules = [...new Set(['password-in-environment', 'runs-as-root', 'privileged', 'no-new-privileges-missing', 'sensitive-host-mount', 'host-network', 'host-pid', 'host-ipc', 'seccomp-unconfined', 'image-latest-tag', 'secrets-dir-mode', 'secret-file-readable', ...KUBE_RULES.map((r) => r.id)])].map(meta);
  const order: Record<Severity, number> = { error: 0, warning: 1, info: 2 };
  const findings: Finding[] = kubeFindings(objects, secretsDir)
    .map((f) => {
      const r = meta(f.rule);
      return { rule: r.id, severity: r.severity, title: r.title, file: f.file, line: f.line || null, column: null, service: f.service, message: scrub(f.message), why: scrub(r.why), fix: scrub(f.fix), kics: r.kics ?? null, cis: r.cis ?? null };
    })
    .sort((a, b) => order[a.severity] - order[b.severity] || (a.file < b.file ? -1 : a.file > b.file ? 1 : 0) || (a.line ?? 0) - (b.line ?? 0));
  const count = (s: Severity) => findings.filter((f) => f.severity === s).length;
  return {
    tool: 'photoprism-harden',
    version,
    dir: abs,
    compose: KUSTOMIZATION,
    options: null,
    summary: { error: count('error'), warning: count('warning'), info: count('info'), rules: rules.length, clean: count('error') === 0 },
    findings,
  };
}
