// `audit`: load an installation, run every rule, print the report. Loaded lazily by the CLI; `init`
// uses auditDir / auditPlan to check what it wrote (or would write).

import { existsSync } from 'node:fs';
import path from 'node:path';
import { Output } from '../out.js';
import type { Writer } from '../stdio.js';
import { defaultProbe, type HostFacts, type HostProbe } from '../host.js';
import type { Plan } from '../plan.js';
import type { PathInfo } from '../state.js';
import { AuditLoadError, loadInstallation, realFs, type FsView, type StorageLocator } from './load.js';
import { buildReport, humanLines, type Report } from './report.js';
import { RULES } from './rules/index.js';
import type { Engine, EngineChoice } from '../engine.js';
import type { EngineAccess } from '../rotate/exec.js';
import type { Rule } from './types.js';

export { RULES } from './rules/index.js';
export { summaryLine, type Report } from './report.js';
export { AuditLoadError } from './load.js';

export interface AuditOptions {
  dir: string;
  json: boolean;
  version: string;
  /** output format; --json is 'json' (default 'text') */
  format?: 'text' | 'json' | 'sarif';
  /** also read the live containers through the engine (audit --running) */
  running?: boolean;
  /** --engine for --running */
  engine?: EngineChoice;
  /** the engine (tests inject a fake); default: the Compose engine found on PATH */
  access?: EngineAccess;
  probe?: HostProbe;
  env?: NodeJS.ProcessEnv;
  stdout?: Writer;
  stderr?: Writer;
}

export async function auditDir(dir: string, facts: HostFacts, version: string, o: { fs?: FsView; env?: NodeJS.ProcessEnv; storageFolder?: StorageLocator } = {}): Promise<Report> {
  const ctx = await loadInstallation({ dir, facts, fs: o.fs, env: o.env, storageFolder: o.storageFolder });
  return buildReport(ctx, RULES, version);
}

/** Rules that compare owners on disk with container ids (through facts.idMapping). */
const HOST_ID_RULES = new Set(['storage-owner', 'options-file-owner', 'secret-file-owner', 'uid-host-account']);

/** Exit codes: 0 no error-level finding, 1 at least one, 2 usage error or unreadable installation. */
export async function runAudit(o: AuditOptions): Promise<number> {
  const print = new Output(o.stdout, o.stderr);
  let report: Report;
  let rules: readonly Rule[] = RULES;
  const format = o.format ?? (o.json ? 'json' : 'text');
  try {
    const probe = o.probe ?? defaultProbe();
    let facts = await probe.facts();
    // Owners on disk are host ids: under rootless Docker/Podman or userns-remap the rules compare them
    // through the engine's id mapping, found as init finds it (read-only `docker info` / `podman info`).
    // Asked only when an owner looks wrong without it (or the engine is used anyway): a rootful
    // installation that is right costs no engine process.
    const mapped = async () => {
      if (facts.idMapping !== undefined) return false;
      const { runPreflight } = await import('../preflight.js');
      const pf = await runPreflight({ facts, probe, dir: o.dir, env: o.env ?? process.env, engineChoice: o.engine });
      facts = { ...facts, idMapping: pf.mapping };
      return pf.mapping !== null;
    };
    if (o.running) {
      await mapped();
      const r = await auditRunning(o, facts);
      report = r.report;
      rules = r.rules;
    } else {
      // a Swarm or Kubernetes installation is audited by its target (compose when neither wrote here)
      const { detectTarget, loadTarget } = await import('../targets/registry.js');
      const name = detectTarget((rel) => existsSync(path.join(o.dir, rel)));
      const target = name === 'compose' ? null : await loadTarget(name);
      const storageFolder = engineStorageLocator(o, probe);
      const audit = () => (target ? target.audit(o.dir, facts, o.version, { env: o.env }) : auditDir(o.dir, facts, o.version, { env: o.env, storageFolder }));
      report = await audit();
      if (report.findings.some((f) => HOST_ID_RULES.has(f.rule)) && (await mapped())) report = await audit();
    }
  } catch (e) {
    const message = e instanceof AuditLoadError ? e.message : `cannot read the installation: ${(e as Error).message}`;
    if (format === 'json') print.write(`${JSON.stringify({ tool: 'photoprism-harden', version: o.version, dir: path.resolve(o.dir), error: message }, null, 2)}\n`);
    print.writeErr(`photoprism-harden audit: ${message}\n`);
    return 2;
  }
  if (format === 'sarif') {
    const { toSarif } = await import('./sarif.js');
    print.write(`${JSON.stringify(toSarif(report, rules), null, 2)}\n`);
  } else if (format === 'json') print.write(`${JSON.stringify(report, null, 2)}\n`);
  else print.write(`${humanLines(report).join('\n')}\n`);
  return report.summary.clean ? 0 : 1;
}

