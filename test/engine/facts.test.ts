// Facts a module returns (ansible_facts in its result) join the gathered ones, as in Ansible.
import t from 'tap';
import { factVars, parseFacts, withModuleFacts } from '../../lib/engine/facts.js';

t.test('module facts: under ansible_facts beside the gathered ones, and top-level', async (t) => {
  const gathered = parseFacts('id=debian\nversion_id=12\nhostname=n1\ninit=systemd\n');
  const services = { 'ssh.service': { name: 'ssh.service', state: 'running', status: 'enabled', source: 'systemd' } };
  const once = withModuleFacts({ r: 1 }, gathered, { services });
  t.same(once.services, services, 'top-level `services`');
  const af = once.ansible_facts as Record<string, unknown>;
  t.same(af.services, services);
  t.equal(af.os_family, 'Debian', 'gathered facts stay under ansible_facts');
  t.equal(af.service_mgr, factVars(gathered).ansible_service_mgr);
  t.equal(once.r, 1, 'registered values stay');
  const twice = withModuleFacts(once, gathered, { packages: {} });
  t.same(Object.keys(twice.ansible_facts as object).filter((k) => k === 'services' || k === 'packages'), ['services', 'packages'], 'a second module adds to the first');
});
