// mergeYaml: the freshly rendered file merged into what is on disk. Managed keys are updated in place;
// everything else (keys, list entries, services, comments) stays where the user put it.

import { describe, expect, test } from '@jest/globals';
import fc from 'fast-check';
import { parseDocument } from 'yaml';
import { COMPOSE_RULES, HEADER_MARKER, OPTIONS_RULES, mergeYaml, portTarget, volumeTarget } from '../src/merge.js';

const js = (text: string) => parseDocument(text).toJS() as Record<string, any>;

/** a small stand-in for the rendered compose file (same header shape, same managed paths) */
function freshCompose(o: { uid?: number; user?: boolean; devices?: string[]; nvidia?: boolean; port?: string } = {}): string {
  const uid = o.uid ?? 2000;
  const lines = [
    `# ${HEADER_MARKER} 1.0`,
    `# PhotoPrism runs as UID ${uid}.`,
    '#                       (--force-recreate also re-runs the init actions, e.g. "update")',
    '',
    'services:',
    '  photoprism:',
    '    image: photoprism/photoprism:latest',
    ...(o.user ? [`    user: "${uid}:${uid}"`] : ['    security_opt:', '      - "no-new-privileges:true"']),
    '    ports:',
    `      - "${o.port ?? '2342:2342'}"`,
    '    environment:',
    '      PHOTOPRISM_INIT: "update"',
    ...(o.user ? [] : [`      PHOTOPRISM_UID: "${uid}"`, `      PHOTOPRISM_GID: "${uid}"`]),
    ...(o.nvidia ? ['      NVIDIA_VISIBLE_DEVICES: "all"', '      NVIDIA_DRIVER_CAPABILITIES: "compute,video,utility"'] : []),
    ...(o.devices?.length ? ['    devices:', ...o.devices.map((d) => `      - "${d}"`)] : []),
    ...(o.nvidia
      ? ['    deploy:', '      resources:', '        reservations:', '          devices:', '            - driver: "nvidia"', '              count: 1']
      : []),
    '    volumes:',
    '      - type: bind',
    '        source: "./originals"',
    '        target: /photoprism/originals',
    '      - type: bind',
    '        source: ./storage',
    '        target: /photoprism/storage',
    '  mariadb:',
    '    image: mariadb:11',
    '    environment:',
    '      MARIADB_PASSWORD_FILE: "/run/secrets/DB_PWD"',
    '    secrets:',
    '      - DB_PWD',
    '',
  ];
  return lines.join('\n');
}

const merge = (old: string, fresh: string) => mergeYaml(old, fresh, COMPOSE_RULES);

