// find's name, age and size filters, as Ansible's find module reads them: Python's fnmatch (a glob on
// the whole basename, case-sensitive on POSIX, "*" matches a leading dot too), and "2d"/"-10k" amounts.

/** Python's fnmatch.translate: *, ?, [seq], [!seq]; everything else literal. */
export function globToRegExp(glob: string): RegExp {
  let out = '';
  for (let i = 0; i < glob.length; i++) {
    const c = glob[i]!;
    if (c === '*') out += '[\\s\\S]*';
    else if (c === '?') out += '[\\s\\S]';
    else if (c === '[') {
      let j = i + 1;
      if (glob[j] === '!') j++;
      if (glob[j] === ']') j++;
      while (j < glob.length && glob[j] !== ']') j++;
      if (j >= glob.length) out += '\\[';
      else {
        let body = glob.slice(i + 1, j).replace(/\\/g, '\\\\');
        i = j;
        if (body.startsWith('!')) body = '^' + body.slice(1);
        else if (body.startsWith('^')) body = '\\' + body;
        out += `[${body}]`;
      }
    } else out += c.replace(/[.*+?^${}()|[\]\\/-]/g, '\\$&');
  }
  return new RegExp(`^(?:${out})$`, 'u');
}

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
