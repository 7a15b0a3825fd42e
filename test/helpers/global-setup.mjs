// jest globalSetup: bundle the test-only CLI entry (test/helpers/cli-entry.ts, the built CLI with an
// injected fake host) into .cache/test-cli/cli-entry.cjs, for the tests that spawn the CLI.
import { build } from 'esbuild';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
export const TEST_CLI = path.join(root, '.cache', 'test-cli', 'cli-entry.cjs');

export default async function globalSetup() {
  await build({
    absWorkingDir: root,
    entryPoints: ['test/helpers/cli-entry.ts'],
    outfile: TEST_CLI,
    bundle: true,
    format: 'cjs',
    platform: 'node',
    target: 'node20.17',
    logLevel: 'warning',
    define: { __PPH_REPO_ROOT__: JSON.stringify(root) },
  });
}
