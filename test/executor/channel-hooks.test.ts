// The channel starts its process through zx without zx's AsyncLocalStorage: on Node 20 the first
// storage.run() turns on async hooks for the whole process, and every later promise pays for them
// (a no-op run is mostly promises). A promise reaction sees async id 0 only while hooks are off.
// tap runs its tests with hooks on, so the check runs in a plain node, on tsc's build (dist/).
import t from 'tap';
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';

const dist = join(process.cwd(), 'dist/lib/executor');

const child = `
import { executionAsyncId } from 'node:async_hooks';
import { $ } from 'zx/core';
const { bootstrapCommand } = await import(${JSON.stringify(join(dist, 'channel-script.js'))});
const { ChannelConnection, OpenFailure } = await import(${JSON.stringify(join(dist, 'channel.js'))});
// a channel to a local sh, started as ssh's remote side would start it
class LocalShChannel extends ChannelConnection {
  kind = 'local-sh';
  command() { return { bin: '/bin/sh', args: ['-c', bootstrapCommand()] }; }
  openFailure(ch) { return new OpenFailure('local sh exited ' + ch.exitCode + ': ' + ch.stderr, false); }
}
const hooksOn = () => Promise.resolve().then(() => executionAsyncId() !== 0);
const zx = () => ({ quiet: $.quiet, nothrow: $.nothrow, detached: $.detached, verbose: $.verbose, spawn: $.spawn.name });
const out = { before: await hooksOn(), zxBefore: zx() };
const conn = new LocalShChannel({ name: 'here' });
out.stdout = (await conn.exec('echo "$((6 * 7))"')).stdout;
out.processes = conn.stats.processes;
await conn.close();
out.after = await hooksOn();
out.zxAfter = zx();
process.stdout.write(JSON.stringify(out));
`;

t.test('opening and using a channel leaves async hooks off and zx defaults as they were', async (t) => {
  // run from the repository so that zx/core resolves from its node_modules
  const r = spawnSync(process.execPath, ['--input-type=module', '-e', child], { encoding: 'utf8', cwd: process.cwd() });
  t.equal(r.status, 0, r.stderr);
  const o = JSON.parse(r.stdout) as Record<string, unknown>;
  t.equal(o.before, false, 'hooks off before (else this test proves nothing)');
  t.equal(o.stdout, '42\n', 'the channel works');
  t.equal(o.processes, 1);
  t.equal(o.after, false, 'still off after the channel ran');
  t.same(o.zxAfter, o.zxBefore, 'zx defaults restored');
});
