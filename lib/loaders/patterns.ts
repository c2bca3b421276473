// Ansible host patterns (`hosts:` in a play, `--limit`): unions, intersections, exclusions,
// subscripts, globs and regexes, resolved the way ansible's InventoryManager does it.
import { InventoryError, type SourceLocation } from '../errors.js';

/** The little an inventory must offer to resolve patterns (keeps patterns.ts free of an import cycle). */
export interface PatternInventory {
  /** Every host of `all`, in inventory order. */
  hosts(): string[];
  groupNames(): string[];
  /** All hosts of a group including its descendants' (any order; results are re-sorted), or undefined if no such group. */
  groupMembers(name: string): string[] | undefined;
  hasHost(name: string): boolean;
  /** Whether `name` (one of LOCALHOST_NAMES) may be created as ansible's implicit localhost when nothing else matches. */
  implicitHost?(name: string): boolean;
}

export interface Subscript {
  start: number;
  /** undefined: a single index `[n]`; null: open end `[n:]`; a number: inclusive end `[n:m]`. */
  end?: number | null;
}

export interface PatternPart {
  op: 'union' | 'intersect' | 'exclude';
  kind: 'all' | 'name' | 'glob' | 'regex';
  /** The name, glob or regex source (without `~`, `&`, `!` or the subscript). */
  value: string;
  subscript?: Subscript;
  /** The term as written, for messages. */
  raw: string;
}

export interface PatternMatch {
  hosts: string[];
  /** Terms that matched no group and no host (ansible warns "Could not match supplied host pattern"). */
  unmatched: string[];
}

/** Names ansible turns into its implicit localhost when nothing in the inventory matches them. */
export const LOCALHOST_NAMES: readonly string[] = ['localhost', '127.0.0.1', '::1'];

const SUBSCRIPT = /^(.+)\[(?:(-?\d+)|(-?\d+):(-?\d*))\]$/;

function bad(pattern: string, what: string, loc?: SourceLocation): InventoryError {
  return new InventoryError(`invalid host pattern '${pattern}': ${what}`, { loc });
}

/** Split like ansible's split_host_pattern: commas if any, else colons outside `[...]`. */
function splitTerms(pattern: string, loc?: SourceLocation): string[] {
  if (pattern.includes(',')) return pattern.split(',').map((s) => s.trim()).filter((s) => s !== '');
  // a bare IPv6 address is one term, not a colon list
  if (/^[0-9a-fA-F]*:[0-9a-fA-F]*:[0-9a-fA-F:.]*$/.test(pattern.trim())) return [pattern.trim()];
  const out: string[] = [];
  let cur = '';
  let depth = 0;
  for (const ch of pattern) {
    if (ch === '[') depth++;
    if (ch === ']') {
      depth--;
      if (depth < 0) throw bad(pattern, "unexpected ']' without a matching '['", loc);
    }
    if (ch === ':' && depth === 0) {
      out.push(cur);
      cur = '';
    } else cur += ch;
  }
  if (depth !== 0) throw bad(pattern, "unclosed '[': expected a subscript like [0], [-1], [1:3] or [2:]", loc);
  out.push(cur);
  return out.map((s) => s.trim()).filter((s) => s !== '');
}

function parseTerm(term: string, pattern: string, loc?: SourceLocation): PatternPart {
  let op: PatternPart['op'] = 'union';
  let body = term;
  if (body.startsWith('&')) {
    op = 'intersect';
    body = body.slice(1).trim();
  } else if (body.startsWith('!')) {
    op = 'exclude';
    body = body.slice(1).trim();
  }
  if (body === '') throw bad(pattern, `expected a host or group name after '${term}'`, loc);
  if (body.startsWith('~')) {
    const src = body.slice(1);
    if (src === '') throw bad(pattern, "expected a regular expression after '~'", loc);
    try {
      new RegExp(src);
    } catch (e) {
      throw bad(pattern, `bad regular expression '${src}': ${(e as Error).message}`, loc);
    }
    return { op, kind: 'regex', value: src, raw: term };
  }
  let subscript: Subscript | undefined;
  const m = SUBSCRIPT.exec(body);
  if (m) {
    body = m[1]!;
    if (m[2] !== undefined) subscript = { start: Number(m[2]) };
    else subscript = { start: Number(m[3]), end: m[4] === '' ? null : Number(m[4]) };
  } else if (/\[[^\]]*:[^\]]*\]$/.test(body) || /\[-?\d*\]$/.test(body)) {
    // looks like a subscript but is not one (e.g. [1:x]); a glob class like [ab] is left alone
    throw bad(pattern, `bad subscript in '${body}': expected [n], [-n], [n:m] or [n:] with integers`, loc);
  }
  if (/[\s]/.test(body)) throw bad(pattern, `'${body}' contains whitespace`, loc);
  if (body === 'all') return { op, kind: 'all', value: body, subscript, raw: term };
  const kind = /[*?[]/.test(body) ? 'glob' : 'name';
  return { op, kind, value: body, subscript, raw: term };
}

/**
 * Parse a pattern into terms ordered as ansible evaluates them: unions, then intersections,
 * then exclusions. A pattern of only exclusions/intersections starts from `all`.
 */
