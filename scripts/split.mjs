// The bundles cut by hand (see build.mjs): a module named here gets a bundle of its own, and every
// dynamic import() that resolves to it - whatever its import text - becomes a require() of that bundle.
// Modules are matched by the file they resolve to, so renaming or moving one cannot silently pull it
// back into the main bundle: a split module that does not resolve, or that no dynamic import reaches,
// fails the build, and so does one that a static import put into another bundle (checkSplit).
import path from 'node:path';

/**
 * @param {string} root the package root (import texts of packages resolve from here)
 * @param {Record<string, string>} split bundle name -> module (a package name or a path relative to root)
 * @param {{ requireAll?: boolean }} [o] requireAll: every split module must be reached (the main bundle)
 * @returns {{ plugin: import('esbuild').Plugin, reached: Set<string>, files: Map<string, string> }}
 */
export function splitPlugin(root, split, o = {}) {
  /** resolved file -> bundle name */
  const files = new Map();
  const reached = new Set();
  const plugin = {
    name: 'split-bundles',
    setup(b) {
      b.onStart(async () => {
        files.clear();
        reached.clear();
        for (const [bundle, mod] of Object.entries(split)) {
          const spec = mod.startsWith('.') || mod.startsWith('/') || mod.includes('/') && !mod.startsWith('@') ? path.resolve(root, mod) : mod;
          const r = await b.resolve(spec, { resolveDir: root, kind: 'import-statement', pluginData: { splitProbe: true } });
          if (r.errors.length || !r.path) return { errors: [{ text: `split bundle "${bundle}": cannot resolve ${mod} (renamed or moved? update the split list in scripts/build.mjs)` }] };
          files.set(r.path, bundle);
        }
        return undefined;
      });
      b.onResolve({ filter: /.*/ }, async (a) => {
        if (a.kind !== 'dynamic-import' || a.pluginData?.splitProbe) return undefined;
        const r = await b.resolve(a.path, { resolveDir: a.resolveDir, importer: a.importer, kind: a.kind, pluginData: { splitProbe: true } });
        const bundle = files.get(r.path);
        if (!bundle) return undefined;
        reached.add(bundle);
        return { path: bundle, namespace: 'split' };
      });
      // a one-line module that require()s the bundle: esbuild would leave an import() of an external
      // as it is, and boot.cjs's scripts cannot import()
      b.onLoad({ filter: /.*/, namespace: 'split' }, (a) => ({ contents: `module.exports = require(${JSON.stringify(`./${a.path}.cjs`)});`, loader: 'js' }));
      b.onResolve({ filter: /^\.\/[a-z-]+\.cjs$/, namespace: 'split' }, (a) => ({ path: a.path, external: true }));
      b.onEnd((result) => {
        if (result.errors.length || !o.requireAll) return undefined;
        const missing = Object.keys(split).filter((n) => !reached.has(n));
        if (missing.length) {
          return { errors: [{ text: `split bundle(s) ${missing.join(', ')}: no dynamic import() reaches the module any more (renamed? update scripts/build.mjs)` }] };
        }
        return undefined;
      });
    },
  };
  return { plugin, reached, files };
}

/**
 * After the build: no split module may be inside another bundle (a static import would put it there).
 * @param {Map<string, string>} files resolved file -> bundle name (from splitPlugin)
 * @param {Record<string, import('esbuild').Metafile>} metafiles bundle name -> esbuild metafile
 * @param {string} root
 */
export function checkSplit(files, metafiles, root) {
  for (const [file, bundle] of files) {
    const rel = path.relative(root, file);
    for (const [name, meta] of Object.entries(metafiles)) {
      const inOutput = Object.values(meta.outputs).some((out) => (out.inputs[rel]?.bytesInOutput ?? 0) > 0);
      if (name !== bundle && inOutput) {
        throw new Error(`${rel} belongs in dist/${bundle}.cjs, but dist/${name}.cjs contains it (a static import?)`);
      }
    }
  }
}
