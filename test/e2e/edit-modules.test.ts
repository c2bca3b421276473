// lineinfile, blockinfile, replace, ini_file and copy's validate on lab hosts over SSH: --check on
// a fresh host predicts every change and leaves the hosts byte-identical; the run makes them; a
// rerun changes nothing in at most one request per task per host; a failing validate keeps the file.
import t from 'tap';
import * as path from 'node:path';
import { writeFileSync } from 'node:fs';
import { hashHost } from '../../lib/lab/lab.js';
import { withLab } from '../helpers/lab.js';
import { bosunRun, parseRecap, parseSummary, remote, tempDir, writeInventory } from '../fixtures/e2e/harness.js';

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
});
