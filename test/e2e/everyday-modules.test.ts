// raw, script, getent and wait_for_connection against Ansible itself, on two fresh lab hosts from the
// same image: ansible-playbook runs a playbook on node1, bosun the same one on node2, over SSH. The
// registered results (written as JSON on each host) must be the same after the normalisation the
// deliberate differences need (docs/ansible-differences.md, "Everyday modules III"), so must the task
// statuses under --check; an unreachable host must make wait_for_connection give up with Ansible's
// message within its timeout, and a host that comes back must be waited for.
import t from 'tap';
import * as path from 'node:path';
import { spawnSync } from 'node:child_process';
import { writeFileSync, mkdirSync, appendFileSync, readFileSync } from 'node:fs';
import type { Test } from 'tap';
import { withLab } from '../helpers/lab.js';
import type { LabState } from '../../lib/lab/plan.js';
import { hostStart, hostStop } from '../../lib/lab/lab.js';
import { parseTranscript } from '../helpers/differential.js';
import { bosunRun, parseSummary, remote, requestsPerTask, tempDir, twinRuns, writeInventory, spawnCollect } from '../fixtures/e2e/harness.js';

const PROBE_SH = `#!/bin/sh
# the body of probe.sh: it must never be in a remote argv
printf '%s|' "$@"; echo
pwd
echo "to stderr" >&2
`;
const PROBE_PY = 'import sys\nprint("py", sys.argv[1:])\n';

const NAMES = ['wfc', 'raw_ok', 'raw_fail', 'raw_exe', 'raw_tty', 'sc', 'sc_fail', 'sc_creates', 'sc_removes', 'sc_exe', 'sc_missing', 'g_root', 'g_group', 'g_hosts', 'g_soft', 'g_miss', 'g_db', 'g_svc', 'g_split', 'g_service'];

const SITE = `
- hosts: all
  gather_facts: false
  vars:
    # the stdout/stderr split of raw and script (Ansible's -tt merges them: raw_tty below)
    ansible_ssh_use_tty: false
  tasks:
    - wait_for_connection: { timeout: 20 }
      register: wfc
    - raw: echo out; echo err >&2; printf 'no newline'
      register: raw_ok
    - raw: echo before; exit 3
      register: raw_fail
      ignore_errors: true
    - raw: echo \${BASH_VERSION:+bash}; [[ a == a ]] && echo double
      args: { executable: /bin/bash }
      register: raw_exe
    - raw: echo with a tty
      vars: { ansible_ssh_use_tty: true }
      register: raw_tty
    - script: probe.sh "a b" 'c' --flag $((6*7))
      args: { chdir: /tmp }
      register: sc
    - script: probe.sh one; exit 4
      register: sc_fail
      ignore_errors: true
    - script: probe.sh x
      args: { creates: /etc/passwd }
      register: sc_creates
    - script: probe.sh x
      args: { removes: /nonexistent }
      register: sc_removes
    - script: probe.py arg
      args: { executable: python3 }
      register: sc_exe
    - script: missing.sh
      args: { creates: /nonexistent }
      register: sc_missing
      ignore_errors: true
    - getent: { database: passwd, key: root }
      register: g_root
    - getent: { database: group }
      register: g_group
    - getent: { database: hosts }
      register: g_hosts
    - getent: { database: passwd, key: nosuch, fail_key: false }
      register: g_soft
    - getent: { database: passwd, key: nosuch }
      register: g_miss
      ignore_errors: true
    - getent: { database: nosuchdb }
      register: g_db
      ignore_errors: true
    - getent: { database: services, key: ssh }
      register: g_svc
    - getent: { database: passwd, key: root, split: o }
      register: g_split
    - getent: { database: passwd, key: daemon, service: files }
      register: g_service
    - copy:
        dest: /root/everyday.json
        content: "R={{ {${NAMES.map((n) => `'${n}': ${n}`).join(', ')}, 'fact': ansible_facts.getent_passwd, 'top': getent_passwd, 'prefixed': ansible_getent_passwd is defined} | to_json }}"
`;

