// Loading the control keywords of issue 15: with_* loops, loop_control.pause, gather_subset,
// include_vars anywhere a task may be, set_fact's args:, and what include_vars tells the
// load-time undefined-variable check.
import t, { type Test } from 'tap';
import { join } from 'node:path';
import { loadPlaybook } from '../../lib/loaders/playbook.js';
import { Inventory } from '../../lib/loaders/inventory.js';
import { checkUndefinedVariables } from '../../lib/engine/static-check.js';
import type { ModuleTask, SetFactTask, TaskNode } from '../../lib/ast.js';

async function load(t: Test, play: string, files: Record<string, unknown> = {}) {
  const dir = t.testdir({ 'play.yml': play, ...files });
  const r = await loadPlaybook(join(dir, 'play.yml'));
  return { ...r, dir, check: () => checkUndefinedVariables(r.playbook, Inventory.empty({ playbookDir: dir }), r.definedNames, {}, undefined) };
}
const leaves = (nodes: TaskNode[]): TaskNode[] => nodes.flatMap((n) => (n.kind === 'block' ? [...leaves(n.block), ...leaves(n.rescue), ...leaves(n.always)] : [n]));

t.test('with_* loops and loop_control', async (t) => {
  const { playbook } = await load(t, `- hosts: all
  gather_subset: [network, '!hardware']
  tasks:
    - debug: { msg: "{{ item.key }}" }
      with_dict: "{{ d }}"
      vars: { d: { a: 1 } }
    - debug: { msg: "{{ item }}" }
      with_items: [[1, 2], 3]
      loop_control: { pause: 0.5, label: "{{ item }}" }
    - set_fact: { x: 1 }
      args: { cacheable: yes }
    - debug: { msg: "{{ item }}" }
      loop: [1]
`);
  const play = playbook.plays[0]!;
  t.same(play.gatherSubset, ['network', '!hardware']);
  const [a, b, c, d] = leaves(play.sections.flatMap((s) => s.tasks)) as [ModuleTask, ModuleTask, SetFactTask, ModuleTask];
  t.match(a, { loopWith: 'dict', loop: '{{ d }}', loopVar: 'item' });
  t.match(b, { loopWith: 'items', loop: [[1, 2], 3], loopPause: 0.5 });
  t.same(c.facts, { x: 1, cacheable: true }, "set_fact's args: merge with its arguments");
  t.equal(d.loopWith, undefined, 'loop: is not a lookup');
});

t.test('loop errors at load time', async (t) => {
  await t.rejects(load(t, `- hosts: all\n  tasks:\n    - debug: { msg: x }\n      loop: [1]\n      with_items: [2]\n`), /a task takes one loop; this one has loop and with_items/);
  await t.rejects(load(t, `- hosts: all\n  tasks:\n    - debug: { msg: x }\n      with_items: [1]\n      loop_control: { pause: soon }\n`), /loop_control.pause must be a number of seconds/);
  await t.rejects(load(t, `- hosts: all\n  tasks:\n    - debug: { msg: x }\n      with_itemz: [1]\n`), /unknown task keyword 'with_itemz' \(did you mean 'with_items'\?\)/);
});

t.test('include_vars is a task anywhere, and its names are known to the undefined-variable check', async (t) => {
  const known = await load(t, `- hosts: all
  tasks:
    - block:
        - ansible.builtin.include_vars: vars/site.yml
        - debug: { msg: "{{ site_name }}" }
    - include_vars: { file: other.yml, name: other }
      notify: h
    - debug: { msg: "{{ other.x }}" }
  handlers:
    - name: h
      include_vars: { dir: conf.d }
`, { vars: { 'site.yml': 'site_name: s\n' }, 'other.yml': 'x: 1\n' });
  t.doesNotThrow(known.check, 'names from a literal file and from name:');
  const typo = await load(t, `- hosts: all\n  tasks:\n    - include_vars: vars/site.yml\n    - debug: { msg: "{{ site_nme }}" }\n`, { vars: { 'site.yml': 'site_name: s\n' } });
  t.throws(typo.check, /undefined variable 'site_nme'/, 'a literal file: a typo is still caught');
  const dynamic = await load(t, `- hosts: all\n  tasks:\n    - include_vars: "{{ item }}"\n      with_first_found: [a.yml, b.yml]\n    - debug: { msg: "{{ anything }}" }\n`);
  t.doesNotThrow(dynamic.check, 'a file known only at run time may define any name');
  const facts = await load(t, `- hosts: all\n  tasks:\n    - debug: { msg: "{{ ansible_eth0.ipv4.address }} {{ ansible_default_ipv4.address }}" }\n`);
  t.doesNotThrow(facts.check, 'fact names (interfaces are named by the host) are known');
});
