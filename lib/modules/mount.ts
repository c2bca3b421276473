// mount: an fstab entry and the mount itself, as ansible.posix.mount 1.5 on Linux. One read-only
// request plans it (the path's device and inode against its parent's, /proc/self/mountinfo and
// the fstab file); the change is one more request that writes fstab (temp file + rename, attributes
// kept), creates the mount point, mounts, remounts or unmounts, and puts fstab and the new
// directories back when the mount fails (as Ansible does since ansible/ansible#59183).

import { posix } from 'node:path';
import { ArgumentError } from '../errors.js';
import { shq } from '../executor/types.js';
import { defineModule, ModuleFailure, type DiffEntry, type ModuleContext, type Plan, type ReadRequest } from './types.js';
import { escapeFstab, parseMountinfo, setMount, unsetMount, type FstabEntry } from './util/fstab.js';
import { parseFields, parseProbe, probeScript as fileProbeScript, writeScript } from './util/remote-file.js';

type State = 'mounted' | 'present' | 'unmounted' | 'absent' | 'absent_from_fstab' | 'remounted' | 'ephemeral';

export interface MountArgs {
  path: string;
  src?: string;
  fstype?: string;
  opts?: string;
  dump: string;
  passno: string;
  state: State;
  fstab?: string;
  boot: boolean;
  backup: boolean;
}

interface MountState {
  /** New fstab text, when it changes. */
  fstab?: string;
  /** Missing directories of the mount point, top down (mounted, ephemeral). */
  mkdirs: string[];
  /** What to do with the mount. */
  action: 'mount' | 'remount' | 'umount' | 'umount-rmdir' | 'rmdir' | 'none';
}

/** Ansible's args: defaults, the fstab fields escaped, `noauto` added for boot=false; and its warnings. */
export function mountEntry(a: MountArgs): { entry: FstabEntry; opts: string; boot: 'yes' | 'no'; warnings: string[] } {
  let opts = a.opts ?? 'defaults';
  let boot: 'yes' | 'no' = 'yes';
  const warnings: string[] = [];
  const list = opts.split(',');
  if (list.includes('noauto')) warnings.push("Ignore the 'boot' due to 'opts' contains 'noauto'.");
  else if (!a.boot) {
    boot = 'no';
    if (list.includes('defaults')) warnings.push("Ignore the 'boot' due to 'opts' contains 'defaults'.");
    else opts = [...list, 'noauto'].join(',');
  }
  const entry = { src: escapeFstab(a.src ?? ''), name: escapeFstab(a.path), fstype: escapeFstab(a.fstype ?? ''), opts: escapeFstab(opts), dump: escapeFstab(a.dump), passno: escapeFstab(a.passno) };
  return { entry, opts, boot, warnings };
}

const fstabFile = (a: MountArgs): string => a.fstab ?? '/etc/fstab';

/** mount(8)'s -T for another fstab than /etc/fstab (Ansible's _set_fstab_args). */
const fstabOpt = (a: MountArgs): string => (a.fstab !== undefined && a.fstab !== '/etc/fstab' ? `-T ${shq(a.fstab)} ` : '');

/** Ansible's _set_ephemeral_args: the type and options on the command line (no -o for "defaults"). */
const ephOpts = (a: MountArgs): string => `-t ${shq(a.fstype!)} ${a.opts !== undefined && a.opts !== 'defaults' ? `-o ${shq(a.opts)} ` : ''}`;

function probeScript(a: MountArgs): string {
  return [
    'LC_ALL=C; export LC_ALL',
    `p=${shq(a.path)}`,
    'if [ -L "$p" ]; then echo path=link; elif [ -d "$p" ]; then echo path=directory; elif [ -e "$p" ]; then echo path=other; else echo path=none; fi',
    // Ansible's ismount(): the path on another device than its parent, or the same inode (/)
    'if [ ! -L "$p" ] && a=$(stat -c %d:%i -- "$p" 2>/dev/null) && b=$(stat -L -c %d:%i -- "$p/.." 2>/dev/null); then [ "$a" != "$b" ] && [ "${a%:*}" = "${b%:*}" ] && echo ismount=0 || echo ismount=1; fi',
    'echo @mountinfo',
    'cat /proc/self/mountinfo 2>/dev/null',
    'echo @fstab',
    fileProbeScript(fstabFile(a), { wantContent: true, maxContent: 4 * 1024 * 1024 }),
  ].join('\n');
}

