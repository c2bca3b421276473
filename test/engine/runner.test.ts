// Runner behaviour end to end (local connection): blocks, loops, register/conditions, handlers,
// tags, limit, start-at-task, run_once, throttle, serial, max_fail_percentage, ignore_errors,
// set_fact, delegate_to, until. Each test writes a small playbook into a temp dir; tasks append
// to OUT/log so the order of execution can be asserted.
import t, { type Test } from 'tap';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { run, recap, taskTitles, type RunResult } from '../helpers/run.js';
import { loadPlaybook } from '../../lib/loaders/playbook.js';
import { Inventory } from '../../lib/loaders/inventory.js';
import { Runner } from '../../lib/engine/runner.js';
import { JsonReporter } from '../../lib/output/json.js';
import { Masker } from '../../lib/output/mask.js';
import { LocalConnection } from '../../lib/executor/local.js';
import { withExec } from '../../lib/executor/types.js';

const INVENTORY = 'all:\n  vars:\n    ansible_connection: local\n  hosts:\n    h1: {}\n    h2: {}\n    h3: {}\n';

interface Played extends RunResult {
  out: string;
  log: () => string[];
  dir: string;
}

/** Writes play.yml (+ extra files) and a 3-host local inventory, runs it with -e out=DIR/out. */
async function play(t: Test, yaml: string, args: string[] = [], files: Record<string, unknown> = {}): Promise<Played> {
  const dir = t.testdir({ 'play.yml': yaml, 'inventory.yml': INVENTORY, out: {}, ...files });
  const out = join(dir, 'out');
  const r = await run([join(dir, 'play.yml'), '-i', join(dir, 'inventory.yml'), '-e', `out=${out}`, ...args]);
  const log = () => (existsSync(join(out, 'log')) ? readFileSync(join(out, 'log'), 'utf8').trim().split('\n') : []);
  return { ...r, out, log, dir };
}

const say = (what: string) => `shell: "echo ${what} >> {{ out }}/log"`;

t.test('block / rescue / always', async (t) => {
  const rescued = await play(
    t,
    `- hosts: h1
  gather_facts: false
  tasks:
    - name: guarded
      block:
        - ${say('block')}
        - fail: { msg: boom }
        - ${say('not-reached')}
      rescue:
        - ${say('rescue')}
      always:
        - ${say('always')}
    - ${say('after')}
`,
  );
  t.equal(rescued.code, 0, rescued.stdout);
  t.same(rescued.log(), ['block', 'rescue', 'always', 'after']);
  t.match(recap(rescued.stdout).h1, { failed: 0, rescued: 1 });

  const unrescued = await play(
    t,
    `- hosts: h1
  gather_facts: false
  tasks:
    - block:
        - ${say('block')}
        - fail: { msg: boom }
      always:
        - ${say('always')}
    - ${say('after')}
`,
  );
  t.equal(unrescued.code, 2);
  t.same(unrescued.log(), ['block', 'always'], 'always runs, the host leaves the play after it');
  t.match(recap(unrescued.stdout).h1, { failed: 1, rescued: 0 });

  const rescueFails = await play(
    t,
    `- hosts: h1
  gather_facts: false
  tasks:
    - block:
        - fail: { msg: first }
      rescue:
        - fail: { msg: second }
      always:
        - ${say('always')}
`,
  );
  t.equal(rescueFails.code, 2);
  t.same(rescueFails.log(), ['always']);
});

t.test('loop with loop_control.label, when per item, registered results', async (t) => {
  const p = await play(
    t,
    `- hosts: h1
  gather_facts: false
  tasks:
    - name: items
      shell: "echo {{ item.n }} >> {{ out }}/log"
      loop:
        - { n: 1, skip: false, secretish: aaa }
        - { n: 2, skip: true, secretish: bbb }
        - { n: 3, skip: false, secretish: ccc }
      loop_control:
        label: "n={{ item.n }}"
      when: not item.skip
      register: res
    - name: check
      assert:
        that:
          - res.results | length == 3
          - res.results[1].skipped
          - res.results[0].item.n == 1
          - res.changed
    - name: custom loop var
      ${say('{{ thing }}')}
      loop: [x, y]
      loop_control: { loop_var: thing }
`,
  );
  t.equal(p.code, 0, p.stdout);
  t.same(p.log(), ['1', '3', 'x', 'y']);
  t.match(p.stdout, /changed: \[h1\] => \(item=n=1\)/);
  t.match(p.stdout, /skipping: \[h1\] => \(item=n=2\)/);
  t.notMatch(p.stdout, /secretish/, 'the label replaces the item');
  // ok= counts changed results too, as ansible-playbook 2.14 does (checked on this playbook: ok=3 changed=2).
  t.match(recap(p.stdout).h1, { changed: 2, ok: 3, failed: 0 });
});

