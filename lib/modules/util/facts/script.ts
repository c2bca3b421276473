// The fact probe: one POSIX sh script per host (one request), assembled from the sections the
// gather_subset asks for. Each section prints a marker line and the raw text it read; the parsing
// (sections.ts, system.ts, hardware.ts, network.ts) happens on the control node, so the host runs
// only read-only commands it already has (head, hostname, getent, date, stat, ip) and, when its
// software changed since bosun last asked, python3, lsb_release and getconf. Shell builtins
// (`read`) read the many small sysfs and /proc files: a fork per file would cost more than the rest.

/** The groups of facts, as Ansible's collectors name them (gather_subset values). */
export const FACT_GROUPS = ['platform', 'distribution', 'lsb', 'pkg_mgr', 'service_mgr', 'user', 'python', 'date_time', 'env', 'dns', 'hardware', 'network'] as const;
export type FactGroup = (typeof FACT_GROUPS)[number];

/** Ansible's minimal set (collected unless `!min`). bosun has no collector for its others (apparmor, caps, cmdline, fips, local, selinux, ssh_pub_keys). */
export const MIN_GROUPS: readonly FactGroup[] = ['platform', 'distribution', 'lsb', 'pkg_mgr', 'service_mgr', 'user', 'python', 'date_time', 'env', 'dns'];

export const MARK = '@@@bosun-facts:';

/** The addresses Ansible's collector asks the routing table about (nothing is sent to them). */
export const ROUTE_V4 = '8.8.8.8';
export const ROUTE_V6 = '2404:6800:400a:800::1012';

const S = (name: string): string => `printf '\\n${MARK}%s\\n' ${name}`;

/** Files Ansible's distribution collector reads (OSDIST_LIST), plus /etc/debian_version for the minor version. */
export const DIST_FILES = [
  '/etc/altlinux-release', '/etc/oracle-release', '/etc/slackware-version', '/etc/centos-release', '/etc/redhat-release',
  '/etc/openwrt_release', '/etc/system-release', '/etc/alpine-release', '/etc/arch-release', '/etc/SuSE-release',
  '/etc/gentoo-release', '/etc/lsb-release', '/etc/debian_version',
];

/** Ansible's PKG_MGRS paths (lib/ansible/module_utils/facts/system/pkg_mgr.py), in its order. */
export const PKG_MGR_PATHS: ReadonlyArray<[string, string]> = [
  ['/usr/bin/rpm-ostree', 'atomic_container'], ['/usr/bin/yum', 'yum'], ['/usr/bin/dnf', 'dnf'], ['/usr/bin/apt-get', 'apt'],
  ['/usr/bin/zypper', 'zypper'], ['/usr/sbin/urpmi', 'urpmi'], ['/usr/bin/pacman', 'pacman'], ['/bin/opkg', 'opkg'],
  ['/usr/pkg/bin/pkgin', 'pkgin'], ['/opt/local/bin/pkgin', 'pkgin'], ['/opt/tools/bin/pkgin', 'pkgin'], ['/opt/local/bin/port', 'macports'],
  ['/usr/local/bin/brew', 'homebrew'], ['/opt/homebrew/bin/brew', 'homebrew'], ['/sbin/apk', 'apk'], ['/usr/sbin/pkg', 'pkgng'],
  ['/usr/sbin/swlist', 'swdepot'], ['/usr/bin/emerge', 'portage'], ['/usr/sbin/pkgadd', 'svr4pkg'], ['/usr/bin/pkg', 'pkg5'],
  ['/usr/bin/xbps-install', 'xbps'], ['/usr/local/sbin/pkg', 'pkgng'], ['/usr/bin/swupd', 'swupd'], ['/usr/sbin/sorcery', 'sorcery'],
  ['/usr/bin/installp', 'installp'],
];

export const MACHINE_ID_FILES = ['/var/lib/dbus/machine-id', '/etc/machine-id'];
export const OS_RELEASE_FILES = ['/etc/os-release', '/usr/lib/os-release'];
/** The longest text one file contributes (cat had no limit; no fact file comes near it). */
const HEAD_BYTES = 16 << 20;

/**
 * Files whose stat signature stands for the slow answers that only change with the software
 * (python's version, `lsb_release -a`, getconf LONG_BIT): the interpreters, the release files
 * lsb_release reads, getconf; the lsb_release found on PATH comes last. An upgrade replaces or
 * rewrites one of them, which changes its inode, size or times.
 */
export const STATIC_FILES = [
  '/usr/bin/python3', '/usr/libexec/platform-python', '/usr/bin/python', ...OS_RELEASE_FILES, '/etc/lsb-release', '/etc/debian_version',
  '/etc/redhat-release', '/etc/system-release', '/usr/bin/getconf', '/bin/getconf',
];

