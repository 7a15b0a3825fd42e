import { describe, expect, test } from '@jest/globals';
import { readFileSync } from 'node:fs';
import { HARDENING_RULES, GUIDE_RULES, RULES, rulesMarkdown } from '../src/audit/rules/index.js';

const readme = readFileSync(new URL('../README.md', import.meta.url), 'utf8');

describe('README "audit" section stays derived from the rules', () => {
  test('both rule tables are exactly rulesMarkdown() of the rules', () => {
    expect(readme).toContain(rulesMarkdown(GUIDE_RULES));
    expect(readme).toContain(rulesMarkdown(HARDENING_RULES));
  });

  test('rule ids are unique kebab-case, and the rule count in the examples is current', () => {
    const ids = RULES.map((r) => r.id);
    expect(new Set(ids).size).toBe(ids.length);
    for (const id of ids) expect(id).toMatch(/^[a-z][a-z0-9]*(-[a-z0-9]+)*$/);
    expect(readme).toContain(`(${RULES.length} rules checked)`);
    expect(readme).toContain(`"rules": ${RULES.length}`);
  });
});
