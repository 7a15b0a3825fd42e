// Collect, secrets: the passwords an installation already has (kept: MariaDB and PhotoPrism read them
// only on first start), those given by answers file or environment preset, and those the wizard asks
// for or generates. Nothing here prints or stores a password.

import { parseDocument } from 'yaml';
import { yamlData } from '../yamlparse.js';
import { lostSecretAdvice } from '../rotate/lost.js';
import { ADMIN_SECRET_FILE, PASSWORD_ENV, SECRET_FILES, secretFileValue } from '../domain.js';
import { GENERATED_LENGTH, generatePassword } from '../passwords.js';
import { SECRET_KEYS, question, type Ctx, type Key, type SecretKey } from '../questions.js';
import type { TargetState } from '../state.js';
import type { Prompter } from './ask.js';
import { sayTo } from './ask.js';

export type SecretSource = 'generated' | 'answers file' | 'environment' | 'prompt' | 'existing';

/** Secret values and where each came from, as far as known. */
export interface SecretPicks {
  values: Partial<Record<SecretKey, string>>;
  sources: Partial<Record<SecretKey, SecretSource>>;
}

/** Passwords already in the installation: MariaDB and PhotoPrism only read them on first start. */
export function existingSecrets(
  state: TargetState,
  fromComposeEnv: Partial<Record<SecretKey, string>> = {},
): { values: Partial<Record<SecretKey, string>>; errors: string[]; others: string[] } {
  const values: Partial<Record<SecretKey, string>> = {};
  const errors: string[] = [];
  /** secret values seen that are not the kept ones (never shown either) */
  const others: string[] = [];
  const db = state.contents[SECRET_FILES.dbPassword];
  const root = state.contents[SECRET_FILES.dbRootPassword];
  if (db !== undefined && db !== '') values.databasePassword = secretFileValue(db);
  if (root !== undefined && root !== '') values.databaseRootPassword = secretFileValue(root);
  // the Swarm and Kubernetes targets keep the admin password in a secret file, not in options.yml
  const admin = state.contents[ADMIN_SECRET_FILE];
  if (admin !== undefined && admin !== '') values.adminPassword = secretFileValue(admin);
  const optsText = state.contents[state.optionsSource];
  if (optsText !== undefined) {
    const doc = parseDocument(optsText);
    const parsed = doc.errors.length ? undefined : yamlData(doc);
    if (parsed?.error) errors.push(`${state.optionsSource}: ${parsed.error}`);
    const data = parsed?.data as Record<string, unknown> | null | undefined;
    if (data && typeof data === 'object') {
      if (typeof data.AdminPassword === 'string' && data.AdminPassword) values.adminPassword = data.AdminPassword;
      const optDb = data.DatabasePassword;
      if (typeof optDb === 'string' && optDb) {
        if (values.databasePassword === undefined) values.databasePassword = optDb;
        else if (optDb !== values.databasePassword) {
          others.push(optDb);
          errors.push(
            `databasePassword: DatabasePassword in ${state.optionsSource} differs from ${SECRET_FILES.dbPassword}. ` +
              (state.databaseInitialised
                ? `The database most likely uses ${SECRET_FILES.dbPassword} (MariaDB read it when it created database/). `
                : 'The database folder is not initialised yet, so neither has been used. ') +
              'Nothing was changed: make both the same value by hand, then run init again.',
          );
        }
      }
    }
  }
  // PhotoPrism's example keeps passwords in the compose environment: the database already uses them
  for (const k of SECRET_KEYS) if (values[k] === undefined && fromComposeEnv[k] !== undefined) values[k] = fromComposeEnv[k];
  return { values, errors, others };
}

const BACKUP_DIR_HINT = '.photoprism-harden/backups';

/**
 * An initialised database with a lost MariaDB secret: MariaDB keeps the passwords it was created
 * with, so a new generated one would only lock PhotoPrism (or the admin) out. It is an error with
 * what to do, never a silent new password.
 */
export function lostSecretErrors(state: TargetState, values: Partial<Record<SecretKey, string>>): string[] {
  if (!state.databaseInitialised) return [];
  const out: string[] = [];
  for (const [key, file, user] of [
    ['databaseRootPassword', SECRET_FILES.dbRootPassword, 'root'],
    ['databasePassword', SECRET_FILES.dbPassword, 'photoprism'],
  ] as const) {
    if (values[key] !== undefined) continue;
    const was = state.paths[file]?.exists ? 'is empty' : 'is missing';
    // rotate can set a new user password in the running database only with the root password
    const advice = lostSecretAdvice(key, values.databaseRootPassword !== undefined, state.dir).slice(1);
    out.push(
      `${key}: database/ already holds MariaDB data, but ${file} ${was}${key === 'databasePassword' ? ` (and ${state.optionsSource} has no DatabasePassword)` : ''}. ` +
        `MariaDB keeps the password it was created with, so a new one would lock ${user === 'root' ? 'you' : 'PhotoPrism'} out; nothing was changed. ` +
        `Restore the file from your backup or from ${BACKUP_DIR_HINT}/<newest>/${file}, then run init again. If it is lost for good: ` +
        advice.map((l) => l.trim()).join(' '),
    );
  }
  return out;
}

