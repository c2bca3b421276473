// find's name, age and size filters, as Ansible's find module reads them: Python's fnmatch (a glob on
// the whole basename, case-sensitive on POSIX, "*" matches a leading dot too), and "2d"/"-10k" amounts.
import { globToRegExp } from '../../loaders/patterns.js';

const cache = new Map<string, RegExp>();

export function fnmatch(name: string, glob: string): boolean {
  let re = cache.get(glob);
  if (!re) cache.set(glob, (re = globToRegExp(glob)));
  return re.test(name);
}

const AGE_UNITS: Record<string, number> = { s: 1, m: 60, h: 3600, d: 86400, w: 604800 };
const SIZE_UNITS: Record<string, number> = { b: 1, k: 1024, m: 1024 ** 2, g: 1024 ** 3, t: 1024 ** 4 };

function amount(v: string, units: Record<string, number>): number | undefined {
  const m = new RegExp(`^(-?\\d+)([${Object.keys(units).join('')}])?$`).exec(v.toLowerCase());
  return m ? Number(m[1]) * (units[m[2] ?? ''] ?? 1) : undefined;
}

/** Seconds: positive = at least that old, negative = at most. */
export function parseAge(v: string): number | undefined {
  return amount(v, AGE_UNITS);
}

/** Bytes: positive = at least that big, negative = at most. */
export function parseSize(v: string): number | undefined {
  return amount(v, SIZE_UNITS);
}