export function parsePattern(pattern: string, loc?: SourceLocation): PatternPart[] {
  if (typeof pattern !== 'string' || pattern.trim() === '') throw bad(String(pattern), 'expected a host or group name', loc);
  const parts = splitTerms(pattern, loc).map((t) => parseTerm(t, pattern, loc));
  if (parts.length === 0) throw bad(pattern, 'expected a host or group name', loc);
  const unions = parts.filter((p) => p.op === 'union');
  const ordered = [
    ...(unions.length ? unions : [{ op: 'union', kind: 'all', value: 'all', raw: 'all' } as PatternPart]),
    ...parts.filter((p) => p.op === 'intersect'),
    ...parts.filter((p) => p.op === 'exclude'),
  ];
  return ordered;
}

/** fnmatch-style glob → anchored RegExp (`*`, `?`, `[abc]`, `[!abc]`). */
export function globToRegExp(glob: string): RegExp {
  let re = '';
  for (let i = 0; i < glob.length; i++) {
    const c = glob[i]!;
    if (c === '*') re += '.*';
    else if (c === '?') re += '.';
    else if (c === '[') {
      const close = glob.indexOf(']', i + 2);
      if (close < 0) re += '\\[';
      else {
        let cls = glob.slice(i + 1, close);
        if (cls.startsWith('!')) cls = '^' + cls.slice(1);
        re += '[' + cls.replace(/\\/g, '\\\\') + ']';
        i = close;
      }
    } else re += c.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&');
  }
  return new RegExp('^' + re + '$');
}

function applySubscript(hosts: string[], s: Subscript, part: PatternPart, loc?: SourceLocation): string[] {
  const n = hosts.length;
  const norm = (i: number): number => (i < 0 ? n + i : i);
  const start = norm(s.start);
  if (s.end === undefined) {
    if (start < 0 || start >= n) {
      throw new InventoryError(`host pattern '${part.raw}': index ${s.start} is out of range (${part.value} has ${n} host${n === 1 ? '' : 's'})`, { loc });
    }
    return [hosts[start]!];
  }
  // ansible: [n:] runs to the last host; [n:m] includes m
  const end = s.end === null ? n - 1 : norm(s.end);
  return hosts.slice(Math.max(0, start), end + 1);
}

/** Hosts one term names, in inventory order, and whether it named anything at all. */
function matchTerm(part: PatternPart, inv: PatternInventory, order: Map<string, number>, loc?: SourceLocation): { hosts: string[]; matched: boolean } {
  const found = new Set<string>();
  let matched = false;
  if (part.kind === 'all') {
    matched = true;
    for (const h of inv.hosts()) found.add(h);
  } else if (part.kind === 'name') {
    const members = inv.groupMembers(part.value);
    if (members) {
      matched = true;
      for (const h of members) found.add(h);
    } else if (inv.hasHost(part.value)) {
      matched = true;
      found.add(part.value);
    } else if (LOCALHOST_NAMES.includes(part.value) && inv.implicitHost?.(part.value)) {
      // implicit localhost: usable by name, never part of `all`
      matched = true;
      found.add(part.value);
    }
  } else {
    const re = part.kind === 'regex' ? new RegExp(part.value) : globToRegExp(part.value);
    // ansible uses re.match for `~`: anchored at the start only
    const test = part.kind === 'regex' ? (s: string) => re.exec(s)?.index === 0 : (s: string) => re.test(s);
    for (const g of inv.groupNames()) {
      if (!test(g)) continue;
      matched = true;
      for (const h of inv.groupMembers(g) ?? []) found.add(h);
    }
    for (const h of inv.hosts()) {
      if (test(h)) {
        matched = true;
        found.add(h);
      }
    }
  }
  const sorted = [...found].sort((a, b) => (order.get(a) ?? Infinity) - (order.get(b) ?? Infinity));
  // a subscript on a name that matched nothing is just an unmatched term, not an index error
  return { hosts: part.subscript && matched ? applySubscript(sorted, part.subscript, part, loc) : sorted, matched };
}

/** Resolve a pattern to hosts (inventory order, no duplicates) plus the terms that matched nothing. */
export function matchPattern(pattern: string, inv: PatternInventory, loc?: SourceLocation): PatternMatch {
  const parts = parsePattern(pattern, loc);
  const order = new Map(inv.hosts().map((h, i) => [h, i] as const));
  let result: string[] = [];
  const unmatched: string[] = [];
  for (const part of parts) {
    const { hosts, matched } = matchTerm(part, inv, order, loc);
    if (!matched && part.raw !== 'all') unmatched.push(part.op === 'union' ? part.raw : part.raw.slice(1).trim());
    if (part.op === 'union') {
      const seen = new Set(result);
      for (const h of hosts) if (!seen.has(h)) result.push(h);
    } else if (part.op === 'intersect') {
      const keep = new Set(hosts);
      result = result.filter((h) => keep.has(h));
    } else {
      const drop = new Set(hosts);
      result = result.filter((h) => !drop.has(h));
    }
  }
  result.sort((a, b) => (order.get(a) ?? Infinity) - (order.get(b) ?? Infinity));
  return { hosts: result, unmatched };
}

export function resolvePattern(pattern: string, inv: PatternInventory, loc?: SourceLocation): string[] {
  return matchPattern(pattern, inv, loc).hosts;
}
