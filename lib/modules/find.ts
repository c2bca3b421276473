// find: files under paths that match names, age, size, type and content, with Ansible's per-file
// stat keys. ONE read-only request per host: the host lists every entry with find -printf (the
// metadata of each) and, when asked, which regular files contain the pattern (grep -P) and their
// sha1; the name, age, size, depth and hidden filters are applied here, on that listing.
import { randomBytes } from 'node:crypto';
import { posix } from 'node:path';
import { ArgumentError } from '../errors.js';
import { shq } from '../executor/types.js';
import { compileRegex, RegexError, type SafeRegex } from '../engine/safe-regex.js';
import { defineModule, ModuleFailure } from './types.js';
import { notOption } from './util/remote-file.js';
import { fnmatch, parseAge, parseSize } from './util/find-match.js';
import { modeString, numberKeys, permKeys } from './util/stat-keys.js';

export interface FindArgs {
  paths: string[];
  patterns: string[];
  excludes?: string[];
  contains?: string;
  read_whole_file: boolean;
  file_type: 'any' | 'directory' | 'file' | 'link';
  age?: string;
  age_stamp: 'atime' | 'ctime' | 'mtime';
  size?: string;
  recurse: boolean;
  hidden: boolean;
  follow: boolean;
  get_checksum: boolean;
  use_regex: boolean;
  depth?: number;
}

// type, mode, uid, gid, user, group, size, inode, dev, links, atime, mtime, ctime, depth, relative path
const FORMAT = '%y\\t%m\\t%U\\t%G\\t%u\\t%g\\t%s\\t%i\\t%D\\t%n\\t%A@\\t%T@\\t%C@\\t%d\\t%P\\0';

interface Entry {
  type: string;
  fields: string[];
  depth: number;
  rel: string;
}

function findScript(a: FindArgs, marker: string): string {
  const L = a.follow ? '-L ' : '';
  // not recursing: the first level; with depth: one level more than kept (Ansible counts it as examined)
  const max = !a.recurse ? '-maxdepth 1 ' : a.depth ? `-maxdepth ${a.depth + 1} ` : '';
  const lines = [`printf 'now=%s\\n' "$(date +%s.%N)"`];
  a.paths.forEach((path, i) => {
    const p = shq(notOption(path));
    const files = `find ${L}${p} -mindepth 1 ${max}-type f`;
    lines.push(
      `if [ ! -d ${p} ]; then printf '\\0${marker} skip ${i}\\0'; else`,
      `  printf '\\0${marker} list ${i}\\0'; find ${L}${p} -mindepth 1 ${max}-printf '${FORMAT}' 2>/dev/null`,
    );
    if (a.contains !== undefined) {
      // Ansible: re.match on each line (anchored at its start), or re.search on the whole file
      const grep = a.read_whole_file ? `grep -lzZP -- ${shq(a.contains)}` : `grep -lZP -- ${shq(`^(?:${a.contains})`)}`;
      lines.push(`  printf '\\0${marker} contains ${i}\\0'; ${files} -exec ${grep} {} + 2>/dev/null`);
    }
    if (a.get_checksum) lines.push(`  printf '\\0${marker} sha1 ${i}\\0'; ${files} -exec sha1sum -z -- {} + 2>/dev/null`);
    lines.push(`fi`);
  });
  lines.push(`printf '\\0${marker} end\\0'`, `exit 0`);
  return lines.join('\n') + '\n';
}

/** Sections of the answer, by kind and path index. */
function sections(raw: Buffer, marker: string): { now: number; parts: Map<string, string[]> } {
  const text = raw.toString('utf8');
  const nl = text.indexOf('\n');
  const now = Number(/^now=(.*)$/.exec(text.slice(0, nl))?.[1]);
  const parts = new Map<string, string[]>();
  const chunks = text.slice(nl + 1).split(`\0${marker} `);
  if (!chunks.at(-1)?.startsWith('end')) throw new ModuleFailure('find: the listing from the host was cut short');
  for (const c of chunks.slice(1, -1)) {
    const z = c.indexOf('\0');
    parts.set(c.slice(0, z), c.slice(z + 1).split('\0').filter((x) => x !== ''));
  }
  return { now, parts };
}

function parseEntry(rec: string): Entry | undefined {
  const f = rec.split('\t');
  if (f.length < 15) return undefined;
  // the relative path may itself hold tabs: it is everything after the 14th field
  return { type: f[0]!, fields: f, depth: Number(f[13]), rel: f.slice(14).join('\t') };
}

