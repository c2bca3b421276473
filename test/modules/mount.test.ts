// mount: the fstab rules of ansible.posix.mount (matching, rewriting, escaping, boot/noauto), the
// mount table as Ansible reads mountinfo, and the plan against recorded probes (which request,
// which action). Nothing is mounted here: the lab test (test/e2e/system-settings.test.ts) mounts
// inside lab hosts, and a local run only edits a temporary fstab (state present/absent_from_fstab).
import t from 'tap';
import { join } from 'node:path';
import { readFileSync, writeFileSync } from 'node:fs';
import mount, { applyScript, mountEntry, type MountArgs } from '../../lib/modules/mount.js';
import { escapeFstab, parseMountinfo, setMount, unsetMount } from '../../lib/modules/util/fstab.js';
import { validateArgs } from '../../lib/modules/args.js';
import { fakeContext, runTask } from '../helpers/fake-ctx.js';
import { ScriptedConnection } from '../helpers/scripted-conn.js';

const args = (a: Record<string, unknown>): MountArgs => validateArgs(mount, a) as unknown as MountArgs;
const entry = (a: Record<string, unknown>) => mountEntry(args(a)).entry;

t.test('fstab lines as Ansible writes and matches them', async (t) => {
  const e = entry({ path: '/srv/my data', src: '/dev/sdb1', fstype: 'ext4', state: 'present' });
  t.equal(e.name, '/srv/my\\040data', 'spaces escaped');
  t.equal(escapeFstab('a\\b&c'), 'a\\134b\\046c');
  const base = '# fstab\nUUID=1 / ext4 errors=remount-ro 0 1\n\n';
  const added = setMount(base, e);
  t.same(added, { text: base + '/dev/sdb1 /srv/my\\040data ext4 defaults 0 0\n', changed: true }, 'appended');
  t.same(setMount(added.text, e), { text: added.text, changed: false }, 'present again: unchanged');
  // a matching line is rewritten whole with single spaces; 4 fields (no dump/passno) always differ
  const four = setMount('/dev/sdb1   /srv/x  ext4  defaults\n', entry({ path: '/srv/x', src: '/dev/sdb1', fstype: 'ext4', state: 'present' }));
  t.same(four, { text: '/dev/sdb1 /srv/x ext4 defaults 0 0\n', changed: true });
  t.same(setMount('/dev/a /srv/x ext4 ro 0 0', entry({ path: '/srv/x', src: '/dev/a', fstype: 'ext4', opts: 'rw', state: 'present' })).text, '/dev/a /srv/x ext4 rw 0 0\n', 'a last line without newline');
  // swap entries share the path "none": the src tells them apart
  const swaps = '/dev/sw1 none swap sw 0 0\n/dev/sw2 none swap sw 0 0\n';
  t.same(setMount(swaps, entry({ path: 'none', src: '/dev/sw2', fstype: 'swap', opts: 'sw', state: 'present' })), { text: swaps, changed: false });
  t.same(unsetMount(swaps, { name: 'none', src: '/dev/sw1' }), { text: '/dev/sw2 none swap sw 0 0\n', changed: true });
  // removal takes only 6-field lines, as Ansible's unset_mount
  t.same(unsetMount('/dev/a /srv/x ext4 defaults\n/dev/b /srv/x ext4 defaults 0 0\n', { name: '/srv/x' }), { text: '/dev/a /srv/x ext4 defaults\n', changed: true });
  t.same(unsetMount('', { name: '/srv/x' }), { text: '', changed: false });
});

t.test('boot=false adds noauto, with Ansible warnings', async (t) => {
  t.same(mountEntry(args({ path: '/m', src: 's', fstype: 'tmpfs', opts: 'size=1m', boot: false, state: 'present' })).entry.opts, 'size=1m,noauto');
  const d = mountEntry(args({ path: '/m', src: 's', fstype: 'tmpfs', boot: false, state: 'present' }));
  t.same([d.entry.opts, d.boot, d.warnings], ['defaults', 'no', ["Ignore the 'boot' due to 'opts' contains 'defaults'."]]);
  const n = mountEntry(args({ path: '/m', src: 's', fstype: 'tmpfs', opts: 'ro,noauto', state: 'present' }));
  t.same([n.entry.opts, n.boot, n.warnings], ['ro,noauto', 'yes', ["Ignore the 'boot' due to 'opts' contains 'noauto'."]]);
});

