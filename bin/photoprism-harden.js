#!/usr/bin/env node
import { main } from '../dist/cli.js';

// `photoprism-harden ... | head` closes the pipe early: that is not an error
for (const stream of [process.stdout, process.stderr]) {
  stream.on('error', (e) => {
    if (e.code === 'EPIPE') process.exit(process.exitCode ?? 0);
    throw e;
  });
}
// Node ignores SIGXFSZ, so a write past the file-size limit fails with EFBIG and the atomic writer
// leaves the old file intact. execa's signal-exit would re-raise the signal (killing the process
// mid-write) unless another listener exists: this one keeps Node's behaviour.
process.on('SIGXFSZ', () => {});
process.exitCode = await main(process.argv);
