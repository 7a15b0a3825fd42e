import { describe, expect, test } from '@jest/globals';
import YAML from 'yaml';
import { GITIGNORE_LINES, buildPlan, gitignoreContent, optionsPath, planIsNoop, type Plan, type PlannedDir, type PlannedFile } from '../src/plan.js';
import {
  emptyState,
  existing,
  existingDir,
  fakeFacts,
  planInput,
  renderNode,
  validAnswers,
} from './fixtures/unit-fakes.js';

const getFile = (plan: Plan, p: string): PlannedFile => {
  const f = plan.files.find((x) => x.path === p);
  if (!f) throw new Error(`no planned file ${p}; have ${plan.files.map((x) => x.path).join(', ')}`);
  return f;
};
const getDir = (plan: Plan, p: string): PlannedDir => {
  const d = plan.dirs.find((x) => x.path === p);
  if (!d) throw new Error(`no planned dir ${p}; have ${plan.dirs.map((x) => x.path).join(', ')}`);
  return d;
};
const texts = (plan: Plan, level?: 'info' | 'warn') => plan.messages.filter((m) => !level || m.level === level).map((m) => m.text);

/** A state in which every planned file already exists with the planned content, mode and owner. */
function stateAfter(plan: Plan) {
  const paths: Record<string, ReturnType<typeof existing>> = {};
  const contents: Record<string, string> = {};
  for (const f of plan.files) {
    paths[f.path] = existing({ mode: f.mode, uid: f.owner?.uid ?? 0, gid: f.owner?.gid ?? 0 });
    contents[f.path] = f.content;
  }
  for (const d of plan.dirs) paths[d.path] = existingDir({ mode: d.mode, uid: d.owner?.uid ?? 0, gid: d.owner?.gid ?? 0 });
  return emptyState({ paths, contents });
}

describe('buildPlan: files, modes and owners', () => {
  const a = validAnswers({ uid: 2001, gid: 2002 });
  const plan = buildPlan(planInput(a));

  test('exactly the expected files', () => {
    // (state.json remembers the originals folder this run creates, so it follows a later UID change)
    expect(plan.files.map((f) => f.path).sort()).toEqual(
      ['.gitignore', '.photoprism-harden/state.json', '.secrets/db_pwd.txt', '.secrets/db_root_pwd.txt', 'docker-compose.yml', 'storage/config/options.yml'].sort(),
    );
    expect(plan.dir).toBe('/srv/photoprism');
  });

  test('options.yml: 0600, owned by uid:gid, contains secret values', () => {
    const f = getFile(plan, 'storage/config/options.yml');
    expect(f.mode).toBe(0o600);
    expect(f.owner).toEqual({ uid: 2001, gid: 2002 });
    expect(f.secret).toBe('values');
    expect(f.status).toBe('create');
  });

  test('secret files: 0600, whole-file secrets, owned by the invoking user (root), never by the PhotoPrism uid', () => {
    for (const [p, v] of [
      ['.secrets/db_pwd.txt', a.databasePassword],
      ['.secrets/db_root_pwd.txt', a.databaseRootPassword],
    ] as const) {
      const f = getFile(plan, p);
      expect(f.mode).toBe(0o600);
      expect(f.owner).toBeNull();
      expect(f.secret).toBe('whole');
      expect(f.content).toBe(v);
    }
  });

  test('docker-compose.yml: 0644, no secret, invoker-owned', () => {
    const f = getFile(plan, 'docker-compose.yml');
    expect(f.mode).toBe(0o644);
    expect(f.owner).toBeNull();
    expect(f.secret).toBe(false);
  });

  test('.gitignore: 0644 for a new one, lists the secret files', () => {
    const f = getFile(plan, '.gitignore');
    expect(f.mode).toBe(0o644);
    for (const l of GITIGNORE_LINES) expect(f.content.split('\n')).toContain(l);
  });

  test('folders: storage and config owned uid:gid; .secrets 0700; database if-missing without owner', () => {
    expect(getDir(plan, 'storage')).toMatchObject({ mode: 0o750, owner: { uid: 2001, gid: 2002 }, policy: 'ensure' });
    expect(getDir(plan, 'storage/config')).toMatchObject({ mode: 0o750, owner: { uid: 2001, gid: 2002 }, policy: 'ensure' });
    expect(getDir(plan, '.secrets')).toMatchObject({ mode: 0o700, owner: null, policy: 'ensure' });
    expect(getDir(plan, 'database')).toMatchObject({ mode: 0o700, owner: null, policy: 'if-missing' });
    expect(plan.dirs.find((d) => d.path === 'storage/settings')).toBeUndefined();
  });

  test('no file or folder is world-writable; secrets and options are not group/world readable', () => {
    for (const x of [...plan.files, ...plan.dirs]) expect(x.mode & 0o002).toBe(0);
    for (const f of plan.files.filter((x) => x.secret)) expect(f.mode & 0o077).toBe(0);
  });

  test('plan.secrets lists every password', () => {
    expect(plan.secrets).toEqual([a.adminPassword, a.databasePassword, a.databaseRootPassword]);
  });

  test('the options file is valid YAML holding both passwords', () => {
    const o = YAML.parse(getFile(plan, 'storage/config/options.yml').content) as Record<string, unknown>;
    expect(o.AdminPassword).toBe(a.adminPassword);
    expect(o.DatabasePassword).toBe(a.databasePassword);
  });
});

