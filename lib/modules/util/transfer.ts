// Moving whole files between the control node and a host without holding them in memory: a host
// file is read in ranges of RANGE bytes, one request each, whose output is streamed to a local sink
// (ExecOptions.stdoutSink); a local file is sent the same way (ExecOptions.stdin as a stream). Ranges
// bound what the channel's own temp files on the host hold at once (its dispatcher spools each
// request's payload and output there: channel-script.ts); the streaming bounds bosun's memory.
import { createHash, type Hash } from 'node:crypto';
import { open, stat } from 'node:fs/promises';
import { shq, type Connection, type StdinStream } from '../../executor/types.js';
import { ModuleFailure } from '../types.js';
import { notOption } from './remote-file.js';

/** Bytes per request when a file is moved in ranges: 32 MiB, a few ms of overhead per range. */
export const RANGE = 32 * 1024 * 1024;
/** Local reads in pieces of this size (the channel's backpressure then paces them). */
const PIECE = 1024 * 1024;

/** The digests Ansible names (stat's checksum_algorithm), each a `NAMEsum` tool on the host and a node:crypto hash here. */
export const ALGOS = ['md5', 'sha1', 'sha224', 'sha256', 'sha384', 'sha512'] as const;
export type Algo = (typeof ALGOS)[number];

/** Hashes of a local file, read piece by piece into one buffer (hashing copies nothing). */
export async function hashLocalFile(path: string, algos: readonly Algo[]): Promise<Record<Algo, string>> {
  const hs = algos.map((a) => [a, createHash(a)] as const);
  const { size } = await stat(path);
  for await (const chunk of localFileStream(path, 0, size).chunks()) for (const [, h] of hs) h.update(chunk);
  return Object.fromEntries(hs.map(([a, h]) => [a, h.digest('hex')])) as Record<Algo, string>;
}

/** `length` bytes of a local file from `start`, in pieces, as a request payload. */
export function localFileStream(path: string, start: number, length: number): StdinStream {
  return {
    length,
    async *chunks() {
      if (length === 0) return;
      const fh = await open(path, 'r');
      // one buffer for the whole file: each chunk is consumed before the next is read (StdinStream)
      const buf = Buffer.allocUnsafe(Math.min(PIECE, length));
      try {
        for (let off = 0; off < length; ) {
          const { bytesRead } = await fh.read(buf, 0, Math.min(buf.length, length - off), start + off);
          if (bytesRead === 0) throw new ModuleFailure(`${path} became shorter while it was sent`);
          off += bytesRead;
          yield buf.subarray(0, bytesRead);
        }
      } finally {
        await fh.close();
      }
    },
  };
}

export interface Received {
  bytes: number;
  sha1: string;
  sha256: string;
  md5: string;
}

/**
 * Streams the host file `path` (`size` bytes as probed) to `write`, in ranges of RANGE bytes, one
 * request each, and hashes it on the way. Reads follow symlinks (as fetch does).
 */
export async function readRemoteFile(conn: Connection, path: string, size: number, write: (chunk: Buffer) => Promise<void>): Promise<Received> {
  const hs: Array<[keyof Omit<Received, 'bytes'>, Hash]> = [['sha1', createHash('sha1')], ['sha256', createHash('sha256')], ['md5', createHash('md5')]];
  let bytes = 0;
  const sink = async (chunk: Buffer): Promise<void> => {
    bytes += chunk.length;
    for (const [, h] of hs) h.update(chunk);
    await write(chunk);
  };
  const p = shq(notOption(path));
  // one range past the probed size: a file that grew since is seen (and fails the checksum)
  for (let off = 0; off === 0 || off <= size; off += RANGE) {
    const script =
      off === 0 && size < RANGE
        ? `exec cat < ${p}\n`
        : // tail seeks to the offset of a regular file; head stops after the range
          `tail -c +${off + 1} < ${p} | head -c ${RANGE}\n`;
    const before = bytes;
    const r = await conn.exec(script, { label: 'fetch:read', readOnly: true, stdoutSink: sink });
    if (r.exitCode !== 0) throw new ModuleFailure(`cannot read ${path}: ${r.stderr.trim() || `exit ${r.exitCode}`}`);
    if (off === 0 && size < RANGE) break;
    if (bytes - before < RANGE) break;
  }
  return { bytes, ...(Object.fromEntries(hs.map(([k, h]) => [k, h.digest('hex')])) as Omit<Received, 'bytes'>) };
}
