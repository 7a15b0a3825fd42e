// Detecting an existing installation (readTargetState) and reading its answers back (readPrevious):
// they become the defaults of the wizard and of --yes.

import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import { promises as fsp, readFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { existingSecrets } from '../src/collect.js';
import { readPrevious } from '../src/previous.js';
import { readTargetState, type TargetState } from '../src/state.js';

const OFFICIAL = readFileSync(fileURLToPath(new URL('./fixtures/regen-official/compose.yaml', import.meta.url)), 'utf8');
const DIR = '/srv/photoprism';

/** a TargetState with just these file contents (readPrevious only looks at contents and names) */
function stateOf(contents: Record<string, string>, o: Partial<TargetState> = {}): TargetState {
  const composeFile = o.composeFile ?? 'docker-compose.yml';
  const optionsFile = o.optionsFile ?? 'storage/config/options.yml';
  return {
    dir: DIR,
    paths: {},
    contents,
    legacySettings: false,
    databaseInitialised: false,
    composeFile,
    composeFilesFound: [composeFile],
    optionsFile,
    optionsSource: optionsFile,
    ...o,
  };
}

const ours = (o: { env?: string; user?: string; port?: string; volumes?: string; extra?: string } = {}) =>
  [
    'services:',
    '  photoprism:',
    ...(o.user ? [`    user: "${o.user}"`] : []),
    '    ports:',
    `      - "${o.port ?? '2342:2342'}"`,
    '    environment:',
    o.env ?? '      PHOTOPRISM_INIT: "update https tensorflow"\n      PHOTOPRISM_UID: "2005"\n      PHOTOPRISM_GID: "2006"',
    '    volumes:',
    o.volumes ??
      '      - type: bind\n        source: "/mnt/photos"\n        target: /photoprism/originals\n      - type: bind\n        source: ./storage\n        target: /photoprism/storage',
    ...(o.extra ? [o.extra] : []),
    '  mariadb:',
    '    volumes:',
    '      - "./database:/var/lib/mysql"',
    '',
  ].join('\n');

describe('readPrevious', () => {
  test('our own layout: uid/gid, init actions, port, paths, and options.yml values', () => {
    const p = readPrevious(
      stateOf({
        'docker-compose.yml': ours({ port: '127.0.0.1:8080:2342' }),
        'storage/config/options.yml': 'AdminUser: "boss"\nSiteUrl: "https://photos.example.com/"\nFFmpegEncoder: "intel"\nAdminPassword: "x"\n',
      }),
    );
    expect(p.values).toEqual({
      initActions: ['update', 'https', 'tensorflow'],
      userMode: 'photoprism-uid',
      uid: 2005,
      gid: 2006,
      httpPort: 8080,
      behindProxy: true,
      originalsPath: '/mnt/photos',
      importPath: '',
      transcoding: 'intel',
      adminUser: 'boss',
      siteUrl: 'https://photos.example.com/',
    });
    expect(p.envSecrets).toEqual({});
    expect(p.problems).toEqual([]);
  });

  test('"user:" mode, a single id meaning uid = gid', () => {
    const p = readPrevious(stateOf({ 'docker-compose.yml': ours({ user: '2010', env: '      PHOTOPRISM_INIT: "update"' }) }));
    expect(p.values).toMatchObject({ userMode: 'user', uid: 2010, gid: 2010 });
  });

  test('transcoding from the devices and deploy block when options.yml does not say', () => {
    const dri = ours({ extra: '    devices:\n      - "/dev/dri:/dev/dri"' });
    expect(readPrevious(stateOf({ 'docker-compose.yml': dri })).values.transcoding).toBe('vaapi');
    const pi = ours({ extra: '    devices:\n      - "/dev/video11:/dev/video11"' });
    expect(readPrevious(stateOf({ 'docker-compose.yml': pi })).values.transcoding).toBe('raspberry');
    const nv = ours({ extra: '    deploy:\n      resources:\n        reservations:\n          devices:\n            - driver: nvidia\n              count: 1' });
    expect(readPrevious(stateOf({ 'docker-compose.yml': nv })).values.transcoding).toBe('nvidia');
  });

  test('environment as a list of KEY=value, long port syntax, $$ in a path', () => {
    const p = readPrevious(
      stateOf({
        'docker-compose.yml': ours({
          env: '      - PHOTOPRISM_UID=2001\n      - PHOTOPRISM_GID=2002\n      - PHOTOPRISM_INIT=update',
          volumes: '      - "/mnt/cost$$:/photoprism/originals"\n      - "./import:/photoprism/import"\n      - "./storage:/photoprism/storage"',
        }).replace('      - "2342:2342"', '      - target: 2342\n        published: 8443\n        host_ip: 127.0.0.1'),
      }),
    );
    expect(p.values).toMatchObject({
      uid: 2001,
      gid: 2002,
      initActions: ['update'],
      httpPort: 8443,
      behindProxy: true,
      originalsPath: '/mnt/cost$',
      importPath: './import',
    });
  });

  test('an unknown init action is reported, not carried over', () => {
    const p = readPrevious(stateOf({ 'docker-compose.yml': ours({ env: '      PHOTOPRISM_INIT: "update nonsense"' }) }));
    expect(p.values.initActions).toBeUndefined();
    expect(p.notes.join('\n')).toContain('an action this tool does not know');
  });

  test('PhotoPrism\'s official example: passwords from the environment, answers from its settings', () => {
    const p = readPrevious(stateOf({ 'compose.yaml': OFFICIAL }, { composeFile: 'compose.yaml' }));
    expect(p.envSecrets).toEqual({ adminPassword: 'insecure', databasePassword: 'insecure', databaseRootPassword: 'insecure' });
    expect(p.values).toMatchObject({ httpPort: 2342, behindProxy: false, originalsPath: '~/Pictures', importPath: '', adminUser: 'admin', siteUrl: 'http://localhost:2342/' });
    expect(p.values.uid).toBeUndefined(); // commented out in the example
    expect(p.notes.join('\n')).toContain('compose.yaml has passwords in its environment');
    expect(p.problems).toEqual([]);
  });

  test('data kept elsewhere (storage, database, a differently named database service) is a problem, not a silent move', () => {
    const storage = ours({ volumes: '      - "/mnt/photos:/photoprism/originals"\n      - "/data/pp-storage:/photoprism/storage"' });
    expect(readPrevious(stateOf({ 'docker-compose.yml': storage })).problems.join('\n')).toContain(
      'services.photoprism mounts "/data/pp-storage" as /photoprism/storage',
    );
    const named = ours().replace('"./database:/var/lib/mysql"', '"dbdata:/var/lib/mysql"');
    expect(readPrevious(stateOf({ 'docker-compose.yml': named })).problems.join('\n')).toContain('services.mariadb mounts "dbdata"');
    const absolute = ours().replace('"./database:/var/lib/mysql"', `"${DIR}/database/:/var/lib/mysql"`);
    expect(readPrevious(stateOf({ 'docker-compose.yml': absolute })).problems).toEqual([]);
    const renamed = ours().replace('  mariadb:', '  db:\n    image: mariadb:10.11');
    expect(readPrevious(stateOf({ 'docker-compose.yml': renamed })).problems.join('\n')).toContain('the database service is called "db"');
  });

  test('nothing there, or not YAML: no previous answers', () => {
    expect(readPrevious(stateOf({}))).toEqual({ values: {}, envSecrets: {}, notes: [], problems: [] });
    expect(readPrevious(stateOf({ 'docker-compose.yml': 'services: [' })).values).toEqual({});
  });
});

describe('existingSecrets', () => {
  const files = (db: string, opt: string) => ({
    '.secrets/db_pwd.txt': db,
    '.secrets/db_root_pwd.txt': 'RootSecret123',
    'storage/config/options.yml': `AdminPassword: "AdminSecret1"\nDatabasePassword: "${opt}"\n`,
  });

  test('secret files win, a trailing newline is not part of the value', () => {
    const r = existingSecrets(stateOf(files('DbSecret123\n', 'DbSecret123')));
    expect(r.values).toEqual({ databasePassword: 'DbSecret123', databaseRootPassword: 'RootSecret123', adminPassword: 'AdminSecret1' });
    expect(r.errors).toEqual([]);
  });

  test('a DatabasePassword mismatch is an error naming the file the database most likely uses', () => {
    const initialised = existingSecrets(stateOf(files('DbSecret123', 'Other123456'), { databaseInitialised: true }));
    expect(initialised.errors).toHaveLength(1);
    expect(initialised.errors[0]).toContain('DatabasePassword in storage/config/options.yml differs from .secrets/db_pwd.txt');
    expect(initialised.errors[0]).toContain('most likely uses .secrets/db_pwd.txt');
    expect(initialised.errors[0]).not.toContain('Other123456');
    expect(initialised.others).toEqual(['Other123456']); // known, so it can be masked
    const fresh = existingSecrets(stateOf(files('DbSecret123', 'Other123456')));
    expect(fresh.errors[0]).toContain('not initialised yet');
  });

  test('compose environment passwords fill in only what the files do not have', () => {
    const r = existingSecrets(stateOf({ '.secrets/db_pwd.txt': 'FromFile123' }), { databasePassword: 'insecure', adminPassword: 'insecure' });
    expect(r.values).toEqual({ databasePassword: 'FromFile123', adminPassword: 'insecure' });
  });
});

describe('readTargetState: detecting an installation', () => {
  let TMP: string;
  beforeAll(async () => {
    TMP = await fsp.mkdtemp(path.join(os.tmpdir(), 'ppr-prev-'));
  });
  afterAll(async () => {
    await fsp.rm(TMP, { recursive: true, force: true });
  });
  let n = 0;
  async function tree(files: Record<string, string>, dirs: string[] = []): Promise<string> {
    const dir = path.join(TMP, `t${++n}`);
    for (const d of dirs) await fsp.mkdir(path.join(dir, d), { recursive: true });
    for (const [rel, text] of Object.entries(files)) {
      await fsp.mkdir(path.dirname(path.join(dir, rel)), { recursive: true });
      await fsp.writeFile(path.join(dir, rel), text);
    }
    return dir;
  }

  test('an empty folder: defaults', async () => {
    const s = await readTargetState(await tree({}));
    expect(s).toMatchObject({
      composeFile: 'docker-compose.yml',
      composeFilesFound: [],
      optionsFile: 'storage/config/options.yml',
      optionsSource: 'storage/config/options.yml',
      legacySettings: false,
      databaseInitialised: false,
      contents: {},
    });
  });

  test.each(['compose.yaml', 'compose.yml', 'docker-compose.yaml', 'docker-compose.yml'])('finds %s', async (name) => {
    const s = await readTargetState(await tree({ [name]: 'services: {}\n' }));
    expect(s.composeFile).toBe(name);
    expect(s.contents[name]).toBe('services: {}\n');
  });

  test('several compose files: Compose\'s order decides', async () => {
    const s = await readTargetState(await tree({ 'docker-compose.yml': 'a: 1\n', 'compose.yml': 'b: 1\n', 'docker-compose.yaml': 'c: 1\n' }));
    expect(s.composeFilesFound).toEqual(['compose.yml', 'docker-compose.yaml', 'docker-compose.yml']);
    expect(s.composeFile).toBe('compose.yml');
  });

  test('secrets, options.yaml and an initialised database', async () => {
    const dir = await tree(
      { '.secrets/db_pwd.txt': 'a', '.secrets/db_root_pwd.txt': 'b', 'storage/config/options.yaml': 'AdminUser: x\n' },
      ['database/mysql'],
    );
    const s = await readTargetState(dir);
    expect(s.optionsFile).toBe('storage/config/options.yaml');
    expect(s.databaseInitialised).toBe(true);
    expect(s.contents['.secrets/db_pwd.txt']).toBe('a');
    expect(s.contents['.secrets/db_root_pwd.txt']).toBe('b');
  });

  test('a database folder without mysql/ is not initialised', async () => {
    expect((await readTargetState(await tree({}, ['database']))).databaseInitialised).toBe(false);
  });

  test('legacy storage/settings/: options live there; one in storage/config is only the source to start from', async () => {
    const legacy = await readTargetState(await tree({ 'storage/settings/options.yml': 'A: 1\n', 'storage/config/options.yml': 'B: 1\n' }));
    expect(legacy).toMatchObject({ legacySettings: true, optionsFile: 'storage/settings/options.yml', optionsSource: 'storage/settings/options.yml' });
    const appeared = await readTargetState(await tree({ 'storage/config/options.yml': 'B: 1\n' }, ['storage/settings']));
    expect(appeared).toMatchObject({ legacySettings: true, optionsFile: 'storage/settings/options.yml', optionsSource: 'storage/config/options.yml' });
  });

  test('a symlinked compose file is seen as a link and never read', async () => {
    const dir = await tree({ 'elsewhere.yml': 'services: {}\n' });
    await fsp.symlink(path.join(dir, 'elsewhere.yml'), path.join(dir, 'docker-compose.yml'));
    const s = await readTargetState(dir);
    expect(s.paths['docker-compose.yml']!.isSymlink).toBe(true);
    expect(s.contents['docker-compose.yml']).toBeUndefined();
  });
});
