// The module contract as the engine enforces it (gate.ts): plan → gate → apply, check mode that
// cannot write, doc.check 'none', and — through a real run — unexpected exceptions reported as
// internal errors with the stack at -vvv. Modules here are registered with registerModule(), as a
// module from outside the tree would be.
import t from 'tap';
import { join } from 'node:path';
import { LocalConnection } from '../../lib/executor/local.js';
import { defineModule, type ModuleContext } from '../../lib/modules/types.js';
import { registerModule, isModule, getModule } from '../../lib/modules/index.js';
import { CHECK_SKIPPED_MSG, planAndApply, readOnlyConnection } from '../../lib/engine/gate.js';
import { ModuleContractError, ModuleFailure, TaskFailure, BosunError } from '../../lib/errors.js';
import { fakeContext } from '../helpers/fake-ctx.js';
import { RecordingConnection } from '../helpers/recording.js';
import { run } from '../helpers/run.js';

const writesInPlan = defineModule<{ path: string }>({
  name: 't_writes_in_plan',
  doc: { short: 'test: writes while planning', check: 'full', diff: false },
  args: { path: { type: 'path', required: true, description: 'file' } },
  async plan(ctx, a) {
    await ctx.conn.exec(`echo x > ${a.path}`, { label: 'sneaky-write' });
    return { changed: false };
  },
  async apply() {
    return { changed: false };
  },
});

let planned = 0;
const none = defineModule({
  name: 't_check_none',
  doc: { short: 'test: cannot plan without acting', check: 'none', diff: false },
  args: {},
  async plan() {
    planned++;
    return { changed: true };
  },
  async apply() {
    return { changed: true };
  },
});

const crashes = defineModule({
  name: 't_crashes',
  doc: { short: 'test: a bug in a module', check: 'full', diff: false },
  args: {},
  async plan() {
    const o = undefined as unknown as { x: number };
    return { changed: o.x > 0 };
  },
  async apply() {
    return { changed: false };
  },
});

const ctxWith = (conn: RecordingConnection, check: boolean): ModuleContext => ({ ...fakeContext({ check }), conn, control: conn });

t.test('check mode: plan gets connections that refuse anything not read-only, and nothing is sent', async (t) => {
  const dir = t.testdir({});
  const conn = new RecordingConnection(new LocalConnection());
  const e = await planAndApply(writesInPlan, ctxWith(conn, true), { path: join(dir, 'f') }).catch((x: unknown) => x);
  t.type(e, ModuleContractError);
  t.match((e as Error).message, /module 't_writes_in_plan' sent a request not marked read-only \('sneaky-write'\) while planning in check mode/);
  t.same(conn.labels, [], 'the write never reached the connection');
  // a read-only request passes
  const ro = readOnlyConnection(conn, 'x');
  t.equal((await ro.exec('echo hi', { readOnly: true })).stdout, 'hi\n');
  // outside check mode, plan may send what it likes (the engine invalidates fetched states for it)
  await planAndApply(writesInPlan, ctxWith(conn, false), { path: join(dir, 'f') });
  t.same(conn.labels.slice(-1), ['sneaky-write']);
});

t.test("doc.check 'none': skipped in check mode without planning; planned and applied otherwise", async (t) => {
  planned = 0;
  const conn = new RecordingConnection(new LocalConnection());
  const r = await planAndApply(none, ctxWith(conn, true), {});
  t.same([r.checkSkipped, r.outcome.changed, r.outcome.msg, planned], [true, false, CHECK_SKIPPED_MSG, 0]);
  const live = await planAndApply(none, ctxWith(conn, false), {});
  t.same([live.checkSkipped, live.outcome.changed, planned], [false, true, 1]);
});

t.test('unpredictable plans: skipped in check mode, applied otherwise', async (t) => {
  let applied = 0;
  const m = defineModule({
    name: 't_unpredictable',
    doc: { short: 'x', check: 'partial', diff: false },
    args: {},
    async plan() {
      return { changed: false, unpredictable: true, result: { k: 1 } };
    },
    async apply() {
      applied++;
      return { changed: true };
    },
  });
  const conn = new RecordingConnection(new LocalConnection());
  const c = await planAndApply(m, ctxWith(conn, true), {});
  t.same([c.checkSkipped, c.outcome.result, applied], [true, { k: 1 }, 0]);
  const hooks: string[] = [];
  const l = await planAndApply(m, ctxWith(conn, false), {}, { changing: () => hooks.push('changing') });
  t.same([l.checkSkipped, l.outcome.changed, applied, hooks.length], [false, true, 1, 2], 'fetched states are dropped before and after apply');
});

t.test('ModuleFailure is a TaskFailure (the error hierarchy)', async (t) => {
  const e = new ModuleFailure('nope', { rc: 1 });
  t.ok(e instanceof TaskFailure && e instanceof BosunError);
  t.same([e.code, e.exitCode, e.name, e.result], ['E_MODULE_FAILED', 2, 'ModuleFailure', { rc: 1 }]);
});

t.test('registerModule: a module from outside the tree runs in a playbook; a bug in it is an internal error', async (t) => {
  for (const m of [writesInPlan, none, crashes]) registerModule(m);
  t.ok(isModule('t_crashes'));
  t.equal(await getModule('t_crashes'), crashes);
  t.throws(() => registerModule(crashes), /module 't_crashes' is already defined/);
  t.throws(() => registerModule({ ...crashes, name: 'copy' }), /already defined/);
  t.throws(() => registerModule({ ...crashes, name: 'Bad-Name' }), /must be lower-case/);
  const dir = t.testdir({
    'pb.yml': [
      '- hosts: localhost',
      '  gather_facts: false',
      '  tasks:',
      '    - t_check_none: {}',
      `    - t_writes_in_plan: { path: "{{ playbook_dir }}/written" }`,
      '    - t_crashes: {}',
      '',
    ].join('\n'),
  });
  const check = await run([join(dir, 'pb.yml'), '--check', '-vvv']);
  t.equal(check.code, 2);
  t.match(check.stdout, /skipping: \[localhost\]/, "check 'none' skipped");
  t.match(check.stdout, /internal error in module 't_writes_in_plan': module 't_writes_in_plan' sent a request not marked read-only/);
  const live = await run([join(dir, 'pb.yml'), '-vvv']);
  t.equal(live.code, 2);
  t.match(live.stdout, /internal error in module 't_crashes': TypeError: Cannot read properties of undefined/);
  t.match(live.stdout + live.stderr, /at Object\.plan .*gate\.test\.ts/, 'the stack at -vvv');
  const quiet = await run([join(dir, 'pb.yml')]);
  t.notMatch(quiet.stdout + quiet.stderr, /gate\.test\.ts/, 'no stack below -vvv');
});