describe('buildPlan: originals and import folders', () => {
  test('a missing originals folder is created, owned by uid:gid, only if missing', () => {
    const plan = buildPlan(planInput(validAnswers()));
    expect(getDir(plan, '/srv/photoprism/originals')).toMatchObject({ mode: 0o750, owner: { uid: 2000, gid: 2000 }, policy: 'if-missing' });
  });

  test('an import folder is planned only when given', () => {
    const withImport = buildPlan(planInput(validAnswers({ importPath: './import' })));
    expect(getDir(withImport, '/srv/photoprism/import').policy).toBe('if-missing');
    const without = buildPlan(planInput(validAnswers()));
    expect(without.dirs.some((d) => d.path.endsWith('/import'))).toBe(false);
  });

  test('an existing readable and writable originals folder is never touched and needs no message', () => {
    const state = emptyState({ paths: { '/srv/photos': existingDir({ uid: 5, gid: 2000, mode: 0o770 }) } });
    const plan = buildPlan(planInput(validAnswers({ originalsPath: '/srv/photos' }), { state }));
    expect(plan.dirs.some((d) => d.path === '/srv/photos')).toBe(false);
    expect(texts(plan).join('\n')).not.toContain('/srv/photos');
  });

  test('an existing originals folder that uid:gid cannot read: warning with a chgrp/chmod hint, not changed', () => {
    const state = emptyState({ paths: { '/srv/photos': existingDir({ uid: 1000, gid: 1000, mode: 0o700 }) } });
    const plan = buildPlan(planInput(validAnswers({ originalsPath: '/srv/photos' }), { state }));
    expect(plan.dirs.some((d) => d.path === '/srv/photos')).toBe(false);
    const w = texts(plan, 'warn').find((t) => t.includes('/srv/photos'));
    expect(w).toContain('not readable by 2000:2000');
    // chgrp/chmod, not setfacl (not installed on Debian by default)
    expect(w).toContain('"chgrp -R 2000 /srv/photos && chmod -R g+rX /srv/photos"');
    expect(w).not.toContain('setfacl');
  });

  test('an originals folder this tool created follows a UID/GID change (the folder itself, its mode kept); one it did not create is only advised about', () => {
    const fresh = buildPlan(planInput(validAnswers({ originalsPath: '/srv/photos' })));
    expect(getDir(fresh, '/srv/photos').status).toBe('create');
    const remembered = getFile(fresh, '.photoprism-harden/state.json').content;
    expect(JSON.parse(remembered)).toEqual({ allowUnsafe: [], createdFolders: [{ path: '/srv/photos', uid: 2000, gid: 2000 }] });
    // the next run, with a new UID/GID: the folder still has the old owner
    const paths = { '/srv/photos': existingDir({ uid: 2000, gid: 2000, mode: 0o700 }) };
    const again = buildPlan(planInput(validAnswers({ originalsPath: '/srv/photos', uid: 2001, gid: 2002 }), { state: emptyState({ paths, contents: { '.photoprism-harden/state.json': remembered } }) }));
    const d = getDir(again, '/srv/photos');
    expect(d).toMatchObject({ policy: 'ensure', owner: { uid: 2001, gid: 2002 }, mode: 0o700, status: 'fix' });
    expect(d.recursive).toBeUndefined();
    expect(texts(again, 'warn').some((t) => t.includes('/srv/photos'))).toBe(false);
    expect(JSON.parse(getFile(again, '.photoprism-harden/state.json').content).createdFolders).toEqual([{ path: '/srv/photos', uid: 2001, gid: 2002 }]);
    // given to someone else since (1500:1500): theirs now, never re-owned
    const given = { '/srv/photos': existingDir({ uid: 1500, gid: 1500, mode: 0o700 }) };
    const theirs = buildPlan(planInput(validAnswers({ originalsPath: '/srv/photos', uid: 2001, gid: 2002 }), { state: emptyState({ paths: given, contents: { '.photoprism-harden/state.json': remembered } }) }));
    expect(theirs.dirs.some((x) => x.path === '/srv/photos')).toBe(false);
    // the same folder, not recorded as created: never changed, the chgrp/chmod advice instead
    const foreign = buildPlan(planInput(validAnswers({ originalsPath: '/srv/photos', uid: 2001, gid: 2002 }), { state: emptyState({ paths }) }));
    expect(foreign.dirs.some((x) => x.path === '/srv/photos')).toBe(false);
    expect(texts(foreign, 'warn').find((t) => t.includes('/srv/photos'))).toContain('chgrp -R 2002');
  });

  test('an originals folder readable through its group or others', () => {
    const viaGroup = emptyState({ paths: { '/srv/photos': existingDir({ uid: 1000, gid: 2000, mode: 0o750 }) } });
    const p1 = buildPlan(planInput(validAnswers({ originalsPath: '/srv/photos' }), { state: viaGroup }));
    expect(texts(p1, 'warn').some((t) => t.includes('/srv/photos'))).toBe(false);
    // read-only for uid:gid: an info, not a warning
    expect(texts(p1, 'info').some((t) => t.includes('read-only for 2000:2000'))).toBe(true);
    // the owner class decides: owner 2000 with mode 0077 cannot read although others can
    const ownerLocked = emptyState({ paths: { '/srv/photos': existingDir({ uid: 2000, gid: 1, mode: 0o077 }) } });
    const p2 = buildPlan(planInput(validAnswers({ originalsPath: '/srv/photos' }), { state: ownerLocked }));
    expect(texts(p2, 'warn').some((t) => t.includes('not readable'))).toBe(true);
  });

  test('a read-only import folder is not reported as read-only (only originals is)', () => {
    const state = emptyState({ paths: { '/srv/import': existingDir({ uid: 1000, gid: 1000, mode: 0o755 }) } });
    const plan = buildPlan(planInput(validAnswers({ importPath: '/srv/import' }), { state }));
    expect(texts(plan).some((t) => t.includes('/srv/import'))).toBe(false);
  });

  test('originals path that is a file: warning', () => {
    const state = emptyState({ paths: { '/srv/photos': existing() } });
    const plan = buildPlan(planInput(validAnswers({ originalsPath: '/srv/photos' }), { state }));
    expect(texts(plan, 'warn')).toContain('originals path /srv/photos exists but is not a folder');
  });
});

