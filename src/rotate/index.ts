// `rotate`: give MariaDB's PhotoPrism user, MariaDB's root, or PhotoPrism's admin a new password on a
// running installation. The running system changes first (ALTER USER through the root login,
// `photoprism passwd`); only once it accepts the new password and refuses the old one are the files
// (secret files, options.yml) swapped, atomically; then what reads them at start is restarted and the
// logins are checked again. A failure puts the old password back everywhere and says so.
//
// Crash safety: before anything changes, the old and the new value are staged as secret files and a
// journal names the rotation. The next run (any rotate) first asks the running system which of the
// staged values it accepts and makes every file match that one: a run killed at any step ends with
// old or new passwords that match the database, never a mismatch.

import { readFileSync } from 'node:fs';
import path from 'node:path';
import { PASSWORD_ENV, SECRET_FILES } from '../domain.js';
import { detect, installAdvice, serviceStates, type Engine, type EngineChoice } from '../engine.js';
import { UsageError } from '../errors.js';
import { Output } from '../output.js';
import { generatePassword, GENERATED_LENGTH } from '../passwords.js';
import { readTargetState } from '../state.js';
import { checkPassword } from '../validate.js';
import { verdict } from '../lifecycle.js';
import { childEnv, engineAccess, type EngineAccess } from './exec.js';
import type { HostProbe } from '../host.js';
import {
  clearJournal,
  fileOwner,
  optionOf,
  readJournal,
  readSecret,
  removeFile,
  setOption,
  writeJournal,
  writeSecret,
  type Journal,
  type Target,
} from './files.js';
import { checkLogin, checkName, setPassword, type Login, type LoginCheck } from './mariadb.js';
import { changeAdminPassword, checkAdminLogin, photoprismServes, type PhotoPrismTarget } from './photoprism.js';

export const TARGETS: readonly Target[] = ['databaseRoot', 'database', 'admin'];

export const TARGET_INFO: Record<Target, { flag: string; label: string; key: 'adminPassword' | 'databasePassword' | 'databaseRootPassword'; stage: string }> = {
  databaseRoot: { flag: 'database-root', label: "MariaDB's root password", key: 'databaseRootPassword', stage: 'db_root_pwd' },
  database: { flag: 'database', label: "the database password of PhotoPrism's MariaDB user", key: 'databasePassword', stage: 'db_pwd' },
  admin: { flag: 'admin', label: "PhotoPrism's admin password", key: 'adminPassword', stage: 'admin_pwd' },
};

/** Staged values of a rotation in flight (secret files: .secrets/ is 0700, these are 0600). */
export const stagedOld = (t: Target) => `.secrets/${TARGET_INFO[t].stage}.rotate-old`;
export const stagedNew = (t: Target) => `.secrets/${TARGET_INFO[t].stage}.rotate-new`;

export class RotateError extends Error {}

/** Where new passwords come from, per target (already validated). */
export type NewPasswords = Partial<Record<Target, string>>;

export interface RotateOptions {
  dir: string;
  /** the host probes (tests inject a fake); default: the real host */
  probe?: HostProbe;
  targets: Target[];
  /** new passwords given by the user (answers file, env preset, prompt); the rest are generated */
  passwords?: NewPasswords;
  /** start the services (compose up -d) when they are not running */
  start?: boolean;
  engine?: EngineChoice;
  timeoutMs?: number;
  env?: NodeJS.ProcessEnv;
  out?: Output;
  /** the engine, injected by tests (default: the real Compose engine found on PATH) */
  access?: EngineAccess;
  /** service states, injected by tests */
  states?: () => Promise<{ service: string; state: string; health: string; exitCode: number }[]>;
  pollMs?: number;
}

