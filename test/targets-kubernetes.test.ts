// The kubernetes target: every manifest validated offline against the Kubernetes JSON schemas
// (kubernetes-models 4.x, ajv), the PodSecurity levels checked as the admission controller states them
// (test/helpers/pod-security.ts), Secrets only from .secrets/ files, NetworkPolicies, Ingress, audit,
// and a re-run that keeps answers and passwords. No cluster runs here.

import { describe, expect, test } from '@jest/globals';
import { existsSync, promises as fsp, statSync } from 'node:fs';
import path from 'node:path';
import { Deployment, StatefulSet } from 'kubernetes-models/apps/v1';
import { Namespace, PersistentVolumeClaim, Service } from 'kubernetes-models/v1';
import { Ingress, NetworkPolicy } from 'kubernetes-models/networking.k8s.io/v1';
import { parseAllDocuments, parse as parseYaml } from 'yaml';
import { auditKubernetes, kubeFindings } from '../src/targets/kubernetes/audit.js';
import { manifestProblems } from '../src/targets/kubernetes/check.js';
import { ingressFor, kubernetesPlan, podSecurityLevel } from '../src/targets/kubernetes/index.js';
import { FixtureHost } from './helpers/fixture-host.js';
import { runInit } from '../src/init.js';
import { Output } from '../src/output.js';
import type { Plan } from '../src/plan.js';
import type { Preflight } from '../src/preflight.js';
import { TRANSCODINGS, USER_MODES } from '../src/domain.js';
import { fakeFacts, planInput, validAnswers } from './fixtures/unit-fakes.js';
import { podOf, podSecurityViolations } from './helpers/pod-security.js';
import { Sink } from './helpers/sink.js';
import { scratchDirs } from './helpers/tmp.js';

const MODELS: Record<string, new (o: any) => { validate(): void }> = {
  'v1/Namespace': Namespace,
  'v1/PersistentVolumeClaim': PersistentVolumeClaim,
  'v1/Service': Service,
  'apps/v1/Deployment': Deployment,
  'apps/v1/StatefulSet': StatefulSet,
  'networking.k8s.io/v1/NetworkPolicy': NetworkPolicy,
  'networking.k8s.io/v1/Ingress': Ingress,
};

type Obj = Record<string, any>;

function objects(plan: Plan): { file: string; o: Obj }[] {
  return plan.files
    .filter((f) => f.path.startsWith('kubernetes/'))
    .flatMap((f) => parseAllDocuments(f.content).map((d) => ({ file: f.path, o: d.toJS() as Obj })))
    .filter((x) => x.o);
}

const kplan = (over: Parameters<typeof validAnswers>[0] = {}) => kubernetesPlan(planInput(validAnswers({ target: 'kubernetes', ...over })));

const variants = USER_MODES.flatMap((userMode) =>
  TRANSCODINGS.flatMap((transcoding) =>
    ['http://localhost:2342/', 'https://photos.example.com/', 'http://photos.example.com/sub/'].map((siteUrl) => ({ userMode, transcoding, siteUrl, importPath: siteUrl.includes('sub') ? './import' : '' })),
  ),
);

describe('kubernetes manifests against the Kubernetes JSON schemas (kubernetes-models 4.x)', () => {
  test('the schema validation can fail (a wrong type is rejected)', () => {
    expect(() => new Deployment({ metadata: { name: 'x' }, spec: { replicas: 'one' } } as never).validate()).toThrow();
    expect(() => new NetworkPolicy({ metadata: { name: 'x' }, spec: { podSelector: {}, policyTypes: 'Ingress' } } as never).validate()).toThrow();
  });

  test.each(variants)('%o: every object validates, and only known kinds are written', (v) => {
    const plan = kplan({ ...v, initActions: v.userMode === 'user' ? [] : ['update'] });
    const objs = objects(plan);
    expect(objs.length).toBeGreaterThanOrEqual(11);
    for (const { file, o } of objs) {
      const Model = MODELS[`${o.apiVersion}/${o.kind}`];
      expect({ file, kind: o.kind, known: Boolean(Model) }).toEqual({ file, kind: o.kind, known: true });
      expect(() => new Model!(o).validate()).not.toThrow();
    }
    expect(objs.filter((x) => x.o.kind === 'Ingress')).toHaveLength(ingressFor(v.siteUrl) ? 1 : 0);
    expect(manifestProblems(plan.files, 'photoprism')).toEqual([]);
  });
});

