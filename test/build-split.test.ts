// scripts/split.mjs cuts the hand-made bundles by the file an import() resolves to, not by its text:
// renaming or moving a split module fails the build instead of silently pulling it into cli.cjs.
import { describe, expect, test } from '@jest/globals';
import { build } from 'esbuild';
import { mkdtempSync, readFileSync, rmSync, writeFileSync, mkdirSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { ROOT } from './helpers/pty.js';

type Split = { splitPlugin: (root: string, split: Record<string, string>, o?: { requireAll?: boolean }) => { plugin: never; files: Map<string, string> }; checkSplit: (files: Map<string, string>, metafiles: Record<string, unknown>, root: string) => void };
const load = async (): Promise<Split> => (await import(path.join(ROOT, 'scripts', 'split.mjs'))) as Split;

function project(files: Record<string, string>): string {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'pph-split-'));
  for (const [f, text] of Object.entries(files)) {
    mkdirSync(path.dirname(path.join(dir, f)), { recursive: true });
    writeFileSync(path.join(dir, f), text);
  }
  return dir;
}

async function bundle(dir: string, split: Record<string, string>) {
  const { splitPlugin, checkSplit } = await load();
  const s = splitPlugin(dir, split, { requireAll: true });
  const r = await build({ absWorkingDir: dir, entryPoints: ['src/main.ts'], bundle: true, format: 'cjs', platform: 'node', write: false, metafile: true, logLevel: 'silent', plugins: [s.plugin] });
  checkSplit(s.files, { main: r.metafile }, dir);
  return r.outputFiles[0]!.text;
}

describe('split bundles', () => {
  test('an import() of the split module becomes a require() of its bundle, whatever the import text', async () => {
    const dir = project({
      'src/main.ts': "export const go = async () => (await import('./ui/../asker.js')).ask();\n",
      'src/asker.ts': "export const ask = () => 'PROMPTER-CODE';\n",
    });
    try {
      const text = await bundle(dir, { prompter: 'src/asker.ts' });
      expect(text).toContain('require("./prompter.cjs")');
      expect(text).not.toContain('PROMPTER-CODE');
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  test('a renamed split module fails the build (it would otherwise be bundled into the main file)', async () => {
    const dir = project({
      'src/main.ts': "export const go = async () => (await import('./asker2.js')).ask();\n",
      'src/asker2.ts': "export const ask = () => 'PROMPTER-CODE';\n",
    });
    try {
      await expect(bundle(dir, { prompter: 'src/asker.ts' })).rejects.toThrow(/cannot resolve src\/asker.ts/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  test('a split module that no import() reaches, or that a static import pulls in, fails the build', async () => {
    const dir = project({
      'src/main.ts': "import { ask } from './asker.js';\nexport const go = () => ask();\n",
      'src/asker.ts': "export const ask = () => 'PROMPTER-CODE';\n",
    });
    try {
      await expect(bundle(dir, { prompter: 'src/asker.ts' })).rejects.toThrow(/no dynamic import\(\) reaches/);
      const { splitPlugin, checkSplit } = await load();
      const s = splitPlugin(dir, { prompter: 'src/asker.ts' });
      const r = await build({ absWorkingDir: dir, entryPoints: ['src/main.ts'], bundle: true, format: 'cjs', platform: 'node', write: false, metafile: true, logLevel: 'silent', plugins: [s.plugin] });
      expect(() => checkSplit(s.files, { main: r.metafile }, dir)).toThrow(/belongs in dist\/prompter.cjs, but dist\/main.cjs contains it/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  test('the shipped cli.cjs loads the prompter, execa and diff from their own bundles', () => {
    const cli = readFileSync(path.join(ROOT, 'dist', 'cli.cjs'), 'utf8');
    for (const b of ['prompter', 'execa', 'diff']) expect(cli).toContain(`require("./${b}.cjs")`);
    expect(cli).not.toContain('@inquirer');
  });
});
