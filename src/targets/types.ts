// The seam between "what to install" and "how one engine runs it". init collects the answers once,
// builds the installation model (src/targets/model.ts), and hands it to the chosen target, which owns
// everything engine-specific: the files it writes, how they are read back and validated, how they
// are started, the next steps shown, and how `audit` reads them.

import type { ApplyResult } from '../apply.js';
import type { Report } from '../audit/report.js';
import type { FsView, StorageLocator } from '../audit/load.js';
import type { Collected } from '../collect.js';
import type { Engine, EngineChoice } from '../engine.js';
import type { HostFacts } from '../host.js';
import type { ContainerIdMapping } from '../idmap.js';
import type { Output } from '../output.js';
import type { Plan, PlanInput } from '../plan.js';
import type { Preflight } from '../preflight.js';
import type { Answers } from '../questions.js';
import type { TargetState } from '../state.js';
import type { TargetName } from './registry.js';

export interface CheckOptions {
  out: Output;
  plan: Plan;
  state: TargetState;
  engine: Engine | null;
  env: NodeJS.ProcessEnv;
  /** false: a dry run (the planned text is checked, nothing is on disk) */
  written: boolean;
}

export interface StartOptions {
  out: Output;
  plan: Plan;
  state: TargetState;
  pf: Preflight;
  env: NodeJS.ProcessEnv;
  timeoutMs: number;
  pollMs?: number;
  /** an adopted installation's services by role (its own names; no database service with SQLite) */
  services?: { app: string; db: string | null; appPort?: number };
}

export interface NextStepOptions {
  plan: Plan;
  result: ApplyResult | null;
  collected: Collected;
  repeat: string;
  engine: Engine | null;
  started: boolean;
  mapping: ContainerIdMapping | null;
}

export interface OutputTarget {
  name: TargetName;
  /**
   * The state the plan and the previous answers are read from: the generic read of the folder with
   * this target's own files put in place (e.g. Swarm's stack file is the file its services are read from).
   */
  adaptState(state: TargetState): TargetState;
  /** answers an earlier run of this target left in files readPrevious does not read (merged over them) */
  previous?(state: TargetState): Partial<Answers>;
  /** files, folders and messages (pure) */
  plan(input: PlanInput): Plan;
  /** read the planned or written files back and validate them; prints the verdict; 0 when accepted */
  check(o: CheckOptions): Promise<number>;
  /** false: this target never starts anything (--apply is refused before anything is written) */
  canApply: boolean;
  /**
   * true: the services run on this host's engine, so originalsPath/importPath are host folders (checked,
   * created on request) and the engine preflight's notes apply; false (kubernetes): volumes of a cluster
   */
  local: boolean;
  /** what "start" runs, for the wizard's question; null when this target cannot start anything here */
  startCommand(pf: Preflight): string | null;
  /** why nothing can be started (no engine, ...), or null */
  cannotStart(pf: Preflight, choice?: EngineChoice): string[] | null;
  start(o: StartOptions): Promise<boolean>;
  nextSteps(o: NextStepOptions): string[];
  /** `audit` of an installation this target wrote */
  audit(dir: string, facts: HostFacts, version: string, o: { fs?: FsView; env?: NodeJS.ProcessEnv; storageFolder?: StorageLocator }): Promise<Report>;
}