t.test('register, when, changed_when, failed_when', async (t) => {
  const p = await play(
    t,
    `- hosts: h1
  gather_facts: false
  tasks:
    - name: quiet
      shell: echo hello
      register: r1
      changed_when: false
    - name: expected rc
      shell: exit 3
      register: r2
      failed_when: r2.rc != 3
    - name: changed by output
      shell: echo CHANGED
      register: r3
      changed_when: "'CHANGED' in r3.stdout"
    - name: direct keys
      shell: echo nope
      failed_when: "'nope' in stdout"
      ignore_errors: true
    - name: when true
      ${say('{{ r1.stdout }}-{{ r2.rc }}')}
      when: r1.stdout == "hello" and r2.rc == 3
    - name: when false
      ${say('never')}
      when: r3 is not defined or not r3.changed
`,
  );
  t.equal(p.code, 0, p.stdout);
  t.same(p.log(), ['hello-3']);
  // quiet ok, expected rc: changed (shell), changed by output: changed, direct keys: ignored (and changed), when true:
  // changed, when false: skipped. ok= counts changed and ignored results: ansible-playbook 2.14 gives ok=5 changed=4 here.
  t.match(recap(p.stdout).h1, { ok: 5, changed: 4, ignored: 1, skipped: 1, failed: 0 });
  t.match(p.stdout, /TASK \[direct keys\][^]*fatal: \[h1\]: FAILED![^]*\.\.\.ignoring/);
});

t.test('handlers: only on change, once, at the end or at meta: flush_handlers; listen topics', async (t) => {
  const p = await play(
    t,
    `- hosts: h1
  gather_facts: false
  tasks:
    - copy: { dest: "{{ out }}/f1", content: a }
      notify: h1
    - name: unchanged
      copy: { dest: "{{ out }}/f1", content: a }
      notify: h2
    - ${say('t3')}
    - meta: flush_handlers
    - ${say('t4')}
    - copy: { dest: "{{ out }}/f2", content: b }
      notify: [h1, topic]
    - copy: { dest: "{{ out }}/f3", content: c }
      notify: h1
    - ${say('t5')}
  handlers:
    - name: h1
      ${say('h1')}
    - name: h2
      ${say('h2')}
    - name: h3
      ${say('h3')}
      listen: topic
`,
  );
  t.equal(p.code, 0, p.stdout);
  t.same(p.log(), ['t3', 'h1', 't4', 't5', 'h1', 'h3'], 'h2 never: its notifier did not change; h1 once per flush');
});

t.test('tags, skip-tags, always, never', async (t) => {
  const yaml = `- hosts: h1
  gather_facts: false
  tasks:
    - { name: a, ${say('a')}, tags: [a] }
    - { name: b, ${say('b')}, tags: b }
    - { name: untagged, ${say('u')} }
    - { name: al, ${say('always')}, tags: [always] }
    - { name: nv, ${say('never')}, tags: [never, debugonly] }
    - name: tagged block
      tags: blk
      block:
        - { name: inner, ${say('inner')} }
`;
  const all = await play(t, yaml);
  t.same(all.log(), ['a', 'b', 'u', 'always', 'inner']);
  const onlyA = await play(t, yaml, ['--tags', 'a']);
  t.same(onlyA.log(), ['a', 'always']);
  const blk = await play(t, yaml, ['-t', 'blk,debugonly']);
  t.same(blk.log(), ['always', 'never', 'inner'], 'block tags are inherited; never runs when its other tag is asked for');
  const skip = await play(t, yaml, ['--skip-tags', 'a,blk']);
  t.same(skip.log(), ['b', 'u', 'always']);
  const lt = await play(t, yaml, ['--list-tasks', '--tags', 'a']);
  t.match(lt.stdout, /a\tTAGS: \[a\]/);
  t.notMatch(lt.stdout, /untagged/);
});

