import { asArray } from '../compose.js';
import type { RawFinding, Rule, ServiceView } from '../types.js';
import { at, svcLabel } from './util.js';

function optIndex(svc: ServiceView, re: RegExp): number[] {
  const out: number[] = [];
  asArray(svc.data.security_opt).forEach((o, i) => {
    if (typeof o === 'string' && re.test(o.trim())) out.push(i);
  });
  return out;
}

const SECCOMP_REASON: Record<string, string> = {
  photoprism:
    'PhotoPrism\'s example file sets it for Docker older than 20.10.10, whose default profile blocks system calls newer Ubuntu-based images need; current Docker does not need it',
  mariadb:
    'PhotoPrism\'s example file sets it so MariaDB can use io_uring, which Docker\'s default profile blocks; without it MariaDB only logs a harmless io_uring warning and uses another I/O method',
  other: 'it removes Docker\'s default filter of dangerous system calls',
};

/** seccomp:unconfined. */
export const seccompUnconfined: Rule = {
  id: 'seccomp-unconfined',
  severity: 'warning',
  title: 'A service disables Docker\'s default seccomp profile (seccomp:unconfined)',
  why: 'every system call is then open to the container, including rarely used ones with kernel escape bugs',
  kics: 'Default Seccomp Profile Disabled',
  cis: '5.21',
  check(ctx) {
    const out: RawFinding[] = [];
    for (const s of ctx.services) {
      for (const i of optIndex(s, /^seccomp[:=]unconfined$/i)) {
        out.push({
          ...at(ctx, s, 'security_opt', i),
          message: `${svcLabel(s)} runs without seccomp filtering: ${SECCOMP_REASON[s.kind]}`,
          fix: 'delete "seccomp:unconfined" (on Docker >= 20.10.10); if something then fails, write a custom profile that allows just that call instead',
        });
      }
    }
    return out;
  },
};

/** apparmor:unconfined. */
export const apparmorUnconfined: Rule = {
  id: 'apparmor-unconfined',
  severity: 'warning',
  title: 'A service disables Docker\'s AppArmor profile (apparmor:unconfined)',
  why: 'the docker-default AppArmor profile blocks writes to /proc and /sys and mounts, which many container escapes rely on',
  cis: '5.1',
  check(ctx) {
    const out: RawFinding[] = [];
    for (const s of ctx.services) {
      for (const i of optIndex(s, /^apparmor[:=]unconfined$/i)) {
        const reason =
          s.kind === 'other'
            ? 'it removes AppArmor confinement'
            : 'PhotoPrism\'s example file sets it together with seccomp:unconfined for compatibility with old Docker and distribution versions; current Docker runs both images under docker-default';
        out.push({
          ...at(ctx, s, 'security_opt', i),
          message: `${svcLabel(s)} runs without AppArmor: ${reason}`,
          fix: 'delete "apparmor:unconfined" (the host\'s docker-default profile applies again)',
        });
      }
    }
    return out;
  },
};

const NNP_NOTE: Record<string, string> = {
  photoprism: '(PhotoPrism drops root itself with PHOTOPRISM_UID/GID and works with it; not with its user: mode, which needs sudo)',
  mariadb: '(MariaDB\'s entrypoint drops root itself with gosu and works with it)',
  other: '(check first that the image does not rely on sudo or other setuid programs)',
};

/** no-new-privileges missing. */
export const noNewPrivileges: Rule = {
  id: 'no-new-privileges-missing',
  severity: 'info',
  title: 'A service does not set security_opt no-new-privileges:true',
  why: 'without it a process can regain privileges through setuid binaries (sudo, su) after it dropped them',
  kics: 'No New Privileges Not Set',
  cis: '5.25',
  check(ctx) {
    const out: RawFinding[] = [];
    for (const s of ctx.services) {
      if (optIndex(s, /^no-new-privileges(?:[:=]true)?$/i).length) continue;
      // PhotoPrism with user: needs sudo for its init actions, and newer images fail to start with both
      if (s.kind === 'photoprism' && ctx.identity?.mode === 'user') continue;
      out.push({
        ...(asArray(s.data.security_opt).length ? at(ctx, s, 'security_opt') : at(ctx, s)),
        message: `${svcLabel(s)} does not set no-new-privileges`,
        fix: `    security_opt:\n      - "no-new-privileges:true"\n${NNP_NOTE[s.kind]}`,
      });
    }
    return out;
  },
};
