// Runs the bundled program (dist/bundle/bosun-program.cjs) through V8's code cache. Node 20 has no
// compile cache of its own, and compiling the ~2 MB bundle's functions was the largest part of a
// no-op run's CPU after YAML parsing was cached: a cache made after a run holds every function that
// run compiled, so the next run of that kind neither parses nor compiles them (measured on a 3-host
// no-op: 0.40 s of CPU down to 0.26 s).
//
// A code cache is code: it lives only in the user's private cache directory (cache-dir.ts), one entry
// per program build, Node build, kind of command and playbook, written 0600 and renamed into place. V8 refuses
// an entry made by another V8 or other flags (then it is rewritten); anything unusual — no private
// directory, unreadable or bad entry — means running without the cache, never failing.
import { isAscii } from 'node:buffer';
import { createHash } from 'node:crypto';
import { readFileSync, statSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join, resolve } from 'node:path';
import vm from 'node:vm';
import { privateCacheDir, writeCacheEntry } from '../cache-dir.js';

/** Bump when what an entry holds or how it is keyed changes. */
const FORMAT = 'bosun-code-cache-1';
/**
 * Entries kept (the newest; 1-2 MB each): a few kinds of command and playbooks times a build or two.
 * Past this the oldest half goes; one entry per playbook fills it faster than one per kind did.
 */
const MAX_ENTRIES = 32;

/** What the bundled program exports (lib/cli/entry.ts). */
interface Program {
  start(argv: string[]): Promise<void>;
}

/**
 * The kind of run, part of the key: a cache made by `--version` holds few functions, and V8 keeps an
 * accepted cache as it is, so a `run` must not inherit it. Listing and syntax checks are runs that
 * never reach a host.
 */
export function runKind(argv: readonly string[]): string {
  const first = argv.find((a) => !a.startsWith('-'));
  let kind = first === undefined ? (argv[0] ?? 'none') : /\.ya?ml$/i.test(first) ? 'run' : first;
  if (!/^[a-z][a-z0-9-]{0,30}$/.test(kind) && !/^--?[a-z][a-z-]{0,30}$/.test(kind)) kind = 'other';
  if (kind === 'run' && argv.some((a) => /^--(syntax-check|list-tasks|list-hosts|list-tags)$/.test(a))) kind = 'run-list';
  return kind;
}

/** Options of `bosun run` whose value may be a YAML file that is not the playbook. */
const YAML_VALUED = new Set(['-i', '--inventory', '-e', '--extra-vars']);

/**
 * The playbook of a run (resolved against the working directory), also part of the key: what a run
 * compiles depends on its playbook (an etcd no-op kept ~60–90 ms more CPU with the entry a generic or a
 * certificates-only playbook had made), and V8 never adds to an accepted entry. The guess needs no
 * option table: a wrong one only files the run under another entry, it changes nothing it runs.
 */
export function runTarget(argv: readonly string[]): string {
  if (!runKind(argv).startsWith('run')) return '';
  const i = argv.findIndex((a, k) => /\.ya?ml$/i.test(a) && !a.startsWith('-') && !YAML_VALUED.has(argv[k - 1] ?? ''));
  return i < 0 ? '' : resolve(argv[i]!);
}

/** The cache directory and the entry's name for this program and run, or null when the cache is off. */
function entryOf(programFile: string, argv: readonly string[]): { dir: string; name: string } | null {
  const dir = privateCacheDir('code', 'BOSUN_CODE_CACHE');
  if (dir === null) return null;
  const st = statSync(programFile);
  const key = createHash('sha256')
    .update([FORMAT, process.version, process.arch, programFile, st.size, st.mtimeMs, st.ino, runKind(argv), runTarget(argv)].join('\0'))
    .digest('hex');
  return { dir, name: `${key}.bin` };
}

function readEntry(entry: { dir: string; name: string } | null): Buffer | undefined {
  if (entry === null) return undefined;
  try {
    return readFileSync(join(entry.dir, entry.name));
  } catch {
    return undefined;
  }
}


/** What became of the cache: used; made (none before); remade (V8 refused the old one); left as it was after a failed run; not used. */
export type CacheOutcome = 'hit' | 'written' | 'rewritten' | 'skipped' | 'off';

/**
 * Loads `programFile` (a CommonJS bundle exporting start()), runs it with `argv`, caches its code.
 * Returns what became of the cache (for the tests: the command's output is the program's own).
 */
export async function launch(programFile: string, argv: string[]): Promise<CacheOutcome> {
  const bytes = readFileSync(programFile);
  // .ci/bundle.mjs writes ASCII: a one-byte string costs ~1 ms where UTF-8 decoding costs ~11 ms
  const source = isAscii(bytes) ? bytes.toString('latin1') : bytes.toString('utf8');
  const entry = entryOf(programFile, argv);
  const cached = readEntry(entry);
  // The CommonJS wrapper on the source's first line: line numbers in stack traces stay the bundle's.
  const script = new vm.Script(`(function (exports, require, module, __filename, __dirname) {${source}\n})`, {
    filename: programFile,
    cachedData: cached,
    importModuleDynamically: vm.constants.USE_MAIN_CONTEXT_DEFAULT_LOADER,
  });
  const wrapper = script.runInThisContext() as (e: object, r: NodeJS.Require, m: { exports: object }, f: string, d: string) => void;
  const module = { exports: {} as Partial<Program> };
  wrapper.call(module.exports, module.exports, createRequire(programFile), module, programFile, dirname(programFile));
  if (typeof module.exports.start !== 'function') throw new Error(`${programFile} does not export start()`);
  await module.exports.start(argv);
  // Made after the run, the cache holds every function it compiled; a failed run compiled an odd set.
  if (entry === null) return 'off';
  if (cached !== undefined && !script.cachedDataRejected) return 'hit';
  if (process.exitCode) return 'skipped';
  writeCacheEntry(entry.dir, entry.name, script.createCachedData(), MAX_ENTRIES);
  return cached === undefined ? 'written' : 'rewritten';
}