/** The same task statuses, checked under --check. */
const CHECK = `
- hosts: all
  gather_facts: false
  tasks:
    - wait_for_connection:
    - raw: touch /root/raw-ran
    - script: probe.sh x
    - script: probe.sh x
      args: { creates: /etc/passwd }
    - script: probe.sh x
      args: { creates: /root/nonexistent }
    - script: probe.sh x
      args: { removes: /root/nonexistent }
    - getent: { database: passwd, key: root }
`;

const GHOST = `
- hosts: ghost
  gather_facts: false
  tasks:
    - wait_for_connection: { timeout: 3, sleep: 1 }
`;

const ansible = spawnSync('ansible-playbook', ['--version'], { encoding: 'utf8' });
const ENV = { ...process.env, ANSIBLE_NOCOLOR: '1', ANSIBLE_RETRY_FILES_ENABLED: '0', ANSIBLE_HOST_KEY_CHECKING: 'False', ANSIBLE_PYTHON_INTERPRETER: '/usr/bin/python3', ANSIBLE_PIPELINING: 'True' };

/** Registered results as comparable data: Ansible's tty artefacts and invocation keys taken out. */
function normalise(raw: Buffer, ip: string): Record<string, unknown> {
  const all = JSON.parse(raw.toString().replace(/^R=/, '')) as Record<string, Record<string, unknown>>;
  const ttyOut = all.raw_tty!;
  // -tt: CRLF line ends, and ssh's own goodbye on stderr
  for (const k of ['stdout', 'stderr']) ttyOut[k] = String(ttyOut[k]).replace(/\r\n/g, '\n').replace(`Shared connection to ${ip} closed.\n`, '');
  ttyOut.stdout_lines = String(ttyOut.stdout).split('\n').filter(Boolean);
  ttyOut.stderr_lines = String(ttyOut.stderr).split('\n').filter(Boolean);
  for (const v of Object.values(all)) {
    if (!v || typeof v !== 'object') continue;
    delete v.invocation;
    // a Python artefact of a failed action ("NoneType: None")
    delete v.exception;
  }
  // whole seconds of wall time: Ansible's ping module takes one more on a loaded machine
  if (typeof all.wfc?.elapsed === 'number' && all.wfc.elapsed <= 5) all.wfc.elapsed = 'a few seconds';
  // the missing script: what Ansible's message says first (then the places it looked, worded apart)
  if (typeof all.sc_missing?.msg === 'string') all.sc_missing.msg = all.sc_missing.msg.replace(/^(Could not find or access '[^']*')[\s\S]*$/, '$1');
  return all;
}

t.test('raw, script, getent, wait_for_connection: the same results as ansible-playbook on twin lab hosts', { skip: ansible.status === 0 ? false : 'ansible-playbook not installed' }, async (t) => {
  const lab = await withLab(t, { hosts: 2, name: 'everyday', subnetIndex: 40 });
  const dir = tempDir(t, 'e2e-everyday-');
  const inv = writeInventory(lab, dir);
  const ghostIp = lab.subnet.replace(/\.0\/24$/, '.250');
  // a host in the lab's subnet that nobody answers for
  appendFileSync(inv, `    ghosts:\n      hosts:\n        ghost: { ansible_host: ${ghostIp} }\n`);
  mkdirSync(path.join(dir, 'files'));
  writeFileSync(path.join(dir, 'files', 'probe.sh'), PROBE_SH, { mode: 0o644 });
  writeFileSync(path.join(dir, 'files', 'probe.py'), PROBE_PY);
  const site = path.join(dir, 'site.yml');
  writeFileSync(site, SITE);
  writeFileSync(path.join(dir, 'check.yml'), CHECK);
  writeFileSync(path.join(dir, 'ghost.yml'), GHOST);
  const [n1, n2] = lab.hosts;

  t.test('registered results', async (t) => {
    const [a, b] = await twinRuns(t, inv).both(site);
    t.equal(b, a, `same changed count (${a})`);
    t.ok(a >= 6, 'the cases change things (not vacuous)');
    const [ra, rb] = await Promise.all(['node1', 'node2'].map((h) => remote(lab, h, 'cat /root/everyday.json')));
    const [ja, jb] = [normalise(ra!.out, n1!.ip), normalise(rb!.out, n2!.ip)];
    for (const k of [...NAMES, 'fact', 'top', 'prefixed']) t.same(jb[k], ja[k], `${k}: same as Ansible`);
    t.match(ja.sc, { rc: 0, stdout: 'a b|c|--flag|42|\n/tmp\n', stderr: 'to stderr\n' }, 'the script ran with its arguments in chdir (not vacuous)');
    t.match(ja.g_root, { ansible_facts: { getent_passwd: { root: ['x', '0', '0', 'root', '/root', String] } } }, 'getent read root (not vacuous)');
    t.match(ja.raw_fail, { failed: true, rc: 3, msg: 'non-zero return code' });
    t.match(ja, { top: { daemon: Array }, prefixed: false }, 'Ansible: getent_passwd is a variable, ansible_getent_passwd is not (not vacuous)');
    const left = await remote(lab, 'node2', 'ls -d ${TMPDIR:-/tmp}/bosun-script.* 2>/dev/null; true');
    t.equal(left.out.toString(), '', 'bosun left no script behind');
  });

  t.test('--check: the same statuses as Ansible, nothing run', async (t) => {
    const [a, b] = await Promise.all([
      spawnCollect('ansible-playbook', [path.join(dir, 'check.yml'), '-i', inv, '-l', 'node1', '--check'], { env: ENV, timeoutMs: 300_000, cwd: dir }),
      bosunRun([path.join(dir, 'check.yml'), '-i', inv, '-l', 'node2', '--check']),
    ]);
    t.equal(a.code, 0, a.stdout + a.stderr);
    t.equal(b.code, 0, b.out + b.err);
    const rows = (text: string, h: string): string[] => parseTranscript(text).events.filter((e) => e.host === h).map((e) => `${e.task} | ${e.status}`);
    const ra = rows(a.stdout, 'node1');
    t.equal(ra.length, 7, 'ansible reported every task');
    t.same(rows(b.out, 'node2'), ra);
    t.same(ra, ['wait_for_connection | skipping', 'raw | skipping', 'script | skipping', 'script | skipping', 'script | changed', 'script | skipping', 'getent | ok'], 'what Ansible 2.14 does (not vacuous)');
    // a request per task that reads (the three guards, getent), none for the skipped ones
    t.ok((parseSummary(b.out)?.requests ?? 99) <= 4, `requests: ${parseSummary(b.out)?.requests}`);
    const ran = await remote(lab, 'node2', 'ls /root/raw-ran 2>&1; true');
    t.match(ran.out.toString(), /No such file/, 'raw did not run in check mode');
  });

  t.test('an unreachable host: wait_for_connection gives up after its timeout with Ansible\'s message', async (t) => {
    const t0 = Date.now();
    let bosunMs = 0;
    const [a, b] = await Promise.all([
      spawnCollect('ansible-playbook', [path.join(dir, 'ghost.yml'), '-i', inv], { env: ENV, timeoutMs: 120_000, cwd: dir }),
      bosunRun([path.join(dir, 'ghost.yml'), '-i', inv]).then((r) => ((bosunMs = Date.now() - t0), r)),
    ]);
    const msg = (text: string): string | undefined => {
      const ev = parseTranscript(text).events.find((e) => e.host === 'ghost');
      return ev && `${ev.status} ${String((ev.data as Record<string, unknown> | undefined)?.msg ?? '')}`;
    };
    t.match(msg(a.stdout), /^fatal timed out waiting for ping module test: /, `ansible: ${a.stdout}`);
    t.match(msg(b.out), /^fatal timed out waiting for ping module test: /, `bosun: ${b.out}`);
    t.equal(b.code, a.code, 'same exit code');
    t.ok(bosunMs < 3000 + 10_000, `bosun gave up after ${bosunMs} ms (timeout: 3 s)`);
    t.ok(Date.now() - t0 < 60_000, 'ansible too');
  });

  t.test('a host that comes back is waited for', async (t) => {
    await hostStop(lab, 'node2');
    t.teardown(() => hostStart(lab, 'node2'));
    writeFileSync(path.join(dir, 'back.yml'), '- hosts: all\n  gather_facts: false\n  tasks:\n    - wait_for_connection: { timeout: 60, sleep: 1 }\n    - raw: echo back\n');
    const started = Date.now();
    const waiting = bosunRun([path.join(dir, 'back.yml'), '-i', inv, '-l', 'node2']);
    setTimeout(() => void hostStart(lab, 'node2'), 3000);
    const r = await waiting;
    t.equal(r.code, 0, r.out + r.err);
    t.match(r.out, /changed: \[node2\]/, 'the task after it ran on the host');
    t.ok(Date.now() - started >= 3000, 'it waited for the host');
  });

  t.test('git: the same results and checkouts as ansible-playbook', (t) => gitCases(t, lab, dir, inv));
});

// git (helper gitmod): the same repositories made on both hosts with fixed dates (so the same SHAs),
// then ansible-playbook on node1 and bosun on node2 clone, rerun, predict, update, refuse and force,
// and the registered results and the checked-out trees must be the same.
const GIT_SETUP = `set -e
export GIT_AUTHOR_NAME=t GIT_AUTHOR_EMAIL=t@example GIT_COMMITTER_NAME=t GIT_COMMITTER_EMAIL=t@example
export GIT_AUTHOR_DATE=2020-01-01T00:00:00Z GIT_COMMITTER_DATE=2020-01-01T00:00:00Z
rm -rf /root/gt; mkdir /root/gt; cd /root/gt
git init -q -b main work; cd work
echo one > f.txt; git add f.txt; git commit -qm one; git tag v1
echo two > f.txt; git commit -qam two; git tag -a a1 -m annotated
git checkout -qb dev; echo dev > g.txt; git add g.txt; git commit -qm dev; git checkout -q main
cd ..; git clone -q --bare work src.git; git clone -q --bare src.git other.git
`;
const GIT_NEXT = `set -e
export GIT_AUTHOR_NAME=t GIT_AUTHOR_EMAIL=t@example GIT_COMMITTER_NAME=t GIT_COMMITTER_EMAIL=t@example
export GIT_AUTHOR_DATE=2020-01-02T00:00:00Z GIT_COMMITTER_DATE=2020-01-02T00:00:00Z
cd /root/gt/work; echo three > f.txt; git commit -qam three; git push -q ../src.git main
echo local edit > /root/gt/co-branch/f.txt
`;
const GIT_DESTS = ['co-branch', 'co-tag', 'co-sha', 'co-head', 'co-depth', 'mirror.git'];
const GIT_CLONES = `
- hosts: all
  gather_facts: false
  tasks:
    - command: git -C /root/gt/work rev-parse v1
      register: sha
      changed_when: false
    - git: { repo: /root/gt/src.git, dest: /root/gt/co-branch, version: dev }
      register: g_branch
    - git: { repo: /root/gt/src.git, dest: /root/gt/co-tag, version: a1 }
      register: g_tag
    - git: { repo: /root/gt/src.git, dest: /root/gt/co-sha, version: "{{ sha.stdout }}" }
      register: g_sha
    - git: { repo: "file:///root/gt/src.git", dest: /root/gt/co-head }
      register: g_head
    - git: { repo: /root/gt/src.git, dest: /root/gt/co-depth, version: main, depth: 1 }
      register: g_depth
    - git: { repo: /root/gt/src.git, dest: /root/gt/mirror.git, bare: true }
      register: g_bare
    - copy:
        dest: /root/git.json
        content: "R={{ {'g_branch': g_branch, 'g_tag': g_tag, 'g_sha': g_sha, 'g_head': g_head, 'g_depth': g_depth, 'g_bare': g_bare} | to_json }}"
`;
const GIT_CHECK = `
- hosts: all
  gather_facts: false
  tasks:
    - git: { repo: /root/gt/src.git, dest: /root/gt/co-depth, version: main, depth: 1 }
      register: g_chk
    - debug: { var: g_chk }
`;
const GIT_UPDATE = `
- hosts: all
  gather_facts: false
  tasks:
    - git: { repo: /root/gt/src.git, dest: /root/gt/co-depth, version: main, depth: 1 }
      register: g_update
    - git: { repo: /root/gt/src.git, dest: /root/gt/co-branch, version: dev }
      register: g_mods
      ignore_errors: true
    - git: { repo: /root/gt/src.git, dest: /root/gt/co-branch, version: dev, force: true }
      register: g_force
    - git: { repo: /root/gt/other.git, dest: /root/gt/co-head }
      register: g_url
    - copy:
        dest: /root/git.json
        content: "R={{ {'g_update': g_update, 'g_mods': g_mods, 'g_force': g_force, 'g_url': g_url} | to_json }}"
`;

const GIT_SSH = `
- hosts: all
  gather_facts: false
  tasks:
    - command: cat /root/gt/peer
      register: peer
      changed_when: false
    - git: { repo: "root@{{ peer.stdout }}:/root/gt/src.git", dest: /root/gt/co-ssh, version: v1, key_file: /root/gt/id, accept_hostkey: true, ssh_opts: "-o UserKnownHostsFile=/root/gt/known_hosts" }
      register: g_ssh
    - git: { repo: "root@{{ peer.stdout }}:/root/gt/src.git", dest: /root/gt/co-ssh, version: v1, key_file: /root/gt/id, accept_hostkey: true, ssh_opts: "-o UserKnownHostsFile=/root/gt/known_hosts" }
      register: g_ssh_again
    - copy:
        dest: /root/git.json
        content: "R={{ {'g_ssh': g_ssh, 'g_ssh_again': g_ssh_again} | to_json }}"
`;

/** The git cases, on the lab of the test above (its inventory in dir). */
async function gitCases(t: Test, lab: LabState, dir: string, inv: string): Promise<void> {
  for (const [name, text] of [['clones.yml', GIT_CLONES], ['check.yml', GIT_CHECK], ['update.yml', GIT_UPDATE], ['ssh.yml', GIT_SSH]]) writeFileSync(path.join(dir, name!), text!);
  const twins = twinRuns(t, inv);
  const onBoth = async (cmd: string): Promise<[string, string]> => {
    const [a, b] = await Promise.all(['node1', 'node2'].map((h) => remote(lab, h, cmd)));
    t.equal(a!.code, 0, a!.err);
    t.equal(b!.code, 0, b!.err);
    return [a!.out.toString(), b!.out.toString()];
  };
  const results = async (): Promise<[Record<string, Record<string, unknown>>, Record<string, Record<string, unknown>>]> => {
    const [a, b] = await onBoth('cat /root/git.json');
    const parse = (s: string): Record<string, Record<string, unknown>> => {
      const all = JSON.parse(s.replace(/^R=/, '')) as Record<string, Record<string, unknown>>;
      for (const v of Object.values(all)) delete v.invocation;
      return all;
    };
    return [parse(a), parse(b)];
  };
  /** Every checkout as git sees it: HEAD, branch, status, origin's URL, commits. */
  const trees = (): Promise<[string, string]> =>
    onBoth(GIT_DESTS.map((d) => `cd /root/gt/${d} && echo "== ${d}" && git rev-parse HEAD && git rev-parse --abbrev-ref HEAD && git status --porcelain 2>/dev/null; git remote get-url origin; git rev-list --count HEAD`).join('\n'));
  await onBoth(GIT_SETUP);

  t.test('clone at a branch, an annotated tag, a SHA, HEAD, depth 1, bare; then a no-op rerun', async (t) => {
    const [a, b] = await twins.both(path.join(dir, 'clones.yml'));
    t.equal(b, a, `same changed count (${a})`);
    t.equal(a, 7, 'six clones and the results file (not vacuous)');
    const [ja, jb] = await results();
    for (const k of Object.keys(ja)) t.same(jb[k], ja[k], `${k}: same as Ansible`);
    t.match(ja.g_branch, { changed: true, before: null, after: /^[0-9a-f]{40}$/ }, 'a clone (not vacuous)');
    const [ta, tb] = await trees();
    t.equal(tb, ta, 'the same checkouts');
    t.match(ta, /== co-depth\n[0-9a-f]{40}\nmain\n(.*\n)?1\n/, 'depth 1: one commit');
    // a rerun: only the results file changes (before is now set)
    const [ra1, rb1] = await twins.both(path.join(dir, 'clones.yml'));
    t.equal(ra1, 1, 'ansible rerun: only the results file changes');
    t.equal(rb1, 1, 'bosun rerun: only the results file changes');
    const [ra, rb] = await results();
    for (const k of Object.keys(ra)) t.same(rb[k], ra[k], `rerun ${k}: same as Ansible`);
    // and again, traced: nothing changes, one request per git task
    const again = await bosunRun([path.join(dir, 'clones.yml'), '-i', inv, '-l', 'node2', '-vvv']);
    t.equal(again.code, 0, again.out + again.err);
    t.match(again.out, /node2\s*: ok=8\s+changed=0/, 'a second rerun changes nothing');
    const gitReqs = requestsPerTask(again.out, ['node2']).get('git')?.get('node2');
    t.ok(gitReqs !== undefined && gitReqs <= 6, `no-op: ${gitReqs} requests for the 6 git tasks`);
    t.match(ra.g_sha, { changed: false, before: /^[0-9a-f]{40}$/ });
  });

  t.test('a new commit and a local edit: check predicts the update, then update, refusal, force, new URL', async (t) => {
    await onBoth(GIT_NEXT);
    const [a, b] = await Promise.all([
      spawnCollect('ansible-playbook', [path.join(dir, 'check.yml'), '-i', inv, '-l', 'node1', '--check'], { env: ENV, timeoutMs: 300_000, cwd: dir }),
      bosunRun([path.join(dir, 'check.yml'), '-i', inv, '-l', 'node2', '--check']),
    ]);
    t.equal(a.code, 0, a.stdout + a.stderr);
    t.equal(b.code, 0, b.out + b.err);
    const chk = (text: string, h: string): Record<string, unknown> | undefined => {
      const ev = parseTranscript(text).events.find((e) => e.host === h && e.task === 'debug');
      const v = (ev?.data as Record<string, Record<string, unknown>> | undefined)?.g_chk;
      if (v) delete v.invocation;
      return v;
    };
    t.match(a.stdout, /TASK \[git\] \*+\nchanged: \[node1\]/, 'Ansible predicts a change (not vacuous)');
    t.match(b.out, /TASK \[git\] \*+\nchanged: \[node2\]/, 'bosun too');
    const pa = chk(a.stdout, 'node1');
    t.ok(pa && /^[0-9a-f]{40}$/.test(String(pa.after)) && pa.after !== pa.before, 'Ansible predicts the remote commit (not vacuous)');
    t.same(chk(b.out, 'node2'), chk(a.stdout, 'node1'), 'check mode: the same prediction');
    const [x, y] = await twins.both(path.join(dir, 'update.yml'));
    t.equal(y, x, `same changed count (${x})`);
    const [ja, jb] = await results();
    for (const k of Object.keys(ja)) t.same(jb[k], ja[k], `${k}: same as Ansible`);
    t.match(ja.g_mods, { failed: true, msg: 'Local modifications exist in the destination: /root/gt/co-branch (force=no).' });
    t.match(ja.g_url, { changed: true, remote_url_changed: true });
    const [ta, tb] = await trees();
    t.equal(tb, ta, 'the same checkouts');
    t.match(ta, /== co-head\n[0-9a-f]{40}\nmain\nfile:\/\/\/root\/gt\/other\.git\n/, 'the new URL (not vacuous)');
  });

  t.test('an ssh URL from the other lab host, with key_file and accept_hostkey', async (t) => {
    // each host reaches the other's repository with the lab's own key (already authorised there)
    const key = readFileSync(lab.keyFile);
    for (const [h, peer] of [['node1', lab.hosts[1]!.ip], ['node2', lab.hosts[0]!.ip]] as const) {
      const r = await remote(lab, h, `umask 077; cat > /root/gt/id && echo ${peer} > /root/gt/peer && rm -f /root/gt/known_hosts`, key);
      t.equal(r.code, 0, r.err);
    }
    const [a, b] = await twins.both(path.join(dir, 'ssh.yml'));
    t.equal(b, a, `same changed count (${a})`);
    t.equal(a, 2, 'the clone and the results file (not vacuous)');
    const [ja, jb] = await results();
    for (const k of Object.keys(ja)) t.same(jb[k], ja[k], `${k}: same as Ansible`);
    t.match(ja.g_ssh, { changed: true, before: null, after: /^[0-9a-f]{40}$/ });
    t.match(ja.g_ssh_again, { changed: false });
    const [ta, tb] = await onBoth('git -C /root/gt/co-ssh rev-parse HEAD; git -C /root/gt/co-ssh status --porcelain');
    t.equal(tb, ta, 'the same checkout');
  });
}
