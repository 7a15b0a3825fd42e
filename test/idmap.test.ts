import { describe, expect, test } from '@jest/globals';
import { fileURLToPath } from 'node:url';
import { RealHost } from '../src/host.js';
import {
  describeRanges,
  fromPodmanMaps,
  hostOwner,
  mappedCount,
  parseSubIds,
  parseUsernsRemap,
  rangesOf,
  remapMap,
  remapRootFromDockerRootDir,
  rootlessMap,
  toHost,
  type ContainerIdMapping,
} from '../src/idmap.js';

const fixture = (name: string) => fileURLToPath(new URL(`./fixtures/${name}/`, import.meta.url));

describe('subordinate ids from fixture /etc/subuid and /etc/subgid files', () => {
  test('RealHost reads and parses them; comments, malformed lines and empty ranges are skipped', async () => {
    const facts = await new RealHost(fixture('host-rootless')).facts();
    expect(facts.subuid).toEqual([
      { owner: 'alice', start: 100000, count: 65536 },
      { owner: 'bob', start: 165536, count: 65536 },
      { owner: 'alice', start: 300000, count: 1000 },
      { owner: '1002', start: 400000, count: 65536 },
    ]);
    expect(facts.subgid).toHaveLength(3);
    expect(facts.selinux).toBe('disabled'); // no /sys/fs/selinux/enforce in the fixture
    expect(facts.dockerUsernsRemap).toBeUndefined();
  });

  test('a host with userns-remap and SELinux enforcing', async () => {
    const facts = await new RealHost(fixture('host-remap')).facts();
    expect(facts.dockerUsernsRemap).toBe('default');
    expect(facts.selinux).toBe('enforcing');
    expect(facts.subuid).toEqual([{ owner: 'dockremap', start: 231072, count: 65536 }]);
  });

  test('rootless: container 0 is the engine user, n >= 1 is subordinate start + n - 1, ranges concatenated in file order', async () => {
    const facts = await new RealHost(fixture('host-rootless')).facts();
    const map = rootlessMap({ name: 'alice', uid: 1000, gid: 1000 }, 'alice', facts.subuid!, facts.subgid!);
    expect(toHost(map.uids, 0)).toBe(1000);
    expect(toHost(map.uids, 1)).toBe(100000);
    expect(toHost(map.uids, 2000)).toBe(101999);
    expect(toHost(map.uids, 65536)).toBe(165535);
    // the second range of alice continues where the first ends
    expect(toHost(map.uids, 65537)).toBe(300000);
    expect(toHost(map.uids, 66536)).toBe(300999);
    expect(toHost(map.uids, 66537)).toBeNull();
    expect(mappedCount(map.uids)).toBe(1 + 65536 + 1000);
    // subgid has only one range for alice
    expect(toHost(map.gids, 2000)).toBe(101999);
    expect(toHost(map.gids, 65537)).toBeNull();
    expect(hostOwner({ mode: 'rootless-docker', user: { name: 'alice', uid: 1000, gid: 1000 }, map, source: 'x' }, { uid: 2000, gid: 2000 })).toEqual({ uid: 101999, gid: 101999 });
  });

  test('lines may name the account by numeric id', async () => {
    const facts = await new RealHost(fixture('host-rootless')).facts();
    expect(rangesOf(facts.subuid!, 'erin', 1002)).toEqual([{ owner: '1002', start: 400000, count: 65536 }]);
    const map = rootlessMap({ name: 'erin', uid: 1002, gid: 1002 }, 'erin', facts.subuid!, facts.subgid!);
    expect(toHost(map.uids, 1)).toBe(400000);
  });

  test('a user without subordinate ids gets only container root', () => {
    const map = rootlessMap({ name: 'zoe', uid: 1005, gid: 1005 }, 'zoe', parseSubIds('alice:100000:65536\n'), []);
    expect(map.uids).toEqual([{ container: 0, host: 1005, size: 1 }]);
    expect(toHost(map.uids, 2000)).toBeNull();
    expect(hostOwner({ mode: 'rootless-podman', user: { name: 'zoe', uid: 1005, gid: 1005 }, map, source: '' }, { uid: 2000, gid: 2000 })).toBeNull();
  });

  test('userns-remap: "default" means dockremap, and container n is start + n (root included)', async () => {
    const facts = await new RealHost(fixture('host-remap')).facts();
    const names = parseUsernsRemap(facts.dockerUsernsRemap!)!;
    expect(names).toEqual({ user: 'dockremap', group: 'dockremap' });
    const map = remapMap({ name: 'dockremap', uid: 998 }, { name: 'dockremap', gid: 998 }, facts.subuid!, facts.subgid!);
    expect(toHost(map.uids, 0)).toBe(231072);
    expect(toHost(map.uids, 2000)).toBe(233072);
    expect(toHost(map.gids, 65535)).toBe(296607);
    expect(toHost(map.gids, 65536)).toBeNull();
  });

  test('userns-remap values and the data-root naming', () => {
    expect(parseUsernsRemap('alice')).toEqual({ user: 'alice', group: 'alice' });
    expect(parseUsernsRemap('alice:photos')).toEqual({ user: 'alice', group: 'photos' });
    expect(parseUsernsRemap('1000:1000')).toEqual({ user: '1000', group: '1000' });
    expect(parseUsernsRemap('')).toBeNull();
    expect(remapRootFromDockerRootDir('/var/lib/docker/231072.231072')).toEqual({ uid: 231072, gid: 231072 });
    expect(remapRootFromDockerRootDir('/var/lib/docker')).toBeNull();
  });

  test('without a mapping, owners stay as they are', () => {
    expect(hostOwner(null, { uid: 2000, gid: 2000 })).toEqual({ uid: 2000, gid: 2000 });
  });

  test('podman info maps and the text used in explanations', () => {
    const uids = fromPodmanMaps([
      { container_id: 0, host_id: 1000, size: 1 },
      { container_id: 1, host_id: 100000, size: 65536 },
    ])!;
    expect(toHost(uids, 2000)).toBe(101999);
    expect(describeRanges(uids)).toBe('0→1000, 1-65536→100000-165535');
    expect(fromPodmanMaps('nope')).toBeNull();
    expect(fromPodmanMaps([{ container_id: 'x' }])).toBeNull();
    const m: ContainerIdMapping = { mode: 'rootless-podman', user: { name: 'alice', uid: 1000, gid: 1000 }, map: { uids, gids: uids }, source: 'podman info' };
    expect(hostOwner(m, { uid: 0, gid: 0 })).toEqual({ uid: 1000, gid: 1000 });
  });
});