describe('mergeYaml (compose rules)', () => {
  test('merging a file into itself returns the very same text (byte for byte)', () => {
    const fresh = freshCompose();
    expect(merge(fresh, fresh)).toEqual({ text: fresh, changed: false });
    // also for a file formatted differently from what the yaml library would print
    const odd = fresh.replace('      PHOTOPRISM_INIT: "update"', "      PHOTOPRISM_INIT:    'update'   # odd spacing");
    expect(merge(odd, fresh)).toEqual({ text: odd, changed: false });
  });

  test('managed scalars are updated in place; user keys, services, comments stay', () => {
    const old = freshCompose()
      .replace('      PHOTOPRISM_INIT: "update"', '      PHOTOPRISM_INIT: "update"\n      MY_VAR: "1" # mine')
      .replace('  mariadb:', '  # my proxy\n  proxy:\n    image: caddy:2\n  mariadb:')
      .concat('networks:\n  web: {}\n');
    const r = merge(old, freshCompose({ uid: 2001 }));
    expect(r.changed).toBe(true);
    const c = js(r.text);
    expect(c.services.photoprism.environment).toMatchObject({ MY_VAR: '1', PHOTOPRISM_UID: '2001', PHOTOPRISM_GID: '2001' });
    expect(c.services.proxy).toEqual({ image: 'caddy:2' });
    expect(c.networks).toEqual({ web: {} });
    expect(r.text).toContain('MY_VAR: "1" # mine');
    expect(r.text).toContain('# my proxy');
    // in place: the key keeps its position in the mapping
    const keys = Object.keys(c.services.photoprism.environment);
    expect(keys.indexOf('PHOTOPRISM_UID')).toBeLessThan(keys.indexOf('MY_VAR') + 2);
    expect(Object.keys(c.services)).toEqual(['photoprism', 'proxy', 'mariadb']);
  });

  test('a user comment on a managed value survives its update', () => {
    const old = freshCompose().replace('      PHOTOPRISM_UID: "2000"', '      PHOTOPRISM_UID: "2000" # chosen by the admin');
    const r = merge(old, freshCompose({ uid: 2001 }));
    expect(r.text).toContain('PHOTOPRISM_UID: "2001" # chosen by the admin');
  });

  test('seeded keys (image, restart, command, healthcheck) are written once and then belong to the user', () => {
    const old = freshCompose().replace('image: photoprism/photoprism:latest', 'image: photoprism/photoprism:240915');
    const r = merge(old, freshCompose({ uid: 2001 }));
    expect(js(r.text).services.photoprism.image).toBe('photoprism/photoprism:240915');
    // missing ones are added
    const noDbImage = freshCompose().replace('    image: mariadb:11\n', '');
    expect(js(merge(noDbImage, freshCompose()).text).services.mariadb.image).toBe('mariadb:11');
  });

  test('lists merge entry by entry: user entries stay, managed ones follow the fresh file', () => {
    const old = freshCompose({ devices: ['/dev/dri:/dev/dri'] })
      .replace('      - "2342:2342"', '      - "2342:2342"\n      - "9000:9000" # my metrics')
      .replace('        target: /photoprism/storage', '        target: /photoprism/storage\n      - "/mnt/nas:/photoprism/originals/nas:ro"')
      .replace('      - "/dev/dri:/dev/dri"', '      - "/dev/dri:/dev/dri"\n      - "/dev/snd:/dev/snd"');
    const r = merge(old, freshCompose({ port: '127.0.0.1:8080:2342', devices: [] }));
    const pp = js(r.text).services.photoprism;
    expect(pp.ports).toEqual(['127.0.0.1:8080:2342', '9000:9000']);
    expect(pp.devices).toEqual(['/dev/snd:/dev/snd']);
    expect(pp.volumes).toContainEqual('/mnt/nas:/photoprism/originals/nas:ro');
    expect(pp.volumes.filter((v: unknown) => volumeTarget(v) === '/photoprism/storage')).toHaveLength(1);
    expect(r.text).toContain('# my metrics');
  });

  test('a list left with no entry is removed; so is a mapping left empty (nvidia -> software)', () => {
    const old = freshCompose({ nvidia: true, devices: ['/dev/dri:/dev/dri'] });
    const r = merge(old, freshCompose());
    const pp = js(r.text).services.photoprism;
    expect(pp).not.toHaveProperty('devices');
    expect(pp).not.toHaveProperty('deploy');
    expect(pp.environment).not.toHaveProperty('NVIDIA_VISIBLE_DEVICES');
    // but a deploy.resources.limits of the user's stays
    const withLimits = old.replace('      resources:\n', '      resources:\n        limits:\n          cpus: "2"\n');
    expect(js(merge(withLimits, freshCompose()).text).services.photoprism.deploy).toEqual({ resources: { limits: { cpus: '2' } } });
  });

  test('user: and PHOTOPRISM_UID/GID swap with the mode and never coexist', () => {
    const toUser = js(merge(freshCompose(), freshCompose({ user: true })).text).services.photoprism;
    expect(toUser.user).toBe('2000:2000');
    expect(toUser.environment).not.toHaveProperty('PHOTOPRISM_UID');
    expect(toUser).not.toHaveProperty('security_opt');
    const back = js(merge(merge(freshCompose(), freshCompose({ user: true })).text, freshCompose()).text).services.photoprism;
    expect(back).not.toHaveProperty('user');
    expect(back.environment.PHOTOPRISM_UID).toBe('2000');
    expect(back.security_opt).toEqual(['no-new-privileges:true']);
  });

  test('passwords in the environment are removed (forbidden paths)', () => {
    const old = [
      'services:',
      '  photoprism:',
      '    environment:',
      '      PHOTOPRISM_ADMIN_PASSWORD: "insecure"',
      '      PHOTOPRISM_DATABASE_PASSWORD: "insecure"',
      '      PHOTOPRISM_SITE_TITLE: "Mine"',
      '  mariadb:',
      '    environment:',
      '      MARIADB_PASSWORD: "insecure"',
      '      MYSQL_ROOT_PASSWORD: "insecure"',
      '',
    ].join('\n');
    const r = merge(old, freshCompose());
    expect(r.text).not.toContain('insecure');
    expect(js(r.text).services.photoprism.environment.PHOTOPRISM_SITE_TITLE).toBe('Mine');
  });

  test('an environment written as a KEY=value list merges key by key: user entries and comments stay, passwords go', () => {
    const old = [
      'services:',
      '  photoprism:',
      '    environment:',
      '      - PHOTOPRISM_ADMIN_PASSWORD=insecure',
      '      - PHOTOPRISM_UID=1000',
      '      # the title my family sees',
      '      - PHOTOPRISM_SITE_TITLE=Family Photos # mine',
      '      - PHOTOPRISM_READONLY=true',
      '      - TZ',
      '  mariadb:',
      '    environment:',
      '      - MARIADB_ROOT_PASSWORD=insecure',
      '      - MARIADB_AUTO_UPGRADE=1',
      '',
    ].join('\n');
    const r = merge(old, freshCompose({ uid: 2001 }));
    expect(r.text).not.toContain('insecure');
    const c = js(r.text);
    expect(c.services.photoprism.environment).toEqual({
      PHOTOPRISM_UID: '2001',
      PHOTOPRISM_SITE_TITLE: 'Family Photos',
      PHOTOPRISM_READONLY: 'true', // still the string Compose saw, not a YAML boolean
      TZ: null,
      PHOTOPRISM_INIT: 'update',
      PHOTOPRISM_GID: '2001',
    });
    expect(c.services.mariadb.environment).toEqual({ MARIADB_AUTO_UPGRADE: '1', MARIADB_PASSWORD_FILE: '/run/secrets/DB_PWD' });
    expect(r.text).toContain('# the title my family sees');
    expect(r.text).toContain('# mine');
    expect(merge(r.text, freshCompose({ uid: 2001 })).changed).toBe(false);
  });

  test('our header is replaced; a foreign header is kept below it; a header on the first key is found too', () => {
    const foreign = '# Example Docker Compose config file for PhotoPrism\n# (kept)\n\nservices:\n  photoprism:\n    image: x\n';
    const r1 = merge(foreign, freshCompose({ uid: 2001 }));
    expect(r1.text.indexOf(HEADER_MARKER)).toBeLessThan(r1.text.indexOf('# Example Docker Compose config file'));
    expect(r1.text).toContain('# (kept)');
    const r2 = merge(r1.text, freshCompose({ uid: 2002 }));
    expect(r2.text).toContain('runs as UID 2002');
    expect(r2.text).not.toContain('runs as UID 2001');
    expect(r2.text.split(HEADER_MARKER)).toHaveLength(2);
    expect(r2.text).toContain('# Example Docker Compose config file');
    expect(merge(r2.text, freshCompose({ uid: 2002 })).changed).toBe(false);
  });

  test('an existing file that is not valid YAML is refused; an empty one is replaced', () => {
    expect(() => merge('services: [\n', freshCompose())).toThrow(/not valid YAML/);
    expect(merge('', freshCompose())).toEqual({ text: freshCompose(), changed: true });
  });

  test('property: user additions always survive, and merging again changes nothing', () => {
    const key = fc.stringMatching(/^[A-Z][A-Z0-9_]{2,12}$/).filter((k) => !k.startsWith('PHOTOPRISM_') && !k.startsWith('NVIDIA_'));
    const value = fc.stringMatching(/^[A-Za-z0-9 ._:/-]{0,20}$/);
    fc.assert(
      fc.property(
        fc.dictionary(key, value, { maxKeys: 5 }),
        fc.boolean(),
        fc.integer({ min: 2000, max: 2100 }),
        fc.constantFrom<string[]>([], ['/dev/dri:/dev/dri'], ['/dev/video11:/dev/video11']),
        (env, user, uid, devices) => {
          const extra = Object.entries(env).map(([k, v]) => `      ${k}: ${JSON.stringify(v)}`);
          const old = freshCompose().replace('      PHOTOPRISM_INIT: "update"', ['      PHOTOPRISM_INIT: "update"', ...extra].join('\n'));
          const fresh = freshCompose({ uid, user, devices });
          const once = merge(old, fresh);
          const pp = js(once.text).services.photoprism;
          for (const [k, v] of Object.entries(env)) expect(pp.environment[k]).toBe(v);
          expect(pp.devices ?? []).toEqual(devices);
          expect('user' in pp && 'PHOTOPRISM_UID' in pp.environment).toBe(false);
          expect(merge(once.text, fresh)).toEqual({ text: once.text, changed: false });
        },
      ),
      { numRuns: 60 },
    );
  });
});

