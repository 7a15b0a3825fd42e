// A fake running installation behind the EngineAccess interface: MariaDB accounts (user@host ->
// password) and PhotoPrism's admin, driven through the same exec commands the real engine gets.
// It records every argv, so tests can check that no secret is ever passed as an argument.

import { readFileSync } from 'node:fs';
import path from 'node:path';
import { OPTIONS_END, CLIENT_SCRIPT } from '../../src/rotate/mariadb.js';
import { LOGIN_SCRIPT } from '../../src/rotate/photoprism.js';
import type { EngineAccess, ExecResult, Exchange, RunOpts } from '../../src/rotate/exec.js';

export interface FakeState {
  accounts: Map<string, string>; // "user@host" -> password
  admin: { user: string; password: string };
  running: Set<string>;
  restarts: string[];
  argv: string[][];
  stdinSeen: string[];
  /** make the next matching command fail */
  failAlter?: boolean;
  failPasswd?: boolean;
  failRestart?: boolean;
  /** ALTER USER "succeeds" but changes nothing */
  ignoreAlter?: boolean;
  /** the installation folder: a restarted PhotoPrism reads DatabasePassword from its options.yml */
  dir?: string;
  /**
   * Simulates a run killed in the middle of a command: when it returns true for a command (after the
   * command took effect, if `after`), the command never returns.
   */
  hang?: { when: (sub: string[], stdin: string) => boolean; after?: boolean; reached?: () => void };
  /** ALTER USER statements that took effect */
  alters: number;
}

const ok = (stdout = ''): ExecResult => ({ exitCode: 0, stdout, stderr: '' });
const fail = (stderr: string, code = 1): ExecResult => ({ exitCode: code, stdout: '', stderr });

function unquoteOption(v: string): string {
  const m = /^"(.*)"$/.exec(v);
  return m ? m[1]!.replace(/\\(.)/g, '$1') : v;
}

function sqlLiterals(s: string): string[] {
  const out: string[] = [];
  const re = /'((?:\\.|[^'\\])*)'/g;
  let m;
  while ((m = re.exec(s))) out.push(m[1]!.replace(/\\0/g, '\0').replace(/\\(.)/g, '$1'));
  return out;
}

