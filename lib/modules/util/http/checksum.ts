// get_url's `checksum: ALGO:VALUE` (VALUE a hex digest, or the url of a checksum file such as
// SHA256SUMS): parsed at load time, the file fetched when planning.

import { posix } from 'node:path';
import { ArgumentError } from '../../../errors.js';
import { ModuleFailure } from '../../types.js';

/** The algorithms Ansible accepts that every Python hashlib has, with their coreutils command. */
export const CHECKSUM_ALGOS = ['md5', 'sha1', 'sha224', 'sha256', 'sha384', 'sha512'] as const;
export type ChecksumAlgo = (typeof CHECKSUM_ALGOS)[number];

export interface ChecksumSpec {
  algo: ChecksumAlgo;
  /** The expected digest (lower-case hex), or undefined when it must be read from `url`. */
  hex?: string;
  url?: string;
}

const isUrl = (v: string): boolean => /^(https?|ftp|file):/i.test(v);

/** Throws ArgumentError with Ansible's wording for a malformed value. */
export function parseChecksum(raw: string): ChecksumSpec | undefined {
  if (raw === '') return undefined;
  const colon = raw.indexOf(':');
  if (colon < 0) throw new ArgumentError('The checksum parameter has to be in format <algorithm>:<checksum>');
  const algo = raw.slice(0, colon).toLowerCase();
  const value = raw.slice(colon + 1);
  if (!(CHECKSUM_ALGOS as readonly string[]).includes(algo)) {
    throw new ArgumentError(`checksum algorithm '${algo}' is not supported; use one of ${CHECKSUM_ALGOS.join(', ')}`);
  }
  if (isUrl(value)) return { algo: algo as ChecksumAlgo, url: value };
  const hex = normalizeHex(value);
  if (hex === undefined) throw new ArgumentError('The checksum format is invalid');
  return { algo: algo as ChecksumAlgo, hex };
}

/** Ansible drops every non-word character and lower-cases ("AB:CD…" fingerprints pass). */
function normalizeHex(v: string): string | undefined {
  const hex = v.replace(/\W+/g, '').toLowerCase();
  return /^[0-9a-f]+$/.test(hex) ? hex : undefined;
}

/**
 * The digest for `url`'s file in a checksum file's text: a single digest alone, or the line
 * "DIGEST  NAME" / "DIGEST *NAME" whose NAME (without "./") is the url's last path segment.
 */
export function digestFromList(text: string, url: string, listUrl: string): string {
  const name = posix.basename(new URL(url).pathname);
  const lines = text.split('\n').map((l) => l.replace(/\r$/, ''));
  const nonEmpty = lines.filter((l) => l.trim() !== '');
  let found: string | undefined;
  if (nonEmpty.length === 1 && nonEmpty[0]!.trim().split(/\s+/).length === 1) found = nonEmpty[0]!.trim();
  else {
    for (const line of lines) {
      const sp = line.indexOf(' ');
      if (sp < 0) continue;
      let file = line.slice(sp + 1);
      if (file.startsWith(' ') || file.startsWith('*')) file = file.slice(1);
      if (file.replace(/^[./]+/, '') === name) {
        found = line.slice(0, sp);
        break;
      }
    }
  }
  const hex = found === undefined ? undefined : normalizeHex(found);
  if (hex === undefined) throw new ModuleFailure(`Unable to find a checksum for file '${name}' in '${listUrl}'`);
  return hex;
}
