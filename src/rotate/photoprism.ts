// PhotoPrism's admin password lives in PhotoPrism's own database: it is changed with PhotoPrism's CLI,
// `photoprism passwd <user>` (internal/commands/passwd.go), which asks "New Password:" and "Retype
// Password:" and reads each answer from stdin. Both answers go through the exec's stdin, one after the
// other as the questions appear (each prompt reads with a fresh buffered reader, so an answer written
// early would be swallowed by the first). A login is checked against PhotoPrism's session API from
// inside the container, with the JSON body on curl's stdin.

import type { EngineAccess } from './exec.js';

export interface PhotoPrismTarget {
  service: string;
  /** "uid:gid" to run the CLI as (PHOTOPRISM_UID/GID), so files it may create keep the right owner */
  user?: string;
}

const execPrefix = (t: PhotoPrismTarget) => ['exec', '-T', ...(t.user ? ['--user', t.user] : []), t.service];

export class AdminError extends Error {}

export async function changeAdminPassword(access: EngineAccess, t: PhotoPrismTarget, username: string, password: string): Promise<void> {
  if (/[\r\n]/.test(password)) throw new AdminError('the admin password must be a single line');
  const r = await access.converse(
    [...execPrefix(t), 'photoprism', 'passwd', username],
    [
      { expect: /New Password:\s*$|New Password:/, send: `${password}\n` },
      { expect: /Retype Password:/, send: `${password}\n` },
    ],
    { timeoutMs: 180000 },
  );
  if (r.exitCode !== 0) {
    const why = `${r.stderr}\n${r.stdout}`.split('\n').map((l) => l.trim()).filter(Boolean).slice(-1)[0] ?? `exit code ${r.exitCode}`;
    throw new AdminError(`photoprism passwd ${username} failed: ${why.slice(0, 300)}`);
  }
}

/** POSIX sh around curl: the JSON body (with the password) comes on stdin; prints the HTTP status. */
export const LOGIN_SCRIPT = [
  'b=$(cat)',
  'for u in http://127.0.0.1:2342 https://127.0.0.1:2342; do',
  '  s=$(printf %s "$b" | curl -sk -o /dev/null -w "%{http_code}" -H "Content-Type: application/json" --data-binary @- "$u/api/v1/session") && [ "$s" != 000 ] && { echo "$s"; exit 0; }',
  'done',
  'echo 000',
].join('\n');

export type AdminLogin = 'ok' | 'denied' | 'unreachable';

/** Does PhotoPrism accept username/password? (HTTP 200 ok; 400/401/403 denied; else unreachable) */
export async function checkAdminLogin(access: EngineAccess, t: PhotoPrismTarget, username: string, password: string): Promise<{ result: AdminLogin; detail: string }> {
  const body = JSON.stringify({ username, password });
  // `printf %s "$b"`: printf is a shell builtin, so the body never becomes an argument of a process
  const r = await access.compose([...execPrefix(t), 'sh', '-c', LOGIN_SCRIPT], { stdin: body, timeoutMs: 60000 });
  const status = r.stdout.trim().split('\n').pop() ?? '';
  if (r.exitCode !== 0) return { result: 'unreachable', detail: (r.stderr.trim().split('\n')[0] ?? '').slice(0, 200) || `exit code ${r.exitCode}` };
  if (status === '200') return { result: 'ok', detail: 'HTTP 200' };
  if (/^(400|401|403)$/.test(status)) return { result: 'denied', detail: `HTTP ${status}` };
  return { result: 'unreachable', detail: `HTTP ${status || 'no answer'}` };
}
