// Shell words, both ways, in one place: quoting a value for a POSIX sh command line (shq) and
// splitting a line into words like Python's shlex.split in POSIX mode (quotes group, backslash
// escapes, no expansion) — what Ansible does for `command:` lines, INI inventory lines and
// ansible_ssh_common_args.
import { ArgumentError } from '../errors.js';

/** POSIX single-quote quoting: safe for sh, dash, bash, busybox. */
export function shq(s: string): string {
  if (s === '') return "''";
  if (/^[A-Za-z0-9_@%+=:,./-]+$/.test(s)) return s;
  return "'" + s.replace(/'/g, `'\\''`) + "'";
}

export interface SplitOptions {
  /** `#` outside quotes starts a comment to the end of the line (INI inventories). */
  comments?: boolean;
  /** Builds the error for an unterminated quote (default: ArgumentError naming the command). */
  error?: (message: string) => Error;
}

export function shlexSplit(line: string, opts: SplitOptions = {}): string[] {
  const fail = (which: string): Error => (opts.error ? opts.error(`unterminated ${which} quote`) : new ArgumentError(`unterminated ${which} quote in command: ${line}`));
  const words: string[] = [];
  let cur = '';
  let inWord = false;
  let i = 0;
  while (i < line.length) {
    const c = line[i]!;
    if (c === "'") {
      const end = line.indexOf("'", i + 1);
      if (end < 0) throw fail('single');
      cur += line.slice(i + 1, end);
      inWord = true;
      i = end + 1;
    } else if (c === '"') {
      i++;
      for (;;) {
        if (i >= line.length) throw fail('double');
        const d = line[i]!;
        if (d === '"') break;
        // Inside double quotes a backslash only escapes \ " $ ` and newline (POSIX).
        if (d === '\\' && i + 1 < line.length && '\\"$`\n'.includes(line[i + 1]!)) {
          if (line[i + 1] !== '\n') cur += line[i + 1];
          i += 2;
        } else {
          cur += d;
          i++;
        }
      }
      inWord = true;
      i++;
    } else if (c === '\\') {
      if (i + 1 < line.length && line[i + 1] !== '\n') cur += line[i + 1];
      inWord = true;
      i += 2;
    } else if (opts.comments && c === '#') {
      break; // a comment runs to the end of the line (outside quotes, as shlex with comments=True)
    } else if (/\s/.test(c)) {
      if (inWord) words.push(cur);
      cur = '';
      inWord = false;
      i++;
    } else {
      cur += c;
      inWord = true;
      i++;
    }
  }
  if (inWord) words.push(cur);
  return words;
}
