// PhotoPrism's own example compose file (setup/docker/compose.yaml) must produce exactly these findings.

import { afterAll, describe, expect, test } from '@jest/globals';
import { copyFile } from 'node:fs/promises';
import path from 'node:path';
import { auditDir } from '../src/audit/index.js';
import { humanLines } from '../src/audit/report.js';
import { cleanup, facts, tempDir } from './audit-helpers.js';

afterAll(cleanup);

const OFFICIAL = new URL('./fixtures/photoprism-official-compose.yaml', import.meta.url);

async function official() {
  const dir = await tempDir();
  await copyFile(OFFICIAL, path.join(dir, 'docker-compose.yml'));
  return auditDir(dir, facts(), 'test', { env: { HOME: '/home/alice' } });
}

describe('the official PhotoPrism compose example', () => {
  test('produces the expected findings, at the expected lines', async () => {
    const report = await official();
    const got = report.findings.map((f) => `${f.severity} ${f.rule} ${f.service}:${f.line}`);
    expect(got).toEqual([
      'error runs-as-root photoprism:47', // no PHOTOPRISM_UID/GID (the example has them commented out)
      'error password-in-environment photoprism:49', // PHOTOPRISM_ADMIN_PASSWORD
      'error password-in-environment photoprism:82', // PHOTOPRISM_DATABASE_PASSWORD
      'error password-in-environment mariadb:137', // MARIADB_PASSWORD
      'error password-in-environment mariadb:138', // MARIADB_ROOT_PASSWORD
      'error docker-socket-mounted watchtower:151',
      'error sensitive-host-mount watchtower:152', // ~/.docker/config.json (registry credentials)
      'warning capabilities-not-dropped photoprism:28', // no cap_drop (the service key's line)
      'warning image-latest-tag photoprism:30',
      'warning seccomp-unconfined photoprism:39',
      'warning apparmor-unconfined photoprism:40',
      'warning port-all-interfaces photoprism:44',
      'warning init-without-update photoprism:47',
      'warning capabilities-not-dropped mariadb:119',
      'warning database-network-not-internal mariadb:119', // no networks: the project's default network
      'warning database-healthcheck-missing mariadb:119',
      'warning seccomp-unconfined mariadb:126',
      'warning apparmor-unconfined mariadb:127',
      'warning database-root-remote mariadb:132', // the environment: no MARIADB_ROOT_HOST, so root@'%'
      'warning image-latest-tag watchtower:145', // containrrr/watchtower without a tag
      'info pids-limit-missing photoprism:28',
      'info log-rotation-missing photoprism:28',
      'info no-new-privileges-missing photoprism:38',
      'info pids-limit-missing mariadb:119',
      'info log-rotation-missing mariadb:119',
      'info no-new-privileges-missing mariadb:125',
      'info no-new-privileges-missing watchtower:143',
    ]);
    expect(report.summary).toEqual({ error: 7, warning: 13, info: 7, rules: expect.any(Number), clean: false });
  });

  test('names the variables, never the passwords; names KICS and CIS where they match', async () => {
    const report = await official();
    const text = JSON.stringify(report) + humanLines(report, 100).join('\n');
    expect(text).not.toContain('insecure'); // the example's password value
    const pw = report.findings.filter((f) => f.rule === 'password-in-environment').map((f) => f.message.split(' ')[0]);
    expect(pw).toEqual(['PHOTOPRISM_ADMIN_PASSWORD', 'PHOTOPRISM_DATABASE_PASSWORD', 'MARIADB_PASSWORD', 'MARIADB_ROOT_PASSWORD']);
    const sock = report.findings.find((f) => f.rule === 'docker-socket-mounted')!;
    expect(sock).toMatchObject({ kics: 'Docker Socket Mounted In Container', cis: '5.31' });
    expect(sock.message).toContain('profile "update"');
  });

  test('explains why PhotoPrism and MariaDB turn seccomp off, as a warning', async () => {
    const report = await official();
    const sec = report.findings.filter((f) => f.rule === 'seccomp-unconfined');
    expect(sec.map((f) => f.severity)).toEqual(['warning', 'warning']);
    expect(sec[0]!.message).toContain('Docker older than 20.10.10');
    expect(sec[1]!.message).toContain('io_uring');
  });

  test('human output groups by severity and ends with the one-line summary', async () => {
    const lines = humanLines(await official(), 100);
    const headings = lines.filter((l) => /^(Errors|Warnings|Info) \(\d+\)$/.test(l));
    expect(headings).toEqual(['Errors (7)', 'Warnings (13)', 'Info (7)']);
    expect(lines[lines.length - 1]).toMatch(/^audit: FAIL - 7 errors, 13 warnings, 7 info \(\d+ rules checked; errors must be fixed\)$/);
  });
});
