#!/usr/bin/env node
'use strict';
// CommonJS on purpose: Node starts a CommonJS entry faster than an ES module one.

// Output goes through src/stdio.ts (plain descriptor writes; a pipe closed early, as by `| head`, is not
// an error): process.stdout and process.stderr are not built unless the wizard needs them.
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
