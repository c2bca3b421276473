// async jobs over a real ssh channel (the loopback sshd of the executor tests): a poll: 0 job runs
// on a second connection while the host's channel serves the next task, and a job's deadline ends
// the command it ran on the host (no process left behind).
import t from 'tap';
import { readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { sshTarget } from '../helpers/sshd.js';
import { run } from '../helpers/run.js';

const target = await sshTarget(t);

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

t.test('poll: 0 over ssh, then the deadline of a polled job', { skip: target.loopback ? false : 'needs the loopback sshd (reads /proc)' }, async (t) => {
  const s = target.spec;
  const dir = t.testdir({
    'p.yml': `- hosts: h1
  gather_facts: false
  tasks:
    - shell: "while [ ! -e {{ d }}/go ]; do sleep 0.05; done; echo went"
      async: 20
      poll: 0
      register: job
    - file: { path: "{{ d }}/go", state: touch }
    - async_status: { jid: "{{ job.ansible_job_id }}" }
      register: st
      until: st.finished
      retries: 30
      delay: 1
    - command: sleep 62.5
      async: 1
      poll: 1
      register: late
      ignore_errors: true
    - copy: { dest: "{{ d }}/r.json", content: "{{ {'st': st, 'late': late} | to_json }}" }
`,
  });
  const inv = join(dir, 'inv.ini');
  writeFileSync(
    inv,
    `h1 ansible_host=${s.address} ansible_port=${s.port} ansible_user=${s.user ?? 'root'} ansible_ssh_private_key_file=${s.privateKeyFile} ` +
      `ansible_ssh_common_args="-o UserKnownHostsFile=${s.knownHostsFile}" bosun_ssh_control_persist=0\n`,
  );
  const r = await run([join(dir, 'p.yml'), '-i', inv, '-e', `d=${dir}`]);
  t.equal(r.code, 0, 'the run succeeded', { stdout: r.stdout, stderr: r.stderr });
  const out = JSON.parse(readFileSync(join(dir, 'r.json'), 'utf8')) as Record<string, Record<string, unknown>>;
  t.match(out.st, { finished: 1, stdout: 'went', rc: 0 });
  t.match(out.late, { failed: true, msg: 'async task did not complete within the requested time - 1s' });
  t.notMatch(cmdlines(), /sleep 62\.5/, 'the command the deadline ended is not left running on the host');
  // three ssh processes for h1: its channel, one job connection (the second job reused the first's),
  // and the one the deadline's kill went on (the job's was busy)
  t.match(r.stdout, /bosun: 1 host\(s\), \d+ request\(s\), 3 ssh process\(es\)/);
});