interface Probe {
  pathType: string;
  ismount: boolean;
  mounts: ReturnType<typeof parseMountinfo>;
  fstab: string;
  fstabExists: boolean;
}

/** A password in opts (cifs `pass=`, `password=`): masked everywhere, the fstab in a trace too. */
function optSecrets(a: MountArgs): string[] {
  return [...(a.opts ?? '').matchAll(/(?:^|,)pass(?:word)?=([^,]+)/g)].map((m) => m[1]!);
}

/** plan()'s one read-only request (also announced by reads(), whose answer may be traced in an earlier task's request). */
function probeRequest(a: MountArgs): ReadRequest {
  const secrets = optSecrets(a);
  return { script: probeScript(a), opts: { label: 'mount:probe', readOnly: true, ...(secrets.length ? { secrets } : {}) } };
}

async function probe(ctx: ModuleContext, a: MountArgs): Promise<Probe> {
  const q = probeRequest(a);
  const r = await ctx.conn.exec(q.script, q.opts);
  const at = r.raw.indexOf('\n@fstab\n');
  if (r.exitCode !== 0 || at < 0) throw new ModuleFailure(`cannot read the mounts of ${a.path} and ${fstabFile(a)}: ${r.stderr.trim() || `exit ${r.exitCode}`}`);
  const head = r.raw.subarray(0, at).toString('utf8');
  const [fields, mountinfo = ''] = head.split('\n@mountinfo\n');
  const f = new Map(fields!.split('\n').map((l) => [l.slice(0, l.indexOf('=')), l.slice(l.indexOf('=') + 1)]));
  const fp = parseProbe(fstabFile(a), r.raw.subarray(at + 8), { wantContent: true });
  if (fp.exists && fp.type !== 'file') throw new ModuleFailure(`${fstabFile(a)} is not a regular file`);
  if (fp.exists && fp.content === undefined) throw new ModuleFailure(`${fstabFile(a)} is too large to edit`);
  return { pathType: f.get('path') ?? 'none', ismount: f.get('ismount') === '1', mounts: parseMountinfo(mountinfo), fstab: fp.content?.toString('utf8') ?? '', fstabExists: fp.exists };
}

/** The directories `mkdir -p` would create, top down. */
function missingDirs(path: string, exists: boolean): string[] {
  if (exists) return [];
  const out: string[] = [];
  for (let d = posix.normalize(path); d !== '/' && d !== '.'; d = posix.dirname(d)) out.unshift(d);
  return out; // the script skips the ones that exist
}