/**
 * The files one `head -v` prints. What /proc/self/* says of head (CPU affinity) it inherited from
 * the probe's shell. Not /proc/self/environ: its NULs cannot pass a text response (od reads it).
 */
function probeFiles(groups: ReadonlySet<FactGroup>): string[] {
  const f: string[] = [];
  if (groups.has('platform')) f.push(...MACHINE_ID_FILES);
  if (groups.has('distribution')) f.push(...OS_RELEASE_FILES, ...DIST_FILES);
  if (groups.has('dns')) f.push('/etc/resolv.conf');
  if (groups.has('hardware')) f.push('/proc/meminfo', '/proc/cpuinfo', '/etc/mtab', '/proc/mounts', '/proc/self/mountinfo', '/proc/self/status');
  return f;
}

/** A signature the probe printed: presence bits, then device, inode, size, mtime, ctime of each present file. */
export function isSignature(s: string): boolean {
  const m = /^([01]+)((?: \d+ \d+ \d+ \d+\.\d+ \d+\.\d+)*)$/.exec(s);
  if (!m) return false;
  const present = [...m[1]!].filter((c) => c === '1').length;
  return m[1]!.length === STATIC_FILES.length + 1 && m[2]!.split(' ').length - 1 === present * 5;
}

/**
 * The slow answers, run only when the host's signature differs from `sig`, the one bosun holds
 * them for (cache.ts). `sig` is host data: only a well-formed signature (digits, dots, spaces) is
 * put in the script; anything else is replaced by a value no signature equals.
 */
function staticBlock(sig: string | undefined): string[] {
  const known = sig !== undefined && isSignature(sig) ? sig : '-';
  return [
    S('static'),
    'b=; set --',
    `for f in ${STATIC_FILES.join(' ')}; do if [ -e "$f" ]; then b=\${b}1; set -- "$@" "$f"; else b=\${b}0; fi; done`,
    // `command -v` without a fork: the first executable lsb_release along PATH
    'l=; o=$IFS; IFS=:; set -f; for d in $PATH; do if [ -f "${d:-.}/lsb_release" ] && [ -x "${d:-.}/lsb_release" ]; then l=${d:-.}/lsb_release; break; fi; done; IFS=$o; set +f',
    'if [ -n "$l" ]; then b=${b}1; set -- "$@" "$l"; else b=${b}0; fi',
    `s=$b$(stat -L --printf ' %d %i %s %.9Y %.9Z' -- "$@" 2>/dev/null)`,
    'echo "sig=$s"',
    `if [ "$s" = '${known}' ]; then echo hit; else`,
    S('python'),
    'for p in /usr/bin/python3 /usr/libexec/platform-python /usr/bin/python; do if [ -x "$p" ]; then echo "$p"; "$p" -c "import sys; print(\' \'.join(map(str, sys.version_info))); print(sys.implementation.name)" 2>/dev/null; break; fi; done',
    S('lsb'),
    'if command -v lsb_release >/dev/null 2>&1; then lsb_release -a 2>/dev/null; fi',
    S('bits'),
    'getconf LONG_BIT 2>/dev/null || echo',
    'fi',
  ];
}

