// Talking to MariaDB inside its running container without a password on any command line or in any
// environment: `compose exec -T mariadb sh -c SCRIPT`, where SCRIPT (fixed text, no secret) reads a
// client option file from its stdin into a 0600 file on the container's tmpfs (/dev/shm), runs the
// client with --defaults-extra-file on it, feeds it the rest of stdin as SQL, and removes the file.
// The SQL (which carries the new password of ALTER USER) reaches the server through the client's stdin.

import type { EngineAccess, ExecResult } from './exec.js';

/** The line that ends the option file on stdin; the SQL follows it. */
export const OPTIONS_END = '[photoprism-harden-end]';

/** POSIX sh: no bash needed. `$@` are the client's options (no secrets). */
export const CLIENT_SCRIPT = [
  'umask 077',
  'd=/dev/shm',
  '[ -d "$d" ] && [ -w "$d" ] || d=/tmp',
  'f=$(mktemp "$d/photoprism-harden.XXXXXXXX") || exit 125',
  'trap \'rm -f "$f"\' EXIT',
  "trap 'exit 129' HUP INT TERM",
  `while IFS= read -r l; do [ "$l" = "${OPTIONS_END}" ] && break; printf '%s\\n' "$l" >> "$f"; done`,
  'if command -v mariadb >/dev/null 2>&1; then c=mariadb; else c=mysql; fi',
  '"$c" --defaults-extra-file="$f" "$@"',
].join('\n');

/** A MariaDB string literal (backslash escapes on: the session clears NO_BACKSLASH_ESCAPES). */
export function sqlString(s: string): string {
  return `'${s.replace(/\\/g, '\\\\').replace(/'/g, "\\'").replace(/\0/g, '\\0')}'`;
}

/** An option-file value: double-quoted, with \\ and \" escaped (MariaDB's option-file syntax). */
export function optionValue(s: string): string {
  if (/[\r\n]/.test(s)) throw new Error('a password must be a single line');
  return `"${s.replace(/\\/g, '\\\\').replace(/"/g, '\\"')}"`;
}

/** Names go into SQL as quoted literals, but only the characters MariaDB's image accepts are allowed. */
export function checkName(name: string, what: string): string {
  if (!/^[A-Za-z0-9_]{1,80}$/.test(name)) throw new Error(`${what} "${name}" must be letters, digits or _`);
  return name;
}

export interface Login {
  user: string;
  password: string;
}

export type Protocol = 'socket' | 'tcp';

export interface SqlResult extends ExecResult {
  /** MariaDB refused the credentials (ERROR 1045 / 1698) */
  denied: boolean;
  /** the server could not be reached (ERROR 2002 / 2003 / 2013) */
  unreachable: boolean;
  rows: string[][];
}

/** What goes to stdin: the option file, the end line, then the SQL. */
export function clientInput(login: Login, sql: string): string {
  return ['[client]', `user=${login.user}`, `password=${optionValue(login.password)}`, OPTIONS_END, sql, ''].join('\n');
}

export function clientOptions(protocol: Protocol): string[] {
  const base = ['--batch', '--skip-column-names', '--connect-timeout=10'];
  return protocol === 'socket' ? [...base, '--protocol=socket'] : [...base, '--protocol=tcp', '--host=127.0.0.1'];
}

/** Run SQL as `login` inside the database service's container. */
export async function runSql(access: EngineAccess, service: string, login: Login, sql: string, protocol: Protocol = 'socket'): Promise<SqlResult> {
  const r = await access.compose(['exec', '-T', service, 'sh', '-c', CLIENT_SCRIPT, 'sh', ...clientOptions(protocol)], {
    stdin: clientInput(login, sql),
    timeoutMs: 60000,
  });
  const text = `${r.stderr}\n${r.stdout}`;
  const denied = r.exitCode !== 0 && /ERROR (1045|1698)\b/.test(text);
  const unreachable = r.exitCode !== 0 && /ERROR (2002|2003|2005|2013)\b/.test(text);
  const rows = r.exitCode === 0 ? r.stdout.split('\n').filter((l) => l !== '').map((l) => l.split('\t')) : [];
  return { ...r, denied, unreachable, rows };
}

/** SQL session settings for a password change: not replicated, backslash escapes on. */
const SESSION = ["SET SESSION sql_log_bin=0;", "SET SESSION sql_mode=REPLACE(@@SESSION.sql_mode, 'NO_BACKSLASH_ESCAPES', '');"].join('\n');

/** The hosts of every account named `user` (hex, so no value needs parsing). */
export function hostsSql(user: string): string {
  return `SELECT HEX(Host) FROM mysql.user WHERE User=${sqlString(user)} ORDER BY Host;`;
}

export function alterSql(user: string, hosts: string[], password: string): string {
  const accounts = hosts.map((h) => `${sqlString(user)}@${sqlString(h)} IDENTIFIED BY ${sqlString(password)}`);
  return `${SESSION}\nALTER USER ${accounts.join(', ')};\nFLUSH PRIVILEGES;\nSELECT 'ok';`;
}

export class SqlError extends Error {}

/** One line of the client's error output, never the input (which holds passwords). */
export function sqlProblem(r: ExecResult): string {
  const line = `${r.stderr}\n${r.stdout}`.split('\n').map((l) => l.trim()).find((l) => /^ERROR\b/.test(l)) ?? (r.stderr.trim().split('\n')[0] || `exit code ${r.exitCode}`);
  return line.slice(0, 300);
}

/** Hosts of the accounts of `user`, asked as the root login. */
export async function accountHosts(access: EngineAccess, service: string, root: Login, user: string): Promise<string[]> {
  const r = await runSql(access, service, root, hostsSql(user));
  if (r.exitCode !== 0) throw new SqlError(`cannot list the accounts of ${user}: ${sqlProblem(r)}`);
  return r.rows.map((row) => Buffer.from(row[0] ?? '', 'hex').toString('utf8'));
}

/** Set `password` for every account of `user` (as root). */
export async function setPassword(access: EngineAccess, service: string, root: Login, user: string, password: string): Promise<string[]> {
  const hosts = await accountHosts(access, service, root, user);
  if (hosts.length === 0) throw new SqlError(`the database has no account named ${user}`);
  const r = await runSql(access, service, root, alterSql(user, hosts, password));
  if (r.exitCode !== 0 || !r.rows.some((row) => row[0] === 'ok')) throw new SqlError(`ALTER USER for ${user} failed: ${sqlProblem(r)}`);
  return hosts;
}

export type LoginCheck = 'ok' | 'denied' | 'unreachable' | 'error';

/** Can `login` connect? (`SELECT CURRENT_USER()` must name that user.) */
export async function checkLogin(access: EngineAccess, service: string, login: Login, protocol: Protocol): Promise<{ result: LoginCheck; detail: string }> {
  const r = await runSql(access, service, login, 'SELECT CURRENT_USER();', protocol);
  if (r.exitCode === 0) {
    const who = r.rows[0]?.[0] ?? '';
    return who.startsWith(`${login.user}@`) ? { result: 'ok', detail: who } : { result: 'error', detail: `logged in as ${who || 'nobody'} instead of ${login.user}` };
  }
  if (r.denied) return { result: 'denied', detail: sqlProblem(r) };
  if (r.unreachable) return { result: 'unreachable', detail: sqlProblem(r) };
  return { result: 'error', detail: sqlProblem(r) };
}
