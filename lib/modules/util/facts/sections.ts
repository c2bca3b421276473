// The probe's output (script.ts) back into the sections the parsers read (system.ts, hardware.ts,
// network.ts). The probe starts as few programs as it can — one `head -v` prints every file, one
// `ip -batch` answers four questions, one `readlink` reads every link, the static answers come
// from cache.ts when the host's signature is unchanged — so the text of one parser's section is
// spread over several outputs, which this puts back together. Output in the older form (one
// section per parser, as recorded in tests) passes through unchanged.
import type { StaticAnswers } from './cache.js';
import { unescapeOctal } from './hardware.js';
import { DIST_FILES, MACHINE_ID_FILES, OS_RELEASE_FILES, isSignature } from './script.js';

const lines = (s: string | undefined): string[] => (s ?? '').split('\n').filter((l) => l !== '');


const DIST_TEXT_BYTES = 4096;

/**
 * `head -v` output → each file's text. A file starts with `==> NAME <==` (after a blank line
 * from the second on); `names` are the files the probe may list, so a header-like line inside a
 * file's text only splits it if it names one of them.
 */
export function headFiles(out: string, names: readonly string[]): Map<string, string> {
  const files = new Map<string, string>();
  const known = new Set(names);
  // The name of a header starting at `at` (`==> NAME <==` up to the end of its line), if it names a listed file.
  const headerAt = (at: number): string | undefined => {
    if (!out.startsWith('==> ', at)) return undefined;
    const eol = out.indexOf('\n', at);
    const line = out.slice(at + 4, eol < 0 ? out.length : eol);
    if (eol < 0 || !line.endsWith(' <==')) return undefined;
    const n = line.slice(0, -4);
    return known.has(n) ? n : undefined;
  };
  let name = headerAt(0);
  if (name === undefined) return files;
  let pos = out.indexOf('\n') + 1;
  // One pass: the next "\n==> " whose line names a listed file ends the current one (was a search
  // per listed name per file: ~2.5 ms per host on cpuinfo and mountinfo at 200 hosts).
  for (let from = pos; ; ) {
    const at = out.indexOf('\n==> ', from);
    const next = at < 0 ? undefined : headerAt(at + 1);
    if (at >= 0 && next === undefined) {
      from = at + 1;
      continue;
    }
    files.set(name, out.slice(pos, at < 0 ? out.length : at));
    if (at < 0 || next === undefined) return files;
    name = next;
    pos = out.indexOf('\n', at + 1) + 1;
    from = pos;
  }
}

/** The first `size` bytes of a text (head -c), as the host's bytes decode. */
const firstBytes = (s: string, size: number): string => {
  const b = Buffer.from(s, 'utf8');
  return b.length <= size ? s : b.subarray(0, size).toString('utf8');
};

/** CPUs in a Cpus_allowed_list (`0-3,8`): len(os.sched_getaffinity(0)), Ansible's processor_nproc. */
export function cpuListCount(list: string): number | undefined {
  let n = 0;
  for (const part of list.trim().split(',')) {
    const m = /^(\d+)(?:-(\d+))?$/.exec(part);
    if (!m) return undefined;
    n += m[2] === undefined ? 1 : Number(m[2]) - Number(m[1]) + 1;
  }
  return n;
}

/**
 * findmnt's `TARGET SOURCE` lines from /proc/self/mountinfo: the source gets `[root]` when the
 * mount shows a subtree (a bind mount), as findmnt prints it.
 */
export function findmntFromMountinfo(mountinfo: string): string {
  const out: string[] = [];
  for (const l of lines(mountinfo)) {
    const w = l.split(' ');
    const dash = w.indexOf('-', 6);
    if (w.length < 10 || dash < 0 || w.length < dash + 3) continue;
    const root = unescapeOctal(w[3]!);
    const source = unescapeOctal(w[dash + 2]!);
    out.push(`${unescapeOctal(w[4]!)} ${source}${root !== '/' ? `[${root}]` : ''}`);
  }
  return out.length ? `${out.join('\n')}\n` : '';
}

