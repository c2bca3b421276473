// lineinfile, blockinfile, replace, ini_file and copy's validate on lab hosts over SSH: --check on
// a fresh host predicts every change and leaves the hosts byte-identical; the run makes them; a
// rerun changes nothing in at most one request per task per host; a failing validate keeps the file.
import t, { type Test } from 'tap';
import * as path from 'node:path';
import { writeFileSync } from 'node:fs';
import { spawnSync } from 'node:child_process';
import { hashHost, type LabState } from '../../lib/lab/lab.js';
import { withLab } from '../helpers/lab.js';
import { bosunRun, parseRecap, parseSummary, remote, tempDir, twinRuns, writeInventory } from '../fixtures/e2e/harness.js';

const HOSTS = ['node1', 'node2'];
const D = '/etc/bosun-edit';

const PLAY = `
- hosts: all
  gather_facts: false
  tasks:
    - name: ssh config line
      lineinfile: { path: ${D}/sshd.conf, regexp: '^#?PermitRootLogin', line: 'PermitRootLogin prohibit-password', validate: 'grep -q PermitRootLogin %s' }
    - name: new file with a line
      ansible.builtin.lineinfile: { path: ${D}/sub/new.conf, line: 'host={{ inventory_hostname }}', create: true, mode: '0600' }
    - name: managed block
      blockinfile: { path: ${D}/sshd.conf, insertbefore: BOF, block: "Match User backup\\n  PasswordAuthentication no" }
    - name: replace a value
      ansible.builtin.replace: { path: ${D}/sshd.conf, regexp: '^Port \\d+$', replace: 'Port 2222' }
    - name: ini option
      community.general.ini_file: { path: ${D}/app.ini, section: db, option: host, value: '{{ inventory_hostname }}', backup: true }
    - name: copy with validate
      copy: { dest: ${D}/copied.conf, content: "ok\\n", validate: 'grep -q ok %s' }
`;

const START = '#PermitRootLogin yes\nPort 22\n';