async function planMount(ctx: ModuleContext, a: MountArgs): Promise<Plan<MountState>> {
  const pr = await probe(ctx, a);
  const { entry, opts, boot, warnings } = mountEntry(a);
  for (const w of warnings) ctx.log(0, `[WARNING]: ${w}`);
  const rec = pr.mounts.get(a.path);
  const mountedAny = pr.ismount || rec !== undefined;
  const what: string[] = [];
  const st: MountState = { mkdirs: [], action: 'none' };
  let changed = false;
  let fstabChanged = false;
  const edit = (r: { text: string; changed: boolean }): void => {
    if (!r.changed) return;
    fstabChanged = changed = true;
    st.fstab = r.text;
    what.push(`${a.state === 'absent' || a.state === 'absent_from_fstab' ? 'remove' : 'write'} the ${fstabFile(a)} entry`);
  };

  switch (a.state) {
    case 'present':
      edit(setMount(pr.fstab, entry));
      break;
    case 'absent_from_fstab':
      edit(unsetMount(pr.fstab, { name: entry.name, src: a.src }));
      break;
    case 'absent':
      // as Ansible: the unmount and the rmdir follow the entry's removal, never without it
      edit(unsetMount(pr.fstab, { name: entry.name, src: a.src }));
      if (changed) {
        if (mountedAny) what.push(`unmount ${a.path}`);
        if (pr.pathType !== 'none') what.push(`remove ${a.path}`);
        st.action = mountedAny ? 'umount-rmdir' : pr.pathType !== 'none' ? 'rmdir' : 'none';
      }
      break;
    case 'unmounted':
      if (mountedAny) {
        changed = true;
        st.action = 'umount';
        what.push(`unmount ${a.path}`);
      }
      break;
    case 'remounted':
      changed = true;
      st.action = 'remount';
      what.push(`remount ${a.path}`);
      break;
    case 'mounted':
    case 'ephemeral': {
      st.mkdirs = missingDirs(a.path, pr.pathType !== 'none');
      if (st.mkdirs.length > 0) what.push(`create ${a.path}`);
      if (a.state === 'mounted') edit(setMount(pr.fstab, entry));
      // Ansible's is_bind_mounted(dest, src): the mount table's source of the path is src
      const mounted = pr.ismount || rec?.src === a.src;
      if (!mounted) {
        changed = true;
        st.action = 'mount';
        what.push(`mount ${a.path}`);
      } else if (a.state === 'ephemeral') {
        // Ansible's _is_same_mount_src: the device (or the bind source) is src, else it refuses
        if (rec?.device !== a.src && rec?.src !== a.src) {
          throw new ModuleFailure(
            'Ephemeral mount point is already mounted with a different source than the specified one. Failing in order to prevent an unwanted unmount or override operation. ' +
              'Try replacing this command with a "state: unmounted" followed by a "state: ephemeral", or use a different destination path.',
          );
        }
        changed = true;
        st.action = 'remount';
        what.push(`remount ${a.path}`);
      } else if (fstabChanged) {
        st.action = 'remount';
        what.push(`remount ${a.path}`);
      }
      break;
    }
  }

  const result: Record<string, unknown> = { name: a.path, opts, dump: a.dump, passno: a.passno, fstab: fstabFile(a), boot, backup_file: '' };
  if (a.src !== undefined) result.src = a.src;
  if (a.fstype !== undefined) result.fstype = a.fstype;
  if (warnings.length > 0) result.warnings = warnings;
  if (!changed) return { changed: false, msg: `${a.path} is ${a.state}`, result, state: st };

  const diff: DiffEntry[] = [];
  if (st.fstab !== undefined) diff.push({ path: fstabFile(a), before: pr.fstab, after: st.fstab });
  const now = mountedAny ? 'mounted' : 'unmounted';
  const next = st.action === 'mount' || st.action === 'remount' ? 'mounted' : st.action.startsWith('umount') ? 'unmounted' : now;
  if (st.action !== 'none') diff.push({ path: `mount ${a.path}`, attrs: { state: { before: now, after: st.action === 'remount' ? 'remounted' : next } } });
  return { changed: true, msg: what.join(', '), diff, result, state: st };
}

