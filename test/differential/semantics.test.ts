// Differential test for play semantics (helper "semantics", issue 17): role dedup and allow_duplicates,
// the play keyword order: (run_once's host, serial batches, ansible_play_batch), and the rest of
// test/fixtures/differential/semantics/ — each file through ansible-playbook 2.14 and bosun, task
// results, notes and recap compared per host.
import t, { type Test } from 'tap';
import { cpSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { ansibleInstalled, hostRows, parseTranscript, runAnsible, runBosun, workDir, type Proc } from '../helpers/differential.js';
import { repoRoot } from '../helpers/run.js';
import { orderHosts } from '../../lib/engine/hosts.js';

const fixture = join(repoRoot, 'test', 'fixtures', 'differential', 'semantics');

t.ok(ansibleInstalled(), 'ansible-core is installed (.ci/setup installs it)');

async function both(args: string[], env: Record<string, string> = {}): Promise<{ a: Proc; b: Proc; dir: string }> {
  const dir = workDir({});
  cpSync(fixture, dir, { recursive: true });
  const [a, b] = await Promise.all([runAnsible('ansible-playbook', args, dir, env), runBosun(['run', ...args], dir, env)]);
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
  for (const f of files) {
    const extra = /^# args: (.*)$/m.exec(readFileSync(join(fixture, 'alone', f), 'utf8'))?.[1]?.split(' ').filter(Boolean) ?? [];
    const { a, b } = await both([`alone/${f}`, '-i', 'inventory.ini', ...extra]);
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
