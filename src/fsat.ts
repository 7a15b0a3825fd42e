// Acting inside a folder tree that someone else (a container) can change, without being redirected
// outside it. Node has no openat(2)/fchownat(2)/renameat(2); on Linux /proc/self/fd gives the same
// semantics: "/proc/self/fd/<fd>/<name>" resolves the magic link to the very folder <fd> was opened
// on (wherever it has been moved since, whatever now sits at its old path) and looks up only <name>
// in it. So a folder opened with O_DIRECTORY|O_NOFOLLOW, one component at a time from a trusted
// base, is pinned: lstat/lchown/unlink/rename/mkdir/open(O_NOFOLLOW) of "<pinned>/<name>" act on an
// entry of that folder and never follow a symlink at <name>; fchmod/fchown act on the folder itself.
// Without /proc (not Linux) the same calls run on plain paths, each component still opened without
// following a link (a narrow race remains there; the tool targets Linux hosts).

import { constants, existsSync, promises as fsp } from 'node:fs';
import path from 'node:path';

const DIR_FLAGS = constants.O_RDONLY | constants.O_DIRECTORY;

let procFd: boolean | undefined;
/** /proc/self/fd is there (Linux with procfs mounted) */
export function hasProcFd(): boolean {
  return (procFd ??= existsSync('/proc/self/fd'));
}

/** A folder held open: its entries are reached through the descriptor, never by its path again. */
export class PinnedDir {
  private constructor(
    private readonly fh: fsp.FileHandle,
    /** the path it was opened at (for messages) */
    readonly path: string,
  ) {}

  /** Open `dir` itself (following a link in `dir`: the caller trusts it, e.g. the install dir). */
  static async open(dir: string, follow = true): Promise<PinnedDir> {
    return new PinnedDir(await fsp.open(dir, DIR_FLAGS | (follow ? 0 : constants.O_NOFOLLOW)), path.resolve(dir));
  }

  /** The path that reaches entry `name` of this folder, and only it (the last component is not followed by l* calls). */
  at(name: string): string {
    if (name.includes('/') || name === '' || name === '.' || name === '..') throw new Error(`not a single path component: ${JSON.stringify(name)}`);
    return hasProcFd() ? `/proc/self/fd/${this.fh.fd}/${name}` : path.join(this.path, name);
  }

  /** The names in this folder. */
  list(): Promise<string[]> {
    return fsp.readdir(hasProcFd() ? `/proc/self/fd/${this.fh.fd}` : this.path);
  }

  /** Open sub-folder `name`, refusing a symlink or anything but a folder there (ELOOP/ENOTDIR). */
  async sub(name: string): Promise<PinnedDir> {
    return new PinnedDir(await fsp.open(this.at(name), DIR_FLAGS | constants.O_NOFOLLOW), path.join(this.path, name));
  }

  /** Open the folder `rel` below this one, component by component, never through a symlink. */
  async descend(rel: string): Promise<PinnedDir> {
    const parts = rel.split('/').filter((p) => p && p !== '.');
    if (!parts.length) return this.dup();
    let cur: PinnedDir = this;
    for (const part of parts) {
      const next: PinnedDir = await cur.sub(part);
      if (cur !== this) await cur.close();
      cur = next;
    }
    return cur;
  }

  /** Another descriptor of this same folder. */
  async dup(): Promise<PinnedDir> {
    return new PinnedDir(await fsp.open(hasProcFd() ? `/proc/self/fd/${this.fh.fd}` : this.path, DIR_FLAGS), this.path);
  }

  chmod(mode: number): Promise<void> {
    return this.fh.chmod(mode);
  }
  chown(uid: number, gid: number): Promise<void> {
    return this.fh.chown(uid, gid);
  }
  stat() {
    return this.fh.stat();
  }
  async sync(): Promise<void> {
    try {
      await this.fh.sync();
    } catch {
      /* some file systems cannot fsync a folder; a rename is still atomic */
    }
  }
  close(): Promise<void> {
    return this.fh.close();
  }
}

/** Run `fn` on the folder `rel` below `base` (pinned), closing it afterwards. */
export async function withDir<T>(base: string, rel: string, fn: (d: PinnedDir) => Promise<T>): Promise<T> {
  const root = await PinnedDir.open(base);
  let d: PinnedDir = root;
  try {
    if (rel && rel !== '.') d = await root.descend(rel);
    return await fn(d);
  } finally {
    if (d !== root) await d.close();
    await root.close();
  }
}
