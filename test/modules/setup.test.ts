// setup as a task: one read-only request, Ansible's fact names (prefixed as setup returns them),
// gather_subset and filter; check mode plans it like any read-only module.
import t from 'tap';
import setup, { type SetupArgs } from '../../lib/modules/setup.js';
import { validateArgs } from '../../lib/modules/args.js';
import { runTask } from '../helpers/fake-ctx.js';
import { moduleContext } from '../helpers/module-ctx.js';

const args = (raw: unknown) => validateArgs(setup, raw, {}) as unknown as SetupArgs;

t.test('setup gathers the facts in one read-only request', async (t) => {
  const ctx = moduleContext();
  const r = await runTask(setup, ctx, args({ gather_subset: ['!all'] }));
  t.equal(ctx.conn.stats.requests, 1, 'one request');
  t.equal(r.plan.changed, false);
  const f = (r.outcome.result as { ansible_facts: Record<string, unknown> }).ansible_facts;
  t.type(f.ansible_distribution, 'string');
  t.type(f.ansible_os_family, 'string');
  t.match(f.ansible_date_time, { date: /^\d{4}-\d\d-\d\d$/ });
  t.same(f.gather_subset, ['!all']);
  t.equal(f.module_setup, true);
  t.notOk('ansible_memtotal_mb' in f, '!all: no hardware facts');
  t.notOk('ansible_init' in f || 'ansible_user' in f, "bosun's own fields are not returned");
});

t.test('filter keeps the facts whose name matches a pattern', async (t) => {
  const r = await runTask(setup, moduleContext(), args({ filter: ['ansible_mem*', 'ansible_[k]ernel'], gather_subset: ['!all', 'hardware'] }));
  const f = (r.outcome.result as { ansible_facts: Record<string, unknown> }).ansible_facts;
  t.same(Object.keys(f).sort(), ['ansible_kernel', 'ansible_memfree_mb', 'ansible_memory_mb', 'ansible_memtotal_mb']);
  t.ok((f.ansible_memtotal_mb as number) > 0);
});

t.test('check mode: the same facts, nothing refused', async (t) => {
  const r = await runTask(setup, moduleContext({ check: true }), args({ gather_subset: ['!all', '!min', 'platform'] }));
  t.match((r.outcome.result as { ansible_facts: Record<string, unknown> }).ansible_facts, { ansible_system: 'Linux' });
});

t.test('an unknown subset fails the task', async (t) => {
  await t.rejects(runTask(setup, moduleContext(), args({ gather_subset: ['hardwre'] })), /unknown subset 'hardwre'/);
});