/**
 * One `ip -batch` answering `addr show primary`, `addr show secondary`, `route get` v4 and v6 →
 * the four texts. The secondary listing starts where a device already listed comes again (each
 * listing shows a device at most once; a device without a matching address is not shown); a
 * route answer is a line of its own (not `N: dev` nor indented) naming its target.
 */
export function splitIpBatch(out: string, v4: string, v6: string): { primary: string; secondary: string; route4: string; route6: string } {
  const r = { primary: [] as string[], secondary: [] as string[], route4: [] as string[], route6: [] as string[] };
  const seen = new Set<string>();
  let cur: string[] = r.primary;
  let inRoutes = false;
  for (const l of out.split('\n')) {
    if (l === '') continue;
    const h = /^\d+:\s+([^:@\s]+)(?:@[^:\s]*)?:/.exec(l);
    const indented = /^\s/.test(l);
    if (!inRoutes && h) {
      if (seen.has(h[1]!)) cur = r.secondary;
      seen.add(h[1]!);
    } else if (!indented) {
      inRoutes = true;
      const w = l.trim().split(/\s+/);
      cur = w.includes(v4) ? r.route4 : w.includes(v6) ? r.route6 : [];
    }
    cur.push(l);
  }
  const text = (a: string[]) => (a.length ? `${a.join('\n')}\n` : '');
  return { primary: text(r.primary), secondary: text(r.secondary), route4: text(r.route4), route6: text(r.route6) };
}

/** The `links` section: the paths, `--`, then readlink's targets in the same order (none if a count differs). */
export function linkTargets(text: string): Map<string, string> {
  const l = (text ?? '').split('\n');
  if (l[l.length - 1] === '') l.pop();
  const sep = l.indexOf('--');
  const m = new Map<string, string>();
  if (sep < 0) return m;
  const paths = l.slice(0, sep);
  const targets = l.slice(sep + 1);
  // a link that vanished between the test and readlink: the order no longer says which is which
  if (paths.length !== targets.length) return m;
  paths.forEach((p, i) => m.set(p, targets[i]!));
  return m;
}

const basename = (p: string): string => p.replace(/\/+$/, '').split('/').pop() ?? '';

/**
 * Static answers: on `hit` (the host's signature equals the cached one) the cached python, lsb and
 * bits sections are filled in; on a miss the fresh ones are returned for the cache when the
 * signature is well formed.
 */
export function applyStatic(s: Map<string, string>, cached: StaticAnswers | undefined): StaticAnswers | undefined {
  const st = s.get('static');
  if (st === undefined) return undefined;
  const l = lines(st);
  const sig = l.find((x) => x.startsWith('sig='))?.slice(4);
  if (l.includes('hit')) {
    if (cached && sig === cached.sig) for (const k of ['python', 'lsb', 'bits'] as const) s.set(k, cached[k]);
    return undefined;
  }
  if (sig === undefined || !isSignature(sig)) return undefined;
  return { sig, python: s.get('python') ?? '', lsb: s.get('lsb') ?? '', bits: s.get('bits') ?? '' };
}

