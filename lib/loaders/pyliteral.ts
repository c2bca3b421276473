// Python's ast.literal_eval for the values of an INI inventory, as ansible's ini plugin reads them:
// `0x10` is 16, `[1, 2]` a list, `True` a boolean, `'a'` a string — but `true` stays the string
// "true" and anything that does not parse as a whole stays the text it is.

class NotLiteral extends Error {}

/** The value of `text` as a Python literal, or `text` itself when it is not one. */
export function pyLiteral(text: string): unknown {
  try {
    const p = new Parser(text);
    const v = p.value();
    p.skipSpace();
    if (!p.done()) return text;
    return v;
  } catch (e) {
    if (e instanceof NotLiteral) return text;
    throw e;
  }
}

class Parser {
  private i = 0;
  constructor(private readonly s: string) {}

  done(): boolean {
    return this.i >= this.s.length;
  }

  skipSpace(): void {
    while (this.i < this.s.length && /[ \t]/.test(this.s[this.i]!)) this.i++;
  }

  private fail(): never {
    throw new NotLiteral();
  }

  value(): unknown {
    this.skipSpace();
    const c = this.s[this.i];
    if (c === undefined) this.fail();
    if (c === '[') return this.seq(']');
    if (c === '(') return this.seq(')');
    if (c === '{') return this.dict();
    if (c === '"' || c === "'") return this.str();
    const m = /^[-+]?[ \t]*(?:0[xX][0-9a-fA-F_]+|0[oO][0-7_]+|0[bB][01_]+|(?:\d[\d_]*)?\.?\d[\d_]*(?:[eE][-+]?\d+)?|\d[\d_]*\.)(?![\w.])/.exec(this.s.slice(this.i));
    if (m) {
      this.i += m[0].length;
      return num(m[0].replace(/[ \t_]/g, ''));
    }
    const w = /^(True|False|None)(?!\w)/.exec(this.s.slice(this.i));
    if (w) {
      this.i += w[0].length;
      return w[1] === 'True' ? true : w[1] === 'False' ? false : null;
    }
    return this.fail();
  }

  private str(): string {
    let out = '';
    // adjacent literals concatenate, as in Python ('a' 'b')
    do {
      const q = this.s[this.i]!;
      this.i++;
      for (;;) {
        const c = this.s[this.i++];
        if (c === undefined) this.fail();
        if (c === q) break;
        if (c === '\\') {
          const n = this.s[this.i++];
          const map: Record<string, string> = { n: '\n', t: '\t', r: '\r', '0': '\0', '\\': '\\', "'": "'", '"': '"' };
          out += n !== undefined && n in map ? map[n]! : `\\${n ?? ''}`;
        } else out += c;
      }
      this.skipSpace();
    } while (this.s[this.i] === '"' || this.s[this.i] === "'");
    return out;
  }

  private seq(close: string): unknown[] {
    this.i++;
    const out: unknown[] = [];
    for (;;) {
      this.skipSpace();
      if (this.s[this.i] === close) {
        this.i++;
        return out;
      }
      out.push(this.value());
      this.skipSpace();
      if (this.s[this.i] === ',') this.i++;
      else if (this.s[this.i] !== close) this.fail();
    }
  }

  private dict(): Record<string, unknown> {
    this.i++;
    const out: Record<string, unknown> = {};
    for (;;) {
      this.skipSpace();
      if (this.s[this.i] === '}') {
        this.i++;
        return out;
      }
      const k = this.value();
      if (k !== null && typeof k === 'object') this.fail();
      this.skipSpace();
      if (this.s[this.i++] !== ':') this.fail();
      out[String(k === true ? 'True' : k === false ? 'False' : k === null ? 'None' : k)] = this.value();
      this.skipSpace();
      if (this.s[this.i] === ',') this.i++;
      else if (this.s[this.i] !== '}') this.fail();
    }
  }
}

function num(t: string): number {
  const neg = t.startsWith('-');
  const body = t.replace(/^[-+]/, '');
  let n: number;
  if (/^0[xX]/.test(body)) n = parseInt(body.slice(2), 16);
  else if (/^0[oO]/.test(body)) n = parseInt(body.slice(2), 8);
  else if (/^0[bB]/.test(body)) n = parseInt(body.slice(2), 2);
  else if (/^0\d+$/.test(body)) throw new NotLiteral(); // Python 3: leading zeros are a syntax error
  else n = Number(body);
  if (Number.isNaN(n)) throw new NotLiteral();
  return neg ? -n : n;
}
