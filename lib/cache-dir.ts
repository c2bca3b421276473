// bosun's per-user cache directory (parsed YAML, compiled code, the fact probe's static answers)
// and the one rule every cache in it follows: the directory is this user's own and private (0700),
// or it is not used at all.
import { mkdirSync, readdirSync, renameSync, statSync, unlinkSync, writeFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

/** $BOSUN_CACHE_DIR, else $XDG_CACHE_HOME/bosun, else ~/.cache/bosun. */
export function cacheBase(): string {
  return process.env.BOSUN_CACHE_DIR || join(process.env.XDG_CACHE_HOME || join(homedir(), '.cache'), 'bosun');
}

/** One cache's directory under cacheBase(), or null when `offVar` is 0 or off, or the directory is not private. */
export function privateCacheDir(name: string, offVar: string): string | null {
  const off = process.env[offVar];
  return off === '0' || off === 'off' ? null : openCacheDir(join(cacheBase(), name));
}

/** `dir`, created 0700 when missing, if it is this user's own and private; else null (not used). */
export function openCacheDir(dir: string): string | null {
  try {
    mkdirSync(dir, { recursive: true, mode: 0o700 });
    const st = statSync(dir);
    // Another user's or a shared directory could feed bosun values (or code) it never made.
    if (!st.isDirectory() || (process.getuid && st.uid !== process.getuid()) || (st.mode & 0o077) !== 0) return null;
    return dir;
  } catch {
    return null; // no cache: do the work every time
  }
}

/** Past `max` entries, keeps the newest half (by write time); run after a write, i.e. on a cache miss. */
export function pruneCacheDir(dir: string, max: number): void {
  const names = readdirSync(dir);
  if (names.length <= max) return;
  const aged = names.map((n) => {
    try {
      return { n, t: statSync(join(dir, n)).mtimeMs };
    } catch {
      return { n, t: 0 };
    }
  });
  aged.sort((a, b) => a.t - b.t);
  for (const { n } of aged.slice(0, names.length - max / 2)) {
    try {
      unlinkSync(join(dir, n));
    } catch {
      /* raced with another run */
    }
  }
}

/**
 * Writes one entry of a cache in `dir`: 0600 through a temp name and a rename (a reader never sees
 * half an entry), then prunes past `max`. Never throws: a cache that cannot be written only makes
 * the next run slower.
 */
export function writeCacheEntry(dir: string, name: string, data: string | Buffer, max: number): void {
  const target = join(dir, name);
  const tmp = `${target}.${process.pid}.tmp`;
  try {
    writeFileSync(tmp, data, { mode: 0o600 });
    renameSync(tmp, target);
    pruneCacheDir(dir, max);
  } catch {
    try {
      unlinkSync(tmp);
    } catch {
      /* nothing was written */
    }
  }
}

/**
 * The mtime of a module file (a `file:` URL) as cache-key text, '?' when there is none: an entry
 * made by other code never matches. A `.js` module built by tsc also answers for its `.ts` source.
 */
export function moduleStamp(url: string | URL): string {
  const path = fileURLToPath(url);
  for (const p of [path, path.replace(/\.js$/, '.ts')]) {
    try {
      return String(statSync(p).mtimeMs);
    } catch {
      // not built under this name
    }
  }
  return '?';
}
