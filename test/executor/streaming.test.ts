// Streaming requests on the local connection (the channel's are covered on lab hosts by
// test/e2e/files-transfer.test.ts): a payload given as chunks, an output taken by a sink.
import t from 'tap';
import { createHash, randomBytes } from 'node:crypto';
import { LocalConnection } from '../../lib/executor/local.js';
import type { StdinStream } from '../../lib/executor/types.js';

function chunks(parts: Buffer[], length: number): StdinStream {
  return {
    length,
    async *chunks() {
      for (const p of parts) yield p;
    },
  };
}

t.test('stdin as a stream, stdout to a sink', async (t) => {
  const conn = new LocalConnection();
  const parts = [randomBytes(300_000), randomBytes(5), randomBytes(1 << 20)];
  const all = Buffer.concat(parts);
  const r = await conn.exec('sha256sum | cut -d" " -f1', { stdin: chunks(parts, all.length) });
  t.equal(r.stdout.trim(), createHash('sha256').update(all).digest('hex'), 'the script read every chunk, in order');

  const got: Buffer[] = [];
  const s = await conn.exec('head -c 3000000 /dev/zero; echo err >&2', {
    stdoutSink: async (c) => {
      got.push(c);
      await new Promise((res) => setImmediate(res));
    },
  });
  t.equal(s.exitCode, 0);
  t.equal(s.stdout, '', 'stdout went to the sink, not the result');
  t.equal(s.stderr, 'err\n');
  t.equal(Buffer.concat(got).length, 3_000_000);

  await t.rejects(conn.exec('cat >/dev/null', { stdoutSink: () => {}, stdin: chunks([Buffer.from('x')], 1) }).then(() => conn.exec('echo x', { stdoutSink: () => { throw new Error('disk full'); } })), /disk full/, 'a failing sink fails the request');
  const short = await conn.exec('wc -c', { stdin: chunks([Buffer.from('abc')], 10) });
  t.not(short.stdout.trim(), '10', 'a payload shorter than announced is cut off, never padded');
});