t.test('--limit and --start-at-task', async (t) => {
  const yaml = `- hosts: all
  gather_facts: false
  tasks:
    - { name: one, ${say('one-{{ inventory_hostname }}')} }
    - { name: two, ${say('two-{{ inventory_hostname }}')} }
    - { name: three, ${say('three-{{ inventory_hostname }}')} }
`;
  const lim = await play(t, yaml, ['--limit', 'h2']);
  t.same(lim.log(), ['one-h2', 'two-h2', 'three-h2']);
  t.same(Object.keys(recap(lim.stdout)), ['h2']);
  const excl = await play(t, yaml, ['-l', 'all:!h2', '--start-at-task', 'two']);
  t.same(excl.log().sort(), ['three-h1', 'three-h3', 'two-h1', 'two-h3']);
  t.notMatch(excl.stdout, /TASK \[one\]/);
});

t.test('run_once: one host runs, everyone gets the result', async (t) => {
  const p = await play(
    t,
    `- hosts: all
  gather_facts: false
  tasks:
    - name: once
      shell: "echo ran-on-{{ inventory_hostname }} >> {{ out }}/log; echo from-{{ inventory_hostname }}"
      register: once
      run_once: true
    - name: everyone
      copy: { dest: "{{ out }}/{{ inventory_hostname }}", content: "{{ once.stdout }}" }
`,
  );
  t.equal(p.code, 0, p.stdout);
  t.same(p.log(), ['ran-on-h1']);
  for (const h of ['h1', 'h2', 'h3']) t.equal(readFileSync(join(p.out, h), 'utf8'), 'from-h1');
});

t.test('run_once: a failure ends the batch for every host, as Ansible does (a run_once preflight stops them all)', async (t) => {
  const p = await play(
    t,
    `- hosts: all
  gather_facts: false
  tasks:
    - name: preflight
      assert: { that: ["inventory_hostname == 'nobody'"] }
      run_once: true
    - ${say('after-{{ inventory_hostname }}')}
`,
  );
  t.equal(p.code, 2, p.stdout);
  t.same(p.log(), [], 'no host ran the next task');
  t.match(recap(p.stdout).h1, { failed: 1 });
});

t.test('throttle: a block runs to the end for N hosts at a time; a task never runs on more than N at once', async (t) => {
  const blk = await play(
    t,
    `- hosts: all
  gather_facts: false
  tasks:
    - throttle: 1
      block:
        - ${say('a-{{ inventory_hostname }}')}
        - ${say('b-{{ inventory_hostname }}')}
`,
  );
  t.equal(blk.code, 0, blk.stdout);
  t.same(blk.log(), ['a-h1', 'b-h1', 'a-h2', 'b-h2', 'a-h3', 'b-h3']);

  // mkdir is atomic: with more than one host at a time inside, one would fail
  const yaml = (th: string) => `- hosts: all
  gather_facts: false
  tasks:
    - name: exclusive
      shell: "mkdir {{ out }}/lock && sleep 0.4 && rmdir {{ out }}/lock"
      ${th}
      ignore_errors: true
`;
  const one = await play(t, yaml('throttle: 1'));
  t.equal(one.code, 0);
  for (const h of ['h1', 'h2', 'h3']) t.match(recap(one.stdout)[h], { changed: 1, ignored: 0 }, `${h} ran alone`);
  const free = await play(t, yaml(''));
  const ignored = Object.values(recap(free.stdout)).reduce((n, s) => n + s.ignored, 0);
  t.ok(ignored >= 1, 'control: without throttle the hosts do overlap');
});

t.test('serial batches and max_fail_percentage', async (t) => {
  const serial = await play(
    t,
    `- hosts: all
  gather_facts: false
  serial: [1, 2]
  tasks:
    - ${say('a-{{ inventory_hostname }}')}
    - ${say('b-{{ inventory_hostname }}')}
`,
  );
  t.equal(serial.code, 0);
  const log = serial.log();
  t.same(log.slice(0, 2), ['a-h1', 'b-h1'], 'first batch: h1 alone');
  t.same(log.slice(2, 4).sort(), ['a-h2', 'a-h3'], 'second batch: h2 and h3 together');
  t.same(log.slice(4).sort(), ['b-h2', 'b-h3']);

  const mfp = await play(
    t,
    `- hosts: all
  gather_facts: false
  serial: 1
  max_fail_percentage: 0
  tasks:
    - fail: { msg: first host breaks }
      when: inventory_hostname == "h1"
    - ${say('{{ inventory_hostname }}')}
`,
  );
  t.equal(mfp.code, 2);
  t.same(mfp.log(), [], 'the play stopped after the first batch');
  const rc = recap(mfp.stdout);
  t.match(rc.h1, { failed: 1 });
  for (const h of ['h2', 'h3']) if (rc[h]) t.match(rc[h], { ok: 0, changed: 0, skipped: 0, failed: 0 }, `${h} never ran`);
  t.match(mfp.stdout, /max_fail_percentage 0% exceeded/);
});