/** The change as one script: fstab, directories, then the mount; fstab and the new directories are put back when the mount fails. */
export function applyScript(a: MountArgs, st: MountState): string {
  const f = fstabFile(a);
  const L = [`p=${shq(a.path)}`, `f=${shq(f)}`, 'old=; trap \'rm -f -- ${old:+"$old"}\' EXIT'];
  st.mkdirs.forEach((d, i) => L.push(`mk${i}=; if [ ! -e ${shq(d)} ]; then mkdir -- ${shq(d)} || exit 8; mk${i}=1; fi`));
  if (st.fstab !== undefined) {
    L.push(
      // the old fstab, to put back if the mount fails
      `if [ -f "$f" ]; then old=$(mktemp) && cat -- "$f" > "$old" || exit 4; fi`,
      `w=$( ( ${writeScript(f, { backup: a.backup, mkdirs: {} }).replace(/\n/g, '\n  ')} ) ) || exit $?`,
      `printf '%s\\n' "$w"`,
    );
  }
  const rollback = [
    ...(st.fstab !== undefined ? ['if [ -n "$old" ]; then cat -- "$old" > "$f"; else : > "$f"; fi'] : []),
    ...st.mkdirs.map((d, i) => `[ -z "$mk${i}" ] || rmdir -- ${shq(d)}`).reverse(),
  ];
  const failMount = (what: string): string => `{ printf '${what} %s: %s\\n' "$p" "$out" >&2; ${rollback.map((l) => l + ' 2>/dev/null; ').join('')}exit 20; }`;
  const T = fstabOpt(a);
  const plainMount = a.state === 'ephemeral' ? `mount ${ephOpts(a)}-- ${shq(a.src!)} "$p"` : `mount ${T}-- "$p"`;
  switch (st.action) {
    case 'mount':
      L.push(`out=$(${plainMount} 2>&1 </dev/null) || ${failMount('Error mounting')}`);
      break;
    case 'remount': {
      const withOpts = a.state === 'remounted' && a.opts !== undefined && a.opts !== 'defaults';
      const target = a.state === 'ephemeral' ? `${ephOpts(a)}-- ${shq(a.src!)} "$p"` : `${T}-- "$p"`;
      const remount = `mount -o ${shq(withOpts ? `remount,${a.opts}` : 'remount')} ${target}`;
      // Ansible's remount(): a failed remount falls back to umount + mount, unless opts were given to remounted
      const fallback = withOpts
        ? `{ echo 'Options were specified with remounted, but the remount command failed. Failing in order to prevent an unexpected mount result. Try replacing this command with a "state: unmounted" followed by a "state: mounted" using the full desired mount options instead.' >&2; exit 21; }`
        : `{ out=$(umount -- "$p" 2>&1 </dev/null && ${plainMount} 2>&1 </dev/null) || ${failMount(a.state === 'remounted' ? 'Error remounting' : 'Error mounting')}; }`;
      L.push(`out=$(${remount} 2>&1 </dev/null) || ${fallback}`);
      break;
    }
    case 'umount':
    case 'umount-rmdir':
    case 'rmdir':
      if (st.action !== 'rmdir') L.push(`out=$(umount -- "$p" 2>&1 </dev/null) || { printf 'Error unmounting %s: %s\\n' "$p" "$out" >&2; exit 22; }`);
      // absent removes the mount point too
      if (st.action !== 'umount') L.push(`if [ -e "$p" ]; then out=$(rmdir -- "$p" 2>&1) || { printf 'Error rmdir %s: %s\\n' "$p" "$out" >&2; exit 23; }; fi`);
      break;
    case 'none':
      break;
  }
  return L.join('\n') + '\n';
}