interface Install {
  dir: string;
  composeFile: string;
  optionsFile: string;
  db: string;
  pp: string;
  dbUser: string;
  adminUser: string;
  /** PhotoPrism's port inside its container (HttpPort, default 2342) */
  httpPort: number;
  ppTarget: PhotoPrismTarget;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Read the installation: it must be one the tool made or adopted (secret files + options.yml). */
async function readInstall(dir: string, env: NodeJS.ProcessEnv, probe: HostProbe | undefined): Promise<Install> {
  const state = await readTargetState(dir);
  if (!state.composeFilesFound.length) throw new RotateError(`no compose file in ${state.dir}`);
  const { loadInstallation } = await import('../audit/load.js');
  const { defaultProbe } = await import('../host.js');
  const ctx = await loadInstallation({ dir: state.dir, facts: await (probe ?? defaultProbe()).facts(), env });
  if (!ctx.mariadb || !ctx.photoprism) throw new RotateError(`${ctx.compose.rel} has no PhotoPrism and MariaDB services; rotate works on installations made or adopted by photoprism-harden init`);
  const dbEnv = ctx.mariadb.envMap;
  const usesFiles = ['MARIADB_PASSWORD_FILE', 'MYSQL_PASSWORD_FILE'].some((k) => dbEnv.has(k)) && ['MARIADB_ROOT_PASSWORD_FILE', 'MYSQL_ROOT_PASSWORD_FILE'].some((k) => dbEnv.has(k));
  if (!usesFiles || !state.contents[state.optionsSource]) {
    throw new RotateError(
      `${state.dir} is not an installation made or adopted by photoprism-harden (MariaDB must read its passwords from secret files and PhotoPrism from ${state.optionsFile}); run "photoprism-harden init" first`,
    );
  }
  const opts = state.contents[state.optionsSource]!;
  const dbUser = checkName(optionOf(opts, 'DatabaseUser') ?? 'photoprism', 'DatabaseUser');
  const adminUser = optionOf(opts, 'AdminUser') ?? 'admin';
  const { parseDocument } = await import('yaml');
  const port = Number((parseDocument(opts).toJS() as Record<string, unknown> | null)?.HttpPort ?? 2342);
  const httpPort = Number.isInteger(port) && port > 0 && port < 65536 ? port : 2342;
  const id = ctx.identity;
  const ppTarget: PhotoPrismTarget = { service: ctx.photoprism.name, ...(id?.mode === 'env' && id.uid !== null && id.gid !== null ? { user: `${id.uid}:${id.gid}` } : {}) };
  return { dir: state.dir, composeFile: state.composeFile, optionsFile: state.optionsSource, db: ctx.mariadb.name, pp: ctx.photoprism.name, dbUser, adminUser, httpPort, ppTarget };
}

/** The current value of a target's password, from its file. */
async function currentValue(inst: Install, t: Target): Promise<string | undefined> {
  if (t === 'database') return readSecret(inst.dir, SECRET_FILES.dbPassword);
  if (t === 'databaseRoot') return readSecret(inst.dir, SECRET_FILES.dbRootPassword);
  return optionOf(readFileSync(path.join(inst.dir, inst.optionsFile), 'utf8'), 'AdminPassword');
}

class Rotation {
  private readonly out: Output;
  private readonly timeoutMs: number;
  constructor(
    private readonly inst: Install,
    private readonly access: EngineAccess,
    private readonly o: RotateOptions,
  ) {
    this.out = o.out ?? new Output();
    this.timeoutMs = o.timeoutMs ?? 300000;
  }

  private async rootLogin(): Promise<Login> {
    const pw = await readSecret(this.inst.dir, SECRET_FILES.dbRootPassword);
    if (!pw) throw new RotateError(`${SECRET_FILES.dbRootPassword} is missing or empty: the root password is needed to change passwords in MariaDB (see MariaDB's reset procedure: https://mariadb.com/kb/en/resetting-the-root-password/)`);
    return { user: 'root', password: pw };
  }

  /** Does the running system accept `password` for target t? */
  async accepts(t: Target, password: string): Promise<LoginCheck> {
    if (t === 'admin') {
      const r = await checkAdminLogin(this.access, this.inst.ppTarget, this.inst.adminUser, password, this.inst.httpPort);
      if (r.result === 'noclient') throw new RotateError(`cannot check PhotoPrism logins: ${r.detail}`);
      return r.result;
    }
    const user = t === 'databaseRoot' ? 'root' : this.inst.dbUser;
    // the PhotoPrism user connects over TCP as PhotoPrism does; root over the local socket
    const r = await checkLogin(this.access, this.inst.db, { user, password }, t === 'databaseRoot' ? 'socket' : 'tcp');
    return r.result;
  }

