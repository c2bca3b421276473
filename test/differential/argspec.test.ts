// Differential test for role argument validation (meta/argument_specs.yml, Ansible 2.11+) and the
// validate_argument_spec module: test/fixtures/differential/argspec/ through ansible-playbook 2.14
// and bosun in one run each — every case a host of its own (passing variables, each kind of failure,
// role parameters, a dependency, tasks_from, rolespec_validate: false, extra vars) — compared per
// host: task names, ok/failed/skipped, each failure's whole result (messages included), the recap.
import t from 'tap';
import { cpSync } from 'node:fs';
import { join } from 'node:path';
import { ansibleInstalled, hostRows, parseTranscript, runAnsible, runBosun, workDir, type ResultEvent } from '../helpers/differential.js';
import { repoRoot } from '../helpers/run.js';

const fixture = join(repoRoot, 'test', 'fixtures', 'differential', 'argspec');

t.ok(ansibleInstalled(), 'ansible-core is installed (.ci/setup installs it)');

/** Python prints its set of boolean words in hash order, which changes from run to run: sorted here. */
function normalise(v: unknown): unknown {
  if (typeof v === 'string') {
    return v.replace(/(Valid booleans include: )([^\n"]*)/g, (_m, head: string, list: string) => head + list.split(', ').sort().join(', '));
  }
  if (Array.isArray(v)) return v.map(normalise);
  if (v && typeof v === 'object') return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, normalise(x)]));
  return v;
}

t.test('role argument validation: ansible-playbook 2.14 and bosun agree', async (t) => {
  const dir = workDir({});
  cpSync(fixture, dir, { recursive: true });
  const args = ['site.yml', '-i', 'inventory.yml', '-e', 'app_level=3'];
  const [a, b] = await Promise.all([runAnsible('ansible-playbook', args, dir), runBosun(['run', ...args], dir)]);
  const ta = parseTranscript(a.stdout);
  const tb = parseTranscript(b.stdout);
  for (const tr of [ta, tb]) for (const ev of tr.events) ev.data = normalise(ev.data);
  const hosts = [...ta.recap.keys()];
  t.equal(hosts.length, 22, `ansible ran every case (${a.stderr.trim().split('\n')[0] ?? ''})`);
  const all = { data: (e: ResultEvent) => e.data !== undefined };
  for (const h of hosts) {
    t.same(hostRows(tb, h, all), hostRows(ta, h, all), `${h}: task results and failure messages`);
    t.same(tb.recap.get(h), ta.recap.get(h), `${h}: recap`);
  }
  t.same([...tb.recap.keys()].sort(), [...hosts].sort(), 'the same hosts in the recap');
  t.equal(b.code, a.code, 'exit code');

  // the cases ran as meant (so the comparison above cannot pass on two empty transcripts)
  const failures = ta.events.filter((e) => e.status === 'failed' || e.status === 'fatal').map((e) => e.host).sort();
  t.same(failures, ['bad_choice', 'bad_dict', 'bad_nested', 'bad_null', 'bad_required', 'bad_template', 'bad_types', 'dep_bad', 'inc_other_bad', 'mod_bad', 'par_bogus']);
  const validations = ta.events.filter((e) => e.task.startsWith('svc : Validating arguments')).map((e) => `${e.host}:${e.status}`);
  t.notOk(validations.some((v) => /^(inc|imp)_skip:(ok|fatal)/.test(v)), 'rolespec_validate: false runs no validation');
  t.ok(validations.includes('inc_other_ok:ok'), "tasks_from: other validates against the 'other' entry point");
  const msg = (host: string) => String((tb.events.find((e) => e.host === host && e.status === 'fatal')?.data as { msg?: string } | undefined)?.msg);
  t.match(msg('bad_required'), /^Validation of arguments failed:\nmissing required arguments: svc_name$/);
  t.match(msg('par_bogus'), /bogus\. Supported parameters include: svc_any, svc_enabled/);
  t.match(hostRows(tb, 'ok_min', all).join('\n'), /svc_port=unset/, 'a spec default sets no variable (Ansible 2.14)');
});