/** The probe's sections → the parsers' sections (see the header). Mutates and returns `s`. */
export function parserSections(s: Map<string, string>, v4Target: string, v6Target: string): Map<string, string> {
  // platform: the userspace bits come from the static answers
  if (s.has('bits') && s.has('uname')) s.set('uname', `${lines(s.get('uname')).join('\n')}\n${lines(s.get('bits'))[0] ?? ''}\n`);

  // ids and the password database: bosun's `user` and the user section as id and getent gave them
  const own = s.get('bosun') ?? '';
  const ids = /^ids=(.*)$/m.exec(own)?.[1]?.split(' ');
  if (ids && s.has('passwd')) {
    const [r = '', e = '', g = ''] = ids;
    const pw = lines(s.get('passwd'));
    const effective = pw[0] !== undefined && pw[0].split(':')[2] === e ? pw[0] : undefined;
    const named = effective !== undefined ? pw.slice(1) : pw;
    const real = r === e ? effective : lines(s.get('passwd_real'))[0];
    s.set('bosun', `${own.replace(/\n?$/, '\n')}user=${effective?.split(':')[0] ?? ''}\n`);
    if (s.has('user')) {
      const env = (s.get('user') ?? '').split('\n').slice(0, 4);
      while (env.length < 4) env.push('');
      const login = env.find((x) => x !== '');
      // getpass.getuser()'s entry, else the real user's (pwd.getpwuid(os.getuid()))
      const entry = login !== undefined ? (named[0] ?? real) : real;
      s.set('user', [...env, e, '', r, g, real?.split(':')[0] ?? '', entry ?? ''].join('\n') + '\n');
    }
  }

  // date: the winter and summer lines carry the full format; the parser reads their zone fields
  const dt = s.get('date_time');
  if (dt !== undefined) {
    const [now, ...zones] = lines(dt);
    if (now !== undefined) s.set('date_time', [now, ...zones.map((z) => { const f = z.split('|'); return f.length >= 8 ? `${f[6]}|${f[7]}` : z; })].join('\n') + '\n');
  }

  const targets = linkTargets(s.get('links') ?? '');
  if (targets.has('/sbin/init') && s.has('service_mgr')) s.set('service_mgr', `${s.get('service_mgr')}init-link=${targets.get('/sbin/init')}\n`);

  if (s.has('net') && targets.size) {
    const chunks = (s.get('net') ?? '').split(/^==/m);
    s.set('net', chunks.map((c, i) => {
      if (i === 0) return c;
      const dev = c.slice(0, c.indexOf('\n'));
      const p = `/sys/class/net/${dev}`;
      let extra = '';
      const mod = targets.get(`${p}/device/driver/module`);
      if (mod !== undefined) extra += `module=${basename(mod)}\n`;
      const dv = targets.get(`${p}/device`);
      if (dv !== undefined) extra += `pciid=${basename(dv)}\n`;
      return `==${c}${extra}`;
    }).join(''));
  }

  const ip = s.get('ip');
  if (ip !== undefined) {
    const b = splitIpBatch(ip, v4Target, v6Target);
    s.set('ip_primary', b.primary).set('ip_secondary', b.secondary).set('route4', b.route4).set('route6', b.route6);
  }

  // /proc/self/environ as od dumped it: NUL-separated entries, in hex
  const environ = s.get('environ');
  if (environ !== undefined) s.set('env', Buffer.from(environ.replace(/\s/g, ''), 'hex').toString('utf8'));

  const filesOut = s.get('files');
  if (filesOut !== undefined) {
    const names = [...MACHINE_ID_FILES, ...OS_RELEASE_FILES, ...DIST_FILES, '/etc/resolv.conf', '/proc/meminfo', '/proc/cpuinfo', '/etc/mtab', '/proc/mounts', '/proc/self/mountinfo', '/proc/self/status'];
    const f = headFiles(filesOut, names);
    const first = (list: string[]) => list.map((n) => f.get(n)).find((x) => x !== undefined);
    const set = (k: string, v: string | undefined) => void (v !== undefined && s.set(k, v));
    set('machine_id', first(MACHINE_ID_FILES));
    set('os_release', first(OS_RELEASE_FILES));
    if ([...OS_RELEASE_FILES, ...DIST_FILES].some((n) => f.has(n))) {
      set('dist_files', DIST_FILES.filter((n) => f.has(n)).map((n) => `==${n}\n${firstBytes(f.get(n)!, DIST_TEXT_BYTES)}\n`).join(''));
    }
    set('dns', f.get('/etc/resolv.conf'));
    set('meminfo', f.get('/proc/meminfo'));
    set('cpuinfo', f.get('/proc/cpuinfo'));
    set('mtab', first(['/etc/mtab', '/proc/mounts']));
    if (lines(s.get('has_findmnt'))[0] === 'yes') s.set('findmnt', findmntFromMountinfo(f.get('/proc/self/mountinfo') ?? ''));
    const cpus = /^Cpus_allowed_list:\s*(\S+)/m.exec(f.get('/proc/self/status') ?? '')?.[1];
    const n = cpus === undefined ? undefined : cpuListCount(cpus);
    if (n !== undefined && s.has('cpu_extra')) s.set('cpu_extra', `${s.get('cpu_extra')}nproc=${n}\n`);
  }
  return s;
}
