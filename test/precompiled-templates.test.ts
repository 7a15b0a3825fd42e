// The build precompiles templates/*.hbs into dist/templates.cjs (the bundle ships only Handlebars'
// runtime). Plans rendered with the precompiled templates must equal plans rendered from the sources.
import { afterAll, describe, expect, test } from '@jest/globals';
import { existsSync } from 'node:fs';
import { buildPlan } from '../src/plan.js';
import { renderFromSource } from '../src/render.js';
import { TRANSCODINGS } from '../src/domain.js';
import { validAnswers, hardwareFacts, planInput } from './fixtures/unit-fakes.js';

const built = existsSync(new URL('../dist/templates.cjs', import.meta.url));

(built ? describe : describe.skip)(`precompiled templates (dist/templates.cjs${built ? '' : ': not built, run npm run build'})`, () => {
  afterAll(() => renderFromSource(false));

  const variants = TRANSCODINGS.flatMap((transcoding) =>
    (['photoprism-uid', 'user'] as const).flatMap((userMode) => [true, false].map((behindProxy) => ({ transcoding, userMode, behindProxy }))),
  );

  test.each(variants)('same files for %o', (v) => {
    const input = planInput(validAnswers({ ...v, importPath: v.behindProxy ? './import' : '' }), { facts: hardwareFacts() });
    renderFromSource(false);
    const precompiled = buildPlan(input).files.map((f) => [f.path, f.content]);
    renderFromSource(true);
    const source = buildPlan(input).files.map((f) => [f.path, f.content]);
    expect(precompiled).toEqual(source);
    expect(precompiled.length).toBeGreaterThanOrEqual(5);
  });
});
