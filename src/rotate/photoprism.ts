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

/** Python fallback for images without curl: the body on stdin, the URL as the only argument. */
const PY_POST = [
  'import sys, ssl, urllib.request, urllib.error',
  'd = sys.stdin.buffer.read()',
  'r = urllib.request.Request(sys.argv[1], data=d, headers={"Content-Type": "application/json"})',
  'try:',
  '    print(urllib.request.urlopen(r, timeout=20, context=ssl._create_unverified_context()).status)',
  'except urllib.error.HTTPError as e:',
  '    print(e.code)',
  'except Exception:',
  '    print("000")',
].join('\n');

/**
 * POSIX sh: the JSON body (with the password) comes on stdin and reaches curl (or python3) through a
 * pipe from the shell's builtin printf; $1 is the port. Prints the HTTP status (000: no answer).
 */
export const LOGIN_SCRIPT = [
  'b=$(cat)',
  'post() {',
  '  if command -v curl >/dev/null 2>&1; then printf %s "$b" | curl -sk -o /dev/null -w "%{http_code}" -H "Content-Type: application/json" --data-binary @- "$1"; return; fi',
  `  if command -v python3 >/dev/null 2>&1; then printf %s "$b" | python3 -c '${PY_POST}' "$1"; return; fi`,
  '  echo 000',
  '}',
  'for u in "http://127.0.0.1:$1" "https://127.0.0.1:$1"; do',
  '  s=$(post "$u/api/v1/session") || s=000',
  '  case "$s" in 000|"") ;; *) echo "$s"; exit 0 ;; esac',
  'done',
  'echo 000',
].join('\n');

export type AdminLogin = 'ok' | 'denied' | 'unreachable';

/** Does PhotoPrism accept username/password? (HTTP 200 ok; 400/401/403 denied; else unreachable) */
export async function checkAdminLogin(access: EngineAccess, t: PhotoPrismTarget, username: string, password: string, port = 2342): Promise<{ result: AdminLogin; detail: string }> {
  const body = JSON.stringify({ username, password });
  // `printf %s "$b"`: printf is a shell builtin, so the body never becomes an argument of a process
  const r = await access.compose([...execPrefix(t), 'sh', '-c', LOGIN_SCRIPT, 'sh', String(port)], { stdin: body, timeoutMs: 60000 });
  const status = r.stdout.trim().split('\n').pop() ?? '';
  if (r.exitCode !== 0) return { result: 'unreachable', detail: (r.stderr.trim().split('\n')[0] ?? '').slice(0, 200) || `exit code ${r.exitCode}` };
  if (status === '200') return { result: 'ok', detail: 'HTTP 200' };
  if (/^(400|401|403)$/.test(status)) return { result: 'denied', detail: `HTTP ${status}` };
  return { result: 'unreachable', detail: `HTTP ${status || 'no answer'}` };
}
