// stat against ansible-playbook (connection local): the same files — odd modes (setuid, setgid,
// sticky, 0000), a directory, links to a file and a directory (absolute, relative, dangling, a loop),
// a fifo, a socket, /dev/null, a hard link, an owner without a name, a missing path, a path through
// a file — stat'ed by both with follow true/false, sha256, md5, get_mime and get_attributes on/off.
// Both sides stat the SAME files (not copies), so every key is compared as it is: inode, dev, the
// three times to the last bit, and the key order. Run as root (in-process bosun) and, for
// readable/writeable/executable as an unprivileged user, both again as nobody (the built bin).
import t, { type Test } from 'tap';
import { chmodSync, chownSync, linkSync, lstatSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, readlinkSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { spawnSync } from 'node:child_process';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { stringify } from 'yaml';
import { ansibleAvailable } from '../helpers/files-differential.js';
import { binBuilt, binPath, run, spawnCollect } from '../helpers/run.js';


const NOBODY = 65534;

/** Case id → stat's arguments (@F@: the fixture directory); `fails`: the task may fail (ignore_errors). */
const CASES: Record<string, { args: Record<string, unknown>; fails?: boolean }> = {
  reg: { args: { path: '@F@/file' } },
  reg_bare: { args: { path: '@F@/file', get_checksum: false, get_mime: false, get_attributes: false } },
  suid_sha256: { args: { path: '@F@/suid', checksum_algorithm: 'sha256' } },
  sgid_md5: { args: { path: '@F@/sgid', get_md5: true, checksum: 'sha512' } },
  sticky_dir: { args: { path: '@F@/sticky' } },
  noperm: { args: { path: '@F@/none' } },
  private: { args: { path: '@F@/private' } },
  exec: { args: { path: '@F@/run.sh' } },
  empty: { args: { path: '@F@/empty' } },
  bin: { args: { path: '@F@/bin.dat', mime: false } },
  dir: { args: { path: '@F@/dir' } },
  link: { args: { path: '@F@/link' } },
  link_follow: { args: { path: '@F@/link', follow: true } },
  link_dir: { args: { path: '@F@/link-dir', attr: false } },
  link_dir_follow: { args: { path: '@F@/link-dir', follow: true } },
  rel_link: { args: { path: '@F@/dir/rel' } },
  rel_link_follow: { args: { path: '@F@/dir/rel', follow: true, checksum_algorithm: 'md5' } },
  dangling: { args: { path: '@F@/dangling' } },
  dangling_follow: { args: { path: '@F@/dangling', follow: true } },
  loop: { args: { path: '@F@/loop' } },
  loop_follow: { args: { path: '@F@/loop', follow: true }, fails: true },
  fifo: { args: { path: '@F@/fifo' } },
  socket: { args: { path: '@F@/sock' } },
  devnull: { args: { path: '/dev/null' } },
  hard: { args: { path: '@F@/hard' } },
  orphan: { args: { path: '@F@/orphan' } },
  // (no $NAME: Ansible's path type expands variables on the host, bosun's only ~; see docs/ansible-differences.md)
  odd_name: { args: { path: "@F@/we ird 'q' $(id) `x`" } },
  missing: { args: { path: '@F@/nope' } },
  missing_dir: { args: { path: '@F@/no/such/dir' } },
  notdir: { args: { path: '@F@/file/x' }, fails: true },
  in_private_dir: { args: { path: '@F@/closed/inner' }, fails: true }, // as nobody
  // the home of the user on the host (as nobody: a home of the test's, holding the marker)
  tilde: { args: { path: '~/marker' } },
};

function playbook(fixture: string, out: string): string {
  const tasks = Object.entries(CASES).map(([id, c]) => ({ name: id, stat: c.args, register: id, ...(c.fails ? { ignore_errors: true } : {}) }));
  const all = `{ ${Object.keys(CASES).map((id) => `'${id}': ${id}`).join(', ')} }`;
  const play = [{ hosts: 'all', gather_facts: false, tasks: [...tasks, { name: 'dump', copy: { content: `{{ ${all} | to_json }}\n`, dest: out } }] }];
  return stringify(play).replaceAll('@F@', fixture);
}

/** The files, made once; read once (and a moment later) so that neither side's reads move an atime (relatime: a read moves it only while it is not past mtime and ctime). */
function makeFixture(root: string): string {
  const F = join(root, 'f');
  mkdirSync(F);
  const file = (name: string, content: string | Buffer, mode: number) => {
    writeFileSync(join(F, name), content);
    chmodSync(join(F, name), mode);
  };
  file('file', 'hello\n', 0o644);
  file('suid', '#!/bin/sh\n', 0o4755);
  file('sgid', 'g\n', 0o2750);
  file('none', 'secret\n', 0o000);
  file('private', 'root only\n', 0o600);
  file('run.sh', '#!/bin/sh\necho hi\n', 0o755);
  file('empty', '', 0o644);
  file('bin.dat', Buffer.from([0, 1, 2, 255, 254]), 0o640);
  file('orphan', 'no name\n', 0o664);
  chownSync(join(F, 'orphan'), 54321, 54321);
  file("we ird 'q' $(id) `x`", 'odd\n', 0o644);
  mkdirSync(join(F, 'dir'));
  mkdirSync(join(F, 'sticky'));
  chmodSync(join(F, 'sticky'), 0o1777);
  mkdirSync(join(F, 'closed'));
  file('closed/inner', 'x\n', 0o644);
  chmodSync(join(F, 'closed'), 0o700);
  symlinkSync(join(F, 'file'), join(F, 'link'));
  symlinkSync(join(F, 'dir'), join(F, 'link-dir'));
  symlinkSync('../sticky/../file', join(F, 'dir', 'rel'));
  symlinkSync('gone', join(F, 'dangling'));
  symlinkSync('loop', join(F, 'loop'));
  linkSync(join(F, 'file'), join(F, 'hard'));
  // nobody's home, with a file to stat as ~/marker
  mkdirSync(join(root, 'home'));
  writeFileSync(join(root, 'home', 'marker'), 'm\n');
  chownSync(join(root, 'home'), NOBODY, NOBODY);
  spawnSync('mkfifo', [join(F, 'fifo')]);
  // a socket file stays after its process: bound by python3 (Ansible's own interpreter)
  spawnSync('python3', ['-c', 'import socket,sys; socket.socket(socket.AF_UNIX).bind(sys.argv[1])', join(F, 'sock')]);
  // reading each file once sets its atime past its mtime and ctime: later reads (checksums) leave it
  spawnSync('sleep', ['0.05']);
  for (const name of readdirSync(F)) {
    const p = join(F, name);
    const st = lstatSync(p);
    if (st.isFile()) readFileSync(p);
    else if (st.isSymbolicLink()) readlinkSync(p); // readlink moves a link's atime too
  }
  readFileSync(join(F, 'closed', 'inner'));
  readlinkSync(join(F, 'dir', 'rel'));
  readFileSync(join(root, 'home', 'marker'));
  return F;
}

interface Side {
  code: number;
  out: string;
  results?: Record<string, Record<string, unknown>>;
}

function inventory(dir: string): string {
  const inv = join(dir, 'inv.yml');
  writeFileSync(inv, stringify({ all: { hosts: { h1: { ansible_connection: 'local', ansible_python_interpreter: '/usr/bin/python3' } } } }));
  return inv;
}

function readResults(file: string): Record<string, Record<string, unknown>> | undefined {
  try {
    return JSON.parse(readFileSync(file, 'utf8')) as Record<string, Record<string, unknown>>;
  } catch {
    return undefined;
  }
}

/** One side's run in `dir` (its playbook, inventory and results); as `uid` through setpriv when given. */
async function side(name: 'ansible' | 'bosun', root: string, F: string, uid?: number): Promise<Side> {
  const dir = join(root, `${name}${uid === undefined ? '' : '-' + uid}`);
  mkdirSync(join(dir, 'tmp'), { recursive: true });
  const out = join(dir, 'results.json');
  const site = join(dir, 'site.yml');
  writeFileSync(site, playbook(F, out));
  const inv = inventory(dir);
  const env: NodeJS.ProcessEnv = {
    ...Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith('ANSIBLE_') && !k.startsWith('BOSUN_'))),
    ANSIBLE_NOCOLOR: '1',
    ANSIBLE_RETRY_FILES_ENABLED: '0',
    ANSIBLE_LOCALHOST_WARNING: '0',
    ANSIBLE_DEPRECATION_WARNINGS: '0',
    NO_COLOR: '1',
  };
  if (uid !== undefined) {
    // an unprivileged user with a home (both sides the same, for ~) and temp files of each side's own
    Object.assign(env, { HOME: join(root, 'home'), ANSIBLE_LOCAL_TEMP: join(dir, 'tmp', 'local'), ANSIBLE_REMOTE_TEMP: join(dir, 'tmp', 'remote') });
    for (const p of [dir, join(dir, 'tmp')]) chownSync(p, uid, uid);
    const argv = name === 'ansible' ? ['ansible-playbook', site, '-i', inv] : [process.execPath, binPath, 'run', site, '-i', inv];
    const r = await spawnCollect('setpriv', [`--reuid=${uid}`, `--regid=${uid}`, '--clear-groups', '--', ...argv], { env, cwd: dir, timeoutMs: 120_000 });
    return { code: r.code, out: r.stdout + r.stderr, results: readResults(out) };
  }
  if (name === 'ansible') {
    const r = await spawnCollect('ansible-playbook', [site, '-i', inv], { env, cwd: dir, timeoutMs: 120_000 });
    return { code: r.code, out: r.stdout + r.stderr, results: readResults(out) };
  }
  const r = await run([site, '-i', inv]);
  return { code: r.code, out: r.stdout + r.stderr, results: readResults(out) };
}

