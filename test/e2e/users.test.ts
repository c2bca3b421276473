// group, user and authorized_key on lab hosts over SSH: --check on a fresh host predicts every
// change and leaves the hosts byte-identical; the run makes them (checked with getent, ls and the
// shadow file on the host); a rerun changes nothing in at most one request per task per host; the
// password hash appears in no output, even at -vvv; changes and removals are planned as Ansible does.
import t from 'tap';
import * as path from 'node:path';
import { writeFileSync } from 'node:fs';
import { withLab } from '../helpers/lab.js';
import { bosunRun, checkPredicts, parseRecap, remote, rerunIsNoop, tempDir, writeInventory } from '../fixtures/e2e/harness.js';

const HOSTS = ['node1', 'node2'];
const HASH = '$6$bosunsalt$Q0x1ZXRtZWlucGxlYXNldGhpc2lzYXRlc3RoYXNoMTIzNDU2Nzg5';
const KEY1 = 'ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIBosunTestKeyNumberOne0000000000000000000000 one@test';
const KEY2 = 'ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIBosunTestKeyNumberTwo0000000000000000000000 two@test';

const PLAY = `
- hosts: all
  gather_facts: false
  vars:
    alice_hash: '${HASH}'
  tasks:
    - name: a group with a gid
      group: { name: devs, gid: 2500 }
    - name: a system group
      ansible.builtin.group: { name: ops, system: true }
    - name: a user in both
      user: { name: alice, uid: 2001, groups: [devs, ops], shell: /bin/bash, comment: "Alice A", password: "{{ alice_hash }}" }
    - name: a system user without home
      ansible.builtin.user: { name: svc, system: true, group: devs, create_home: false, shell: /usr/sbin/nologin }
    - name: a user with a generated key
      user: { name: carol, generate_ssh_key: true, ssh_key_bits: 2048, ssh_key_comment: carol@lab }
    - name: a key for alice
      authorized_key: { user: alice, key: "${KEY1}" }
    - name: a second key with options
      ansible.posix.authorized_key: { user: alice, key: "${KEY2}", key_options: 'no-pty,from="10.0.0.0/8"' }
`;
const TASKS = 7;

