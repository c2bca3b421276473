// copy with directory trees against ansible-playbook: "src: dir" and "src: dir/" (trailing-slash
// rule), nested directories, a binary file, a followed symlink and one kept as a link
// (local_follow: false), directory_mode, force: false, a one-file tree, dict content. Same resulting
// tree (paths, modes, bytes), same registered results, same recap; --check predicts the same
// changed count and changes nothing; a rerun changes nothing.
import t, { type Test } from 'tap';
import { chmodSync, mkdirSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import { ansibleAvailable, dump, likeAnsible, runBoth, type SideRun } from '../helpers/files-differential.js';

const REG = ['r_dir', 'r_contents', 'r_nofollow', 'r_one', 'r_force', 'r_json'];

const play = [
  {
    hosts: 'all',
    gather_facts: false,
    tasks: [
      { name: 'a dir, into dest', copy: { src: '@W@/tree', dest: '@W@/out1', directory_mode: '0750' }, register: 'r_dir' },
      { name: 'its contents, into dest', 'ansible.builtin.copy': { src: '@W@/tree/', dest: '@W@/out2/', mode: '0600' }, register: 'r_contents' },
      { name: 'links kept', copy: { src: '@W@/tree/', dest: '@W@/out3', local_follow: false }, register: 'r_nofollow' },
      { name: 'a one-file tree', copy: { src: '@W@/one', dest: '@W@/out4' }, register: 'r_one' },
      { name: 'force no', copy: { src: '@W@/tree/', dest: '@W@/pre', force: false }, register: 'r_force' },
      { name: 'dict content', copy: { content: { a: 1, b: ['x'] }, dest: '@W@/json.txt' }, register: 'r_json' },
      ...dump(REG),
    ],
  },
];

/** Results whose values are Ansible's own temp paths or bosun's extra keys are compared on the rest. */
function comparable(k: string, v: unknown): unknown {
  if (!v || typeof v !== 'object') return v;
  const o = { ...(v as Record<string, unknown>) };
  // the single-file results: Ansible's src is its remote temp file, and it adds the copy module's
  // own keys (md5sum, uid, gid, state, backup_file) that bosun's single-file results do not carry
  if (k === 'r_one' || k === 'r_json') return { dest: o.dest, checksum: o.checksum, size: o.size, changed: o.changed };
  return o;
}

function check(t: Test, a: SideRun, b: SideRun, what: string): void {
  const tree = (x: SideRun) => Object.fromEntries(Object.entries(x.tree).filter(([k]) => !k.startsWith('results-')));
  t.same(tree(b), tree(a), `${what}: the same tree (paths, modes, bytes, links)`);
  for (const h of ['h1']) {
    const ares = a.results[h] as Record<string, unknown>;
    const bres = b.results[h] as Record<string, unknown>;
    t.ok(ares && Object.keys(ares).length === REG.length, `${what}: ansible's results dumped`);
    for (const k of REG) t.same(comparable(k, likeAnsible(bres?.[k], ares[k])), comparable(k, ares[k]), `${what}: ${k} as Ansible registers it`);
  }
  t.same(b.recap, a.recap, `${what}: same recap`);
}

t.test('copy trees: same files, results and recap as ansible-playbook; check and rerun', { skip: ansibleAvailable ? false : 'ansible-playbook not installed' }, async (t) => {
  const root = t.testdir({});
  const seed = join(root, 'seed');
  mkdirSync(join(seed, 'tree', 'sub', 'deeper'), { recursive: true });
  mkdirSync(join(seed, 'tree', 'empty'), { recursive: true });
  mkdirSync(join(seed, 'one'), { recursive: true });
  mkdirSync(join(seed, 'pre'), { recursive: true });
  writeFileSync(join(seed, 'tree', 'a.conf'), 'a=1\n');
  writeFileSync(join(seed, 'tree', 'sub', 'bin.dat'), randomBytes(200_000));
  writeFileSync(join(seed, 'tree', 'sub', 'deeper', 'x.sh'), '#!/bin/sh\n');
  chmodSync(join(seed, 'tree', 'sub', 'deeper', 'x.sh'), 0o755);
  symlinkSync('a.conf', join(seed, 'tree', 'link.conf'));
  writeFileSync(join(seed, 'one', 'only.txt'), 'only\n');
  writeFileSync(join(seed, 'pre', 'a.conf'), 'kept\n');

  // --check and the first run work in copies of their own (root/…, root/run/…): they run at once
  const [checked, first] = await Promise.all([runBoth(root, seed, play, ['h1'], { check: true }), runBoth(join(root, 'run'), seed, play, ['h1'])]);
  t.same(checked.bosun.recap, checked.ansible.recap, '--check: same recap as Ansible');
  t.same(checked.bosun.tree, checked.ansible.tree, '--check: nothing written on either side');

  t.equal(first.ansible.code, 0, 'ansible-playbook ran');
  t.equal(first.bosun.code, 0, first.bosun.code === 0 ? 'bosun ran' : first.bosun.out);
  check(t, first.ansible, first.bosun, 'first run');
  // the source's mode is not kept (only mode: preserve would): 0644 from the umask, as Ansible
  t.match(first.bosun.tree['out1/tree/sub/deeper/x.sh'], /^file 644 /, 'src: dir → dest/dir/…');
  t.match(first.bosun.tree['out1/tree/sub'], /^dir 750$/, 'directory_mode on the tree\'s directories');
  t.match(first.bosun.tree['out2/sub/deeper/x.sh'], /^file 600 /, 'src: dir/ → dest/…, with mode');
  t.match(first.bosun.tree['out3/link.conf'], /^link .* -> a\.conf$/, 'local_follow: false keeps the link');
  t.equal(first.bosun.recap.h1?.changed, 7, 'every task changed (the check is not vacuous)');

  const again = await runBoth(join(root, 'run'), seed, play, ['h1'], { again: true });
  t.equal(again.ansible.recap.h1?.changed, 1, 'ansible: rerun changes only the dump');
  t.equal(again.bosun.recap.h1?.changed, 1, 'bosun: rerun changes only the dump');
  check(t, again.ansible, again.bosun, 'rerun');
});