export function fakeRunning(state: FakeState, services = { db: 'mariadb', pp: 'photoprism' }): EngineAccess {
  const sql = (stdin: string, tcp: boolean): ExecResult => {
    const [opts, ...rest] = stdin.split(`${OPTIONS_END}\n`);
    const user = /^user=(.*)$/m.exec(opts!)?.[1] ?? '';
    const password = unquoteOption(/^password=(.*)$/m.exec(opts!)?.[1] ?? '');
    const host = tcp ? '%' : state.accounts.has(`${user}@localhost`) ? 'localhost' : '%';
    const stored = state.accounts.get(`${user}@${host}`);
    if (stored === undefined || stored !== password) return fail(`ERROR 1045 (28000): Access denied for user '${user}'@'localhost' (using password: YES)`);
    const q = rest.join('');
    if (/SELECT CURRENT_USER\(\)/.test(q)) return ok(`${user}@${host}\n`);
    const hosts = /SELECT HEX\(Host\) FROM mysql\.user WHERE User=('(?:\\.|[^'\\])*')/.exec(q);
    if (hosts) {
      const u = sqlLiterals(hosts[1]!)[0]!;
      const hs = [...state.accounts.keys()].filter((k) => k.startsWith(`${u}@`)).map((k) => Buffer.from(k.slice(u.length + 1)).toString('hex').toUpperCase());
      return ok(hs.map((h) => `${h}\n`).join(''));
    }
    const alter = /ALTER USER (.*);\nFLUSH/s.exec(q);
    if (alter) {
      if (user !== 'root') return fail('ERROR 1227 (42000): Access denied; you need the CREATE USER privilege');
      if (state.failAlter) return fail('ERROR 1396 (HY000): Operation ALTER USER failed');
      const lits = sqlLiterals(alter[1]!);
      for (let i = 0; i + 2 < lits.length + 1; i += 3) if (!state.ignoreAlter) state.accounts.set(`${lits[i]}@${lits[i + 1]}`, lits[i + 2]!);
      state.alters++;
      return ok('ok\n');
    }
    return fail('ERROR 1064 (42000): unexpected SQL in the fake');
  };

  const exec = (sub: string[], o: RunOpts, steps: Exchange[] = []): ExecResult => {
    state.argv.push(sub);
    if (o.stdin) state.stdinSeen.push(o.stdin);
    if (sub[0] === 'ps') {
      return ok(
        [services.db, services.pp].map((s) => JSON.stringify({ Service: s, State: state.running.has(s) ? 'running' : 'exited', Health: s === services.db && state.running.has(s) ? 'healthy' : '', ExitCode: 0 })).join('\n'),
      );
    }
    if (sub[0] === 'restart') {
      if (state.failRestart) return fail('restart failed');
      state.restarts.push(sub[1]!);
      if (sub[1] === services.pp && state.dir) {
        // like PhotoPrism: it logs in with the options file's DatabasePassword, or exits
        const text = readFileSync(path.join(state.dir, 'storage/config/options.yml'), 'utf8');
        const pw = /^DatabasePassword: "(.*)"/m.exec(text)?.[1];
        if (pw !== state.accounts.get('photoprism@%')) state.running.delete(services.pp);
        else state.running.add(services.pp);
      }
      return ok();
    }
    if (sub[0] === 'up') {
      for (const s of sub.slice(2)) state.running.add(s);
      return ok();
    }
    if (sub[0] === 'exec') {
      let i = 2; // exec -T
      if (sub[i] === '--user') i += 2;
      const svc = sub[i]!;
      const cmd = sub.slice(i + 1);
      if (!state.running.has(svc)) return fail(`service "${svc}" is not running`);
      if (svc === services.db && cmd[0] === 'sh' && cmd[2] === CLIENT_SCRIPT) return sql(o.stdin ?? '', cmd.includes('--protocol=tcp'));
      if (svc === services.pp && cmd[0] === 'sh' && cmd[2] === LOGIN_SCRIPT && cmd[5] === '/api/v1/status') return ok('200\n');
      if (svc === services.pp && cmd[0] === 'sh' && cmd[2] === LOGIN_SCRIPT) {
        const body = JSON.parse(o.stdin ?? '{}') as { username: string; password: string };
        return ok(body.username === state.admin.user && body.password === state.admin.password ? '200\n' : '401\n');
      }
      if (svc === services.pp && cmd[0] === 'photoprism' && cmd[1] === 'passwd') {
        if (state.failPasswd) return fail('password must have at least 8 characters');
        const [a, b] = steps.map((s) => s.send.replace(/\n$/, ''));
        if (a !== b) return fail('passwords did not match');
        if (cmd[2] !== state.admin.user) return fail(`user ${cmd[2]} not found`);
        state.admin.password = a!;
        return ok('New Password: \nRetype Password: \n');
      }
    }
    return fail(`fake engine: unexpected command ${sub.join(' ')}`, 125);
  };
  const maybeHang = async (sub: string[], o: RunOpts, run: () => ExecResult): Promise<ExecResult> => {
    const h = state.hang;
    if (h && h.when(sub, o.stdin ?? '')) {
      state.hang = undefined;
      if (h.after) run();
      h.reached?.();
      return new Promise<ExecResult>(() => {});
    }
    return run();
  };
  return {
    display: 'docker compose',
    runtime: 'docker',
    compose: async (sub, o = {}) => maybeHang(sub, o, () => exec(sub, o)),
    container: async (args) => fail(`fake engine: unexpected ${args.join(' ')}`, 125),
    converse: async (sub, steps, o = {}) => maybeHang(sub, o, () => exec(sub, o, steps)),
  };
}