describe('mergeYaml (options rules)', () => {
  const freshOptions = (encoder: string, admin = 'admin') =>
    [
      '# PhotoPrism options - written by photoprism-harden 1.0',
      `# (UID for ${encoder})`,
      '# DatabasePassword must stay equal to .secrets/db_pwd.txt, which MariaDB read when it created the database.',
      '',
      '# Admin account',
      `AdminUser: "${admin}"`,
      'AdminPassword: "AdminSecret123"',
      'DisableWebDAV: false',
      `FFmpegEncoder: "${encoder}"`,
      'DatabasePassword: "DbSecret123456"',
      '',
    ].join('\n');

  test('managed keys follow the answers, every other key stays as the user or the web UI set it', () => {
    const old = freshOptions('software').replace('DisableWebDAV: false', 'DisableWebDAV: true # off') + 'SiteTitle: "Mine"\n';
    const r = mergeYaml(old, freshOptions('vaapi', 'boss'), OPTIONS_RULES);
    const o = js(r.text);
    expect(o).toMatchObject({ FFmpegEncoder: 'vaapi', AdminUser: 'boss', DisableWebDAV: true, SiteTitle: 'Mine' });
    expect(r.text).toContain('DisableWebDAV: true # off');
  });

  test('the header attached to the first key (no blank line before it) is replaced in place', () => {
    const old = freshOptions('software');
    const r = mergeYaml(old, freshOptions('vaapi'), OPTIONS_RULES);
    expect(r.text).toContain('# (UID for vaapi)');
    expect(r.text).not.toContain('# (UID for software)');
    expect(r.text).toContain('# Admin account\nAdminUser');
    expect(r.text.match(/PhotoPrism options - written by/g)).toHaveLength(1);
  });

  test('a file without comments (as PhotoPrism\'s web UI writes it) gets our header back and keeps its keys', () => {
    const webUi = 'AdminUser: admin\nAdminPassword: AdminSecret123\nDisableWebDAV: true\nFFmpegEncoder: software\nDatabasePassword: DbSecret123456\nSiteTitle: Mine\n';
    const r = mergeYaml(webUi, freshOptions('software'), OPTIONS_RULES);
    expect(r.text.startsWith('# PhotoPrism options - written by photoprism-harden')).toBe(true);
    expect(js(r.text)).toMatchObject({ DisableWebDAV: true, SiteTitle: 'Mine', AdminPassword: 'AdminSecret123' });
    expect(mergeYaml(r.text, freshOptions('software'), OPTIONS_RULES).changed).toBe(false);
  });
});