t.test('a play whose every host failed ends the run (as ansible-playbook 2.14): a failed preflight play stops the plays after it', async (t) => {
  const p = await play(
    t,
    `- name: preflight
  hosts: h1
  gather_facts: false
  tasks:
    - assert: { that: ["false"] }
- hosts: h2:h3
  gather_facts: false
  tasks:
    - ${say('second-{{ inventory_hostname }}')}
`,
  );
  t.equal(p.code, 2);
  t.same(p.log(), [], 'the second play did not run');
  t.notMatch(p.stdout, /PLAY \[h2:h3\]/);
  // a play in which only some hosts failed goes on to the next play with the others
  const some = await play(
    t,
    `- hosts: all
  gather_facts: false
  tasks:
    - fail: { msg: h1 breaks }
      when: inventory_hostname == "h1"
- hosts: all
  gather_facts: false
  tasks:
    - ${say('second-{{ inventory_hostname }}')}
`,
  );
  t.equal(some.code, 2);
  t.same(some.log().sort(), ['second-h2', 'second-h3']);
});

t.test('ignore_errors, set_fact, delegate_to, until', async (t) => {
  const p = await play(
    t,
    `- hosts: h1:h2
  gather_facts: false
  tasks:
    - name: may fail
      shell: "exit 1"
      ignore_errors: true
    - set_fact:
        greeting: "hi {{ inventory_hostname }}"
        n: 2
    - name: uses fact
      ${say('{{ greeting }}')}
      when: n == 2
    - name: delegated
      ${say('delegated-{{ inventory_hostname }}')}
      delegate_to: localhost
      run_once: true
    - name: retry until the counter reaches 3
      shell: "echo x >> {{ out }}/counter-{{ inventory_hostname }}; wc -l < {{ out }}/counter-{{ inventory_hostname }}"
      register: c
      until: c.stdout | int >= 3
      retries: 5
      delay: 0
`,
  );
  t.equal(p.code, 0, p.stdout);
  t.same(p.log().sort(), ['delegated-h1', 'hi h1', 'hi h2']);
  t.match(recap(p.stdout).h1, { ignored: 1, failed: 0 });
  t.match(p.stdout, /\[h1 -> localhost\]/);
  t.equal(readFileSync(join(p.out, 'counter-h2'), 'utf8'), 'x\nx\nx\n', 'three attempts');
});

t.test('include_tasks, import_role, include_role with tasks_from and role handlers', async (t) => {
  const p = await play(
    t,
    `- hosts: h1
  gather_facts: false
  tasks:
    - include_tasks: more.yml
    - import_role: { name: r }
    - include_role: { name: r, tasks_from: other }
    - ${say('end')}
`,
    [],
    {
      'more.yml': `- name: from include\n  ${say('included')}\n`,
      roles: {
        r: {
          defaults: { 'main.yml': 'r_word: role-default\n' },
          tasks: {
            'main.yml': `- name: main\n  ${say('{{ r_word }}')}\n  notify: r handler\n`,
            'other.yml': `- name: other\n  ${say('other')}\n`,
          },
          handlers: { 'main.yml': `- name: r handler\n  ${say('handled')}\n` },
        },
      },
    },
  );
  t.equal(p.code, 0, p.stdout);
  t.same(p.log(), ['included', 'role-default', 'other', 'end', 'handled']);
  // include_tasks and include_role are tasks of their own (banner; `included:` line for include_tasks only), as in Ansible
  t.same(taskTitles(p.stdout), ['include_tasks', 'from include', 'r : main', 'include_role : r', 'r : other', 'shell', 'r : r handler']);
  t.match(p.stdout, /^included: \/.+ for /m);
  t.equal(p.stdout.match(/^included:/gm)?.length, 1, 'include_role prints no included: line');
});

