// What apt's plan reads, in ONE read-only request per task: the dpkg state of every named package
// (one dpkg-query), which of them are automatically installed (apt-mark showauto), candidates when
// the decision needs them (apt-cache policy), the cache's age, and the fields of `deb:` files.
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
}

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
    } else if (section === 'deb' && q.debs[index]) Object.assign(q.debs[index]!, parseDebFields(body));
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

/** The dpkg entry a name means: its own arch when given, else the host's native arch or `all`. */
export function entryFor(entries: readonly DpkgEntry[], name: string, arch: string | undefined, native: string): DpkgEntry | undefined {
  const same = entries.filter((e) => e.name === name);
  if (arch) return same.find((e) => e.arch === arch);
  return same.find((e) => e.arch === native || e.arch === 'all') ?? (same.length === 1 ? same[0] : undefined);
}
