// An in-memory stream for tests that run runInit (or anything else writing through Output) in-process.

import { Writable } from 'node:stream';

/** A writable stream that keeps everything written to it in `text`. */
export class Sink extends Writable {
  text = '';
  override _write(chunk: Buffer, _enc: BufferEncoding, cb: () => void): void {
    this.text += chunk.toString();
    cb();
  }
}
