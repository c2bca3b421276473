// The template module's variables (Ansible's generate_ansible_template_vars); compared with
// ansible-playbook in test/engine/jinja-values-differential.test.ts, here the formatting rules.
import t from 'tap';
import { utimesSync } from 'node:fs';
import { join } from 'node:path';
import { hostname } from 'node:os';
import { DEFAULT_MANAGED, pyDatetime, templateVars, TEMPLATE_VAR_NAMES } from '../../../lib/modules/util/template-vars.js';

t.test('templateVars: names, paths and ansible_managed', async (t) => {
  const dir = t.testdir({ 'x.j2': 'hi' });
  const file = join(dir, 'x.j2');
  // 2026-01-02 03:04:05 local time, .5 s
  const when = new Date(2026, 0, 2, 3, 4, 5, 500);
  utimesSync(file, when, when);
  const v = templateVars('x.j2', file, '/etc/x.conf');
  t.same(Object.keys(v).sort(), [...TEMPLATE_VAR_NAMES].sort(), 'exactly the names the static check knows');
  t.equal(v.template_host, hostname());
  t.equal(v.template_path, 'x.j2', 'src as the task wrote it');
  t.equal(v.template_fullpath, file);
  t.equal(v.template_destpath, '/etc/x.conf');
  t.equal(v.template_mtime, '2026-01-02 03:04:05.500000', "Python's str(datetime)");
  t.match(v.template_run_date, /^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d(\.\d{6})?$/);
  t.equal(v.ansible_managed, DEFAULT_MANAGED);
  t.equal(templateVars('x.j2', file, undefined).template_destpath, null, 'no dest: None');
  const custom = templateVars('x.j2', file, undefined, '{file} by {uid} on {host} at %Y-%m-%d %H:%M:%S {{}}');
  t.equal(custom.ansible_managed, `x.j2 by ${String(v.template_uid)} on ${hostname()} at 2026-01-02 03:04:05 {}`, 'str.format, then strftime of the mtime');
  t.throws(() => templateVars('x.j2', file, undefined, 'managed {nope}'), 'an unknown {field} fails, as Python str.format');
});

t.test('pyDatetime: microseconds only when not zero', async (t) => {
  const d = new Date(2026, 11, 6, 20, 1, 2);
  t.equal(pyDatetime(d, 0), '2026-12-06 20:01:02');
  t.equal(pyDatetime(d, 42), '2026-12-06 20:01:02.000042');
});
