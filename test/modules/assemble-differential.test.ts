// assemble, tempfile, stat (checksum algorithms, mime), template's newline_sequence and copy with
// remote_src and a directory against ansible-playbook (connection local, one scratch tree per side):
// the same resulting files (paths, modes, bytes), the same registered results (tempfile's path by
// its shape), the same recap; a rerun changes only what always changes (tempfile, the dump); under
// --check tempfile is skipped on both sides.
import t, { type Test } from 'tap';
import { chmodSync, mkdirSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ansibleAvailable, dump, likeAnsible, runBoth, type SideRun } from '../helpers/files-differential.js';

const ASM = ['a_remote', 'a_local', 'a_bad', 'a_empty'];
const TMP = ['t_file', 't_dir', 't_default'];
const STAT = ['s_text', 's_bin', 's_dir', 's_link', 's_follow', 's_bare', 's_missing', 's_sha256'];
const NL = ['n_crlf', 'n_cr', 'n_lf'];
const CP = ['c_contents_new', 'c_dir_new', 'c_dir_into', 'c_contents_into', 'c_slash_dest'];
const REG = [...ASM, ...TMP, ...STAT, ...NL, ...CP];

const tasks = [
  { name: 'a_remote', assemble: { src: '@W@/frags', dest: '@W@/out/asm1', delimiter: '### \\x41 \\t end', mode: '0640' }, register: 'a_remote' },
  { name: 'a_local', assemble: { src: '@W@/frags/', dest: '@W@/out/asm2', remote_src: false, regexp: '^\\d', ignore_hidden: true }, register: 'a_local' },
  { name: 'a_bad', assemble: { src: '@W@/frags', dest: '@W@/out/asm3', validate: 'false %s' }, register: 'a_bad', ignore_errors: true },
  { name: 'a_empty', assemble: { src: '@W@/frags', dest: '@W@/out/asm4', regexp: 'nothing-matches' }, register: 'a_empty' },
  { name: 't_file', tempfile: { path: '@W@/tmp' }, register: 't_file' },
  { name: 't_dir', tempfile: { state: 'directory', path: '@W@/tmp/', prefix: 'pre-', suffix: '.d' }, register: 't_dir' },
  { name: 't_default', tempfile: { suffix: '.bosun-diff' }, register: 't_default' },
  { name: 's_text', stat: { path: '@W@/frags/01-a', checksum_algorithm: 'sha512' }, register: 's_text' },
  { name: 's_bin', stat: { path: '@W@/bin.dat', checksum: 'md5' }, register: 's_bin' },
  { name: 's_dir', stat: { path: '@W@/frags' }, register: 's_dir' },
  { name: 's_link', stat: { path: '@W@/frags/05-link' }, register: 's_link' },
  { name: 's_follow', stat: { path: '@W@/frags/05-link', follow: true }, register: 's_follow' },
  { name: 's_bare', stat: { path: '@W@/bin.dat', get_checksum: false, get_mime: false }, register: 's_bare' },
  { name: 's_missing', stat: { path: '@W@/nope' }, register: 's_missing' },
  { name: 's_sha256', stat: { path: '@W@/bin.dat', checksum_algorithm: 'sha256' }, register: 's_sha256' },
  { name: 'n_crlf', template: { src: '@W@/n.j2', dest: '@W@/out/crlf', newline_sequence: '\r\n' }, register: 'n_crlf' },
  { name: 'n_cr', template: { src: '@W@/n.j2', dest: '@W@/out/cr', newline_sequence: '\\r' }, register: 'n_cr' },
  { name: 'n_lf', template: { src: '@W@/n.j2', dest: '@W@/out/lf', validate: 'grep -q c %s' }, register: 'n_lf' },
  { name: 'c_contents_new', copy: { src: '@W@/tree/', dest: '@W@/out/c1', remote_src: true }, register: 'c_contents_new' },
  { name: 'c_dir_new', copy: { src: '@W@/tree', dest: '@W@/out/c2', remote_src: true }, register: 'c_dir_new' },
  { name: 'c_dir_into', copy: { src: '@W@/tree', dest: '@W@/pre', remote_src: true }, register: 'c_dir_into' },
  { name: 'c_contents_into', copy: { src: '@W@/tree/', dest: '@W@/pre2', remote_src: true }, register: 'c_contents_into' },
  { name: 'c_slash_dest', copy: { src: '@W@/tree', dest: '@W@/out/c5/new/', remote_src: true }, register: 'c_slash_dest' },
];