t.test('edit modules on lab hosts', async (t) => {
  const lab = await withLab(t, { hosts: 2, name: 'e2e-edit', subnetIndex: 42 });
  const dir = tempDir(t, 'e2e-edit-');
  const inv = writeInventory(lab, dir);
  const site = path.join(dir, 'site.yml');
  writeFileSync(site, PLAY);
  for (const h of HOSTS) {
    const r = await remote(lab, h, `mkdir -p ${D} && cat > ${D}/sshd.conf && printf '[db]\\nhost = old\\n' > ${D}/app.ini`, START);
    t.equal(r.code, 0, r.err);
  }
  const tasks = 6;

  const before = await Promise.all(HOSTS.map((h) => hashHost(lab, h)));
  const check = await bosunRun([site, '-i', inv, '--check', '--diff']);
  t.equal(check.code, 0, check.err);
  t.same(await Promise.all(HOSTS.map((h) => hashHost(lab, h))), before, '--check left every host byte-identical');
  for (const h of HOSTS) t.equal(parseRecap(check.out)[h]!.changed, tasks, `${h}: check predicts all ${tasks} changes`);
  t.match(check.out, /-#PermitRootLogin yes\n\+PermitRootLogin prohibit-password/, 'diff of the replaced line');
  t.match(check.out, /\+host = node2/, 'diff of the ini option');
  t.notMatch(check.out, /skipped in check mode/);

  const r1 = await bosunRun([site, '-i', inv]);
  t.equal(r1.code, 0, r1.err);
  for (const h of HOSTS) t.equal(parseRecap(r1.out)[h]!.changed, tasks, `${h}: ${tasks} changed`);
  const conf = await remote(lab, 'node1', `cat ${D}/sshd.conf; stat -c %a ${D}/sub/new.conf; cat ${D}/sub/new.conf ${D}/app.ini; ls ${D} | grep -c 'app.ini.*~'`);
  t.equal(
    conf.out.toString(),
    '# BEGIN ANSIBLE MANAGED BLOCK\nMatch User backup\n  PasswordAuthentication no\n# END ANSIBLE MANAGED BLOCK\n' +
      'PermitRootLogin prohibit-password\nPort 2222\n600\nhost=node1\n[db]\nhost = node1\n1\n',
    'node1: the edited files, and one ini backup',
  );

  const r2 = await bosunRun([site, '-i', inv]);
  t.equal(r2.code, 0, r2.err);
  for (const h of HOSTS) t.equal(parseRecap(r2.out)[h]!.changed, 0, `${h}: rerun changed=0`);
  const s = parseSummary(r2.out);
  t.ok(s && s.requests <= tasks * HOSTS.length, `no-op: ${s?.requests} requests for ${tasks} tasks on ${HOSTS.length} hosts`);

  // a validate that fails leaves the file as it was, on the host
  writeFileSync(site, `- hosts: node1\n  gather_facts: false\n  tasks:\n    - lineinfile: { path: ${D}/sshd.conf, line: 'Port 1', validate: 'grep -q NOPE %s' }\n`);
  const bad = await bosunRun([site, '-i', inv]);
  t.not(bad.code, 0);
  t.match(bad.out, /failed to validate: rc:1/);
  const after = await remote(lab, 'node1', `grep -c 'Port 1$' ${D}/sshd.conf; ls -a ${D} | grep -c bosun-tmp`);
  t.equal(after.out.toString(), '0\n0\n', 'file unchanged, no temp file left');

  const ansible = spawnSync('ansible-playbook', ['--version'], { encoding: 'utf8' });
  await t.test('yum_repository, debconf and known_hosts: the same files and answers as ansible-playbook', { skip: ansible.status === 0 ? false : 'ansible-playbook not installed' }, (t) =>
    everydayDifferential(t, lab, dir, inv),
  );
});

// yum_repository, debconf and known_hosts (helper mods3b): ansible-playbook on node1, bosun on node2,
// from the same seeded files; the lab hosts' /etc, /var and /root are their own (the control node's
// debconf database and known_hosts are never written).
const K1 = 'AAAAC3NzaC1lZDI1NTE5AAAAIOMqqnkVzrm0SdG6UOoqKLsabgH5C9okWi0dh2l9GKJl';
const K2 = 'AAAAC3NzaC1lZDI1NTE5AAAAIHx0bosunlabtestkeyxxxxxxxxxxxxxxxxxxxxxxxxxx';
const RSA = 'AAAAB3NzaC1yc2EAAAADAQABAAABAQCbosunlabtestrsakey';
const PW = 'Db-Pa55 w0rd';
const KH = '/root/kh/known_hosts';
const SEED = [
  'mkdir -p /etc/yum.repos.d /root/kh && mkdir -p -m 700 /root/.ssh',
  "printf '[legacy]\\nname=Legacy\\nbaseurl=http://legacy.example/\\n' > /etc/yum.repos.d/legacy.repo",
  "printf '# written by hand\\n[old]\\nname = Old\\nbaseurl = http://old.example/\\n\\n[keep]\\nbaseurl=http://keep.example/\\n; a note\\nName: Keep\\n' > /etc/yum.repos.d/seeded.repo",
  `cat > ${KH}`,
].join(' && ');
const KH_SEED = `# site keys\nweb.example.com ssh-ed25519 ${K1}\ndb.example.com,10.1.0.5 ssh-rsa ${RSA}\nold.example.com ssh-ed25519 ${K1}\nold.example.com ssh-rsa ${RSA}\n[git.example.com]:2222 ssh-ed25519 ${K1}\ngone.example.com ssh-ed25519 ${K2}\n`;
const EVERYDAY = `
- hosts: all
  gather_facts: false
  vars:
    pw: "${PW}"
  tasks:
    - yum_repository:
        name: epel
        description: EPEL YUM repo
        baseurl: [https://mirror.example/epel/9/$basearch/, https://backup.example/epel/9/$basearch/]
        gpgkey: [file:///etc/pki/rpm-gpg/RPM-GPG-KEY-EPEL-9, https://keys.example/epel.asc]
        exclude: [kernel*, "systemd*"]
        enabled: false
        priority: 50
        module_hotfixes: true
        gpgcheck: true
    - yum_repository: { name: internal, description: Internal, file: site, metalink: "https://m.example/metalink?repo=internal", skip_if_unavailable: yes, mode: "0600", includepkgs: "app,app-tools" }
    - yum_repository: { name: extras, file: site, description: Extras, mirrorlist: "http://ml.example/extras", sslverify: false, timeout: 30 }
    - yum_repository: { name: legacy, state: absent }
    - yum_repository: { name: old, file: seeded, state: absent }
    - yum_repository: { name: keep, file: seeded, description: Keep, baseurl: "http://keep.example/" }
    - debconf: { name: openssh-server, question: openssh-server/permit-root-login, vtype: boolean, value: "False" }
    - debconf: { name: openssh-server, question: openssh-server/password-authentication, vtype: boolean, value: "TRUE" }
    - debconf: { name: tzdata, question: tzdata/Areas, vtype: select, value: Europe }
    - debconf: { name: tzdata, question: tzdata/Zones/Europe, vtype: select, value: Paris, unseen: true }
    - debconf: { name: locales, question: locales/locales_to_be_generated, vtype: multiselect, value: "en_US.UTF-8 UTF-8, fr_FR.UTF-8 UTF-8" }
    - debconf: { name: bosun-lab, question: bosun-lab/secret, vtype: password, value: "{{ pw }}" }
    - known_hosts: { path: ${KH}, name: new.example.com, key: "new.example.com ssh-ed25519 ${K2} new" }
    - known_hosts: { path: ${KH}, name: web.example.com, key: "web.example.com ssh-ed25519 ${K2}" }
    - known_hosts: { path: ${KH}, name: db.example.com, key: "db.example.com ssh-rsa ${RSA}" }
    - known_hosts: { path: ${KH}, name: "[git.example.com]:2222", key: "[git.example.com]:2222 ssh-ed25519 ${K1}" }
    - known_hosts: { path: ${KH}, name: Hashed.Example.com, key: "hashed.example.com ssh-ed25519 ${K1}", hash_host: true }
    - known_hosts: { path: ${KH}, name: old.example.com, state: absent }
    - known_hosts: { path: ${KH}, name: gone.example.com, key: "gone.example.com ssh-ed25519 ${K2}", state: absent }
    - known_hosts: { name: lab.example.com, key: "lab.example.com ssh-ed25519 ${K2}" }
`;
const EVERYDAY_TASKS = 20;
const EVERYDAY_CHANGES = 5 + 5 + 7;
const SNAP = [
  'cd /etc/yum.repos.d && for f in *; do echo "== $f $(stat -c %a "$f")"; cat "$f"; done',
  'echo == debconf; debconf-show openssh-server tzdata locales bosun-lab | sort',
  "sed -n '/^Name: bosun-lab\\/secret$/,/^$/p' /var/cache/debconf/passwords.dat",
  `echo == kh; stat -c %a ${KH} ${KH}.old; cat ${KH} ${KH}.old`,
  'for n in new.example.com web.example.com db.example.com hashed.example.com old.example.com gone.example.com "[git.example.com]:2222"; do ssh-keygen -F "$n" -f /root/kh/known_hosts; done',
  'grep lab.example.com /root/.ssh/known_hosts',
].join('; ');

async function everydayDifferential(t: Test, lab: LabState, dir: string, inv: string): Promise<void> {
  for (const h of HOSTS) t.equal((await remote(lab, h, SEED, KH_SEED)).code, 0, `${h}: seeded`);
  const site = path.join(dir, 'everyday.yml');
  writeFileSync(site, EVERYDAY);

  // --check on node2 predicts every change bosun then makes, and leaves it byte-identical
  const before = await hashHost(lab, 'node2');
  const check = await bosunRun([site, '-i', inv, '-l', 'node2', '--check', '--diff', '-v']);
  t.equal(check.code, 0, check.out + check.err);
  t.equal(parseRecap(check.out).node2?.changed, EVERYDAY_CHANGES, 'check predicts every change');
  t.same(await hashHost(lab, 'node2'), before, '--check left node2 byte-identical');
  t.match(check.out, /\+baseurl = https:\/\/mirror\.example\/epel\/9\/\$basearch\/\n\+https:\/\/backup/, "yum_repository's diff: Ansible's dump (continuation lines without their tab)");
  t.match(check.out, /-\s+"tzdata\/Areas": "Etc"\n\+\s+"tzdata\/Areas": "Europe"/, "debconf's diff");
  t.notMatch(check.out + check.err, PW, 'the debconf password is in no output');

  const twin = twinRuns(t, inv);
  const [a1, b1] = await twin.both(site);
  t.equal(a1, EVERYDAY_CHANGES, `ansible-playbook: ${EVERYDAY_CHANGES} changes (not vacuous)`);
  t.equal(b1, a1, 'bosun: the same number of changes');
  const [sa, sb] = await Promise.all(HOSTS.map((h) => remote(lab, h, SNAP)));
  // hashed names differ only by their random salt
  const norm = (raw: Buffer): string => raw.toString().replace(/\|1\|[A-Za-z0-9+/=]+\|[A-Za-z0-9+/=]+/g, '|1|SALT|HASH');
  t.equal(sa!.code, 0, sa!.err);
  t.equal(norm(sb!.out), norm(sa!.out), 'repo files, debconf answers, the stored password, known_hosts (and .old): identical');
  const snap = norm(sa!.out);
  t.match(snap, /== site\.repo 600\n\[internal\]\nincludepkgs = app app-tools\nmetalink = /, 'not vacuous: the repo file, its mode');
  t.notMatch(snap, /legacy\.repo|\[old\]|written by hand/, 'the emptied file removed, the other rewritten without comments');
  t.match(snap, /\* openssh-server\/permit-root-login: false/);
  t.match(snap, /  tzdata\/Zones\/Europe: Paris/, 'unseen: no * mark');
  t.match(snap, new RegExp(`Value: ${PW}`), 'the password stored');
  t.match(snap, /# Host hashed\.example\.com found: line \d+ \n\|1\|SALT\|HASH ssh-ed25519/, 'the hashed entry found by its name');
  t.notMatch(snap, /# Host (old|gone)\.example\.com found/, 'old.example.com removed (ssh-keygen -R), gone.example.com by its key');
  t.match(snap, /# Host \[git\.example\.com\]:2222 found: line \d+ \n\[git/, '[host]:port kept');

  // rerun: Ansible 2.14 sets the password again (debconf-show hides it); bosun compares it on the host
  const [a2, b2] = await twin.both(site);
  t.equal(a2, 1, 'ansible-playbook rerun: only the password task changes');
  t.equal(b2, 0, 'bosun rerun: nothing changes');
  const noop = await bosunRun([site, '-i', inv, '-l', 'node2']);
  const s = parseSummary(noop.out);
  t.ok(s && s.requests <= EVERYDAY_TASKS, `no-op: ${s?.requests} requests for ${EVERYDAY_TASKS} tasks`);
  t.notMatch(noop.out + noop.err, PW);
}