describe('PodSecurity admission (checks as in kubernetes/pod-security-admission)', () => {
  test('the checks forbid what the controller forbids', () => {
    const pod = (spec: Obj) => ({ metadata: {}, spec: { containers: [{ name: 'c', image: 'x', ...spec }] } });
    expect(podSecurityViolations('baseline', pod({ securityContext: { privileged: true } })).map((x) => x.reason)).toEqual(['privileged']);
    expect(podSecurityViolations('baseline', pod({ securityContext: { capabilities: { add: ['NET_RAW'] } } })).map((x) => x.reason)).toEqual(['non-default capabilities']);
    expect(podSecurityViolations('baseline', { metadata: {}, spec: { hostNetwork: true, containers: [], volumes: [{ name: 'h', hostPath: { path: '/' } }] } }).map((x) => x.reason)).toEqual([
      'host namespaces',
      'hostPath volumes',
    ]);
    expect(podSecurityViolations('restricted', pod({})).map((x) => x.reason).sort()).toEqual(
      ['allowPrivilegeEscalation != false', 'runAsNonRoot != true', 'seccompProfile', 'unrestricted capabilities'].sort(),
    );
    const good = pod({ securityContext: { runAsNonRoot: true, allowPrivilegeEscalation: false, capabilities: { drop: ['ALL'], add: ['NET_BIND_SERVICE'] }, seccompProfile: { type: 'RuntimeDefault' } } });
    expect(podSecurityViolations('restricted', good)).toEqual([]);
    expect(podSecurityViolations('restricted', { ...good, spec: { ...good.spec, securityContext: { runAsUser: 0 } } }).map((x) => x.reason)).toEqual(['runAsUser=0']);
  });

  test.each(variants)('%o: the namespace enforces the strictest level every pod meets', (v) => {
    const objs = objects(kplan(v)).map((x) => x.o);
    const ns = objs.find((o) => o.kind === 'Namespace')!;
    const level = podSecurityLevel(v);
    expect(ns.metadata.labels['pod-security.kubernetes.io/enforce']).toBe(level);
    expect(level).toBe(v.userMode === 'user' ? 'restricted' : 'baseline');
    for (const o of objs) {
      const pod = podOf(o);
      if (!pod) continue;
      expect({ name: o.metadata.name, violations: podSecurityViolations(level, pod) }).toEqual({ name: o.metadata.name, violations: [] });
      // MariaDB meets "restricted" in either mode
      if (o.metadata.name === 'mariadb') expect(podSecurityViolations('restricted', pod)).toEqual([]);
    }
  });

  test('PHOTOPRISM_UID mode cannot be "restricted": the root start and its capabilities are why', () => {
    const dep = objects(kplan({ userMode: 'photoprism-uid' })).find((x) => x.o.kind === 'Deployment')!.o;
    expect(podSecurityViolations('restricted', podOf(dep)!).map((x) => x.check).sort()).toEqual(['capabilities_restricted', 'runAsNonRoot', 'runAsUser']);
    const ns = kplan({ userMode: 'photoprism-uid' }).files.find((f) => f.path === 'kubernetes/namespace.yaml')!.content;
    expect(ns).toContain('"baseline", not "restricted"');
  });

  test('"user:" mode: full securityContext, fsGroup with OnRootMismatch, and no init actions (sudo is blocked)', () => {
    const plan = kplan({ userMode: 'user', uid: 2001, gid: 2002, initActions: ['update'] });
    const dep = objects(plan).find((x) => x.o.kind === 'Deployment')!.o;
    const spec = dep.spec.template.spec;
    expect(spec.securityContext).toEqual({ runAsNonRoot: true, runAsUser: 2001, runAsGroup: 2002, fsGroup: 2002, fsGroupChangePolicy: 'OnRootMismatch', seccompProfile: { type: 'RuntimeDefault' } });
    const c = spec.containers[0];
    expect(c.securityContext).toMatchObject({ allowPrivilegeEscalation: false, capabilities: { drop: ['ALL'] } });
    expect(c.securityContext.capabilities.add).toBeUndefined();
    expect(c.env.map((e: Obj) => e.name)).not.toContain('PHOTOPRISM_INIT');
    expect(plan.messages.map((m) => m.text).join('\n')).toMatch(/init actions \(update\) are not run/);
    for (const p of ['startupProbe', 'readinessProbe', 'livenessProbe']) expect(c[p].httpGet).toEqual({ path: '/api/v1/status', port: 'http' });
    expect(c.startupProbe.failureThreshold * c.startupProbe.periodSeconds).toBeGreaterThanOrEqual(600);
    expect(c.resources.requests).toBeDefined();
    const db = objects(plan).find((x) => x.o.kind === 'StatefulSet')!.o.spec.template.spec.containers[0];
    expect(db.securityContext.readOnlyRootFilesystem).toBe(true);
  });
});

