// The same module code over the persistent SSH channel (dash on the far side, requests framed on
// one channel): proves the scripts are channel-safe (exit/exec/traps in the request subshell,
// binary payloads and outputs) and that round-trip counts hold over SSH too.
import t from 'tap';
import { readFileSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { SshConnection } from '../../../lib/executor/ssh.js';
import { validateArgs } from '../../../lib/modules/args.js';
import copy from '../../../lib/modules/copy.js';
import file from '../../../lib/modules/file.js';
import command from '../../../lib/modules/command.js';
import type { AnyModule } from '../../../lib/modules/types.js';
import { runTask } from '../../helpers/fake-ctx.js';
import { moduleContext } from '../../helpers/module-ctx.js';
import { sshTarget } from '../../helpers/sshd.js';

const target = await sshTarget(t);

t.test('copy, file, command over ssh', async (t) => {
  const conn = new SshConnection(target.spec, { retryDelaysMs: [50] });
  t.teardown(() => conn.close());
  await conn.open();
  const ctx = (diff = false) => Object.assign(moduleContext({ diff }), { conn });
  const run = (m: AnyModule, raw: Record<string, unknown>, c = ctx()) => runTask(m, c, validateArgs(m, raw, {}));
  // Only meaningful when the "remote" shares this filesystem (the loopback sshd fixture).
  if (!target.loopback) return t.skip('external target: filesystem checks need the loopback fixture');
  const dir = t.testdir({});
  const dest = join(dir, "we ird 'n' $x\nü.bin");
  const data = Buffer.concat([Buffer.from("a 'b' \"c\" $d `e` \\f\n"), Buffer.from([0, 255, 13, 10])]);

  let before = conn.stats.requests;
  await run(copy, { content: data.toString('latin1'), dest, mode: '0640' });
  const written = readFileSync(dest);
  t.equal(conn.stats.requests - before, 2, 'changed copy: probe + write');
  t.equal((statSync(dest).mode & 0o7777).toString(8), '640');
  before = conn.stats.requests;
  const again = await run(copy, { content: data.toString('latin1'), dest, mode: '0640' });
  t.equal(again.plan.changed, false);
  t.equal(conn.stats.requests - before, 1, 'unchanged copy: one request');
  t.ok(readFileSync(dest).equals(written));

  await run(file, { path: join(dir, 'a/b'), state: 'directory', mode: '0750' });
  t.equal((statSync(join(dir, 'a/b')).mode & 0o7777).toString(8), '750');
  const cmd = await run(command, { argv: ['cat'], stdin: 'secret payload' });
  t.equal(cmd.outcome.result?.stdout, 'secret payload');
  t.same(readdirSync(dir).filter((n) => n.includes('.bosun-tmp')), []);
});
