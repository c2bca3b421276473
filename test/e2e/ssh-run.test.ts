// `bosun run` over SSH on 3 real lab hosts in parallel: first run changes, a rerun is a no-op,
// one ssh process per host for the whole run, and unchanged copy/template/file tasks in a row cost
// one request together on the open channel.
import t from 'tap';
import * as path from 'node:path';
import { withLab } from '../helpers/lab.js';
import * as fs from 'node:fs';
import { FIXTURES, bosunRun, localPidsWith, parseRecap, parseSummary, remote, requestsPerTask, tempDir, writeInventory } from '../fixtures/e2e/harness.js';

const HOSTS = ['node1', 'node2', 'node3'];
const PLAYBOOK = path.join(FIXTURES, 'generic/site.yml');
// Tasks of site.yml (handler excluded): each is at most one request when nothing changes.
const ONE_REQUEST_TASKS = ['base directory', 'config directory', 'inline content', 'file from src', 'rendered template', 'link to the template output', 'read-only probe'];

t.test('generic playbook over ssh on 3 hosts', async (t) => {
  const lab = await withLab(t, { hosts: 3, name: 'e2e-run', subnetIndex: 20 });
  const inv = writeInventory(lab, tempDir(t, 'e2e-run-'));

  const first = await bosunRun([PLAYBOOK, '-i', inv, '-vvv']);
  t.equal(first.code, 0, 'first run succeeds: ' + first.err);
  const recap1 = parseRecap(first.out);
  t.same(Object.keys(recap1).sort(), HOSTS);
  for (const h of HOSTS) {
    t.ok(recap1[h]!.changed! >= 6, `${h}: first run changed (${recap1[h]!.changed})`);
    t.equal(recap1[h]!.failed, 0);
    t.equal(recap1[h]!.unreachable, 0);
  }
  t.match(first.out, /RUNNING HANDLER \[note change\]/, 'the handler ran');
  const s1 = parseSummary(first.out);
  t.ok(s1, 'summary line printed');
  t.equal(s1?.hosts, 3);
  t.equal(s1?.processes, 3, 'exactly one ssh process per host');
  const per1 = requestsPerTask(first.out, HOSTS);
  for (const task of ONE_REQUEST_TASKS.slice(0, -1)) {
    for (const h of HOSTS) {
      const n = per1.get(task)?.get(h) ?? 0;
      t.ok(n >= 1 && n <= 2, `changed "${task}" costs at most two requests on ${h} (${n})`);
    }
  }

  // What landed on the hosts, read back through a separate ssh.
  for (const h of HOSTS) {
    const r = await remote(lab, h, 'cd /var/lib/bosun-e2e && cat motd conf.d/app.conf && readlink current.conf && stat -c %a conf.d conf.d/static.txt && test -e handler-ran && echo handler');
    t.equal(r.code, 0, r.err);
    const ip = lab.hosts.find((x) => x.name === h)!.ip;
    t.equal(
      r.out.toString(),
      `hello from bosun on ${h}\n# rendered for ${h}\nname=${h}\nip=${ip}\ngreeting=hello from bosun\n/var/lib/bosun-e2e/conf.d/app.conf\n750\n640\nhandler\n`,
      `${h}: files, template, link, modes and handler`,
    );
  }

  // No-op rerun at -vvv: changed=0, 3 ssh processes, and at most one request per task and host.
  const again = await bosunRun([PLAYBOOK, '-i', inv, '-vvv']);
  t.equal(again.code, 0, again.err);
  const recap2 = parseRecap(again.out);
  for (const h of HOSTS) {
    t.equal(recap2[h]!.changed, 0, `${h}: rerun changed=0`);
    t.equal(recap2[h]!.ok, ONE_REQUEST_TASKS.length + 1, `${h}: every task ok (+ facts)`);
  }
  t.notMatch(again.out, /RUNNING HANDLER/, 'no handler on a no-op rerun');
  const s2 = parseSummary(again.out)!;
  t.equal(s2.processes, 3, 'rerun: one ssh process per host');
  const per = requestsPerTask(again.out, HOSTS);
  const fileTasks = ONE_REQUEST_TASKS.slice(0, -1);
  for (const h of HOSTS) {
    // nothing changed yet in this run: the first file task's probe carries the states of the five
    // after it (lib/engine/prefetch.ts) up to the command, which may change anything
    t.same(
      fileTasks.map((task) => per.get(task)?.get(h) ?? 0),
      [1, 0, 0, 0, 0, 0],
      `${h}: six unchanged file/copy/template tasks cost one request together`,
    );
    t.equal(per.get('read-only probe')?.get(h), 1, `${h}: the command is one request`);
  }
  t.match(again.out, /\[node1\] probe\+5: "/, 'the batched probe is traced with the number of probes it carries ahead');
  const facts = per.get('Gathering Facts');
  for (const h of HOSTS) t.ok((facts?.get(h) ?? 0) >= 1, `facts are a request on ${h}`);
  const traced = [...per.values()].reduce((n, m) => n + [...m.values()].reduce((a, b) => a + b, 0), 0);
  t.equal(traced, s2.requests, 'every request of the summary is traced at -vvv');
  t.equal(s2.requests, 3 * 3, `no-op rerun: facts, one probe, one command per host (${s2.requests} requests)`);

  // Channels start while the playbook is still being checked (Runner.prestart): a check that fails
  // then (exit 4) must leave every host untouched and no ssh process behind.
  const dir = tempDir(t, 'e2e-bad-');
  const bad = path.join(dir, 'bad.yml');
  fs.writeFileSync(
    bad,
    `- hosts: all\n  tasks:\n    - name: sentinel\n      copy: { content: "x", dest: /var/lib/bosun-e2e/sentinel }\n    - name: later\n      file: { path: "/var/lib/bosun-e2e/{{ not_defined_anywhere }}", state: directory }\n`,
  );
  const failed = await bosunRun([bad, '-i', inv]);
  t.equal(failed.code, 4, 'undefined variable: exit 4');
  t.match(failed.err, /^ERROR! .*bad\.yml:6:\d+: .*undefined variable 'not_defined_anywhere'/);
  t.equal(failed.out, '', 'no play output');
  t.same(localPidsWith(lab.keyFile), [], 'no ssh process left');
  for (const h of HOSTS) {
    const r = await remote(lab, h, 'test -e /var/lib/bosun-e2e/sentinel && echo present || echo absent');
    t.equal(r.out.toString(), 'absent\n', `${h}: untouched`);
  }
});
