// Build: bundle src/ and every runtime dependency into dist/ with esbuild, and collect the bundled
// packages' licenses into dist/THIRD_PARTY_LICENSES.txt. Type checking is separate (npm run typecheck).
//
// The output is CommonJS, loaded by dist/boot.cjs with a V8 code cache (see src/boot.ts); Node 20 can
// cache compiled code only for scripts, not for ES modules. esbuild cannot split CommonJS output, so
// the bundles are cut by hand where loading is optional:
//   cli.cjs               every command (src/); each command's code is evaluated only when it runs
//   prelude.cjs           what init starts before cli.cjs is loaded: the engine probes (src/prelude.ts)
//   execa.cjs             execa, for `init --apply` (start the services)
//   prompter.cjs          src/prompter.ts with the @inquirer/prompts it uses, for the interactive wizard
//   diff.cjs              diff, for the change preview when files already exist
//   compose-validator.cjs the Compose JSON schema, precompiled by ajv (validation without an engine)
//   reown-helper.cjs      src/reown/helper.ts, the module each re-own helper thread runs
//   templates.cjs         templates/*.hbs (the compose target's), precompiled by Handlebars
//   templates-<t>.cjs     templates/<t>/*.hbs (the swarm and kubernetes targets'), the same
//   boot.cjs              the loader (no dependency)
import { build } from 'esbuild';
import { Ajv } from 'ajv';
import standaloneCode from 'ajv/dist/standalone/index.js';
import { mkdtempSync } from 'node:fs';
import os from 'node:os';
import { readFileSync, writeFileSync, rmSync, existsSync, readdirSync } from 'node:fs';
import path from 'node:path';
import HandlebarsCompiler from 'handlebars';
import { checkSplit, splitPlugin } from './split.mjs';

const root = path.resolve(path.dirname(new URL(import.meta.url).pathname), '..');
const dist = path.join(root, 'dist');
rmSync(dist, { recursive: true, force: true });
const tmp = mkdtempSync(path.join(os.tmpdir(), 'pph-build-'));

// The Compose schema validator is compiled here, once, with ajv's standalone code generation:
// compiling the schema at run time costs ~0.5 s, more than everything else init does.
const schema = JSON.parse(readFileSync(path.join(root, 'schema/compose-spec.json'), 'utf8'));
delete schema.$schema;
const ajv = new Ajv({ strict: false, allErrors: true, inlineRefs: false, validateFormats: false, validateSchema: false, code: { source: true, esm: false } });
const validatorSource = path.join(tmp, 'compose-validator.cjs');
writeFileSync(validatorSource, standaloneCode(ajv, ajv.compile(schema)));

// The templates are precompiled too, so the bundle needs only Handlebars' runtime (the compiler and
// its source-map dependency cost ~50 ms to load). templates/*.hbs stay the readable source.
const TEMPLATE_OPTIONS = { strict: true, noEscape: true }; // = src/render.ts TEMPLATE_OPTIONS
// (one folder per output target: templates/<target>/*.hbs are named "<target>/<file>")
// Each folder's templates are a bundle of their own (src/render.ts templateBundle): the compose
// target's (templates/*.hbs) in templates.cjs, templates/<target>/*.hbs in templates-<target>.cjs, so
// a run loads only the chosen target's.
const templateBundles = new Map();
for (const f of readdirSync(path.join(root, 'templates'), { recursive: true })
  .map((f) => String(f).split(path.sep).join('/'))
  .filter((f) => f.endsWith('.hbs'))
  .sort()) {
  const name = f.replace(/\.hbs$/, '');
  const folder = name.includes('/') ? name.slice(0, name.indexOf('/')) : '';
  if (folder && !/^[a-z]+$/.test(folder)) throw new Error(`templates/${f}: a template folder is named by its target (lower-case letters)`);
  const bundle = folder ? `templates-${folder}.cjs` : 'templates.cjs';
  if (!templateBundles.has(bundle)) templateBundles.set(bundle, []);
  templateBundles.get(bundle).push(`  ${JSON.stringify(name)}: ${HandlebarsCompiler.precompile(readFileSync(path.join(root, 'templates', f), 'utf8'), TEMPLATE_OPTIONS)}`);
}

/**
 * modules that get a bundle of their own, loaded only by the code that needs them: bundle name ->
 * module (a package, or a source file). A dynamic import() that resolves to one of them becomes a
 * require() of its bundle (scripts/split.mjs); the build fails when one of them is renamed or moved.
 */