t.test('bad arguments', async (t) => {
  for (const [a, re] of [
    [{ path: '/m', state: 'mounted', fstype: 'tmpfs' }, /state is mounted but all of the following are missing: src/],
    [{ path: 'rel', state: 'unmounted' }, /path must be absolute/],
    [{ path: '/m', state: 'bogus' }, /must be one of: absent, absent_from_fstab/],
    [{ path: '/m', src: 's', fstype: 'cifs', opts: 'user=a,password=x', state: 'ephemeral' }, /password would be on mount's command line/],
    [{ path: '/m', src: 's', fstype: 'tmpfs', opts: 'a b', state: 'present' }, /cannot contain spaces/],
  ] as const) {
    t.throws(() => mount.validate!(args(a as Record<string, unknown>)), re);
  }
});

const MOUNTINFO = [
  '20 1 0:30 / / rw,relatime - overlay overlay rw,lowerdir=/',
  '25 20 0:40 / /tmp rw,nosuid - tmpfs tmpfs rw',
  '31 20 0:41 / /srv/cache rw,relatime - tmpfs tmpfs rw,size=1024k',
  '32 20 0:30 /srv/data /srv/www rw,relatime - overlay overlay rw',
  '33 25 0:40 /a\\040b /srv/tmpbind rw - tmpfs tmpfs rw',
].join('\n');

t.test("the mount table as Ansible's get_linux_mounts reads it", async (t) => {
  const m = parseMountinfo(MOUNTINFO);
  t.same(m.get('/srv/www'), { dst: '/srv/www', src: '/srv/data', device: 'overlay', fstype: 'overlay', opts: 'rw,relatime' }, 'a bind mount: its root');
  t.equal(m.get('/srv/cache')?.src, '/', 'a tmpfs below /: its root, as Ansible');
  t.equal(m.get('/srv/cache')?.device, 'tmpfs');
  t.equal(m.get('/srv/tmpbind')?.src, '/tmp/a b', "below a parent mounted elsewhere: the parent's mount point first; octal escapes read");
  t.equal(m.get('/')?.src, 'overlay', 'the root: the device');
});

/** A recorded probe: path type, ismount, mountinfo and an fstab file. */
function probeReply(o: { path?: string; ismount?: boolean; mountinfo?: string; fstab?: string }): string {
  const fstab = o.fstab === undefined ? 'exists=0\nparent=1\n' : `exists=1\ntype=file\nstat=644 0 0 root root ${Buffer.byteLength(o.fstab)}\nsha256=x\n---\n${o.fstab}`;
  return `path=${o.path ?? 'none'}\n${o.ismount === undefined ? '' : `ismount=${o.ismount ? 1 : 0}\n`}@mountinfo\n${o.mountinfo ?? MOUNTINFO}\n@fstab\n${fstab}`;
}

async function plan(a: Record<string, unknown>, reply: Parameters<typeof probeReply>[0], applied: string[] = []) {
  const conn = new ScriptedConnection([
    { label: 'mount:probe', reply: { stdout: probeReply(reply) } },
    { label: /^mount:/, reply: (s) => (applied.push(s), { stdout: '' }) },
  ]);
  const ctx = { ...fakeContext({ check: false, diff: true }), conn, control: conn };
  const r = await runTask(mount, ctx, args(a));
  return { r, conn, applied };
}

const TMPFS = { path: '/srv/cache', src: 'tmpfs', fstype: 'tmpfs', opts: 'size=1m', state: 'mounted' };
const LINE = 'tmpfs /srv/cache tmpfs size=1m 0 0\n';

t.test('plans against recorded probes', async (t) => {
  let p = await plan(TMPFS, { path: 'directory', ismount: true, fstab: LINE });
  t.same([p.r.outcome.changed, p.conn.stats.requests, p.conn.sent[0]!.readOnly], [false, 1, true], 'mounted and in fstab: one read-only request, no change');

  p = await plan(TMPFS, { path: 'none', mountinfo: MOUNTINFO.split('\n').slice(0, 2).join('\n'), fstab: '' });
  t.equal(p.r.outcome.changed, true);
  t.match(p.r.outcome.msg, 'create /srv/cache, write the /etc/fstab entry, mount /srv/cache');
  t.match(p.applied[0], /mkdir -- \/srv \|\|/);
  t.match(p.applied[0], /out=\$\(mount -- "\$p" 2>&1 <\/dev\/null\) \|\| \{ printf 'Error mounting/);
  t.same(p.r.outcome.diff?.[1], { path: 'mount /srv/cache', attrs: { state: { before: 'unmounted', after: 'mounted' } } });

  p = await plan({ ...TMPFS, opts: 'size=2m' }, { path: 'directory', ismount: true, fstab: LINE });
  t.match(p.r.outcome.msg, 'write the /etc/fstab entry, remount /srv/cache', 'a mounted entry that changes is remounted');
  t.match(p.applied[0], /mount -o remount -- "\$p"/);

  p = await plan({ path: '/srv/www', src: '/srv/data', fstype: 'none', opts: 'bind', state: 'mounted' }, { path: 'directory', ismount: false, fstab: '/srv/data /srv/www none bind 0 0\n' });
  t.equal(p.r.outcome.changed, false, 'a bind mount from the same filesystem is known by its source');

  p = await plan({ path: '/srv/cache', state: 'unmounted' }, { path: 'directory', ismount: true, fstab: LINE });
  t.match(p.applied[0], /umount -- "\$p"/);
  t.notMatch(p.applied[0], /rmdir/, 'unmounted keeps the mount point');
  p = await plan({ path: '/srv/other', state: 'unmounted' }, { path: 'directory', ismount: false, fstab: LINE });
  t.equal(p.r.outcome.changed, false, 'not mounted: nothing to do');

  p = await plan({ path: '/srv/cache', state: 'absent' }, { path: 'directory', ismount: true, fstab: LINE });
  t.match(p.r.outcome.msg, 'remove the /etc/fstab entry, unmount /srv/cache, remove /srv/cache');
  t.match(p.applied[0], /umount -- "\$p"[^\n]*\nif \[ -e "\$p" \]; then out=\$\(rmdir/);
  p = await plan({ path: '/srv/cache', state: 'absent' }, { path: 'directory', ismount: true, fstab: '' });
  t.equal(p.r.outcome.changed, false, 'absent without an entry leaves the mount alone, as Ansible');

  p = await plan({ path: '/srv/cache', state: 'remounted' }, { path: 'directory', ismount: true, fstab: LINE });
  t.equal(p.r.outcome.changed, true, 'remounted always changes');

  p = await plan({ path: '/srv/cache', src: 'tmpfs', fstype: 'tmpfs', opts: 'size=3m', state: 'ephemeral' }, { path: 'directory', ismount: true });
  t.match(p.applied[0], /mount -o remount -t tmpfs -o size=3m -- tmpfs "\$p"/, 'ephemeral on a mounted tmpfs: remount with the options');
  await t.rejects(plan({ path: '/srv/cache', src: '/dev/sdz', fstype: 'ext4', state: 'ephemeral' }, { path: 'directory', ismount: true }), /already mounted with a different source/);
});

t.test('the apply script puts fstab and the new directories back when mounting fails', async (t) => {
  const a = args({ ...TMPFS, fstab: '/etc/fstab.d/x', backup: true });
  const s = applyScript(a, { fstab: LINE, mkdirs: ['/srv', '/srv/cache'], action: 'mount' });
  t.match(s, /mount -T \/etc\/fstab.d\/x -- "\$p"/, 'another fstab: mount -T');
  t.match(s, /if \[ -n "\$old" \]; then cat -- "\$old" > "\$f"; else : > "\$f"; fi 2>\/dev\/null; \[ -z "\$mk1" \] \|\| rmdir -- \/srv\/cache 2>\/dev\/null; \[ -z "\$mk0" \] \|\| rmdir -- \/srv 2>\/dev\/null; exit 20/);
});

t.test('present and absent_from_fstab on a temporary fstab, for real', async (t) => {
  const dir = t.testdir({ fstab: '# static\n' });
  const f = join(dir, 'fstab');
  const ctx = fakeContext({ diff: true });
  const want = { path: '/srv/bosun-unit', src: 'tmpfs', fstype: 'tmpfs', opts: 'size=1m', state: 'present', fstab: f, backup: true };
  const r1 = await runTask(mount, ctx, args(want));
  t.equal(r1.outcome.changed, true);
  t.equal(readFileSync(f, 'utf8'), '# static\ntmpfs /srv/bosun-unit tmpfs size=1m 0 0\n');
  t.match(String(r1.outcome.result?.backup_file), /fstab\.\d{14}~$/);
  t.same(r1.outcome.diff?.[0], { path: f, before: '# static\n', after: '# static\ntmpfs /srv/bosun-unit tmpfs size=1m 0 0\n' });
  t.equal((await runTask(mount, ctx, args(want))).outcome.changed, false, 'idempotent');
  const check = await runTask(mount, fakeContext({ check: true }), args({ ...want, state: 'absent_from_fstab' }));
  t.equal(check.outcome.changed, true, 'check predicts the removal');
  t.match(readFileSync(f, 'utf8'), /bosun-unit/, 'and leaves the file');
  await runTask(mount, ctx, args({ ...want, state: 'absent_from_fstab' }));
  t.equal(readFileSync(f, 'utf8'), '# static\n');
  writeFileSync(f, '');
});
