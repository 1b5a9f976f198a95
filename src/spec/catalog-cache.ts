// The cache of spec-tree work (lint outcomes, catalogs), keyed by content digest: an unchanged spec tree is not
// parsed again. An entry is keyed on the text of every input file AND on the semconf build that made it (a digest of
// its own code and of its libraries' versions), so a changed schema, rule or message can never be answered from an
// entry an older build wrote. Nothing here knows what a spec contains. Deliberately light (no yaml parse, no zod):
// a warm `semconf lint` loads this module and little else (not even read.ts, whose diagnostics load the yaml library).
// It also keeps values made from files alone, while every file is as it was (keptFor): the build's own digest, and the
// version of the runsc binary a gVisor run starts.
import { closeSync, constants, existsSync, fstatSync, lstatSync, mkdirSync, openSync, readdirSync, readFileSync, readSync, realpathSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { homedir } from 'node:os';
import { dirname, isAbsolute, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

/** The envelope of every entry; a file without it (another program's, an older layout) is not ours. */
const ENTRY_FORMAT = 'semconf-cache/1';
/** Largest entry read back: a lint outcome of the shipped specs is a few KiB, a catalog under 1 MiB. */
const MAX_ENTRY_BYTES = 64 * 1024 * 1024;
/** Entries kept of each kind: one per spec tree linted or run (each key names a directory and its contents), so the
 * cache of a machine that lints many temporary trees (tests, CI) stays small; the oldest go first. */
export const MAX_ENTRIES_PER_KIND = 32;

/** node:crypto at its first use, not when this module loads: the run inside a launched target loads this module with
 * the rest of its bundle before it starts its workers (src/targets/inner.ts), and node:crypto's load held every
 * worker's start back (~35 ms inside gVisor, measured on this machine kind). */
let cryptoModule: typeof import('node:crypto') | undefined;
const nodeCrypto = (): typeof import('node:crypto') => (cryptoModule ??= createRequire(import.meta.url)('node:crypto') as typeof import('node:crypto'));
const createHash = (algorithm: 'sha256'): ReturnType<typeof import('node:crypto').createHash> => nodeCrypto().createHash(algorithm);

const sha256 = (text: string): string => createHash('sha256').update(text).digest('hex');

/** Where the cache lives: $XDG_CACHE_HOME/semconf, else ~/.cache/semconf (a relative XDG_CACHE_HOME is ignored, as
 * the XDG base directory specification says). */
export function cacheDir(env: NodeJS.ProcessEnv = process.env): string {
  const xdg = env.XDG_CACHE_HOME;
  return join(xdg !== undefined && isAbsolute(xdg) ? xdg : join(env.HOME ?? homedir(), '.cache'), 'semconf');
}

/** Every code file under `dir` (the compiled .js of dist/src, or the .ts sources when tests run them), sorted. */
function codeFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true })
    .flatMap((e) => {
      const path = join(dir, e.name);
      if (e.isDirectory()) return codeFiles(path);
      return /\.(js|ts)$/.test(e.name) && !e.name.endsWith('.d.ts') ? [path] : [];
    })
    .sort();
}

/** What a code file's text is taken to be unchanged by, short of reading it: its size, inode, and modification and
 * change times (the change time moves with every write, and unlike the modification time cannot be set back). */
function stampOf(file: string): { stamp: string; changedNs: bigint } {
  const s = statSync(file, { bigint: true });
  return { stamp: `${s.size}:${s.ino}:${s.mtimeNs}:${s.ctimeNs}`, changedNs: s.ctimeNs };
}

/** A file changed this recently may be written again within the same tick of the file system's clock (timestamps
 * move by a jiffy, milliseconds), its stamp unchanged: a value is kept only when every input is older than this at
 * the time the stamps were taken (as git treats a "racily clean" index entry). */
const SETTLED_NS = 2_000_000_000n;

/** `compute()`, a value made from the files `inputs` alone, kept in `memo` (under `kind` and `identity`: what the
 * value is of) with the stamp of every input (stampOf), and given back while every stamp is the same. The stamps are
 * taken before compute reads the files, so a file written in between makes the next call compute again. The entry is
 * written once the command keeps what it made (CacheStore.defer). */
