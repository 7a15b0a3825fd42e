// Is a descriptor a terminal? isatty, without loading node:tty when the answer is certainly no.

import { fstatSync } from 'node:fs';
import { requireBuiltin } from './builtins.js';

/** Linux's major device number of a st_rdev (glibc's gnu_dev_major). */
function major(rdev: number): number {
  return ((rdev >>> 8) & 0xfff) | (Math.floor(rdev / 2 ** 32) & ~0xfff);
}

/**
 * isatty(fd), without loading node:tty when `fd` certainly is no terminal. node:tty loads Node's
 * socket and stream code (~5-10 ms on this machine), which a run into a pipe, a file or /dev/null
 * never uses: a terminal is a character device, and on Linux never one of the memory devices
 * (major 1: /dev/null, /dev/zero, ...). Every other character device is asked with isatty.
 */
export function isTerminal(fd: number): boolean {
  try {
    const st = fstatSync(fd);
    if (!st.isCharacterDevice()) return false;
    if (process.platform === 'linux' && major(st.rdev) === 1) return false;
  } catch {
    return false; // not an open descriptor (isatty says false too)
  }
  return requireBuiltin<typeof import('node:tty')>('node:tty').isatty(fd);
}
