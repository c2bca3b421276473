// apt on lab hosts over SSH, from the lab's package repository (hello, tree) and from .deb files and a
// file: repository the test builds on the host (bosun-pkgtest 1.0 and 2.0, depending on hello):
// --check on a fresh host predicts the exact package list and leaves the hosts byte-identical; the
// run installs it; a rerun changes nothing in one request per task per host; absent+purge, deb,
// latest after update_cache. Everything happens inside the lab hosts' own root filesystems.
import t from 'tap';
import * as path from 'node:path';
import { writeFileSync } from 'node:fs';
import { hashHost } from '../../lib/lab/lab.js';
import { withLab } from '../helpers/lab.js';
import { bosunRun, parseRecap, parseSummary, remote, tempDir, writeInventory } from '../fixtures/e2e/harness.js';

const HOSTS = ['node1', 'node2'];

/** Two versions of a small package, and a flat file: repository holding the newer one. */
const BUILD = `set -e
mk() { d=/srv/pkgtest/build-$1; mkdir -p $d/DEBIAN $d/usr/share/bosun-pkgtest
  printf 'Package: bosun-pkgtest\\nVersion: %s\\nArchitecture: all\\nMaintainer: bosun <root@localhost>\\nDepends: hello\\nDescription: bosun test package\\n' $1 > $d/DEBIAN/control
  echo $1 > $d/usr/share/bosun-pkgtest/version
  dpkg-deb --root-owner-group --build $d /srv/pkgtest/bosun-pkgtest_$1_all.deb >/dev/null; }
mk 1.0; mk 2.0
mkdir -p /srv/pkgtest/repo; cp /srv/pkgtest/bosun-pkgtest_2.0_all.deb /srv/pkgtest/repo/
cd /srv/pkgtest/repo && dpkg-scanpackages -m . /dev/null > Packages 2>/dev/null
`;

const state = (lab: Parameters<typeof remote>[0], h: string, names: string) =>
  remote(lab, h, `dpkg-query -W -f='\${Package} \${Version} \${db:Status-Abbrev}\\n' ${names} 2>/dev/null; true`).then((r) => r.out.toString().replace(/ +\n/g, '\n'));

