// Python string formatting: `"%s-%05d" % (a, b)`, the `format` filter, and `"{} {name}".format()`.
import { PyFloat, isPlainObject, isTuple, pyRepr, pyStr, typeName } from './values.js';

function pad(s: string, width: number, flags: string, numeric: boolean): string {
  if (s.length >= width) return s;
  if (flags.includes('-')) return s.padEnd(width);
  if (numeric && flags.includes('0')) {
    const sign = /^[+-]/.test(s) ? s[0]! : '';
    return sign + s.slice(sign.length).padStart(width - sign.length, '0');
  }
  return s.padStart(width);
}

function num(v: unknown, conv: string): number {
  if (typeof v === 'number') return v;
  if (v instanceof PyFloat) return v.v;
  if (typeof v === 'boolean') return v ? 1 : 0;
  throw new Error(`%${conv} format: a real number is required, not ${typeName(v)}`);
}

/** One conversion of printf-style formatting. */
function conv1(c: string, v: unknown, flags: string, width: number, prec: number | undefined): string {
  let s: string;
  let numeric = true;
  switch (c) {
    case 's':
      s = pyStr(v);
      if (prec !== undefined) s = s.slice(0, prec);
      numeric = false;
      break;
    case 'r':
      s = pyRepr(v);
      numeric = false;
      break;
    case 'd':
    case 'i':
    case 'u':
      s = String(Math.trunc(num(v, c)));
      break;
    case 'f':
    case 'F':
      s = num(v, c).toFixed(prec ?? 6);
      break;
    case 'e':
    case 'E': {
      s = num(v, c)
        .toExponential(prec ?? 6)
        .replace(/e([+-])(\d)$/, 'e$10$2');
      if (c === 'E') s = s.toUpperCase();
      break;
    }
    case 'g':
    case 'G': {
      const n = num(v, c);
      const p = prec === undefined ? 6 : prec || 1;
      const exp = n === 0 ? 0 : Math.floor(Math.log10(Math.abs(n)));
      s = exp < -4 || exp >= p ? n.toExponential(p - 1).replace(/\.?0+e/, 'e').replace(/e([+-])(\d)$/, 'e$10$2') : String(Number(n.toPrecision(p)));
      if (c === 'G') s = s.toUpperCase();
      break;
    }
    case 'x':
    case 'X':
    case 'o': {
      const n = Math.trunc(num(v, c));
      s = (n < 0 ? '-' : '') + Math.abs(n).toString(c === 'o' ? 8 : 16);
      if (flags.includes('#')) s = s.replace(/^(-?)/, `$1${c === 'o' ? '0o' : '0x'}`);
      if (c === 'X') s = s.toUpperCase();
      break;
    }
    case 'c':
      s = typeof v === 'number' ? String.fromCodePoint(v) : pyStr(v);
      numeric = false;
      break;
    default:
      throw new Error(`unsupported format character '${c}'`);
  }
  if (numeric && !s.startsWith('-')) {
    if (flags.includes('+')) s = '+' + s;
    else if (flags.includes(' ')) s = ' ' + s;
  }
  return pad(s, width, flags, numeric);
}

