// Differential: async tasks (poll > 0, its timeout, poll: 0 with async_status until loops, loop +
// poll: 0, mode: cleanup) through ansible-playbook 2.14 and bosun on localhost (`-c local`), the
// registered results compared after normalising job ids, paths and times. Three jobs wait for each
// other's files (a barrier): they can only all finish if they ran at the same time.
import t from 'tap';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { ansibleInstalled, runAnsible, runBosun, workDir } from '../helpers/differential.js';

const PLAYBOOK = `
- hosts: localhost
  gather_facts: false
  tasks:
    - name: poll > 0, finishes
      command: echo hi
      async: 10
      poll: 1
      register: polled
    - name: poll > 0, deadline passes
      command: sleep 6
      async: 2
      poll: 1
      register: late
      ignore_errors: true
    - name: poll > 0, the module fails
      command: "false"
      async: 10
      poll: 1
      register: polled_failed
      ignore_errors: true
    - name: three jobs that wait for each other (a barrier)
      shell: |
        touch {{ dir }}/start{{ item }}
        while [ ! -e {{ dir }}/start1 ] || [ ! -e {{ dir }}/start2 ] || [ ! -e {{ dir }}/start3 ]; do sleep 0.1; done
        echo done{{ item }}
      loop: [1, 2, 3]
      async: 20
      poll: 0
      register: jobs
    - name: the play goes on while they run
      command: echo meanwhile
      register: meanwhile
    - name: wait for each job
      async_status:
        jid: "{{ item.ansible_job_id }}"
      loop: "{{ jobs.results }}"
      register: waited
      until: waited.finished
      retries: 100
      delay: 1
    - name: one job, fire and forget
      command: echo single
      async: 10
      poll: 0
      register: single
    - name: its status until finished
      async_status:
        jid: "{{ single.ansible_job_id }}"
      register: single_status
      until: single_status.finished
      retries: 20
      delay: 1
    - name: cleanup
      async_status:
        jid: "{{ single.ansible_job_id }}"
        mode: cleanup
      register: cleaned
    - name: gone after cleanup
      async_status:
        jid: "{{ single.ansible_job_id }}"
      register: gone
      ignore_errors: true
    - name: a job that fails
      command: "false"
      async: 10
      poll: 0
      register: failing
    - name: its failure through async_status
      async_status:
        jid: "{{ failing.ansible_job_id }}"
      register: failing_status
      until: failing_status.finished
      retries: 20
      delay: 1
      ignore_errors: true
    - name: a module without async support
      copy:
        content: x
        dest: "{{ dir }}/copied"
      async: 5
      poll: 1
      register: nocopy
      ignore_errors: true
    - copy:
        dest: "{{ dir }}/out.json"
        content: "{{ {'polled': polled, 'late': late, 'jobs': jobs, 'meanwhile': meanwhile, 'waited': waited, 'single': single, 'single_status': single_status, 'cleaned': cleaned, 'gone': gone, 'nocopy': nocopy, 'polled_failed': polled_failed, 'failing_status': failing_status} | to_json }}"
`;

const CHECK_PLAYBOOK = `
- hosts: localhost
  gather_facts: false
  tasks:
    - command: echo hi
      async: 10
      poll: 1
`;

const DROP = new Set(['start', 'end', 'delta', 'invocation', 'ansible_facts', 'attempts', 'exception']);

/** Job ids become J1, J2… in order of first appearance; async result paths lose their directory; `failed: 0` is false. */
function normalise(v: unknown, jids: Map<string, string>, dir: string): unknown {
  if (typeof v === 'string') {
    return v.split(dir).join('DIR').replace(/j\d+\.\d+/g, (j) => {
      if (!jids.has(j)) jids.set(j, `J${jids.size + 1}`);
      return jids.get(j)!;
    }).replace(/^(~|\/[^ ]*)\/\.ansible_async\//, 'ASYNC_DIR/');
  }
  if (Array.isArray(v)) return v.map((x) => normalise(x, jids, dir));
  if (v && typeof v === 'object') {
    const out: Record<string, unknown> = {};
    for (const k of Object.keys(v).sort()) {
      const x = (v as Record<string, unknown>)[k];
      if (DROP.has(k) || k.startsWith('_ansible')) continue;
      // Ansible's command result carries msg: '' (bosun's none); async_wrapper's launch says failed: 0
      if (k === 'msg' && x === '') continue;
      // a loop's result: bosun's says failed: false, Ansible's leaves it out (the loop engine's, not async's)
      if (k === 'failed' && x === false && 'results' in v) continue;
      out[k] = k === 'failed' && x === 0 ? false : normalise(x, jids, dir);
    }
    return out;
  }
  return v;
}

t.test('async tasks: bosun registers what ansible-playbook 2.14 does', { skip: ansibleInstalled() ? false : 'ansible-playbook not installed', timeout: 120_000 }, async (t) => {
  const results: Record<string, unknown> = {};
  const runs = await Promise.all(
    (['ansible', 'bosun'] as const).map(async (who) => {
      const dir = workDir({ 'site.yml': PLAYBOOK });
      const args = ['-i', 'localhost,', '-c', 'local', '-e', `dir=${dir}`, 'site.yml'];
      const p = who === 'ansible' ? await runAnsible('ansible-playbook', args, dir) : await runBosun(['run', 'site.yml', ...args.slice(0, -1)], dir);
      t.equal(p.code, 0, `${who} ran the playbook`, { stdout: p.stdout, stderr: p.stderr });
      results[who] = normalise(JSON.parse(readFileSync(join(dir, 'out.json'), 'utf8')), new Map(), dir);
      return p;
    }),
  );
  const b = results.bosun as Record<string, Record<string, unknown>>;
  // not vacuous: the barrier jobs finished (each saw the other two start), the deadline failed
  t.same((b.waited.results as Array<Record<string, unknown>>).map((r) => r.stdout), ['done1', 'done2', 'done3']);
  t.equal(b.late.msg, 'async task did not complete within the requested time - 2s');
  t.match(b.failing_status, { failed: true, finished: 1, rc: 1 });
  t.same(results.bosun, results.ansible, 'registered results match after normalisation');
  t.match(runs[1]!.stdout, /changed: \[localhost\] => \(item=3\)/);
});

t.test('async in check mode fails the task, as ansible-playbook 2.14', { skip: ansibleInstalled() ? false : 'ansible-playbook not installed' }, async (t) => {
  const dir = workDir({ 'site.yml': CHECK_PLAYBOOK });
  const args = ['-i', 'localhost,', '-c', 'local', '--check'];
  const [a, b] = await Promise.all([runAnsible('ansible-playbook', [...args, 'site.yml'], dir), runBosun(['run', 'site.yml', ...args], dir)]);
  t.equal(a.code, 2);
  t.equal(b.code, a.code);
  for (const p of [a, b]) t.match(p.stdout, /"msg": "check mode and async cannot be used on same task\."/);
});
