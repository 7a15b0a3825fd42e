// The Kubernetes target: plain manifests in a kustomize folder (the installation folder itself, so the
// secretGenerator may read .secrets/ without leaving it): kustomization.yaml plus kubernetes/*.yaml.
// Passwords live only in .secrets/ (0700, files 0600); kustomize turns them into Secrets at apply time,
// mounted into the pods as files. Nothing here can be checked against a cluster: the manifests are
// validated offline (see check.ts and the tests).

import { isIP } from 'node:net';
import path from 'node:path';
import { parseAllDocuments } from 'yaml';
import { gitignoreContent, type Message, type Plan, type PlanInput, type PlannedDir } from '../../plan.js';
import type { Answers } from '../../questions.js';
import { renderYaml } from '../../render.js';
import type { TargetState } from '../../state.js';
import { shellQuote, termWidth, wrapCommand } from '../../text.js';
import { metaOk, plannedFile, secretContent } from '../files.js';
import { installationModel } from '../model.js';
import { PHOTOPRISM_INIT_CAPS } from '../../audit/rules/least-privilege.js';
import type { OutputTarget } from '../types.js';

export const KUSTOMIZATION = 'kustomization.yaml';
export const MANIFEST_DIR = 'kubernetes';
/** what PhotoPrism's root phase needs (PHOTOPRISM_UID mode); all of them are in PodSecurity "baseline"'s list */
export const ROOT_PHASE_CAPS = [...PHOTOPRISM_INIT_CAPS].sort();

/** The PodSecurity level the chosen mode allows: "restricted" only when PhotoPrism never runs as root. */
export function podSecurityLevel(a: Pick<Answers, 'userMode'>): 'restricted' | 'baseline' {
  return a.userMode === 'user' ? 'restricted' : 'baseline';
}

/** The Ingress host and path, when the site URL names a domain (not localhost, not an IP address). */
export function ingressFor(siteUrl: string): { host: string; path: string; tls: boolean } | null {
  const u = new URL(siteUrl);
  const host = u.hostname;
  if (host === 'localhost' || host.endsWith('.localhost') || isIP(host.replace(/^\[|\]$/g, '')) || !host.includes('.')) return null;
  return { host, path: u.pathname || '/', tls: u.protocol === 'https:' };
}

function gpuLimits(a: Answers): Record<string, string> {
  switch (a.transcoding) {
    case 'intel':
    case 'vaapi':
      return { 'gpu.intel.com/i915': '1' };
    case 'nvidia':
      return { 'nvidia.com/gpu': '1' };
    default:
      return {};
  }
}