/** `fmt % args`: args is a list (tuple), a mapping (for `%(name)s`) or one value. */
export function percentFormat(fmt: string, args: unknown): string {
  // Python spreads only a tuple over the conversions: a list is one value ('%s' % [1, 2] is '[1, 2]')
  const list = Array.isArray(args) && isTuple(args) ? args : [args];
  let i = 0;
  const out = fmt.replace(/%(?:\((\w+)\))?([-+ 0#]*)(\*|\d+)?(?:\.(\*|\d+))?([a-zA-Z%])/g, (all, key: string | undefined, flags: string, w: string | undefined, p: string | undefined, c: string) => {
    if (c === '%' && !key && !flags && !w && !p) return '%';
    const next = (): unknown => {
      if (i >= list.length) throw new Error('not enough arguments for format string');
      return list[i++];
    };
    const width = w === '*' ? Number(next()) : w ? Number(w) : 0;
    const prec = p === '*' ? Number(next()) : p !== undefined ? Number(p) : undefined;
    let v: unknown;
    if (key !== undefined) {
      if (!isPlainObject(args)) throw new Error('format requires a mapping');
      if (!Object.hasOwn(args, key)) throw new Error(`KeyError: '${key}'`);
      v = args[key];
    } else v = next();
    return conv1(c, v, flags, width, prec);
  });
  if (!isPlainObject(args) && i < list.length) throw new Error('not all arguments converted during string formatting');
  return out;
}

/** A `{:spec}` of str.format: [[fill]align][sign][#][0][width][,][.precision][type]. */
function formatSpec(v: unknown, spec: string): string {
  const m = /^(?:(.)?([<>^=]))?([+\- ])?(#)?(0)?(\d+)?([,_])?(?:\.(\d+))?([bcdeEfFgGnosxX%])?$/s.exec(spec);
  if (!m) throw new Error(`invalid format specifier '${spec}'`);
  const [, fill0, align0, sign, alt, zero, w, group, p, type] = m;
  let s: string;
  if (type && type !== 's') s = conv1(type === 'n' ? 'd' : type === 'b' ? 'd' : type === '%' ? 'f' : type, type === '%' ? Number(v) * 100 : v, (sign ?? '') + (alt ?? ''), 0, p !== undefined ? Number(p) : undefined);
  else if (typeof v === 'number' && p !== undefined && !type) s = conv1('g', v, sign ?? '', 0, Number(p));
  else {
    s = pyStr(v);
    if (p !== undefined) s = s.slice(0, Number(p));
  }
  if (type === 'b') s = Math.trunc(Number(v)).toString(2);
  if (type === '%') s += '%';
  if (group) s = s.replace(/^(-?\d+)/, (d) => d.replace(/\B(?=(\d{3})+(?!\d))/g, group));
  const width = w ? Number(w) : 0;
  const isNum = typeof v === 'number' || v instanceof PyFloat;
  const fill = fill0 ?? (zero && !align0 ? '0' : ' ');
  const align = align0 ?? (zero ? '=' : isNum ? '>' : '<');
  if (s.length >= width) return s;
  const n = width - s.length;
  if (align === '<') return s + fill.repeat(n);
  if (align === '>') return fill.repeat(n) + s;
  if (align === '^') return fill.repeat(Math.floor(n / 2)) + s + fill.repeat(n - Math.floor(n / 2));
  const sgn = /^[+\- ]/.test(s) ? s[0]! : '';
  return sgn + fill.repeat(n) + s.slice(sgn.length);
}

/** `"{} {0} {name} {x[0]} {:>5}".format(...)`. */
export function strFormat(fmt: string, args: unknown[], kwargs: Record<string, unknown>): string {
  let auto = 0;
  return fmt.replace(/\{\{|\}\}|\{([^{}!:]*)(?:!([rsa]))?(?::([^{}]*))?\}/g, (all, field: string | undefined, conv: string | undefined, spec: string | undefined) => {
    if (all === '{{') return '{';
    if (all === '}}') return '}';
    const path = /^([^.[]*)(.*)$/.exec(field ?? '')!;
    let v: unknown;
    if (path[1] === '') v = args[auto++];
    else if (/^\d+$/.test(path[1]!)) v = args[Number(path[1])];
    else {
      if (!Object.hasOwn(kwargs, path[1]!)) throw new Error(`KeyError: '${path[1]}'`);
      v = kwargs[path[1]!];
    }
    for (const step of path[2]!.matchAll(/\.(\w+)|\[([^\]]+)\]/g)) {
      const k = step[1] ?? step[2]!;
      if (Array.isArray(v) && /^\d+$/.test(k)) v = v[Number(k)];
      else if (isPlainObject(v) && Object.hasOwn(v, k)) v = v[k];
      else throw new Error(`cannot look up '${k}' in a format field`);
    }
    if (conv === 'r' || conv === 'a') v = pyRepr(v);
    else if (conv === 's') v = pyStr(v);
    return spec ? formatSpec(v, spec) : pyStr(v);
  });
}
