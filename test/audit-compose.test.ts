// The small grammars the audit relies on: interpolation, ports, volumes, env files, image names, positions.

import { afterAll, describe, expect, test } from '@jest/globals';
import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import { LineCounter, parseDocument } from 'yaml';
import { imageName, interpolate, lineAt, parseDotenv, parseMounts, parsePorts, serviceKind } from '../src/audit/compose.js';
import { AuditLoadError, loadInstallation } from '../src/audit/load.js';
import { BASE_COMPOSE, cleanup, facts, tempDir } from './audit-helpers.js';

afterAll(cleanup);

describe('compose grammars', () => {
  test('interpolation: $$, ${VAR}, defaults, alternatives', () => {
    const vars = new Map([['A', 'x'], ['E', '']]);
    expect(interpolate('$$A ${A} $A ${B:-d} ${E:-d} ${E-d} ${A:+alt} ${B+alt} ${B:-${A}}', vars)).toBe('$A x x d d  alt  x');
    const missing = new Set<string>();
    interpolate('${NOPE}', vars, missing);
    expect([...missing]).toEqual(['NOPE']);
  });

  test('ports: short, IPv6, long syntax', () => {
    expect(parsePorts(['2342:2342', '127.0.0.1:80:2342/tcp', '[::1]:443:2342', 2342, { target: 2342, published: '8080', host_ip: '10.0.0.1' }]).map((p) => [p.hostIp, p.published, p.target])).toEqual([
      ['', '2342', '2342'],
      ['127.0.0.1', '80', '2342'],
      ['::1', '443', '2342'],
      ['', '', '2342'],
      ['10.0.0.1', '8080', '2342'],
    ]);
  });

  test('volumes: host paths vs named volumes, read-only, long syntax', () => {
    expect(parseMounts(['./storage:/photoprism/storage', 'db:/var/lib/mysql', '/etc/localtime:/etc/localtime:ro', '/anon', { type: 'bind', source: '~/Pictures', target: '/x', read_only: true }]).map((m) => [m.type, m.source, m.readOnly])).toEqual([
      ['bind', './storage', false],
      ['volume', 'db', false],
      ['bind', '/etc/localtime', true],
      ['volume', '', false],
      ['bind', '~/Pictures', true],
    ]);
  });

  test('env files: comments, export, quotes, pass-through', () => {
    expect(parseDotenv('# c\nexport A=1\nB="two words"\nC=3 # note\nD\n')).toEqual([
      { name: 'A', value: '1', line: 2, quote: null },
      { name: 'B', value: 'two words', line: 3, quote: 'double' },
      { name: 'C', value: '3', line: 4, quote: null },
      { name: 'D', value: null, line: 5, quote: null },
    ]);
    expect(parseDotenv("S='l$T # x'\nM=\"a\\\"b\\nc\nd\"\nH=a#b\n")).toEqual([
      { name: 'S', value: 'l$T # x', line: 1, quote: 'single' },
      { name: 'M', value: 'a"b\nc\nd', line: 2, quote: 'double' },
      { name: 'H', value: 'a#b', line: 4, quote: null },
    ]);
  });

  test('images and service roles', () => {
    expect(imageName('docker.io/library/mariadb:11')).toEqual({ repo: 'mariadb', tag: '11', digest: false });
    expect(imageName('localhost:5000/photoprism/photoprism')).toEqual({ repo: 'photoprism/photoprism', tag: null, digest: false });
    expect(serviceKind('app', { image: 'photoprism/photoprism:latest' })).toBe('photoprism');
    expect(serviceKind('db', { image: 'mysql:8' })).toBe('mariadb');
    expect(serviceKind('mariadb', { build: '.' })).toBe('mariadb');
  });

  test('positions: list items and missing keys fall back to the parent', () => {
    const lc = new LineCounter();
    const doc = parseDocument('a:\n  b:\n    - x\n    - y\n', { lineCounter: lc });
    expect(lineAt(doc, lc, ['a', 'b', 1])).toBe(4);
    expect(lineAt(doc, lc, ['a', 'nope'])).toBe(1);
  });
});

describe('loading an installation', () => {
  test('Compose\'s order of file names: compose.yaml, compose.yml, docker-compose.yaml, docker-compose.yml', async () => {
    const dir = await tempDir();
    for (const n of ['docker-compose.yml', 'docker-compose.yaml', 'compose.yml']) await writeFile(path.join(dir, n), BASE_COMPOSE);
    const ctx = await loadInstallation({ dir, facts: facts(), env: {} });
    expect(ctx.compose.rel).toBe('compose.yml');
    expect(ctx.ignoredComposeFiles).toEqual(['docker-compose.yaml', 'docker-compose.yml']);
  });

  test('unreadable installations are load errors (exit 2)', async () => {
    const dir = await tempDir();
    await expect(loadInstallation({ dir, facts: facts() })).rejects.toThrow(AuditLoadError);
    await writeFile(path.join(dir, 'compose.yaml'), '- just\n- a list\n');
    await expect(loadInstallation({ dir, facts: facts() })).rejects.toThrow('is not a Compose file');
    await writeFile(path.join(dir, 'compose.yaml'), 'version: "3"\n');
    await expect(loadInstallation({ dir, facts: facts() })).rejects.toThrow('no "services:" mapping');
  });
});

describe('masking (second line of defence)', () => {
  test('a rule that printed a secret value would have it masked; a password equal to a name is left alone', async () => {
    const { build, DB_ROOT_PW, BASE_OPTIONS } = await import('./audit-helpers.js');
    const { buildReport } = await import('../src/audit/report.js');
    const dir = await build({ options: BASE_OPTIONS.replace(/AdminPassword: .*/, 'AdminPassword: "photoprism"') });
    const ctx = await loadInstallation({ dir, facts: facts(), env: {} });
    const leaky = {
      id: 'leaky',
      severity: 'info' as const,
      title: 'test',
      why: 'test',
      check: () => [{ file: 'x', service: 'photoprism', message: `root password is ${DB_ROOT_PW}`, fix: 'service photoprism' }],
    };
    const f = buildReport(ctx, [leaky], 'test').findings[0]!;
    expect(f.message).toBe('root password is ********');
    expect(f.fix).toBe('service photoprism');
  });
});