  /** Change the password inside the running system. */
  private async change(t: Target, from: string, to: string): Promise<void> {
    if (t === 'admin') return changeAdminPassword(this.access, this.inst.ppTarget, this.inst.adminUser, to);
    if (t === 'databaseRoot') {
      await setPassword(this.access, this.inst.db, { user: 'root', password: from }, 'root', to);
      return;
    }
    await setPassword(this.access, this.inst.db, await this.rootLogin(), this.inst.dbUser, to);
  }

  /** Make every file hold `value` for target t. */
  private async writeFiles(t: Target, value: string): Promise<void> {
    const dir = this.inst.dir;
    if (t === 'database') {
      // options.yml first, then the secret file: both are atomic, and the staged values cover the gap
      await setOption(dir, this.inst.optionsFile, 'DatabasePassword', value);
      await writeSecret(dir, SECRET_FILES.dbPassword, value);
    } else if (t === 'databaseRoot') {
      await writeSecret(dir, SECRET_FILES.dbRootPassword, value);
    } else {
      await setOption(dir, this.inst.optionsFile, 'AdminPassword', value);
    }
  }

  private async journal(t: Target, phase: Journal['phase'], started: string): Promise<void> {
    await writeJournal(this.inst.dir, { tool: 'photoprism-harden', target: t, phase, started });
  }

  private async unstage(t: Target): Promise<void> {
    await removeFile(this.inst.dir, stagedNew(t));
    await removeFile(this.inst.dir, stagedOld(t));
    await clearJournal(this.inst.dir);
  }

  /** Restart PhotoPrism (it reads DatabasePassword at start) and wait until it runs. */
  private async restartPhotoPrism(): Promise<void> {
    this.out.out(`  restarting ${this.inst.pp} (it reads the database password when it starts) …`);
    const r = await this.access.compose(['restart', this.inst.pp], { timeoutMs: this.timeoutMs });
    if (r.exitCode !== 0) throw new RotateError(`${this.access.display} restart ${this.inst.pp} failed: ${r.stderr.trim().split('\n').pop() ?? r.exitCode}`);
    await this.waitRunning([this.inst.pp]);
    // PhotoPrism serves its API only once it has logged in to the database: wait for it
    const deadline = Date.now() + this.timeoutMs;
    for (;;) {
      const s = await photoprismServes(this.access, this.inst.ppTarget, this.inst.httpPort);
      if (s === 'ok') break;
      if (s === 'noclient') {
        this.out.out(`  (${this.inst.pp} runs; its API could not be asked: the image has neither curl nor python3)`);
        break;
      }
      await this.waitRunning([this.inst.pp]); // throws once the container has exited
      if (Date.now() > deadline) throw new RotateError(`${this.inst.pp} did not answer on its API within ${Math.round(this.timeoutMs / 1000)} s after the restart`);
      await sleep(this.o.pollMs ?? 1000);
    }
    this.out.out(`  ${this.inst.pp} is up again and serves its API`);
  }

  async states() {
    if (this.o.states) return this.o.states();
    const r = await this.access.compose(['ps', '-a', '--format', 'json']);
    const { parsePsJson } = await import('../engine.js');
    if (r.exitCode !== 0) throw new RotateError(`${this.access.display} ps failed: ${r.stderr.trim().split('\n')[0] ?? r.exitCode}`);
    return parsePsJson(r.stdout);
  }

  async waitRunning(services: string[]): Promise<void> {
    const deadline = Date.now() + this.timeoutMs;
    for (;;) {
      const states = await this.states();
      const v = services.map((s) => ({ s, ...verdict(states, s) }));
      const failed = v.find((x) => x.verdict === 'failed');
      if (failed) throw new RotateError(`${failed.s} is ${failed.text}`);
      if (v.every((x) => x.verdict === 'ready')) return;
      if (Date.now() > deadline) throw new RotateError(`timed out waiting for ${v.filter((x) => x.verdict !== 'ready').map((x) => `${x.s} (${x.text})`).join(', ')}`);
      await sleep(this.o.pollMs ?? 1000);
    }
  }

