// Validating the generated compose file: with the real engine when there is one (`config --quiet`,
// whose error is shown verbatim), else against the vendored compose JSON schema
// (schema/compose-spec.json, compose-spec/compose-spec). A dry run validates a temporary copy.

import { existsSync } from 'node:fs';
import { packagePath, requireShipped } from './paths.js';
import { parseShared, yamlData } from './yamlparse.js';
import { promises as fsp, readFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { COMPOSE_FILE, SECRET_FILES } from './domain.js';
import { validateWithEngine, type Engine, type Validation } from './engine.js';

export interface CheckResult {
  /** 'engine': the engine judged it; 'schema': the JSON schema did (no engine) */
  by: 'engine' | 'schema';
  validation: Validation;
  /** where the checked copy was, when it was not the installation itself */
  tempCopy?: string;
}

type Compiled = ((data: unknown) => boolean) & { errors?: unknown };
let compiled: Promise<Compiled> | undefined;

/** The compiled schema validator, built once (concurrent callers share the same promise). */
function validator(): Promise<Compiled> {
  compiled ??= (async () => {
    // the build ships the validator precompiled (scripts/build.mjs); compiling at run time is the fallback
    const prebuilt = packagePath('dist', 'compose-validator.cjs');
    if (existsSync(prebuilt)) return requireShipped(prebuilt) as Compiled;
    // (ajv's compiler is loaded only here: most of it is never needed)
    const { Ajv } = await import('ajv');
    const schema = JSON.parse(readFileSync(packagePath('schema', 'compose-spec.json'), 'utf8')) as Record<string, unknown>;
    const ajv = new Ajv({ strict: false, allErrors: true, validateFormats: false, validateSchema: false });
    return ajv.compile(schema) as unknown as Compiled;
  })();
  return compiled;
}

/** Validate compose YAML text against schema/compose-spec.json. */
export async function schemaValidate(text: string): Promise<Validation> {
  const { doc, lines: counter } = parseShared(text);
  if (doc.errors.length) {
    const e = doc.errors[0]!;
    const at = e.pos ? ` (line ${counter.linePos(e.pos[0]).line})` : '';
    return { ok: false, error: `not valid YAML${at}: ${e.message.split('\n')[0]}` };
  }
  const parsed = yamlData(doc);
  if (parsed.error) return { ok: false, error: parsed.error };
  const data: unknown = parsed.data;
  const validate = await validator();
  if (validate(data)) return { ok: true, warnings: [] };
  const errors = (validate.errors ?? []) as { instancePath: string; message?: string; params?: Record<string, unknown> }[];
  const lines = errors.slice(0, 10).map((er) => {
    const where = er.instancePath ? er.instancePath.slice(1).replace(/\//g, '.') : '(top level)';
    const extra = er.params && 'additionalProperty' in er.params ? ` "${String(er.params.additionalProperty)}"` : '';
    return `${where}: ${er.message ?? 'invalid'}${extra}`;
  });
  return { ok: false, error: lines.join('\n') };
}

/** Validate the compose file written in `dir`. */
export async function checkInstalled(dir: string, engine: Engine | null, env: NodeJS.ProcessEnv, composeFile: string = COMPOSE_FILE): Promise<CheckResult> {
  const file = path.join(dir, composeFile);
  if (engine) return { by: 'engine', validation: await validateWithEngine(engine, file, env) };
  return { by: 'schema', validation: await schemaValidate(await fsp.readFile(file, 'utf8')) };
}

/**
 * Validate compose text that has not been written (dry run): a private temporary folder gets the file
 * and empty stand-ins for the secret files, the engine checks it there, and the folder is removed.
 */
export async function checkText(text: string, engine: Engine | null, env: NodeJS.ProcessEnv): Promise<CheckResult> {
  if (!engine) return { by: 'schema', validation: await schemaValidate(text) };
  const tmp = await fsp.mkdtemp(path.join(os.tmpdir(), 'photoprism-harden-check-'));
  try {
    await fsp.chmod(tmp, 0o700);
    await fsp.writeFile(path.join(tmp, COMPOSE_FILE), text, { mode: 0o600 });
    await fsp.mkdir(path.join(tmp, '.secrets'), { mode: 0o700 });
    for (const f of Object.values(SECRET_FILES)) await fsp.writeFile(path.join(tmp, f), '', { mode: 0o600 });
    const validation = await validateWithEngine(engine, path.join(tmp, COMPOSE_FILE), env);
    return { by: 'engine', validation, tempCopy: path.join(tmp, COMPOSE_FILE) };
  } finally {
    await fsp.rm(tmp, { recursive: true, force: true });
  }
}