export function kubernetesPlan(input: PlanInput): Plan {
  const a = input.answers;
  const state = input.state;
  const m = installationModel(input);
  const level = podSecurityLevel(a);
  const restricted = level === 'restricted';
  const messages: Message[] = [];
  const ingress = ingressFor(a.siteUrl);
  const mounts = [
    { name: 'originals', path: '/photoprism/originals', claim: 'photoprism-originals', size: a.originalsSize, why: 'your photos and videos' },
    ...(a.importPath ? [{ name: 'import', path: '/photoprism/import', claim: 'photoprism-import', size: a.storageSize, why: 'files to import (the storage size)' }] : []),
    { name: 'storage', path: '/photoprism/storage', claim: 'photoprism-storage', size: a.storageSize, why: 'cache, thumbnails, sidecar files, backups' },
  ];
  const env: Record<string, string> = {
    ...(restricted ? {} : { PHOTOPRISM_INIT: a.initActions.join(' '), PHOTOPRISM_UID: String(a.uid), PHOTOPRISM_GID: String(a.gid) }),
    PHOTOPRISM_DISABLE_CHOWN: restricted ? 'true' : 'false',
    ...m.photoprismEnv,
    PHOTOPRISM_DISABLE_TLS: 'true', // TLS ends at the ingress
    PHOTOPRISM_ADMIN_PASSWORD_FILE: '/run/secrets/photoprism/admin-password',
    PHOTOPRISM_DATABASE_PASSWORD_FILE: '/run/secrets/photoprism/database-password',
    ...(m.nvidia ? { NVIDIA_VISIBLE_DEVICES: 'all', NVIDIA_DRIVER_CAPABILITIES: 'compute,video,utility' } : {}),
  };
  const common = { version: input.version, namespace: a.namespace, uid: a.uid, gid: a.gid, restricted, level, storageClass: a.storageClass };
  const manifests: [string, string, object][] = [
    ['namespace.yaml', 'Namespace with PodSecurity labels', {}],
    ['storage.yaml', 'PersistentVolumeClaims', { claims: mounts.map((x) => ({ name: x.claim, app: 'photoprism', size: x.size, why: x.why })) }],
    ['mariadb.yaml', 'MariaDB StatefulSet + Service', { mariadbCommand: m.mariadbCommand, mariadbEnv: m.mariadbEnv, databaseSize: a.databaseSize }],
    [
      'photoprism.yaml',
      'PhotoPrism Deployment + Service',
      { ingress: Boolean(ingress), image: 'photoprism/photoprism:latest', initLine: a.initActions.join(' '), env, caps: restricted ? [] : ROOT_PHASE_CAPS, gpuLimits: gpuLimits(a), mounts },
    ],
    ['network-policies.yaml', 'NetworkPolicies (default deny)', {}],
    ...(ingress ? ([['ingress.yaml', `Ingress for ${ingress.host}`, { siteUrl: a.siteUrl, ...ingress }]] as [string, string, object][]) : []),
  ];
  const files = manifests.map(([name, why, extra]) => {
    const rel = `${MANIFEST_DIR}/${name}`;
    return plannedFile(state, { path: rel, content: renderYaml(`kubernetes/${name}`, { ...common, ...extra }, { documents: 'many' }), mode: 0o644, owner: null, secret: false, why });
  });
  const kustomization = renderYaml('kubernetes/kustomization.yaml', {
    ...common,
    dir: state.dir,
    regenerate: input.regenerate,
    resources: manifests.map(([name]) => `${MANIFEST_DIR}/${name}`),
  });
  files.unshift(plannedFile(state, { path: KUSTOMIZATION, content: kustomization, mode: 0o644, owner: null, secret: false, why: 'kustomize entry (kubectl apply -k); Secrets generated from .secrets/' }));
  for (const s of m.secrets) {
    files.push(
      plannedFile(state, {
        path: s.file,
        content: secretContent(state, s.file, s.value),
        mode: 0o600,
        owner: null,
        secret: 'whole',
        why: `${s.key} (read by kustomize's secretGenerator)`,
        replaceSecrets: input.replaceSecrets,
      }),
    );
  }
  const gitignore = gitignoreContent(state.contents['.gitignore']);
  files.push(
    plannedFile(state, {
      path: '.gitignore',
      content: gitignore,
      mode: state.paths['.gitignore']?.exists ? state.paths['.gitignore'].mode & 0o777 : 0o644,
      owner: null,
      secret: false,
      why: 'keeps .secrets/ out of git',
    }),
  );
  const dirs: PlannedDir[] = [
    { path: MANIFEST_DIR, mode: 0o755, owner: null, policy: 'ensure', why: 'manifests (no passwords)', status: 'ok' },
    { path: '.secrets', mode: 0o700, owner: null, policy: 'ensure', why: 'password files for the secretGenerator', status: 'ok' },
  ].map((d) => {
    const info = state.paths[d.path];
    const status: PlannedDir['status'] = !info || !info.exists ? 'create' : metaOk(state, d.path, d.mode, d.owner) ? 'ok' : 'fix';
    return { ...d, status } as PlannedDir;
  });

  messages.push(
    restricted
      ? { level: 'info', text: `namespace ${a.namespace} enforces PodSecurity "restricted": PhotoPrism runs as ${a.uid}:${a.gid} ("user:" mode), MariaDB as 999:999, both non-root with every capability dropped` }
      : {
          level: 'info',
          text: `namespace ${a.namespace} enforces PodSecurity "baseline", not "restricted": in PHOTOPRISM_UID mode PhotoPrism's entrypoint starts as root (init actions, chown of storage) with ${ROOT_PHASE_CAPS.join(', ')}, which "restricted" forbids. --user-mode user gives "restricted" (and no init actions)`,
        },
  );
  if (restricted && a.initActions.length) {
    messages.push({ level: 'warn', text: `init actions (${a.initActions.join(' ')}) are not run: in "user:" mode they need sudo, which allowPrivilegeEscalation: false ("restricted") blocks` });
  }
  if (a.transcoding === 'raspberry') messages.push({ level: 'warn', text: 'raspberry transcoding needs /dev/video11, and no device plugin provides it: PhotoPrism falls back to software encoding (a hostPath device is not allowed by PodSecurity "baseline")' });
  else if (Object.keys(gpuLimits(a)).length) messages.push({ level: 'info', text: `${a.transcoding} transcoding asks for ${Object.keys(gpuLimits(a))[0]}: 1 (the GPU device plugin must run on the node)` });
  messages.push({ level: 'info', text: `originals${a.importPath ? ', import' : ''} and storage are PersistentVolumeClaims (${mounts.map((x) => `${x.claim} ${x.size}`).join(', ')}; mariadb ${a.databaseSize}) of ${a.storageClass ? `StorageClass ${a.storageClass}` : "the cluster's default StorageClass"}; the host paths (originalsPath, importPath) are not used by this target` });
  if (ingress) messages.push({ level: 'info', text: `Ingress for ${ingress.host}${ingress.path}${ingress.tls ? ' with TLS from the Secret photoprism-tls' : ' (plain HTTP: use an https:// site URL for TLS)'}` });
  else messages.push({ level: 'info', text: `no Ingress: the site URL ${a.siteUrl} names no domain; reach PhotoPrism with "kubectl -n ${a.namespace} port-forward svc/photoprism ${a.httpPort}:2342"` });
  messages.push({ level: 'info', text: '.secrets/ holds the passwords kustomize turns into Secrets: keep it out of git (it is in .gitignore) and back it up; the manifests hold none' });

  return {
    dir: state.dir,
    dirs,
    files,
    messages,
    secrets: [...new Set([a.adminPassword, a.databasePassword, a.databaseRootPassword, ...(input.knownSecrets ?? [])])].filter(Boolean),
  };
}