const SPLIT = { execa: 'execa', prompter: 'src/prompter.ts', diff: 'diff' };
const SPLIT_ENTRY = {
  execa: { stdin: { contents: "export * from 'execa';", resolveDir: root, sourcefile: 'execa-entry.js' } },
  prompter: { entryPoints: [SPLIT.prompter] },
  diff: { stdin: { contents: "export * from 'diff';", resolveDir: root, sourcefile: 'diff-entry.js' } },
};
const split = splitPlugin(root, SPLIT, { requireAll: true });
const noAjv = {
  name: 'no-ajv',
  setup(b) {
    // ajv's compiler is only the fallback for running from src/ without a build: the bundle always has
    // dist/compose-validator.cjs, so the compiler is left out
    b.onResolve({ filter: /^ajv$/ }, () => ({ path: 'ajv', namespace: 'no-ajv' }));
    b.onLoad({ filter: /.*/, namespace: 'no-ajv' }, () => ({
      contents: "throw new Error('dist/compose-validator.cjs is missing: reinstall photoprism-harden');",
      loader: 'js',
    }));
  },
};

const common = {
  absWorkingDir: root,
  nodePaths: [path.join(root, 'node_modules')],
  bundle: true,
  format: 'cjs',
  platform: 'node',
  target: 'node20.17',
  minify: !process.env.NO_MINIFY, // NO_MINIFY=1 npm run build: readable names in CPU profiles
  legalComments: 'none',
  metafile: true,
  logLevel: 'warning',
  // ESM sources use import.meta.url (paths.ts finds the package from it)
  define: { 'import.meta.url': '__phImportMetaUrl' },
  banner: { js: "var __phImportMetaUrl=require('node:url').pathToFileURL(__filename).href;" },
};
const builds = {
  cli: build({ ...common, entryPoints: ['src/cli.ts'], outfile: 'dist/cli.cjs', plugins: [split.plugin, noAjv] }),
  prelude: build({ ...common, entryPoints: ['src/prelude.ts'], outfile: 'dist/prelude.cjs', plugins: [splitPlugin(root, SPLIT).plugin] }),
  ...Object.fromEntries(Object.entries(SPLIT_ENTRY).map(([name, entry]) => [name, build({ ...common, ...entry, outfile: `dist/${name}.cjs` })])),
  'compose-validator': build({ ...common, entryPoints: [validatorSource], outfile: 'dist/compose-validator.cjs' }),
  // the re-own helper threads' module (src/reown.ts starts a Worker on it; it runs as plain Node, not through boot.cjs)
  'reown-helper': build({ ...common, entryPoints: ['src/reown/helper.ts'], outfile: 'dist/reown-helper.cjs' }),
  boot: build({ ...common, entryPoints: ['src/boot.ts'], outfile: 'dist/boot.cjs', minify: false, define: {}, banner: {} }),
};
const names = Object.keys(builds);
const results = await Promise.all(Object.values(builds));
// a bundle without the import.meta.url define (boot.cjs) leaves import.meta empty: code that uses it
// there would fail at run time, so the build does
for (const [i, r] of results.entries()) {
  const w = r.warnings.find((x) => x.id === 'empty-import-meta');
  if (w) throw new Error(`dist/${names[i]}.cjs: import.meta is empty there (${w.location?.file}:${w.location?.line}); use builtins.ts or a define`);
}
const metafiles = Object.fromEntries(names.map((n, i) => [n, results[i].metafile]));
// a split module inside another bundle (a static import of it) would load it on every run
checkSplit(split.files, metafiles, root);

// dist/boot.cjs runs the bundles as scripts (vm.Script, for the code cache): on Node 20 a script
// cannot import(), so no bundle may contain one
for (const f of readdirSync(dist).filter((f) => f.endsWith('.cjs'))) {
  const text = readFileSync(path.join(dist, f), 'utf8');
  const m = /(?<![\w$.])import\(/.exec(text);
  if (m) throw new Error(`dist/${f} contains a dynamic import() (${text.slice(m.index - 60, m.index + 40)}): use a static import or a vendor bundle`);
}
const result = { metafile: { inputs: Object.assign({}, ...results.map((r) => r.metafile.inputs)) } };

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
for (const [bundle, specs] of templateBundles) {
  writeFileSync(path.join(dist, bundle), `// generated by scripts/build.mjs from templates/${bundle === 'templates.cjs' ? '' : `${bundle.slice('templates-'.length, -'.cjs'.length)}/`}*.hbs\nmodule.exports = {\n${specs.join(',\n')}\n};\n`);
}
rmSync(tmp, { recursive: true, force: true });
console.log(`bundled ${packages.size} packages into dist/`);
