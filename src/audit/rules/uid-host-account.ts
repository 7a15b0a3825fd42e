import { modeLabel } from '../../idmap.js';
import { regularAccount } from '../../validate.js';
import type { Rule } from '../types.js';
import { onHost, suggestedIds } from './util.js';

/** PhotoPrism's UID is the UID of a person on this host. */
export const uidHostAccount: Rule = {
  id: 'uid-host-account',
  severity: 'error',
  title: 'PhotoPrism\'s UID belongs to a regular account (a person) on this host',
  why: 'numeric ids are shared with the host: after a container escape PhotoPrism could read and write all of that person\'s files',
  check(ctx) {
    const svc = ctx.photoprism;
    const id = ctx.identity;
    if (!svc || !id || id.uid === null || id.uid === 0) return [];
    // a person's files carry host ids: under a user namespace the container UID is another host UID
    const host = onHost(ctx, id.uid, null);
    const acct = host.uid === null ? undefined : regularAccount(ctx.facts, host.uid);
    if (!acct) return [];
    const s = suggestedIds(ctx);
    return [
      {
        file: id.at.file,
        line: id.at.line,
        service: svc.name,
        message: `UID ${id.uid}${host.uid !== id.uid && ctx.facts.idMapping ? ` (host UID ${host.uid} under ${modeLabel(ctx.facts.idMapping.mode)})` : ''} is the host account "${acct.name}" (regular accounts: UID ${ctx.facts.uidMin}-${ctx.facts.uidMax})`,
        fix: `use a supported UID no account on this host uses, e.g. ${s.uid}:${s.gid} (init answer: --uid ${s.uid} --gid ${s.gid}); the entrypoint re-owns storage at the next start`,
      },
    ];
  },
};
