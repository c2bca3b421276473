// Ansible host ranges (`node[01:10]`) and `host:port` entries, shared by every inventory format.
import { InventoryError, type SourceLocation } from '../errors.js';

const ASCII_LETTERS = 'abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ';

/**
 * Expand ansible host ranges: `node[1:3]`, `node[01:10]` (zero-padded, equal widths), `[a:c]`,
 * `[0:10:2]` (stride); several ranges in one name multiply.
 */
export function expandHostRange(pattern: string, loc?: SourceLocation): string[] {
  const m = /^([^[]*)\[([^\]]*)\](.*)$/.exec(pattern);
  if (!m) {
    if (pattern.includes('[') || pattern.includes(']')) throw new InventoryError(`invalid host range in '${pattern}': unbalanced brackets`, { loc });
    return [pattern];
  }
  const [, head, range, tail] = m as unknown as [string, string, string, string];
  const bits = range.split(':');
  if (bits.length < 2 || bits.length > 3) {
    throw new InventoryError(`invalid host range '[${range}]' in '${pattern}': expected [start:end] or [start:end:step]`, { loc });
  }
  let [beg, end, stepS] = bits as [string, string, string | undefined];
  if (beg === '') beg = '0';
  if (end === '') throw new InventoryError(`invalid host range '[${range}]' in '${pattern}': the range must specify an end value`, { loc });
  const step = stepS === undefined || stepS === '' ? 1 : Number(stepS);
  if (!Number.isInteger(step) || step < 1) throw new InventoryError(`invalid host range '[${range}]' in '${pattern}': step must be a positive integer`, { loc });
  let seq: string[];
  const ib = ASCII_LETTERS.indexOf(beg);
  const ie = ASCII_LETTERS.indexOf(end);
  if (beg.length === 1 && end.length === 1 && ib >= 0 && ie >= 0) {
    if (ib > ie) throw new InventoryError(`invalid host range '[${range}]' in '${pattern}': begin must be <= end`, { loc });
    seq = [];
    for (let i = ib; i <= ie; i += step) seq.push(ASCII_LETTERS[i]!);
  } else if (/^\d+$/.test(beg) && /^\d+$/.test(end)) {
    const padded = beg.length > 1 && beg.startsWith('0');
    if (padded && beg.length !== end.length) {
      throw new InventoryError(`invalid host range '[${range}]' in '${pattern}': zero-padded begin and end must have the same width`, { loc });
    }
    const b = Number(beg);
    const e = Number(end);
    if (b > e) throw new InventoryError(`invalid host range '[${range}]' in '${pattern}': begin must be <= end`, { loc });
    seq = [];
    for (let i = b; i <= e; i += step) seq.push(padded ? String(i).padStart(beg.length, '0') : String(i));
  } else {
    throw new InventoryError(`invalid host range '[${range}]' in '${pattern}': expected numbers ([1:3], [01:10]) or single letters ([a:c])`, { loc });
  }
  return seq.flatMap((s) => expandHostRange(head + s + tail, loc));
}

export function splitHostPort(pattern: string, loc?: SourceLocation): { names: string[]; port?: number } {
  let base = pattern;
  let port: number | undefined;
  // `host:port`, but not a bare IPv6 address (several colons outside brackets)
  const m = /^(.*[^:]):(\d+)$/.exec(pattern);
  if (m && !m[1]!.replace(/\[[^\]]*\]/g, '').includes(':')) {
    base = m[1]!;
    port = Number(m[2]);
  }
  return { names: expandHostRange(base, loc), port };
}
