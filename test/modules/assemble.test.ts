// assemble: Ansible's concatenation byte for byte (expectations printed by Python's assemble code:
// codecs.escape_decode, the newline and delimiter rules), fragments from the host in the same request
// as dest's state, or from the control node; validate, backup, diff; a no-op is one request.
import t from 'tap';
import { existsSync, mkdirSync, readFileSync, readdirSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import assemble, { type AssembleArgs } from '../../lib/modules/assemble.js';
import { assembleFragments, byCodePoint, escapeDecode } from '../../lib/modules/util/fragments.js';
import { validateArgs } from '../../lib/modules/args.js';
import { runTask, fakeContext } from '../helpers/fake-ctx.js';

const args = (raw: Record<string, unknown>) => validateArgs(assemble, raw, {}) as unknown as AssembleArgs;
const frag = (name: string, s: string) => ({ name, data: Buffer.from(s) });

t.test('escape_decode, the delimiter and newline rules, name order', async (t) => {
  t.same(escapeDecode(Buffer.from('a\\nb')), Buffer.from('a\nb'));
  t.same(escapeDecode(Buffer.from('é\\x41')), Buffer.from('éA'), 'UTF-8 kept, \\xHH decoded');
  t.same(escapeDecode(Buffer.from('\\q\\101\\t')), Buffer.from('\\qA\t'), 'unknown escapes stay, octal decoded');
  t.throws(() => escapeDecode(Buffer.from('x\\')), /Trailing \\/);
  t.throws(() => escapeDecode(Buffer.from('\\xZZ')), /invalid \\x escape/);
  // (python3: assemble_from_fragments on these fragments)
  t.equal(assembleFragments([frag('a', 'a=1\n'), frag('b', 'b=2'), frag('c', 'c\n')], '### \\x41').toString(), 'a=1\n### A\nb=2\n### A\nc\n');
  t.equal(assembleFragments([frag('a', 'a'), frag('b', 'b')], undefined).toString(), 'a\nb', 'a newline between, none at the end');
  t.equal(assembleFragments([frag('a', ''), frag('b', 'x')], 'D\\n').toString(), '\nD\nx', 'an empty fragment lacks a newline too; a delimiter ending in one gets no other');
  t.equal(assembleFragments([frag('a', '1\n'), frag('b', '2\n'), frag('c', '3\n')], '\\\\n').toString(), '1\n\\n\n2\n\n3\n', 'decoded again at each use, as Ansible');
  t.same(['b', 'Z', '.h', 'a', 'é', '_'].sort(byCodePoint), ['.h', 'Z', '_', 'a', 'b', 'é']);
});

t.test('from the host: assembled, idempotent in one request, validate, backup, diff', async (t) => {
  const dir = t.testdir({ frags: { '01-a': 'a=1\n', '02-b': 'b=2', '.hidden': 'h\n', 'x.skip': 'no\n', sub: { in: 'no\n' } } });
  symlinkSync(join(dir, 'frags', '01-a'), join(dir, 'frags', '03-link'));
  const src = join(dir, 'frags');
  const dest = join(dir, 'app.conf');
  const a = args({ src, dest, regexp: '^\\d', delimiter: '#--', mode: '0640' });
  const ctx = fakeContext({ diff: true });
  const r1 = await runTask(assemble, ctx, a);
  t.equal(r1.outcome.changed, true);
  t.equal(readFileSync(dest, 'utf8'), 'a=1\n#--\nb=2\n#--\na=1\n', 'regexp, links to files followed, sub-directories skipped');
  t.equal(statSync(dest).mode & 0o777, 0o640);
  t.match(r1.outcome.result, { dest, src, checksum: /^[0-9a-f]{40}$/, md5sum: /^[0-9a-f]{32}$/, size: 20, mode: '0640', state: 'file' });
  t.equal(r1.outcome.msg, 'OK', "Ansible's message");
  t.match(r1.plan.diff, [{ path: dest, before: '', after: 'a=1\n#--\nb=2\n#--\na=1\n' }]);
  const ctx2 = fakeContext();
  const r2 = await runTask(assemble, ctx2, a);
  t.equal(r2.outcome.changed, false, 'idempotent');
  t.equal(ctx2.conn.stats.requests, 1, 'a no-op is one request (fragments and dest together)');

  const hidden = await runTask(assemble, fakeContext(), args({ src: src + '/', dest, backup: true }));
  t.equal(readFileSync(dest, 'utf8'), 'h\na=1\nb=2\na=1\nno\n', 'hidden names first, kept unless ignore_hidden');
  t.match(hidden.outcome.result, { backup_file: new RegExp(`^${dest}\\.\\d{14}~$`) });
  t.equal(readFileSync(String((hidden.outcome.result as Record<string, unknown>).backup_file), 'utf8'), 'a=1\n#--\nb=2\n#--\na=1\n');

  const before = readFileSync(dest);
  await t.rejects(runTask(assemble, fakeContext(), args({ src, dest, ignore_hidden: true, validate: 'false %s' })), /failed to validate: rc:1/);
  t.same(readFileSync(dest), before, 'a failed validate leaves dest as it was');
  t.notOk(readdirSync(dir).some((n) => n.startsWith('.bosun-')), 'no temp file left');

  const check = fakeContext({ check: true });
  const c = await runTask(assemble, check, args({ src, dest, ignore_hidden: true }));
  t.equal(c.plan.changed, true, 'check mode predicts the change (Ansible skips the task)');
  t.same(readFileSync(dest), before, 'and writes nothing');
  const planned = await runTask(assemble, fakeContext({ check: true }), args({ src: join(dir, 'not-yet'), dest }));
  t.match(planned.plan, { changed: true, msg: /src does not exist yet/ }, 'check mode: fragments an earlier task would make');
  await t.rejects(runTask(assemble, fakeContext(), args({ src: join(dir, 'not-yet'), dest })), /does not exist/, 'a real run fails');
});

t.test('from the control node (remote_src: false)', async (t) => {
  const dir = t.testdir({ files: { d: { b: 'B\n', a: 'A\n' } } });
  const dest = join(dir, 'out');
  const ctx = fakeContext({ baseDir: join(dir, 'files') });
  const r = await runTask(assemble, ctx, args({ src: 'd', dest, remote_src: false }));
  t.equal(readFileSync(dest, 'utf8'), 'A\nB\n');
  t.equal(r.outcome.msg?.startsWith('created'), true);
  const again = fakeContext({ baseDir: join(dir, 'files') });
  t.equal((await runTask(assemble, again, args({ src: 'd', dest, remote_src: false }))).outcome.changed, false);
  t.equal(again.conn.stats.requests, 1, 'a no-op is dest\'s probe only');
  await t.rejects(runTask(assemble, fakeContext({ baseDir: dir }), args({ src: 'files/d/a', dest, remote_src: false })), /is not a directory/);
  await t.rejects(runTask(assemble, fakeContext({ baseDir: dir }), args({ src: 'nope', dest, remote_src: false })), { code: 'E_MISSING_FILE' });
});

t.test('bad arguments and sources: one-line errors, nothing written', async (t) => {
  const dir = t.testdir({ f: 'x' });
  mkdirSync(join(dir, 'd'));
  t.throws(() => assemble.validate!(args({ src: dir, dest: join(dir, 'o'), validate: 'true' })), /validate must contain %s/);
  t.throws(() => assemble.validate!(args({ src: dir, dest: join(dir, 'o'), regexp: '(' })), /assemble: regexp "\(":/);
  t.throws(() => args({ src: dir }), /missing required argument 'dest'/);
  t.throws(() => args({ src: dir, dest: 'x', remote_src: 'maybe' }), /remote_src/);
  await t.rejects(runTask(assemble, fakeContext(), args({ src: join(dir, 'nope'), dest: join(dir, 'o') })), new RegExp(`Source \\(${dir}/nope\\) does not exist`));
  await t.rejects(runTask(assemble, fakeContext(), args({ src: join(dir, 'f'), dest: join(dir, 'o') })), /is not a directory/);
  await t.rejects(runTask(assemble, fakeContext(), args({ src: join(dir, 'd'), dest: join(dir, 'd') })), /is a directory/);
  t.notOk(existsSync(join(dir, 'o')));
  // an empty choice writes an empty file, as Ansible
  await runTask(assemble, fakeContext(), args({ src: join(dir, 'd'), dest: join(dir, 'o') }));
  t.equal(readFileSync(join(dir, 'o'), 'utf8'), '');
});
