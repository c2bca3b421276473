// assemble's concatenation, byte for byte as Ansible's: fragments in sorted name order, a newline
// added after one that lacks it, the delimiter (Python escape sequences decoded) between fragments
// and always followed by a newline.

export interface Fragment {
  name: string;
  data: Buffer;
}

const SIMPLE: Record<string, number> = { '\\': 0x5c, "'": 0x27, '"': 0x22, a: 7, b: 8, f: 12, n: 10, r: 13, t: 9, v: 11 };

/** Python's codecs.escape_decode: \n, \t, \xHH, \ooo… decoded; an unknown escape stays as written. */
export function escapeDecode(input: Buffer): Buffer {
  const s = input.toString('latin1');
  const out: number[] = [];
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c !== 0x5c) {
      out.push(c);
      continue;
    }
    if (i + 1 >= s.length) throw new Error('Trailing \\ in string');
    const e = s[++i]!;
    if (e in SIMPLE) out.push(SIMPLE[e]!);
    else if (e === '\n') continue;
    else if (/[0-7]/.test(e)) {
      let oct = e;
      while (oct.length < 3 && /[0-7]/.test(s[i + 1] ?? '')) oct += s[++i];
      out.push(Number.parseInt(oct, 8) & 0xff);
    } else if (e === 'x') {
      const hex = s.slice(i + 1, i + 3);
      if (!/^[0-9a-fA-F]{2}$/.test(hex)) throw new Error(`invalid \\x escape at position ${i - 1}`);
      out.push(Number.parseInt(hex, 16));
      i += 2;
    } else out.push(0x5c, e.charCodeAt(0));
  }
  return Buffer.from(out);
}

/** Python's sorted() on names: by code point. */
export function byCodePoint(a: string, b: string): number {
  const x = [...a];
  const y = [...b];
  for (let i = 0; i < Math.min(x.length, y.length); i++) {
    const d = x[i]!.codePointAt(0)! - y[i]!.codePointAt(0)!;
    if (d) return d;
  }
  return x.length - y.length;
}

/** The assembled bytes of `frags`, already filtered and in order. */
export function assembleFragments(frags: readonly Fragment[], delimiter: string | undefined): Buffer {
  const parts: Buffer[] = [];
  const NL = Buffer.from('\n');
  let delim: Buffer | undefined = delimiter ? Buffer.from(delimiter, 'utf8') : undefined;
  let addNewline = false;
  frags.forEach((f, i) => {
    if (addNewline) parts.push(NL);
    if (i > 0 && delim?.length) {
      // Ansible decodes the delimiter again at each use (it keeps the decoded bytes): so is it here
      delim = escapeDecode(delim);
      parts.push(delim);
      if (delim.at(-1) !== 10) parts.push(NL);
    }
    parts.push(f.data);
    addNewline = !(f.data.at(-1) === 10);
  });
  return Buffer.concat(parts);
}
