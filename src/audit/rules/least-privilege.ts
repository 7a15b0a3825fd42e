// Least privilege (issue 12, Behaviour 3): what the generated compose file does for PhotoPrism and MariaDB,
// each as a rule, so that an adopted or hand-written installation is held to the same controls:
// every capability dropped and only the ones the service's mode needs added back, MariaDB on an internal
// network and its root login local only, a PID limit, rotated logs.
// The capability sets were found by experiment on a real engine (README "Least privilege, measured").

import { asArray } from '../compose.js';
import type { RawFinding, Rule, ServiceView } from '../types.js';
import { at, envValue, svcLabel } from './util.js';

/** PhotoPrism with PHOTOPRISM_UID/GID: its entrypoint's root init (chown -R of storage, then setpriv to UID:GID). */
// (no KILL: the entrypoint's `trap "kill -USR1 $PID" INT TERM` signals its own root subshell, not the app's
// UID, so root needs no CAP_KILL for it; scripts/dist/entrypoint.sh of photoprism/photoprism 8bfd95d)
export const PHOTOPRISM_INIT_CAPS = ['CHOWN', 'DAC_OVERRIDE', 'FOWNER', 'SETUID', 'SETGID'] as const;
/** MariaDB started as root: its entrypoint chowns the data folder and drops to mysql with gosu. */
export const MARIADB_INIT_CAPS = ['CHOWN', 'DAC_OVERRIDE', 'SETUID', 'SETGID'] as const;

/** What a capability is for, in the fixes. */
const WHY_CAP: Record<string, string> = {
  CHOWN: 'chown of storage / the data folder',
  DAC_OVERRIDE: 'walk folders only the service user may read',
  FOWNER: 'chmod of files root does not own',
  SETUID: 'switch to the service user',
  SETGID: 'switch to the service group',
};

const capName = (v: unknown) => (typeof v === 'string' || typeof v === 'number' ? String(v).trim().toUpperCase().replace(/^CAP_/, '') : '');

/** The capabilities a service needs added back after cap_drop: [ALL], and a few words on why. */
export function neededCaps(ctx: { identity: { mode: string } | null }, s: ServiceView): { caps: readonly string[]; because: string } {
  if (s.kind === 'photoprism') {
    if (ctx.identity?.mode === 'user') return { caps: [], because: 'with user: PhotoPrism starts as its user and has no root phase' };
    return { caps: PHOTOPRISM_INIT_CAPS, because: 'PhotoPrism\'s root init before it switches to PHOTOPRISM_UID/GID' };
  }
  if (s.data.user !== undefined && s.data.user !== null && !/^(0|root)(:|$)/.test(String(s.data.user).trim())) {
    return { caps: [], because: 'with user: MariaDB\'s entrypoint neither chowns nor switches users (the data folder must already be that user\'s)' };
  }
  return { caps: MARIADB_INIT_CAPS, because: 'MariaDB\'s entrypoint chowns its data folder and switches to mysql with gosu' };
}

function capAddYaml(caps: readonly string[]): string {
  if (!caps.length) return '    cap_drop:\n      - ALL\n    (and no cap_add)';
  return ['    cap_drop:', '      - ALL', '    cap_add:', ...caps.map((c) => `      - ${c} # ${WHY_CAP[c] ?? ''}`.trimEnd())].join('\n');
}

const ours = (s: ServiceView) => s.kind === 'photoprism' || s.kind === 'mariadb';

/** cap_drop without ALL. */
export const capabilitiesNotDropped: Rule = {
  id: 'capabilities-not-dropped',
  severity: 'warning',
  title: 'PhotoPrism or MariaDB keeps Docker\'s default capabilities (no cap_drop: [ALL])',
  why: 'Docker\'s default set (NET_RAW, MKNOD, SYS_CHROOT, SETFCAP, KILL, ...) gives root in the container more than either service needs, and each is a step for an escape',
  kics: 'Container Capabilities Unrestricted',
  cis: '5.3',
  check(ctx) {
    const out: RawFinding[] = [];
    for (const s of ctx.services) {
      if (!ours(s)) continue;
      if (asArray(s.data.cap_drop).some((c) => capName(c) === 'ALL')) continue;
      const need = neededCaps(ctx, s);
      out.push({
        ...(s.data.cap_drop !== undefined ? at(ctx, s, 'cap_drop') : at(ctx, s)),
        message: `${svcLabel(s)} does not drop all capabilities`,
        fix: `${capAddYaml(need.caps)}\n(${need.because}; init writes exactly this)`,
      });
    }
    return out;
  },
};

