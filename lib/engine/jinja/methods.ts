// Python methods on values (`s.split(',')`, `d.items()`, `l.index(x)`, `'{}'.format(x)`), as
// Jinja exposes them. Methods that change a value in place (append, update, …) only work on values
// the template itself created (see isFresh): variables are never modified.
import type { Evaluator } from './evaluator.js';
import { isFresh, markFresh } from './values.js';
import { tuple, define, isForbidden, isPlainObject, pyEquals, pyRepr, pyStr, typeName } from './values.js';
import { strFormat } from './pyformat.js';

const WS = ' \t\n\r\x0b\x0c';

function stripChars(s: string, chars: unknown, left: boolean, right: boolean): string {
  const set = chars === undefined || chars === null ? WS : pyStr(chars);
  let a = 0;
  let b = s.length;
  if (left) while (a < b && set.includes(s[a]!)) a++;
  if (right) while (b > a && set.includes(s[b - 1]!)) b--;
  return s.slice(a, b);
}

/** Python's str.splitlines(): every line break Python knows, no empty last line. */
export function pySplitlines(s: string): string[] {
  return s.split(/\r\n|[\n\r\x0b\x0c\x1c-\x1e\x85\u2028\u2029]/).filter((x, i, a) => i < a.length - 1 || x !== '');
}

/** Python's str.split(sep=None, maxsplit=-1). */
export function pySplit(s: string, sep: unknown, maxsplit: unknown = -1): string[] {
  const max = typeof maxsplit === 'number' ? maxsplit : -1;
  if (sep === undefined || sep === null) {
    const out: string[] = [];
    let rest = s.replace(/^\s+/, '');
    while (rest !== '') {
      if (max >= 0 && out.length === max) {
        out.push(rest.replace(/\s+$/, ''));
        break;
      }
      const m = /\s+/.exec(rest);
      if (!m) {
        out.push(rest);
        break;
      }
      out.push(rest.slice(0, m.index));
      rest = rest.slice(m.index + m[0].length);
    }
    return out;
  }
  const d = pyStr(sep);
  if (d === '') throw new Error('empty separator');
  const parts = s.split(d);
  if (max < 0 || parts.length <= max + 1) return parts;
  return [...parts.slice(0, max), parts.slice(max).join(d)];
}

function pyRsplit(s: string, sep: unknown, maxsplit: unknown = -1): string[] {
  const max = typeof maxsplit === 'number' ? maxsplit : -1;
  if (max < 0) return pySplit(s, sep);
  const rev = (x: string): string => [...x].reverse().join('');
  return pySplit(rev(s), sep === undefined || sep === null ? sep : rev(pyStr(sep)), max)
    .map(rev)
    .reverse();
}

function titleCase(s: string): string {
  return s.replace(/[A-Za-z]+/g, (w) => w[0]!.toUpperCase() + w.slice(1).toLowerCase());
}

