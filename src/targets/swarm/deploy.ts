// Swarm: read the stack file back and validate it; deploy it (secrets from files, then
// `docker stack deploy`) and wait until both services run. Only ever run when the user asked (--apply).

import { promises as fsp } from 'node:fs';
import path from 'node:path';
import { parseDocument } from 'yaml';
import { schemaValidate } from '../../composecheck.js';
import { run } from '../../engine.js';
import type { CheckOptions, StartOptions } from '../types.js';
import { NODE_LABEL, STACK_FILE, STACK_NAME, stackSecretsOf } from './index.js';

/** Swarm-specific read-back checks of a stack file's data; each problem one line. */
export function stackProblems(text: string): string[] {
  const doc = parseDocument(text);
  if (doc.errors.length) return [`not valid YAML: ${doc.errors[0]!.message.split('\n')[0]}`];
  const data = doc.toJS() as Record<string, any>;
  const problems: string[] = [];
  const declared = data.secrets ?? {};
  for (const [name, svc] of Object.entries<Record<string, any>>(data.services ?? {})) {
    for (const s of svc.secrets ?? []) {
      const src = typeof s === 'string' ? s : s.source;
      if (!declared[src]) problems.push(`services.${name}.secrets: ${src} is not declared under the top-level secrets`);
      else if (declared[src].external !== true) problems.push(`secrets.${src}: must be external (created with docker secret create)`);
    }
    for (const k of Object.keys(svc.environment ?? {})) {
      if (/PASSWORD$/.test(k)) problems.push(`services.${name}.environment.${k}: a password in the environment`);
    }
    if (!svc.deploy?.placement?.constraints?.length) problems.push(`services.${name}.deploy.placement: no constraint, but its folders are bind mounts on one node`);
  }
  for (const [name, net] of Object.entries<Record<string, any>>(data.networks ?? {})) if (net?.driver !== 'overlay') problems.push(`networks.${name}: not an overlay network`);
  return problems;
}

export async function checkStack(o: CheckOptions): Promise<number> {
  const stack = o.plan.files.find((f) => f.path === STACK_FILE)!;
  const text = o.written ? await fsp.readFile(path.join(o.plan.dir, STACK_FILE), 'utf8') : stack.content;
  const v = await schemaValidate(text);
  const problems = [...(v.ok ? [] : v.error.split('\n')), ...stackProblems(text)];
  const opts = o.plan.files.find((f) => /(^|\/)options\.ya?ml$/.test(f.path));
  if (opts) {
    const optsText = o.written ? await fsp.readFile(path.join(o.plan.dir, opts.path), 'utf8') : opts.content;
    const data = parseDocument(optsText).toJS() as Record<string, unknown> | null;
    for (const k of ['AdminPassword', 'DatabasePassword']) if (data && data[k]) problems.push(`${opts.path}: ${k} is set, so PhotoPrism would ignore the Swarm secret`);
  }
  const judge = 'the Compose JSON schema and the Swarm read-back checks';
  if (problems.length) {
    o.out.err('');
    o.out.err(`${STACK_FILE} is not a valid Swarm stack${o.written ? ' (the files are written; nothing was deployed)' : ''}:`);
    for (const p of problems) o.out.err(`  ${p}`);
    return 1;
  }
  o.out.out(`Validated: ${judge} accept ${STACK_FILE} (every password a Swarm secret, placement set, overlay networks).`);
  return 0;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

export async function deployStack(o: StartOptions): Promise<boolean> {
  const env = o.env;
  const cwd = o.plan.dir;
  const out = (l: string) => o.out.out(l);
  const docker = (args: string[], timeoutMs = 120000) => run('docker', args, { env, cwd, timeoutMs });
  out('');
  const info = await docker(['info', '--format', '{{.Swarm.LocalNodeState}} {{.Swarm.ControlAvailable}} {{.Swarm.NodeID}}']);
  if (info.missing) {
    o.out.err('--apply: the docker command was not found; nothing was deployed.');
    return false;
  }
  const [nodeState, control, nodeId] = info.stdout.trim().split(/\s+/);
  if (info.exitCode !== 0 || nodeState !== 'active' || control !== 'true' || !nodeId) {
    o.out.err(`--apply: this Docker is not a Swarm manager (${info.exitCode !== 0 ? info.stderr.trim().split('\n')[0] : `swarm state "${nodeState ?? ''}"`}); run "docker swarm init" (or run this on a manager). Nothing was deployed.`);
    return false;
  }
  const step = async (args: string[], what: string, timeoutMs?: number): Promise<boolean> => {
    out(`$ docker ${args.join(' ')}`);
    const r = await docker(args, timeoutMs);
    for (const l of `${r.stdout}${r.stderr}`.split('\n').filter(Boolean)) out(`  | ${l}`);
    if (r.exitCode !== 0) o.out.err(`--apply: ${what} failed (exit code ${r.exitCode}).`);
    return r.exitCode === 0;
  };
  if (!(await step(['node', 'update', '--label-add', `${NODE_LABEL}=true`, nodeId], 'labelling this node'))) return false;
  const stack = o.plan.files.find((f) => f.path === STACK_FILE)!;
  for (const s of stackSecretsOf(stack.content)) {
    const exists = await docker(['secret', 'inspect', '--format', '{{.ID}}', s.name]);
    if (exists.exitCode === 0) {
      out(`  secret ${s.name} exists: kept (Swarm secrets never change)`);
      continue;
    }
    // from the file: the value is never on a command line or in a pipe this tool writes
    if (!(await step(['secret', 'create', '--label', 'photoprism-harden=true', s.name, s.file], `creating secret ${s.name}`))) return false;
  }
  if (!(await step(['stack', 'deploy', '--compose-file', STACK_FILE, STACK_NAME], 'docker stack deploy', 10 * 60000))) return false;

  const deadline = Date.now() + o.timeoutMs;
  const want = [`${STACK_NAME}_photoprism`, `${STACK_NAME}_mariadb`];
  out(`Waiting up to ${Math.round(o.timeoutMs / 1000)} s for ${want.join(' and ')} to run 1/1 …`);
  const seen = new Map<string, string>();
  for (;;) {
    const r = await docker(['service', 'ls', '--filter', `label=com.docker.stack.namespace=${STACK_NAME}`, '--format', '{{.Name}} {{.Replicas}}']);
    const replicas = new Map(r.stdout.split('\n').filter(Boolean).map((l) => l.split(' ') as [string, string]));
    for (const w of want) {
      const v = replicas.get(w) ?? 'not created';
      if (seen.get(w) !== v) {
        seen.set(w, v);
        out(`  ${w.padEnd(22)} ${v}`);
      }
    }
    if (want.every((w) => /^1\/1\b/.test(replicas.get(w) ?? ''))) {
      out('Deployed: both services run 1/1.');
      return true;
    }
    if (Date.now() >= deadline) {
      o.out.err(`Timed out after ${Math.round(o.timeoutMs / 1000)} s. To look further: docker stack ps ${STACK_NAME} --no-trunc; docker service logs ${STACK_NAME}_photoprism`);
      const ps = await docker(['stack', 'ps', STACK_NAME, '--no-trunc', '--format', '{{.Name}} {{.CurrentState}} {{.Error}}']);
      for (const l of ps.stdout.split('\n').filter(Boolean).slice(0, 10)) out(`  | ${l}`);
      return false;
    }
    await sleep(Math.min(o.pollMs ?? 2000, Math.max(0, deadline - Date.now())));
  }
}
