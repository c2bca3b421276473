import t from 'tap';
import wfc, { type WaitForConnectionArgs } from '../../lib/modules/wait_for_connection.js';
import { validateArgs } from '../../lib/modules/args.js';
import { ModuleFailure } from '../../lib/modules/types.js';
import { UnreachableError } from '../../lib/errors.js';
import type { Connection, ExecOptions, ExecResult } from '../../lib/executor/types.js';
import { runTask } from '../helpers/fake-ctx.js';
import { moduleContext } from '../helpers/module-ctx.js';

const args = (a: unknown) => validateArgs(wfc, a, {}) as unknown as WaitForConnectionArgs;

/** A host that is unreachable for its first `down` attempts, then answers as the channel does ('cat' of stdin). */
function flaky(down: number, hang = false): Connection & { calls: number } {
  const c = {
    host: 'h1',
    kind: 'fake',
    stats: { requests: 0, processes: 0 },
    calls: 0,
    open: async () => {},
    close: async () => {},
    exec: (script: string, opts: ExecOptions = {}): Promise<ExecResult> => {
      c.calls++;
      if (c.calls <= down) return hang ? new Promise<never>(() => {}) : Promise.reject(new UnreachableError('ssh: connect to host h1 port 22: Connection refused'));
      const out = script === 'cat' ? String(opts.stdin ?? '') : '';
      return Promise.resolve({ exitCode: 0, stdout: out, stderr: '', raw: Buffer.from(out), durationMs: 1 });
    },
  };
  return c;
}

t.test('defaults are Ansible\'s; a host that answers at once: ok, elapsed 0, never changed', async (t) => {
  t.same(args({}), { connect_timeout: 5, delay: 0, sleep: 1, timeout: 600 });
  const conn = flaky(0);
  const r = await runTask(wfc, { ...moduleContext(), conn }, args({}));
  t.same(r.outcome, { changed: false, msg: undefined, result: { elapsed: 0 } });
  t.equal(conn.calls, 1);
});

t.test('an unreachable host is waited for until it answers', async (t) => {
  const conn = flaky(2);
  const ctx = { ...moduleContext(), conn };
  const r = await runTask(wfc, ctx, args({ sleep: 0, timeout: 10 }));
  t.equal(r.outcome.changed, false);
  t.equal(conn.calls, 3);
  t.match(ctx.progressLines[0], /waiting for localhost to answer .*Connection refused/);
});

t.test("gives up after timeout with Ansible's message and the last error", async (t) => {
  const t0 = Date.now();
  const e = await runTask(wfc, { ...moduleContext(), conn: flaky(1000) }, args({ timeout: 1, sleep: 0 })).catch((x: unknown) => x);
  t.ok(e instanceof ModuleFailure);
  t.equal((e as ModuleFailure).message, 'timed out waiting for ping module test: ssh: connect to host h1 port 22: Connection refused');
  t.match((e as ModuleFailure).result, { elapsed: Number });
  t.ok(Date.now() - t0 < 3000, 'bounded by timeout');
});

t.test('an attempt that never returns is bounded by the timeout too', async (t) => {
  const t0 = Date.now();
  const e = await runTask(wfc, { ...moduleContext(), conn: flaky(1000, true) }, args({ timeout: 1 })).catch((x: unknown) => x);
  t.equal((e as Error).message, 'timed out waiting for ping module test: localhost did not answer');
  t.ok(Date.now() - t0 < 3000, 'bounded by timeout');
});

t.test('check mode: skipped without a request; bad numbers are argument errors', async (t) => {
  const conn = flaky(0);
  const r = await runTask(wfc, { ...moduleContext({ check: true }), conn }, args({}));
  t.equal(r.checkSkipped, true);
  t.equal(conn.calls, 0);
  t.throws(() => args({ timeout: -1 }), /must be >= 0/);
});