  /** Finish or undo a rotation a previous run left behind (journal or staged files present). */
  async recover(t: Target): Promise<'completed' | 'rolled-back' | 'none'> {
    const dir = this.inst.dir;
    const oldV = await readSecret(dir, stagedOld(t));
    const newV = await readSecret(dir, stagedNew(t));
    const cur = await currentValue(this.inst, t);
    if (oldV === undefined && newV === undefined) return 'none';
    this.out.out(`A rotation of ${TARGET_INFO[t].label} did not finish; asking the running system which password it accepts …`);
    const candidates = [newV, oldV, cur].filter((v, i, a): v is string => !!v && a.indexOf(v) === i);
    for (const c of candidates) {
      const r = await this.accepts(t, c);
      if (r === 'unreachable') throw new RotateError(`cannot reach the running ${t === 'admin' ? 'PhotoPrism' : 'MariaDB'} to finish the interrupted rotation; start the services (or pass --start) and run rotate again`);
      if (r !== 'ok') continue;
      const changedFiles = cur !== c || (t === 'database' && (await this.dbOptionValue()) !== c);
      await this.writeFiles(t, c);
      if (t === 'database' && changedFiles) await this.restartPhotoPrism();
      await this.unstage(t);
      const outcome = c === newV && c !== oldV ? 'completed' : 'rolled-back';
      this.out.out(
        outcome === 'completed'
          ? `  completed: the running system already used the new password; the files now hold it too.`
          : `  rolled back: the running system still uses the old password; the files hold it again.`,
      );
      return outcome;
    }
    throw new RotateError(
      `the running system accepts none of the passwords of the interrupted rotation of ${TARGET_INFO[t].label}; ` +
        `nothing was changed. The staged values are in ${stagedOld(t)} and ${stagedNew(t)} (mode 0600)`,
    );
  }

  private async dbOptionValue(): Promise<string | undefined> {
      return optionOf(readFileSync(path.join(this.inst.dir, this.inst.optionsFile), 'utf8'), 'DatabasePassword');
  }

  /** One rotation, as a transaction. */
  async rotate(t: Target, next: string): Promise<void> {
    const dir = this.inst.dir;
    const info = TARGET_INFO[t];
    const old = await currentValue(this.inst, t);
    if (!old) {
      throw new RotateError(
        t === 'admin'
          ? `${this.inst.optionsFile} has no AdminPassword: the current admin password is needed to check the change`
          : `${t === 'database' ? SECRET_FILES.dbPassword : SECRET_FILES.dbRootPassword} is missing or empty`,
      );
    }
    if (old === next) throw new UsageError([`${info.key}: the new password is the same as the current one`]);
    if (t === 'database') {
      const inOptions = await this.dbOptionValue();
      if (inOptions !== undefined && inOptions !== old) {
        throw new RotateError(`DatabasePassword in ${this.inst.optionsFile} differs from ${SECRET_FILES.dbPassword}; make them the same (the one the database accepts) before rotating`);
      }
    }
    this.out.out(`Rotating ${info.label}:`);
    // 1. stage both values, then the journal: from here on a killed run can always be reconciled
    const started = new Date().toISOString();
    const like = (await fileOwner(dir, t === 'databaseRoot' ? SECRET_FILES.dbRootPassword : SECRET_FILES.dbPassword)) ?? undefined;
    await writeSecret(dir, stagedOld(t), old, like);
    await writeSecret(dir, stagedNew(t), next, like);
    await this.journal(t, 'staged', started);
    // 2. the old password must work now, or there is nothing to rotate from
    const before = await this.accepts(t, old).catch(async (e: unknown) => {
      await this.unstage(t);
      throw e;
    });
    if (before !== 'ok') {
      await this.unstage(t);
      if (before === 'unreachable') throw new RotateError(`cannot reach the running ${t === 'admin' ? 'PhotoPrism' : 'MariaDB'} service; start it (or pass --start)`);
      throw new RotateError(
        `the running system does not accept the current ${info.label} from the files; nothing was changed` +
          (t === 'database' ? ' (run "photoprism-harden rotate --database" only when PhotoPrism can log in; see "photoprism-harden audit")' : ''),
      );
    }
    this.out.out('  the current password works');
    let changed = false;
    let swapped = false;
    try {
      // 3. the running system first
      await this.journal(t, 'changing', started);
      changed = true; // (from here on, the system may hold the new value)
      await this.change(t, old, next);
      await this.journal(t, 'changed', started);
        const n = await this.accepts(t, next);
      const o = await this.accepts(t, old);
      if (n !== 'ok') throw new RotateError(`the new password does not work after the change (${n})`);
      if (o !== 'denied') throw new RotateError(`the old password still works after the change (${o})`);
      this.out.out(`  changed in the running ${t === 'admin' ? 'PhotoPrism' : 'MariaDB'}: the new password works, the old one is refused`);
      // 4. the files
      swapped = true;
      await this.writeFiles(t, next);
      await this.journal(t, 'swapped', started);
        this.out.out(`  written: ${this.filesOf(t).join(', ')}`);
      // 5. what reads them at start
      if (t === 'database') {
        await this.restartPhotoPrism();
        await this.journal(t, 'restarted', started);
            if ((await this.accepts(t, next)) !== 'ok') throw new RotateError('the new database password stopped working after the restart');
      }
      await this.unstage(t);
      this.out.out(`  done: ${info.label} is rotated`);
    } catch (e) {
      const why = e instanceof Error ? e.message : String(e);
      this.out.err(`  failed: ${why}`);
      await this.rollback(t, old, next, changed, swapped, started);
      throw new RotateError(`rotation of ${info.label} failed (${why}); rolled back: the old password still works and the files hold it`);
    }
  }

