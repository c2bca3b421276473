// apt on lab hosts over SSH, from the lab's package repository (hello, tree) and from .deb files and a
// file: repository the test builds on the host (bosun-pkgtest 1.0 and 2.0, depending on hello):
// --check on a fresh host predicts the exact package list and leaves the hosts byte-identical; the
// run installs it; a rerun changes nothing in one request per task per host; absent+purge, deb,
// latest after update_cache. Everything happens inside the lab hosts' own root filesystems.
import t, { type Test } from 'tap';
import * as path from 'node:path';
import { writeFileSync } from 'node:fs';
import { spawnSync } from 'node:child_process';
import { hashHost, type LabState } from '../../lib/lab/lab.js';
import { withLab } from '../helpers/lab.js';
import { bosunRun, parseRecap, parseSummary, remote, tempDir, twinRuns, writeInventory } from '../fixtures/e2e/harness.js';

const HOSTS = ['node1', 'node2'];
const ansible = spawnSync('ansible-playbook', ['--version'], { encoding: 'utf8' });

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
  const lab = await withLab(t, { hosts: 2, name: 'pkg-apt', subnetIndex: 26, packages: ['hello', 'tree', 'python3-apt'] });
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

  await t.test('apt_repository: the file: repository on node2', (t) => aptRepositoryCases(t, lab, play, inv));
  await t.test('apt_repository: the same source files as ansible-playbook', { skip: ansible.status === 0 ? false : 'ansible-playbook not installed' }, (t) => aptRepositoryDifferential(t, lab, play, inv));
});

const REPO = 'deb [trusted=yes] file:/srv/pkgtest/repo ./';
const sourceFiles = 'for f in /etc/apt/sources.list /etc/apt/sources.list.d/*.list; do [ -f "$f" ] || continue; echo "== $f $(stat -c %a "$f")"; cat "$f"; done';

async function aptRepositoryCases(t: Test, lab: LabState, play: (file: string, tasks: string) => string, inv: string): Promise<void> {
  const add = play('repo-add.yml', `    - apt_repository: { repo: "${REPO}", filename: bosun-local }\n`);
  const before = await hashHost(lab, 'node2');
  const check = await bosunRun([add, '-i', inv, '-l', 'node2', '--check', '--diff']);
  t.equal(check.code, 0, check.out);
  t.equal(parseRecap(check.out).node2!.changed, 1, 'check predicts the new source');
  t.match(check.out, /--- before: \/etc\/apt\/sources\.list\.d\/bosun-local\.list\n\+\+\+ after: \/etc\/apt\/sources\.list\.d\/bosun-local\.list\n@@ -0,0 \+1,1 @@\n\+deb \[trusted=yes\] file:\/srv\/pkgtest\/repo \.\/\n/);
  t.equal(await hashHost(lab, 'node2'), before, '--check left node2 byte-identical');
  const r1 = await bosunRun([add, '-i', inv, '-l', 'node2']);
  t.equal(parseRecap(r1.out).node2!.changed, 1, r1.out);
  const got = await remote(lab, 'node2', `stat -c %a /etc/apt/sources.list.d/bosun-local.list; cat /etc/apt/sources.list.d/bosun-local.list; LC_ALL=C apt-cache policy bosun-pkgtest | grep Candidate`);
  t.equal(got.out.toString(), `644\n${REPO}\n  Candidate: 2.0\n`, 'the file, and the cache updated: the repository offers bosun-pkgtest 2.0');
  const r2 = await bosunRun([add, '-i', inv, '-l', 'node2']);
  t.equal(parseRecap(r2.out).node2!.changed, 0, 'again: changed=0');
  t.equal(parseSummary(r2.out)?.requests, 1, 'in one request');
  const inst = await bosunRun([play('repo-inst.yml', '    - apt: { name: bosun-pkgtest }\n'), '-i', inv, '-l', 'node2']);
  t.equal(inst.code, 0, inst.out);
  t.equal(await state(lab, 'node2', 'bosun-pkgtest'), 'bosun-pkgtest 2.0 ii\n', 'installed from the added repository');
  const rm = play('repo-rm.yml', `    - apt_repository: { repo: "${REPO}", state: absent, update_cache: false }\n`);
  t.equal(parseRecap((await bosunRun([rm, '-i', inv, '-l', 'node2'])).out).node2!.changed, 1);
  t.equal((await remote(lab, 'node2', 'test -e /etc/apt/sources.list.d/bosun-local.list || echo gone')).out.toString(), 'gone\n', 'the file left empty is deleted');
  t.equal(parseRecap((await bosunRun([rm, '-i', inv, '-l', 'node2'])).out).node2!.changed, 0, 'absent again: changed=0');
}