/** Answers an earlier run wrote into the manifests (a re-run keeps them). */
export function previousFromManifests(state: TargetState): Partial<Answers> {
  const out: Partial<Answers> = {};
  const docs = (rel: string) => {
    const t = state.contents[rel];
    if (t === undefined) return [];
    return parseAllDocuments(t).flatMap((d) => ('errors' in d && d.errors.length ? [] : [d.toJS() as Record<string, any>])).filter(Boolean);
  };
  const k = docs(KUSTOMIZATION)[0];
  if (typeof k?.namespace === 'string') out.namespace = k.namespace;
  const deploy = docs(`${MANIFEST_DIR}/photoprism.yaml`).find((d) => d.kind === 'Deployment');
  const pod = deploy?.spec?.template?.spec;
  const c = pod?.containers?.[0];
  if (c) {
    const env = Object.fromEntries((c.env ?? []).map((e: { name: string; value?: string }) => [e.name, e.value ?? '']));
    if (/^\d+$/.test(env.PHOTOPRISM_UID ?? '')) {
      out.userMode = 'photoprism-uid';
      out.uid = Number(env.PHOTOPRISM_UID);
      out.gid = Number(/^\d+$/.test(env.PHOTOPRISM_GID ?? '') ? env.PHOTOPRISM_GID : env.PHOTOPRISM_UID);
      out.initActions = String(env.PHOTOPRISM_INIT ?? '').split(/\s+/).filter(Boolean);
    } else if (typeof pod.securityContext?.runAsUser === 'number') {
      out.userMode = 'user';
      out.uid = pod.securityContext.runAsUser;
      out.gid = pod.securityContext.runAsGroup ?? pod.securityContext.runAsUser;
    }
    const init = deploy?.metadata?.annotations?.['photoprism-harden/init-actions'];
    if (typeof init === 'string') out.initActions = init.split(/\s+/).filter(Boolean);
    if (env.PHOTOPRISM_SITE_URL) out.siteUrl = env.PHOTOPRISM_SITE_URL;
    if (env.PHOTOPRISM_ADMIN_USER) out.adminUser = env.PHOTOPRISM_ADMIN_USER;
    if (env.PHOTOPRISM_FFMPEG_ENCODER) out.transcoding = env.PHOTOPRISM_FFMPEG_ENCODER as Answers['transcoding'];
    // (the host path means nothing here: an import volume exists or not)
    out.importPath = (pod.volumes ?? []).some((v: { name: string }) => v.name === 'import') ? './import' : '';
  }
  for (const d of docs(`${MANIFEST_DIR}/storage.yaml`)) {
    const size = d?.spec?.resources?.requests?.storage;
    if (d?.metadata?.name === 'photoprism-originals' && size) out.originalsSize = size;
    if (d?.metadata?.name === 'photoprism-storage' && size) out.storageSize = size;
    if (typeof d?.spec?.storageClassName === 'string') out.storageClass = d.spec.storageClassName;
  }
  const sts = docs(`${MANIFEST_DIR}/mariadb.yaml`).find((d) => d.kind === 'StatefulSet');
  const dbSize = sts?.spec?.volumeClaimTemplates?.[0]?.spec?.resources?.requests?.storage;
  if (dbSize) out.databaseSize = dbSize;
  return out;
}

