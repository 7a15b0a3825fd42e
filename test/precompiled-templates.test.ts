// The build precompiles templates/*.hbs into dist/templates.cjs and templates/<target>/*.hbs into
// dist/templates-<target>.cjs (the bundle ships only Handlebars' runtime). Plans rendered with the
// precompiled templates must equal plans rendered from the sources.
import { afterAll, describe, expect, test } from '@jest/globals';
import { existsSync, readdirSync } from 'node:fs';
import { buildPlan } from '../src/plan.js';
import { renderFromSource, templateBundle } from '../src/render.js';
import { swarmPlan } from '../src/targets/swarm/index.js';
import { kubernetesPlan } from '../src/targets/kubernetes/index.js';
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

  test.each([
    ['swarm', swarmPlan],
    ['kubernetes', kubernetesPlan],
  ] as const)('same files for the %s target (its templates in their own bundle)', (target, plan) => {
    const input = planInput(validAnswers({ target }), { facts: hardwareFacts() });
    renderFromSource(false);
    const precompiled = plan(input).files.map((f) => [f.path, f.content]);
    renderFromSource(true);
    const source = plan(input).files.map((f) => [f.path, f.content]);
    expect(precompiled).toEqual(source);
    expect(precompiled.length).toBeGreaterThanOrEqual(3);
  });

  test('each template folder has a bundle of its own, holding exactly its templates', async () => {
    const dist = new URL('../dist/', import.meta.url);
    const templates = readdirSync(new URL('../templates/', import.meta.url), { recursive: true })
      .map(String)
      .filter((f) => f.endsWith('.hbs'))
      .map((f) => f.replace(/\.hbs$/, ''));
    const bundles = new Map<string, string[]>();
    for (const t of templates) bundles.set(templateBundle(t), [...(bundles.get(templateBundle(t)) ?? []), t]);
    expect([...bundles.keys()].sort()).toEqual(['templates-kubernetes.cjs', 'templates-swarm.cjs', 'templates.cjs']);
    const { createRequire } = await import('node:module');
    const req = createRequire(import.meta.url);
    for (const [bundle, names] of bundles) expect(Object.keys(req(new URL(bundle, dist).pathname) as object).sort()).toEqual(names.sort());
  });
});
