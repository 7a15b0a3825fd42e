import { truthy } from '../compose.js';
import type { RawFinding, Rule } from '../types.js';
import { at, svcLabel } from './util.js';

/** MariaDB without healthcheck. */
export const databaseHealthcheckMissing: Rule = {
  id: 'database-healthcheck-missing',
  severity: 'warning',
  title: 'MariaDB has no healthcheck',
  why: 'without it PhotoPrism cannot wait for a ready database (depends_on: condition: service_healthy) and fails or restarts while MariaDB initialises or upgrades',
  kics: 'Healthcheck Not Set',
  cis: '5.26',
  check(ctx) {
    const out: RawFinding[] = [];
    for (const s of ctx.services) {
      if (s.kind !== 'mariadb') continue;
      const hc = s.data.healthcheck as Record<string, unknown> | undefined;
      const test = hc?.test;
      const disabled = !hc || truthy(hc.disable) || (Array.isArray(test) && test[0] === 'NONE') || test === 'NONE';
      if (!disabled) continue;
      out.push({
        ...(hc ? at(ctx, s, 'healthcheck') : at(ctx, s)),
        message: `${svcLabel(s)} has ${hc ? 'its healthcheck disabled' : 'no healthcheck'}`,
        fix: [
          `  ${s.name}:`,
          '    healthcheck:',
          '      test: ["CMD", "healthcheck.sh", "--connect", "--innodb_initialized"]',
          '      interval: 10s',
          '      timeout: 5s',
          '      retries: 5',
          '      start_period: 60s',
          'and in the photoprism service:',
          '    depends_on:',
          `      ${s.name}:`,
          '        condition: service_healthy',
        ].join('\n'),
      });
    }
    return out;
  },
};
