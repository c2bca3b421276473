// Global functions: range(), dict(), namespace(), lookup()/query()/q(), now(), lipsum-free.
// Lookups read on the control node, as Ansible's do: files relative to the role/playbook
// (files/, templates/ and the task's own directory), environment variables, command output.
import { execFileSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, isAbsolute, join, resolve } from 'node:path';
import { Callable, markFresh, markNamespace } from './values.js';
import type { Evaluator } from './evaluator.js';
import { tuple, define, isForbidden, isPlainObject, lookupVar, pyStr, truthy } from './values.js';
import { strftime } from './filters.js';
import { globToRegExp } from '../../loaders/patterns.js';

export const GLOBALS: Record<string, Callable> = Object.create(null) as Record<string, Callable>;

GLOBALS.range = new Callable('range', (ev, args, _kw, pos) => {
  const n = args.map((a) => ev.num(a, 'range', pos));
  const [start, stop, step] = n.length === 1 ? [0, n[0]!, 1] : [n[0]!, n[1]!, n[2] ?? 1];
  if (step === 0) return ev.fail('range() arg 3 must not be zero', pos);
  const out: number[] = [];
  for (let i = start; step > 0 ? i < stop : i > stop; i += step) {
    out.push(i);
    if (out.length > 1_000_000) return ev.fail('range() is too large (more than 1,000,000 items)', pos);
  }
  return markFresh(out);
});

GLOBALS.dict = new Callable('dict', (ev, args, kw, pos) => {
  const out: Record<string, unknown> = {};
  const src = args[0];
  if (isPlainObject(src)) for (const [k, v] of Object.entries(src)) define(out, k, v);
  else if (Array.isArray(src)) {
    for (const p of src) {
      if (!Array.isArray(p) || p.length !== 2) return ev.fail('dict() needs a list of [key, value] pairs', pos);
      const k = pyStr(p[0]);
      if (isForbidden(k)) return ev.fail(`dict key '${k}' is not allowed`, pos);
      define(out, k, p[1]);
    }
  }
  for (const [k, v] of Object.entries(kw)) define(out, k, v);
  return markFresh(out);
});

GLOBALS.namespace = new Callable('namespace', (_ev, args, kw) => {
  const out: Record<string, unknown> = {};
  if (isPlainObject(args[0])) Object.assign(out, args[0]);
  for (const [k, v] of Object.entries(kw)) define(out, k, v);
  return markNamespace(out);
});

GLOBALS.now = new Callable('now', (_ev, args, kw) => {
  const utc = truthy(kw.utc ?? args[0]);
  const fmt = kw.fmt ?? args[1];
  const d = new Date();
  return fmt ? strftime(pyStr(fmt), d, utc) : strftime('%Y-%m-%d %H:%M:%S.%f', d, utc);
});

// --- lookups -----------------------------------------------------------------------------------

type LookupFn = (ev: Evaluator, terms: unknown[], kw: Record<string, unknown>, pos: number) => unknown[];

/** Directories a relative lookup path is searched in, as Ansible's (role first, then playbook). */
function searchDirs(ev: Evaluator, sub: string): string[] {
  const dirs: string[] = [];
  const rolePath = lookupVar(ev.vars, 'role_path');
  if (rolePath.found && typeof rolePath.value === 'string') dirs.push(join(rolePath.value, sub), rolePath.value);
  const file = ev.opts.lookups?.file;
  if (file) {
    const d = dirname(resolve(file));
    dirs.push(join(d, sub), d, join(dirname(d), sub));
  }
  const pb = lookupVar(ev.vars, 'playbook_dir');
  if (pb.found && typeof pb.value === 'string') dirs.push(join(pb.value, sub), pb.value);
  dirs.push(join(process.cwd(), sub), process.cwd());
  return [...new Set(dirs)];
}

function findFile(ev: Evaluator, name: string, sub: string): string | undefined {
  if (isAbsolute(name)) return existsSync(name) ? name : undefined;
  for (const d of searchDirs(ev, sub)) {
    const p = join(d, name);
    if (existsSync(p) && statSync(p).isFile()) return p;
  }
  return undefined;
}

const flat = (terms: unknown[]): unknown[] => terms.flatMap((t) => (Array.isArray(t) ? t : [t]));

export const LOOKUPS: Record<string, LookupFn> = Object.create(null) as Record<string, LookupFn>;

LOOKUPS.file = (ev, terms, kw, pos) =>
  terms.map((t) => {
    const p = findFile(ev, pyStr(t), 'files');
    if (!p) return ev.fail(`lookup('file'): could not locate file in lookup: ${pyStr(t)}`, pos);
    const text = readFileSync(p, 'utf8');
    return kw.rstrip === undefined || truthy(kw.rstrip) ? text.replace(/\s+$/, '') : text;
  });
