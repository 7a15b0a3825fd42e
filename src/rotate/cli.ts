// `photoprism-harden rotate`: flags -> RotateOptions. New passwords come from the answers file, the
// environment presets, or a hidden prompt (typed twice); the rest are generated.

import { promises as fsp } from 'node:fs';
import { isTerminal } from '../terminal.js';
import { ENGINE_CHOICES, type EngineChoice } from '../engine.js';
import { UsageError } from '../errors.js';
import type { Prompter } from '../collect.js';
import { checkPassword } from '../validate.js';
import { RotateError, TARGETS, TARGET_INFO, presetPasswords, runRotate, type NewPasswords } from './index.js';
import type { Target } from './files.js';
import { Output } from '../out.js';
import type { HostProbe } from '../host.js';
import { yamlData } from '../yamlparse.js';

type Values = Record<string, string | boolean | undefined>;

export async function answersPasswords(file: string, targets: readonly Target[]): Promise<NewPasswords> {
  let text: string;
  try {
    text = await fsp.readFile(file, 'utf8');
  } catch (e) {
    throw new UsageError([`--answers: cannot read ${file}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`]);
  }
  const { parseDocument } = await import('yaml');
  const doc = parseDocument(text);
  // (only the first line of a YAML error: the rest quotes the file, which holds passwords)
  if (doc.errors.length) throw new UsageError([`${file}: not valid YAML: ${doc.errors[0]!.message.split('\n')[0]}`]);
  const parsed = yamlData(doc);
  if (parsed.error) throw new UsageError([`${file}: ${parsed.error}`]);
  const data = parsed.data;
  if (data === null || typeof data !== 'object' || Array.isArray(data)) throw new UsageError([`${file}: must be a YAML mapping`]);
  const allowed = TARGETS.map((t) => TARGET_INFO[t].key) as string[];
  const problems: string[] = [];
  const out: NewPasswords = {};
  for (const [k, v] of Object.entries(data as Record<string, unknown>)) {
    if (!allowed.includes(k)) {
      problems.push(`${file}: unknown key "${k}"; rotate reads ${allowed.join(', ')}`);
      continue;
    }
    const t = TARGETS.find((x) => TARGET_INFO[x].key === k)!;
    if (!targets.includes(t)) problems.push(`${file}: ${k} is given but --${TARGET_INFO[t].flag} is not`);
    else out[t] = String(v ?? '');
  }
  if (problems.length) throw new UsageError(problems);
  return out;
}

export async function promptPasswords(p: Prompter, targets: readonly Target[]): Promise<NewPasswords> {
  const out: NewPasswords = {};
  for (const t of targets) {
    const key = TARGET_INFO[t].key;
    for (;;) {
      const first = await p.password({ message: `New ${TARGET_INFO[t].label}`, validate: (v) => { const r = checkPassword(v, key); return r.ok ? true : r.message; } });
      const again = await p.password({ message: `New ${TARGET_INFO[t].label} again`, validate: () => true });
      if (first === again) {
        out[t] = first;
        break;
      }
      p.note(['The two entries differ; enter it again.']);
    }
  }
  return out;
}

export async function runRotateCli(v: Values, env: NodeJS.ProcessEnv = process.env, probe?: HostProbe): Promise<number> {
  const targets = TARGETS.filter((t) => v[TARGET_INFO[t].flag] === true);
  if (!targets.length) throw new UsageError(['say what to rotate: --database, --database-root and/or --admin (run "photoprism-harden rotate --help")']);
  const timeout = String(v.timeout);
  if (!/^\d+$/.test(timeout) || Number(timeout) < 1 || Number(timeout) > 86400) throw new UsageError([`--timeout must be a whole number of seconds from 1 to 86400, got ${JSON.stringify(timeout)}`]);
  if (v.engine !== undefined && !(ENGINE_CHOICES as readonly string[]).includes(String(v.engine))) {
    throw new UsageError([`--engine must be one of: ${ENGINE_CHOICES.join(', ')}; got ${JSON.stringify(v.engine)}`]);
  }
  if (v.prompt && v.answers) throw new UsageError(['--prompt and --answers cannot be combined']);
  const print = new Output();
  let passwords: NewPasswords = presetPasswords(env, targets);
  if (typeof v.answers === 'string') passwords = { ...passwords, ...(await answersPasswords(v.answers, targets)) };
  if (v.prompt) {
    if (!isTerminal(0)) throw new UsageError(['--prompt needs a terminal on standard input; use --answers FILE or the PHOTOPRISM_HARDEN_*_PASSWORD variables']);
    const { inquirerPrompter } = await import('../prompter.js');
    passwords = { ...passwords, ...(await promptPasswords(inquirerPrompter((l) => print.write(`${l}\n`)), targets)) };
  }
  try {
    return await runRotate({ dir: String(v.dir), targets, passwords, start: Boolean(v.start), engine: v.engine as EngineChoice | undefined, timeoutMs: Number(timeout) * 1000, env, ...(probe ? { probe } : {}) });
  } catch (e) {
    if (e instanceof RotateError) {
      print.writeErr(`photoprism-harden rotate: ${e.message}\n`);
      return 1;
    }
    throw e;
  }
}