/** cap_add beyond the mode's set. */
export const capabilityBeyondNeed: Rule = {
  id: 'capability-beyond-need',
  severity: 'warning',
  title: 'PhotoPrism or MariaDB is given a capability its mode does not need (cap_add)',
  why: 'every capability added back is kept by the container\'s root processes; only the entrypoint\'s own root phase needs any',
  kics: 'Container Capabilities Unrestricted',
  cis: '5.3',
  check(ctx) {
    const out: RawFinding[] = [];
    for (const s of ctx.services) {
      if (!ours(s)) continue;
      const need = neededCaps(ctx, s);
      asArray(s.data.cap_add).forEach((c, i) => {
        const name = capName(c);
        if (!name || need.caps.includes(name)) return;
        out.push({
          ...at(ctx, s, 'cap_add', i),
          message: `${svcLabel(s)} adds ${name === 'ALL' ? 'every capability (ALL)' : name}, which it does not need`,
          why: need.caps.length ? `only ${need.caps.join(', ')} are needed: ${need.because}` : `none is needed: ${need.because}`,
          fix: `remove "${String(c)}" from cap_add${need.caps.length ? ` (keep ${need.caps.join(', ')})` : ' (delete cap_add)'}; if something then fails, add back only what it names`,
        });
      });
    }
    return out;
  },
};

/** The networks a service is attached to (none for network_mode), with the key to point at. */
function serviceNetworks(s: ServiceView): { name: string; key: (string | number)[] }[] | null {
  if (s.data.network_mode !== undefined) return null;
  const n = s.data.networks;
  if (Array.isArray(n)) return n.map((x, i) => ({ name: String(x), key: ['networks', i] }));
  if (n && typeof n === 'object') return Object.keys(n).map((k) => ({ name: k, key: ['networks', k] }));
  return [{ name: 'default', key: [] }];
}

/** MariaDB on a network with a route out. */
export const databaseNetworkNotInternal: Rule = {
  id: 'database-network-not-internal',
  severity: 'warning',
  title: 'MariaDB is on a network that is not internal (it can reach the internet and other networks)',
  why: 'MariaDB only needs PhotoPrism; on an internal: true network a compromised database has no way out and nothing else can reach it',
  check(ctx) {
    const out: RawFinding[] = [];
    const s = ctx.mariadb;
    if (!s) return out;
    const nets = serviceNetworks(s);
    if (!nets) return out; // network_mode: host-network / none / another container's: other rules or nothing to say
    for (const n of nets) {
      const def = ctx.networks[n.name];
      if (def?.external) continue; // created outside the project: the files cannot say
      if (def?.internal) continue;
      out.push({
        ...(n.key.length ? at(ctx, s, ...n.key) : at(ctx, s)),
        message: `${svcLabel(s)} is on network "${n.name}", which is not internal${n.name === 'default' && !n.key.length ? ' (no networks: puts it on the project\'s default network)' : ''}`,
        fix: [
          `  ${s.name}:`,
          '    networks:',
          '      - database',
          'in the photoprism service:',
          '    networks:',
          '      - default',
          '      - database',
          'and at the top level:',
          'networks:',
          '  database:',
          '    internal: true',
        ].join('\n'),
      });
    }
    return out;
  },
};

const LOCAL_HOSTS = new Set(['localhost', '127.0.0.1', '::1']);

/** MARIADB_ROOT_HOST unset (the image's default '%') or remote. */
export const databaseRootRemote: Rule = {
  id: 'database-root-remote',
  severity: 'warning',
  title: 'MariaDB\'s root may log in over the network (MARIADB_ROOT_HOST unset, "%" or another host)',
  why: 'the official image creates root@\'%\' by default: anyone on the database network who learns the root password has full control of every database',
  check(ctx) {
    const s = ctx.mariadb;
    if (!s) return [];
    if (s.envMap.has('MARIADB_ROOT_HOST_FILE') || s.envMap.has('MYSQL_ROOT_HOST_FILE')) return []; // read from a file: cannot tell
    const name = envValue(s, 'MARIADB_ROOT_HOST') !== undefined ? 'MARIADB_ROOT_HOST' : envValue(s, 'MYSQL_ROOT_HOST') !== undefined ? 'MYSQL_ROOT_HOST' : null;
    const value = name ? envValue(s, name)! : '%';
    if (LOCAL_HOSTS.has(value.trim().toLowerCase())) return [];
    const e = name ? s.envMap.get(name) : undefined;
    return [
      {
        ...(e ? { file: e.file, line: e.line, column: e.column, service: s.name } : at(ctx, s, ...(s.data.environment !== undefined ? ['environment'] : []))),
        message: name ? `${svcLabel(s)} sets ${name} to "${value}": root may log in from there` : `${svcLabel(s)} does not set MARIADB_ROOT_HOST: the image creates root@'%' (any host)`,
        fix: [
          '    environment:',
          '      MARIADB_ROOT_HOST: "localhost"',
          '(read on the first start only; for an existing database also run, inside the container:',
          `  docker compose exec ${s.name} mariadb -uroot -p -e "DROP USER IF EXISTS 'root'@'%'"`,
          'after checking that root@localhost exists: SELECT user, host FROM mysql.user)',
        ].join('\n'),
      },
    ];
  },
};

