// `audit` of a Swarm installation: the stack file is read like a compose file (the compose audit's
// loader and rules), minus the rules about controls Swarm ignores (security_opt, devices), plus the
// capability rule the Kubernetes audit uses (cap_drop/cap_add are what Swarm keeps).

import { loadInstallation, type FsView } from '../../audit/load.js';
import { buildReport, type Report } from '../../audit/report.js';
import { RULES } from '../../audit/rules/index.js';
import { MARIADB_INIT_CAPS, PHOTOPRISM_INIT_CAPS } from '../../audit/rules/least-privilege.js';
import type { Rule } from '../../audit/types.js';
import type { HostFacts } from '../../host.js';
import { KUBE_RULES } from '../kubernetes/audit.js';

/** compose rules about controls `docker stack deploy` ignores: replaced by capabilitiesDropped below */
const NOT_IN_SWARM = new Set(['no-new-privileges-missing', 'transcoding-device-missing', 'transcoding-device-group']);
const ENTRYPOINT_CAPS = new Set<string>([...PHOTOPRISM_INIT_CAPS, ...MARIADB_INIT_CAPS]);

const meta = KUBE_RULES.find((r) => r.id === 'capabilities-not-dropped')!;
export const capabilitiesDropped: Rule = {
  ...meta,
  check(ctx) {
    return ctx.services.flatMap((s) => {
      const drop = (Array.isArray(s.data.cap_drop) ? s.data.cap_drop : []).map(String);
      const add = (Array.isArray(s.data.cap_add) ? s.data.cap_add : []).map((x) => String(x).replace(/^CAP_/, ''));
      const line = s.line;
      const out = [];
      if (!drop.includes('ALL')) out.push({ file: ctx.compose.rel, line, service: s.name, message: `service ${s.name} does not drop ALL capabilities (Swarm ignores no-new-privileges, so cap_drop is what limits it)`, fix: 'cap_drop: [ALL]\ncap_add: only what the entrypoint needs' });
      const extra = add.filter((x: string) => !ENTRYPOINT_CAPS.has(x));
      if (extra.length) out.push({ file: ctx.compose.rel, line, service: s.name, message: `service ${s.name} adds ${extra.join(', ')}`, fix: `remove ${extra.join(', ')} from cap_add` });
      return out;
    });
  },
};

export const SWARM_RULES: readonly Rule[] = [...RULES.filter((r) => !NOT_IN_SWARM.has(r.id)), capabilitiesDropped];

export async function auditSwarm(dir: string, facts: HostFacts, version: string, o: { fs?: FsView; env?: NodeJS.ProcessEnv }): Promise<Report> {
  const ctx = await loadInstallation({ dir, facts, fs: o.fs, env: o.env, composeNames: ['docker-stack.yml'] });
  return buildReport(ctx, SWARM_RULES, version);
}
