// Every regular expression a playbook evaluates (tests `match`/`search`/`regex`, filters
// `regex_search`/`regex_replace`/`regex_findall`/…) goes through this file, so a hostile pattern or a
// hostile input (a host's output) cannot freeze the run: matching is linear in the input (RE2
// semantics, re2js, pure JavaScript), and the input size is bounded. A V8 RegExp backtracks:
// `(a+)+$` on 40 "a"s and a "b" never returns, and while it runs no signal handler (Ctrl-C) can.
//
// Why re2js (measured on this machine, Node 20): `(a+)+$` on 100 000 chars 0.46 s (V8: never);
// a typical `Version: (?P<v>\d+\.\d+\.\d+)` search 7 µs with the pattern cached (V8 1 µs),
// 0.2 ms to compile (hence the cache); a 1 MB literal-prefixed miss 1 ms. The npm `re2` binding is
// faster but needs a native build on every machine; a worker with a timeout keeps backtracking
// (and blocks the event loop up to its timeout on every bad call). RE2 has no look-around and no
// backreferences: such a pattern is refused with a clear error (docs/ansible-differences.md).
//
// API (all a caller needs; patterns are Python `re` syntax, as Ansible's):
//   compileRegex(pattern, flags?)   → SafeRegex; throws RegexError (message says what is unsupported)
//   re.search(text, start = 0)      → RegexMatch | null   first match at or after `start` (re.search)
//   re.match(text)                  → RegexMatch | null   anchored at the start (re.match)
//   re.fullmatch(text)              → RegexMatch | null   the whole text (re.fullmatch)
//   re.findAll(text)                → RegexMatch[]        non-overlapping, left to right (re.finditer)
//   re.replace(text, repl, count=0) → string              Python template: \1 \g<1> \g<name> \n \\ (re.sub)
//   re.expand(match, repl)          → string              the same template from one match (match.expand)
//   re.groupCount, re.groupNames
//   RegexMatch: { start, end, text, groups: (string | null)[] (0 = whole match), named: {name: string | null} }
// Flags: { ignorecase, multiline, dotall } (also inline at the pattern's start: `(?i)`, `(?ims)`).
// Limits: the text at most MAX_REGEX_INPUT characters, the pattern at most MAX_PATTERN; more is a RegexError.
import { RE2JS } from 're2js';

export interface RegexFlags {
  ignorecase?: boolean;
  multiline?: boolean;
  dotall?: boolean;
}

export interface RegexMatch {
  start: number;
  end: number;
  text: string;
  /** groups[0] is the whole match; a group that did not take part is null (Python's None). */
  groups: Array<string | null>;
  named: Record<string, string | null>;
}

/** A pattern that does not compile, or an input over the limits. The message is for the operator. */
export class RegexError extends Error {}

/** 16 MiB of text: matching stays linear, but a bound keeps one call short (about 5 s worst case per MiB). */
export const MAX_REGEX_INPUT = 16 * 1024 * 1024;
export const MAX_PATTERN = 64 * 1024;

export interface SafeRegex {
  readonly pattern: string;
  readonly groupCount: number;
  readonly groupNames: readonly string[];
  search(text: string, start?: number): RegexMatch | null;
  match(text: string): RegexMatch | null;
  fullmatch(text: string): RegexMatch | null;
  findAll(text: string): RegexMatch[];
  replace(text: string, repl: string, count?: number): string;
  /** Python's match.expand(template): the template filled from one match of this pattern (lineinfile backrefs). */
  expand(m: RegexMatch, repl: string): string;
}