function statinfo(path: string, e: Entry): Record<string, unknown> {
  const [, m, uid, gid, user, group, size, inode, dev, nlink, atime, mtime, ctime] = e.fields;
  const mode = Number.parseInt(m!, 8);
  const name = (n: string, id: string): string => (n === id ? '' : n); // find prints the number when no name exists
  return {
    path,
    mode: modeString(mode),
    isdir: e.type === 'd',
    ischr: e.type === 'c',
    isblk: e.type === 'b',
    isreg: e.type === 'f',
    isfifo: e.type === 'p',
    islnk: e.type === 'l',
    issock: e.type === 's',
    // times as Python's floats, as stat's (an integral one still prints "….0")
    ...numberKeys([uid, gid, size, inode, dev, nlink, atime, mtime, ctime] as string[]),
    gr_name: name(group!, gid!),
    pw_name: name(user!, uid!),
    ...permKeys(mode),
  };
}

function compile(p: string, what: string): SafeRegex {
  try {
    return compileRegex(p);
  } catch (e) {
    if (e instanceof RegexError) throw new ArgumentError(`find: ${what} ${JSON.stringify(p)}: ${e.message}`);
    throw e;
  }
}

export default defineModule<FindArgs>({
  name: 'find',
  doc: {
    short: 'Find files by name, age, size, type or content; per-file stat keys as Ansible',
    description:
      'Registers {files: [...], matched, examined, skipped_paths, msg}; each file has Ansible\'s stat keys (path, mode, isdir, isreg, islnk, uid, gid, ' +
      'pw_name, gr_name, size, inode, dev, nlink, atime, mtime, ctime, the permission booleans) and, with get_checksum, its sha1 as checksum. ' +
      'patterns are shell globs on the basename (Python regexes with use_regex: re.match, anchored at the start); excludes drop what they match. ' +
      'age "2d" means at least 2 days old, "-2d" at most (s, m, h, d, w); size "10k" at least, "-10k" at most (b, k, m, g, t). ' +
      'contains is a regex matched at the start of each line (anywhere in the file with read_whole_file), run on the host with grep -P. ' +
      'One read-only request per host; files are listed sorted by path (Ansible: the directory\'s order).',
    check: 'full',
    diff: false,
    examples: [
      '- find: { paths: /var/log, patterns: "*.gz", age: 4w, recurse: true }\n  register: old_logs',
      '- find: { paths: [/etc/etcd], patterns: ["^.*\\\\.pem$"], use_regex: true, get_checksum: true }',
    ].join('\n'),
  },
  args: {
    paths: { type: 'list', elements: 'str', required: true, aliases: ['name', 'path'], description: 'Directories to search (a comma-separated string works too).' },
    patterns: { type: 'list', elements: 'str', default: [], aliases: ['pattern'], description: 'Basename globs (regexes with use_regex); any one must match. Default: everything.' },
    excludes: { type: 'list', elements: 'str', aliases: ['exclude'], description: 'Basename globs (regexes with use_regex) of entries to leave out.' },
    contains: { type: 'str', description: 'A regex that a line of the file must match from its start (file_type file only).' },
    read_whole_file: { type: 'bool', default: false, description: 'contains searches the whole file instead of matching each line.' },
    file_type: { type: 'str', default: 'file', choices: ['any', 'directory', 'file', 'link'], description: 'Type of entries to return.' },
    age: { type: 'str', description: 'At least this old ("2d"), or at most ("-2d"); units s, m, h, d, w (default s).' },
    age_stamp: { type: 'str', default: 'mtime', choices: ['atime', 'ctime', 'mtime'], description: 'The timestamp age is measured on.' },
    size: { type: 'str', description: 'At least this size ("10m"), or at most ("-10m"); units b, k, m, g, t (default b). Regular files only.' },
    recurse: { type: 'bool', default: false, description: 'Descend into subdirectories.' },
    depth: { type: 'int', description: 'With recurse, how many levels deep (1: the entries of paths themselves).' },
    hidden: { type: 'bool', default: false, description: 'Include entries whose name starts with "."; their contents are searched either way.' },
    follow: { type: 'bool', default: false, description: 'Descend into symlinked directories.' },
    get_checksum: { type: 'bool', default: false, description: 'Add the sha1 of each regular file as checksum.' },
    use_regex: { type: 'bool', default: false, description: 'patterns and excludes are Python regexes (re.match) instead of globs.' },
  },
  validate(a) {
    if (a.age !== undefined && parseAge(a.age) === undefined) throw new ArgumentError(`find: failed to process age ${JSON.stringify(a.age)}`);
    if (a.size !== undefined && parseSize(a.size) === undefined) throw new ArgumentError(`find: failed to process size ${JSON.stringify(a.size)}`);
    if (a.use_regex) for (const p of [...a.patterns, ...(a.excludes ?? [])]) compile(p, 'pattern');
    if (a.contains !== undefined) compile(a.contains, 'contains');
  },
  async plan(ctx, a) {
    const marker = 'BFIND' + randomBytes(8).toString('hex');
    const r = await ctx.conn.exec(findScript(a, marker), { label: 'find', readOnly: true });
    if (r.exitCode !== 0) throw new ModuleFailure(`find failed: ${r.stderr.trim() || `exit ${r.exitCode}`}`);
    const { now, parts } = sections(r.raw, marker);
    const patterns = a.patterns.length ? a.patterns : [a.use_regex ? '.*' : '*'];
    const matcher = (ps: string[]): ((name: string) => boolean) => {
      if (a.use_regex) {
        const res = ps.map((p) => compile(p, 'pattern'));
        return (n) => res.some((re) => re.match(n) !== null);
      }
      return (n) => ps.some((p) => fnmatch(n, p));
    };
    const wanted = matcher(patterns);
    const excluded = a.excludes?.length ? matcher(a.excludes) : () => false;
    const age = a.age === undefined ? undefined : parseAge(a.age)!;
    const size = a.size === undefined ? undefined : parseSize(a.size)!;
    const stampField = { atime: 10, mtime: 11, ctime: 12 }[a.age_stamp];
    const files: Array<Record<string, unknown>> = [];
    const skipped: Record<string, string> = {};
    let examined = 0;
    a.paths.forEach((root, i) => {
      if (parts.has(`skip ${i}`)) {
        skipped[root] = `'${root}' is not a directory`;
        return;
      }
      const list = (parts.get(`list ${i}`) ?? []).map(parseEntry).filter((e): e is Entry => e !== undefined);
      const hasContent = new Set(parts.get(`contains ${i}`) ?? []);
      const sums = new Map((parts.get(`sha1 ${i}`) ?? []).map((l) => [l.slice(42), l.slice(0, 40)] as const));
      examined += list.length;
      for (const e of list) {
        if (a.recurse && a.depth && e.depth > a.depth) continue;
        const name = posix.basename(e.rel);
        if (name.startsWith('.') && !a.hidden) continue;
        if (!wanted(name) || excluded(name)) continue;
        const ts = Number(e.fields[stampField]);
        if (age !== undefined && !(age >= 0 ? now - ts >= age : now - ts <= -age)) continue;
        const isReg = e.type === 'f';
        const sizeOk = size === undefined || (size >= 0 ? Number(e.fields[6]) >= size : Number(e.fields[6]) <= -size);
        const hostPath = `${root.replace(/\/+$/, '')}/${e.rel}`;
        const path = posix.normalize(hostPath);
        const keep =
          a.file_type === 'any' ? !isReg || sizeOk
          : a.file_type === 'directory' ? e.type === 'd'
          : a.file_type === 'link' ? e.type === 'l'
          : isReg && sizeOk && (a.contains === undefined || hasContent.has(notOption(hostPath)) || hasContent.has(hostPath));
        if (!keep) continue;
        const info = statinfo(path, e);
        if (isReg && a.get_checksum && a.file_type !== 'directory' && a.file_type !== 'link') {
          const sum = sums.get(notOption(hostPath)) ?? sums.get(hostPath);
          if (sum !== undefined) info.checksum = sum;
        }
        files.push(info);
      }
    });
    files.sort((x, y) => (String(x.path) < String(y.path) ? -1 : 1));
    const msg = Object.keys(skipped).length ? 'Not all paths examined, check warnings for details' : 'All paths examined';
    const warnings = Object.entries(skipped).map(([p, why]) => `Skipped '${p}' path due to this access issue: ${why}\n`);
    for (const w of warnings) ctx.log(0, `[WARNING]: ${w.trimEnd()}`);
    return { changed: false, msg, result: { files, matched: files.length, examined, skipped_paths: skipped, msg, ...(warnings.length ? { warnings } : {}) } };
  },
  async apply(_ctx, _args, plan) {
    return { changed: false, msg: plan.msg, result: plan.result };
  },
});
