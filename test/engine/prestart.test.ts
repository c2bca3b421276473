// Prestart (lib/engine/prestart.ts): the first remote play's channels (and their fact probes) start
// as soon as the loader reads that play's header; the runner takes them over, close() ends them
// when the run never starts. A fake connection records every call, so the order "open/facts only,
// then tasks" is asserted.
import t, { type Test } from 'tap';
import { join } from 'node:path';
import { loadPlaybook } from '../../lib/loaders/playbook.js';
import { Inventory } from '../../lib/loaders/inventory.js';
import { Runner, type RunOptions } from '../../lib/engine/runner.js';
import type { Reporter } from '../../lib/engine/report.js';
import { Prestart } from '../../lib/engine/prestart.js';
import { TemplateEngine } from '../../lib/engine/template.js';
import { UnreachableError } from '../../lib/errors.js';
import type { Connection, ConnectionSpec, ExecOptions, ExecResult } from '../../lib/executor/types.js';

const FACTS = 'os_family=Debian\ndistribution=debian\ninit=systemd\nhostname=x\nfqdn=x\narchitecture=x86_64\nuser=root\n';

class FakeConn implements Connection {
  readonly kind = 'ssh' as const;
  readonly stats = { requests: 0, processes: 0 };
  readonly calls: string[] = [];
  closed = false;
  constructor(
    readonly host: string,
    private readonly unreachable = false,
  ) {}
  opened = false;
  async open(): Promise<void> {
    // idempotent by contract (the runner calls it before tasks): recorded once
    if (!this.opened) this.calls.push('open');
    this.opened = true;
    if (this.unreachable) throw new UnreachableError(`ssh: connect to host ${this.host} port 22: No route to host`);
    this.stats.processes = 1;
  }
  async exec(_script: string, opts: ExecOptions = {}): Promise<ExecResult> {
    this.calls.push(opts.label ?? 'exec');
    this.opened = true; // a request rides on the bootstrap (opens the channel)
    if (this.unreachable) throw new UnreachableError(`ssh: connect to host ${this.host} port 22: No route to host`);
    this.stats.processes = 1;
    this.stats.requests++;
    const stdout = opts.label === 'facts' ? FACTS : '';
    return { exitCode: 0, stdout, stderr: '', raw: Buffer.from(stdout), durationMs: 1 };
  }
  async close(): Promise<void> {
    this.calls.push('close');
    this.closed = true;
  }
}

const quiet: Reporter = { playStart() {}, taskStart() {}, hostResult() {}, warn() {}, log() {}, progress() {}, recap() {} };

async function setup(t: Test, play: string, opts: Partial<RunOptions> = {}, unreachable: string[] = [], out: Reporter = quiet) {
  const dir = t.testdir({
    'play.yml': play,
    'inv.yml': 'all:\n  hosts:\n    a: {}\n    b: {}\n    c: {}\n    localhost: { ansible_connection: local }\n',
  });
  const inventory = Inventory.load(join(dir, 'inv.yml'));
  const conns = new Map<string, FakeConn[]>();
  const connect = (spec: ConnectionSpec): Connection => {
    const c = new FakeConn(spec.name, unreachable.includes(spec.name));
    conns.set(spec.name, [...(conns.get(spec.name) ?? []), c]);
    return c;
  };
  const full: RunOptions = { check: false, diff: false, extraVars: {}, tags: [], skipTags: [], forks: 50, verbosity: 0, secrets: new Set(), connect, ...opts };
  const prestart = new Prestart(inventory, { templates: async () => new TemplateEngine(), extraVars: full.extraVars, limit: full.limit, forks: full.forks, verbosity: full.verbosity, connect });
  const { playbook } = await loadPlaybook(join(dir, 'play.yml'), { onPlayHeader: (p) => prestart.offer(p) });
  const runner = new Runner(playbook, inventory, full, out);
  runner.adopt(prestart);
  return { runner, conns, prestart };
}

const LOCAL_THEN_REMOTE = `- hosts: localhost
  gather_facts: false
  tasks:
    - debug: { msg: first }
- hosts: a,b,c
  tasks:
    - command: "true"
`;