describe('passwords: files only, never the environment, never a manifest', () => {
  test.each(USER_MODES)('%s: Secrets come from the 0600 files in .secrets/ and are mounted as files', (userMode) => {
    const a = validAnswers({ target: 'kubernetes', userMode });
    const plan = kubernetesPlan(planInput(a));
    const manifests = plan.files.filter((f) => !f.path.startsWith('.secrets/'));
    for (const f of manifests) for (const s of [a.adminPassword, a.databasePassword, a.databaseRootPassword]) expect(f.content.includes(s)).toBe(false);
    for (const f of plan.files.filter((f) => f.path.startsWith('.secrets/'))) expect({ path: f.path, mode: f.mode, secret: f.secret }).toEqual({ path: f.path, mode: 0o600, secret: 'whole' });
    expect(plan.dirs.find((d) => d.path === '.secrets')!.mode).toBe(0o700);
    const k = parseYaml(plan.files.find((f) => f.path === 'kustomization.yaml')!.content) as Obj;
    expect(k.secretGenerator.flatMap((g: Obj) => g.files)).toEqual([
      'admin-password=.secrets/admin_pwd.txt',
      'database-password=.secrets/db_pwd.txt',
      'database-password=.secrets/db_pwd.txt',
      'root-password=.secrets/db_root_pwd.txt',
    ]);
    for (const { o } of objects(plan)) {
      expect(o.kind).not.toBe('Secret');
      const pod = podOf(o);
      if (!pod) continue;
      for (const c of pod.spec.containers) {
        expect(c.envFrom).toBeUndefined();
        for (const e of c.env) {
          expect(e.valueFrom).toBeUndefined();
          if (/PASSWORD/.test(e.name)) expect(e.name).toMatch(/_FILE$/);
        }
      }
      expect(pod.spec.volumes.filter((v: Obj) => v.secret).map((v: Obj) => v.secret.defaultMode)).toEqual([0o440]);
    }
    expect(plan.files.find((f) => f.path === '.gitignore')!.content).toContain('.secrets/');
  });
});

