// `hosts:` may be templated with play vars and extra vars, as in Ansible.
import t from 'tap';
import { join } from 'node:path';
import { run } from '../helpers/run.js';

t.test('templated hosts pattern', async (t) => {
  const dir = t.testdir({
    'inv.yml': 'all:\n  children:\n    db:\n      hosts: { d1: {ansible_connection: local}, d2: {ansible_connection: local} }\n    web:\n      hosts: { w1: {ansible_connection: local} }\n',
    'pb.yml': `- hosts: "{{default grp 'web'}}"\n  gather_facts: false\n  vars: { unused: 1 }\n  tasks: [{ debug: { msg: hi } }]\n`,
  });
  const args = [join(dir, 'pb.yml'), '-i', join(dir, 'inv.yml'), '--list-hosts'];
  const def = await run(args);
  t.equal(def.code, 0, def.stderr);
  t.match(def.stdout, /hosts \(1\):\n\s+w1\n/);
  const db = await run([...args, '-e', 'grp=db']);
  t.equal(db.code, 0, db.stderr);
  t.match(db.stdout, /hosts \(2\):\n\s+d1\n\s+d2\n/);
  const bad = await run([...args, '-e', 'grp=nosuch']);
  t.equal(bad.code, 0);
  t.match(bad.stdout, /hosts \(0\):/, 'a group that matches nothing selects no host');
});
