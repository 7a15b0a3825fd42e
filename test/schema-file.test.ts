import { describe, expect, test } from '@jest/globals';
import { readFileSync } from 'node:fs';
import { answersSchema, ANSWER_KEYS, QUESTIONS, questionsMarkdown } from '../src/questions.js';

const root = new URL('../', import.meta.url);

describe('shipped files stay derived from the question table', () => {
  test('schema/answers.schema.json equals answersSchema() (regenerate: node bin/photoprism-harden.cjs schema > schema/answers.schema.json)', () => {
    const shipped = JSON.parse(readFileSync(new URL('schema/answers.schema.json', root), 'utf8'));
    expect(shipped).toEqual(answersSchema());
  });

  test('README documents every answers-file key and every flag', () => {
    const readme = readFileSync(new URL('README.md', root), 'utf8');
    for (const key of ANSWER_KEYS) expect(readme).toContain(`\`${key}\``);
    for (const q of QUESTIONS) if (q.flag) expect(readme).toContain(`--${q.flag}`);
  });

  test('the README\'s question table is questionsMarkdown() (on failure, paste the expected table into README.md)', () => {
    const readme = readFileSync(new URL('README.md', root), 'utf8');
    const start = readme.indexOf('| answers-file key |');
    const end = readme.indexOf('\n\n', start);
    expect(readme.slice(start, end)).toBe(questionsMarkdown());
  });
});