describe('network policies, volumes and ingress', () => {
  test('default deny, DNS, PhotoPrism -> MariaDB 3306, ingress only to PhotoPrism 2342', () => {
    const pols = objects(kplan()).filter((x) => x.o.kind === 'NetworkPolicy').map((x) => x.o);
    const byName = Object.fromEntries(pols.map((p) => [p.metadata.name, p.spec]));
    expect(byName['default-deny']).toEqual({ podSelector: {}, policyTypes: ['Ingress', 'Egress'] });
    expect(byName['allow-dns'].egress[0].ports.map((p: Obj) => `${p.protocol}/${p.port}`)).toEqual(['UDP/53', 'TCP/53']);
    expect(byName['mariadb-from-photoprism'].ingress).toEqual([{ from: [{ podSelector: { matchLabels: { 'app.kubernetes.io/name': 'photoprism' } } }], ports: [{ protocol: 'TCP', port: 3306 }] }]);
    expect(byName['photoprism-ingress'].ingress).toEqual([{ ports: [{ protocol: 'TCP', port: 2342 }] }]);
    expect(byName['photoprism-egress'].egress[0]).toEqual({ to: [{ podSelector: { matchLabels: { 'app.kubernetes.io/name': 'mariadb' } } }], ports: [{ protocol: 'TCP', port: 3306 }] });
    // only PhotoPrism and MariaDB are selected by any allow rule
    const selected = pols.map((p) => p.spec.podSelector.matchLabels?.['app.kubernetes.io/name'] ?? '*');
    expect(new Set(selected)).toEqual(new Set(['*', 'photoprism', 'mariadb']));
  });

  test('storage class and sizes from the answers; defaults otherwise', () => {
    const withClass = objects(kplan({ storageClass: 'longhorn', originalsSize: '2Ti', storageSize: '80Gi', databaseSize: '20Gi' }));
    const pvcs = withClass.filter((x) => x.o.kind === 'PersistentVolumeClaim').map((x) => [x.o.metadata.name, x.o.spec.storageClassName, x.o.spec.resources.requests.storage]);
    expect(pvcs).toEqual([
      ['photoprism-originals', 'longhorn', '2Ti'],
      ['photoprism-storage', 'longhorn', '80Gi'],
    ]);
    const sts = withClass.find((x) => x.o.kind === 'StatefulSet')!.o;
    expect(sts.spec.volumeClaimTemplates[0].spec).toMatchObject({ storageClassName: 'longhorn', resources: { requests: { storage: '20Gi' } } });
    const dflt = objects(kplan()).filter((x) => x.o.kind === 'PersistentVolumeClaim');
    expect(dflt.map((x) => x.o.spec.storageClassName)).toEqual([undefined, undefined]);
    expect(dflt.map((x) => x.o.spec.resources.requests.storage)).toEqual(['100Gi', '50Gi']);
  });

  test('an Ingress only for a site URL with a domain; TLS for https', () => {
    expect(ingressFor('http://localhost:2342/')).toBeNull();
    expect(ingressFor('http://192.168.1.5:2342/')).toBeNull();
    expect(ingressFor('https://photos.example.com/')).toEqual({ host: 'photos.example.com', path: '/', tls: true });
    const ing = objects(kplan({ siteUrl: 'https://photos.example.com/p/' })).find((x) => x.o.kind === 'Ingress')!.o;
    expect(ing.spec.rules[0]).toEqual({ host: 'photos.example.com', http: { paths: [{ path: '/p/', pathType: 'Prefix', backend: { service: { name: 'photoprism', port: { name: 'http' } } } }] } });
    expect(ing.spec.tls).toEqual([{ hosts: ['photos.example.com'], secretName: 'photoprism-tls' }]);
  });
});

describe('audit of Kubernetes manifests', () => {
  test('the generated manifests have no error; a typical chart has every finding', async () => {
    const plan = kplan({ userMode: 'user', initActions: [] });
    const found = kubeFindings(objects(plan).map(({ file, o }) => ({ file, line: 1, data: o })), null);
    expect(found.filter((f) => !['image-latest-tag'].includes(f.rule))).toEqual([]);
    const chart = [
      { kind: 'Namespace', metadata: { name: 'photos' } },
      {
        kind: 'Deployment',
        metadata: { name: 'photoprism' },
        spec: {
          template: {
            spec: {
              hostNetwork: true,
              volumes: [{ name: 'originals', hostPath: { path: '/mnt/photos' } }],
              containers: [
                {
                  name: 'photoprism',
                  image: 'photoprism/photoprism:latest',
                  env: [{ name: 'PHOTOPRISM_ADMIN_PASSWORD', value: 'please-change' }, { name: 'PHOTOPRISM_DATABASE_PASSWORD', valueFrom: { secretKeyRef: { name: 's', key: 'k' } } }],
                  envFrom: [{ secretRef: { name: 'photoprism-secrets' } }],
                  securityContext: { privileged: true, capabilities: { add: ['SYS_ADMIN'] } },
                },
              ],
            },
          },
        },
      },
      { kind: 'Secret', metadata: { name: 'photoprism-secrets' }, stringData: { PHOTOPRISM_ADMIN_PASSWORD: 'please-change' } },
    ].map((data) => ({ file: 'chart.yaml', line: 1, data }));
    const rules = [...new Set(kubeFindings(chart, null).map((f) => f.rule))].sort();
    expect(rules).toEqual(
      ['capabilities-not-dropped', 'host-network', 'image-latest-tag', 'network-policy-missing', 'no-new-privileges-missing', 'password-in-environment', 'privileged', 'runs-as-root', 'secret-in-manifest', 'sensitive-host-mount'].sort(),
    );
    expect(kubeFindings(chart, null).filter((f) => f.rule === 'password-in-environment')).toHaveLength(3);
    expect(JSON.stringify(kubeFindings(chart, null))).not.toContain('please-change');
  });
});