t.test('per-task check_mode and diff overrides, environment', async (t) => {
  const yaml = `- hosts: h1
  gather_facts: false
  tasks:
    - name: always runs
      ${say('real')}
      check_mode: false
    - name: quiet diff
      copy: { dest: "{{ out }}/q", content: "quiet" }
      diff: false
    - name: loud diff
      copy: { dest: "{{ out }}/l", content: "loud" }
    - name: env
      shell: "echo $BOSUN_T >> {{ out }}/log"
      environment: { BOSUN_T: from-env }
      check_mode: false
`;
  const p = await play(t, yaml, ['--check', '--diff']);
  t.equal(p.code, 0, p.stdout);
  t.same(p.log(), ['real', 'from-env']);
  t.notOk(existsSync(join(p.out, 'q')));
  t.notOk(existsSync(join(p.out, 'l')));
  t.match(p.stdout, `+++ after: ${join(p.out, 'l')}`);
  t.notMatch(p.stdout, `+++ after: ${join(p.out, 'q')}`);
});

t.test('a template argument that is one expression plus text keeps the text', async (t) => {
  const p = await play(
    t,
    `- hosts: h1
  gather_facts: false
  vars: { word: hello }
  tasks:
    - copy: { dest: "{{ out }}/nl", content: "{{ word }}\\n" }
`,
  );
  t.equal(p.code, 0);
  t.equal(readFileSync(join(p.out, 'nl'), 'utf8'), 'hello\n', 'trailing newline kept');
});

t.test('magic variables: hostvars of every host (lazy), groups, play_hosts after a failure', async (t) => {
  const p = await play(
    t,
    `- hosts: all
  gather_facts: false
  tasks:
    - set_fact:
        word: "w-{{ inventory_hostname }}"
    - name: h3 fails
      fail: { msg: out }
      when: inventory_hostname == 'h3'
    - name: read the others
      ${say("{{ inventory_hostname }} {{lookup (lookup hostvars 'h1') 'word'}} {{#each hostvars}}{{@key}},{{/each}} {{len (keys hostvars)}} {{#each groups.all}}{{this}},{{/each}} {{#each play_hosts}}{{this}},{{/each}} {{len ansible_play_hosts}}")}
      when: "'h2' in hostvars and 'zz' not in hostvars and hostvars['h2'].word == 'w-h2'"
`,
  );
  t.equal(p.code, 2, p.stdout);
  // localhost: the implicit one is in hostvars too (as before the lazy hostvars)
  t.same(p.log().sort(), ['h1 w-h1 h1,h2,h3,localhost, 4 h1,h2,h3, h1,h2, 2', 'h2 w-h1 h1,h2,h3,localhost, 4 h1,h2,h3, h1,h2, 2']);
});

// issue 11 item 1: what a host sends back is data, never a template. hostile.txt plays the host's
// output: if anything rendered it again, the files written below would hold the password.
const HOSTILE = { 'hostile.txt': 'pw={{ secret_pw }}\nsecond {{secret_pw}}\n' };
const SECRET = 'S3cr3t-9f2e';

t.test('register results, set_fact values built from them and loop items are never rendered again', async (t) => {
  const p = await play(
    t,
    `- hosts: h1
  gather_facts: false
  vars: { secret_pw: ${SECRET} }
  tasks:
    - command: cat {{ out }}/../hostile.txt
      register: r
    - name: register
      copy: { dest: "{{ out }}/register.txt", content: "{{ r.stdout }}" }
    - set_fact:
        derived: "from host: {{ r.stdout }}"
        whole: "{{ r }}"
    - name: set_fact from a register (text and native value)
      copy: { dest: "{{ out }}/set_fact.txt", content: "{{ derived }}|{{ whole.stdout }}" }
    - name: loop items
      shell: "printf '%s\\\\n' {{ quote item }} >> {{ out }}/items.txt"
      loop: "{{ r.stdout_lines }}"
    - name: a task var naming the register (operator text, rendered once)
      copy: { dest: "{{ out }}/taskvar.txt", content: "{{ v }}" }
      vars: { v: "{{ r.stdout }}" }
`,
    [],
    HOSTILE,
  );
  t.equal(p.code, 0, p.stdout + p.stderr);
  const hostile = HOSTILE['hostile.txt'].trimEnd();
  t.equal(readFileSync(join(p.out, 'register.txt'), 'utf8'), hostile);
  t.equal(readFileSync(join(p.out, 'set_fact.txt'), 'utf8'), `from host: ${hostile}|${hostile}`);
  t.equal(readFileSync(join(p.out, 'items.txt'), 'utf8'), hostile + '\n');
  t.equal(readFileSync(join(p.out, 'taskvar.txt'), 'utf8'), hostile);
  t.notMatch(p.stdout, SECRET);
});

