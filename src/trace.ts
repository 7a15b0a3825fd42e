// PHOTOPRISM_HARDEN_TRACE=1: each phase of a run, with the milliseconds since the process started,
// on stderr (for performance work; `npm run bench` measures the whole).

import { Output } from './out.js';

const on = Boolean(process.env.PHOTOPRISM_HARDEN_TRACE);
const print = on ? new Output() : null;

export function trace(phase: string): void {
  if (print) print.writeErr(`trace ${performance.now().toFixed(1).padStart(7)} ms  ${phase}\n`);
}