describe('buildPlan: legacy storage/settings', () => {
  test('options are written to storage/settings/options.yml, with a warning', () => {
    const state = emptyState({ legacySettings: true, paths: { 'storage/settings': existingDir() } });
    expect(optionsPath(state)).toBe('storage/settings/options.yml');
    const plan = buildPlan(planInput(validAnswers(), { state }));
    const f = getFile(plan, 'storage/settings/options.yml');
    expect(f.mode).toBe(0o600);
    expect(f.owner).toEqual({ uid: 2000, gid: 2000 });
    expect(plan.files.some((x) => x.path === 'storage/config/options.yml')).toBe(false);
    expect(getDir(plan, 'storage/settings')).toMatchObject({ owner: { uid: 2000, gid: 2000 }, mode: 0o750 });
    expect(plan.dirs.some((d) => d.path === 'storage/config')).toBe(false);
    expect(texts(plan, 'warn').some((t) => t.includes('storage/settings/options.yml'))).toBe(true);
  });

  test('without it, no legacy warning', () => {
    expect(optionsPath(emptyState())).toBe('storage/config/options.yml');
    const plan = buildPlan(planInput(validAnswers()));
    expect(texts(plan).some((t) => t.includes('legacy'))).toBe(false);
  });
});

describe('buildPlan: status against the current state', () => {
  const a = validAnswers();
  const first = buildPlan(planInput(a));

  test('everything is "create" in an empty folder', () => {
    for (const f of first.files) expect(f.status).toBe('create');
    for (const d of first.dirs) expect(d.status).toBe('create');
    expect(planIsNoop(first)).toBe(false);
  });

  test('same content again: every file "unchanged", every folder "ok", nothing to do', () => {
    const second = buildPlan(planInput(a, { state: stateAfter(first) }));
    for (const f of second.files) {
      expect(f.status).toBe('unchanged');
      expect(f.metaOk).toBe(true);
      expect(f.content).toBe(getFile(first, f.path).content);
    }
    for (const d of second.dirs) expect(d.status).toBe('ok');
    expect(planIsNoop(second)).toBe(true);
  });

  test('different content: "update"; an existing file without readable content: "update"', () => {
    const state = stateAfter(first);
    state.contents['docker-compose.yml'] = '# edited by hand\n';
    delete state.contents['storage/config/options.yml'];
    const plan = buildPlan(planInput(a, { state }));
    expect(getFile(plan, 'docker-compose.yml').status).toBe('update');
    expect(getFile(plan, 'storage/config/options.yml').status).toBe('update');
    expect(getFile(plan, '.secrets/db_pwd.txt').status).toBe('unchanged');
    expect(planIsNoop(plan)).toBe(false);
  });

  // MariaDB's entrypoint reads the file with "$(< file)", which drops trailing newlines: a hand-written
  // file with the same password already holds this value, so it is kept byte for byte
  test('a secret file with a trailing newline holding the same password is kept as it is', () => {
    const state = stateAfter(first);
    state.contents['.secrets/db_pwd.txt'] = `${a.databasePassword}\n`;
    const f = getFile(buildPlan(planInput(a, { state })), '.secrets/db_pwd.txt');
    expect(f.status).toBe('unchanged');
    expect(f.content).toBe(`${a.databasePassword}\n`);
    expect(f.replace).toBe(false);
  });

  test('a secret file with another password is an update (written without a newline)', () => {
    const state = stateAfter(first);
    state.contents['.secrets/db_pwd.txt'] = 'SomeOtherPassw0rd\n';
    const f = getFile(buildPlan(planInput(a, { state, replaceSecrets: true })), '.secrets/db_pwd.txt');
    expect(f.status).toBe('update');
    expect(f.content).toBe(a.databasePassword);
    expect(f.replace).toBe(true);
  });

  test('wrong mode or owner: folders "fix", files not metaOk; database folder is never fixed', () => {
    const state = stateAfter(first);
    state.paths['storage'] = existingDir({ uid: 0, gid: 0, mode: 0o755 });
    state.paths['.secrets'] = existingDir({ mode: 0o755 });
    state.paths['database'] = existingDir({ uid: 999, gid: 999, mode: 0o755 });
    state.paths['storage/config/options.yml'] = existing({ mode: 0o644, uid: 2000, gid: 2000 });
    const plan = buildPlan(planInput(a, { state }));
    expect(getDir(plan, 'storage').status).toBe('fix');
    expect(getDir(plan, '.secrets').status).toBe('fix');
    expect(getDir(plan, 'database').status).toBe('ok');
    expect(getFile(plan, 'storage/config/options.yml').metaOk).toBe(false);
    expect(getFile(plan, 'storage/config/options.yml').status).toBe('unchanged');
    expect(planIsNoop(plan)).toBe(false);
  });

  test('an existing .gitignore keeps its mode', () => {
    const state = emptyState({ paths: { '.gitignore': existing({ mode: 0o664 }) }, contents: { '.gitignore': 'node_modules\n' } });
    const f = getFile(buildPlan(planInput(a, { state })), '.gitignore');
    expect(f.mode).toBe(0o664);
    expect(f.status).toBe('update');
    expect(f.content.startsWith('node_modules\n')).toBe(true);
  });

  // the existing options.yml is merged into (src/merge.ts): keys the web UI wrote stay, as the template
  // header promises ("photoprism-harden keeps keys it does not manage")
  test('options.yml keys it does not manage survive regeneration', () => {
    const state = stateAfter(first);
    state.contents['storage/config/options.yml'] += 'SiteTitle: "My Family Photos"\nDisablePlaces: true\n';
    const o = YAML.parse(getFile(buildPlan(planInput(a, { state })), 'storage/config/options.yml').content) as Record<string, unknown>;
    expect(o.SiteTitle).toBe('My Family Photos');
    expect(o.DisablePlaces).toBe(true);
    // the managed keys are still the tool's
    expect(o.AdminPassword).toBe(a.adminPassword);
    expect(o.DatabasePassword).toBe(a.databasePassword);
  });
});