export const kubernetesTarget: OutputTarget = {
  name: 'kubernetes',
  canApply: false,
  local: false,
  adaptState: (state) => state,
  previous: previousFromManifests,
  plan: kubernetesPlan,
  async check(o) {
    const { checkManifests } = await import('./check.js');
    return checkManifests(o);
  },
  // nothing is applied to a cluster by this tool: kubectl is the user's to run
  startCommand: () => null,
  cannotStart: () => null,
  async start({ out }) {
    out.err('--apply: the kubernetes target writes manifests only; apply them with "kubectl apply -k ." (nothing was started).');
    return false;
  },
  nextSteps({ plan, result, repeat, collected }) {
    const a = collected.answers;
    const ing = ingressFor(a.siteUrl);
    const lines: string[] = [];
    if (result?.backups.length) lines.push(`Backups of replaced files: ${result.backups.join(', ')}`);
    // a command too long for the terminal continues after " \\", so that it can be copied whole
    const cmd = (c: string) => wrapCommand(c, termWidth());
    lines.push(
      '',
      'Next steps (kubectl with access to your cluster):',
      ...cmd(`cd ${shellQuote(plan.dir)}`),
      '  (review what will be applied; the generated Secrets hold the passwords: do not paste it anywhere)',
      ...cmd('kubectl kustomize . | less'),
      ...cmd('kubectl apply -k .'),
      ...cmd(`kubectl -n ${a.namespace} rollout status statefulset/mariadb deployment/photoprism --timeout=20m`),
      ...(ing
        ? [`  then open ${a.siteUrl} and sign in as "${a.adminUser}"`]
        : [...cmd(`kubectl -n ${a.namespace} port-forward svc/photoprism ${a.httpPort}:2342`), `  then open http://localhost:${a.httpPort}/ and sign in as "${a.adminUser}"`]),
      `  (to see the admin password: sudo cat ${path.join('.secrets', 'admin_pwd.txt')})`,
      '',
      'After any later change: run photoprism-harden init again, then "kubectl apply -k ." (the passwords are kept).',
      '',
      'To repeat this setup without prompts (passwords are kept from the written files):',
      ...cmd(repeat),
    );
    return lines;
  },
  async audit(dir, facts, version, o) {
    const { auditKubernetes } = await import('./audit.js');
    return auditKubernetes(dir, facts, version, o);
  },
};