export function callMethod(ev: Evaluator, v: unknown, name: string, args: unknown[], kw: Record<string, unknown>, pos: number): unknown {
  const s = (x: unknown): string => pyStr(x);
  const fail = (msg: string): never => ev.fail(msg, pos);
  const mutable = (): void => {
    if (!isFresh(v)) return fail(`'${name}' would change a variable in place; build a new value instead (e.g. x + [y], x | combine(y))`);
  };
  if (typeof v === 'string') {
    switch (name) {
      case 'startswith':
      case 'endswith': {
        const test = (p: unknown): boolean => (name === 'startswith' ? v.startsWith(s(p)) : v.endsWith(s(p)));
        return Array.isArray(args[0]) ? args[0].some(test) : test(args[0]);
      }
      case 'lower':
        return v.toLowerCase();
      case 'upper':
        return v.toUpperCase();
      case 'title':
        return titleCase(v);
      case 'capitalize':
        return v.charAt(0).toUpperCase() + v.slice(1).toLowerCase();
      case 'swapcase':
        return [...v].map((c) => (c === c.toUpperCase() ? c.toLowerCase() : c.toUpperCase())).join('');
      case 'strip':
        return stripChars(v, args[0], true, true);
      case 'lstrip':
        return stripChars(v, args[0], true, false);
      case 'rstrip':
        return stripChars(v, args[0], false, true);
      case 'split':
        try {
          return pySplit(v, args[0] ?? kw.sep, args[1] ?? kw.maxsplit);
        } catch (e) {
          return fail((e as Error).message);
        }
      case 'rsplit':
        return pyRsplit(v, args[0] ?? kw.sep, args[1] ?? kw.maxsplit);
      case 'splitlines':
        return pySplitlines(v);
      case 'replace': {
        const count = typeof args[2] === 'number' ? args[2] : -1;
        if (count < 0) return v.split(s(args[0])).join(s(args[1]));
        const parts = v.split(s(args[0]));
        return parts.slice(0, count + 1).join(s(args[1])) + (parts.length > count + 1 ? s(args[0]) + parts.slice(count + 1).join(s(args[0])) : '');
      }
      case 'find':
        return v.indexOf(s(args[0]));
      case 'rfind':
        return v.lastIndexOf(s(args[0]));
      case 'index':
      case 'rindex': {
        const i = name === 'index' ? v.indexOf(s(args[0])) : v.lastIndexOf(s(args[0]));
        if (i < 0) return fail('substring not found');
        return i;
      }
      case 'count':
        return s(args[0]) === '' ? v.length + 1 : v.split(s(args[0])).length - 1;
      case 'join': {
        if (!Array.isArray(args[0])) return fail('join() expects a list');
        return (args[0] as unknown[]).map(s).join(v);
      }
      case 'format':
        try {
          return strFormat(v, args, kw);
        } catch (e) {
          return fail((e as Error).message);
        }
      case 'isdigit':
      case 'isnumeric':
      case 'isdecimal':
        return /^\d+$/.test(v);
      case 'isalpha':
        return /^\p{L}+$/u.test(v);
      case 'isalnum':
        return /^[\p{L}\p{N}]+$/u.test(v);
      case 'isspace':
        return /^\s+$/.test(v);
      case 'islower':
        return /\p{Ll}/u.test(v) && v === v.toLowerCase();
      case 'isupper':
        return /\p{Lu}/u.test(v) && v === v.toUpperCase();
      case 'istitle':
        return /[A-Za-z]/.test(v) && titleCase(v) === v;
      case 'zfill': {
        const w = Number(args[0]);
        const sign = /^[+-]/.test(v) ? v[0]! : '';
        return sign + v.slice(sign.length).padStart(w - sign.length, '0');
      }
      case 'ljust':
        return v.padEnd(Number(args[0]), s(args[1] ?? ' '));
      case 'rjust':
        return v.padStart(Number(args[0]), s(args[1] ?? ' '));
      case 'center': {
        const w = Number(args[0]);
        const fill = s(args[1] ?? ' ');
        if (v.length >= w) return v;
        const total = w - v.length;
        // CPython: the extra pad goes left when the string's length is odd... (left = total/2 + (total & w & 1))
        const left = Math.floor(total / 2) + (total & w & 1);
        return fill.repeat(left) + v + fill.repeat(total - left);
      }
      case 'partition':
      case 'rpartition': {
        const sep = s(args[0]);
        const i = name === 'partition' ? v.indexOf(sep) : v.lastIndexOf(sep);
        if (i < 0) return tuple(name === 'partition' ? [v, '', ''] : ['', '', v]);
        return tuple([v.slice(0, i), sep, v.slice(i + sep.length)]);
      }
      case 'removeprefix':
        return v.startsWith(s(args[0])) ? v.slice(s(args[0]).length) : v;
      case 'removesuffix':
        return s(args[0]) && v.endsWith(s(args[0])) ? v.slice(0, -s(args[0]).length) : v;
      case 'encode':
      case 'decode':
        return v;
    }
  } else if (isPlainObject(v)) {
    switch (name) {
      case 'get': {
        const k = s(args[0]);
        if (isForbidden(k)) return fail(`access to '${k}' is not allowed`);
        return Object.hasOwn(v, k) ? v[k] : (args[1] ?? null);
      }
      case 'keys':
        return Object.keys(v);
      case 'values':
        return Object.values(v);
      case 'items':
        return Object.entries(v).map(tuple);
      case 'copy':
        // a copy belongs to the template, so it may be changed in place (x = d.copy(); x.update(...))
        return markFresh({ ...v });
      case 'update': {
        mutable();
        const src = args[0] ?? {};
        if (!isPlainObject(src)) return fail(`update() expects a dict, got ${typeName(src)}`);
        for (const [k, x] of [...Object.entries(src as Record<string, unknown>), ...Object.entries(kw)]) define(v, k, x);
        return null;
      }
      case 'setdefault': {
        const k = s(args[0]);
        if (!Object.hasOwn(v, k)) {
          mutable();
          define(v, k, args[1] ?? null);
        }
        return v[k];
      }
      case 'pop': {
        mutable();
        const k = s(args[0]);
        if (!Object.hasOwn(v, k)) return args.length > 1 ? args[1] : fail(`KeyError: ${pyRepr(args[0])}`);
        const out = v[k];
        delete v[k];
        return out;
      }
    }
  } else if (Array.isArray(v)) {
    switch (name) {
      case 'index': {
        const i = v.findIndex((x) => pyEquals(x, args[0]));
        if (i < 0) return fail(`${pyRepr(args[0])} is not in list`);
        return i;
      }
      case 'count':
        return v.filter((x) => pyEquals(x, args[0])).length;
      case 'copy':
        return markFresh([...v]);
      case 'append':
        mutable();
        v.push(args[0]);
        return null;
      case 'extend':
        mutable();
        if (!Array.isArray(args[0])) return fail('extend() expects a list');
        v.push(...(args[0] as unknown[]));
        return null;
      case 'insert':
        mutable();
        v.splice(Number(args[0]), 0, args[1]);
        return null;
      case 'pop': {
        mutable();
        if (!v.length) return fail('pop from empty list');
        const i = args.length ? Number(args[0]) : v.length - 1;
        return v.splice(i < 0 ? v.length + i : i, 1)[0];
      }
      case 'remove': {
        mutable();
        const i = v.findIndex((x) => pyEquals(x, args[0]));
        if (i < 0) return fail('list.remove(x): x not in list');
        v.splice(i, 1);
        return null;
      }
    }
  }
  fail(`${typeName(v)} has no method '${name}'`);
}
