// The test table (`x is name(args)`, select('name')): Jinja's builtin tests and Ansible's. Add an
// entry to TESTS (or call registerTest) to extend it.
import type { FilterCtx } from './filters.js';
import { Undef, isFloat, isNum, isPlainObject, pyCompare, pyEquals, pyStr, truthy, typeName } from './values.js';
import { compileRegex, RegexError } from './regex.js';
import { isAbsolute } from 'node:path';
import { existsSync, statSync, lstatSync } from 'node:fs';

export type TestFn = (ctx: FilterCtx, value: unknown, args: unknown[], kw: Record<string, unknown>) => boolean;
export interface TestDef {
  fn: TestFn;
  /** receives an undefined value (defined/undefined) instead of failing on it */
  undefinedOk?: boolean;
}

export const TESTS: Record<string, TestDef> = Object.create(null) as Record<string, TestDef>;

export function registerTest(name: string, def: TestDef | TestFn): void {
  TESTS[name] = typeof def === 'function' ? { fn: def } : def;
}
const T = registerTest;

function need(ctx: FilterCtx, args: unknown[], n = 1): void {
  if (args.length < n) return ctx.fail(`needs ${n} argument(s)`);
}

function registered(ctx: FilterCtx, v: unknown): Record<string, unknown> {
  if (!isPlainObject(v)) return ctx.fail(`expects a registered task result (a dict), got ${typeName(v)}`);
  return v;
}

function cmp(ctx: FilterCtx, a: unknown, b: unknown): number {
  const c = pyCompare(a, b);
  if (typeof c === 'string') return ctx.fail(c);
  return c;
}

/** Ansible's version test: loose (LooseVersion-like) and strict/semver comparison. */
function versionParts(v: string, type: string): Array<number | string> {
  if (type === 'semver' || type === 'semantic') {
    const m = /^v?(\d+)\.(\d+)\.(\d+)(?:-([0-9A-Za-z.-]+))?(?:\+[0-9A-Za-z.-]+)?$/.exec(v);
    if (!m) throw new Error(`invalid semantic version '${v}'`);
    return [Number(m[1]), Number(m[2]), Number(m[3]), m[4] === undefined ? '~' : m[4]];
  }
  if (type === 'strict') {
    const m = /^(\d+)\.(\d+)(?:\.(\d+))?(?:([ab])(\d+))?$/.exec(v);
    if (!m) throw new Error(`invalid version number '${v}'`);
    return [Number(m[1]), Number(m[2]), Number(m[3] ?? 0), m[4] ?? '~', Number(m[5] ?? 0)];
  }
  return (v.match(/\d+|[a-z]+|\.|[^\d\w.]+/gi) ?? []).filter((p) => p !== '.').map((p) => (/^\d+$/.test(p) ? Number(p) : p));
}

function compareVersions(a: string, b: string, type: string): number {
  const x = versionParts(a, type);
  const y = versionParts(b, type);
  for (let i = 0; i < Math.max(x.length, y.length); i++) {
    if (i >= x.length) return -1;
    if (i >= y.length) return 1;
    const p = x[i]!;
    const q = y[i]!;
    if (p === q) continue;
    if (typeof p === 'number' && typeof q === 'number') return p - q;
    // LooseVersion compares int with str as Python 2 did: numbers first
    if (typeof p === 'number') return type === 'loose' ? -1 : 1;
    if (typeof q === 'number') return type === 'loose' ? 1 : -1;
    return p < q ? -1 : 1;
  }
  return 0;
}

const OPS: Record<string, (c: number) => boolean> = {
  '<': (c) => c < 0, lt: (c) => c < 0, '<=': (c) => c <= 0, le: (c) => c <= 0, '>': (c) => c > 0, gt: (c) => c > 0,
  '>=': (c) => c >= 0, ge: (c) => c >= 0, '==': (c) => c === 0, '=': (c) => c === 0, eq: (c) => c === 0, '!=': (c) => c !== 0, '<>': (c) => c !== 0, ne: (c) => c !== 0,
};