describe('list entry identities', () => {
  test.each([
    ['2342:2342', '2342'],
    ['127.0.0.1:8080:2342/tcp', '2342'],
    [2342, '2342'],
    [{ target: 2342, published: 80 }, '2342'],
  ])('portTarget(%j) = %s', (item, want) => expect(portTarget(item)).toBe(want));

  test.each([
    ['./storage:/photoprism/storage', '/photoprism/storage'],
    ['~/Pictures:/photoprism/originals:ro', '/photoprism/originals'],
    [{ type: 'bind', source: './database', target: '/var/lib/mysql' }, '/var/lib/mysql'],
    ['cache', 'cache'],
  ])('volumeTarget(%j) = %s', (item, want) => expect(volumeTarget(item)).toBe(want));
});

describe('least-privilege keys (issue 12) reach old installations without dropping user edits', () => {
  const old = `services:
  photoprism:
    image: photoprism/photoprism:240915
    cap_add:
      - NET_BIND_SERVICE # mine
  mariadb:
    image: mariadb:11
`;
  const fresh = `services:
  photoprism:
    image: photoprism/photoprism:latest
    cap_drop:
      - ALL
    cap_add:
      - CHOWN
      - SETUID
    pids_limit: 1024
    networks:
      - default
      - database
  mariadb:
    image: mariadb:11
    cap_drop:
      - ALL
    networks:
      - database
    environment:
      MARIADB_ROOT_HOST: "localhost"
networks:
  database:
    internal: true
`;
  test('added where missing; a capability the user added stays; the user image stays', () => {
    const r = mergeYaml(old, fresh, COMPOSE_RULES);
    const doc = parseDocument(r.text).toJS() as { services: Record<string, Record<string, unknown>>; networks: unknown };
    expect(doc.services.photoprism!.image).toBe('photoprism/photoprism:240915');
    expect(doc.services.photoprism!.cap_drop).toEqual(['ALL']);
    expect(doc.services.photoprism!.cap_add).toEqual(['NET_BIND_SERVICE', 'CHOWN', 'SETUID']);
    expect(doc.services.photoprism!.pids_limit).toBe(1024);
    expect(doc.services.mariadb!.networks).toEqual(['database']);
    expect(doc.networks).toEqual({ database: { internal: true } });
    expect(r.text).toContain('NET_BIND_SERVICE # mine');
  });
  test('switching to user: mode drops the capabilities the tool added, not the user\'s', () => {
    const before = mergeYaml(old, fresh, COMPOSE_RULES).text;
    const userMode = fresh.replace('    cap_add:\n      - CHOWN\n      - SETUID\n', '');
    const doc = parseDocument(mergeYaml(before, userMode, COMPOSE_RULES).text).toJS() as { services: Record<string, Record<string, unknown>> };
    expect(doc.services.photoprism!.cap_add).toEqual(['NET_BIND_SERVICE']);
  });
});
