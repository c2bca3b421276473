// What apt's plan reads, in ONE read-only request per task: the dpkg state of every named package
// (one dpkg-query), which of them are automatically installed (apt-mark showauto), candidates when
// the decision needs them (apt-cache policy), the cache's age, the fields of `deb:` files, and
// what `clean`/`autoclean` would delete.
import { shq } from '../../executor/types.js';
import { NO_WRITE } from './apt-run.js';
import { parseAptPolicy, parseDebFields, parseDpkgQuery, type DpkgEntry, type PolicyEntry } from './apt-parse.js';

export const DPKG_FORMAT = '${Package}\\t${Architecture}\\t${Version}\\t${db:Status-Abbrev}\\n';
/** Ansible's stamp first (Ubuntu's update-notifier writes it), else the lists directory. */
const CACHE_MTIME = 'stat -c %Y /var/lib/apt/periodic/update-success-stamp 2>/dev/null || stat -c %Y /var/lib/apt/lists 2>/dev/null || echo 0';

/** Names (and name:arch) marked Auto-Installed in apt's extended_states, among the words in w. */
const AUTO_AWK =
  '/^$/{p="";a=""} /^Package: /{p=$2} /^Architecture: /{a=$2} ' +
  '/^Auto-Installed: 1/{ if (index(w, " " p " ")) print p; else if (index(w, " " p ":" a " ")) print p ":" a }';

export interface AptQueryNeeds {
  /** `name[:arch]` words for dpkg-query, apt-mark and apt-cache. */
  names: string[];
  /** apt-mark showauto (present/latest: a requested auto package becomes manual). */
  auto: boolean;
  /** apt-cache policy (latest, version pins). */
  policy: boolean;
  /** The cache's mtime and the host's clock (update_cache, cache_valid_time). */
  cache: boolean;
  /** deb files on the host. */
  debs: string[];
  /** How many package files `apt-get clean` would delete (clean). */
  archives?: boolean;
  /** The files `apt-get autoclean` would delete, from its simulation (loads the cache: not quick). */
  autoclean?: boolean;
}

/**
 * The downloaded package files apt-get clean removes: those in the archives directory (apt's
 * Dir::Cache::archives) and its partial/. The *.bin caches it also removes are not counted:
 * apt rebuilds them on its next run, so counting them would make every clean a change.
 */
const ARCHIVES =
  'A=; eval "$(apt-config shell A Dir::Cache::archives/d 2>/dev/null)"; A=${A:-/var/cache/apt/archives}; ' +
  'find "$A" "$A/partial" -maxdepth 1 -type f ! -name lock 2>/dev/null | wc -l';

export function aptQueryScript(n: AptQueryNeeds): string {
  const words = n.names.map(shq).join(' ');
  const L = ['export LC_ALL=C', 'echo "@@arch $(dpkg --print-architecture 2>/dev/null)"'];
  if (n.names.length) {
    L.push('echo @@dpkg', `dpkg-query -W -f='${DPKG_FORMAT}' -- ${words} 2>/dev/null`);
    // what `apt-mark showauto` says, read from its file: apt-mark loads the whole cache (seconds on a busy host)
    if (n.auto) L.push('echo @@auto', `[ ! -r /var/lib/apt/extended_states ] || awk -v w=${shq(` ${n.names.join(' ')} `)} '${AUTO_AWK}' /var/lib/apt/extended_states`);
    if (n.policy) L.push('echo @@policy', `apt-cache ${NO_WRITE.join(' ')} policy -- ${words} 2>/dev/null`);
  }
  if (n.cache) L.push('echo @@cache', CACHE_MTIME, 'date +%s');
  if (n.archives) L.push('echo @@archives', ARCHIVES);
  if (n.autoclean) L.push('echo @@autoclean', `apt-get -s -q ${NO_WRITE.join(' ')} autoclean 2>/dev/null | grep '^Del '`);
  n.debs.forEach((f, i) => {
    L.push(
      `f=${shq(f)}`,
      `if d=$(dpkg-deb -f -- "$f" Package Version Architecture 2>&1); then`,
      `  echo "@@deb ${i}"; printf '%s\\n' "$d"; echo "@@debdpkg ${i}"`,
      `  dpkg-query -W -f='${DPKG_FORMAT}' -- "$(dpkg-deb -f -- "$f" Package)" 2>/dev/null`,
      `else echo "@@deberr ${i}"; printf '%s\\n' "$d" | head -n 3; fi`,
    );
  });
  L.push('echo @@end');
  return L.join('\n') + '\n';
}

