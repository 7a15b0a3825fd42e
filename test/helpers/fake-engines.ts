// Fake Compose engines and container CLIs for tests, answered through the host: a fake
// HostProbe.commands (test/helpers/fake-commands.ts) that records every call (argv and working
// directory) and answers like the real tool, from canned replies; nothing on PATH is ever run for
// them. A rule's replies are used in order, the last one repeats (so `ps` can go "starting" -> "healthy").

import { afterEach } from '@jest/globals';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { CommandRunner } from '../../src/engine.js';
import { FixtureHost, type FixtureData } from './fixture-host.js';
import { fakeCommands, readCalls, type Call, type Reply, type Rule, type Spec } from './fake-commands.js';

export type { Call, Reply, Rule, Spec };

export interface Fakes {
  root: string;
  /** the folder of the calls log and reply counters (a spawned CLI's fixture names it: `hostData`) */
  data: string;
  /** the fake host's commands (HostProbe.commands) */
  commands: CommandRunner;
  /** a fake host with these engines (and the given facts) */
  host(facts?: FixtureData): FixtureHost;
  /** host fixture data for a spawned CLI (test/helpers/cli-entry.ts): `facts` plus these engines */
  hostData(facts?: FixtureData): FixtureData;
  /**
   * An environment for the run: this machine's PATH on purpose (the fakes answer through the host,
   * so whatever engine PATH holds must never be asked), HOME in the fakes' folder.
   */
  env(extra?: NodeJS.ProcessEnv): NodeJS.ProcessEnv;
  calls(): Call[];
  /** calls rendered as "cmd arg arg" */
  lines(): string[];
  cleanup(): void;
}

export function fakeEngines(spec: Spec): Fakes {
  const root = mkdtempSync(path.join(os.tmpdir(), 'pph-fake-'));
  const data = path.join(root, 'data');
  const commands = fakeCommands(spec, data);
  const calls = () => readCalls(data);
  const hostData = (facts: FixtureData = {}): FixtureData => ({ ...facts, engines: { spec, data } });
  return {
    root,
    data,
    commands,
    host: (facts = {}) => new FixtureHost(facts, commands),
    hostData,
    env: (extra = {}) => ({ PATH: process.env.PATH ?? '', HOME: root, LANG: 'C.UTF-8', ...extra }),
    calls,
    lines: () => calls().map((c) => [c.cmd, ...c.args].join(' ')),
    cleanup: () => rmSync(root, { recursive: true, force: true }),
  };
}

/**
 * For test files whose tests each set up their own fakes: a drop-in for fakeEngines whose fakes are
 * all removed after each test. Call it at the top level of the test file (it registers the hook).
 */
export function fakeEnginesPerTest(): (spec: Spec) => Fakes {
  const made: Fakes[] = [];
  afterEach(() => {
    for (const f of made.splice(0)) f.cleanup();
  });
  return (spec) => {
    const f = fakeEngines(spec);
    made.push(f);
    return f;
  };
}

// ---------------------------------------------------------------------------------------------
// canned answers of the real tools

export const V2_VERSION: Rule = { when: 'compose version --short', replies: { stdout: '2.29.1\n' } };
export const NO_PLUGIN: Rule = { when: 'compose *', replies: { stderr: "docker: 'compose' is not a docker command.\n", code: 1 } };