/** What each side registers, made comparable: Ansible's registered results carry no msg of bosun's kind. */
function registered(r: Record<string, unknown> | undefined, ansible: Record<string, unknown>): Record<string, unknown> | undefined {
  if (!r) return r;
  const out = { ...r };
  // bosun's one-line msg on success (Ansible's result has none); a failure's msg is compared
  if (!('msg' in ansible)) delete out.msg;
  return out;
}

function compare(t: Test, a: Side, b: Side, who: string): void {
  t.equal(a.code, 0, `${who}: ansible-playbook ran`);
  t.equal(b.code, 0, b.code === 0 ? `${who}: bosun ran` : b.out);
  const ares = a.results ?? {};
  const bres = b.results ?? {};
  t.equal(Object.keys(ares).length, Object.keys(CASES).length, `${who}: ansible's results dumped`);
  for (const id of Object.keys(CASES)) {
    const x = ares[id] ?? {};
    const y = registered(bres[id], x);
    t.same(y, x, `${who}: ${id} as Ansible registers it`);
    const keys = (r: unknown) => Object.keys(((r ?? {}) as { stat?: object }).stat ?? {});
    t.same(keys(y), keys(x), `${who}: ${id}: the keys in Ansible's order`);
  }
}

t.test('stat: the same registered results as ansible-playbook', { skip: ansibleAvailable ? false : 'ansible-playbook not installed' }, async (t) => {
  const root = mkdtempSync(join(tmpdir(), 'bosun-stat-diff-'));
  t.teardown(() => rmSync(root, { recursive: true, force: true }));
  chmodSync(root, 0o755);
  const F = makeFixture(root);

  const [a, b] = await Promise.all([side('ansible', root, F), side('bosun', root, F)]);
  compare(t, a, b, 'root');
  const s = (id: string) => (a.results?.[id]?.stat ?? {}) as Record<string, unknown>;
  // the cases show what they are meant to (not vacuous)
  t.match(s('suid_sha256'), { isuid: true, mode: '4755', checksum: /^[0-9a-f]{64}$/ });
  t.match(s('sgid_md5'), { isgid: true, md5: /^[0-9a-f]{32}$/, checksum: /^[0-9a-f]{128}$/ });
  t.match(s('link_follow'), { isreg: true, islnk: false });
  t.match(s('dangling'), { islnk: true, readable: false });
  t.same(s('dangling_follow'), { exists: false });
  t.match(s('fifo'), { isfifo: true });
  t.match(s('socket'), { issock: true });
  t.match(s('devnull'), { ischr: true, device_type: Number });
  t.match(s('hard'), { nlink: 2 });
  t.notOk('pw_name' in s('orphan'), 'an owner without a name');
  t.match(a.results?.notdir, { failed: true, msg: 'Not a directory' });
  t.match(s('exec'), { executable: true });
  t.match(s('reg'), { executable: false, attr_flags: String });

  if (process.getuid?.() !== 0 || !binBuilt() || spawnSync('setpriv', ['--version']).status !== 0) {
    t.comment('as nobody: skipped (needs root, setpriv and the built bin)');
    return;
  }
  const [an, bn] = await Promise.all([side('ansible', root, F, NOBODY), side('bosun', root, F, NOBODY)]);
  compare(t, an, bn, 'nobody');
  const n = (id: string) => (an.results?.[id]?.stat ?? {}) as Record<string, unknown>;
  t.match(n('private'), { readable: false, writeable: false });
  t.notOk('checksum' in n('private'), 'a file nobody may read: no checksum');
  t.match(n('sticky_dir'), { writeable: true });
  t.match(an.results?.in_private_dir, { failed: true, msg: 'Permission denied' }, 'a directory nobody may search: the task fails');
  t.match(n('tilde'), { exists: true, path: join(root, 'home', 'marker') }, '~ expanded on the host');
});
