// Several read-only requests in one (lib/engine/read-batch.ts): each answers exactly what it answers
// alone (exit code, stdout bytes, stderr), payloads reach the right request without any file or
// argv, and output that does not add up is refused. Real /bin/sh through LocalConnection.
import t from 'tap';
import { readdirSync } from 'node:fs';
import { LocalConnection } from '../../lib/executor/local.js';
import { batchableStdin, parseReadBatch, readBatchScript, readKey, type ReadRequest } from '../../lib/engine/read-batch.js';

const CASES: ReadRequest[] = [
  { script: 'echo one; echo err >&2; exit 3', opts: { label: 'a' } },
  { script: "printf 'no newline'", opts: {} },
  { script: "printf '\\000\\001\\377\\n\\n\\n'", opts: {} }, // NUL, invalid UTF-8, trailing newlines
  { script: 'cat', opts: { stdin: 'line one\n  spaced \\back\\slash\n\n' } }, // blanks, backslashes, an empty line
  { script: 'IFS= read -r a; IFS= read -r b; echo "[$a|$b]"; cat', opts: { stdin: 'user:pa ss\n\nrest\n' } },
  { script: 'cat; echo "nothing came"', opts: {} }, // no payload: stdin is empty, not the batch's
  { script: 'case x in x) echo "a case )" ;; esac\n# a trailing comment', opts: {} },
  { script: 'cat <<EOF\nhere $((1 + 2))\nEOF', opts: {} },
  { script: 'f() { return 4; }; f; echo "rc=$?"; set -- a b; echo "$#"', opts: {} },
  { script: 'echo "${__bosun_rv0:-unset} ${__bosun_rd:-unset} $#"', opts: {} }, // the batch's own names are not visible
  { script: 'exit 0', opts: {} },
];

t.test('a batch answers every request exactly as it answers alone', async (t) => {
  const conn = new LocalConnection('h');
  const r = await conn.exec(readBatchScript(CASES), { stdin: CASES.map((c) => batchableStdin(c.opts)).join('') });
  t.equal(r.exitCode, 0, r.stderr);
  const answers = parseReadBatch(r.raw, CASES.length);
  for (const [i, c] of CASES.entries()) {
    const alone = await conn.exec(c.script, c.opts);
    t.same(
      { exitCode: answers[i]!.exitCode, raw: answers[i]!.raw, stderr: answers[i]!.stderr },
      { exitCode: alone.exitCode, raw: alone.raw, stderr: alone.stderr },
      `${i}: ${JSON.stringify(c.script.slice(0, 40))}`,
    );
    t.equal(answers[i]!.stdout, alone.stdout);
  }
  t.equal(answers[4]!.stdout, '[user:pa ss|]\nrest\n', 'each payload reaches its own request, in order');
  t.equal(answers[9]!.stdout, 'unset unset 0\n');
});

t.test('payloads never appear in the script text, and the private directory is removed', async (t) => {
  // a TMPDIR of its own: other test files running at the same time make and remove their own
  const tmp = t.testdir({});
  const saved = process.env.TMPDIR;
  process.env.TMPDIR = tmp;
  t.teardown(() => {
    if (saved === undefined) delete process.env.TMPDIR;
    else process.env.TMPDIR = saved;
  });
  const secret = 'S3cr3t-pw';
  const reqs: ReadRequest[] = [
    { script: 'IFS= read -r a; echo "${#a}"', opts: { stdin: `root:${secret}\n` } },
    { script: 'sleep 0.2; echo late', opts: {} },
    // the batch's private directory is in this TMPDIR while it runs (the check below is not vacuous)
    { script: 'ls "$TMPDIR" | grep -c "^bosun-reads\\."', opts: {} },
  ];
  const script = readBatchScript(reqs);
  t.notMatch(script, secret);
  const conn = new LocalConnection('h');
  const r = await conn.exec(script, { stdin: reqs.map((q) => batchableStdin(q.opts)).join('') });
  t.same(parseReadBatch(r.raw, 3).map((a) => a.stdout), [`${`root:${secret}`.length}\n`, 'late\n', '1\n'], 'all answered (concurrently; the slow one last)');
  t.equal(readdirSync(tmp).filter((n) => n.startsWith('bosun-reads.')).length, 0, 'no directory left behind');
});

t.test('only whole lines of text ride in a batch', async (t) => {
  t.equal(batchableStdin({}), '');
  t.equal(batchableStdin({ stdin: 'a\nb\n' }), 'a\nb\n');
  t.equal(batchableStdin({ stdin: Buffer.from('x\n') }), 'x\n');
  t.equal(batchableStdin({ stdin: 'no end' }), null, 'a last line without its newline');
  t.equal(batchableStdin({ stdin: 'nul\0\n' }), null);
  t.equal(batchableStdin({ stdin: Buffer.from([0xff, 0x0a]) }), null, 'bytes that are not UTF-8 text');
  t.equal(batchableStdin({ stdin: { length: 1, chunks: async function* () {} } }), null, 'a streamed payload');
  t.equal(batchableStdin({ stdoutSink: () => {} }), null, 'a streamed answer');
  t.not(readKey('cat', 'a\n'), readKey('cat', ''), 'the payload is part of the question');
  t.not(readKey('x', 'ab'), readKey('xab', ''), 'no ambiguity between payload and script');
});

t.test('output that does not add up is refused', async (t) => {
  const conn = new LocalConnection('h');
  const reqs: ReadRequest[] = [{ script: 'echo a', opts: {} }, { script: 'echo bb >&2', opts: {} }];
  const good = (await conn.exec(readBatchScript(reqs))).raw;
  t.same(parseReadBatch(good, 2).map((a) => [a.stdout, a.stderr]), [['a\n', ''], ['', 'bb\n']]);
  const text = good.toString('latin1');
  const bad = (s: string) => () => parseReadBatch(Buffer.from(s, 'latin1'), 2);
  t.throws(() => parseReadBatch(good, 3), /header/, 'another number of requests');
  t.throws(bad(text.replace('bosun-reads', 'bosun-read')), /header/);
  t.throws(bad(text + 'x'), /trailing/);
  t.throws(bad(text.slice(0, -1)), /announces/, 'cut off');
  t.throws(bad(text.replace(/ 1o\n/, ' 1e\n')), /size line/);
  t.throws(bad(text.replace(/^\s*\d+\s+total\n/m, '')), /total|size/);
  t.throws(bad(''), /cut off/);
});