/**
 * PhotoPrism's storage in a volume is read where the engine keeps it (read-only `volume inspect`, or
 * the container's mounts for an anonymous volume); the engine is looked for only when that is needed.
 */
function engineStorageLocator(o: AuditOptions, probe: HostProbe): StorageLocator {
  // (found once: the audit may run twice, see runAudit)
  let found: Promise<{ engine: Engine | null; env: NodeJS.ProcessEnv }> | undefined;
  const engine = () =>
    (found ??= (async () => {
      const { detect } = await import('../engine.js');
      const { childEnv } = await import('../rotate/exec.js');
      const env = childEnv(o.env ?? process.env);
      return { engine: (await detect(env, o.engine, undefined, undefined, probe.commands)).engine, env };
    })());
  return async (m, service, project) => {
    const { engine: e, env } = await engine();
    if (!e) return null;
    const { engineAnonymousLookup, engineVolumeLookup } = await import('../compose/volumes.js');
    const r = m.source ? await engineVolumeLookup(e, env)(m.volumeName ?? m.source) : await engineAnonymousLookup(e, env)(project, service, m.target);
    return 'error' in r ? null : r.mountpoint;
  };
}

/** audit --running: the file rules plus what the live containers show, in one report. */
async function auditRunning(o: AuditOptions, facts: HostFacts): Promise<{ report: Report; rules: Rule[] }> {
  const ctx = await loadInstallation({ dir: o.dir, facts, env: o.env });
  const { collectRunning, runningRules, runningSecretValues } = await import('./running.js');
  let access = o.access;
  if (!access) {
    const { detect, installAdvice } = await import('../engine.js');
    const { childEnv, engineAccess } = await import('../rotate/exec.js');
    const env = o.env ?? process.env;
    const d = await detect(childEnv(env), o.engine, undefined, undefined, (o.probe ?? defaultProbe()).commands);
    if (!d.engine) throw new Error(`--running needs a Compose engine; none found (${d.notFound.join('; ')}). ${installAdvice(o.engine).join(' ')}`);
    access = engineAccess(d.engine, ctx.dir, ctx.compose.rel, env);
  }
  const r = await collectRunning(ctx, access);
  // values only the running containers carry are scrubbed from the output too
  const full = { ...ctx, secretValues: [...ctx.secretValues, ...runningSecretValues(r)] };
  r.files = full;
  const rules = runningRules(RULES, r);
  return { report: buildReport(full, rules, o.version), rules };
}

/**
 * The filesystem as it will be once `plan` is applied: planned files with their content, mode and owner
 * (owner null = the user running the tool), planned folders likewise, everything else as it is now.
 */
export function planOverlay(plan: Plan, facts: HostFacts, base: FsView = realFs): FsView {
  const files = new Map<string, { info: PathInfo; content: string }>();
  const dirs = new Map<string, PathInfo>();
  const abs = (p: string) => (path.isAbsolute(p) ? p : path.join(plan.dir, p));
  const own = (o: { uid: number; gid: number } | null) => o ?? { uid: facts.euid, gid: facts.egid };
  for (const f of plan.files) {
    const o = own(f.owner);
    files.set(abs(f.path), { info: { exists: true, isSymlink: false, isDir: false, uid: o.uid, gid: o.gid, mode: f.mode }, content: f.content });
  }
  for (const d of plan.dirs) {
    if (d.status === 'ok' || (d.policy === 'if-missing' && d.status !== 'create')) continue;
    const o = own(d.owner);
    dirs.set(abs(d.path), { exists: true, isSymlink: false, isDir: true, uid: o.uid, gid: o.gid, mode: d.mode });
  }
  return {
    async stat(p) {
      const f = files.get(p);
      if (f) return f.info;
      const d = dirs.get(p);
      if (d) return d;
      const real = await base.stat(p);
      if (real) return real;
      if (p === plan.dir) return { exists: true, isSymlink: false, isDir: true, uid: facts.euid, gid: facts.egid, mode: 0o755 };
      return null;
    },
    async readFile(p) {
      const f = files.get(p);
      if (f) return f.content;
      return base.readFile(p);
    },
    async readdir(p) {
      const names = new Set((await base.readdir(p)) ?? []);
      for (const k of [...files.keys(), ...dirs.keys()]) if (path.dirname(k) === p) names.add(path.basename(k));
      return names.size ? [...names].sort() : null;
    },
  };
}

/** Audit what applying `plan` would produce, without writing anything (init --dry-run). */
export async function auditPlan(plan: Plan, facts: HostFacts, version: string, env?: NodeJS.ProcessEnv): Promise<Report> {
  return auditDir(plan.dir, facts, version, { fs: planOverlay(plan, facts), env });
}