// Every fork+exec costs the host ~1 ms of CPU, so the probe starts few programs, each once: od
// (the environment), head (every file), hostname -f, getent, date, stat (the static signature; on a change python,
// lsb_release, getconf), ls and readlink (interfaces, /sbin/init), ip (one batch), and for mounts
// stat -f and lsblk. The rest is shell builtins; sections.ts turns the output back into the
// sections the parsers read.
const SECTIONS: Record<FactGroup, string[]> = {
  platform: [
    S('uname'),
    // /proc/sys/kernel holds what uname(2) answers (arch since Linux 6.1); `read` starts no process
    'if [ -r /proc/sys/kernel/osrelease ]; then for k in ostype hostname osrelease version; do IFS= read -r v < /proc/sys/kernel/$k; echo "$v"; done; else uname -s; uname -n; uname -r; uname -v; fi',
    'if [ -r /proc/sys/kernel/arch ]; then IFS= read -r v < /proc/sys/kernel/arch; echo "$v"; else uname -m; fi',
    'hostname -f 2>/dev/null || uname -n',
  ],
  distribution: [],
  lsb: [],
  pkg_mgr: [
    S('pkg_mgr'),
    `for p in ${[...new Set(PKG_MGR_PATHS.map(([p]) => p))].join(' ')}; do [ -e "$p" ] && echo "$p"; done`,
    '[ -e /run/ostree-booted ] && echo ostree-booted',
    // APT-RPM or dpkg's APT (as Ansible asks rpm whether it owns apt-get)
    '[ -e /usr/bin/rpm ] && [ -e /usr/bin/apt-get ] && /usr/bin/rpm -q --whatprovides /usr/bin/apt-get >/dev/null 2>&1 && echo apt-rpm',
    ':',
  ],
  service_mgr: [
    S('service_mgr'),
    'c=; if [ -r /proc/1/comm ]; then read -r c < /proc/1/comm && echo "comm=$c"; fi',
    'if command -v systemctl >/dev/null 2>&1; then for d in /run/systemd/system/ /dev/.run/systemd/ /dev/.systemd/; do [ -e "$d" ] && echo systemd-canary && break; done; fi',
    // /sbin/init's target counts only when PID 1's name is missing, `init` or a shell
    'case $c in ""|init|*sh) [ -L /sbin/init ] && L="$L /sbin/init";; esac',
    'command -v initctl >/dev/null 2>&1 && [ -e /etc/init/ ] && echo upstart',
    '[ -e /sbin/openrc ] && echo openrc',
    '[ -e /etc/init.d/ ] && echo initd',
    ':',
  ],
  user: [
    S('user'),
    // getpass.getuser(): LOGNAME, USER, LNAME, USERNAME, then the password database
    'printf "%s\\n" "${LOGNAME-}" "${USER-}" "${LNAME-}" "${USERNAME-}"',
  ],
  python: [],
  date_time: [
    S('date_time'),
    // one date for now and for the zone in winter and summer (time.tzname[1]): GNU date reads the three from stdin
    "date -f - '+%Y|%m|%d|%H|%M|%S|%Z|%z|%A|%w|%W|%s|%N' 2>/dev/null <<'EOF' || { date '+%Y|%m|%d|%H|%M|%S|%Z|%z|%A|%w|%W|%s|%N'; y=$(date +%Y); date -d \"$y-01-01 12:00\" '+%Z|%z' 2>/dev/null; date -d \"$y-07-01 12:00\" '+%Z|%z' 2>/dev/null; }",
    'now',
    'jan 1 12:00',
    'jul 1 12:00',
    'EOF',
  ],
  env: [],
  dns: [],
  hardware: [
    'if [ -e /etc/mtab ]; then m=/etc/mtab; else m=/proc/mounts; fi',
    S('cpu_extra'),
    '[ -e /proc/xen ] && echo xen',
    '[ -r /sys/hypervisor/type ] && read -r h < /sys/hypervisor/type && echo "hypervisor=$h"',
    ':',
    S('has_findmnt'),
    // Ansible's bind-mount test reads findmnt's SOURCE column; /proc/self/mountinfo holds the same
    'command -v findmnt >/dev/null 2>&1 && echo yes',
    ':',
    S('statfs'),
    // statvfs of every mount Ansible reports (a device path or host:/path) in one stat; \\040-style escapes decoded
    // a network filesystem (host:/path, //server/share) may hang statfs: with one, stat runs under a timeout (Ansible's gather_timeout)
    'T=; set --',
    `while read -r d p t r; do case "$d" in /*|\\\\*|*:/*) case "$d" in /dev/*) ;; *) T=y;; esac; case "$p" in *\\\\*) p=$(printf '%b' "$(printf '%s' "$p" | sed 's/\\\\\\([0-7][0-7][0-7]\\)/\\\\0\\1/g')");; esac; set -- "$@" "$p";; esac; done < "$m"`,
    'if [ -n "$T" ] && command -v timeout >/dev/null 2>&1; then T="timeout 10"; else T=; fi',
    // lsblk's UUIDs only label such mounts: without one, nothing would read them
    `if [ $# -gt 0 ]; then $T stat -f -c '%s %S %b %a %c %d %n' -- "$@" 2>/dev/null; ${S('lsblk')}; command -v lsblk >/dev/null 2>&1 && lsblk --list --noheadings --paths --output NAME,UUID --exclude 2 2>/dev/null; fi`,
    ':',
  ],
  network: [
    S('net'),
    'for d in $(ls -U /sys/class/net 2>/dev/null); do',
    '  p=/sys/class/net/$d; [ -d "$p" ] || continue; printf "==%s\\n" "$d"',
    '  for f in address mtu operstate type speed flags; do [ -e "$p/$f" ] && read -r v < "$p/$f" 2>/dev/null && printf "%s=%s\\n" "$f" "$v"; done',
    // the driver module and the PCI id are link targets: one readlink for all of them, at the end
    '  [ -e "$p/device/driver/module" ] && [ -L "$p/device/driver/module" ] && L="$L $p/device/driver/module"',
    '  [ -e "$p/device" ] && [ -L "$p/device" ] && L="$L $p/device"',
    '  if [ -e "$p/bridge" ]; then echo "bridge=$(ls "$p/brif" 2>/dev/null | tr "\\n" " ")"; [ -e "$p/bridge/bridge_id" ] && read -r v < "$p/bridge/bridge_id" && echo "bridge_id=$v"; [ -e "$p/bridge/stp_state" ] && read -r v < "$p/bridge/stp_state" && echo "stp_state=$v"; fi',
    '  if [ -e "$p/bonding" ]; then for f in slaves mode miimon lacp_rate primary all_slaves_active; do v=; [ -e "$p/bonding/$f" ] && read -r v < "$p/bonding/$f"; echo "bond_$f=$v"; done; fi',
    '  [ -e "$p/bonding_slave" ] && read -r v < "$p/bonding_slave/perm_hwaddr" && echo "perm_macaddress=$v"',
    'done',
    S('ip'),
    // the four questions of Ansible's collector in one ip (sections.ts splits the answers); a route lookup sends nothing
    "ip -force -batch - 2>/dev/null <<'EOF'",
    'addr show primary',
    'addr show secondary',
    `route get ${ROUTE_V4}`,
    `route get ${ROUTE_V6}`,
    'EOF',
    ':',
  ],
};