/** ansible-playbook on node1 (python3-apt from the lab repository), bosun on node2, from the same source files. */
async function aptRepositoryDifferential(t: Test, lab: LabState, play: (file: string, tasks: string) => string, inv: string): Promise<void> {
  const seed = `rm -f /etc/apt/sources.list.d/pkgtest.list; cp -r /srv/pkgtest/repo /srv/pkgtest/repo2; printf '%s\\n' '#${REPO.replace('deb ', 'deb   ')}' '#   a comment' '' 'deb   file:/srv/other  ./  # note' > /etc/apt/sources.list.d/seeded.list`;
  const seeded = await Promise.all(HOSTS.map((h) => remote(lab, h, seed)));
  seeded.forEach((r, i) => t.equal(r.code, 0, `${HOSTS[i]}: seeded`));
  const py = await remote(lab, 'node1', 'DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends python3-apt >/dev/null 2>&1; python3 -c "import apt"', undefined, 180_000);
  t.equal(py.code, 0, `node1: python3-apt for Ansible's module ${py.err}`);
  const site = play('repo-diff.yml', [
    `    - apt_repository: { repo: "${REPO}", update_cache: false }`,
    '      register: r1',
    '    - apt_repository: { repo: "deb file:/srv/other ./", state: absent, update_cache: false }',
    '    - apt_repository: { repo: "deb [trusted=yes] file:/srv/pkgtest/repo2 ./", filename: bosun-diff, mode: "0640" }',
    '      register: r4',
    // the flat repository has no Sources index: the deb-src line comes after the update, which would fail on it
    '    - apt_repository: { repo: "deb-src [trusted=yes] file:/srv/pkgtest/repo ./", update_cache: false }',
    '      register: r2',
    `    - copy: { dest: /root/repo-results.json, content: "R={{ {'r1': r1, 'r2': r2, 'r4': r4} | to_json }}" }`,
    '',
  ].join('\n'));
  const twin = twinRuns(t, inv);
  const [a1, b1] = await twin.both(site);
  t.equal(b1, a1, `same changed count (${a1})`);
  t.equal(a1, 5, 'every task changed something (not vacuous)');
  const [fa, fb] = await Promise.all(HOSTS.map((h) => remote(lab, h, sourceFiles)));
  t.equal(fb!.out.toString(), fa!.out.toString(), 'every source file: same names, modes and bytes');
  t.match(fa!.out.toString(), /== \/etc\/apt\/sources\.list\.d\/seeded\.list 644\ndeb \[trusted=yes\] file:\/srv\/pkgtest\/repo \.\/\n# a comment\n\n$/, 'the commented copy enabled, the file normalised (not vacuous)');
  t.match(fa!.out.toString(), /== \/etc\/apt\/sources\.list\.d\/file_srv_pkgtest_repo\.list 644\ndeb-src \[trusted=yes\] file:\/srv\/pkgtest\/repo \.\/\n/, 'a new source in a file named from its URI');
  t.match(fa!.out.toString(), /== \/etc\/apt\/sources\.list\.d\/bosun-diff\.list 640\n/);
  const [ra, rb] = await Promise.all(HOSTS.map((h) => remote(lab, h, 'cat /root/repo-results.json')));
  const pick = (raw: Buffer): Record<string, Record<string, unknown>> => {
    const all = JSON.parse(raw.toString().replace(/^R=/, '')) as Record<string, Record<string, unknown>>;
    return Object.fromEntries(Object.entries(all).map(([k, v]) => [k, { repo: v.repo, state: v.state, changed: v.changed }]));
  };
  t.same(pick(rb!.out), pick(ra!.out), 'registered repo, state and changed: the same');
  const [a2, b2] = await twin.both(site);
  t.equal(a2, 1, 'ansible: a rerun changes only the results file');
  t.equal(b2, 1, 'bosun: the same');
}