t.test("hostvars of another host: its registered and set_fact values stay data", async (t) => {
  const p = await play(
    t,
    `- hosts: h1
  gather_facts: false
  tasks:
    - command: cat {{ out }}/../hostile.txt
      register: r
    - set_fact: { told: "{{ first r.stdout_lines }}" }
- hosts: h2
  gather_facts: false
  vars: { secret_pw: ${SECRET} }
  tasks:
    - copy: { dest: "{{ out }}/hostvars.txt", content: "{{ hostvars.h1.r.stdout }}|{{ hostvars.h1.told }}" }
`,
    [],
    HOSTILE,
  );
  t.equal(p.code, 0, p.stdout + p.stderr);
  t.equal(readFileSync(join(p.out, 'hostvars.txt'), 'utf8'), `${HOSTILE['hostile.txt'].trimEnd()}|pw={{ secret_pw }}`);
});

t.test('output that looks like a broken template does not break later conditions', async (t) => {
  const p = await play(
    t,
    `- hosts: h1
  gather_facts: false
  tasks:
    - command: cat {{ out }}/../docker.txt
      register: out1
    - ${say('after')}
      when: out1.rc == 0 and out1.stdout is search('Name')
`,
    [],
    { 'docker.txt': '{{ .Name }} {{#each x}}\n' },
  );
  t.equal(p.code, 0, p.stdout + p.stderr);
  t.same(p.log(), ['after']);
});

t.test('gathered facts are data: a hostname or os-release holding a template stays text', async (t) => {
  const dir = t.testdir({
    'play.yml': `- hosts: h1
  vars: { secret_pw: ${SECRET} }
  tasks:
    - copy: { dest: "{{ out }}/facts.txt", content: "{{ ansible_hostname }}|{{ ansible_facts.distribution_version }}|{{ ansible_fqdn }}" }
      when: ansible_fqdn is defined and ansible_os_family == 'Debian'
`,
    'inventory.yml': INVENTORY,
    // what a hostile host answers to the fact probe
    'facts.txt': [
      '', '@@@bosun-facts:bosun', 'init=systemd',
      '@@@bosun-facts:os_release', 'NAME="Debian GNU/Linux"', 'ID=debian', 'VERSION_ID="{{ secret_pw }}"',
      '@@@bosun-facts:uname', 'Linux', '{{secret_pw}}', '6.1', '#1', 'x86_64', '{{ .Name }}', '64', '',
    ].join('\n'),
    out: {},
  });
  const { playbook } = await loadPlaybook(join(dir, 'play.yml'));
  const inventory = Inventory.load(join(dir, 'inventory.yml'));
  const lines: string[] = [];
  const connect = (spec: { name: string }) => {
    const local = new LocalConnection(spec.name);
    return withExec(local, (script, opts) => local.exec(opts?.label === 'facts' ? `cat ${join(dir, 'facts.txt')}` : script, opts));
  };
  const opts = { check: false, diff: false, extraVars: { out: join(dir, 'out') }, tags: [], skipTags: [], forks: 5, verbosity: 0, secrets: new Set<string>(), connect, limit: 'h1' };
  const summary = await new Runner(playbook, inventory, opts, new JsonReporter((l) => void lines.push(l), new Masker())).run();
  t.equal(summary.exitCode, 0, lines.join(''));
  t.equal(readFileSync(join(dir, 'out', 'facts.txt'), 'utf8'), '{{secret_pw}}|{{ secret_pw }}|{{ .Name }}');
});