/**
 * The secrets known before any question is asked: an existing one is kept (and a different value
 * given for it is an error); otherwise the environment preset or the answers file's value.
 */
export function knownSecrets(o: {
  state: TargetState;
  env: NodeJS.ProcessEnv;
  /** parsed answers-file / flag values */
  provided: Partial<Record<Key, unknown>>;
  existing: Partial<Record<SecretKey, string>>;
  replace: ReadonlySet<SecretKey>;
}): SecretPicks & { errors: string[] } {
  const errors: string[] = [];
  const values: Partial<Record<SecretKey, string>> = {};
  const sources: Partial<Record<SecretKey, SecretSource>> = {};
  for (const key of SECRET_KEYS) {
    const q = question(key);
    const envName = PASSWORD_ENV[key];
    const envRaw = o.env[envName];
    let fromEnv: string | undefined;
    if (envRaw !== undefined && envRaw !== '') {
      const r = q.parse(envRaw);
      if (r.ok) fromEnv = r.value;
      else errors.push(`${envName}: ${r.message}`);
    }
    const fromFile = o.provided[key] as string | undefined;
    const old = o.replace.has(key) ? undefined : o.existing[key];
    if (o.replace.has(key) && o.existing[key] === undefined) {
      errors.push(`--replace-secrets ${key}: there is no existing ${key} to replace`);
    }
    if (fromFile !== undefined && fromEnv !== undefined && fromFile !== fromEnv) {
      errors.push(`${key}: given both in the answers file and in ${envName} with different values; remove one`);
    }
    const supplied = fromEnv ?? fromFile;
    if (old !== undefined) {
      if (supplied !== undefined && supplied !== old) {
        errors.push(
          key === 'adminPassword'
            ? `adminPassword: ${o.state.optionsFile} already has an admin password, and PhotoPrism applied it when the account was created; it is never replaced silently. Change it in PhotoPrism ("docker compose exec photoprism photoprism passwd") and leave this value out`
            : `${key}: the installation already has ${key === 'databasePassword' ? SECRET_FILES.dbPassword : SECRET_FILES.dbRootPassword}, and MariaDB only reads it when the database is first created; an existing secret is never replaced. Leave this value out (or change the password inside MariaDB first)`,
        );
      }
      values[key] = old;
      sources[key] = 'existing';
    } else if (supplied !== undefined) {
      values[key] = supplied;
      sources[key] = fromEnv !== undefined ? 'environment' : 'answers file';
    }
  }
  return { values, sources, errors };
}

const generated = (key: SecretKey) => generatePassword(key === 'adminPassword' ? GENERATED_LENGTH.admin : GENERATED_LENGTH.database);

/**
 * A secret no source gave: asked for (the wizard; the root password only when the user typed the
 * photoprism one), otherwise generated. Returns the new picks (the database choice may settle the
 * root password too); `known` is not changed.
 */
export async function settleSecret(p: Prompter | undefined, key: SecretKey, known: SecretPicks, ctx: Ctx): Promise<SecretPicks> {
  const asks = p && (key !== 'databaseRootPassword' || known.sources.databasePassword === 'prompt');
  if (p && asks) return promptSecret(p, key, known.values.databaseRootPassword !== undefined, ctx);
  return { values: { [key]: generated(key) }, sources: { [key]: 'generated' } };
}

/**
 * The wizard's choice for one secret: generate (recommended) or type it twice, hidden. For the
 * photoprism database password, "generate" also generates the root password unless `hasRoot`.
 */
async function promptSecret(p: Prompter, key: SecretKey, hasRoot: boolean, ctx: Ctx): Promise<SecretPicks> {
  const q = question(key);
  const isDb = key !== 'adminPassword';
  if (key !== 'databaseRootPassword') {
    const how = await p.select({
      message: isDb ? 'MariaDB passwords (user photoprism and root)' : 'Admin password',
      choices: [
        { value: 'generate', name: isDb ? 'Generate two strong random passwords (recommended)' : 'Generate a strong random password (recommended)', short: 'generate', description: 'created with node:crypto; you will find it in the written files' },
        { value: 'enter', name: 'Enter my own', short: 'enter my own', description: '8-72 characters, typed hidden' },
      ],
      default: 'generate',
    });
    if (how === 'generate') {
      const picks: SecretPicks = { values: { [key]: generated(key) }, sources: { [key]: 'generated' } };
      if (key === 'databasePassword' && !hasRoot) {
        picks.values.databaseRootPassword = generated('databaseRootPassword');
        picks.sources.databaseRootPassword = 'generated';
      }
      return picks;
    }
  }
  const say = (m: string) => sayTo(q, m);
  const validate = (v: string): true | string => {
    const r = q.parse(v);
    if (!r.ok) return say(r.message);
    const problems = q.check ? q.check(v, ctx) : [];
    return problems.length ? say(problems[0]!.message) : true;
  };
  for (;;) {
    const first = await p.password({ message: q.message, validate });
    const again = await p.password({ message: `${q.label} again`, validate: () => true });
    if (first === again) return { values: { [key]: first }, sources: { [key]: 'prompt' } };
    p.note(['The two entries differ; please type it again.']);
  }
}
