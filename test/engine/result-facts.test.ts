// Facts a module returns become variables as Ansible injects them (INJECT_FACTS_AS_VARS): a name
// with the ansible_ prefix as ansible_x and ansible_facts.x, one without (getent_passwd, packages)
// under its own name and as ansible_facts.NAME, never as ansible_NAME.
import t from 'tap';
import { factVars, mergeFacts } from '../../lib/engine/facts.js';

t.test('mergeFacts / factVars', async (t) => {
  const gathered = { hostname: 'n1', gather_subset: ['all'] };
  const f = mergeFacts(gathered, { getent_passwd: { root: ['x'] }, ansible_local_thing: 1 });
  t.not(f, gathered, 'a new object');
  const v = factVars(f);
  t.same(v.getent_passwd, { root: ['x'] });
  t.notOk('ansible_getent_passwd' in v);
  t.equal(v.ansible_local_thing, 1);
  t.equal(v.ansible_hostname, 'n1');
  t.same((v.ansible_facts as Record<string, unknown>).getent_passwd, { root: ['x'] });
  t.equal((v.ansible_facts as Record<string, unknown>).local_thing, 1);
  const g = mergeFacts(f, { getent_group: {} });
  t.ok('getent_passwd' in factVars(g) && 'getent_group' in factVars(g), 'names returned earlier stay unprefixed');
  const h = mergeFacts(g, { ansible_getent_group: 1 });
  t.equal(factVars(h).ansible_getent_group, 1, 'the same fact returned with the prefix later is a prefixed one');
  t.notOk('getent_group' in factVars(h));
});
