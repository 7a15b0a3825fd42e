import path from 'node:path';
import { parseMounts } from '../compose.js';
import type { RawFinding, Rule } from '../types.js';
import { at, svcLabel } from './util.js';

const SOCKETS = ['docker.sock', 'podman.sock', 'containerd.sock'];

export function isRuntimeSocket(source: string): boolean {
  return SOCKETS.includes(path.posix.basename(source));
}

export const dockerSocketMounted: Rule = {
  id: 'docker-socket-mounted',
  severity: 'error',
  title: 'The Docker socket is mounted into a container',
  why: 'whoever controls the socket can start a privileged container and is root on the host',
  kics: 'Docker Socket Mounted In Container',
  cis: '5.31',
  check(ctx) {
    const out: RawFinding[] = [];
    for (const s of ctx.services) {
      for (const m of parseMounts(s.data.volumes)) {
        if (m.type !== 'bind' || !isRuntimeSocket(m.source)) continue;
        out.push({
          ...at(ctx, s, 'volumes', m.index),
          message: `${svcLabel(s)} mounts ${m.source}${s.name === 'watchtower' || /watchtower/.test(String(s.data.image ?? '')) ? ' (Watchtower, for automatic updates)' : ''}`,
          fix: 'remove the mount (and the service, if it only exists to manage containers); update by hand with "docker compose pull && docker compose up -d", or give it a socket proxy that allows only the calls it needs',
        });
      }
    }
    return out;
  },
};