const scratch = scratchDirs('ph-k8s-');
const PF: Preflight = { engine: null, notFound: ['docker compose'], runtime: null, mapping: null, selinuxEnforcing: false, free: null, runtimeFree: null, notes: [] };

async function init(dir: string, flags: Record<string, unknown>): Promise<{ code: number; out: string; err: string }> {
  const out = new Sink();
  const err = new Sink();
  const code = await runInit({ dir, yes: true, dryRun: false, flags, version: '0.0.0-test', env: { HOME: '/root' }, out: new Output(out, err), probe: new FixtureHost(fakeFacts()), preflight: PF });
  return { code, out: out.text, err: err.text };
}

describe('init --target kubernetes (in-process)', () => {
  test('writes the folder with modes, audits clean, re-runs keep every answer and password, audit reads it', async () => {
    const dir = path.join(scratch(), 'k');
    const first = await init(dir, { target: 'kubernetes', userMode: 'user', uid: '2001', gid: '2001', initActions: '', storageClass: 'fast', siteUrl: 'https://photos.example.org/', namespace: 'pics' });
    expect(first.err).toBe('');
    expect(first.code).toBe(0);
    expect(first.out).toMatch(/audit: PASS/);
    expect(first.out).toContain('kubectl apply -k .');
    expect(statSync(path.join(dir, '.secrets')).mode & 0o777).toBe(0o700);
    for (const f of ['admin_pwd.txt', 'db_pwd.txt', 'db_root_pwd.txt']) expect(statSync(path.join(dir, '.secrets', f)).mode & 0o777).toBe(0o600);
    const before = await fsp.readFile(path.join(dir, '.secrets', 'db_pwd.txt'), 'utf8');
    // a re-run without flags: nothing changes (target, namespace, class, mode and passwords are read back)
    const again = await init(dir, {});
    expect(again.code).toBe(0);
    expect(again.out).toContain('Nothing to change');
    // a changed answer changes the manifests, never the passwords
    const changed = await init(dir, { databaseSize: '30Gi' });
    expect(changed.code).toBe(0);
    expect(await fsp.readFile(path.join(dir, 'kubernetes', 'mariadb.yaml'), 'utf8')).toContain('storage: "30Gi"');
    expect(await fsp.readFile(path.join(dir, '.secrets', 'db_pwd.txt'), 'utf8')).toBe(before);
    expect(await fsp.readFile(path.join(dir, 'kubernetes', 'namespace.yaml'), 'utf8')).toContain('name: "pics"');
    const report = await auditKubernetes(dir, fakeFacts(), '0', {});
    expect(report.summary.error).toBe(0);
    expect(report.compose).toBe('kustomization.yaml');
    for (const l of [first.out, again.out, changed.out]) expect(l).not.toContain(before);
  });

  test('no host folder is checked or created, and the summary shows no host-only answer (volumes of a cluster)', async () => {
    const dir = path.join(scratch(), 'k2');
    const r = await init(dir, { target: 'kubernetes', importPath: '/srv/no-such-folder-here' });
    expect(r.err).toBe('');
    expect(r.code).toBe(0);
    expect(existsSync('/srv/no-such-folder-here')).toBe(false);
    const summary = r.out.slice(r.out.indexOf('Summary'), r.out.indexOf('Files:'));
    expect(summary).toMatch(/Kubernetes namespace +photoprism/);
    for (const label of ['Originals folder', 'Behind a reverse proxy', 'HTTP port on the host']) expect(summary).not.toContain(label);
    // an import volume exists because an import path was given
    expect(await fsp.readFile(path.join(dir, 'kubernetes', 'storage.yaml'), 'utf8')).toContain('photoprism-import');
  });
});
