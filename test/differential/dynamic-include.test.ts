// Differential test for templated dynamic includes (helper "dynrole"): include_tasks by a host var, a
// loop item and a registered value, include_role by a loop item, templated tasks_from/vars_from, a public
// templated role with apply, a missing file with and without ignore_errors, a name that does not render
// (test/fixtures/differential/dynamic-include/site.yml, one ansible-playbook run), and a role name that
// renders to no role (norole.yml: Ansible stops the run).
import t from 'tap';
import { cpSync } from 'node:fs';
import { join } from 'node:path';
import { ansibleInstalled, hostRows, parseTranscript, runAnsible, runBosun, workDir, type Proc } from '../helpers/differential.js';
import { repoRoot } from '../helpers/run.js';

const fixture = join(repoRoot, 'test', 'fixtures', 'differential', 'dynamic-include');

t.ok(ansibleInstalled(), 'ansible-core is installed (.ci/setup installs it)');

async function both(args: string[]): Promise<{ a: Proc; b: Proc; dir: string }> {
  const dir = workDir({});
  cpSync(fixture, dir, { recursive: true });
  const [a, b] = await Promise.all([runAnsible('ansible-playbook', args, dir), runBosun(['run', ...args], dir)]);
  return { a, b, dir };
}

/** `included: FILE for HOSTS` lines, hosts sorted (Ansible lists them in the order its workers answered). */
function includedLines(p: Proc): string[] {
  return p.stdout
    .split('\n')
    .filter((l) => l.startsWith('included: '))
    .map((l) => l.replace(/ for ([^=]*?)( =>|$)/, (_m, hosts: string, tail: string) => ` for ${hosts.split(', ').sort().join(', ')}${tail}`));
}

// a failure's data is compared when it says why an include failed (Ansible's reason); other messages are each tool's own
const withReason = (e: { status: string; data?: unknown }) => e.status === 'ok' || e.status === 'changed' || JSON.stringify(e.data ?? '').includes('"reason"');

t.test('templated includes: one run, every case on hosts of its own', async (t) => {
  const { a, b } = await both(['site.yml', '-i', 'inventory.ini']);
  const ta = parseTranscript(a.stdout);
  const tb = parseTranscript(b.stdout);
  const hosts = [...ta.recap.keys()];
  t.ok(hosts.length >= 18, `ansible's recap has the cases (${hosts.length})`);
  for (const h of hosts) {
    const rows = hostRows(ta, h, { data: withReason });
    t.ok(rows.length >= 1, `${h}: ansible ran the case`);
    t.same(hostRows(tb, h, { data: withReason }), rows, `${h}: task results (included:, ok/changed/failed)`);
    t.same(tb.recap.get(h), ta.recap.get(h), `${h}: recap`);
  }
  t.same([...tb.recap.keys()].sort(), [...hosts].sort(), 'the same hosts in the recap');
  const lines = (p: Proc) => includedLines(p).map((l) => l.replace(/^included: \/.*?\/(?=[^/]*\/|setup-)/, 'included: '));
  // sorted: Ansible orders a task's included files as its workers' results arrive (bosun: host order)
  t.same(lines(b).sort(), lines(a).sort(), 'the included: lines (file, hosts, item)');
  t.ok(includedLines(a).some((l) => /setup-Debian\.yml for v1, v3$/.test(l)), 'ansible groups the hosts that render the same file');
  t.ok(a.stdout.includes("Could not find or access"), 'ansible fails a host whose file is missing');
  t.equal(b.code, a.code, 'exit code (a host failed)');
});

t.test('a role name that renders to no role stops the run where it is included', async (t) => {
  const { a, b } = await both(['norole.yml', '-i', 'inventory.ini']);
  const ta = parseTranscript(a.stdout);
  const tb = parseTranscript(b.stdout);
  for (const h of ['n1', 'n2']) t.same(hostRows(tb, h), hostRows(ta, h), `${h}: what ran before it`);
  t.match(a.stderr, /ERROR! the role 'nosuch' was not found/, 'ansible stops with an error');
  t.not(b.code, 0, 'bosun stops with an error');
  t.match(b.stderr.trim(), /^ERROR! .*norole\.yml:8:7: role 'nosuch' not found/, 'one located line');
  t.notOk(b.stdout.includes('after norole2'), 'nothing after it ran');
});
