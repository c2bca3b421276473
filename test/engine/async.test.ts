// async/poll and async_status in the engine, on the local connection: load-time checks of the
// keywords, a poll: 0 job that needs a later task to finish (the host's channel is not held by it),
// the deadline ending a job, templated values, and the run waiting for jobs nobody waited for.
import t from 'tap';
import { existsSync, readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { loadPlaybook } from '../../lib/loaders/playbook.js';
import { ParseError } from '../../lib/errors.js';
import { run } from '../helpers/run.js';

/** Every process's argv on this machine, NULs as spaces. */
function cmdlines(): string {
  let all = '';
  for (const d of readdirSync('/proc')) {
    if (!/^\d+$/.test(d)) continue;
    try {
      all += readFileSync(`/proc/${d}/cmdline`).toString('utf8').replace(/\0/g, ' ') + '\n';
    } catch {
      // ended meanwhile
    }
  }
  return all;
}

const play = (tasks: string) => `- hosts: localhost\n  gather_facts: false\n  tasks:\n${tasks}`;

t.test('load-time: bad async/poll values and async where Ansible refuses it are one-line located errors', async (t) => {
  const cases: Array<[string, RegExp]> = [
    ['    - command: echo\n      async: -1\n', /^async must be a whole number of seconds \(0 or more\); got .*-1/],
    ['    - command: echo\n      async: soon\n', /^async must be a whole number of seconds .*"soon"/],
    ['    - command: echo\n      async: 10\n      poll: 1.5\n', /^poll must be a whole number of seconds/],
    ['    - command: echo\n      async: [1]\n', /^async must be a whole number of seconds .*list/],
    ['    - block:\n        - command: echo\n      async: 5\n', /^'async' is not a valid attribute for a Block/],
    ['    - include_tasks: x.yml\n      poll: 0\n', /^'poll' is not a valid attribute for a TaskInclude/],
    ['    - meta: noop\n      async: 1\n', /^'async' is not a valid attribute for a meta task/],
    ['    - command: echo\n      asynk: 5\n', /^unknown task keyword 'asynk' \(did you mean 'async'\?\)/],
  ];
  for (const [tasks, re] of cases) {
    const dir = t.testdir({ 'p.yml': play(tasks), 'x.yml': '- debug: msg=x\n' });
    const err = await loadPlaybook(join(dir, 'p.yml')).then(() => undefined, (e: unknown) => e);
    t.ok(err instanceof ParseError, `${tasks.trim()}: ParseError`);
    const line = (err as ParseError).oneLine();
    t.match(line, new RegExp(`p\\.yml:\\d+:\\d+`), 'located');
    t.notMatch(line, /\n/, 'one line');
    t.match((err as ParseError).message, re);
  }
  const dir = t.testdir({ 'p.yml': play('    - command: echo\n      async: "{{ n }}"\n      poll: "0"\n') });
  const pb = await loadPlaybook(join(dir, 'p.yml'));
  const task = pb.playbook.plays[0]!.sections.find((s) => s.name === 'tasks')!.tasks[0] as { async?: unknown; poll?: unknown };
  t.same([task.async, task.poll], ['{{ n }}', 0], 'templates kept for the run, numbers read');
});

t.test('a poll: 0 job does not hold the host channel: it finishes only because a later task runs meanwhile', async (t) => {
  const dir = t.testdir({
    'p.yml': play(`    - shell: "while [ ! -e {{ d }}/go ]; do sleep 0.05; done; echo went"
      async: 20
      poll: 0
      register: job
    - file: { path: "{{ d }}/go", state: touch }
    - async_status: { jid: "{{ job.ansible_job_id }}" }
      register: st
      until: st.finished
      retries: 40
      delay: 1
    - copy: { dest: "{{ d }}/st.json", content: "{{ st | to_json }}" }
`),
  });
  const r = await run(['p.yml', '-i', 'localhost,', '-c', 'local', '-e', `d=${dir}`].map((a) => (a === 'p.yml' ? join(dir, a) : a)));
  t.equal(r.code, 0, 'the run succeeded', { stdout: r.stdout, stderr: r.stderr });
  const st = JSON.parse(readFileSync(join(dir, 'st.json'), 'utf8')) as Record<string, unknown>;
  t.match(st, { finished: 1, started: 1, stdout: 'went', rc: 0, changed: true, failed: false });
  t.match(st.ansible_job_id, /^j\d+\.\d+$/);
});

t.test('the deadline ends a job: async_status sees it failed, a polled task fails with Ansible\'s message', async (t) => {
  const dir = t.testdir({
    'p.yml': play(`    - shell: "sleep 63.5; echo never"
      async: 1
      poll: 0
      register: job
    - async_status: { jid: "{{ job.ansible_job_id }}" }
      register: st
      until: st.finished
      retries: 10
      delay: 1
      ignore_errors: true
    - command: sleep 60
      async: "{{ limit }}"
      poll: 1
      register: polled
      ignore_errors: true
    - copy: { dest: "{{ d }}/r.json", content: "{{ {'st': st, 'polled': polled} | to_json }}" }
`),
  });
  const t0 = Date.now();
  const r = await run([join(dir, 'p.yml'), '-i', 'localhost,', '-c', 'local', '-e', `d=${dir}`, '-e', 'limit=1']);
  t.equal(r.code, 0, 'the run succeeded', { stdout: r.stdout, stderr: r.stderr });
  const out = JSON.parse(readFileSync(join(dir, 'r.json'), 'utf8')) as Record<string, Record<string, unknown>>;
  t.match(out.st, { failed: true, finished: 1, msg: 'Timeout exceeded' });
  t.match(out.polled, { failed: true, msg: 'async task did not complete within the requested time - 1s', async_result: { finished: 0, started: 1 } });
  // two 60 s commands ended by their 1 s deadlines (not waited for at the end of the run)
  t.ok(Date.now() - t0 < 30_000, 'the jobs were ended, not waited for');
  t.notMatch(cmdlines(), /sleep 63\.5/, "the shell's child was killed with it, not left running");
  t.match(r.stdout, /ignored=2/);
});

t.test('a job nobody waited for: the run waits for it before it ends, and says so', async (t) => {
  const dir = t.testdir({
    'p.yml': play(`    - shell: "sleep 1; echo x > {{ d }}/end"
      async: 30
      poll: 0
`),
  });
  const r = await run([join(dir, 'p.yml'), '-i', 'localhost,', '-c', 'local', '-e', `d=${dir}`]);
  t.equal(r.code, 0, 'the run succeeded', { stdout: r.stdout, stderr: r.stderr });
  t.ok(existsSync(join(dir, 'end')), 'the job ran to its end');
  t.match(r.stdout + r.stderr, /waiting for 1 async job\(s\) still running/);
});

t.test('templated async that is not a number fails the task with a one-line error', async (t) => {
  const dir = t.testdir({ 'p.yml': play('    - command: echo\n      async: "{{ n }}"\n      poll: 1\n') });
  const r = await run([join(dir, 'p.yml'), '-i', 'localhost,', '-c', 'local', '-e', 'n=soon']);
  t.equal(r.code, 2);
  t.match(r.stdout, /async must be a whole number of seconds \(0 or more\); got \\"soon\\"/);
});
