// Exclusive access to a CA directory (I/O by design). Two layers: an in-process promise chain per
// directory, so parallel tasks of one run (several hosts issuing against one CA) take turns and
// only one CA is ever created; and a `.lock` file (O_EXCL, holding the pid) so two bosun
// processes cannot interleave writes to the CA.

import { openSync, writeSync, fchmodSync, closeSync, readFileSync, unlinkSync, fsyncSync, renameSync, constants } from 'node:fs';
import { randomBytes } from 'node:crypto';
import { resolve, dirname, basename, join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { EnvironmentError } from '../errors.js';

export const LOCK_FILE = '.lock';

export interface LockOptions {
  /** How long to wait for another process's lock (default 30 s). */
  timeoutMs?: number;
  pollMs?: number;
  /** Called once when we start waiting for another process. */
  onWait?: (msg: string) => void;
}

const chains = new Map<string, Promise<unknown>>();

/** Runs fn while holding the in-process and on-disk locks of `dir` (which must exist). */
export async function withDirLock<T>(dir: string, fn: () => Promise<T>, opts: LockOptions = {}): Promise<T> {
  const key = resolve(dir);
  const prev = chains.get(key) ?? Promise.resolve();
  const run = prev.then(async () => {
    const release = await acquireFileLock(key, opts);
    try {
      return await fn();
    } finally {
      release();
    }
  });
  // The chain continues whether this holder failed or not; drop the entry once idle.
  const tail = run.catch(() => undefined);
  chains.set(key, tail);
  void tail.then(() => {
    if (chains.get(key) === tail) chains.delete(key);
  });
  return run;
}

function pidAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    // EPERM: the process exists but belongs to someone else.
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}

function readOwner(path: string): number | undefined {
  try {
    const pid = Number.parseInt(readFileSync(path, 'utf8').trim(), 10);
    return Number.isFinite(pid) && pid > 0 ? pid : undefined;
  } catch {
    return undefined;
  }
}

async function acquireFileLock(dir: string, opts: LockOptions): Promise<() => void> {
  const path = join(dir, LOCK_FILE);
  const timeoutMs = opts.timeoutMs ?? 30_000;
  const pollMs = opts.pollMs ?? 100;
  const deadline = Date.now() + timeoutMs;
  let announced = false;
  for (;;) {
    try {
      const fd = openSync(path, constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL, 0o600);
      try {
        writeSync(fd, `${process.pid}\n`);
      } finally {
        closeSync(fd);
      }
      return () => {
        try {
          if (readOwner(path) === process.pid) unlinkSync(path);
        } catch {
          /* already gone */
        }
      };
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'EEXIST') {
        throw new EnvironmentError(`cannot create lock file ${path}: ${(e as Error).message}`, { cause: e });
      }
    }
    const owner = readOwner(path);
    if (owner !== undefined) emptySince.delete(path);
    // A lock with our own pid cannot be live: the in-process chain serializes our holders, so it
    // is a leftover of an earlier process that had our pid.
    if (owner === undefined ? lockIsOld(path) : owner === process.pid || !pidAlive(owner)) {
      try {
        unlinkSync(path);
      } catch {
        /* someone else removed it first */
      }
      continue;
    }
    if (Date.now() >= deadline) {
      throw new EnvironmentError(
        `CA directory ${dir} is locked by process ${owner ?? '?'} (another bosun run?); waited ${Math.round(timeoutMs / 1000)} s`,
        { hint: `if no other run is active, remove ${path}` },
      );
    }
    if (!announced) {
      announced = true;
      opts.onWait?.(`waiting for lock ${path} held by process ${owner ?? '?'}`);
    }
    await sleep(pollMs);
  }
}

// A lock file without a readable pid is being written right now (tiny window) or is garbage: give
// its writer a moment, then treat it as stale.
const emptySince = new Map<string, number>();
function lockIsOld(path: string): boolean {
  const first = emptySince.get(path);
  const now = Date.now();
  if (first === undefined) {
    emptySince.set(path, now);
    return false;
  }
  if (now - first > 2000) {
    emptySince.delete(path);
    return true;
  }
  return false;
}

/** Writes `data` to `path` atomically: temp file in the same dir, fsync, rename, fsync the dir. */
export function writeFileAtomic(path: string, data: string, mode: number): void {
  const dir = dirname(path);
  const tmp = join(dir, `.${basename(path)}.tmp-${process.pid}-${randomBytes(4).toString('hex')}`);
  const fd = openSync(tmp, constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL, mode);
  try {
    try {
      // Explicit: the umask must not loosen or tighten what the caller asked for.
      fchmodSync(fd, mode);
      writeSync(fd, data);
      fsyncSync(fd);
    } finally {
      closeSync(fd);
    }
    renameSync(tmp, path);
  } catch (e) {
    try {
      unlinkSync(tmp);
    } catch {
      /* rename may have consumed it */
    }
    throw e;
  }
  try {
    const dfd = openSync(dir, constants.O_RDONLY);
    try {
      fsyncSync(dfd);
    } finally {
      closeSync(dfd);
    }
  } catch {
    /* some filesystems refuse fsync on a directory; the rename is still atomic */
  }
}
