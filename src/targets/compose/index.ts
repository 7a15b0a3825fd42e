// The compose target: the original single-host installation (docker-compose.yml, options.yml,
// .secrets/). Its plan, validation, start and next steps are the code init ran before targets
// existed, moved behind the OutputTarget interface unchanged.

import { auditDir } from '../../audit/index.js';
import { installAdvice, shown, type Engine, type EngineChoice, type Validation } from '../../engine.js';
import { nextStepLines, type Output } from '../../output.js';
import { buildPlan } from '../../plan.js';
import type { OutputTarget } from '../types.js';

/** Print a validation result; 0 when accepted, 1 when rejected (the engine's error verbatim). */
export function reportValidation(out: Output, v: Validation, by: 'engine' | 'schema', engine: Engine | null, what: string, written: boolean): number {
  const judge = by === 'engine' && engine ? `${shown(engine, engine.kind === 'podman-compose' ? ['config'] : ['config', '--quiet'])} (${engine.version})` : 'the Compose JSON schema (no engine found)';
  if (v.ok) {
    out.out(`Validated: ${judge} accepts ${what}.`);
    for (const w of v.warnings) out.out(`  ${w}`);
    return 0;
  }
  out.err('');
  out.err(`${judge} rejects ${what}${written ? ' (the files are written; nothing was started)' : ''}:`);
  for (const l of v.error.split('\n')) out.err(`  ${l}`);
  return 1;
}

export const composeTarget: OutputTarget = {
  name: 'compose',
  canApply: true,
  local: true,
  adaptState: (state) => state,
  plan: buildPlan,
  async check({ out, plan, state, engine, env, written }) {
    if (!written) {
      const { checkText } = await import('../../composecheck.js');
      const compose = plan.files.find((f) => f.path === state.composeFile)!;
      const r = await checkText(compose.content, engine, env);
      return reportValidation(out, r.validation, r.by, engine, r.tempCopy ? `a temporary copy (${r.tempCopy})` : compose.path, false);
    }
    const { checkInstalled } = await import('../../composecheck.js');
    const r = await checkInstalled(plan.dir, engine, env, state.composeFile);
    return reportValidation(out, r.validation, r.by, engine, state.composeFile, true);
  },
  startCommand: (pf) => (pf.engine ? `runs "${shown(pf.engine, ['stop'])}", then "${shown(pf.engine, ['up', '-d', '--force-recreate'])}"` : null),
  cannotStart(pf, choice?: EngineChoice) {
    if (pf.engine) return null;
    return [`No Compose engine was found: ${pf.notFound.join(', ')}.`, 'The files are written; to start PhotoPrism, install one:', ...installAdvice(choice).map((l) => `  ${l}`)];
  },
  async start({ out, plan, state, pf, env, timeoutMs, pollMs, services }) {
    if (!pf.engine) {
      out.err('--apply: no Compose engine to start the services with (see above); nothing was started.');
      return false;
    }
    out.out('');
    const { startServices } = await import('../../lifecycle.js');
    const r = await startServices({ engine: pf.engine, dir: plan.dir, env, out: (l) => out.out(l), timeoutMs, pollMs, composeFile: state.composeFile, services });
    return r.ok;
  },
  nextSteps: ({ plan, result, collected, repeat, engine, started, mapping }) =>
    nextStepLines(plan, result, collected, repeat, { engine: engine?.display ?? 'docker compose', started, mapping }),
  audit: (dir, facts, version, o) => auditDir(dir, facts, version, o),
};