export interface DebInfo {
  path: string;
  name?: string;
  version?: string;
  arch?: string;
  /** dpkg's state of the package the file holds. */
  installed: DpkgEntry[];
  error?: string;
}

export interface AptQuery {
  arch: string;
  dpkg: DpkgEntry[];
  auto: Set<string>;
  policy: Map<string, PolicyEntry>;
  /** Seconds since the epoch, host clock. */
  cacheMtime?: number;
  now?: number;
  debs: DebInfo[];
  /** Package files apt-get clean would delete (when asked). */
  archives?: number;
  /** `name version` of each file apt-get autoclean would delete (when asked). */
  autoclean?: string[];
}

/** Splits the script's output into its sections; undefined when it did not run to the end. */
export function parseAptQuery(text: string, debs: readonly string[]): AptQuery | undefined {
  const lines = text.split('\n');
  if (!lines.includes('@@end')) return undefined;
  const q: AptQuery = { arch: '', dpkg: [], auto: new Set(), policy: new Map(), debs: debs.map((path) => ({ path, installed: [] })) };
  let section = '';
  let index = -1;
  let buf: string[] = [];
  const flush = (): void => {
    const body = buf.join('\n');
    buf = [];
    if (section === 'dpkg') q.dpkg = parseDpkgQuery(body);
    else if (section === 'auto') q.auto = new Set(body.split('\n').map((l) => l.trim()).filter(Boolean));
    else if (section === 'policy') q.policy = parseAptPolicy(body);
    else if (section === 'cache') {
      const [mtime, now] = body.split('\n').map((l) => Number(l.trim()));
      q.cacheMtime = Number.isFinite(mtime) ? mtime : 0;
      q.now = Number.isFinite(now) ? now : undefined;
    } else if (section === 'archives') q.archives = Number(body.trim()) || 0;
    else if (section === 'autoclean') q.autoclean = parseAutoclean(body);
    else if (section === 'deb' && q.debs[index]) Object.assign(q.debs[index]!, parseDebFields(body));
    else if (section === 'debdpkg' && q.debs[index]) q.debs[index]!.installed = parseDpkgQuery(body);
    else if (section === 'deberr' && q.debs[index]) q.debs[index]!.error = body.trim() || 'not a Debian package';
  };
  for (const line of lines) {
    const m = /^@@(\w+)(?: (.*))?$/.exec(line);
    if (!m) {
      buf.push(line);
      continue;
    }
    flush();
    section = m[1]!;
    if (section === 'arch') q.arch = (m[2] ?? '').trim();
    index = m[2] !== undefined && /^\d+$/.test(m[2]) ? Number(m[2]) : -1;
    if (section === 'end') break;
  }
  return q;
}

/** `Del NAME VERSION [SIZE]` lines of apt-get autoclean (simulated or run) → `NAME VERSION`. */
export function parseAutoclean(text: string): string[] {
  const out: string[] = [];
  for (const line of text.split('\n')) {
    const m = /^Del (\S+) (\S+)/.exec(line);
    if (m) out.push(`${m[1]} ${m[2]}`);
  }
  return out;
}

/** The dpkg entry a name means: its own arch when given, else the host's native arch or `all`. */
export function entryFor(entries: readonly DpkgEntry[], name: string, arch: string | undefined, native: string): DpkgEntry | undefined {
  const same = entries.filter((e) => e.name === name);
  if (arch) return same.find((e) => e.arch === arch);
  return same.find((e) => e.arch === native || e.arch === 'all') ?? (same.length === 1 ? same[0] : undefined);
}
