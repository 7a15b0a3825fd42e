// stdout and stderr as plain file-descriptor writers. process.stdout / process.stderr build stream
// objects on first use (and load Node's stream and socket code for a pipe): more than a command that
// prints a report needs. Writes are synchronous, like Node's own for files, pipes and terminals.
// A reader that has gone (EPIPE) is not an error: the run goes on and its remaining output is dropped.

import { writeSync } from 'node:fs';

export interface Writer {
  write(text: string): boolean;
}

/** Sleep `ms` without spinning (a non-blocking descriptor that is full: wait for the reader). */
function pause(ms: number): void {
  Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, ms);
}

function fdWriter(fd: 1 | 2): Writer {
  let gone = false;
  return {
    write(text: string): boolean {
      if (gone) return false;
      let buf = Buffer.from(text, 'utf8');
      while (buf.length) {
        let n: number;
        try {
          n = writeSync(fd, buf);
        } catch (e) {
          const code = (e as NodeJS.ErrnoException).code;
          if (code === 'EAGAIN') {
            pause(1);
            continue;
          }
          // the reader has gone (`photoprism-harden init | head`): that is not an error, and the work
          // goes on (an init whose output is cut short still writes its files); the rest is dropped
          if (code === 'EPIPE') {
            gone = true;
            return false;
          }
          throw e;
        }
        buf = buf.subarray(n);
      }
      return true;
    },
  };
}

export const stdout = fdWriter(1);
export const stderr = fdWriter(2);