export function keptFor(memo: CacheStore | undefined, kind: string, identity: string, inputs: readonly string[], compute: () => string): string {
  if (memo === undefined) return compute();
  // the wall clock, as file times are kept
  const takenNs = BigInt(Date.now()) * 1_000_000n;
  const stamped = inputs.map((file) => ({ file, ...stampOf(file) }));
  const stamps = stamped.map((s) => `${s.file}\0${s.stamp}`).join('\n');
  const key = sha256(JSON.stringify([ENTRY_FORMAT, kind, identity]));
  const kept = memo.get(kind, key) as { stamps?: unknown; value?: unknown } | undefined;
  if (kept !== undefined && kept.stamps === stamps && typeof kept.value === 'string') return kept.value;
  const value = compute();
  if (stamped.every((s) => s.changedNs < takenNs - SETTLED_NS)) memo.defer(kind, key, { stamps, value });
  return value;
}

/** A digest of the code under `root`: every module's path and text. `cache`: the store that may keep it (keptFor).
 * Reading and hashing the build (196 modules, 2.4 MB) took 13-17 ms of every command that uses the cache, statting it
 * ~3 ms (measured on this machine kind; a warm `semconf lint` 129 -> 117 ms, 20 runs each). */
export function codeDigest(root: string, cache?: CacheStore): string {
  const files = codeFiles(root);
  return keptFor(cache, 'code', root, files, () => {
    const hash = createHash('sha256');
    for (const file of files) hash.update(`${relative(root, file)}\0`).update(readFileSync(file)).update('\0');
    return `sha256:${hash.digest('hex')}`;
  });
}

let buildDigestMemo: string | undefined;

/** The directory whose code buildDigest hashes: dist/src (or src/ under the tests); this file is in its spec/. */
export const buildRoot = (): string => dirname(dirname(fileURLToPath(import.meta.url)));

/** This build, as a run elsewhere is told it (targets/protocol.ts InnerRequest.build). */
export interface BuildIdentity {
  root: string;
  digest: string;
}

/** `cache`: see buildDigest. */
export const buildIdentity = (cache?: CacheStore): BuildIdentity => ({ root: buildRoot(), digest: buildDigest(cache) });

/** Take the digest of the build that launched this run, when this run is that very build: its code under the same
 * root (a launcher starts this checkout's own inner.js, on files it shares). Not hashing the code again matters in
 * gVisor, where reading 127 modules through its gofer took 120-200 ms of the inner run's start (13-15 ms natively).
 * A run whose root differs (a VM that mounts the checkout elsewhere, a parent running the TypeScript sources under the
 * tests) hashes its own code, as before. */
export function adoptBuild(launching: BuildIdentity | undefined): boolean {
  if (launching === undefined || buildDigestMemo !== undefined || launching.root !== buildRoot()) return false;
  buildDigestMemo = launching.digest;
  return true;
}

/** A digest of this semconf build: the text of every module of it, and the version of every library it depends on.
 * Any change to the schema, a rule or a message changes it, so entries of another build are never used. `cache`: the
 * store in use, which may keep the code's digest (codeDigest). */
export function buildDigest(cache?: CacheStore): string {
  if (buildDigestMemo !== undefined) return buildDigestMemo;
  const here = fileURLToPath(import.meta.url);
  const require = createRequire(here);
  const versions = ['yaml', 'zod', 'fastest-levenshtein', 'picomatch'].map((name) => {
    try {
      return `${name}@${String((JSON.parse(readFileSync(require.resolve(`${name}/package.json`), 'utf8')) as { version?: unknown }).version)}`;
    } catch (e) {
      return `${name}@unresolved (${(e as Error).message})`;
    }
  });
  buildDigestMemo = sha256(JSON.stringify([codeDigest(buildRoot(), cache), versions]));
  return buildDigestMemo;
}

/** One input file of a spec tree: its path (as the loader names it) and text. */
export interface InputText {
  file: string;
  text: string;
}

/** The files of a spec tree, read exactly as readCatalog reads them, with the catalog's own digest over them. */
export interface SpecInputs {
  profiles: InputText[];
  specs: InputText[];
  /** the same digest readCatalog computes (profiles first, then specs): results may cite it */
  digest: string;
}

const isYaml = (f: string): boolean => f.endsWith('.yaml') || f.endsWith('.yml');

/** The files of one tree, each read only where it is plainly readable (`text`). A directory's real path is looked
 * up once for all the files in it, not twice per file (the file's and the root's): realpath walks every component of
 * a path with an lstat each. Measured: a warm lint's stat calls 597 -> 338 (strace -c); no change of wall time could
 * be measured, natively or inside gVisor. One tree is a snapshot of one reading (a spec tree, a set of document
 * copies). */
