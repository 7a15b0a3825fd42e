// The audit's vocabulary: severities, findings, rules and the context every rule reads.
// Rules are pure functions of an AuditContext (all I/O happens in load.ts before any rule runs).

import type { Document, LineCounter } from 'yaml';
import type { HostFacts } from '../host.js';
import type { PathInfo } from '../state.js';

export const SEVERITIES = ['error', 'warning', 'info'] as const;
export type Severity = (typeof SEVERITIES)[number];

/** What a rule reports. Never contains a password or secret value: variables and keys are named, not shown. */
export interface RawFinding {
  /** file relative to the installation directory (or absolute outside it) */
  file: string;
  /** 1-based line, absent for file-level findings (modes, owners) */
  line?: number;
  column?: number;
  /** compose service the finding is about, if any */
  service?: string;
  /** what is wrong, one sentence */
  message: string;
  /** one line: why it matters (defaults to the rule's `why`) */
  why?: string;
  /** the fix: the `init` answer, a command, or the YAML to write (may span lines) */
  fix: string;
}

export interface Finding extends Required<Pick<RawFinding, 'file' | 'message' | 'fix' | 'why'>> {
  rule: string;
  severity: Severity;
  title: string;
  line: number | null;
  column: number | null;
  service: string | null;
  kics: string | null;
  cis: string | null;
}

export interface Rule {
  /** stable kebab-case id; never renamed, never reused */
  id: string;
  severity: Severity;
  /** what the rule checks, one line (README table) */
  title: string;
  /** why it matters, one line (default for every finding) */
  why: string;
  /** matching KICS query name, only where it matches exactly */
  kics?: string;
  /** matching CIS Docker Benchmark item (v1.2.0 numbering) */
  cis?: string;
  check(ctx: AuditContext): RawFinding[];
}

/** A parsed YAML file with its source positions. */
export interface YamlFile {
  /** shown path (relative to the installation directory) */
  rel: string;
  abs: string;
  text: string;
  doc: Document.Parsed;
  lines: LineCounter;
  /** plain data (merge keys resolved); null when the file is empty */
  data: unknown;
  info: PathInfo;
}

export interface EnvEntry {
  name: string;
  /** raw value after interpolation; null: passed through from the shell (`KEY` without a value) */
  value: string | null;
  /** where it is written */
  file: string;
  line?: number;
  column?: number;
  source: 'environment' | 'env_file';
  /** variables of the shell or .env the value was interpolated from */
  refs?: string[];
}

export type ServiceKind = 'photoprism' | 'mariadb' | 'other';

export interface ServiceView {
  name: string;
  kind: ServiceKind;
  /** the service mapping, interpolated */
  data: Record<string, unknown>;
  /** every variable as written (env_file entries first, then environment:) */
  env: EnvEntry[];
  /** effective environment: environment: wins over env_file; null = passed through from the shell */
  envMap: Map<string, EnvEntry>;
  /** line of the service key in the compose file */
  line: number;
}

/** How the PhotoPrism process ends up running (derived from user:, PHOTOPRISM_UID/GID and their aliases). */
export interface Identity {
  /** 'user': the compose user: property; 'env': PHOTOPRISM_UID/GID (or UID/PUID, GID/PGID); 'root': neither */
  mode: 'user' | 'env' | 'root';
  /** null when unknown (a name, or a variable that could not be resolved) */
  uid: number | null;
  gid: number | null;
  /** the literal as written, e.g. "1000:1000" or "2000" */
  uidText: string | null;
  gidText: string | null;
  /** where the UID (or user:) is written */
  at: { file: string; line?: number };
  gidAt: { file: string; line?: number } | null;
}

export interface FileStat {
  rel: string;
  abs: string;
  info: PathInfo | null;
}

export interface SecretFile extends FileStat {
  /** compose secret names that point at this file */
  names: string[];
  /** the whole content, trailing newlines stripped as MariaDB does; NEVER shown */
  value: string | null;
  /** where the top-level secret declares the file */
  line?: number;
}

export interface AuditContext {
  dir: string;
  /** home folder used for ~ in bind mounts */
  home: string;
  facts: HostFacts;
  /** the folder itself (owner = the admin who installed it) */
  dirInfo: PathInfo;
  compose: YamlFile;
  /** other compose files Compose would ignore (second choice names) or merge (override files) */
  ignoredComposeFiles: string[];
  overrideFiles: string[];
  services: ServiceView[];
  /** top-level networks (all compose files merged) */
  networks: Record<string, { internal: boolean; external: boolean }>;
  photoprism: ServiceView | null;
  mariadb: ServiceView | null;
  identity: Identity | null;
  /** storage folder (host side of /photoprism/storage), when it is a bind mount */
  storage: FileStat | null;
  /** options.yml PhotoPrism reads (storage/settings wins over storage/config) */
  options: YamlFile | null;
  optionsError: { rel: string; message: string; line?: number } | null;
  /** the options file that exists but PhotoPrism ignores (storage/config/options.yml next to storage/settings/) */
  optionsShadowed: FileStat | null;
  /** every secret file: compose file secrets plus whatever lies in .secrets/ */
  secretFiles: SecretFile[];
  secretsDir: FileStat | null;
  /** the project's .env (interpolation variables), when present */
  dotenv: { rel: string; entries: { name: string; line: number }[] } | null;
  /** env files that could not be read */
  missingEnvFiles: { file: string; service: string; line?: number }[];
  /** every secret value seen while loading, to scrub from the output as a second line of defence */
  secretValues: string[];
  /** 1-based line of the node at `path` in a YAML file (falls back to the closest parent) */
  lineOf(file: YamlFile, path: readonly (string | number)[]): number | undefined;
  /** 1-based line and column of the node at `path` (falls back to the closest parent) */
  posOf(file: YamlFile, path: readonly (string | number)[]): { line: number; col: number } | undefined;
}
