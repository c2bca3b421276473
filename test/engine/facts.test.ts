// Facts a module returns (ansible_facts in its result) join the gathered ones, as in Ansible.
import t from 'tap';
import { factVars, parseFacts } from '../../lib/engine/facts.js';

t.test('module facts: under ansible_facts beside the gathered ones, and top-level', async (t) => {
  const gathered = parseFacts('id=debian\nversion_id=12\nhostname=n1\ninit=systemd\n');
  const services = { 'ssh.service': { name: 'ssh.service', state: 'running', status: 'enabled', source: 'systemd' } };
  const v = factVars(gathered, { services });
  t.same(v.services, services, 'top-level `services` (Ansible injects facts as variables)');
  const af = v.ansible_facts as Record<string, unknown>;
  t.same(af.services, services);
  t.equal(af.os_family, 'Debian', 'gathered facts stay under ansible_facts');
  t.equal(v.ansible_service_mgr, 'systemd');
  t.same(factVars(undefined, { services }).services, services, 'without gathered facts too');
});
