// Python's json.dumps as Ansible's to_json/to_nice_json call it: ', ' and ': ' separators,
// ensure_ascii (\uXXXX escapes), sort_keys, indent.
import { PyFloat, isPlainObject, pyRepr, typeName } from './values.js';

export interface JsonOpts {
  indent?: number | string | null;
  sortKeys?: boolean;
  separators?: [string, string];
  ensureAscii?: boolean;
  /** Jinja's tojson: <, >, &, ' escaped for HTML */
  htmlSafe?: boolean;
}

function jsonStr(s: string, ascii: boolean): string {
  let out = '"';
  for (const ch of s) {
    const c = ch.codePointAt(0)!;
    if (ch === '"') out += '\\"';
    else if (ch === '\\') out += '\\\\';
    else if (ch === '\n') out += '\\n';
    else if (ch === '\r') out += '\\r';
    else if (ch === '\t') out += '\\t';
    else if (ch === '\b') out += '\\b';
    else if (ch === '\f') out += '\\f';
    else if (c < 0x20 || (ascii && c > 0x7e)) {
      if (c > 0xffff) {
        const hi = Math.floor((c - 0x10000) / 0x400) + 0xd800;
        const lo = ((c - 0x10000) % 0x400) + 0xdc00;
        out += `\\u${hi.toString(16)}\\u${lo.toString(16)}`;
      } else out += '\\u' + c.toString(16).padStart(4, '0');
    } else out += ch;
  }
  return out + '"';
}

function num(v: number): string {
  if (Number.isNaN(v)) return 'NaN';
  if (!Number.isFinite(v)) return v > 0 ? 'Infinity' : '-Infinity';
  const s = String(v);
  const m = /^(-?[\d.]+)e([+-])(\d+)$/.exec(s);
  return m ? `${m[1]}e${m[2]}${m[3]!.padStart(2, '0')}` : s;
}

/** `ctx`: where a value that is not JSON fails (a filter's context, or any `fail`). */
export function pyJson(ctx: { fail(msg: string): never }, v: unknown, o: JsonOpts): string {
  const indent = o.indent === undefined || o.indent === null ? undefined : typeof o.indent === 'number' ? ' '.repeat(o.indent) : String(o.indent);
  const [itemSep, keySep] = o.separators ?? (indent !== undefined ? [',', ': '] : [', ', ': ']);
  const ascii = o.ensureAscii ?? true;
  const rec = (x: unknown, depth: number): string => {
    if (x === null || x === undefined) return 'null';
    if (x === true) return 'true';
    if (x === false) return 'false';
    if (typeof x === 'number') return num(x);
    if (x instanceof PyFloat) return pyRepr(x);
    if (typeof x === 'string') return jsonStr(x, ascii);
    const nl = indent !== undefined ? '\n' + indent.repeat(depth + 1) : '';
    const end = indent !== undefined ? '\n' + indent.repeat(depth) : '';
    if (Array.isArray(x)) {
      if (!x.length) return '[]';
      return '[' + nl + x.map((y) => rec(y, depth + 1)).join(itemSep + nl) + end + ']';
    }
    if (isPlainObject(x)) {
      let keys = Object.keys(x);
      if (!keys.length) return '{}';
      if (o.sortKeys) keys = [...keys].sort();
      return '{' + nl + keys.map((k) => jsonStr(k, ascii) + keySep + rec(x[k], depth + 1)).join(itemSep + nl) + end + '}';
    }
    return ctx.fail(`Object of type ${typeName(x)} is not JSON serializable`);
  };
  const out = rec(v, 0);
  return o.htmlSafe ? out.replace(/</g, '\\u003c').replace(/>/g, '\\u003e').replace(/&/g, '\\u0026').replace(/'/g, '\\u0027') : out;
}
