// `connection: local` on a play runs every host's tasks on the control node: no ssh at all.
import t from 'tap';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { run } from '../helpers/run.js';

t.test('connection: local play', async (t) => {
  const dir = t.testdir({
    'inv.yml': 'all:\n  hosts:\n    alpha: { ansible_host: 127.0.0.1, ansible_port: 1 }\n    beta: { ansible_host: 127.0.0.1, ansible_port: 1 }\n',
    'pb.yml': `- hosts: all
  connection: local
  tasks:
    - copy: { content: "{{ inventory_hostname }}\\n", dest: "{{ out }}/{{ inventory_hostname }}.txt" }
- hosts: all
  connection: telnet
  tasks: []
`,
  });
  const bad = await run([join(dir, 'pb.yml'), '-i', join(dir, 'inv.yml'), '-e', `out=${dir}`]);
  t.equal(bad.code, 4);
  t.match(bad.stderr, /pb\.yml:6:3: connection must be one of local, nsenter, ssh; got/);
  const okDir = t.testdir({
    'inv.yml': 'all:\n  hosts:\n    alpha: { ansible_host: 127.0.0.1, ansible_port: 1 }\n    beta: { ansible_host: 127.0.0.1, ansible_port: 1 }\n',
    'pb.yml': '- hosts: all\n  connection: local\n  tasks:\n    - copy: { content: "{{ inventory_hostname }}\\n", dest: "{{ out }}/{{ inventory_hostname }}.txt" }\n',
  });
  const r = await run([join(okDir, 'pb.yml'), '-i', join(okDir, 'inv.yml'), '-e', `out=${okDir}`]);
  t.equal(r.code, 0, r.stdout + r.stderr);
  t.equal(readFileSync(join(okDir, 'alpha.txt'), 'utf8'), 'alpha\n');
  t.equal(readFileSync(join(okDir, 'beta.txt'), 'utf8'), 'beta\n');
  t.match(r.stdout, /0 ssh process\(es\)/);
});
