// `hosts:` may be templated with play vars and extra vars, as in Ansible.
import t from 'tap';
import { join } from 'node:path';
import { run } from '../helpers/run.js';
import { connectionSpec, hostKeyChecking } from '../../lib/engine/hosts.js';
import { Inventory } from '../../lib/loaders/inventory.js';

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

t.test('host_key_checking: on unless the inventory variable or ANSIBLE_HOST_KEY_CHECKING says a false-like value', async (t) => {
  const dir = t.testdir({
    'inv.yml': 'all:\n  hosts:\n    a: {}\n    b: { ansible_host_key_checking: false }\n    c: { ansible_host_key_checking: "yes" }\n    d: { ansible_ssh_host_key_checking: "False" }\n',
  });
  const inv = Inventory.load(join(dir, 'inv.yml'));
  const saved = process.env.ANSIBLE_HOST_KEY_CHECKING;
  t.teardown(() => {
    if (saved === undefined) delete process.env.ANSIBLE_HOST_KEY_CHECKING;
    else process.env.ANSIBLE_HOST_KEY_CHECKING = saved;
  });
  delete process.env.ANSIBLE_HOST_KEY_CHECKING;
  t.same(['a', 'b', 'c', 'd'].map((h) => connectionSpec(inv, h).hostKeyChecking), [true, false, true, false]);
  process.env.ANSIBLE_HOST_KEY_CHECKING = 'False';
  t.same(['a', 'b', 'c', 'd'].map((h) => connectionSpec(inv, h).hostKeyChecking), [false, false, true, false], 'the inventory variable wins over the environment');
  for (const v of ['false', 'no', 'OFF', '0', 'n', 'F', false]) t.equal(hostKeyChecking(v), false, String(v));
  for (const v of ['true', 'yes', '1', 'anything', true, undefined]) t.equal(hostKeyChecking(v), true, String(v));
});