t.test('the first remote play is prestarted: facts only, then run() reuses the channel', async (t) => {
  const { runner, conns } = await setup(t, LOCAL_THEN_REMOTE);
  await new Promise((r) => setTimeout(r, 10));
  t.same([...conns.keys()].sort(), ['a', 'b', 'c'], 'the local play is skipped, the remote play prestarted while loading');
  for (const [h, [c]] of conns) t.same(c!.calls, ['facts'], `${h}: only the fact probe before run()`);
  const summary = await runner.run();
  t.equal(summary.exitCode, 0);
  for (const h of ['a', 'b', 'c']) {
    const list = conns.get(h)!;
    t.equal(list.length, 1, `${h}: one connection for the whole run`);
    t.same(list[0]!.calls, ['facts', 'run', 'close'], `${h}: facts gathered once, then the task`);
  }
  t.equal(summary.processes, 3);
});

t.test('forks bounds how many channels are prestarted; serial batches start with their first batch', async (t) => {
  const forks = await setup(t, LOCAL_THEN_REMOTE, { forks: 2 });
  await new Promise((r) => setTimeout(r, 10));
  t.same([...forks.conns.keys()].sort(), ['a', 'b']);
  t.equal((await forks.runner.run()).exitCode, 0);
  t.same(forks.conns.get('c')!.map((c) => c.calls), [['facts', 'run', 'close']], 'the rest open when their play needs them');

  const serial = await setup(t, `- hosts: a,b,c\n  serial: 1\n  tasks:\n    - command: "true"\n`);
  await new Promise((r) => setTimeout(r, 10));
  t.same([...serial.conns.keys()], ['a']);
  await serial.runner.close();
});

t.test('gather_facts: false prestarts the channel without any request', async (t) => {
  const { runner, conns } = await setup(t, `- hosts: a\n  gather_facts: false\n  tasks:\n    - command: "true"\n`);
  await new Promise((r) => setTimeout(r, 10));
  t.same(conns.get('a')![0]!.calls, ['open']);
  t.equal((await runner.run()).exitCode, 0);
  t.same(conns.get('a')![0]!.calls, ['open', 'run', 'close']);
});

t.test('Prestart.close() without a run: every prestarted channel closed, no task request sent', async (t) => {
  const { conns, prestart } = await setup(t, LOCAL_THEN_REMOTE);
  await prestart.close();
  for (const [h, [c]] of conns) {
    t.ok(c!.closed, `${h} closed`);
    t.notOk(c!.calls.includes('run'), `${h}: no task ran`);
  }
});

t.test('a host unreachable at prestart is reported by its play (exit 4, as ansible-playbook 2.14), the others run', async (t) => {
  const results: Array<{ host: string; status: string }> = [];
  const out: Reporter = { ...quiet, hostResult: (_t, r) => results.push({ host: r.host, status: r.status }) };
  const { runner } = await setup(t, LOCAL_THEN_REMOTE, {}, ['b'], out);
  const summary = await runner.run();
  // ansible-playbook 2.14's strategy returns RUN_UNREACHABLE_HOSTS (4) when any host was unreachable
  t.equal(summary.exitCode, 4);
  t.same(results.filter((r) => r.host === 'b'), [{ host: 'b', status: 'unreachable' }], 'reported once, at Gathering Facts');
  t.equal(results.filter((r) => r.host === 'a' && r.status === 'changed').length, 1, 'a ran its task');
});

