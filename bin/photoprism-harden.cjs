#!/usr/bin/env node
'use strict';
// CommonJS on purpose: Node starts a CommonJS entry faster than an ES module one.

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

// dist/boot.cjs loads the bundles with a code cache (see src/boot.ts)
require('../dist/boot.cjs')
  .run(process.argv)
  .then((code) => {
    process.exitCode = code;
  });