/** Python-only spellings RE2 lacks, and what they are called, for the error. */
const UNSUPPORTED: Array<[RegExp, string]> = [
  [/\(\?<?[=!]/, 'look-ahead/look-behind assertions'],
  [/\(\?P=/, 'backreferences'],
  [/\\[1-9]/, 'backreferences'],
  [/\(\?[a-zA-Z]*x/, 'verbose mode (?x)'],
];

/**
 * Python `re` syntax to RE2 syntax: `\Z` is `\z`. Escapes are walked one by one so `\\Z` (a
 * backslash then Z) stays as it is; `(?P<name>…)` and inline flags are RE2 syntax already.
 */
function toRe2(pattern: string): string {
  let out = '';
  for (let i = 0; i < pattern.length; i++) {
    const c = pattern[i]!;
    if (c === '\\' && i + 1 < pattern.length) {
      const n = pattern[i + 1]!;
      out += n === 'Z' ? '\\z' : c + n;
      i++;
    } else out += c;
  }
  return out;
}

function withoutEscapedPairs(pattern: string): string {
  // `\\1` is a literal backslash and "1", not a backreference: drop escaped backslashes first
  return pattern.replace(/\\\\/g, '');
}

class Re2Regex implements SafeRegex {
  readonly groupCount: number;
  readonly groupNames: readonly string[];
  private readonly nameIndex: Record<string, number>;
  private anchored?: RE2JS;
  private whole?: RE2JS;

  constructor(
    readonly pattern: string,
    private readonly source: string,
    private readonly flagBits: number,
    private readonly re: RE2JS,
  ) {
    this.groupCount = re.groupCount();
    this.nameIndex = { ...re.namedGroups() } as Record<string, number>;
    this.groupNames = Object.keys(this.nameIndex);
  }

  search(text: string, start = 0): RegexMatch | null {
    return this.first(this.re, text, start);
  }

  match(text: string): RegexMatch | null {
    this.anchored ??= RE2JS.compile(`\\A(?:${this.source})`, this.flagBits);
    return this.first(this.anchored, text, 0);
  }

  fullmatch(text: string): RegexMatch | null {
    this.whole ??= RE2JS.compile(`\\A(?:${this.source})\\z`, this.flagBits);
    return this.first(this.whole, text, 0);
  }

  findAll(text: string): RegexMatch[] {
    checkInput(text);
    const out: RegexMatch[] = [];
    const m = this.re.matcher(text);
    let pos = 0;
    while (pos <= text.length && m.find(pos)) {
      const r = this.result(m);
      out.push(r);
      // an empty match moves on by one character (Python: the next match may not be empty at the same place)
      pos = r.end > r.start ? r.end : r.end + 1;
    }
    return out;
  }

  replace(text: string, repl: string, count = 0): string {
    checkInput(text);
    const template = parseTemplate(repl, this.groupCount, this.nameIndex);
    let out = '';
    let last = 0;
    let n = 0;
    const m = this.re.matcher(text);
    let pos = 0;
    while (pos <= text.length && (count <= 0 || n < count) && m.find(pos)) {
      const r = this.result(m);
      out += text.slice(last, r.start) + template.map((p) => (typeof p === 'string' ? p : (r.groups[p] ?? ''))).join('');
      last = r.end;
      n++;
      pos = r.end > r.start ? r.end : r.end + 1;
      if (out.length > MAX_REGEX_INPUT) throw new RegexError(`the result of the replacement is longer than ${MAX_REGEX_INPUT} characters`);
    }
    return out + text.slice(last);
  }

  expand(m: RegexMatch, repl: string): string {
    return parseTemplate(repl, this.groupCount, this.nameIndex)
      .map((p) => (typeof p === 'string' ? p : (m.groups[p] ?? '')))
      .join('');
  }

  private first(re: RE2JS, text: string, start: number): RegexMatch | null {
    checkInput(text);
    const m = re.matcher(text);
    if (start > text.length || !m.find(start)) return null;
    return this.result(m);
  }

  private result(m: ReturnType<RE2JS['matcher']>): RegexMatch {
    const groups: Array<string | null> = [];
    for (let g = 0; g <= this.groupCount; g++) groups.push(m.group(g));
    const named: Record<string, string | null> = {};
    for (const [name, idx] of Object.entries(this.nameIndex)) named[name] = groups[idx] ?? null;
    return { start: m.start(), end: m.end(), text: groups[0] ?? '', groups, named };
  }
}

function checkInput(text: string): void {
  if (text.length > MAX_REGEX_INPUT) throw new RegexError(`the text to match is ${text.length} characters long (limit ${MAX_REGEX_INPUT})`);
}

/** Python's re.sub template: `\1`…`\99`, `\g<1>`, `\g<name>`, `\n`/`\t`/`\\`; other escapes stay as written. */
function parseTemplate(repl: string, groupCount: number, names: Record<string, number>): Array<string | number> {
  const parts: Array<string | number> = [];
  let lit = '';
  const group = (g: number, what: string): void => {
    if (g > groupCount) throw new RegexError(`invalid group reference ${what} in the replacement (the pattern has ${groupCount} group(s))`);
    parts.push(lit, g);
    lit = '';
  };
  for (let i = 0; i < repl.length; i++) {
    const c = repl[i]!;
    if (c !== '\\' || i + 1 >= repl.length) {
      lit += c;
      continue;
    }
    const rest = repl.slice(i + 1);
    const num = /^\d{1,2}/.exec(rest);
    const named = /^g<([^>]*)>/.exec(rest);
    if (num) {
      group(Number(num[0]), `\\${num[0]}`);
      i += num[0].length;
    } else if (named) {
      const ref = named[1]!;
      const idx = /^\d+$/.test(ref) ? Number(ref) : names[ref];
      if (idx === undefined) throw new RegexError(`unknown group name '${ref}' in the replacement`);
      group(idx, `\\g<${ref}>`);
      i += named[0].length;
    } else {
      const e = rest[0]!;
      const esc: Record<string, string> = { n: '\n', t: '\t', r: '\r', '\\': '\\', f: '\f', v: '\v', a: '\x07', b: '\b' };
      lit += esc[e] ?? '\\' + e;
      i++;
    }
  }
  parts.push(lit);
  return parts.filter((p) => p !== '');
}

const cache = new Map<string, SafeRegex>();
const CACHE_MAX = 1000;

/** Compiles (cached) a Python-syntax pattern into a linear-time matcher. */
export function compileRegex(pattern: string, flags: RegexFlags = {}): SafeRegex {
  const key = `${flags.ignorecase ? 'i' : ''}${flags.multiline ? 'm' : ''}${flags.dotall ? 's' : ''}\0${pattern}`;
  const hit = cache.get(key);
  if (hit) return hit;
  if (pattern.length > MAX_PATTERN) throw new RegexError(`the pattern is ${pattern.length} characters long (limit ${MAX_PATTERN})`);
  const bare = withoutEscapedPairs(pattern);
  for (const [re, what] of UNSUPPORTED) {
    if (re.test(bare)) throw new RegexError(`${what} are not supported: bosun matches in linear time (RE2 syntax), so a pattern cannot hang the run`);
  }
  const bits = (flags.ignorecase ? RE2JS.CASE_INSENSITIVE : 0) | (flags.multiline ? RE2JS.MULTILINE : 0) | (flags.dotall ? RE2JS.DOTALL : 0);
  const source = toRe2(pattern);
  let re: RE2JS;
  try {
    re = RE2JS.compile(source, bits);
  } catch (e) {
    throw new RegexError((e as Error).message.replace(/^error parsing regexp: /, ''));
  }
  const compiled = new Re2Regex(pattern, source, bits, re);
  if (cache.size >= CACHE_MAX) cache.clear();
  cache.set(key, compiled);
  return compiled;
}