export class PlainTree {
  private readonly root: string;
  private readonly realDirs = new Map<string, string | null>();

  constructor(root: string) {
    this.root = resolve(root);
  }

  private realDir(dir: string): string | null {
    let real = this.realDirs.get(dir);
    if (real === undefined) {
      try {
        real = realpathSync(dir);
      } catch {
        real = null;
      }
      this.realDirs.set(dir, real);
    }
    return real;
  }

  /** The text of `file` when it is plainly readable inside the root: a regular file, reached from the root through no
   * symlink and no `..`, of at most MAX_ENTRY_BYTES. Anything else (a symlink on the way, a FIFO, a device, a huge
   * file) is undefined: whether and how read.ts refuses it depends on more than its text, so a tree holding one is
   * never answered from the cache, and a cold run says what is wrong. (Its directory reached through no symlink, and
   * itself no symlink: the same as its real path being the root's real path joined with the path below it.) */
  text(file: string): string | undefined {
    const at = resolve(file);
    const below = relative(this.root, at);
    if (below === '' || below.startsWith('..') || isAbsolute(below)) return undefined;
    const realRoot = this.realDir(this.root);
    if (realRoot === null || this.realDir(dirname(at)) !== join(realRoot, dirname(below))) return undefined;
    try {
      if (!lstatSync(at).isFile()) return undefined;
    } catch {
      return undefined;
    }
    return readSmallFile(at);
  }
}

/** The spec tree at `dir` as readCatalog would read it, or undefined when reading it would itself be a problem (no
 * such directory, a file that is not plainly readable): that outcome is left to a cold run. */
export function readSpecInputs(dir: string): SpecInputs | undefined {
  try {
    if (!existsSync(dir) || !statSync(dir).isDirectory()) return undefined;
    const profileDir = join(dir, 'profiles');
    const list = (d: string): string[] => readdirSync(d).filter(isYaml).sort().map((f) => join(d, f));
    const profileFiles = existsSync(profileDir) ? list(profileDir) : [];
    const hash = createHash('sha256');
    const tree = new PlainTree(dir);
    let plain = true;
    const read = (files: string[]): InputText[] =>
      files.map((file) => {
        const text = tree.text(file);
        if (text === undefined) plain = false;
        hash.update(`${relative(dir, file)}\0${text ?? ''}\0`);
        return { file, text: text ?? '' };
      });
    const profiles = read(profileFiles);
    const specs = read(list(dir));
    return plain ? { profiles, specs, digest: `sha256:${hash.digest('hex')}` } : undefined;
  } catch {
    return undefined;
  }
}

/** What a document copy looks like to the quote check (src/spec/sources.ts): absent, or its text's digest; undefined
 * when it is not plainly readable (PlainTree.text). A lint outcome that read copies holds each one's state, and is
 * used only while every state is as it was. `tree`: the copies' tree, shared by the copies of one reading. */
export function copyState(file: string, tree: PlainTree): string | undefined {
  if (!existsSync(file)) return 'absent';
  const text = tree.text(file);
  return text === undefined ? undefined : `sha256:${sha256(text)}`;
}

/** The key of an entry of `store`: what it was made from (its kind, the build, and the caller's parts), as one
 * digest. */
export function cacheKey(kind: string, parts: readonly unknown[], store: CacheStore): string {
  return sha256(JSON.stringify([ENTRY_FORMAT, kind, buildDigest(store), ...parts]));
}

/** Entries waiting for their command to keep what it made (CacheStore.defer, flush), by cache directory: whichever
 * store of that directory in this process flushes writes them. */
const deferred = new Map<string, Map<string, { kind: string; key: string; payload: unknown }>>();

/** A directory of entries, each one JSON file named by its key. Reads never fail (a missing, corrupt or foreign entry
 * is a miss) and writes never fail the command (a cache that cannot be written is simply not written): the cache can
 * only save work, never change an outcome. */
export class CacheStore {
  /** `readOnly`: entries are read, never written (a run elsewhere reads the launching run's cache: inner.ts) */
  constructor(
    readonly dir: string,
    private readonly readOnly = false,
  ) {}

  private fileOf(kind: string, key: string): string {
    return join(this.dir, `${kind}-${key}.json`);
  }

