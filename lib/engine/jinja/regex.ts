// The one place Jinja filters and tests get regular expressions (regex_replace, regex_search,
// regex_findall, match, search, regex). The interface is the project's safe-regex helper's
// (lib/engine/safe-regex.ts, issue 11 item 6: linear-time matching): until it is on this branch,
// `compileRegex` below is a stand-in on V8 RegExp that refuses the nested-quantifier shapes which
// backtrack exponentially. Swapping it for the helper changes no filter or test.

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

export class RegexError extends Error {}

export interface SafeRegex {
  readonly pattern: string;
  search(text: string, start?: number): RegexMatch | null;
  match(text: string): RegexMatch | null;
  fullmatch(text: string): RegexMatch | null;
  findAll(text: string): RegexMatch[];
  replace(text: string, repl: string, count?: number): string;
}

const cache = new Map<string, SafeRegex>();

/** Nested quantifiers (`(a+)+`, `(a*)*`, `(\w+\s?)*`…): the shapes that backtrack exponentially in V8. */
const NESTED_QUANTIFIER = /\((?:[^()\\]|\\.)*[+*}](?:[^()\\]|\\.)*\)[+*{]/;

function toMatch(m: RegExpExecArray): RegexMatch {
  const named: Record<string, string | null> = {};
  for (const [k, v] of Object.entries(m.groups ?? {})) named[k] = v ?? null;
  return { start: m.index, end: m.index + m[0].length, text: m[0], groups: [...m].map((g) => g ?? null), named };
}

/** Python's re.sub template: \1, \g<1>, \g<name>, \n, \\ — expanded against one match. */
function expand(repl: string, m: RegexMatch): string {
  return repl.replace(/\\(?:g<(\w+)>|(\d{1,2})|([\s\S]))/g, (_all, g: string | undefined, d: string | undefined, c: string | undefined) => {
    if (g !== undefined) return (/^\d+$/.test(g) ? m.groups[Number(g)] : m.named[g]) ?? '';
    if (d !== undefined) return m.groups[Number(d)] ?? '';
    return c === 'n' ? '\n' : c === 't' ? '\t' : c === 'r' ? '\r' : c === '\\' ? '\\' : '\\' + c;
  });
}

/** Compiles a Python `re` pattern. Throws RegexError with a message for the operator. */
export function compileRegex(pattern: string, flags: RegexFlags = {}): SafeRegex {
  const key = `${flags.ignorecase ? 'i' : ''}${flags.multiline ? 'm' : ''}${flags.dotall ? 's' : ''}\u0000${pattern}`;
  const hit = cache.get(key);
  if (hit) return hit;
  let p = pattern;
  let f = key.slice(0, key.indexOf('\u0000'));
  const inline = /^\(\?([aiLmsux]+)\)/.exec(p);
  if (inline) {
    p = p.slice(inline[0].length);
    for (const c of inline[1]!) if ((c === 'i' || c === 'm' || c === 's') && !f.includes(c)) f += c;
  }
  p = p
    .replace(/\(\?P<([A-Za-z_]\w*)>/g, '(?<$1>')
    .replace(/\(\?P=([A-Za-z_]\w*)\)/g, '\\k<$1>')
    .replace(/\\A/g, '^')
    .replace(/\\Z/g, '(?![\\s\\S])');
  if (NESTED_QUANTIFIER.test(p)) throw new RegexError(`pattern '${pattern}' has a repeated group that itself repeats (like (a+)+): it can take exponential time`);
  let g: RegExp;
  try {
    g = new RegExp(p, f + 'g');
  } catch (e) {
    throw new RegexError(`invalid regular expression '${pattern}': ${(e as Error).message.replace(/^Invalid regular expression: /, '')}`);
  }
  const at = (text: string, start: number, sticky: boolean): RegexMatch | null => {
    const re = new RegExp(g.source, f + (sticky ? 'y' : 'g'));
    re.lastIndex = start;
    const m = re.exec(text);
    return m ? toMatch(m) : null;
  };
  const r: SafeRegex = {
    pattern,
    search: (text, start = 0) => at(text, start, false),
    match: (text) => at(text, 0, true),
    fullmatch: (text) => {
      const m = at(text, 0, true);
      return m && m.end === text.length ? m : null;
    },
    findAll(text) {
      const out: RegexMatch[] = [];
      const re = new RegExp(g.source, f + 'g');
      for (let m = re.exec(text); m; m = re.exec(text)) {
        out.push(toMatch(m));
        if (m[0] === '') re.lastIndex++;
      }
      return out;
    },
    replace(text, repl, count = 0) {
      let n = 0;
      return text.replace(new RegExp(g.source, f + 'g'), (...a: unknown[]) => {
        if (count > 0 && n >= count) return a[0] as string;
        n++;
        const last = a[a.length - 1];
        const hasNamed = typeof last === 'object' && last !== null;
        const groups = a.slice(0, hasNamed ? -3 : -2) as Array<string | undefined>;
        const named: Record<string, string | null> = {};
        if (hasNamed) for (const [k, v] of Object.entries(last as Record<string, string | undefined>)) named[k] = v ?? null;
        const idx = a[groups.length] as number;
        return expand(repl, { start: idx, end: idx + groups[0]!.length, text: groups[0]!, groups: groups.map((x) => x ?? null), named });
      });
    },
  };
  if (cache.size > 1000) cache.clear();
  cache.set(key, r);
  return r;
}
