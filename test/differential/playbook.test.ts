// Differential suite: playbooks through ansible-playbook 2.14 and bosun, compared per host after
// normalisation (task results, printed data, recap line), plus exit codes.
//   test/fixtures/differential/batch/*.yml — every case is a play on a host of its own; all of them
//     run as ONE playbook (ansible's start-up paid once). Nothing here may fail a whole play.
//   test/fixtures/differential/alone/*.yml — one run per file (failures that end the playbook,
//     parse errors, exit codes); a first-line comment `# args: …` adds command-line arguments.
// All hosts are `ansible_connection=local`.
import t from 'tap';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { ansibleInstalled, hostRows, parseTranscript, sameHostResults, runAnsible, runBosun, workDir, type Proc } from '../helpers/differential.js';
import { repoRoot } from '../helpers/run.js';

const root = join(repoRoot, 'test', 'fixtures', 'differential');
const yml = (d: string) => readdirSync(join(root, d)).filter((f) => f.endsWith('.yml')).sort();
// Plain host names only: a pattern such as "nomatch_absent_*" must stay out of the inventory (ansible's INI
// parser would make a host of it and the pattern would match).
const hostsOf = (text: string) => [...new Set([...text.matchAll(/^ {2}hosts: ([\w.-]+)$/gm)].map((m) => m[1]!))];
const inventory = (hosts: string[]) => `[cases]\n${hosts.join('\n')}\n\n[cases:vars]\nansible_connection=local\nansible_python_interpreter=/usr/bin/python3\n`;

async function both(files: Record<string, string>, args: string[]): Promise<[Proc, Proc]> {
  const work = workDir(files);
  return Promise.all([runAnsible('ansible-playbook', args, work), runBosun(['run', ...args], work)]);
}

/** First line of an ERROR! message, without file positions (ansible and bosun word them differently). */
const errorKind = (p: Proc) => (/ERROR!|\[ERROR\]:/.test(p.stderr) ? 'ERROR' : '');

t.ok(ansibleInstalled(), 'ansible-core is installed (.ci/setup installs it)');

t.test('batch: ansible-playbook and bosun agree per case', async (t) => {
  const text = yml('batch').map((f) => `# ---- ${f}\n${readFileSync(join(root, 'batch', f), 'utf8')}`).join('\n');
  const hosts = hostsOf(text);
  t.equal(hosts.length, [...text.matchAll(/^ {2}hosts: /gm)].length, 'every batch case has a host of its own');
  const [a, b] = await both({ 'inventory.ini': inventory(hosts), 'site.yml': text }, ['site.yml', '-i', 'inventory.ini']);
  t.notMatch(a.stderr, /ERROR!/, 'ansible ran the batch');
  t.notMatch(b.stderr, /ERROR!/, 'bosun ran the batch');
  const ta = parseTranscript(a.stdout);
  const tb = parseTranscript(b.stdout);
  sameHostResults(t, ta, tb, hosts, 1);
  t.equal(b.code, a.code, 'exit code');
});

t.test('alone: one run per file', async (t) => {
  const files = yml('alone');
  // two at a time: the machine's cores are shared
  const results: Array<{ f: string; a: Proc; b: Proc; hosts: string[] }> = [];
  for (let i = 0; i < files.length; i += 2) {
    results.push(
      ...(await Promise.all(
        files.slice(i, i + 2).map(async (f) => {
          const text = readFileSync(join(root, 'alone', f), 'utf8');
          const extra = /^# args: (.*)$/m.exec(text)?.[1]?.split(' ').filter(Boolean) ?? [];
          const hosts = hostsOf(text);
          const [a, b] = await both({ 'inventory.ini': inventory(hosts), 'site.yml': text }, ['site.yml', '-i', 'inventory.ini', ...extra]);
          return { f, a, b, hosts };
        }),
      )),
    );
  }
  for (const { f, a, b, hosts } of results) {
    t.test(f, async (t) => {
      const ta = parseTranscript(a.stdout);
      const tb = parseTranscript(b.stdout);
      for (const h of hosts) t.same(hostRows(tb, h), hostRows(ta, h), `${h}: task results`);
      t.same(Object.fromEntries(tb.recap), Object.fromEntries(ta.recap), 'recap');
      t.same(tb.notes, ta.notes, 'notes (no hosts matched, NO MORE HOSTS LEFT, …)');
      t.equal(errorKind(b), errorKind(a), `error or not (ansible: ${a.stderr.trim().split('\n')[0] ?? ''})`);
      // a deliberate difference (docs/ansible-differences.md) pins both sides' codes
      const pinned = /^# exit: ansible (\d+), bosun (\d+)/m.exec(readFileSync(join(root, 'alone', f), 'utf8'));
      if (pinned) t.same([a.code, b.code], [Number(pinned[1]), Number(pinned[2])], 'exit codes (a documented difference)');
      else t.equal(b.code, a.code, 'exit code');
    });
  }
});
