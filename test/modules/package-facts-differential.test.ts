// package_facts against Ansible's on this machine (connection local): the same package names, and
// the same name, version, arch and source for each (Ansible's apt `origin` aside, and `category`
// compared apart: both need apt's whole cache, which bosun does not load). Needs ansible-core and python3-apt.
import t from 'tap';
import { spawnSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { run } from '../helpers/run.js';

const ansible = spawnSync('ansible', ['--version'], { encoding: 'utf8' });
const pyApt = spawnSync('/usr/bin/python3', ['-c', 'import apt'], { encoding: 'utf8' });

type Packages = Record<string, Array<Record<string, unknown>>>;

t.test('same packages as Ansible\'s package_facts', { skip: ansible.status !== 0 || pyApt.status !== 0 ? 'ansible or python3-apt missing' : false }, async (t) => {
  const env = { ...process.env, ANSIBLE_NOCOLOR: '1', ANSIBLE_LOCALHOST_WARNING: '0' };
  const a = spawnSync('ansible', ['localhost', '-c', 'local', '-e', 'ansible_python_interpreter=/usr/bin/python3', '-m', 'package_facts'], { encoding: 'utf8', env, timeout: 300_000 });
  t.equal(a.status, 0, a.stderr);
  const ours = JSON.parse(a.stdout.slice(a.stdout.indexOf('{'))) as { ansible_facts: { packages: Packages } };
  const want = ours.ansible_facts.packages;
  for (const list of Object.values(want)) for (const p of list) delete p.origin;

  const dir = t.testdir({});
  const pb = join(dir, 'pf.yml');
  writeFileSync(pb, '- hosts: localhost\n  connection: local\n  gather_facts: false\n  tasks:\n    - package_facts: {}\n    - copy: { content: "packages={{ ansible_facts.packages | to_json }}", dest: ' + join(dir, 'out.json') + ' }\n');
  const b = await run([pb, '-i', 'localhost,']);
  t.equal(b.code, 0, b.stdout + b.stderr);
  const got = JSON.parse(spawnSync("cat", [join(dir, "out.json")], { encoding: "utf8" }).stdout.replace(/^packages=/, "")) as Packages;
  t.ok(Object.keys(want).length > 100, 'a real package list (not vacuous)');
  t.same(Object.keys(got).sort(), Object.keys(want).sort(), 'the same names');
  // category: bosun reads dpkg's Section (the package's own), Ansible the archive's, which the archive
  // may override (docs/ansible-differences.md): compared apart, mostly equal
  const strip = (p: Packages): Packages => Object.fromEntries(Object.entries(p).map(([k, l]) => [k, l.map(({ category: _c, ...rest }) => rest)]));
  t.same(strip(got), strip(want), 'the same name, version, arch and source for every package');
  const same = Object.keys(want).filter((k) => got[k]?.[0]?.category === want[k]![0]!.category).length;
  t.ok(same / Object.keys(want).length > 0.9, `category agrees for ${same} of ${Object.keys(want).length}`);
});
