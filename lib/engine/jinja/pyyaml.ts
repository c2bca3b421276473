// PyYAML's dump as Ansible's to_yaml/to_nice_yaml call it (SafeDumper, allow_unicode, sort_keys):
// flow style for collections of scalars when default_flow_style is None, indentless sequences
// in mappings, quoting of strings that would read back as another type (YAML 1.1), folding of
// long plain/single-quoted scalars past `width`.
import type { FilterCtx } from './filters.js';
import { PyFloat, isPlainObject, pyRepr, typeName } from './values.js';

export interface YamlOpts {
  indent: number;
  /** true: all flow; false: all block; null: flow for collections of scalars only (PyYAML's None) */
  flow: boolean | null;
  sortKeys: boolean;
  width: number;
}

const BOOL = /^(?:y|Y|yes|Yes|YES|n|N|no|No|NO|true|True|TRUE|false|False|FALSE|on|On|ON|off|Off|OFF)$/;
const INT = /^(?:[-+]?0b[0-1_]+|[-+]?0[0-7_]+|[-+]?(?:0|[1-9][0-9_]*)|[-+]?0x[0-9a-fA-F_]+|[-+]?[1-9][0-9_]*(?::[0-5]?[0-9])+)$/;
const FLOAT = /^(?:[-+]?(?:[0-9][0-9_]*)\.[0-9_]*(?:[eE][-+][0-9]+)?|\.[0-9_]+(?:[eE][-+][0-9]+)?|[-+]?[0-9][0-9_]*(?::[0-5]?[0-9])+\.[0-9_]*|[-+]?\.(?:inf|Inf|INF)|\.(?:nan|NaN|NAN))$/;
const NULL = /^(?:~|null|Null|NULL|)$/;
const TIMESTAMP = /^(?:[0-9]{4}-[0-9]{2}-[0-9]{2}|[0-9]{4}-[0-9]{1,2}-[0-9]{1,2}(?:[Tt]|[ \t]+)[0-9]{1,2}:[0-9]{2}:[0-9]{2}(?:\.[0-9]*)?(?:[ \t]*(?:Z|[-+][0-9]{1,2}(?::[0-9]{2})?))?)$/;