t.test('apt on lab hosts', async (t) => {
  const lab = await withLab(t, { hosts: 2, name: 'pkg-apt', subnetIndex: 26, packages: ['hello', 'tree'] });
  const dir = tempDir(t, 'e2e-pkg-');
  const inv = writeInventory(lab, dir);
  const play = (file: string, tasks: string): string => {
    const p = path.join(dir, file);
    writeFileSync(p, `- hosts: all\n  gather_facts: false\n  tasks:\n${tasks}`);
    return p;
  };

  const install = play('install.yml', '    - ansible.builtin.apt: { name: [hello, tree], state: present }\n');
  const before = await Promise.all(HOSTS.map((h) => hashHost(lab, h)));
  const check = await bosunRun([install, '-i', inv, '--check', '--diff']);
  t.equal(check.code, 0, check.err);
  t.same(await Promise.all(HOSTS.map((h) => hashHost(lab, h))), before, '--check left every host byte-identical');
  for (const h of HOSTS) t.equal(parseRecap(check.out)[h]!.changed, 1, `${h}: check predicts the change`);
  t.match(check.out, /--- before: installed packages \(apt\)\n\+\+\+ after: installed packages \(apt\)\n@@ -0,0 \+1,2 @@\n\+hello 2\.10-3\n\+tree 2\.1\.0-1\n/, 'the exact list, with versions');
  t.notMatch(check.out, /skipped in check mode/);

  const r1 = await bosunRun([install, '-i', inv, '--diff']);
  t.equal(r1.code, 0, r1.err);
  for (const h of HOSTS) {
    t.equal(parseRecap(r1.out)[h]!.changed, 1, `${h}: installed`);
    t.equal(await state(lab, h, 'hello tree'), 'hello 2.10-3 ii\ntree 2.1.0-1 ii\n', `${h}: dpkg says installed`);
  }
  t.equal((await remote(lab, 'node1', 'hello')).out.toString(), 'Hello, world!\n', 'the installed program runs');
  const r2 = await bosunRun([install, '-i', inv]);
  t.equal(r2.code, 0, r2.err);
  for (const h of HOSTS) t.equal(parseRecap(r2.out)[h]!.changed, 0, `${h}: rerun changed=0`);
  t.equal(parseSummary(r2.out)?.requests, HOSTS.length, 'no-op: one request per host for the task');

  // absent + purge, on node1 only
  const remove = play('remove.yml', '    - apt: { name: [hello, tree], state: absent, purge: true }\n');
  const rc = await bosunRun([remove, '-i', inv, '-l', 'node1', '--check', '--diff']);
  t.match(rc.out, /-hello 2\.10-3\n-tree 2\.1\.0-1\n/, 'check shows both leaving');
  t.equal(await state(lab, 'node1', 'hello tree'), 'hello 2.10-3 ii\ntree 2.1.0-1 ii\n', 'check removed nothing');
  const rm = await bosunRun([remove, '-i', inv, '-l', 'node1']);
  t.equal(parseRecap(rm.out).node1!.changed, 1);
  t.equal(await state(lab, 'node1', 'hello tree'), '', 'purged: dpkg no longer knows them');
  t.equal(parseRecap((await bosunRun([remove, '-i', inv, '-l', 'node1'])).out).node1!.changed, 0, 'absent again: changed=0');

  // package (no facts: the host says apt, in the query's request) and package_facts, on node2
  const generic = play('generic.yml', [
    '    - package: { name: tree, state: absent }',
    '    - package_facts: {}',
    '    - assert: { that: ["\'tree\' not in ansible_facts.packages", "ansible_facts.packages.hello[0].version == \'2.10-3\'", "ansible_facts.packages.hello[0].source == \'apt\'"] }',
    '',
  ].join('\n'));
  const g1 = await bosunRun([generic, '-i', inv, '-l', 'node2']);
  t.equal(g1.code, 0, g1.out);
  t.equal(parseRecap(g1.out).node2!.changed, 1, 'package removed tree');
  t.equal(await state(lab, 'node2', 'tree'), '', 'removed (tree has no configuration files to keep)');
  const g2 = await bosunRun([generic, '-i', inv, '-l', 'node2']);
  t.equal(parseRecap(g2.out).node2!.changed, 0, 'package again: changed=0');
  t.equal(parseSummary(g2.out)?.requests, 2, 'package and package_facts: one request each');

  // a .deb file on the host: its dependency (hello) comes from the repository
  for (const h of HOSTS) t.equal((await remote(lab, h, 'sh -s', BUILD)).code, 0, `${h}: test packages built`);
  const deb = play('deb.yml', '    - apt: { deb: /srv/pkgtest/bosun-pkgtest_1.0_all.deb }\n      register: d\n    - debug: { var: d.changes }\n');
  const dc = await bosunRun([deb, '-i', inv, '-l', 'node1', '--check']);
  t.equal(parseRecap(dc.out).node1!.changed, 1);
  t.match(dc.out, /"action": "install",\s+"after": "2\.10-3"/, 'check lists the dependency hello');
  // results print with sorted keys, as Ansible's callback prints them
  t.match(dc.out, /"action": "install",\s+"after": "1\.0",\s+"before": null,\s+"name": "bosun-pkgtest"/);
  const d1 = await bosunRun([deb, '-i', inv, '-l', 'node1']);
  t.equal(d1.code, 0, d1.out);
  t.equal(await state(lab, 'node1', 'bosun-pkgtest hello'), 'bosun-pkgtest 1.0 ii\nhello 2.10-3 ii\n');
  t.equal(parseRecap((await bosunRun([deb, '-i', inv, '-l', 'node1'])).out).node1!.changed, 0, 'the same deb again: changed=0');

  // latest from a new source, after updating the cache (check mode first: it uses the lists as they are)
  t.equal((await remote(lab, 'node1', "echo 'deb [trusted=yes] file:/srv/pkgtest/repo ./' > /etc/apt/sources.list.d/pkgtest.list")).code, 0);
  // the lists the lab copied are fresh: cache_valid_time alone would not update them, update_cache does
  const l1 = await bosunRun([play('latest1.yml', '    - apt: { name: bosun-pkgtest, state: latest, update_cache: true }\n'), '-i', inv, '-l', 'node1', '--diff']);
  t.equal(l1.code, 0, l1.out);
  t.match(l1.out, /-bosun-pkgtest 1\.0\n\+bosun-pkgtest 2\.0\n/, 'upgraded, shown as a diff');
  t.equal(await state(lab, 'node1', 'bosun-pkgtest'), 'bosun-pkgtest 2.0 ii\n');
  const latest = play('latest.yml', '    - apt: { name: bosun-pkgtest, state: latest, update_cache: true, cache_valid_time: 3600 }\n');
  const l2 = await bosunRun([latest, '-i', inv, '-l', 'node1']);
  t.equal(parseRecap(l2.out).node1!.changed, 0, 'latest again, cache fresh: changed=0');
  t.equal(parseSummary(l2.out)?.requests, 1, 'one request');

  // a pinned downgrade needs allow_downgrade, as in Ansible
  const pin = play('pin.yml', '    - apt: { deb: /srv/pkgtest/bosun-pkgtest_1.0_all.deb }\n');
  const p1 = await bosunRun([pin, '-i', inv, '-l', 'node1']);
  t.not(p1.code, 0);
  t.match(p1.out, /a later version of bosun-pkgtest is already installed \(2\.0 > 1\.0\); set allow_downgrade/);
});
