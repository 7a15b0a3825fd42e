// src/prelude.ts: what init starts before the bulk of the code loads (the engine probes).

import { describe, expect, test } from '@jest/globals';
import { engineArg, prelude } from '../src/prelude.js';

describe('prelude', () => {
  test('engineArg: --engine X, --engine=X, the last one wins, nothing after --', () => {
    expect(engineArg(['--yes'])).toBeUndefined();
    expect(engineArg(['--engine', 'podman', '--yes'])).toBe('podman');
    expect(engineArg(['--engine=docker-compose'])).toBe('docker-compose');
    expect(engineArg(['--engine', 'docker', '--engine=podman'])).toBe('podman');
    expect(engineArg(['--', '--engine', 'podman'])).toBeUndefined();
  });

  test('starts the probes only for init (not its help, not an --engine init would refuse)', () => {
    const env = { PATH: '/nonexistent' }; // nothing to find: the probes end at once
    for (const argv of [['n', 'b', 'audit'], ['n', 'b', 'init', '--help'], ['n', 'b', 'init', '-h'], ['n', 'b', 'init', '--engine', 'lxc'], ['n', 'b']]) {
      expect(prelude(argv, env)).toEqual({});
    }
    const early = prelude(['n', 'b', 'init', '--yes', '--engine', 'podman'], env);
    expect(early.probes?.engineChoice).toBe('podman');
    early.probes?.abort();
  });
});
