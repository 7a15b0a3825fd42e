#!/usr/bin/env node
import { main } from '../dist/cli.js';

// `photoprism-harden ... | head` closes the pipe early: that is not an error
for (const stream of [process.stdout, process.stderr]) {
  stream.on('error', (e) => {
    if (e.code === 'EPIPE') process.exit(process.exitCode ?? 0);
    throw e;
  });
}
process.exitCode = await main(process.argv);