// pipelining: Ansible's local runs without its temp-file round trips (the test's time is Ansible's)
const play = [{ hosts: 'all', gather_facts: false, vars: { flag: true, v: 'x\ny', ansible_pipelining: true }, tasks: [...tasks, ...dump(REG)] }];

type Res = Record<string, Record<string, unknown>>;

/** tempfile's random name by its shape; the rest as registered. */
function tempShape(r: Record<string, unknown> | undefined): unknown {
  if (!r) return r;
  const path = String(r.path);
  const shape = path
    .replace(/ansible\.[a-z0-9_]{8}\.bosun-diff$/, 'ansible.<8>.bosun-diff')
    .replace(/pre-[a-z0-9_]{8}\.d$/, 'pre-<8>.d')
    .replace(/ansible\.[a-z0-9_]{8}$/, 'ansible.<8>');
  return { ...r, path: shape };
}

/** A failed task: its message (Ansible's failure result carries its own extra keys). */
function failure(r: Record<string, unknown> | undefined): unknown {
  return r && { failed: r.failed, msg: r.msg, changed: r.changed };
}

function compare(t: Test, a: SideRun, b: SideRun, what: string): void {
  const ares = a.results.h1 as Res;
  const bres = b.results.h1 as Res;
  t.ok(ares && Object.keys(ares).length === REG.length, `${what}: ansible's results dumped`);
  for (const k of REG) {
    let x: unknown = likeAnsible(bres?.[k], ares[k]);
    let y: unknown = ares[k];
    if (k === 'a_bad') [x, y] = [failure(x as Record<string, unknown>), failure(y as Record<string, unknown>)];
    else if (TMP.includes(k)) [x, y] = [tempShape(x as Record<string, unknown>), tempShape(y as Record<string, unknown>)];
    else if (k === 'a_local' || NL.includes(k)) {
      // from the control node Ansible runs its copy module on a temp file of its own: src is that
      // file's name; bosun gives the task's src (and neither the copy's uid/gid)
      // (template results, like copy's single-file ones, carry no md5sum nor state in bosun)
      const keep = ['dest', 'checksum', 'size', 'mode', 'owner', 'group', 'changed', ...(NL.includes(k) ? [] : ['md5sum', 'state'])];
      const pick = (r: unknown) => Object.fromEntries(Object.entries((r ?? {}) as Record<string, unknown>).filter(([key]) => keep.includes(key)));
      [x, y] = [pick(x), pick(y)];
    } else if (STAT.includes(k)) {
      // every key, but what differs between the two sides' copies of the tree by construction
      // (stat-differential.test.ts compares those too, on the same files)
      const copyOwn = ['inode', 'atime', 'mtime', 'ctime', 'version']; // (version: lsattr's inode generation)
      const keep = (r: unknown) => Object.fromEntries(Object.entries((r as { stat?: Record<string, unknown> })?.stat ?? {}).filter(([key]) => !copyOwn.includes(key)));
      x = { ...(x as object), stat: keep(x) };
      y = { ...(y as object), stat: keep(y) };
    }
    if (k.startsWith('a_') && k !== 'a_bad' && k !== 'a_local') {
      // uid/gid: bosun's put results do not carry them
      for (const r of [x, y] as Array<Record<string, unknown>>) {
        delete r.uid;
        delete r.gid;
      }
    }
    t.same(x, y, `${what}: ${k} as Ansible registers it`);
  }
  const files = (s: SideRun) => Object.fromEntries(Object.entries(s.tree).filter(([p]) => !p.startsWith('results-') && !p.startsWith('tmp/')));
  t.same(files(b), files(a), `${what}: the same files (paths, modes, bytes)`);
  t.same(b.recap, a.recap, `${what}: same recap`);
}

