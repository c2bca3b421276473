// `key=value` task arguments (`debug: msg="x"`, `file: path=/x state=touch`), split and unquoted as
// Ansible's parse_kv does: whitespace separates tokens except inside quotes and {{ }}/{% %} blocks;
// a token `k=v` is an argument, anything else is free-form text.

/** Splits on whitespace outside quotes and Jinja blocks; quotes stay in the tokens. */
export function splitArgs(s: string): string[] {
  const out: string[] = [];
  let cur = '';
  let quote: string | undefined;
  let depth = 0;
  for (let i = 0; i < s.length; i++) {
    const c = s[i]!;
    const two = s.slice(i, i + 2);
    if (quote) {
      cur += c;
      if (c === '\\' && i + 1 < s.length) cur += s[++i]!;
      else if (c === quote) quote = undefined;
      continue;
    }
    if (two === '{{' || two === '{%' || two === '{#') {
      depth++;
      cur += two;
      i++;
      continue;
    }
    if (depth > 0 && (two === '}}' || two === '%}' || two === '#}')) {
      depth--;
      cur += two;
      i++;
      continue;
    }
    if (depth === 0 && (c === '"' || c === "'") && (cur === '' || /[=\s]$/.test(cur) || /^[^=]*=$/.test(cur))) {
      quote = c;
      cur += c;
      continue;
    }
    if (depth === 0 && /\s/.test(c)) {
      if (cur) out.push(cur);
      cur = '';
      continue;
    }
    cur += c;
  }
  if (cur) out.push(cur);
  return out;
}

function unquote(v: string): string {
  if (v.length >= 2 && (v[0] === '"' || v[0] === "'") && v[v.length - 1] === v[0]) {
    const inner = v.slice(1, -1);
    return v[0] === '"' ? inner.replace(/\\(["\\])/g, '$1') : inner;
  }
  return v;
}

export interface ParsedKv {
  args: Record<string, string>;
  /** Tokens that are not `k=v`, joined back with single spaces (`_raw_params`). */
  raw: string;
}

/**
 * Parses `k=v k2="a b" free text`. With `onlyKeys`, only those keys are taken as arguments and the
 * rest stays free-form text (command/shell: `chdir=/tmp ls -l` but `echo a=b` stays a command).
 */
export function parseKv(s: string, onlyKeys?: readonly string[]): ParsedKv {
  const args: Record<string, string> = {};
  const raw: string[] = [];
  for (const tok of splitArgs(s.trim())) {
    const m = /^([A-Za-z_][A-Za-z0-9_]*)=(.*)$/s.exec(tok);
    if (m && (!onlyKeys || onlyKeys.includes(m[1]!))) args[m[1]!] = unquote(m[2]!);
    else raw.push(tok);
  }
  return { args, raw: raw.join(' ') };
}

/** True when the whole string is `k=v` pairs (at least one). */
export function isKvOnly(s: string): boolean {
  const p = parseKv(s);
  return p.raw === '' && Object.keys(p.args).length > 0;
}
