// Builds DiffEntry values for file modules: text before/after when both sides are small UTF-8 text,
// a one-line summary otherwise (binary, too large), as Ansible's "diff skipped: …".

import { createHash } from 'node:crypto';
import type { DiffEntry } from '../types.js';
import { MAX_CONTENT, type FileProbe } from './remote-file.js';

const utf8 = new TextDecoder('utf-8', { fatal: true });

export function sha256(data: Buffer | string): string {
  return createHash('sha256').update(data).digest('hex');
}

/** Valid UTF-8 without NUL bytes. */
export function isText(b: Buffer): boolean {
  if (b.includes(0)) return false;
  try {
    utf8.decode(b);
    return true;
  } catch {
    return false;
  }
}

/**
 * Content diff of a file about to become `after`. `before` is the probe of the current file (its
 * `content` fetched when small enough). Absent files diff from the empty text.
 */
export function contentDiff(path: string, before: FileProbe, after: Buffer): DiffEntry {
  const beforeSize = before.exists ? (before.size ?? 0) : 0;
  if (after.length > MAX_CONTENT || beforeSize > MAX_CONTENT) {
    return { path, summary: 'file larger than 100 KiB, diff skipped' };
  }
  const old = before.exists ? before.content : Buffer.alloc(0);
  if (old === undefined) return { path, summary: `content not available, ${beforeSize} bytes → ${after.length} bytes` };
  if (!isText(old) || !isText(after)) {
    return { path, summary: `binary file, ${beforeSize} bytes → ${after.length} bytes` };
  }
  return { path, before: old.toString('utf8'), after: after.toString('utf8') };
}