t.test('assemble, tempfile, stat, newline_sequence, copy remote_src trees: as ansible-playbook', { skip: ansibleAvailable ? false : 'ansible-playbook not installed' }, async (t) => {
  const root = t.testdir({});
  const seed = join(root, 'seed');
  for (const d of ['frags/dir', 'tree/sub/deeper', 'tree/empty', 'pre/tree', 'pre2/sub', 'out', 'tmp']) mkdirSync(join(seed, d), { recursive: true });
  writeFileSync(join(seed, 'frags', '01-a'), 'a=1\n');
  writeFileSync(join(seed, 'frags', '02-b'), 'b=2'); // no newline: one is added after it
  writeFileSync(join(seed, 'frags', '.hidden'), 'h\n');
  writeFileSync(join(seed, 'frags', '10-c.conf'), 'c\r\n');
  writeFileSync(join(seed, 'frags', 'Z-upper'), 'Z\n'); // sorted by code point: before the lower-case names
  writeFileSync(join(seed, 'frags', 'dir', 'ignored'), 'not a fragment\n');
  symlinkSync('dir/../01-a', join(seed, 'frags', '05-link')); // a link to a file is a fragment; stat resolves it
  writeFileSync(join(seed, 'bin.dat'), Buffer.from([0, 1, 2, 255, 254, 10, 0]));
  writeFileSync(join(seed, 'n.j2'), 'a\r\nb\n{% if flag %}\nc\r{% endif %}\n{{ v }}\n\n');
  writeFileSync(join(seed, 'tree', 'f.txt'), 'x\r\ny\n');
  chmodSync(join(seed, 'tree', 'f.txt'), 0o750);
  writeFileSync(join(seed, 'tree', 'sub', 'g'), 'g\n');
  writeFileSync(join(seed, 'tree', 'sub', 'deeper', 'h.bin'), Buffer.from([0, 255, 0]));
  chmodSync(join(seed, 'tree', 'sub'), 0o700);
  writeFileSync(join(seed, 'pre', 'tree', 'f.txt'), 'stale\n'); // replaced, with the source's mode
  writeFileSync(join(seed, 'pre', 'tree', 'keep.txt'), 'kept\n'); // not in src: left alone
  writeFileSync(join(seed, 'pre2', 'sub', 'g'), 'g\n'); // the same: untouched
  chmodSync(join(seed, 'pre2', 'sub', 'g'), 0o600);

  const made: string[] = [];
  const madeBy = (s: SideRun) => made.push(...TMP.map((k) => String((s.results.h1 as Res | undefined)?.[k]?.path ?? '')).filter((p) => p.startsWith(tmpdir())));
  const checkPlay = [{ hosts: 'all', gather_facts: false, tasks: [tasks.find((x) => x.name === 't_file')!, tasks.find((x) => x.name === 's_text')!] }];
  // --check works in copies of its own (root/check/…): it runs beside the first run
  const checkedRun = runBoth(join(root, 'check'), seed, checkPlay, ['h1'], { check: true });
  try {
    const started = Date.now();
    const first = await runBoth(root, seed, play, ['h1']);
    t.comment(`first run, both sides: ${((Date.now() - started) / 1000).toFixed(1)} s`);
    madeBy(first.ansible);
    madeBy(first.bosun);
    t.equal(first.ansible.code, 0, 'ansible-playbook ran (the failed validate is ignored)');
    t.equal(first.bosun.code, 0, first.bosun.out);
    compare(t, first.ansible, first.bosun, 'first run');
    t.match(first.bosun.tree['out/c2/tree/f.txt'], /^file 750 /, 'the source file\'s mode, as Ansible');
    t.equal(first.bosun.tree['pre/tree/keep.txt']?.startsWith('file 644'), true, 'what dest holds besides is left alone');
    t.ok(Number(first.ansible.recap.h1?.changed) >= 12, `the first run changes things (not vacuous): ${first.ansible.recap.h1?.changed}`);

    const again = await runBoth(root, seed, play, ['h1'], { again: true });
    madeBy(again.ansible);
    madeBy(again.bosun);
    t.equal(again.ansible.recap.h1?.changed, 4, 'ansible: a rerun changes only the tempfiles and the dump');
    compare(t, again.ansible, again.bosun, 'rerun');

    const checked = await checkedRun;
    t.same(checked.bosun.recap, checked.ansible.recap, '--check: tempfile skipped on both sides');
    t.equal(checked.ansible.recap.h1?.skipped, 1);
  } finally {
    // the tempfiles made in the host's temporary directory
    for (const p of made) rmSync(p, { force: true });
  }
});