LOOKUPS.env = (_ev, terms, kw) => terms.map((t) => process.env[pyStr(t)] ?? (kw.default !== undefined ? kw.default : ''));
LOOKUPS.template = (ev, terms, kw, pos) =>
  terms.map((t) => {
    const p = findFile(ev, pyStr(t), 'templates');
    if (!p) return ev.fail(`lookup('template'): could not locate file in lookup: ${pyStr(t)}`, pos);
    const render = ev.opts.lookups?.renderFile;
    if (!render) return ev.fail(`lookup('template') is not available here`, pos);
    const extra = isPlainObject(kw.template_vars) ? kw.template_vars : {};
    return render(p, Object.assign(Object.create(ev.vars) as Record<string, unknown>, extra));
  });
LOOKUPS.pipe = (ev, terms, _kw, pos) =>
  terms.map((t) => {
    try {
      return execFileSync('/bin/sh', ['-c', pyStr(t)], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] }).replace(/\s+$/, '');
    } catch (e) {
      return ev.fail(`lookup('pipe'): command ${JSON.stringify(pyStr(t))} failed: ${(e as Error).message.split('\n')[0]}`, pos);
    }
  });
LOOKUPS.lines = (ev, terms, kw, pos) => LOOKUPS.pipe!(ev, terms, kw, pos).flatMap((s) => pyStr(s).split('\n'));
LOOKUPS.first_found = (ev, terms, kw, pos) => {
  let files: unknown[] = [];
  let paths: string[] = [];
  for (const t of flat(terms)) {
    if (isPlainObject(t)) {
      files.push(...flat([t.files ?? []]).flatMap((f) => pyStr(f).split(/[,;]/)));
      paths.push(...flat([t.paths ?? []]).flatMap((p) => pyStr(p).split(/[,:;]/)));
    } else files.push(t);
  }
  if (kw.files) files = flat([kw.files]);
  if (kw.paths) paths = flat([kw.paths]).map(pyStr);
  for (const f of files) {
    const name = pyStr(f);
    const candidates = paths.length ? paths.map((p) => join(p, name)) : [name];
    for (const c of candidates) {
      const hit = findFile(ev, c, 'files') ?? findFile(ev, c, 'templates') ?? findFile(ev, c, 'vars') ?? findFile(ev, c, 'tasks');
      if (hit) return [hit];
    }
  }
  if (truthy(kw.skip)) return [];
  return ev.fail(`lookup('first_found'): no file was found when using first_found (searched ${files.map(pyStr).join(', ')})`, pos);
};
// fileglob: the files (not directories) matching each pattern, in the first search directory (files/ first) holding its directory
LOOKUPS.fileglob = (ev, terms) =>
  terms.flatMap((t) => {
    const term = pyStr(t);
    const sub = dirname(term);
    const base = isAbsolute(term) ? [sub] : searchDirs(ev, 'files').map((d) => join(d, sub));
    const dir = base.find((d) => existsSync(d) && statSync(d).isDirectory());
    if (!dir) return [];
    const re = globToRegExp(term.slice(term.lastIndexOf('/') + 1));
    return readdirSync(dir).filter((n) => !n.startsWith('.') && re.test(n)).sort().map((n) => join(dir, n)).filter((p) => statSync(p).isFile());
  });
LOOKUPS.vars = (ev, terms, kw, pos) =>
  terms.map((t) => {
    const name = pyStr(t);
    if (isForbidden(name)) return ev.fail(`access to '${name}' is not allowed`, pos);
    const r = lookupVar(ev.vars, name);
    if (r.found) return r.value;
    if (kw.default !== undefined) return kw.default;
    return ev.fail(`lookup('vars'): no variable found with this name: ${name}`, pos);
  });
LOOKUPS.varnames = (ev, terms) => {
  const names: string[] = [];
  for (let o: object | null = ev.vars; o && o !== Object.prototype; o = Object.getPrototypeOf(o) as object | null) names.push(...Object.keys(o));
  return terms.flatMap((t) => [...new Set(names)].filter((n) => new RegExp(pyStr(t)).test(n)));
};
LOOKUPS.items = (_ev, terms) => flat(terms);
LOOKUPS.flattened = (_ev, terms) => terms.flat(Infinity);
LOOKUPS.list = (_ev, terms) => terms;
LOOKUPS.indexed_items = (_ev, terms) => flat(terms).map((x, i) => tuple([i, x]));
LOOKUPS.dict = (ev, terms, _kw, pos) =>
  terms.flatMap((t) => {
    if (!isPlainObject(t)) return ev.fail(`lookup('dict') expects a dict`, pos);
    return Object.entries(t).map(([key, value]) => ({ key, value }));
  });