  private filesOf(t: Target): string[] {
    if (t === 'database') return [SECRET_FILES.dbPassword, this.inst.optionsFile];
    if (t === 'databaseRoot') return [SECRET_FILES.dbRootPassword];
    return [this.inst.optionsFile];
  }

  private async rollback(t: Target, old: string, next: string, changed: boolean, swapped: boolean, started: string): Promise<void> {
    await this.journal(t, 'rolling-back', started);
    if (changed) {
      const now = await this.accepts(t, old);
      if (now !== 'ok') {
        // the system holds the new value: set the old one back
        if (t === 'databaseRoot') await setPassword(this.access, this.inst.db, { user: 'root', password: next }, 'root', old);
        else if (t === 'database') await setPassword(this.access, this.inst.db, await this.rootLogin(), this.inst.dbUser, old);
        else await changeAdminPassword(this.access, this.inst.ppTarget, this.inst.adminUser, old);
        if ((await this.accepts(t, old)) !== 'ok') {
          throw new RotateError(
            `rollback failed: the running system does not accept the old ${TARGET_INFO[t].label} again. Both values are kept in ${stagedOld(t)} and ${stagedNew(t)}; run rotate again to reconcile`,
          );
        }
      }
    }
    if (swapped) {
      await this.writeFiles(t, old);
      if (t === 'database') await this.restartPhotoPrism().catch((e: Error) => this.out.err(`  (restarting ${this.inst.pp} after the rollback failed: ${e.message})`));
    }
    await this.unstage(t);
    this.out.err(`  rolled back: the old ${TARGET_INFO[t].label} works again and the files hold it`);
  }
}

/** New passwords for the targets: given ones are validated; the rest are generated with node:crypto. */
export function newPasswords(targets: readonly Target[], given: NewPasswords): Record<Target, string> {
  const problems: string[] = [];
  const out = {} as Record<Target, string>;
  for (const t of targets) {
    const g = given[t];
    if (g === undefined) {
      out[t] = generatePassword(t === 'admin' ? GENERATED_LENGTH.admin : GENERATED_LENGTH.database);
      continue;
    }
    const r = checkPassword(g, TARGET_INFO[t].key);
    if (!r.ok) problems.push(r.message);
    else out[t] = r.value;
  }
  if (problems.length) throw new UsageError(problems);
  return out;
}

/** New passwords given through the environment presets (PHOTOPRISM_HARDEN_*_PASSWORD). */
export function presetPasswords(env: NodeJS.ProcessEnv, targets: readonly Target[]): NewPasswords {
  const out: NewPasswords = {};
  for (const t of targets) {
    const v = env[PASSWORD_ENV[TARGET_INFO[t].key]];
    if (v !== undefined && v !== '') out[t] = v;
  }
  return out;
}

export async function runRotate(o: RotateOptions): Promise<number> {
  const out = o.out ?? new Output();
  const env = o.env ?? process.env;
  if (!o.targets.length) throw new UsageError(['say what to rotate: --database, --database-root and/or --admin']);
  const next = newPasswords(o.targets, o.passwords ?? {});
  out.addSecrets(Object.values(next));
  const inst = await readInstall(o.dir, env, o.probe);
  // the current secrets are never shown either
  for (const t of TARGETS) {
    const v = await currentValue(inst, t).catch(() => undefined);
    if (v) out.addSecrets([v]);
    for (const s of [stagedOld(t), stagedNew(t)]) {
      const sv = await readSecret(inst.dir, s).catch(() => undefined);
      if (sv) out.addSecrets([sv]);
    }
  }
  let access = o.access;
  let engine: Engine | null = null;
  if (!access) {
    const d = await detect(childEnv(env), o.engine, undefined, undefined, (o.probe ?? (await import('../host.js')).defaultProbe()).commands);
    engine = d.engine;
    if (!engine) throw new RotateError(`no Compose engine found (${d.notFound.join('; ')}).\n${installAdvice(o.engine).join('\n')}`);
    access = engineAccess(engine, inst.dir, inst.composeFile, env);
  }
  const r = new Rotation(inst, access, { ...o, out });
  // the services must run: the passwords change inside them
  const states = o.states ? await o.states() : engine ? (await serviceStates(engine, inst.dir, inst.composeFile, childEnv(env))).states : await r.states();
  const needed = [inst.db, ...(o.targets.includes('admin') || o.targets.includes('database') ? [inst.pp] : [])];
  const notRunning = needed.filter((s) => verdict(states, s).verdict !== 'ready');
  if (notRunning.length) {
    if (!o.start) {
      throw new RotateError(
        `${notRunning.join(' and ')} ${notRunning.length > 1 ? 'are' : 'is'} not running: passwords are changed inside the running services. Start them (${access.display} up -d) or pass --start`,
      );
    }
    out.out(`Starting ${notRunning.join(' and ')} (${access.display} up -d) …`);
    const up = await access.compose(['up', '-d', ...needed], { timeoutMs: o.timeoutMs ?? 300000 });
    if (up.exitCode !== 0) throw new RotateError(`${access.display} up -d failed: ${up.stderr.trim().split('\n').pop() ?? up.exitCode}`);
    await r.waitRunning(needed);
  }
  // an interrupted earlier rotation is finished (or undone) before anything new starts
  const j = await readJournal(inst.dir);
  for (const t of TARGETS) {
    if ((j && j.target === t) || (await readSecret(inst.dir, stagedNew(t))) !== undefined || (await readSecret(inst.dir, stagedOld(t))) !== undefined) await r.recover(t);
  }
  if (j && !(await readSecret(inst.dir, stagedNew(j.target))) && !(await readSecret(inst.dir, stagedOld(j.target)))) await clearJournal(inst.dir);
  // root first: the other database change logs in as root
  for (const t of TARGETS.filter((x) => o.targets.includes(x))) await r.rotate(t, next[t]);
  out.out('');
  out.out('Rotated. The new passwords are only in the files (never shown):');
  for (const t of TARGETS.filter((x) => o.targets.includes(x))) {
    out.out(`  ${TARGET_INFO[t].label}: ${t === 'database' ? `${SECRET_FILES.dbPassword} and ${inst.optionsFile} (DatabasePassword)` : t === 'databaseRoot' ? SECRET_FILES.dbRootPassword : `${inst.optionsFile} (AdminPassword)`}`);
  }
  return 0;
}