export function dockerInfo(
  o: {
    rootless?: boolean;
    userns?: boolean;
    selinux?: boolean;
    rootDir?: string;
    version?: string;
    /** ClientInfo.Plugins, as Docker CLI 20.10+ lists them (absent: an older CLI that does not) */
    plugins?: { Name: string; Version?: string; Err?: string }[];
    /**
     * the daemon cannot be reached: the CLI still prints its own part (ClientInfo). true: and exits 1;
     * 'debian-20.10': Debian 12's docker.io 20.10 CLI, which exits 0 and lists the error in ServerErrors;
     * 'exit-0': a later CLI (28.x) that exits 0 with an empty ServerVersion and the error on stderr
     */
    down?: boolean | 'debian-20.10' | 'exit-0';
  } = {},
): Rule {
  const opts = ['name=apparmor', 'name=seccomp,profile=builtin', 'name=cgroupns'];
  if (o.rootless) opts.push('name=rootless');
  if (o.userns) opts.push('name=userns');
  if (o.selinux) opts.push('name=selinux');
  const client = o.plugins ? { ClientInfo: { Version: '28.2.2', Context: 'default', Plugins: o.plugins, Warnings: null } } : {};
  const refused = 'Cannot connect to the Docker daemon at unix:///var/run/docker.sock. Is the docker daemon running?';
  if (o.down === 'debian-20.10') {
    // (20.10 leaves the daemon's part out altogether: no ServerVersion, no SecurityOptions)
    const info = { ClientInfo: { Debug: false, Context: 'default', Plugins: o.plugins ?? [], Warnings: null }, ServerErrors: [refused] };
    return { when: 'info --format {{json .}}', replies: { stdout: `${JSON.stringify(info)}\n` } };
  }
  const info = o.down
    ? { ServerVersion: '', SecurityOptions: null, DockerRootDir: '', ...client }
    : { ServerVersion: o.version ?? '27.3.1', SecurityOptions: opts, DockerRootDir: o.rootDir ?? '/var/lib/docker', ...client };
  return {
    when: 'info --format {{json .}}',
    replies: {
      stdout: `${JSON.stringify(info)}\n`,
      ...(o.down ? { stderr: `${refused}\n`, code: o.down === 'exit-0' ? 0 : 1 } : {}),
    },
  };
}

/**
 * `podman info --format json` of rootless Podman run by alice (uid/gid 1000, subordinate ids from
 * 100000) with SELinux enabled; the store's graph root and the version only when given.
 */
export function podmanInfo(o: { graphRoot?: string; version?: string } = {}): Rule {
  const map = [
    { container_id: 0, host_id: 1000, size: 1 },
    { container_id: 1, host_id: 100000, size: 65536 },
  ];
  const info = {
    host: { security: { rootless: true, selinuxEnabled: true }, idMappings: { uidmap: map, gidmap: map } },
    ...(o.graphRoot !== undefined ? { store: { graphRoot: o.graphRoot } } : {}),
    ...(o.version !== undefined ? { version: { Version: o.version } } : {}),
  };
  return { when: 'info --format json', replies: { stdout: JSON.stringify(info) } };
}

export const DOCKER_DOWN: Rule = {
  when: 'info *',
  replies: { stderr: 'Cannot connect to the Docker daemon at unix:///var/run/docker.sock. Is the docker daemon running?\n', code: 1 },
};

export const CONFIG_OK: Rule = { when: '*config --quiet', replies: { code: 0 } };

export function psJson(states: { service: string; state: string; health?: string; exitCode?: number }[], ndjson = true): string {
  const objs = states.map((s, i) => ({
    ID: `id${i}`,
    Name: `x-${s.service}-1`,
    Service: s.service,
    State: s.state,
    Health: s.health ?? '',
    ExitCode: s.exitCode ?? 0,
  }));
  return ndjson ? `${objs.map((o) => JSON.stringify(o)).join('\n')}\n` : `${JSON.stringify(objs)}\n`;
}

export function inspectJson(states: { service: string; state: string; health?: string; exitCode?: number }[]): string {
  return `${JSON.stringify(
    states.map((s) => ({
      Id: `id-${s.service}`,
      Config: { Labels: { 'com.docker.compose.service': s.service, 'com.docker.compose.project': 'x' } },
      State: { Status: s.state, ExitCode: s.exitCode ?? 0, ...(s.health ? { Health: { Status: s.health } } : {}) },
    })),
  )}\n`;
}

export const HEALTHY = [
  { service: 'mariadb', state: 'running', health: 'healthy' },
  { service: 'photoprism', state: 'running', health: 'healthy' },
];
