// Build: bundle src/ and every runtime dependency into dist/ with esbuild (ESM, code-split so each
// command loads only what it needs), and collect the bundled packages' licenses into
// dist/THIRD_PARTY_LICENSES.txt. Type checking is separate (npm run typecheck).
import { build } from 'esbuild';
import { Ajv } from 'ajv';
import standaloneCode from 'ajv/dist/standalone/index.js';
import { mkdtempSync } from 'node:fs';
import os from 'node:os';
import { readFileSync, writeFileSync, rmSync, existsSync, readdirSync } from 'node:fs';
import path from 'node:path';

const root = path.resolve(path.dirname(new URL(import.meta.url).pathname), '..');
const dist = path.join(root, 'dist');
rmSync(dist, { recursive: true, force: true });

// The Compose schema validator is compiled here, once, with ajv's standalone code generation:
// compiling the schema at run time costs ~0.5 s, more than everything else init does.
const schema = JSON.parse(readFileSync(path.join(root, 'schema/compose-spec.json'), 'utf8'));
delete schema.$schema;
const ajv = new Ajv({ strict: false, allErrors: true, inlineRefs: false, validateFormats: false, validateSchema: false, code: { source: true, esm: true } });
const tmp = mkdtempSync(path.join(os.tmpdir(), 'pph-build-'));
const validatorSource = path.join(tmp, 'compose-validator.mjs');
writeFileSync(validatorSource, standaloneCode(ajv, ajv.compile(schema)));

const result = await build({
  absWorkingDir: root,
  nodePaths: [path.join(root, 'node_modules')],
  entryPoints: ['src/cli.ts', { in: validatorSource, out: 'compose-validator' }],
  outdir: 'dist',
  bundle: true,
  splitting: true,
  format: 'esm',
  platform: 'node',
  target: 'node20.17',
  minify: true,
  legalComments: 'none',
  metafile: true,
  chunkNames: '[name]-[hash]', // flat: code finds templates/ and package.json at ../
  // bundled CommonJS packages (handlebars, ajv) call require() for Node built-ins
  // (created on first use: createRequire costs milliseconds in every chunk that would call it at load)
  banner: {
    js: "import { createRequire as __phCreateRequire } from 'node:module'; let __phRequire; const require = (id) => (__phRequire ??= __phCreateRequire(import.meta.url))(id);",
  },
  logLevel: 'warning',
});

// licenses of every bundled package, so they ship with the code that embeds them
const packages = new Map();
for (const input of Object.keys(result.metafile.inputs)) {
  const m = /node_modules\/((?:@[^/]+\/)?[^/]+)\//.exec(input);
  if (!m) continue;
  const dir = path.join(root, input.slice(0, m.index + m[0].length));
  if (packages.has(m[1])) continue;
  const pkg = JSON.parse(readFileSync(path.join(dir, 'package.json'), 'utf8'));
  const licenseFile = existsSync(dir) ? readdirSync(dir).find((f) => /^(licen[sc]e|copying)(\.|$)/i.test(f)) : undefined;
  packages.set(m[1], {
    version: pkg.version,
    license: typeof pkg.license === 'string' ? pkg.license : JSON.stringify(pkg.license ?? pkg.licenses ?? 'UNKNOWN'),
    text: licenseFile ? readFileSync(path.join(dir, licenseFile), 'utf8').trim() : `(no license file; package.json says ${pkg.license})`,
  });
}
const sections = [...packages.entries()]
  .sort(([a], [b]) => a.localeCompare(b))
  .map(([name, p]) => `${name}@${p.version} (${p.license})\n${'-'.repeat(72)}\n${p.text}\n`);
writeFileSync(
  path.join(dist, 'THIRD_PARTY_LICENSES.txt'),
  `photoprism-harden bundles the following packages into dist/. Their licenses follow.\n\n${sections.join('\n')}`,
);
rmSync(tmp, { recursive: true, force: true });
console.log(`bundled ${packages.size} packages into dist/`);
