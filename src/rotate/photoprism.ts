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
  '    if not d: r = urllib.request.Request(sys.argv[1])',
  '    print(urllib.request.urlopen(r, timeout=20, context=ssl._create_unverified_context()).status)',
  'except urllib.error.HTTPError as e:',
  '    print(e.code)',
  'except Exception:',
  '    print("000")',
].join('\n');

/**
 * POSIX sh: the JSON body (with the password) comes on stdin and reaches curl (or python3) through a
 * pipe from the shell's builtin printf; $1 is the port, $2 the API path. With an empty body it is a GET.
 * Prints the HTTP status (000: no answer; noclient: neither curl nor python3 in the image).
 */
export const LOGIN_SCRIPT = [
  'b=$(cat)',
  'command -v curl >/dev/null 2>&1 || command -v python3 >/dev/null 2>&1 || { echo noclient; exit 0; }',
  'post() {',
  '  if command -v curl >/dev/null 2>&1; then',
  '    if [ -z "$b" ]; then curl -sk -o /dev/null -w "%{http_code}" "$1"; else printf %s "$b" | curl -sk -o /dev/null -w "%{http_code}" -H "Content-Type: application/json" --data-binary @- "$1"; fi',
  '    return',
  '  fi',
  `  printf %s "$b" | python3 -c '${PY_POST}' "$1"`,
  '}',
  'for u in "http://127.0.0.1:$1" "https://127.0.0.1:$1"; do',
  '  s=$(post "$u$2") || s=000',
  '  case "$s" in 000|"") ;; *) echo "$s"; exit 0 ;; esac',
  'done',
  'echo 000',
].join('\n');

export type AdminLogin = 'ok' | 'denied' | 'unreachable' | 'noclient';

/** Does PhotoPrism accept username/password? (HTTP 200 ok; 400/401/403 denied; else unreachable) */
export async function checkAdminLogin(access: EngineAccess, t: PhotoPrismTarget, username: string, password: string, port = 2342): Promise<{ result: AdminLogin; detail: string }> {
  const body = JSON.stringify({ username, password });
  // `printf %s "$b"`: printf is a shell builtin, so the body never becomes an argument of a process
  const r = await access.compose([...execPrefix(t), 'sh', '-c', LOGIN_SCRIPT, 'sh', String(port), '/api/v1/session'], { stdin: body, timeoutMs: 60000 });
  const status = r.stdout.trim().split('\n').pop() ?? '';
  if (r.exitCode !== 0) return { result: 'unreachable', detail: (r.stderr.trim().split('\n')[0] ?? '').slice(0, 200) || `exit code ${r.exitCode}` };
  if (status === 'noclient') return { result: 'noclient', detail: 'the PhotoPrism image has neither curl nor python3' };
  if (status === '200') return { result: 'ok', detail: 'HTTP 200' };
  if (/^(400|401|403)$/.test(status)) return { result: 'denied', detail: `HTTP ${status}` };
  return { result: 'unreachable', detail: `HTTP ${status || 'no answer'}` };
}

/** Does PhotoPrism answer GET /api/v1/status with 200 (it serves only once it is connected to its database)? */
export async function photoprismServes(access: EngineAccess, t: PhotoPrismTarget, port = 2342): Promise<'ok' | 'no' | 'noclient'> {
  const r = await access.compose([...execPrefix(t), 'sh', '-c', LOGIN_SCRIPT, 'sh', String(port), '/api/v1/status'], { stdin: '', timeoutMs: 60000 });
  const status = r.stdout.trim().split('\n').pop() ?? '';
  if (r.exitCode === 0 && status === 'noclient') return 'noclient';
  return r.exitCode === 0 && status === '200' ? 'ok' : 'no';
}