LOOKUPS.together = (_ev, terms) => {
  const ls = terms.map((t) => (Array.isArray(t) ? t : [t]));
  const n = Math.max(0, ...ls.map((l) => l.length));
  return Array.from({ length: n }, (_, i) => ls.map((l) => (i < l.length ? l[i] : null)));
};
LOOKUPS.nested = (_ev, terms) => terms.map((t) => (Array.isArray(t) ? t : [t])).reduce<unknown[][]>((acc, l) => acc.flatMap((p) => l.map((x) => [...p, x])), [[]]);
LOOKUPS.sequence = (ev, terms, kw, pos) => {
  const out: string[] = [];
  const one = (spec: Record<string, unknown>): void => {
    const num = (x: unknown): number => (typeof x === 'number' ? x : /^0x/i.test(pyStr(x)) ? parseInt(pyStr(x), 16) : /^0o?[0-7]+$/.test(pyStr(x)) && pyStr(x).length > 1 ? parseInt(pyStr(x).replace(/^0o?/, ''), 8) : Number(x));
    const start = num(spec.start ?? 1);
    const stride = num(spec.stride ?? 1);
    const end = spec.count !== undefined ? start + (num(spec.count) - 1) * stride : num(spec.end);
    if (Number.isNaN(end) || Number.isNaN(start)) return ev.fail("lookup('sequence'): bad start/end/count", pos);
    const fmt = pyStr(spec.format ?? '%d');
    for (let i = start; stride > 0 ? i <= end : i >= end; i += stride) out.push(fmt.replace(/%0?(\d*)[dx]/, (m, w: string) => (m.endsWith('x') ? i.toString(16) : String(i)).padStart(Number(w || 0), m.startsWith('%0') ? '0' : ' ')));
  };
  for (const t of terms) {
    if (isPlainObject(t)) one(t);
    else {
      const s = pyStr(t);
      const spec: Record<string, unknown> = {};
      const short = /^(?:(\w+)-)?(\w+)(?:\/(\w+))?(?::(.+))?$/.exec(s.trim());
      if (!s.includes('=') && short) {
        if (short[1] !== undefined) spec.start = short[1];
        spec.end = short[2];
        if (short[3]) spec.stride = short[3];
        if (short[4]) spec.format = short[4];
      } else for (const kv of s.split(/\s+/).filter(Boolean)) spec[kv.split('=')[0]!] = kv.slice(kv.indexOf('=') + 1);
      one({ ...spec, ...kw });
    }
  }
  return out;
};
// The lookup (with_subelements) differs from the filter: item.0 is the element without the subelement key
LOOKUPS.subelements = (ev, terms, _kw, pos) => {
  const path = pyStr(terms[1]).split('.');
  return (ev.applyFilter('subelements', terms[0], terms.slice(1), {}, pos) as unknown[]).map((pair) => {
    const [outer, inner] = pair as [unknown, unknown];
    const strip = (o: unknown, keys: string[]): unknown => {
      if (!isPlainObject(o) || keys.length === 0) return o;
      const copy: Record<string, unknown> = { ...o };
      if (keys.length === 1) delete copy[keys[0]!];
      else copy[keys[0]!] = strip(copy[keys[0]!], keys.slice(1));
      return copy;
    };
    return tuple([strip(outer, path), inner]);
  });
};

function lookupCall(wantList: boolean): Callable {
  return new Callable(wantList ? 'query' : 'lookup', (ev, args, kw, pos) => {
    const name = pyStr(args[0]).replace(/^ansible\.builtin\./, '');
    const fn = Object.hasOwn(LOOKUPS, name) ? LOOKUPS[name] : undefined;
    if (!fn) return ev.unknown('lookup', name, Object.keys(LOOKUPS), pos);
    const { errors, wantlist, ...rest } = kw;
    let res: unknown[];
    try {
      res = fn(ev, args.slice(1), rest, pos);
    } catch (e) {
      if (errors === 'ignore') return wantList ? [] : null;
      throw e;
    }
    if (wantList || truthy(wantlist)) return res;
    // lookup() joins several results with commas, as Ansible's (a single one is returned as is)
    // (Ansible's ",".join: only a list of strings joins; anything else stays a list)
    if (res.length === 1) return res[0];
    return res.every((x) => typeof x === 'string') ? res.join(',') : res;
  });
}

GLOBALS.lookup = lookupCall(false);
GLOBALS.query = lookupCall(true);
GLOBALS.q = GLOBALS.query;