T('defined', { undefinedOk: true, fn: (_c, v) => !(v instanceof Undef) });
T('undefined', { undefinedOk: true, fn: (_c, v) => v instanceof Undef });
T('none', (_c, v) => v === null || v === undefined);
T('truthy', (_c, v, a, kw) => (truthy(kw.convert_bool ?? a[0]) && typeof v === 'string' ? ['yes', 'on', '1', 'true'].includes(v.toLowerCase()) : truthy(v)));
T('falsy', (_c, v, a, kw) => (truthy(kw.convert_bool ?? a[0]) && typeof v === 'string' ? !['yes', 'on', '1', 'true'].includes(v.toLowerCase()) : !truthy(v)));
T('true', (_c, v) => v === true);
T('false', (_c, v) => v === false);
T('boolean', (_c, v) => typeof v === 'boolean');
T('string', (_c, v) => typeof v === 'string');
T('number', (_c, v) => isNum(v));
T('integer', (_c, v) => typeof v === 'number' && Number.isInteger(v));
T('float', (_c, v) => isFloat(v));
T('mapping', (_c, v) => isPlainObject(v));
T('sequence', (_c, v) => Array.isArray(v) || typeof v === 'string' || isPlainObject(v));
T('iterable', (_c, v) => Array.isArray(v) || typeof v === 'string' || isPlainObject(v));
T('callable', (_c, v) => typeof v === 'function' || (typeof v === 'object' && v !== null && v.constructor?.name === 'Callable'));
T('lower', (_c, v) => typeof v === 'string' && v === v.toLowerCase());
T('upper', (_c, v) => typeof v === 'string' && v === v.toUpperCase());
T('sameas', (c, v, a) => {
  need(c, a);
  return v === a[0] || ((v === undefined || v === null) && (a[0] === null || a[0] === undefined));
});
for (const n of ['eq', 'equalto', '==']) T(n, (c, v, a) => (need(c, a), pyEquals(v, a[0])));
for (const n of ['ne', '!=']) T(n, (c, v, a) => (need(c, a), !pyEquals(v, a[0])));
for (const [n, f] of [['lt', (x: number) => x < 0], ['<', (x: number) => x < 0], ['le', (x: number) => x <= 0], ['<=', (x: number) => x <= 0], ['gt', (x: number) => x > 0], ['>', (x: number) => x > 0], ['ge', (x: number) => x >= 0], ['>=', (x: number) => x >= 0], ['lessthan', (x: number) => x < 0], ['greaterthan', (x: number) => x > 0]] as const) {
  T(n, (c, v, a) => (need(c, a), f(cmp(c, v, a[0]))));
}
T('in', (c, v, a) => (need(c, a), c.ev.contains(a[0], v, c.pos)));
T('contains', (c, v, a) => (need(c, a), c.ev.contains(v, a[0], c.pos)));
T('even', (c, v) => Math.abs(c.ev.num(v, 'even', c.pos) % 2) === 0);
T('odd', (c, v) => Math.abs(c.ev.num(v, 'odd', c.pos) % 2) === 1);
T('divisibleby', (c, v, a) => (need(c, a), c.ev.num(v, 'divisibleby', c.pos) % c.ev.num(a[0], 'divisibleby', c.pos) === 0));
for (const n of ['match', 'search', 'regex']) {
  T(n, (c, v, a, kw) => {
    if (typeof v !== 'string') return c.fail(`expects a string, got ${typeName(v)}`);
    const pat = a[0] ?? kw.pattern;
    if (typeof pat !== 'string') return c.fail('expects a pattern string');
    let re;
    try {
      re = compileRegex(pat, { ignorecase: truthy(kw.ignorecase ?? a[1]), multiline: truthy(kw.multiline ?? a[2]) });
    } catch (e) {
      if (e instanceof RegexError) return c.fail(`invalid regular expression '${pat}': ${e.message}`);
      throw e;
    }
    const mode = n === 'regex' ? pyStr(kw.match_type ?? a[3] ?? 'search') : n;
    return (mode === 'match' ? re.match(v) : re.search(v)) !== null;
  });
}
for (const n of ['succeeded', 'success', 'successful']) T(n, (c, v) => !truthy(registered(c, v).failed));
for (const n of ['failed', 'failure']) T(n, (c, v) => truthy(registered(c, v).failed));
for (const n of ['changed', 'change']) T(n, (c, v) => truthy(registered(c, v).changed));
for (const n of ['skipped', 'skip']) T(n, (c, v) => truthy(registered(c, v).skipped));
T('finished', (c, v) => registered(c, v).finished !== 0);
T('unreachable', (c, v) => truthy(registered(c, v).unreachable));
T('reachable', (c, v) => !truthy(registered(c, v).unreachable));
for (const n of ['version', 'version_compare']) {
  T(n, (c, v, a, kw) => {
    const op = pyStr(a[1] ?? kw.operator ?? 'eq');
    const strict = truthy(a[2] ?? kw.strict);
    const type = pyStr(kw.version_type ?? (strict ? 'strict' : 'loose'));
    if (!Object.hasOwn(OPS, op)) return c.fail(`invalid operator '${op}'`);
    if (v === '' || v === null) return c.fail('input version value cannot be empty');
    try {
      return OPS[op]!(compareVersions(pyStr(v), pyStr(a[0] ?? kw.version), type));
    } catch (e) {
      return c.fail((e as Error).message);
    }
  });
}
for (const n of ['subset', 'issubset']) T(n, (c, v, a) => (need(c, a), (v as unknown[]).every((x) => (a[0] as unknown[]).some((y) => pyEquals(x, y)))));
for (const n of ['superset', 'issuperset']) T(n, (c, v, a) => (need(c, a), (a[0] as unknown[]).every((x) => (v as unknown[]).some((y) => pyEquals(x, y)))));
T('any', (_c, v) => Array.isArray(v) && v.some(truthy));
T('all', (_c, v) => Array.isArray(v) && v.every(truthy));
T('abs', (_c, v) => isAbsolute(pyStr(v)));
T('exists', (_c, v) => existsSync(pyStr(v)));
T('file', (_c, v) => existsSync(pyStr(v)) && statSync(pyStr(v)).isFile());
for (const n of ['directory', 'is_dir']) T(n, (_c, v) => existsSync(pyStr(v)) && statSync(pyStr(v)).isDirectory());
for (const n of ['link', 'is_link']) T(n, (_c, v) => { try { return lstatSync(pyStr(v)).isSymbolicLink(); } catch { return false; } });
T('nan', (_c, v) => typeof v === 'number' && Number.isNaN(v));
T('vault_encrypted', (_c, v) => typeof v === 'string' && v.startsWith('$ANSIBLE_VAULT;'));

for (const n of Object.keys(TESTS)) if (!n.includes('.')) TESTS[`ansible.builtin.${n}`] = TESTS[n]!;