t.test('group, user and authorized_key on lab hosts', async (t) => {
  const lab = await withLab(t, { hosts: 2, name: 'users-acc', subnetIndex: 28 });
  const dir = tempDir(t, 'e2e-users-');
  const inv = writeInventory(lab, dir);
  const site = path.join(dir, 'site.yml');
  writeFileSync(site, PLAY);

  const checkOut = await checkPredicts(t, lab, [site, '-i', inv], HOSTS, TASKS);
  t.match(checkOut, /\+name: alice\n\+uid: 2001\n/, 'diff of the new user record');
  t.match(checkOut, /\+password: \(changed\)/, 'the password as a word');

  const r1 = await bosunRun([site, '-i', inv, '-vvv']);
  t.equal(r1.code, 0, r1.err + r1.out);
  for (const h of HOSTS) t.equal(parseRecap(r1.out)[h]!.changed, TASKS, `${h}: ${TASKS} changed`);
  t.notOk(r1.out.includes('Q0x1ZXRt') || r1.err.includes('Q0x1ZXRt'), 'the hash is in no output, even at -vvv');
  t.match(r1.out, /"password": "NOT_LOGGING_PASSWORD"/);

  const facts = await remote(
    lab,
    'node1',
    'getent passwd alice svc carol; getent group devs ops | cut -d: -f1,4; grep ^alice: /etc/shadow | cut -d: -f2; ' +
      'stat -c "%n %a %U:%G" /home/alice /home/alice/.ssh /home/alice/.ssh/authorized_keys /home/carol/.ssh/id_rsa; ' +
      'test -d /home/svc && echo svc-home || echo no-svc-home; cat /home/alice/.ssh/authorized_keys; ssh-keygen -l -f /home/carol/.ssh/id_rsa.pub | cut -d" " -f1,3',
  );
  t.equal(facts.code, 0, facts.err);
  const lines = facts.out.toString().split('\n');
  t.equal(lines[0], 'alice:x:2001:2001:Alice A:/home/alice:/bin/bash');
  t.match(lines[1], /^svc:x:\d{3}:2500::\/home\/svc:\/usr\/sbin\/nologin$/, 'system uid, primary group devs');
  t.ok(Number(lines[1]!.split(':')[2]) < 1000, 'a system uid');
  t.match(lines[2], /^carol:x:\d+:\d+::\/home\/carol:\/bin\/sh$/);
  t.equal(lines[3], 'devs:alice');
  t.equal(lines[4], 'ops:alice');
  t.equal(lines[5], HASH, 'the hash is set');
  t.same(lines.slice(6, 10), [
    '/home/alice 755 alice:alice',
    '/home/alice/.ssh 700 alice:alice',
    '/home/alice/.ssh/authorized_keys 600 alice:alice',
    '/home/carol/.ssh/id_rsa 600 carol:carol',
  ]);
  t.equal(lines[10], 'no-svc-home');
  t.equal(lines[11], KEY1);
  t.equal(lines[12], `no-pty,from="10.0.0.0/8" ${KEY2}`);
  t.equal(lines[13], '2048 carol@lab');

  await rerunIsNoop(t, [site, '-i', inv], HOSTS, TASKS);

  // changes: exact groups, a new hash, a key removed (the other kept), a user removed with its home
  writeFileSync(
    site,
    `- hosts: node1\n  gather_facts: false\n  tasks:\n` +
      `    - user: { name: alice, groups: [ops], shell: /bin/sh, password: '$6$x$NEWHASHVALUE', password_lock: true }\n` +
      `    - user: { name: svc, groups: ops, append: true, password: '$6$y$z', update_password: on_create, password_lock: true, password_expire_min: 1, password_expire_max: 90 }\n` +
      `    - authorized_key: { user: alice, key: "${KEY1}", state: absent }\n` +
      `    - group: { name: devs, gid: 2600 }\n` +
      `    - user: { name: carol, state: absent, remove: true }\n`,
  );
  const check2 = await bosunRun([site, '-i', inv, '--check', '--diff']);
  t.equal(check2.code, 0, check2.err + check2.out);
  t.equal(parseRecap(check2.out).node1!.changed, 5, 'check predicts the 5 changes');
  t.match(check2.out, /-groups: devs,ops\n\+groups: ops\n/);
  t.match(check2.out, /-shell: \/bin\/bash\n-password: \(set\)\n-password_lock: no\n\+shell: \/bin\/sh\n\+password: \(changed\)\n\+password_lock: yes\n/);
  t.match(check2.out, /-groups: \n\+groups: ops\n/, 'append: the missing group added');
  t.match(check2.out, / password_lock: yes\n-password_expire_min: -1\n-password_expire_max: -1\n\+password_expire_min: 1\n\+password_expire_max: 90\n/, 'ages in the diff (a system user has none; it is locked already)');
  t.match(check2.out, /-ssh-ed25519 \S+ one@test\n/, 'diff of the removed key');
  const r3 = await bosunRun([site, '-i', inv]);
  t.equal(r3.code, 0, r3.err + r3.out);
  t.equal(parseRecap(r3.out).node1!.changed, 5);
  const after = await remote(lab, 'node1', 'id -nG alice; id -nG svc; getent passwd alice | cut -d: -f7; grep -c "^alice:!\\$6\\$x\\$NEWHASHVALUE:" /etc/shadow; grep ^svc: /etc/shadow | cut -d: -f2,4,5; getent group devs | cut -d: -f3; cat /home/alice/.ssh/authorized_keys; getent passwd carol || echo no-carol; test -e /home/carol || echo no-home');
  t.equal(after.out.toString(), `alice ops\ndevs ops\n/bin/sh\n1\n!:1:90\n2600\nno-pty,from="10.0.0.0/8" ${KEY2}\nno-carol\nno-home\n`, 'the new hash set locked; svc still locked, with its ages');
  const r4 = await bosunRun([site, '-i', inv]);
  t.equal(parseRecap(r4.out).node1!.changed, 0, 'and the changes are idempotent');

  // a missing group outside check mode fails before anything changes
  writeFileSync(site, `- hosts: node1\n  gather_facts: false\n  tasks:\n    - user: { name: eve, groups: [nope] }\n`);
  const bad = await bosunRun([site, '-i', inv]);
  t.not(bad.code, 0);
  t.match(bad.out, /Group nope does not exist/);
  const eve = await remote(lab, 'node1', 'getent passwd eve || echo no-eve');
  t.equal(eve.out.toString(), 'no-eve\n');
});
