import t from 'tap';
import { createServer, type Server } from 'node:net';
import { writeFileSync, unlinkSync } from 'node:fs';
import { join } from 'node:path';
import waitFor, { sliceScript, type WaitForArgs, type PortMethod } from '../../lib/modules/wait_for.js';
import { validateArgs } from '../../lib/modules/args.js';
import { ModuleFailure } from '../../lib/modules/types.js';
import { runTask } from '../helpers/fake-ctx.js';
import { moduleContext } from '../helpers/module-ctx.js';

const args = (raw: unknown) => validateArgs(waitFor, raw, {}) as unknown as WaitForArgs;

function listen(): Promise<{ server: Server; port: number }> {
  return new Promise((resolve) => {
    const server = createServer((s) => s.destroy());
    server.listen(0, '127.0.0.1', () => {
      const a = server.address();
      resolve({ server, port: typeof a === 'object' && a ? a.port : 0 });
    });
  });
}

async function freePort(): Promise<number> {
  const { server, port } = await listen();
  await new Promise((r) => server.close(r));
  return port;
}

t.test('port started: one request when open; check mode does not wait', async (t) => {
  const { server, port } = await listen();
  t.teardown(() => void server.close());
  const ctx = moduleContext();
  const r = await runTask(waitFor, ctx, args({ port, timeout: 10 }));
  t.equal(r.plan.changed, false);
  t.equal(r.plan.msg, `127.0.0.1:${port} is started`);
  // elapsed is whole seconds of wall time: on a loaded machine one connect can cross a second, so the
  // "no polling" claim rests on the request count (a poll would be a second request), not on elapsed.
  t.match(r.plan.result, { host: '127.0.0.1', port, state: 'started', elapsed: Number });
  t.equal(ctx.conn.stats.requests, 1);
  const chk = moduleContext({ check: true });
  const pc = await waitFor.plan(chk, args({ port: await freePort(), timeout: 100 }));
  t.match(pc, { changed: false, msg: /^would wait for 127\.0\.0\.1:\d+ to be started$/ });
  t.notOk(pc.unpredictable);
  t.equal(chk.conn.stats.requests, 0);
});

t.test('port timeout message; stopped', async (t) => {
  const port = await freePort();
  const ctx = moduleContext();
  const start = Date.now();
  await t.rejects(waitFor.plan(ctx, args({ port, timeout: 1 })), { message: `Timeout when waiting for 127.0.0.1:${port}` });
  t.ok(Date.now() - start < 6000);
  t.same((await waitFor.plan(moduleContext(), args({ port, state: 'stopped', timeout: 2 }))).changed, false);
  const { server, port: open } = await listen();
  t.teardown(() => void server.close());
  await t.rejects(waitFor.plan(moduleContext(), args({ port: open, state: 'stopped', timeout: 1 })), { message: `Timeout when waiting for 127.0.0.1:${open} to stop` });
  await t.rejects(waitFor.plan(moduleContext(), args({ port, timeout: 1, msg: 'etcd did not start' })), ModuleFailure);
});

t.test('becomes ready while waiting: progress between slices', async (t) => {
  const port = await freePort();
  const ctx = moduleContext();
  let server: Server | undefined;
  setTimeout(() => {
    server = createServer((s) => s.destroy()).listen(port, '127.0.0.1');
  }, 6500);
  t.teardown(() => void server?.close());
  const p = await waitFor.plan(ctx, args({ port, timeout: 20 }));
  t.equal(p.changed, false);
  t.ok(ctx.conn.stats.requests >= 2, 'sliced polling');
  t.match(ctx.progressLines[0], new RegExp(`^waiting for 127\\.0\\.0\\.1:${port} to be started \\(\\d+s of 20s\\)$`));
  t.same(await waitFor.apply(ctx, args({ port, timeout: 20 }), p), p.state?.done, 'apply reuses the planned wait');
});

t.test('each TCP check method works on this host', async (t) => {
  const { server, port } = await listen();
  t.teardown(() => void server.close());
  const closed = await freePort();
  const ctx = moduleContext();
  for (const m of ['auto', 'bash', 'ss', 'netstat'] as PortMethod[]) {
    const open = await ctx.conn.exec(sliceScript(args({ port, timeout: 1 }), 0, m));
    t.equal(open.stdout.trim(), 'ok', `${m}: open`);
    const shut = await ctx.conn.exec(sliceScript(args({ port: closed, timeout: 1 }), 0, m));
    t.equal(shut.stdout.trim(), 'wait', `${m}: closed`);
  }
  t.match(sliceScript(args({ port, host: '10.0.0.1' }), 1), /need bash, nc"/, 'socket tables only for local addresses');
});

t.test('path present / absent', async (t) => {
  const dir = t.testdir({});
  const f = join(dir, "ready 'flag'");
  setTimeout(() => writeFileSync(f, ''), 1200);
  const p = await waitFor.plan(moduleContext(), args({ path: f, timeout: 10 }));
  t.equal(p.msg, `${f} is started`);
  await t.rejects(waitFor.plan(moduleContext(), args({ path: f, state: 'absent', timeout: 1 })), { message: `Timeout when waiting for ${f} to be absent` });
  unlinkSync(f);
  await t.rejects(waitFor.plan(moduleContext(), args({ path: f, state: 'present', timeout: 1 })), { message: `Timeout when waiting for file ${f}` });
  t.equal((await waitFor.plan(moduleContext(), args({ path: f, state: 'absent', timeout: 1 }))).changed, false);
});

t.test('validation, delay, plain sleep, interrupt', async (t) => {
  t.throws(() => args({ port: 1, path: '/x' }), /port or path, not both/);
  t.throws(() => args({ port: 70000 }), /1-65535/);
  t.throws(() => args({ port: 'abc' }), /must be an integer/);
  t.throws(() => args({ port: 1, state: 'drained' }), /must be one of: started, stopped, present, absent/);
  t.throws(() => args({ port: 1, sleep: 0 }), /sleep >= 1/);
  // a host is never an option of nc (nc -e runs a program on some builds)
  t.throws(() => args({ port: 22, host: '-e/bin/sh' }), /is not a host name or address/);
  t.throws(() => args({ port: 22, host: 'a b' }), /is not a host name or address/);
  t.match(sliceScript(args({ port: 22, host: 'db1' }), 5, 'nc'), /nc -z -w 2 -- db1 22/, 'and nc gets -- before it');
  const start = Date.now();
  const p = await waitFor.plan(moduleContext(), args({ timeout: 1 }));
  t.equal(p.msg, 'waited 1 seconds');
  t.ok(Date.now() - start >= 950);
  const dir = t.testdir({ f: '' });
  const d0 = Date.now();
  await waitFor.plan(moduleContext(), args({ path: join(dir, 'f'), delay: 1 }));
  t.ok(Date.now() - d0 >= 950, 'delay before the first check');
  const ac = new AbortController();
  const ctx = Object.assign(moduleContext(), { signal: ac.signal });
  setTimeout(() => ac.abort(), 200);
  await t.rejects(waitFor.plan(ctx, args({ timeout: 30 })), { code: 'E_INTERRUPTED' });
});
