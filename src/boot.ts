// Start-up of the built CLI (bin/ -> dist/boot.cjs): loads the CommonJS bundles in dist/ with a V8
// code cache, so a run after the first skips parsing and compiling them (Node 20 has no compile cache
// of its own; module.enableCompileCache() needs Node 22.1 and would put it in the shared /tmp).
//
// The cache sits in the package's own folder (<package>/.cache/v8/): whoever can change it can
// already change the code beside it, so it adds no one who can alter what runs. A cache file is used
// only when it is a regular file owned by this user or the bundle's owner, in a folder nobody else may
// write; its name carries the bundle's inode, size and modification time, the Node version and the
// command, so an edited or upgraded bundle never meets an old cache. Writing is atomic (temporary file + rename), never through
// a symlink, and best effort: a read-only install simply runs without a cache. NODE_DISABLE_COMPILE_CACHE
// (Node's own switch) turns it off. Nothing but compiled code goes in: no argument, answer or
// password is part of a bundle's source.

import { closeSync, constants, fstatSync, lstatSync, mkdirSync, openSync, readFileSync, readdirSync, renameSync, statSync, unlinkSync, writeSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { Script } from 'node:vm';
import { trace } from './trace.js';

export interface Loaded {
  file: string;
  /** the cache file this bundle's code cache is (or would be) in; null without a usable cache folder */
  cacheFile: string | null;
  /** the start of the names of this bundle's caches for this command and Node (older builds share it) */
  cachePrefix: string;
  /** a cache was found and V8 accepted it */
  cacheUsed: boolean;
  script: Script;
}

export interface Boot {
  /** require() for the bundles: dist/*.cjs through the code cache, everything else through Node */
  require(id: string): unknown;
  loaded: Loaded[];
  /** write the code cache of every bundle that had none (call once the command has run) */
  save(): void;
}

/**
 * What a cache is for: the command, and help or a dry run apart, since each runs different code. (The
 * cache holds the code a run compiled: a cache made by `init --help` would leave most of `init` to be
 * compiled again on every later run.)
 */
export function cacheTag(argv: string[]): string {
  const [first, ...rest] = argv.slice(2);
  const cmd = first && /^[a-z]+$/.test(first) ? first : 'cli';
  if (rest.includes('--help') || rest.includes('-h') || first === 'help' || first === '--help' || first === '-h') return `${cmd}-help`;
  return rest.includes('--dry-run') ? `${cmd}-dry-run` : cmd;
}

/** Is `dir` a real folder that only this user (or the package's owner) may write? */
function trustedDir(dir: string, owner: number): boolean {
  try {
    const st = lstatSync(dir);
    const uid = process.geteuid?.() ?? st.uid;
    return st.isDirectory() && (st.uid === uid || st.uid === owner) && (st.mode & 0o022) === 0;
  } catch {
    return false;
  }
}

/** The cache folder, created if missing; null when it cannot be used. */
function cacheDir(root: string, owner: number): string | null {
  const dir = path.join(root, '.cache', 'v8');
  for (const d of [path.join(root, '.cache'), dir]) {
    if (trustedDir(d, owner)) continue;
    try {
      mkdirSync(d, { mode: 0o755 });
    } catch {
      return null;
    }
    if (!trustedDir(d, owner)) return null;
  }
  return dir;
}

function readCache(file: string, owner: number): Buffer | undefined {
  let fd: number;
  try {
    fd = openSync(file, constants.O_RDONLY | constants.O_NOFOLLOW);
  } catch {
    return undefined;
  }
  try {
    const st = fstatSync(fd);
    const uid = process.geteuid?.() ?? st.uid;
    if (!st.isFile() || (st.uid !== uid && st.uid !== owner) || (st.mode & 0o022) !== 0) return undefined;
    return readFileSync(fd);
  } catch {
    return undefined;
  } finally {
    closeSync(fd);
  }
}

function writeCache(file: string, data: Buffer): void {
  const tmp = `${file}.${process.pid}.tmp`;
  let fd: number | undefined;
  try {
    fd = openSync(tmp, constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL | constants.O_NOFOLLOW, 0o644);
    writeSync(fd, data);
    closeSync(fd);
    fd = undefined;
    renameSync(tmp, file);
  } catch {
    if (fd !== undefined) closeSync(fd);
    try {
      unlinkSync(tmp);
    } catch {
      /* never created */
    }
  }
}

/** Remove the caches of older builds of the same bundle, command and Node version. */
function prune(cacheFile: string, prefix: string): void {
  const dir = path.dirname(cacheFile);
  const base = path.basename(cacheFile);
  try {
    for (const f of readdirSync(dir)) if (f !== base && f.startsWith(prefix) && f.endsWith('.bin')) unlinkSync(path.join(dir, f));
  } catch {
    /* best effort */
  }
}

export function createBoot(distDir: string, tag: string, env: NodeJS.ProcessEnv = process.env): Boot {
  const root = path.dirname(distDir);
  const nodeRequire = createRequire(path.join(distDir, 'boot.cjs'));
  const exportsByFile = new Map<string, unknown>();
  const loaded: Loaded[] = [];
  let dir: string | null | undefined;
  const useCache = !env.NODE_DISABLE_COMPILE_CACHE;

  const load = (file: string): unknown => {
    const known = exportsByFile.get(file);
    if (known) return known;
    const source = readFileSync(file, 'utf8');
    let cacheFile: string | null = null;
    let cached: Buffer | undefined;
    const cachePrefix = `${path.basename(file, '.cjs')}.${tag}.${process.version}-${process.arch}.`;
    if (useCache) {
      const st = statSync(file, { bigint: true });
      const owner = Number(st.uid);
      dir ??= cacheDir(root, owner);
      if (dir) {
        // the file's identity (inode, size, modification time in ns): any rebuild or reinstall changes it
        // (hashing the source would load node:crypto, ~8 ms, in commands that need none)
        const id = `${st.ino.toString(36)}-${st.size.toString(36)}-${st.mtimeNs.toString(36)}`;
        cacheFile = path.join(dir, `${cachePrefix}${id}.bin`);
        cached = readCache(cacheFile, owner);
      }
    }
    const script = new Script(`(function (exports, require, module, __filename, __dirname) { ${source}\n});`, { filename: file, cachedData: cached });
    const module = { exports: {} as unknown };
    exportsByFile.set(file, module.exports);
    const cacheUsed = Boolean(cached) && !script.cachedDataRejected;
    loaded.push({ file, cacheFile, cachePrefix, cacheUsed, script });
    const fn = script.runInThisContext() as (e: unknown, r: (id: string) => unknown, m: typeof module, f: string, d: string) => void;
    fn.call(module.exports, module.exports, req, module, file, path.dirname(file));
    exportsByFile.set(file, module.exports);
    trace(`boot: ${path.basename(file)} loaded (${cacheUsed ? 'code cache used' : cached ? 'code cache rejected' : 'no code cache'})`);
    return module.exports;
  };

  const req = (id: string): unknown => {
    const file = id.startsWith('./') || id.startsWith('../') ? path.resolve(distDir, id) : id;
    if (file.endsWith('.cjs') && path.dirname(file) === distDir && file !== path.join(distDir, 'boot.cjs')) return load(file);
    return nodeRequire(id);
  };

  return {
    require: req,
    loaded,
    save() {
      for (const l of loaded) {
        if (l.cacheUsed || !l.cacheFile) continue;
        writeCache(l.cacheFile, l.script.createCachedData());
        prune(l.cacheFile, l.cachePrefix);
      }
    },
  };
}

/**
 * Run the CLI: dist/cli.cjs's main(argv), then store the code caches the run produced. Only a run that
 * succeeded stores them: one stopped early (invalid input, exit 2) compiled a small part of the code,
 * and the cache is written once and then kept. `host` is the HostProbe handed to main (the
 * test-only entry test/helpers/cli-entry.ts passes a fake; bin/ never does).
 */
export async function run(argv: string[], host?: unknown): Promise<number> {
  const boot = createBoot(__dirname, cacheTag(argv));
  // init's engine probes (processes) start before the bulk of the code loads: see src/prelude.ts
  // (with the commands of the host it is handed, if any)
  const commands = (host as { commands?: unknown } | undefined)?.commands;
  const early =
    argv[2] === 'init' ? (boot.require('./prelude.cjs') as { prelude(argv: string[], env: NodeJS.ProcessEnv, runner?: unknown): unknown }).prelude(argv, process.env, commands) : {};
  const cli = boot.require('./cli.cjs') as { main(argv: string[], early: unknown, host?: unknown): Promise<number> };
  const code = await cli.main(argv, early, host);
  if (code === 0) boot.save();
  trace('boot: caches saved');
  return code;
}
