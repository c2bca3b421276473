// fstab and mountinfo without a host: the entry ansible.posix.mount (1.5) writes, how it finds and
// rewrites a line, and the mount table as it reads /proc/self/mountinfo. Pure functions; the mount
// module reads the host once and decides with these.

/** An fstab entry's fields, already escaped (space → \040, & → \046, \ → \134, as Ansible). */
export interface FstabEntry {
  src: string;
  name: string;
  fstype: string;
  opts: string;
  dump: string;
  passno: string;
}

/** Ansible's _escape_fstab. */
export function escapeFstab(v: string): string {
  return v.replace(/\\/g, '\\134').replace(/ /g, '\\040').replace(/&/g, '\\046');
}

/** fstab(5)'s and mountinfo's octal escapes (\040…) back to characters. */
export function unescapeOctal(v: string): string {
  return v.replace(/\\([0-7]{3})/g, (_, o: string) => String.fromCharCode(Number.parseInt(o, 8)));
}

const LABELS = ['src', 'name', 'fstype', 'opts', 'dump', 'passno'] as const;

function lines(text: string): string[] {
  if (text === '') return [];
  // Ansible appends a newline to a last line without one
  return text.split(/(?<=\n)/).map((l) => (l.endsWith('\n') ? l : l + '\n'));
}

const skip = (l: string): boolean => l.trim() === '' || l.trim().startsWith('#');

/** Whether a line's fields are the entry for `want` (the swap case: `none` is matched by src too). */
function matches(f: Partial<Record<(typeof LABELS)[number], string>>, want: { name: string; src?: string }): boolean {
  if (f.name !== want.name) return false;
  return !(want.src !== undefined && f.name === 'none' && f.fstype === 'swap' && f.src !== want.src);
}

export const entryLine = (e: FstabEntry): string => `${e.src} ${e.name} ${e.fstype} ${e.opts} ${e.dump} ${e.passno}\n`;

/**
 * Ansible's _set_mount_save_old on Linux: every line of 4-6 fields naming the path is compared
 * field by field (a missing dump/passno always differs) and rewritten whole when one differs; the
 * entry is appended when no line names the path.
 */
export function setMount(text: string, e: FstabEntry): { text: string; changed: boolean } {
  const out: string[] = [];
  let exists = false;
  let changed = false;
  for (const line of lines(text)) {
    const fields = line.split(/\s+/).filter(Boolean);
    if (skip(line) || fields.length < 4 || fields.length > 6) {
      out.push(line);
      continue;
    }
    const ld: Partial<Record<(typeof LABELS)[number], string>> = {};
    fields.forEach((v, i) => (ld[LABELS[i]!] = v));
    if (!matches(ld, e)) {
      out.push(line);
      continue;
    }
    exists = true;
    // `changed` carries over from an earlier matching line, as Ansible's loop variable does
    for (const k of ['src', 'fstype', 'opts', 'dump', 'passno'] as const) {
      if (ld[k] !== e[k]) {
        ld[k] = e[k];
        changed = true;
      }
    }
    out.push(changed ? entryLine(ld as FstabEntry) : line);
  }
  if (!exists) {
    out.push(entryLine(e));
    changed = true;
  }
  return { text: out.join(''), changed };
}

/** Ansible's unset_mount on Linux: every 6-field line naming the path goes (lines of 4-5 fields stay). */
export function unsetMount(text: string, want: { name: string; src?: string }): { text: string; changed: boolean } {
  const out: string[] = [];
  let changed = false;
  for (const line of text === '' ? [] : text.split(/(?<=\n)/)) {
    const fields = line.split(/\s+/).filter(Boolean);
    if (skip(line) || fields.length !== 6) {
      out.push(line);
      continue;
    }
    const ld = Object.fromEntries(fields.map((v, i) => [LABELS[i]!, v]));
    if (!matches(ld, want)) out.push(line);
    else changed = true;
  }
  return { text: out.join(''), changed };
}

export interface MountRecord {
  /** Where it is mounted. */
  dst: string;
  /** Ansible's notion of the source: the mount's root within its parent for nested mounts (bind mounts), else the device. */
  src: string;
  /** The mount source field as the kernel gives it (device, `tmpfs`, server:/path). */
  device: string;
  fstype: string;
  opts: string;
}

/**
 * Ansible's get_linux_mounts: /proc/self/mountinfo by mount point (the last mount on a path wins).
 * For a mount whose parent is listed, the source is its root prefixed with the parent's mount
 * point (a bind mount of /srv/a reads /srv/a); for the others, the device.
 */
export function parseMountinfo(text: string): Map<string, MountRecord> {
  interface Raw {
    id: number;
    parent: number;
    root: string;
    dst: string;
    opts: string;
    fs: string;
    src: string;
  }
  const byId = new Map<number, Raw>();
  for (const line of text.split('\n')) {
    const f = line.trim().split(/\s+/);
    if (f.length < 10) continue;
    byId.set(Number(f[0]), { id: Number(f[0]), parent: Number(f[1]), root: unescapeOctal(f[3]!), dst: unescapeOctal(f[4]!), opts: f[5]!, fs: f.at(-3)!, src: unescapeOctal(f.at(-2)!) });
  }
  const out = new Map<string, MountRecord>();
  for (const m of byId.values()) {
    const p = m.parent !== 1 ? byId.get(m.parent) : undefined;
    let src = m.src;
    if (p) {
      let root = m.root;
      if (p.root.length > 1 && root.startsWith(`${p.root}/`)) root = root.slice(p.root.length);
      if (p.dst !== '/') root = `${p.dst}${root}`;
      src = root;
    }
    out.set(m.dst, { dst: m.dst, src, device: m.src, fstype: m.fs, opts: m.opts });
  }
  return out;
}
