// Version ordering of the two package formats, so plans can decide `name>=1.2` and "is the
// candidate newer" on the control node without asking the host (dpkg --compare-versions, rpmvercmp).
// Both algorithms are the formats' published rules (Debian Policy 5.6.12, rpm's rpmvercmp).

/** Debian: `[epoch:]upstream[-revision]`. Returns <0, 0, >0 like dpkg --compare-versions. */
export function compareDebVersions(a: string, b: string): number {
  const pa = splitDeb(a);
  const pb = splitDeb(b);
  if (pa.epoch !== pb.epoch) return pa.epoch - pb.epoch;
  return debPart(pa.upstream, pb.upstream) || debPart(pa.revision, pb.revision);
}

/** `[epoch:]version[-release]`, the shape both dpkg and rpm versions have: the last dash splits. */
function splitEpochVersion(v: string): { epoch: number; version: string; release?: string } {
  let rest = v.trim();
  let epoch = 0;
  const colon = rest.indexOf(':');
  if (colon > 0 && /^\d+$/.test(rest.slice(0, colon))) {
    epoch = Number(rest.slice(0, colon));
    rest = rest.slice(colon + 1);
  }
  const dash = rest.lastIndexOf('-');
  return dash >= 0 ? { epoch, version: rest.slice(0, dash), release: rest.slice(dash + 1) } : { epoch, version: rest };
}

function splitDeb(v: string): { epoch: number; upstream: string; revision: string } {
  const { epoch, version, release } = splitEpochVersion(v);
  return { epoch, upstream: version, revision: release ?? '' };
}

/** The weight of one character in dpkg's lexical part: ~ sorts before everything, even the end. */
function debOrder(c: string | undefined): number {
  if (c === undefined) return 0;
  if (c === '~') return -1;
  if (/[A-Za-z]/.test(c)) return c.charCodeAt(0);
  return c.charCodeAt(0) + 256;
}

function debPart(a: string, b: string): number {
  let i = 0;
  let j = 0;
  while (i < a.length || j < b.length) {
    // non-digit prefix, compared character by character
    while ((i < a.length && !isDigit(a[i]!)) || (j < b.length && !isDigit(b[j]!))) {
      const ca = i < a.length && !isDigit(a[i]!) ? a[i] : undefined;
      const cb = j < b.length && !isDigit(b[j]!) ? b[j] : undefined;
      const d = debOrder(ca) - debOrder(cb);
      if (d !== 0) return d;
      if (ca !== undefined) i++;
      if (cb !== undefined) j++;
    }
    // digit run, compared as numbers
    let na = '';
    let nb = '';
    while (i < a.length && isDigit(a[i]!)) na += a[i++];
    while (j < b.length && isDigit(b[j]!)) nb += b[j++];
    const d = compareDigits(na, nb);
    if (d !== 0) return d;
  }
  return 0;
}

function isDigit(c: string): boolean {
  return c >= '0' && c <= '9';
}

/** Two digit strings as unbounded integers ("" is 0). */
function compareDigits(a: string, b: string): number {
  const x = a.replace(/^0+/, '');
  const y = b.replace(/^0+/, '');
  if (x.length !== y.length) return x.length - y.length;
  return x < y ? -1 : x > y ? 1 : 0;
}

/** RPM: `[epoch:]version[-release]`, each compared with rpmvercmp. */
export function compareRpmVersions(a: string, b: string): number {
  const pa = splitRpm(a);
  const pb = splitRpm(b);
  if (pa.epoch !== pb.epoch) return pa.epoch - pb.epoch;
  const v = rpmvercmp(pa.version, pb.version);
  if (v !== 0 || pa.release === undefined || pb.release === undefined) return v;
  return rpmvercmp(pa.release, pb.release);
}

function splitRpm(v: string): { epoch: number; version: string; release?: string } {
  return splitEpochVersion(v);
}

/** rpm's segment comparison: alphanumeric runs, digits beat letters, ~ sorts first, ^ after the end. */
export function rpmvercmp(a: string, b: string): number {
  if (a === b) return 0;
  const sep = /[^A-Za-z0-9~^]/;
  let i = 0;
  let j = 0;
  for (;;) {
    while (i < a.length && sep.test(a[i]!)) i++;
    while (j < b.length && sep.test(b[j]!)) j++;
    if (a[i] === '~' || b[j] === '~') {
      if (a[i] !== '~') return 1;
      if (b[j] !== '~') return -1;
      i++;
      j++;
      continue;
    }
    if (a[i] === '^' || b[j] === '^') {
      if (i >= a.length) return -1;
      if (j >= b.length) return 1;
      if (a[i] !== '^') return 1;
      if (b[j] !== '^') return -1;
      i++;
      j++;
      continue;
    }
    if (i >= a.length || j >= b.length) break;
    const numeric = isDigit(a[i]!);
    const run = numeric ? /^[0-9]+/ : /^[A-Za-z]+/;
    const sa = run.exec(a.slice(i))?.[0] ?? '';
    const sb = run.exec(b.slice(j))?.[0] ?? '';
    // a numeric segment is newer than an alphabetic one
    if (sb === '') return numeric ? 1 : -1;
    const d = numeric ? compareDigits(sa, sb) : sa < sb ? -1 : sa > sb ? 1 : 0;
    if (d !== 0) return d;
    i += sa.length;
    j += sb.length;
  }
  if (i >= a.length && j >= b.length) return 0;
  return i >= a.length ? -1 : 1;
}
