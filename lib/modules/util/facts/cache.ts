// The fact probe's static answers per host: python's version (`python3 -c …`, ~12 ms of the host's
// CPU), `lsb_release -a` (~10 ms) and `getconf LONG_BIT`. They change only when software on the
// host changes, so the probe prints a stat signature of the files they come from (script.ts
// STATIC_FILES) and runs them only when that signature differs from the one bosun sends; bosun
// then answers from this cache. An entry is host data (never rendered); it lives in the user's
// private cache directory (0700, as the YAML cache), one small file per host, the newest
// MAX_ENTRIES kept. BOSUN_FACTS_CACHE=0 (or off) turns it off: every probe runs the programs.
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { privateCacheDir, writeCacheEntry } from '../../../cache-dir.js';
import { isSignature } from './script.js';

/** Bump when the probe's static block or the answers' format changes. */
const FORMAT = 'bosun-facts-static-1';
/** Enough for the largest labs the bench runs (200 hosts) many times over. */
const MAX_ENTRIES = 4096;
/** An answer longer than this is not kept (lsb_release prints ~150 bytes). */
const MAX_ANSWER = 16 << 10;

export interface StaticAnswers {
  /** The host's signature these answers belong to. */
  sig: string;
  python: string;
  lsb: string;
  bits: string;
}

let dirChecked: string | null | undefined;

function cacheDir(): string | null {
  if (dirChecked === undefined) dirChecked = privateCacheDir('facts', 'BOSUN_FACTS_CACHE');
  return dirChecked;
}

/** The entry of a host: the transport, and the inventory name with where it leads (gather.ts; a wrong guess only costs a miss: the signature decides). */
const entryName = (kind: string, host: string): string => createHash('sha256').update(`${FORMAT}\0${kind}\0${host}`).digest('hex');

const valid = (a: unknown): a is StaticAnswers => {
  const o = a as Record<string, unknown> | null;
  return (
    typeof o === 'object' && o !== null && typeof o.sig === 'string' && isSignature(o.sig) &&
    (['python', 'lsb', 'bits'] as const).every((k) => typeof o[k] === 'string' && (o[k] as string).length <= MAX_ANSWER)
  );
};

export function readStatic(kind: string, host: string): StaticAnswers | undefined {
  const dir = cacheDir();
  if (!dir) return undefined;
  try {
    const a: unknown = JSON.parse(readFileSync(join(dir, entryName(kind, host)), 'utf8'));
    return valid(a) ? a : undefined;
  } catch {
    return undefined; // none yet, or torn: the probe runs the programs and the entry is rewritten
  }
}

export function writeStatic(kind: string, host: string, a: StaticAnswers): void {
  const dir = cacheDir();
  if (!dir || !valid(a)) return;
  writeCacheEntry(dir, entryName(kind, host), JSON.stringify({ sig: a.sig, python: a.python, lsb: a.lsb, bits: a.bits }), MAX_ENTRIES);
}

/** For tests: the file holding a host's entry (undefined when the cache is off). */
export function staticEntryFile(kind: string, host: string): string | undefined {
  const dir = cacheDir();
  return dir ? join(dir, entryName(kind, host)) : undefined;
}

/** For tests: forget the directory decision (after changing BOSUN_CACHE_DIR or BOSUN_FACTS_CACHE). */
export function resetStaticCacheDir(): void {
  dirChecked = undefined;
}
