import type { Rule } from '../types.js';
import { at, svcLabel } from './util.js';

function hostNamespaceRule(o: { id: string; key: string; what: string; why: string; kics?: string; cis: string; fix: string }): Rule {
  return {
    id: o.id,
    severity: 'error',
    title: `A service shares the host's ${o.what} (${o.key}: host)`,
    why: o.why,
    ...(o.kics ? { kics: o.kics } : {}),
    cis: o.cis,
    check(ctx) {
      return ctx.services
        .filter((s) => s.data[o.key] === 'host')
        .map((s) => ({ ...at(ctx, s, o.key), message: `${svcLabel(s)} has ${o.key}: host`, fix: o.fix }));
    },
  };
}

export const hostNetwork = hostNamespaceRule({
  id: 'host-network',
  key: 'network_mode',
  what: 'network namespace',
  why: 'the container sees and binds every host interface and local-only service (databases, Docker API on localhost) with no port control',
  kics: 'Shared Host Network Namespace',
  cis: '5.9',
  fix: 'delete network_mode: host and publish only the port you need (ports: ["127.0.0.1:2342:2342"] behind a proxy)',
});

export const hostPid = hostNamespaceRule({
  id: 'host-pid',
  key: 'pid',
  what: 'process namespace',
  why: 'the container sees every host process and can signal or inspect (ptrace) those of its UID',
  kics: 'Host Namespace is Shared',
  cis: '5.15',
  fix: 'delete pid: host',
});

export const hostIpc = hostNamespaceRule({
  id: 'host-ipc',
  key: 'ipc',
  what: 'IPC namespace',
  why: 'the container can read and write the shared memory of host processes',
  kics: 'Shared Host IPC Namespace',
  cis: '5.16',
  fix: 'delete ipc: host',
});

export const hostUserns = hostNamespaceRule({
  id: 'host-userns',
  key: 'userns_mode',
  what: 'user namespace',
  why: 'it disables the daemon\'s user-namespace remapping for this container, so root inside is root outside',
  kics: 'Shared Host User Namespace',
  cis: '5.30',
  fix: 'delete userns_mode: host',
});

export const hostUts = hostNamespaceRule({
  id: 'host-uts',
  key: 'uts',
  what: 'UTS namespace',
  why: 'the container can change the host\'s hostname and domain name',
  cis: '5.20',
  fix: 'delete uts: host',
});