describe('buildPlan: messages', () => {
  test('accepted risks are stated, each by name', () => {
    const plan = buildPlan(planInput(validAnswers({ uid: 1000, gid: 0, allowUnsafe: ['host-account', 'root'] })));
    const w = texts(plan, 'warn');
    expect(w.some((t) => t.startsWith('accepted risk "host-account"'))).toBe(true);
    expect(w.some((t) => t.startsWith('accepted risk "root"'))).toBe(true);
  });

  test('"user:" mode warns; photoprism-uid does not', () => {
    expect(texts(buildPlan(planInput(validAnswers({ userMode: 'user' }))), 'warn').some((t) => t.includes('"user:" mode'))).toBe(true);
    expect(texts(buildPlan(planInput(validAnswers()))).some((t) => t.includes('"user:" mode'))).toBe(false);
  });

  test('public port: info; behind a proxy: where to point the proxy instead', () => {
    const pub = texts(buildPlan(planInput(validAnswers({ httpPort: 8080 }))), 'info');
    expect(pub.some((t) => t.includes('port 8080 is published on all interfaces'))).toBe(true);
    expect(pub.some((t) => t.includes('point the reverse proxy'))).toBe(false);
    const proxied = texts(
      buildPlan(planInput(validAnswers({ behindProxy: true, httpPort: 8080, siteUrl: 'https://photos.example.com/', initActions: ['update'] }))),
    );
    expect(proxied.some((t) => t.includes('all interfaces'))).toBe(false);
    expect(proxied).toContainEqual(expect.stringMatching(/^point the reverse proxy at http:\/\/127\.0\.0\.1:8080 .*https:\/\/photos\.example\.com\//));
  });

  test('init action warnings are passed on (https behind a proxy, no update)', () => {
    const w = texts(buildPlan(planInput(validAnswers({ behindProxy: true, initActions: ['https'] }))), 'warn');
    expect(w.some((t) => t.includes('"https"'))).toBe(true);
    expect(w.some((t) => t.includes('without "update"'))).toBe(true);
  });

  test('an initialised database is mentioned', () => {
    const contents = { '.secrets/db_pwd.txt': 'a', '.secrets/db_root_pwd.txt': 'b' };
    expect(texts(buildPlan(planInput(validAnswers(), { state: emptyState({ databaseInitialised: true, contents }) }))).some((t) => t.includes('MariaDB data folder'))).toBe(true);
    // without the secret files nothing claims they were kept (collect refuses such a run: lostSecretErrors)
    expect(texts(buildPlan(planInput(validAnswers(), { state: emptyState({ databaseInitialised: true }) }))).some((t) => t.includes('secrets are kept'))).toBe(false);
  });

  test('device hints for hardware transcoding', () => {
    const facts = fakeFacts({ renderNodes: [renderNode(993)] });
    const plan = buildPlan(planInput(validAnswers({ transcoding: 'vaapi', gid: 993 }), { facts }));
    expect(texts(plan, 'info').some((t) => t.includes('/dev/dri/renderD128') && t.includes('993'))).toBe(true);
  });
});

describe('gitignoreContent', () => {
  const HEADER = '# photoprism-harden: these hold passwords, never commit them';

  test('a new .gitignore has the header and every line', () => {
    expect(gitignoreContent(undefined)).toBe(`${HEADER}\n${GITIGNORE_LINES.join('\n')}\n`);
    // .photoprism-harden/ holds the backups, which may contain passwords
    expect(GITIGNORE_LINES).toEqual(['.secrets/', 'storage/config/options.yml', 'storage/settings/options.yml', '.photoprism-harden/']);
  });

  test('only the missing lines are appended, after the existing content', () => {
    const old = 'node_modules\n.secrets/\n';
    expect(gitignoreContent(old)).toBe(`${old}${HEADER}\nstorage/config/options.yml\nstorage/settings/options.yml\n.photoprism-harden/\n`);
  });

  test('a rooted "/x" or indented line counts as present', () => {
    const old = '/.secrets/\n  storage/config/options.yml\n/storage/settings/options.yml\n/.photoprism-harden/\n';
    expect(gitignoreContent(old)).toBe(old);
  });

  test('a missing final newline is added before appending', () => {
    expect(gitignoreContent('dist')).toBe(`dist\n${HEADER}\n${GITIGNORE_LINES.join('\n')}\n`);
  });

  test('an empty existing file gets the block', () => {
    expect(gitignoreContent('')).toBe(`${HEADER}\n${GITIGNORE_LINES.join('\n')}\n`);
  });

  test('an existing complete file is returned byte for byte (even without final newline)', () => {
    const old = `x\n${GITIGNORE_LINES.join('\n')}`;
    expect(gitignoreContent(old)).toBe(old);
  });

  test('idempotent', () => {
    for (const old of [undefined, '', 'a', 'node_modules\n', '.secrets/\n', '# c\r\n.secrets/\r\n', '/storage/config/options.yml']) {
      const once = gitignoreContent(old);
      expect(gitignoreContent(once)).toBe(once);
      for (const l of GITIGNORE_LINES) expect(once.split('\n').map((x) => x.trim().replace(/^\//, ''))).toContain(l);
    }
  });
});
