import { allInterfaces, parsePorts } from '../compose.js';
import type { RawFinding, Rule } from '../types.js';
import { at, svcLabel } from './util.js';

/** Published on every interface. */
export const portAllInterfaces: Rule = {
  id: 'port-all-interfaces',
  severity: 'warning',
  title: 'A port is published on all host interfaces',
  why: 'Docker\'s port forwarding bypasses host firewalls such as ufw: the port is reachable from every network the host is on',
  kics: 'Container Traffic Not Bound To Host Interface',
  cis: '5.13',
  check(ctx) {
    const out: RawFinding[] = [];
    for (const s of ctx.services) {
      if (s.kind === 'mariadb') continue; // database-port-published covers it
      for (const p of parsePorts(s.data.ports)) {
        if (!allInterfaces(p.hostIp)) continue;
        const host = p.published || '(random)';
        out.push({
          ...at(ctx, s, 'ports', p.index),
          message: `${svcLabel(s)} publishes host port ${host} -> ${p.target} on all interfaces`,
          fix:
            s.kind === 'photoprism'
              ? `behind a reverse proxy on this host: "127.0.0.1:${p.published || p.target}:${p.target}" (init answer: --behind-proxy); otherwise bind it to the LAN address ("192.168.x.y:${p.published || p.target}:${p.target}") and keep it off the internet without HTTPS`
              : `bind it to one address, e.g. "127.0.0.1:${p.published || p.target}:${p.target}"`,
        });
      }
    }
    return out;
  },
};

/** MariaDB port published. */
export const databasePortPublished: Rule = {
  id: 'database-port-published',
  severity: 'error',
  title: 'The MariaDB port is published on the host',
  why: 'PhotoPrism reaches MariaDB over the compose network; a published port exposes the database (and its root login) to the host and, on all interfaces, to the network',
  cis: '5.8',
  check(ctx) {
    const out: RawFinding[] = [];
    for (const s of ctx.services) {
      if (s.kind !== 'mariadb') continue;
      for (const p of parsePorts(s.data.ports)) {
        out.push({
          ...at(ctx, s, 'ports', p.index),
          message: `${svcLabel(s)} publishes ${p.hostIp ? `${p.hostIp}:` : ''}${p.published || '(random)'} -> ${p.target}${allInterfaces(p.hostIp) ? ' on all interfaces' : ''}`,
          fix: 'delete the ports: entry; for a one-off admin session use "docker compose exec mariadb mariadb -u root -p"',
        });
      }
    }
    return out;
  },
};
