// Differential test for variables and control (helper "control", issue 15): include_vars (file, dir,
// name, depth, files_matching, ignore_files, extensions, with_first_found, in blocks, handlers and roles,
// precedence against play vars, task vars and set_fact), set_fact cacheable with meta: clear_facts, the
// with_* loops and loop_control — test/fixtures/differential/control/ through ansible-playbook 2.14 and
// bosun, task results and recap compared per host.
import t from 'tap';
import { cpSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { ansibleInstalled, hostRows, parseTranscript, sameHostResults, runAnsible, runBosun, workDir } from '../helpers/differential.js';
import { repoRoot } from '../helpers/run.js';

const fixture = join(repoRoot, 'test', 'fixtures', 'differential', 'control');
const hosts = [...readFileSync(join(fixture, 'site.yml'), 'utf8').matchAll(/^ {2}hosts: ([\w.-]+)$/gm)].map((m) => m[1]!);

t.ok(ansibleInstalled(), 'ansible-core is installed (.ci/setup installs it)');

t.test('include_vars, set_fact cacheable, with_* loops: ansible-playbook and bosun agree', async (t) => {
  const inventory = `[cases]\n${hosts.join('\n')}\n\n[cases:vars]\nansible_connection=local\nansible_python_interpreter=/usr/bin/python3\n`;
  const dir = workDir({ 'inventory.ini': inventory });
  cpSync(fixture, dir, { recursive: true });
  const args = ['site.yml', '-i', 'inventory.ini'];
  const a = await runAnsible('ansible-playbook', args, dir);
  const b = await runBosun(['run', ...args], dir);
  t.equal(a.code, 0, `ansible: ${a.stdout.slice(-2000)}${a.stderr}`);
  t.equal(b.code, 0, `bosun: ${b.stdout.slice(-2000)}${b.stderr}`);
  const ta = parseTranscript(a.stdout);
  const tb = parseTranscript(b.stdout);
  t.equal(hosts.length, 7, 'seven cases');
  sameHostResults(t, ta, tb, hosts, 3);
});

t.test('meta end_batch, end_play, refresh_inventory with serial batches', async (t) => {
  const dir = workDir({ 'inventory.ini': '[mb]\nmb1\nmb2\nmb3\n\n[mb:vars]\nansible_connection=local\nansible_python_interpreter=/usr/bin/python3\n' });
  cpSync(join(fixture, 'meta.yml'), join(dir, 'meta.yml'));
  const args = ['meta.yml', '-i', 'inventory.ini'];
  const a = await runAnsible('ansible-playbook', args, dir);
  const b = await runBosun(['run', ...args], dir);
  t.equal(b.code, a.code, 'exit code');
  const ta = parseTranscript(a.stdout);
  const tb = parseTranscript(b.stdout);
  for (const h of ['mb1', 'mb2', 'mb3']) {
    t.same(hostRows(tb, h), hostRows(ta, h), `${h}: task results`);
    t.same(tb.recap.get(h), ta.recap.get(h), `${h}: recap`);
  }
  t.match(a.stdout, /"b mb1"/);
  t.notMatch(a.stdout, /"b mb2"/, 'end_play: the later batches did not run (ansible)');
});

t.test('ansible.cfg gather_subset (and ANSIBLE_GATHER_SUBSET) is the subset of a play without its own', async (t) => {
  const play = (extra: string) =>
    `- hosts: gs\n  ${extra}tasks:\n    - debug: { msg: "{{ gather_subset }} {{ ansible_distribution is defined }} {{ ansible_memtotal_mb is defined }} {{ ansible_default_ipv4 is defined }}" }\n`;
  const dir = workDir({
    'inventory.ini': '[gs]\ngs1\n\n[gs:vars]\nansible_connection=local\nansible_python_interpreter=/usr/bin/python3\n',
    'ansible.cfg': '[defaults]\ngather_subset = min, hardware\n',
    'cfg.yml': play(''),
    'own.yml': play('gather_subset: [network]\n  '),
  });
  for (const [book, env] of [['cfg.yml', {}], ['own.yml', {}], ['cfg.yml', { ANSIBLE_GATHER_SUBSET: 'min' }]] as const) {
    const args = [book, '-i', 'inventory.ini'];
    const a = await runAnsible('ansible-playbook', args, dir, env);
    const b = await runBosun(['run', ...args], dir, env);
    t.equal(a.code, 0, `ansible ${book}: ${a.stderr}`);
    t.equal(b.code, 0, `bosun ${book}: ${b.stdout.slice(-1500)}${b.stderr}`);
    const msg = (out: string) => /"msg": "(.*)"/.exec(out)?.[1];
    t.ok(msg(a.stdout), `ansible printed the line for ${book}`);
    t.equal(msg(b.stdout), msg(a.stdout), `${book} ${JSON.stringify(env)}: same subset and facts`);
  }
});