  /** The payload stored under `key`, if there is an intact entry of ours for exactly that key; else undefined. */
  get(kind: string, key: string): unknown {
    const text = readSmallFile(this.fileOf(kind, key));
    if (text === undefined) return undefined;
    try {
      const entry = JSON.parse(text) as unknown;
      if (typeof entry !== 'object' || entry === null) return undefined;
      const e = entry as Record<string, unknown>;
      // A checksum over the payload text: a truncated or hand-edited entry is a miss, not a wrong answer.
      if (e.format !== ENTRY_FORMAT || e.kind !== kind || e.key !== key || typeof e.payload !== 'string' || e.sha256 !== sha256(e.payload)) return undefined;
      return JSON.parse(e.payload) as unknown;
    } catch {
      return undefined;
    }
  }

  /** Remove the oldest entries of `kind` beyond MAX_ENTRIES_PER_KIND (temporary files of writers are not entries). */
  private prune(kind: string): void {
    const entries = readdirSync(this.dir).filter((f) => f.startsWith(`${kind}-`) && f.endsWith('.json'));
    if (entries.length <= MAX_ENTRIES_PER_KIND) return;
    const byAge = entries.map((f) => ({ f, t: mtimeOf(join(this.dir, f)) })).sort((a, b) => a.t - b.t);
    for (const { f } of byAge.slice(0, entries.length - MAX_ENTRIES_PER_KIND)) rmSync(join(this.dir, f), { force: true });
  }

  /** Store `payload` under `key` once the command keeps what it made (flush), not before: a command refused as bad
   * usage writes nothing, not even to the cache, and a value it worked out on the way (the build's digest) waits with
   * the rest. */
  defer(kind: string, key: string, payload: unknown): void {
    if (this.readOnly) return;
    const waiting = deferred.get(this.dir) ?? new Map<string, { kind: string; key: string; payload: unknown }>();
    waiting.set(this.fileOf(kind, key), { kind, key, payload });
    deferred.set(this.dir, waiting);
  }

  /** Write what waits for this directory (defer), from any store of it. */
  flush(): void {
    const waiting = deferred.get(this.dir);
    deferred.delete(this.dir);
    for (const { kind, key, payload } of waiting?.values() ?? []) this.put(kind, key, payload);
  }

  /** Store `payload` under `key`, atomically (a reader sees the old entry or the new one, never half of one); in a
   * read-only store, nothing. */
  put(kind: string, key: string, payload: unknown): void {
    if (this.readOnly) return;
    const file = this.fileOf(kind, key);
    const temp = `${file}.${process.pid}.${nodeCrypto().randomBytes(4).toString('hex')}.tmp`;
    try {
      mkdirSync(this.dir, { recursive: true, mode: 0o700 });
      const text = JSON.stringify(payload);
      writeFileSync(temp, JSON.stringify({ format: ENTRY_FORMAT, kind, key, sha256: sha256(text), payload: text }), { mode: 0o600 });
      renameSync(temp, file);
      this.prune(kind);
    } catch {
      try {
        rmSync(temp, { force: true });
      } catch {
        // nothing was written there either (the cache's place is not a directory)
      }
    }
  }
}

/** A directory entry's modification time, or 0 when it is gone (another process pruned it first). */
function mtimeOf(file: string): number {
  try {
    return statSync(file).mtimeMs;
  } catch {
    return 0;
  }
}

/** The text of a regular file of at most MAX_ENTRY_BYTES, or undefined (missing, a FIFO or device, too big). */
function readSmallFile(file: string): string | undefined {
  let fd: number;
  try {
    // O_NONBLOCK: a FIFO put where an entry should be cannot block the open
    fd = openSync(file, constants.O_RDONLY | constants.O_NONBLOCK);
  } catch {
    return undefined;
  }
  try {
    const st = fstatSync(fd);
    if (!st.isFile() || st.size > MAX_ENTRY_BYTES) return undefined;
    const buf = Buffer.alloc(st.size);
    let n = 0;
    for (let got = 1; got > 0 && n < buf.length; n += got) got = readSync(fd, buf, n, buf.length - n, null);
    return buf.subarray(0, n).toString('utf8');
  } catch {
    return undefined;
  } finally {
    closeSync(fd);
  }
}

/** The store to use: none with --no-cache. */
export function openCache(noCache: boolean, env: NodeJS.ProcessEnv = process.env): CacheStore | undefined {
  return noCache ? undefined : new CacheStore(cacheDir(env));
}
