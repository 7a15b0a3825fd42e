// A fake host for tests: HostFacts from a plain object or a JSON fixture (test/fixtures/*.json). Test
// code only: the shipped CLI always probes the real host, and tests inject this one (in-process through
// the `probe` options, for spawned runs through test/helpers/cli-entry.ts).

import path from 'node:path';
import type { CommandRunner } from '../../src/engine.js';
import { freeBytesAt, type HostFacts, type HostProbe } from '../../src/host.js';
import { parseSubIds, type SubIdRange } from '../../src/idmap.js';
import { fakeCommands, type Spec } from './fake-commands.js';

/**
 * `subuid`/`subgid` may be given as the file's text; `freeBytes` fixes the free-disk answer; `engines`
 * gives the host fake engines (test/helpers/fake-commands.ts: their replies, and the folder their
 * calls are logged in). Without engines the host has no program at all: no engine is ever found.
 */
export type FixtureData = Omit<Partial<HostFacts>, 'subuid' | 'subgid'> & {
  subuid?: SubIdRange[] | string;
  subgid?: SubIdRange[] | string;
  freeBytes?: number;
  engines?: { spec: Spec; data: string };
};

/** A host without any program: every command is "not installed". */
export const NO_COMMANDS: CommandRunner = {
  which: () => null,
  run: async (command) => ({ exitCode: 127, stdout: '', stderr: `${command}: command not found`, missing: true, timedOut: false }),
  stream: async (command) => ({ exitCode: 127, missing: true, timedOut: false, tail: [`${command}: command not found`] }),
};

export class FixtureHost implements HostProbe {
  private readonly data: Partial<HostFacts>;
  private readonly free?: number;
  readonly commands: CommandRunner;
  /** `commands`: the host's programs (default: the fixture's `engines`, else none) */
  constructor(data: FixtureData, commands?: CommandRunner) {
    const { subuid, subgid, freeBytes, engines, ...rest } = data;
    this.commands = commands ?? (engines ? fakeCommands(engines.spec, engines.data) : NO_COMMANDS);
    this.data = {
      ...rest,
      ...(subuid !== undefined ? { subuid: typeof subuid === 'string' ? parseSubIds(subuid) : subuid } : {}),
      ...(subgid !== undefined ? { subgid: typeof subgid === 'string' ? parseSubIds(subgid) : subgid } : {}),
    };
    this.free = freeBytes;
  }
  async freeBytes(dir: string) {
    return this.free === undefined ? freeBytesAt(dir) : { path: path.resolve(dir), bytes: this.free };
  }
  async facts(): Promise<HostFacts> {
    return {
      accounts: [],
      groups: [],
      uidMin: 1000,
      uidMax: 60000,
      renderNodes: [],
      video11: null,
      nvidia: false,
      euid: process.geteuid?.() ?? 0,
      egid: process.getegid?.() ?? 0,
      // a fixture host has no user namespace unless it says so (the audit then asks no engine)
      idMapping: null,
      ...this.data,
    };
  }
}