t.test('templated includes: per host, checked when loaded, listed as one task', async (t) => {
  const files = {
    'part-a.yml': `- name: part a\n  ${say('a-{{ inventory_hostname }}')}\n  register: part_out\n`,
    'part-b.yml': `- name: part b\n  ${say('b-{{ inventory_hostname }}')}\n  register: part_out\n`,
    'typo.yml': `- name: typo\n  debug: { msg: "{{ no_such_var }}" }\n`,
    'badmod.yml': `- name: bad\n  copyy: {}\n`,
    roles: { r: { tasks: { 'a.yml': `- name: ra\n  ${say('ra-{{ inventory_hostname }}')}\n`, 'b.yml': `- name: rb\n  ${say('rb-{{ inventory_hostname }}')}\n` } } },
  };
  const pick = `vars: { pick: "{{ 'a' if inventory_hostname == 'h1' else 'b' }}" }`;
  const p = await play(
    t,
    `- hosts: h1:h2
  gather_facts: false
  ${pick}
  tasks:
    - include_tasks: "part-{{ pick }}.yml"
    - include_role: { name: r, tasks_from: "{{ pick }}" }
    - ${say('{{ part_out.rc }}')}
`,
    [],
    files,
  );
  t.equal(p.code, 0, p.stdout + p.stderr);
  t.same(p.log().sort(), ['0', '0', 'a-h1', 'b-h2', 'ra-h1', 'rb-h2'], "each host its own file and its own tasks_from (Ansible 2.14 gives every host the first host's tasks_from)");
  t.match(p.stdout, /^included: .*part-a\.yml for h1$/m);
  t.match(p.stdout, /^included: .*part-b\.yml for h2$/m);

  const typo = await play(t, `- hosts: h1\n  gather_facts: false\n  tasks:\n    - include_tasks: "{{ 'typo' }}.yml"\n    - ${say('after')}\n`, [], files);
  t.not(typo.code, 0, 'an undefined variable in a file loaded at run time stops the run');
  t.match(typo.stderr, /^ERROR! .*typo\.yml:2:\d+: undefined variable 'no_such_var'/m, 'with its file:line:col');
  t.same(typo.log(), [], 'nothing of it, nor after it, ran');

  const secret = await play(t, `- hosts: h1\n  gather_facts: false\n  tasks:\n    - include_tasks: "{{ 'secret' }}.yml"\n`, [], {
    'secret.yml': '- debug: { msg: "pw is {{ db_password }}" }\n  vars: { db_password: late-s3cret-value }\n',
  });
  t.equal(secret.code, 0, secret.stderr);
  t.notMatch(secret.stdout, /late-s3cret-value/, "a loaded file's secret-looking variables are masked");
  t.match(secret.stdout, /pw is \*\*\*/);

  const notify = await play(t, `- hosts: h1\n  gather_facts: false\n  tasks:\n    - include_tasks: "{{ 'notify' }}.yml"\n  handlers:\n    - name: restart\n      debug: {}\n`, [], {
    'notify.yml': '- debug: {}\n  notify: restart\n  changed_when: true\n- debug: {}\n  notify: restrat\n',
  });
  t.match(notify.stderr, /^ERROR! .*notify\.yml:4:3: notify: no handler named 'restrat' in this play \(did you mean 'restart'\?\)/m, "a loaded file's notify names a handler of the play");
  const bad = await play(t, `- hosts: h1\n  gather_facts: false\n  tasks:\n    - include_tasks: "{{ 'badmod' }}.yml"\n`, [], files);
  t.match(bad.stderr, /^ERROR! .*badmod\.yml:2:3: unknown module 'copyy'/m, 'a file that does not load: located');

  const early = await play(t, `- hosts: h1\n  gather_facts: false\n  tasks:\n    - ${say('first')}\n    - include_tasks: "part-{{ pik }}.yml"\n`, [], files);
  t.equal(early.code, 4, 'a typo in the name itself fails before the run');
  t.match(early.stderr, /undefined variable 'pik'/);
  t.same(early.log(), [], 'nothing ran');

  const listed = await play(t, `- hosts: h1\n  gather_facts: false\n  ${pick}\n  tasks:\n    - include_tasks: "part-{{ pick }}.yml"\n      tags: [t1]\n`, ['--list-tasks'], files);
  t.equal(listed.code, 0, listed.stderr);
  t.match(listed.stdout, /^\s+include_tasks\tTAGS: \[t1\]$/m, '--list-tasks: the include itself');
  t.notMatch(listed.stdout, /part a/);
  const syntax = await play(t, `- hosts: h1\n  gather_facts: false\n  ${pick}\n  tasks:\n    - include_tasks: "part-{{ pick }}.yml"\n`, ['--syntax-check'], files);
  t.equal(syntax.code, 0, syntax.stderr);
});