/** The groups that read the static answers: python's version, lsb_release, the userspace bits (platform). */
export function needsStatic(groups: ReadonlySet<FactGroup>): boolean {
  return groups.has('python') || groups.has('lsb') || groups.has('platform');
}

/**
 * The probe for these groups; `init`/`user` (what bosun's own modules need) are always there.
 * `sig`: the static signature bosun holds the answers for (cache.ts), if any.
 */
export function factsScript(groups: ReadonlySet<FactGroup>, sig?: string): string {
  const lines: string[] = [];
  const files = probeFiles(groups);
  if (groups.has('env')) {
    // first, and without a variable: od's environment is ansible_env, the login's as it came; in
    // hex, as the output is text (gather.ts)
    lines.push(
      S('environ'),
      // OLDPWD is the channel's own (it changes directory before each request), not the login's
      'unset OLDPWD',
      'od -An -v -tx1 /proc/self/environ 2>/dev/null',
      ':',
    );
  }
  if (files.length) {
    // A missing file gets no header (head says so on stderr), and sections.ts takes the first
    // present of alternatives (machine-id, os-release, mtab).
    lines.push(S('files'), `head -v -c ${HEAD_BYTES} -- ${files.join(' ')} 2>/dev/null`, ':');
  }
  lines.push(
    // links whose targets the probe reads (one readlink at the end)
    'L=',
    // bosun's service module decides systemd or SysV from these two words
    S('bosun'),
    'if [ -d /run/systemd/system ]; then echo init=systemd; elif [ -d /etc/init.d ]; then echo init=sysv; else echo init=unknown; fi',
    // real and effective uid, real gid: the shell's own, read from /proc without a process
    'r=; e=; g=; while read -r k a b x; do case $k in Uid:) r=$a; e=$b;; Gid:) g=$a; break;; esac; done < /proc/self/status 2>/dev/null',
    'if [ -z "$e" ]; then r=$(id -ru 2>/dev/null); e=$(id -u 2>/dev/null); g=$(id -rg 2>/dev/null); fi',
    'echo "ids=$r $e $g"',
    S('passwd'),
    // the effective user's entry (bosun's `user`), then the one getpass.getuser() names
    groups.has('user')
      ? `u=\${LOGNAME:-\${USER:-\${LNAME:-\${USERNAME:-}}}}; getent passwd "$e" \${u:+"$u"} 2>/dev/null; [ "$r" = "$e" ] || { ${S('passwd_real')}; getent passwd "$r" 2>/dev/null; }`
      : 'getent passwd "$e" 2>/dev/null',
    ':',
  );
  if (needsStatic(groups)) lines.push(...staticBlock(sig));
  for (const g of FACT_GROUPS) if (groups.has(g)) lines.push(...SECTIONS[g]);
  lines.push(
    S('links'),
    `if [ -n "$L" ]; then set -f; set -- $L; set +f; printf '%s\\n' "$@" --; readlink -- "$@" 2>/dev/null; fi`,
    'exit 0',
  );
  return lines.join('\n');
}

/** Splits the probe's output into its sections. */
export function splitSections(out: string): Map<string, string> {
  const m = new Map<string, string>();
  const parts = out.split(`\n${MARK}`);
  for (const p of parts.slice(1)) {
    const nl = p.indexOf('\n');
    const name = nl < 0 ? p : p.slice(0, nl);
    m.set(name, nl < 0 ? '' : p.slice(nl + 1));
  }
  return m;
}