t.test('a play whose hosts cannot be worked out yet starts nothing (the full load reports it)', async (t) => {
  const inventory = Inventory.load(join(t.testdir({ 'inv.yml': 'all:\n  hosts:\n    a: {}\n' }), 'inv.yml'));
  const made: string[] = [];
  const p = new Prestart(inventory, { templates: async () => new TemplateEngine(), extraVars: {}, forks: 5, verbosity: 0, connect: (s) => (made.push(s.name), new FakeConn(s.name)) });
  p.offer({ hosts: '{{ nope', vars: {}, loc: { file: 'x.yml' }, gatherFacts: true });
  p.offer({ hosts: 'a', vars: {}, loc: { file: 'x.yml' }, gatherFacts: true });
  await p.close();
  t.same(made, [], 'after a header it could not use, later plays are not guessed at either');
  const q = new Prestart(inventory, { templates: async () => new TemplateEngine(), extraVars: {}, forks: 5, verbosity: 0, connect: (s) => (made.push(s.name), new FakeConn(s.name)) });
  q.offer({ hosts: 'nomatch', vars: {}, loc: { file: 'x.yml' }, gatherFacts: true });
  q.offer({ hosts: 'a', vars: {}, loc: { file: 'x.yml' }, gatherFacts: true });
  q.offer({ hosts: 'a', vars: {}, loc: { file: 'x.yml' }, gatherFacts: true });
  await q.close();
  t.same(made, ['a'], 'a play without ssh hosts is passed over; only the first remote play starts');
});

t.test('-vvv: a prestarted request is traced when its play takes the channel over', async (t) => {
  const inventory = Inventory.load(join(t.testdir({ 'inv.yml': 'all:\n  hosts:\n    a: {}\n' }), 'inv.yml'));
  const p = new Prestart(inventory, {
    templates: async () => new TemplateEngine(),
    extraVars: {},
    forks: 5,
    verbosity: 3,
    connect: (s) => {
      const c = new FakeConn(s.name);
      const exec = c.exec.bind(c);
      c.exec = async (script, opts) => (s.trace?.(`[${s.name}] ${opts?.label}: ...`), exec(script, opts));
      return c;
    },
  });
  p.offer({ hosts: 'a', vars: {}, loc: { file: 'x.yml' }, gatherFacts: true });
  const w = await p.take('a');
  await w!.ready;
  const lines: string[] = [];
  w!.adopt((l) => lines.push(l));
  t.same(lines, ['[a] facts: ...'], 'buffered until adopted, then printed');
  t.equal(await p.take('a'), undefined, 'handed over once');
});

t.test('templated hosts: rendered with play vars and -e once the template engine has loaded', async (t) => {
  const inventory = Inventory.load(join(t.testdir({ 'inv.yml': 'all:\n  children:\n    g1: { hosts: { a: {} } }\n    g2: { hosts: { b: {} } }\n' }), 'inv.yml'));
  const made: string[] = [];
  let release!: (e: TemplateEngine) => void;
  const templates = new Promise<TemplateEngine>((r) => (release = r));
  const p = new Prestart(inventory, { templates: () => templates, extraVars: { grp: 'g2' }, forks: 5, verbosity: 0, connect: (s) => (made.push(s.name), new FakeConn(s.name)) });
  p.offer({ hosts: "{{default grp 'g1'}}", vars: {}, loc: { file: 'x.yml' }, gatherFacts: true });
  p.offer({ hosts: 'a', vars: {}, loc: { file: 'x.yml' }, gatherFacts: true });
  t.same(made, [], 'waits for the engine');
  release(new TemplateEngine());
  await p.take('b');
  t.same(made, ['b'], 'the templated play is the first remote play; -e grp=g2 wins over the default');
  await p.close();
});

t.test('meta: reset_connection closes the host channel; the next task opens a new one, counted in the totals', async (t) => {
  const { runner, conns } = await setup(t, `- hosts: a
  gather_facts: false
  tasks:
    - command: "true"
    - meta: reset_connection
    - command: "true"
    - meta: reset_connection
      when: false
    - command: "true"
`);
  const summary = await runner.run();
  t.equal(summary.exitCode, 0);
  const made = conns.get('a') ?? [];
  // the first may be the prestarted channel; after it exactly one more (the `when: false` reset did nothing)
  t.equal(made.length, 2, 'one new channel after the reset');
  t.ok(made[0]!.closed, 'the first channel was closed');
  t.same(made.map((c) => c.stats.requests), [1, 2], 'one request before the reset, two after');
  t.equal(summary.requests, 3, "the closed channel's requests still count");
});
