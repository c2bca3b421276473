// Differential test for play semantics (helper "semantics", issue 17): role dedup and allow_duplicates,
// the play keyword order: (run_once's host, serial batches, ansible_play_batch), and the rest of
// test/fixtures/differential/semantics/ — each file through ansible-playbook 2.14 and bosun, task
// results, notes and recap compared per host.
import t, { type Test } from 'tap';
import { cpSync, existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { ansibleInstalled, hostRows, parseTranscript, runAnsible, runBosun, workDir, type Proc } from '../helpers/differential.js';
import { repoRoot } from '../helpers/run.js';
import { orderHosts } from '../../lib/engine/hosts.js';
import pLimit from 'p-limit';

const fixture = join(repoRoot, 'test', 'fixtures', 'differential', 'semantics');

t.ok(ansibleInstalled(), 'ansible-core is installed (.ci/setup installs it)');

// The file's time is ansible-playbook's (start-up, forks, polling): a test starts its runs together,
// up to three ansible-playbook processes at a time (bosun's in-process runs queue in runBosun).
const ansibleSlots = pLimit(3);

async function both(args: string[], env: Record<string, string> = {}): Promise<{ a: Proc; b: Proc; dir: string }> {
  const dir = workDir({});
  cpSync(fixture, dir, { recursive: true });
  const [a, b] = await Promise.all([ansibleSlots(() => runAnsible('ansible-playbook', args, dir, env)), runBosun(['run', ...args], dir, env)]);
  return { a, b, dir };
}

/** Every host of the inventory that ansible printed a result for: results, recap; the notes of the whole run. */
function agree(t: Test, a: Proc, b: Proc, minHosts: number): void {
  const ta = parseTranscript(a.stdout);
  const tb = parseTranscript(b.stdout);
  const hosts = [...ta.recap.keys()];
  t.ok(hosts.length >= minHosts, `ansible's recap has the cases (${hosts.length})`);
  for (const h of hosts) {
    t.same(hostRows(tb, h), hostRows(ta, h), `${h}: task results`);
    t.same(tb.recap.get(h), ta.recap.get(h), `${h}: recap`);
  }
  t.same([...tb.recap.keys()].sort(), [...hosts].sort(), 'the same hosts in the recap');
  t.same(tb.notes, ta.notes, 'notes (included:, NO MORE HOSTS LEFT, …)');
  t.equal(b.code, a.code, `exit code (ansible: ${a.stderr.trim().split('\n')[0] ?? ''}; bosun: ${b.stderr.trim().split('\n')[0] ?? ''})`);
}

t.test('role dedup and order:', async (t) => {
  const { a, b } = await both(['site.yml', '-i', 'inventory.ini']);
  agree(t, a, b, 11);
  // shuffle: every host once, whatever the order
  const shuffled = parseTranscript(b.stdout).events.filter((e) => e.data && JSON.stringify(e.data).includes('"shuffle"')).map((e) => e.host);
  t.same(shuffled.sort(), ['o1', 'o2', 'o3', 'o4', 'o5'], 'order: shuffle runs every host once');
});

t.test('alone: one run per file (includes, any_errors_fatal, until, …)', async (t) => {
  const files = readdirSync(join(fixture, 'alone')).filter((f) => f.endsWith('.yml')).sort();
  const runs = files.map((f) => {
    const extra = /^# args: (.*)$/m.exec(readFileSync(join(fixture, 'alone', f), 'utf8'))?.[1]?.split(' ').filter(Boolean) ?? [];
    return both([`alone/${f}`, '-i', 'inventory.ini', ...extra]);
  });
  for (const [i, f] of files.entries()) {
    const { a, b } = await runs[i]!;
    t.test(f, async (t) => agree(t, a, b, 1));
  }
});

t.test('orderHosts', async (t) => {
  const h = ['b', 'a', 'C', 'c'];
  t.same(orderHosts(h, undefined), h);
  t.same(orderHosts(h, 'inventory'), h);
  t.same(orderHosts(h, 'reverse_inventory'), ['c', 'C', 'a', 'b']);
  t.same(orderHosts(h, 'sorted'), ['C', 'a', 'b', 'c'], 'code-point order, as Python sorts strings');
  t.same(orderHosts(h, 'reverse_sorted'), ['c', 'b', 'a', 'C']);
  t.same([...orderHosts(h, 'shuffle')].sort(), [...h].sort());
  t.same(h, ['b', 'a', 'C', 'c'], 'the input is not changed');
});

t.test('include_role: --list-tasks lists the include itself; --check and --syntax-check run it as without', async (t) => {
  const file = 'alone/include-role.yml';
  const [list, tagged, check, syntax] = await Promise.all([
    both([file, '-i', 'inventory.ini', '--list-tasks']),
    both(['alone/include-role-tags.yml', '-i', 'inventory.ini', '--list-tasks', '-t', 'outer']),
    both([file, '-i', 'inventory.ini', '--check']),
    both([file, '-i', 'inventory.ini', '--syntax-check']),
  ]);
  const lines = (p: Proc) => p.stdout.split('\n').map((l) => l.trimEnd()).filter((l) => l.trim() !== '');
  t.ok(lines(list.a).some((l) => /^\s+public\tTAGS: \[\]$/.test(l)), 'ansible lists the include by its name');
  t.same(lines(list.b), lines(list.a), '--list-tasks');
  t.same(lines(tagged.b), lines(tagged.a), '--list-tasks -t outer');
  agree(t, check.a, check.b, 3);
  t.equal(syntax.b.code, syntax.a.code, '--syntax-check exit code');
  t.same(lines(syntax.b), lines(syntax.a), '--syntax-check output');
});

t.test('include_role: bad input is one located error before anything runs', async (t) => {
  const cases: Array<[string, RegExp]> = [
    ['include_role: { name: nope }', /^ERROR! .*bad\.yml:4:7: role 'nope' not found/],
    ['include_role: { name: ir }\n      loop: 5', /^ERROR! .*bad\.yml:5:7: loop must be a list/],
    ['include_role: { name: ir }\n      loop: "{{ nothere }}"', /^ERROR! .*bad\.yml:4:7: undefined variable 'nothere'/],
    ['include_role: { name: ir, bogus: 1 }', /^ERROR! .*bad\.yml:4:\d+: include_role: unknown argument 'bogus'/],
    ['import_role: { name: "{{ r }}" }', /^ERROR! .*bad\.yml:4:\d+: import_role role names must be literal/],
    ['include_role: { name: ir, tasks_from: nope }', /^ERROR! .*bad\.yml:4:7: tasks_from 'nope' not found in role ir/],
  ];
  for (const [task, want] of cases) {
    const dir = workDir({ 'bad.yml': `- hosts: h1\n  gather_facts: false\n  tasks:\n    - ${task}\n    - file: { path: "{{ playbook_dir }}/touched", state: touch }\n` });
    cpSync(join(fixture, 'roles'), join(dir, 'roles'), { recursive: true });
    cpSync(join(fixture, 'inventory.ini'), join(dir, 'inventory.ini'));
    const b = await runBosun(['run', 'bad.yml', '-i', 'inventory.ini'], dir);
    t.not(b.code, 0, `${task}: fails`);
    t.match(b.stderr.trim(), want, `${task}: one located line`);
    t.equal(b.stderr.trim().split('\n').length, 1, `${task}: one line`);
    t.notOk(existsSync(join(dir, 'touched')), `${task}: nothing ran`);
  }
});
