// Jinja expression tokens. Positions are absolute offsets in the source text, so an error inside a
// template names the template's own line and column.
import { TemplateError, type BosunErrorOptions } from '../../errors.js';

/** A bad or failing expression. `col` is 1-based, relative to the expression source (or the template's line). */
export class ExprError extends TemplateError {
  readonly col?: number;
  readonly expr?: string;
  /** Absolute offset in the template text, when the expression sits inside a template. */
  readonly offset?: number;
  /** The top-level variable whose use failed ("undefined variable 'x'"), for conditionals that test it. */
  readonly undefinedVar?: string;
  /** The error is a use of something undefined (Ansible's AnsibleUndefinedVariable). */
  readonly undefined: boolean;
  constructor(message: string, opts: BosunErrorOptions & { col?: number; expr?: string; offset?: number; undefinedVar?: string; undefined?: boolean } = {}) {
    super(message, opts);
    this.col = opts.col;
    this.expr = opts.expr;
    this.offset = opts.offset;
    this.undefinedVar = opts.undefinedVar;
    this.undefined = opts.undefined ?? opts.undefinedVar !== undefined;
  }
}

/** An error (or one it wraps) that is the use of something undefined. */
export function isUndefinedError(e: unknown): boolean {
  for (let x = e, i = 0; x instanceof Error && i < 10; x = x.cause, i++) if (x instanceof ExprError && x.undefined) return true;
  return false;
}

export type TokKind = 'num' | 'str' | 'name' | 'op' | 'eof';
export interface Tok {
  k: TokKind;
  v: string;
  n?: number;
  /** the number literal had a '.' or an exponent (Python float) */
  float?: boolean;
  pos: number;
}

const OPS = ['//', '**', '==', '!=', '<=', '>=', '<', '>', '+', '-', '*', '/', '%', '~', '(', ')', '[', ']', '{', '}', ',', ':', '.', '|', '='];
const ESC: Record<string, string> = { n: '\n', t: '\t', r: '\r', '0': '\0', '\\': '\\', "'": "'", '"': '"', b: '\b', f: '\f', v: '\v', a: '\x07' };
const NUM = /(\d[\d_]*)(\.\d[\d_]*)?([eE][+-]?\d+)?/y;
const DIGITS = /\d+/y;
// Jinja 3's 0x1f / 0o17 / 0b101 integer literals
const RADIX = /0(?:[xX][0-9a-fA-F][0-9a-fA-F_]*|[oO][0-7][0-7_]*|[bB][01][01_]*)/y;
const NAME = /[A-Za-z_][A-Za-z0-9_]*/y;

export interface TokenizeOptions {
  /**
   * Backslashes in string literals are plain characters. Ansible doubles them in `{{ }}` of task
   * arguments (Templar's escape_backslashes), so `'\n'` there is a backslash and an n.
   */
  rawStrings?: boolean;
}

/** Tokens of src[start, end). `what` names the source in errors (the expression text by default). */
export function tokenize(src: string, start = 0, end = src.length, opts: TokenizeOptions = {}): Tok[] {
  const toks: Tok[] = [];
  const fail = (msg: string, at: number): never => {
    throw new ExprError(`cannot parse "${src.slice(start, end).trim()}": ${msg}`, { col: at - start + 1, expr: src.slice(start, end), offset: at });
  };
  let i = start;
  while (i < end) {
    const c = src[i]!;
    if (c === ' ' || c === '\t' || c === '\n' || c === '\r') {
      i++;
      continue;
    }
    const at = i;
    if (c >= '0' && c <= '9') {
      // After a `.` only digits: `a.0.1` is two index steps, not a float.
      const last = toks[toks.length - 1];
      const afterDot = last && last.k === 'op' && last.v === '.';
      RADIX.lastIndex = i;
      const rm = afterDot ? null : RADIX.exec(src);
      if (rm) {
        const body = rm[0].slice(2).replace(/_/g, '');
        const base = { x: 16, o: 8, b: 2 }[rm[0][1]!.toLowerCase() as 'x' | 'o' | 'b'];
        i += rm[0].length;
        toks.push({ k: 'num', v: rm[0], n: parseInt(body, base), float: false, pos: at });
        continue;
      }
      const re = afterDot ? DIGITS : NUM;
      re.lastIndex = i;
      const m = re.exec(src)!;
      const text = m[0];
      i += text.length;
      toks.push({ k: 'num', v: text, n: Number(text.replace(/_/g, '')), float: re === NUM && (m[2] !== undefined || m[3] !== undefined), pos: at });
      continue;
    }
    if (c === '"' || c === "'") {
      let out = '';
      i++;
      for (;;) {
        if (i >= end) fail(`unterminated string at column ${at - start + 1}`, at);
        const d = src[i]!;
        if (d === c) {
          i++;
          break;
        }
        if (d === '\\' && i + 1 < end && !opts.rawStrings) {
          const e = src[i + 1]!;
          if (e === 'u' && /^[0-9a-fA-F]{4}$/.test(src.slice(i + 2, i + 6))) {
            out += String.fromCharCode(parseInt(src.slice(i + 2, i + 6), 16));
            i += 6;
            continue;
          }
          if (e === 'x' && /^[0-9a-fA-F]{2}$/.test(src.slice(i + 2, i + 4))) {
            out += String.fromCharCode(parseInt(src.slice(i + 2, i + 4), 16));
            i += 4;
            continue;
          }
          const oct = /^[0-7]{1,3}/.exec(src.slice(i + 1, i + 4));
          if (oct) {
            // Python octal escapes: '\1' is chr(1) (write '\\1' for a regex back-reference)
            out += String.fromCharCode(parseInt(oct[0], 8));
            i += 1 + oct[0].length;
            continue;
          }
          if (e === '\n') {
            i += 2;
            continue;
          }
          // Unknown escapes keep the backslash, as Python does (matters for regexes like '\d').
          out += ESC[e] ?? '\\' + e;
          i += 2;
          continue;
        }
        out += d;
        i++;
      }
      toks.push({ k: 'str', v: out, pos: at });
      continue;
    }
    if ((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || c === '_') {
      NAME.lastIndex = i;
      const m = NAME.exec(src)!;
      i += m[0].length;
      toks.push({ k: 'name', v: m[0], pos: at });
      continue;
    }
    const op = OPS.find((o) => src.startsWith(o, i));
    if (!op || i + op.length > end) fail(`unexpected character '${c}' at column ${i - start + 1}`, i);
    i += op!.length;
    toks.push({ k: 'op', v: op!, pos: at });
  }
  let e = end;
  while (e > start && /\s/.test(src[e - 1]!)) e--;
  toks.push({ k: 'eof', v: '', pos: e });
  return toks;
}

/**
 * Where the tag opened at `from` ends: the offset of `closer` outside string literals and
 * brackets (so `{{ {'a': {'b': 1}} }}` closes at the last `}}`), or -1.
 */
export function findTagEnd(src: string, from: number, closer: string): number {
  let depth = 0;
  for (let i = from; i < src.length; i++) {
    const c = src[i]!;
    if (c === '"' || c === "'") {
      for (i++; i < src.length && src[i] !== c; i++) if (src[i] === '\\') i++;
      continue;
    }
    if (depth === 0 && src.startsWith(closer, i)) return i;
    if (c === '(' || c === '[' || c === '{') depth++;
    else if ((c === ')' || c === ']' || c === '}') && depth > 0) depth--;
  }
  return -1;
}