/** How PyYAML's emitter would write this string: plain, single-quoted or double-quoted. */
function style(s: string, flow: boolean): 'plain' | 'single' | 'double' {
  // Y/N are bools only for the resolver's first-character table in PyYAML: 'y'/'n' are not (PyYAML 5+ keeps them plain)
  if (/[\x00-\x08\x0b\x0c\x0e-\x1f\x7f\x85\ufeff]/.test(s) || /[\ud800-\udfff]/.test(s)) return 'double';
  if (s === '' || (BOOL.test(s) && !/^[yYnN]$/.test(s)) || INT.test(s) || FLOAT.test(s) || NULL.test(s) || TIMESTAMP.test(s) || s === '<<' || s === '=') return 'single';
  if (s.includes('\n') || s.includes('\r')) return 'single';
  if (/^[\s]|[\s]$/.test(s)) return 'single';
  if (/^[#,[\]{}&*!|>'"%@`]/.test(s)) return 'single';
  if (/^[-?:](\s|$)/.test(s)) return 'single';
  if (s.includes(': ') || s.includes(' #') || s.endsWith(':')) return 'single';
  if (flow && /[,?[\]{}]/.test(s)) return 'single';
  if (/\t/.test(s)) return 'single';
  return 'plain';
}

function doubleQuoted(s: string): string {
  let out = '"';
  for (const ch of s) {
    const c = ch.codePointAt(0)!;
    if (ch === '"') out += '\\"';
    else if (ch === '\\') out += '\\\\';
    else if (ch === '\n') out += '\\n';
    else if (ch === '\t') out += '\\t';
    else if (ch === '\r') out += '\\r';
    else if (ch === '\0') out += '\\0';
    else if (c < 0x20 || c === 0x7f || c === 0x85 || c === 0xfeff) out += '\\x' + c.toString(16).toUpperCase().padStart(2, '0');
    else out += ch;
  }
  return out + '"';
}

export function pyYaml(ctx: FilterCtx, v: unknown, o: YamlOpts): string {
  const I = o.indent;
  /** Writes words separated by single spaces, breaking at a space once the column passes width (PyYAML's split). */
  const fold = (text: string, col: number, indent: number, split: boolean): string => {
    if (!split) return text;
    let out = '';
    let c = col;
    const words = text.split(' ');
    for (let i = 0; i < words.length; i++) {
      const w = words[i]!;
      if (i > 0) {
        if (w !== '' && words[i - 1] !== '' && c > o.width) {
          out += '\n' + ' '.repeat(indent);
          c = indent;
        } else {
          out += ' ';
          c++;
        }
      }
      out += w;
      c += w.length;
    }
    return out;
  };
  const scalar = (x: unknown, flow: boolean, col: number, indent: number, key: boolean): { text: string; plain: boolean } => {
    if (x === null || x === undefined) return { text: 'null', plain: true };
    if (x === true) return { text: 'true', plain: true };
    if (x === false) return { text: 'false', plain: true };
    // PyYAML writes an integral float 5.0 as 5.0 (and 1e16 as 1.0e+16)
    if (x instanceof PyFloat) return { text: Math.abs(x.v) >= 1e16 ? pyRepr(x).replace(/^(-?\d)e/, '$1.0e') : pyRepr(x), plain: true };
    if (typeof x === 'number') {
      if (Number.isNaN(x)) return { text: '.nan', plain: true };
      if (!Number.isFinite(x)) return { text: x > 0 ? '.inf' : '-.inf', plain: true };
      return { text: String(x), plain: true };
    }
    if (typeof x !== 'string') ctx.fail(`cannot represent an object of type ${typeName(x)}`);
    const st = style(x, flow);
    if (st === 'plain') return { text: fold(x, col, indent, !key), plain: true };
    if (st === 'double') return { text: doubleQuoted(x), plain: false };
    const body = x.replace(/'/g, "''");
    const lines = body.split('\n');
    const pad = ' '.repeat(indent);
    const text = "'" + lines.map((l, i) => fold(l, i === 0 ? col + 1 : indent, indent, !key)).join('\n\n' + pad) + "'";
    return { text: text.replace(/\n\n(\s*)$/, '\n$1'), plain: false };
  };
  const isColl = (x: unknown): boolean => Array.isArray(x) || isPlainObject(x);
  const keys = (x: Record<string, unknown>): string[] => (o.sortKeys ? Object.keys(x).sort() : Object.keys(x));
  const useFlow = (x: unknown): boolean => {
    const items = Array.isArray(x) ? x : Object.values(x as Record<string, unknown>);
    if (items.length === 0) return true;
    if (o.flow === true) return true;
    if (o.flow === false) return false;
    return !items.some(isColl);
  };
  const flowNode = (x: unknown, col: number, indent: number): string => {
    if (Array.isArray(x)) return '[' + x.map((y) => flowNode(y, col, indent)).join(', ') + ']';
    if (isPlainObject(x)) return '{' + keys(x).map((k) => `${scalar(k, true, col, indent, true).text}: ${flowNode(x[k], col, indent)}`).join(', ') + '}';
    return scalar(x, true, col, indent, false).text;
  };
  /** A block collection starting at the current line position `col`, with its lines at `indent`. */
  const block = (x: unknown, indent: number, col: number): string => {
    const pad = ' '.repeat(indent);
    if (Array.isArray(x)) {
      return x
        .map((item, i) => {
          // a scalar item follows '- '; a nested block collection starts at the next indentation step
          const nestedBlock = isColl(item) && !useFlow(item);
          const head = (i === 0 ? ' '.repeat(Math.max(0, indent - col)) : pad) + '-' + ' '.repeat(nestedBlock ? Math.max(1, I - 1) : 1);
          const inner = indent + Math.max(2, I);
          return head + value(item, inner, inner, true);
        })
        .join('\n');
    }
    const m = x as Record<string, unknown>;
    return keys(m)
      .map((k, i) => {
        const ks = scalar(k, false, indent, indent, true).text;
        const head = (i === 0 ? ' '.repeat(Math.max(0, indent - col)) : pad) + ks + ':';
        const val = m[k];
        if (isColl(val) && !useFlow(val)) {
          if (Array.isArray(val)) return head + '\n' + block(val, indent, 0);
          return head + '\n' + block(val, indent + I, 0);
        }
        return head + ' ' + value(val, indent + I, indent + ks.length + 2, false);
      })
      .join('\n');
  };
  const value = (x: unknown, indent: number, col: number, inSeq: boolean): string => {
    if (isColl(x)) {
      if (useFlow(x)) return flowNode(x, col, indent);
      void inSeq;
      return block(x, indent, col);
    }
    return scalar(x, false, col, indent, false).text;
  };
  if (isColl(v) && !useFlow(v)) return block(v, 0, 0) + '\n';
  if (isColl(v)) return flowNode(v, 0, 0) + '\n';
  const s = scalar(v, false, 0, 0, false);
  return s.text + '\n';
}
