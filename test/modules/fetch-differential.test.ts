// fetch against ansible-playbook: the same tasks on two hosts (connection local) must give the same
// tree of fetched files (per-host layout, flat, trailing "/"), the same registered results (checksum,
// md5sum, remote_checksum, dest, file, failure messages) and the same recap; a rerun changes nothing.
import t from 'tap';
import { mkdirSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import { ansibleAvailable, dump, likeAnsible, runBoth } from '../helpers/files-differential.js';

const HOSTS = ['h1', 'h2'];
const REG = ['r_abs', 'r_flat', 'r_flat_name', 'r_missing_ok', 'r_dir_ok', 'r_missing', 'r_dir', 'r_link', 'r_empty'];

const play = [
  {
    hosts: 'all',
    gather_facts: false,
    tasks: [
      { name: 'per-host tree', fetch: { src: '@W@/src/a.txt', dest: '@W@/out' }, register: 'r_abs' },
      { name: 'flat into a directory', 'ansible.builtin.fetch': { src: '@W@/src/bin.dat', dest: '@W@/flat/', flat: true }, register: 'r_flat', run_once: true },
      { name: 'flat to a name', fetch: { src: '@W@/src/a.txt', dest: '@W@/flat/{{ inventory_hostname }}.txt', flat: 'yes' }, register: 'r_flat_name' },
      { name: 'missing, ignored', fetch: { src: '@W@/src/nope', dest: '@W@/out', fail_on_missing: false }, register: 'r_missing_ok' },
      { name: 'directory, ignored', fetch: { src: '@W@/src/d', dest: '@W@/out', fail_on_missing: false }, register: 'r_dir_ok' },
      { name: 'missing', fetch: { src: '@W@/src/nope', dest: '@W@/out' }, register: 'r_missing', ignore_errors: true },
      { name: 'directory', fetch: { src: '@W@/src/d', dest: '@W@/out' }, register: 'r_dir', ignore_errors: true },
      { name: 'through a symlink', fetch: { src: '@W@/src/link', dest: '@W@/out', validate_checksum: false }, register: 'r_link' },
      { name: 'empty file', fetch: { src: '@W@/src/empty', dest: '@W@/out' }, register: 'r_empty' },
      ...dump(REG),
    ],
  },
];

t.test('fetch: same files, results and recap as ansible-playbook; idempotent', { skip: ansibleAvailable ? false : 'ansible-playbook not installed' }, async (t) => {
  const root = t.testdir({});
  const seed = join(root, 'seed');
  mkdirSync(join(seed, 'src', 'd'), { recursive: true });
  writeFileSync(join(seed, 'src', 'a.txt'), 'hello\n');
  writeFileSync(join(seed, 'src', 'bin.dat'), randomBytes(70_000)); // binary, not UTF-8
  writeFileSync(join(seed, 'src', 'empty'), '');
  symlinkSync('a.txt', join(seed, 'src', 'link'));

  const first = await runBoth(root, seed, play, HOSTS);
  const { ansible: a, bosun: b } = first;
  t.equal(a.code, 0, 'ansible-playbook ran');
  t.equal(b.code, 0, b.code === 0 ? 'bosun ran' : b.out);
  const fetched = (tree: Record<string, string>) => Object.fromEntries(Object.entries(tree).filter(([k]) => !k.startsWith('results-')));
  t.same(fetched(b.tree), fetched(a.tree), 'the same fetched tree, byte for byte');
  for (const h of HOSTS) t.match(b.tree[`out/${h}/@W@/src/a.txt`], /^file 644 /, `${h}: fetched into out/${h}/<src>`);
  t.ok(b.tree['flat/bin.dat'] && b.tree['flat/h2.txt'], 'flat fetches landed');
  for (const h of HOSTS) {
    const bres = b.results[h] as Record<string, Record<string, unknown>>;
    const ares = a.results[h] as Record<string, Record<string, unknown>>;
    t.ok(ares && Object.keys(ares).length === REG.length, `${h}: ansible's results dumped`);
    for (const k of REG) t.same(likeAnsible(bres?.[k], ares[k]), ares[k], `${h}: ${k} as Ansible registers it`);
  }
  t.same(b.recap, a.recap, 'same recap');

  // rerun on the same trees: nothing changes (but the dump of the new results)
  const again = await runBoth(root, seed, play, HOSTS, { again: true });
  for (const h of HOSTS) {
    t.equal(again.ansible.recap[h]?.changed, 1, `ansible ${h}: rerun changes only the dump`);
    t.equal(again.bosun.recap[h]?.changed, 1, `bosun ${h}: rerun changes only the dump`);
    const ares = again.ansible.results[h] as Record<string, unknown>;
    const bres = again.bosun.results[h] as Record<string, unknown>;
    for (const k of REG) t.same(likeAnsible(bres[k], ares[k]), ares[k], `${h}: rerun: ${k} as Ansible registers it`);
  }
});