/** The PID limit in force: pids_limit or deploy.resources.limits.pids (null: none, or unlimited). */
function pidsLimit(s: ServiceView): { value: number | null; key: string[] } {
  const deploy = (s.data.deploy as Record<string, unknown> | undefined)?.resources as Record<string, unknown> | undefined;
  const limits = deploy?.limits as Record<string, unknown> | undefined;
  for (const [v, key] of [
    [s.data.pids_limit, ['pids_limit']],
    [limits?.pids, ['deploy', 'resources', 'limits', 'pids']],
  ] as const) {
    if (v === undefined || v === null) continue;
    const n = Number(v);
    return { value: Number.isFinite(n) && n > 0 ? n : null, key: [...key] };
  }
  return { value: null, key: [] };
}

/** No PID limit. */
export const pidsLimitMissing: Rule = {
  id: 'pids-limit-missing',
  severity: 'info',
  title: 'PhotoPrism or MariaDB has no PID limit (pids_limit or deploy.resources.limits.pids)',
  why: 'a fork bomb or a runaway converter in the container could exhaust the host\'s process ids',
  kics: 'Pids Limit Not Set',
  cis: '5.28',
  check(ctx) {
    const out: RawFinding[] = [];
    for (const s of ctx.services) {
      if (!ours(s)) continue;
      const p = pidsLimit(s);
      if (p.value !== null) continue;
      out.push({
        ...(p.key.length ? at(ctx, s, ...p.key) : at(ctx, s)),
        message: p.key.length ? `${svcLabel(s)} sets ${p.key.join('.')} to no limit` : `${svcLabel(s)} has no PID limit`,
        fix: `    pids_limit: ${s.kind === 'photoprism' ? 1024 : 512}\n(or deploy.resources.limits.pids where the service already has deploy limits: Compose refuses both with different values)`,
      });
    }
    return out;
  },
};

/** Drivers that keep logs on the host through Docker without rotating them unless told to. */
const UNROTATED_BY_DEFAULT = new Set(['json-file']);

/** json-file logs without max-size. */
export const logRotationMissing: Rule = {
  id: 'log-rotation-missing',
  severity: 'info',
  title: 'PhotoPrism\'s or MariaDB\'s logs are not rotated (json-file without max-size)',
  why: 'Docker\'s json-file driver keeps every line a container ever wrote: a chatty or failing service fills the disk under /var/lib/docker',
  check(ctx) {
    const out: RawFinding[] = [];
    for (const s of ctx.services) {
      if (!ours(s)) continue;
      const logging = s.data.logging as Record<string, unknown> | undefined;
      const driver = logging?.driver === undefined || logging?.driver === null ? null : String(logging.driver);
      if (driver !== null && !UNROTATED_BY_DEFAULT.has(driver)) continue; // local rotates by default; others ship the logs away
      const opts = (logging?.options ?? {}) as Record<string, unknown>;
      const size = opts['max-size'];
      if (size !== undefined && size !== null && !/^(0|-1)?$/.test(String(size).trim())) continue;
      out.push({
        ...(logging ? at(ctx, s, 'logging') : at(ctx, s)),
        message: driver
          ? `${svcLabel(s)} logs with json-file without max-size`
          : `${svcLabel(s)} uses the engine's default log driver (json-file unless /etc/docker/daemon.json says otherwise) without a size limit`,
        fix: ['    logging:', '      driver: "json-file"', '      options:', '        max-size: "20m"', '        max-file: "5"', '(or set "log-opts" for every container in /etc/docker/daemon.json)'].join('\n'),
      });
    }
    return out;
  },
};