export default defineModule<MountArgs, MountState>({
  name: 'mount',
  doc: {
    short: 'Control active and configured mount points',
    description:
      'ansible.posix.mount on Linux: the fstab entry (`src path fstype opts dump passno`, spaces escaped as \\040) and the mount. ' +
      'mounted: entry written, mount point created, mounted (remounted when a mounted entry changed); present: entry only; ' +
      'unmounted: unmounted, fstab untouched; absent: entry removed, then unmounted and the mount point removed (only when an entry was removed, as Ansible); ' +
      'absent_from_fstab: entry removed only; remounted: always remounts (changed); ephemeral: mounted with src/fstype/opts on the command line, fstab ignored. ' +
      'A mount that fails puts fstab and the new directories back. One read-only request plans it (mountinfo, the mount point, fstab); ' +
      '--diff shows fstab and the mount state. Options with a password are masked in output; ephemeral and remounted refuse them (they would be on a command line).',
    check: 'full',
    diff: true,
    examples: [
      '- mount: { path: /srv/cache, src: tmpfs, fstype: tmpfs, opts: "size=64m,mode=0755", state: mounted }',
      '- ansible.posix.mount: { path: /srv/www, src: /data/www, fstype: none, opts: bind, state: mounted }',
      '- mount: { path: /mnt/dvd, src: /dev/sr0, fstype: iso9660, opts: ro, boot: false, state: present }',
      '- mount: { path: /srv/cache, state: absent }',
    ].join('\n'),
  },
  args: {
    path: { type: 'path', required: true, aliases: ['name'], description: 'The mount point (absolute).' },
    src: { type: 'path', description: 'Device, directory (bind) or remote volume; required with mounted, present and ephemeral.' },
    fstype: { type: 'str', description: 'Filesystem type; required with mounted, present and ephemeral.' },
    opts: { type: 'str', description: 'Mount options (fstab(5)); default "defaults".' },
    dump: { type: 'str', default: '0', description: 'fstab dump field.' },
    passno: { type: 'str', default: '0', description: 'fstab pass number.' },
    state: { type: 'str', required: true, choices: ['absent', 'absent_from_fstab', 'mounted', 'present', 'unmounted', 'remounted', 'ephemeral'], description: 'What to make of the entry and the mount (see above).' },
    fstab: { type: 'path', description: 'Another file than /etc/fstab (mount -T); created when missing.' },
    boot: { type: 'bool', default: true, description: 'false adds noauto to opts (ignored when opts holds noauto or defaults).' },
    backup: { type: 'bool', default: false, description: 'Keep a timestamped copy of fstab before changing it (result backup_file).' },
  },
  validate(a) {
    if (!a.path.startsWith('/') && a.path !== 'none') throw new ArgumentError(`path must be absolute (or none, for swap); got ${JSON.stringify(a.path)}`);
    if (['mounted', 'present', 'ephemeral'].includes(a.state)) {
      const missing = (['src', 'fstype'] as const).filter((k) => a[k] === undefined || a[k] === '');
      if (missing.length > 0) throw new ArgumentError(`state is ${a.state} but all of the following are missing: ${missing.join(', ')}`);
    }
    for (const k of ['path', 'src', 'fstype', 'opts', 'dump', 'passno'] as const) {
      if (/[\n\t]/.test(a[k] ?? '')) throw new ArgumentError(`${k} cannot contain a newline or a tab`);
    }
    if (/[\s]/.test(a.fstype ?? '') || /[\s]/.test(a.opts ?? '') || /\s/.test(a.dump) || /\s/.test(a.passno)) {
      throw new ArgumentError('fstype, opts, dump and passno cannot contain spaces');
    }
    if ((a.state === 'ephemeral' || a.state === 'remounted') && /(^|,)pass(word)?=/.test(a.opts ?? '')) {
      throw new ArgumentError(`opts with a password would be on mount's command line with state=${a.state}; use credentials=FILE`);
    }
  },
  reads: (a) => [probeRequest(a)],
  async plan(ctx, a) {
    for (const s of optSecrets(a)) ctx.secret(s);
    return planMount(ctx, a);
  },
  async apply(ctx, a, plan) {
    const st = plan.state!;
    const r = await ctx.conn.exec(applyScript(a, st), { label: `mount:${st.action}`, stdin: st.fstab !== undefined ? Buffer.from(st.fstab) : undefined });
    if (r.exitCode !== 0) throw new ModuleFailure(r.stderr.trim() || `mount ${a.path}: exit ${r.exitCode}`, { rc: r.exitCode });
    const bk = parseFields(r.raw).get('backup');
    const result = { ...plan.result, ...(bk !== undefined ? { backup_file: Buffer.from(bk, 'hex').toString('utf8') } : {}) };
    return { changed: true, msg: plan.msg, diff: plan.diff, result };
  },
});
