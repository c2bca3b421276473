// File states fetched ahead (lib/engine/prefetch.ts): the batched probe answers exactly what single
// probes answer, a cached state is only used while nothing may have changed, and a run where every
// task changes something does not fetch ahead. Real /bin/sh through LocalConnection, real files.
import t, { type Test } from 'tap';
import { mkdirSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { spawnSync } from 'node:child_process';
import { LocalConnection } from '../../lib/executor/local.js';
import type { Connection } from '../../lib/executor/types.js';
import { ProbeCache, LOOKAHEAD } from '../../lib/engine/prefetch.js';
import { probeOnce, type ProbeOptions } from '../../lib/modules/util/remote-file.js';
import { batchProbeScript, parseBatch } from '../../lib/modules/util/probe-batch.js';
import type { ProbeRequest } from '../../lib/modules/types.js';
import { run, recap } from '../helpers/run.js';
import { RecordingConnection } from '../helpers/recording.js';
import { registerModule } from '../../lib/modules/index.js';
import { defineModule } from '../../lib/modules/types.js';
import { shq } from '../../lib/executor/types.js';


const nul = Buffer.from([0, 1, 2, 255, 10, 0x40, 0x40, 0x20, 0x31, 10]); // NUL bytes and a fake "@@ 1" line

function tree(t: Parameters<Parameters<typeof t.test>[1]>[0]): string {
  const dir = t.testdir({ 'f.txt': 'hello\n', sub: { 'inner.txt': 'x' }, 'bin.dat': '' });
  writeFileSync(join(dir, 'bin.dat'), nul);
  symlinkSync(join(dir, 'f.txt'), join(dir, 'link'));
  symlinkSync(join(dir, 'gone'), join(dir, 'dangling'));
  // a long target with non-ASCII bytes and one that could pass for the batch's framing
  symlinkSync(`${join(dir, 'f.txt')}/../${'long-'.repeat(20)}é`, join(dir, 'long'));
  symlinkSync('@sn 0', join(dir, 'framing'));
  return dir;
}

t.test('a batch answers exactly what each probe answers alone', async (t) => {
  const dir = tree(t);
  const conn = new LocalConnection('h');
  const cases: Array<[string, ProbeOptions]> = [
    ['f.txt', {}],
    ['f.txt', { wantContent: true }],
    ['bin.dat', { wantContent: true }],
    ['sub', { checksum: false }],
    ['sub', { appendIfDir: 'inner.txt', wantContent: true, follow: true }],
    ['link', {}],
    ['link', { follow: true, wantContent: true }],
    ['dangling', { follow: true }],
    ['nope', {}],
    ['no/such/dir/file', {}],
    ["we ird 'q' $HOME", {}],
    ['long', {}],
    ['framing', {}],
    ['framing', { follow: true }],
  ];
  const items: ProbeRequest[] = cases.map(([p, opts]) => ({ path: join(dir, p), opts }));
  const r = await conn.exec(batchProbeScript(items));
  t.equal(r.exitCode, 0, r.stderr);
  const batched = parseBatch(items, r.raw);
  t.equal(batched.length, items.length);
  for (const [i, it] of items.entries()) {
    const alone = await probeOnce(conn, it.path, it.opts);
    t.same(batched[i], alone, `${cases[i]![0]} ${JSON.stringify(cases[i]![1])}`);
  }
  t.same(batched[2]!.content, nul, 'binary content intact');
  t.equal(batched[4]!.path, join(dir, 'sub/inner.txt'), 'appendIfDir applied');
  t.equal(batched[11]!.linkTarget, `${join(dir, 'f.txt')}/../${'long-'.repeat(20)}é`, 'a long non-ASCII target');
  t.equal(batched[12]!.linkTarget, '@sn 0', 'a target that looks like framing is a target');
  t.equal(r.stdout.split('\n').filter((l) => l.startsWith('@L')).length, 1, 'one readlink section for all links');
});

t.test('a batch that does not add up answers nothing (each probe is then asked alone)', async (t) => {
  const dir = tree(t);
  const items: ProbeRequest[] = [{ path: join(dir, 'f.txt'), opts: {} }, { path: join(dir, 'sub'), opts: {} }];
  const conn = new LocalConnection('h');
  const good = await conn.exec(batchProbeScript(items));
  t.equal(parseBatch(items, good.raw)[0]?.type, 'file');
  const text = good.raw.toString();
  const cut = (s: string) => parseBatch(items, Buffer.from(s));
  t.same(cut(text.replace(/^@sn.*\n.*\n/m, '@sn 0 1\n')), [undefined, undefined], 'a stat line missing');
  t.same(cut(text.replace('@end\n', '')), [undefined, undefined], 'cut off before the end');
  t.same(cut(text.replace(/^[0-9a-f]{64}/m, 'zz')), [undefined, undefined], 'a checksum line garbled');
  t.same(cut('garbage\n@end\n'), [undefined, undefined], 'unframed output');
  t.same(cut(text.replace('@ 1 ', '@ 7 ')), [undefined, undefined], 'an item that does not exist');
  t.same(cut(text.replace(/^@L.*\n/m, '')), [undefined, undefined], 'the link section missing');
  // a target holding a newline cannot be told from two: the batch fails, and the probe alone (hex) is exact
  for (const target of ['two\nlines', 'ends\n', '\n']) {
    rmSync(join(dir, 'nl'), { force: true });
    symlinkSync(target, join(dir, 'nl'));
    const nl: ProbeRequest[] = [{ path: join(dir, 'nl'), opts: {} }, { path: join(dir, 'link'), opts: {} }];
    const b = await conn.exec(batchProbeScript(nl));
    t.not(b.exitCode, 0, `${JSON.stringify(target)}: the batch fails`);
    t.same(parseBatch(nl, b.raw), [undefined, undefined]);
    t.equal((await probeOnce(conn, join(dir, 'nl'), {})).linkTarget, target, 'the single probe answers it');
  }
  t.same(cut(text.replace(/^@L.*\n/m, '@L 1\n')), [undefined, undefined], 'a target for an item that is no link');
  // a readlink that takes one path (busybox's): one per link, same answers
  const shim = join(dir, 'shim'); // (not t.testdir: it would replace dir)
  mkdirSync(shim);
  writeFileSync(join(shim, 'readlink'), '#!/bin/sh\n[ "$1" = -- ] && [ $# -eq 2 ] || exit 1\nexec /usr/bin/readlink -- "$2"\n', { mode: 0o755 });
  symlinkSync('t1', join(dir, 'l1'));
  symlinkSync('t2', join(dir, 'l2'));
  const two: ProbeRequest[] = [{ path: join(dir, 'l1'), opts: {} }, { path: join(dir, 'l2'), opts: {} }];
  const one = await conn.exec(`PATH=${shim}:$PATH\n${batchProbeScript(two)}`);
  t.equal(one.exitCode, 0, one.stderr);
  t.same(parseBatch(two, one.raw).map((p) => p?.linkTarget), ['t1', 't2']);
  // a file that vanishes between the type test and stat makes stat fail: the request exits non-zero
  const racy = batchProbeScript(items).replace('echo "@sn$sno"', `rm -f ${join(dir, 'f.txt')}; echo "@sn$sno"`);
  const r = await conn.exec(racy);
  t.not(r.exitCode, 0, 'stat failed on the vanished file');
});

t.test('paths that need quoting, a trailing slash, a relative path', async (t) => {
  const dir = t.testdir({ "it's $(here)": 'x', sub: {} });
  const conn = new LocalConnection('h');
  const items: ProbeRequest[] = [
    { path: join(dir, "it's $(here)"), opts: { wantContent: true } },
    { path: join(dir, 'sub') + '/', opts: {} },
    { path: join(dir, 'missing') + '/', opts: {} },
    { path: 'relative-nope', opts: {} },
    { path: join(dir, 'sub', 'new.txt'), opts: { appendIfDir: 'x' } },
  ];
  const r = await conn.exec(batchProbeScript(items));
  const batched = parseBatch(items, r.raw);
  for (const [i, it] of items.entries()) t.same(batched[i], await probeOnce(conn, it.path, it.opts), it.path);
  t.equal(batched[0]!.content?.toString(), 'x');
});

t.test('contents over the limit are not returned (as a single probe)', async (t) => {
  const dir = t.testdir({ big: 'x'.repeat(100), small: 'y' });
  const conn = new LocalConnection('h');
  const items: ProbeRequest[] = [
    { path: join(dir, 'big'), opts: { wantContent: true, maxContent: 99 } },
    { path: join(dir, 'small'), opts: { wantContent: true, maxContent: 99 } },
  ];
  const batched = parseBatch(items, (await conn.exec(batchProbeScript(items))).raw);
  t.equal(batched[0]!.content, undefined);
  t.equal(batched[0]!.size, 100);
  t.same(batched[1]!.content, Buffer.from('y'));
  for (const [i, it] of items.entries()) t.same(batched[i], await probeOnce(conn, it.path, it.opts));
});

t.test('cache: one request for the probe and the ones ahead, then hits until something may change', async (t) => {
  const dir = tree(t);
  const conn = new RecordingConnection(new LocalConnection('h'));
  const cache = new ProbeCache();
  const ahead = [join(dir, 'sub'), join(dir, 'link'), join(dir, 'nope')].map((path) => ({ path, opts: {} }));
  let asked = 0;
  const upcoming = async () => {
    asked++;
    return { probes: ahead, reads: [] };
  };
  const first = await cache.probe(conn, join(dir, 'f.txt'), {}, upcoming);
  t.equal(first.type, 'file');
  t.same(conn.labels, ['probe+3'], 'nothing changed since the run began: fetched ahead');
  for (const a of ahead) await cache.probe(conn, a.path, {}, upcoming);
  t.same(conn.labels, ['probe+3'], 'the three later probes are hits');
  t.equal(cache.stats.hits, 3);

  // different options are a different probe: a miss, asked on the host
  await cache.probe(conn, join(dir, 'sub'), { follow: true, checksum: false }, async () => ({ probes: [], reads: [] }));
  t.same(conn.labels, ['probe+3', 'probe']);

  // a request that is not readOnly, through the observed connection, invalidates every entry
  const seen = cache.observe(conn);
  await cache.probe(conn, join(dir, 'nope'), {}, upcoming); // hit
  t.equal(conn.labels.length, 2);
  await seen.exec(`echo new > ${join(dir, 'nope')}\n`, { label: 'write' });
  const after = await cache.probe(conn, join(dir, 'nope'), {}, upcoming);
  t.equal(after.exists, true, 'the change is seen: the cached "absent" was not used');
  t.equal(conn.labels.at(-1), 'probe+2', 'the previous batch paid off: fetched ahead again (the probe itself not twice)');
  await seen.exec(':\n', { label: 'read', readOnly: true });
  await cache.probe(conn, join(dir, 'sub'), {}, upcoming);
  t.equal(conn.labels.at(-1), 'read', 'a readOnly request keeps the entries');
  t.equal(asked, 2);
  t.equal(seen.stats, conn.stats, 'the observed connection shows the same stats');
});

t.test('cache: invalidate() (a module apply) outdates entries; states are per channel', async (t) => {
  const dir = tree(t);
  const a = new RecordingConnection(new LocalConnection('h'));
  const b = new RecordingConnection(new LocalConnection('h'));
  const cache = new ProbeCache();
  const up = async () => ({ probes: [{ path: join(dir, 'new.txt'), opts: {} }], reads: [] });
  await cache.probe(a, join(dir, 'f.txt'), {}, up);
  t.equal((await cache.probe(a, join(dir, 'new.txt'), {}, up)).exists, false, 'hit (absent)');
  t.same(a.labels, ['probe+1']);
  await cache.probe(b, join(dir, 'new.txt'), {}, async () => ({ probes: [], reads: [] }));
  t.same(b.labels, ['probe'], 'another channel does not see channel a\'s entries');
  writeFileSync(join(dir, 'new.txt'), 'now here');
  cache.invalidate();
  t.equal((await cache.probe(a, join(dir, 'new.txt'), {}, up)).exists, true);
});

t.test('cache: a converging run (a change after every probe) does not fetch ahead', async (t) => {
  const dir = tree(t);
  const conn = new RecordingConnection(new LocalConnection('h'));
  const cache = new ProbeCache();
  const seen = cache.observe(conn);
  const ahead = Array.from({ length: 40 }, (_, i) => ({ path: join(dir, `f${i}`), opts: {} }));
  let i = 0;
  const up = async () => ({ probes: ahead.slice(i + 1), reads: [] });
  for (i = 0; i < 6; i++) {
    await cache.probe(conn, ahead[i]!.path, {}, up);
    await seen.exec(`touch ${ahead[i]!.path}\n`, { label: 'write' });
  }
  const probes = conn.labels.filter((l) => l !== 'write');
  t.equal(probes[0], `probe+${LOOKAHEAD}`, 'the first probe fetches ahead (nothing changed yet), at most LOOKAHEAD');
  t.same(probes.slice(1), ['probe', 'probe', 'probe', 'probe', 'probe'], 'then single probes: every batch would be thrown away');
  t.equal(cache.stats.batches, 1);
});

t.test('cache: a channel\'s first probe fetches ahead even after a change elsewhere (a command ran first)', async (t) => {
  const dir = tree(t);
  const conn = new RecordingConnection(new LocalConnection('h'));
  const cache = new ProbeCache();
  const seen = cache.observe(conn);
  await seen.exec(':\n', { label: 'command' }); // not readOnly: the generation moves on
  const ahead = [join(dir, 'sub'), join(dir, 'nope')].map((path) => ({ path, opts: {} }));
  await cache.probe(conn, join(dir, 'f.txt'), {}, async () => ({ probes: ahead, reads: [] }));
  for (const a of ahead) await cache.probe(conn, a.path, {}, async () => ({ probes: [], reads: [] }));
  t.same(conn.labels, ['command', 'probe+2'], 'one batch, then hits');
  // after that, the usual rule: a change since this channel's previous probe, batch unused → single probes
  await seen.exec(':\n', { label: 'write' });
  await cache.probe(conn, join(dir, 'f.txt'), {}, async () => ({ probes: ahead, reads: [] }));
  await seen.exec(':\n', { label: 'write' });
  await cache.probe(conn, join(dir, 'f.txt'), {}, async () => ({ probes: ahead, reads: [] }));
  t.same(conn.labels.slice(2), ['write', 'probe+2', 'write', 'probe'], 'the paid-off batch earns one more; an unused one none');
});

t.test('cache: a batch that fails as a whole falls back to the single probe', async (t) => {
  const dir = tree(t);
  const inner = new LocalConnection('h');
  let calls = 0;
  const flaky: Connection = {
    host: 'h',
    kind: 'local',
    stats: inner.stats,
    open: () => inner.open(),
    close: () => inner.close(),
    exec: async (script, opts) => {
      calls++;
      if (opts?.label?.startsWith('probe+')) return { exitCode: 2, stdout: '', stderr: 'boom', raw: Buffer.alloc(0), durationMs: 0 };
      return inner.exec(script, opts);
    },
  };
  const p = await new ProbeCache().probe(flaky, join(dir, 'f.txt'), {}, async () => ({ probes: [{ path: join(dir, 'sub'), opts: {} }], reads: [] }));
  t.equal(p.type, 'file');
  t.equal(calls, 2);
});

// ---------------------------------------------------------------- through the runner

const INVENTORY = 'all:\n  vars:\n    ansible_connection: local\n  hosts:\n    h1: {}\n    h2: {}\n';

function requests(stdout: string): string[] {
  // LocalConnection's -vvv trace: `[host] label: script`
  return [...stdout.matchAll(/^\[(h\d)\] ([\w:.+-]+): /gm)].map((m) => `${m[1]} ${m[2]}`);
}

/** A play dir with the 2-host local inventory: write() the play (paths under `out`), then run(...flags). */
function playDir(t: Test, files: Record<string, unknown> = {}) {
  const dir = t.testdir({ 'play.yml': '', 'inventory.yml': INVENTORY, out: {}, ...files });
  return {
    out: join(dir, 'out'),
    write: (yaml: string) => writeFileSync(join(dir, 'play.yml'), yaml),
    run: (...flags: string[]) => run([join(dir, 'play.yml'), '-i', join(dir, 'inventory.yml'), ...flags]),
  };
}

t.test('runner: a command between two file tasks is seen by the second (no stale state)', async (t) => {
  const { out, write, run: play } = playDir(t);
  write(
    `- hosts: h1
  gather_facts: false
  tasks:
    - file: { path: "${out}/d", state: directory }
    - copy: { content: "v1\\n", dest: "${out}/d/f" }
`,
  );
  t.equal((await play()).code, 0);
  write(
    `- hosts: h1
  gather_facts: false
  tasks:
    - name: dir
      file: { path: "${out}/d", state: directory }
    - name: someone else changes the file
      command: sh -c 'echo tampered > ${out}/d/f'
      changed_when: false
    - name: content
      copy: { content: "v1\\n", dest: "${out}/d/f" }
    - name: mode
      file: { path: "${out}/d/f", mode: "0600" }
`,
  );
  const r = await play('-vvv');
  t.equal(r.code, 0, r.stdout);
  t.equal(readFileSync(join(out, 'd/f'), 'utf8'), 'v1\n', 'the tampered file was put back');
  t.equal(recap(r.stdout).h1!.changed, 2, 'content and mode changed');
  t.same(requests(r.stdout), ['h1 probe', 'h1 run', 'h1 probe', 'h1 write', 'h1 probe', 'h1 file'], 'the dir probe did not fetch past the command; after changes, single probes');
});

t.test('runner: a write by one host outdates what another host fetched (shared filesystem)', async (t) => {
  const { out, write, run: play } = playDir(t);
  mkdirSync(join(out, 'shared'));
  write(
    `- hosts: h1,h2
  gather_facts: false
  tasks:
    - name: look
      stat: { path: "${out}/shared" }
    - name: only h1 writes
      copy: { content: "from h1\\n", dest: "${out}/shared/f" }
      when: inventory_hostname == 'h1'
    - name: both read it
      stat: { path: "${out}/shared/f" }
      register: f
    - name: h2 sees h1's file
      assert: { that: [ "f.stat.exists" ] }
`,
  );
  const r = await play('-vvv');
  t.equal(r.code, 0);
  t.equal(recap(r.stdout).h2!.failed, 0, 'h2 did not use its stale "absent"');
  // (stat declares a read: its request carries the reads ahead)
  t.ok(requests(r.stdout).includes('h2 stat+stat'), 'h2 had fetched "shared/f" ahead at the first task (not the copy it is known to skip)');
});

t.test('runner: an unchanged run of file tasks costs one request; --check --diff too', async (t) => {
  const { out, write, run: play } = playDir(t, { templates: { 't.hbs': 'name={{ inventory_hostname }}\n' } });
  write(
    `- hosts: h1,h2
  gather_facts: false
  tasks:
    - file: { path: "${out}/{{ inventory_hostname }}", state: directory, mode: "0750" }
    - copy: { content: "a\\n", dest: "${out}/{{ inventory_hostname }}/a" }
    - template: { src: t.hbs, dest: "${out}/{{ inventory_hostname }}/t" }
    - file: { path: "${out}/{{ inventory_hostname }}/l", src: "${out}/{{ inventory_hostname }}/a", state: link }
    - stat: { path: "${out}/{{ inventory_hostname }}/a" }
`,
  );
  t.equal((await play()).code, 0);
  const again = await play('-vvv');
  t.equal(recap(again.stdout).h1!.changed, 0);
  // four file probes and stat's read
  t.same(requests(again.stdout).filter((l) => l.startsWith('h1')), ['h1 probe+3+stat'], 'five tasks, one request');
  writeFileSync(join(out, 'h1/a'), 'changed\n');
  const check = await play('-vvv', '--check', '--diff');
  t.equal(check.code, 0);
  t.same(
    requests(check.stdout).filter((l) => l.startsWith('h1')),
    ['h1 probe+3+stat', 'h1 probe'],
    '--check --diff: one request for the five, and one to read the old content of the one file that differs',
  );
  t.same(requests(check.stdout).filter((l) => l.startsWith('h2')), ['h2 probe+3+stat'], 'no content read where nothing differs');
  t.match(check.stdout, /-changed\n\+a\n/, 'the diff shows the file content fetched ahead');
  t.equal(readFileSync(join(out, 'h1/a'), 'utf8'), 'changed\n', '--check changed nothing');
});

t.test('runner: a retry (until) and wait_for never reuse a state fetched before them', async (t) => {
  const { out, write, run: play } = playDir(t);
  write(
    `- hosts: h1
  gather_facts: false
  tasks:
    - name: look at the dir (fetches the states below ahead)
      file: { path: "${out}", state: directory }
    - name: wait until it appears
      stat: { path: "${out}/late" }
      register: late
      until: late.stat.exists
      retries: 4
      delay: 1
    - name: wait for another
      wait_for: { path: "${out}/later", timeout: 10 }
    - name: it is there
      stat: { path: "${out}/later" }
      register: later
    - assert: { that: [ "later.stat.exists" ] }
`,
  );
  // created while the run waits; both paths were fetched ahead (absent) by the first task
  const timers = [setTimeout(() => writeFileSync(join(out, 'late'), ''), 500), setTimeout(() => writeFileSync(join(out, 'later'), ''), 1800)];
  t.teardown(() => timers.forEach(clearTimeout));
  const r = await play('-vvv');
  t.equal(r.code, 0, 'the retried stat saw the file appear, and the stat after wait_for saw the other');
  t.equal(requests(r.stdout)[0], 'h1 probe+0+stat+stat', "the first probe had fetched them ahead (the two stats' reads)");
  t.equal(recap(r.stdout).h1!.failed, 0);
});

t.test('runner: a no_log task is never fetched ahead (its path would show in another task\'s -vvv trace)', async (t) => {
  const { out, write, run: play } = playDir(t);
  write(
    `- hosts: h1
  gather_facts: false
  tasks:
    - file: { path: "${out}/a", state: directory }
    - name: hidden
      file: { path: "${out}/very-private-name", state: directory }
      no_log: true
    - file: { path: "${out}/b", state: directory }
`,
  );
  const r = await play('-vvv');
  t.equal(r.code, 0);
  t.notMatch(r.stdout, /very-private-name/, 'the no_log path appears nowhere');
  t.match(r.stdout, new RegExp(`${out}/b`), 'the task after it was still fetched ahead (or probed): shown');
});

// ---------------------------------------------------------------- module reads fetched ahead

/** A module whose plan makes one read (the file's content), announced by reads(): as service/etcdctl do. */
const readRequest = (a: { path: string }) => ({ script: `cat -- ${shq(a.path)} 2>/dev/null || echo absent\n`, opts: { label: 'test_read', readOnly: true } });
registerModule(
  defineModule<{ path: string }>({
    name: 'test_read',
    doc: { short: 'reads a file (prefetch tests)', check: 'full', diff: false },
    args: { path: { type: 'str', required: true, description: 'the file' } },
    reads: (a) => [readRequest(a)],
    async plan(ctx, a) {
      const q = readRequest(a);
      const r = await ctx.conn.exec(q.script, q.opts);
      return { changed: false, msg: r.stdout.trim(), result: { content: r.stdout.trim() } };
    },
    async apply() {
      throw new Error('test_read never changes anything');
    },
  }),
);

t.test('runner: module reads ride with the first request, each answers one task, a write outdates them', async (t) => {
  const { out, write, run: play } = playDir(t);
  writeFileSync(join(out, 'f'), 'v1\n');
  write(
    `- hosts: h1
  gather_facts: false
  tasks:
    - file: { path: "${out}", state: directory }
    - test_read: { path: "${out}/f" }
      register: one
    - test_read: { path: "${out}/f" }
      register: two
    - assert: { that: [ "one.content == 'v1'", "two.content == 'v1'" ] }
`,
  );
  const r = await play('-vvv');
  t.equal(r.code, 0, r.stdout);
  t.same(requests(r.stdout), ['h1 probe+0+test_read+test_read'], 'both reads came with the probe: the same read made by two tasks runs twice (one answer per request)');

  write(
    `- hosts: h1
  gather_facts: false
  tasks:
    - file: { path: "${out}", state: directory }
    - name: a write after the read was fetched
      copy: { content: "v2\\n", dest: "${out}/f" }
    - test_read: { path: "${out}/f" }
      register: now
    - assert: { that: [ "now.content == 'v2'" ] }
`,
  );
  const w = await play('-vvv');
  t.equal(w.code, 0, 'the read after the write saw v2, not the v1 fetched ahead');
  t.same(requests(w.stdout).slice(0, 1), ['h1 probe+1+test_read'], 'it had been fetched ahead');
  t.equal(requests(w.stdout).at(-1), 'h1 test_read', 'and was asked again after the write');
});

t.test('runner: a read is fetched ahead only when its task is known to run, with arguments known now', async (t) => {
  const { out, write, run: play } = playDir(t);
  for (const n of ['a', 'b', 'c', 'd']) writeFileSync(join(out, n), `${n}\n`);
  write(
    `- hosts: h1,h2
  gather_facts: false
  tasks:
    - name: registers a result the look-ahead cannot know
      stat: { path: "${out}/a" }
      register: st
    - name: condition on that result
      test_read: { path: "${out}/a" }
      when: st.stat.exists
    - name: argument from that result (default() cannot hide a pending result)
      test_read: { path: "${out}/{{ st.stat.missing_key | default('b') }}" }
    - name: known false
      test_read: { path: "${out}/c" }
      when: inventory_hostname == 'nobody'
    - name: known true, and only on the first host (run_once)
      test_read: { path: "${out}/d" }
      run_once: true
      when: not ansible_check_mode or st.stat.exists
`,
  );
  const r = await play('-vvv');
  t.equal(r.code, 0, r.stdout);
  // a host's first request as traced (its script spans lines, up to the first result line)
  const first = (h: string) => {
    const at = r.stdout.indexOf(`[${h}] `);
    return r.stdout.slice(at, r.stdout.indexOf('ok: [', at));
  };
  t.match(first('h1'), /^\[h1\] stat\+test_read: /, 'h1: only the run_once read, known to run, came along');
  t.match(first('h1'), `${out}/d`);
  for (const n of ['a', 'b', 'c']) t.notMatch(first('h1'), `${out}/${n} 2>`, `not fetched ahead: ${n}`);
  t.match(first('h2'), /^\[h2\] stat: /, 'h2 is not the run_once host: nothing to carry');
  t.same(
    requests(r.stdout).filter((l) => l.startsWith('h1')),
    ['h1 stat+test_read', 'h1 test_read+test_read'],
    'once the stat answered, the two reads that depended on it went together',
  );
});

t.test('runner: the look-ahead passes a command whose condition is not known yet, stops at one that runs', async (t) => {
  const { out, write, run: play } = playDir(t);
  writeFileSync(join(out, 'f'), 'v1\n');
  write(
    `- hosts: h1
  gather_facts: false
  tasks:
    - file: { path: "${out}", state: directory }
      register: d
    - name: a diagnostic that only runs when something failed (skipped)
      command: "false"
      when: d is failed
    - test_read: { path: "${out}/f" }
    - name: this one runs
      command: "true"
      changed_when: false
    - test_read: { path: "${out}/f" }
      register: last
`,
  );
  const r = await play('-vvv');
  t.equal(r.code, 0, r.stdout);
  t.same(requests(r.stdout), ['h1 probe+0+test_read', 'h1 run', 'h1 test_read'], 'fetched past the skipped command, not past the one that ran');
});

t.test('cache: a read batch that does not add up answers nothing; the request is asked alone', async (t) => {
  const inner = new LocalConnection('h');
  const labels: string[] = [];
  const broken: Connection = {
    host: 'h',
    kind: 'local',
    stats: inner.stats,
    open: () => inner.open(),
    close: () => inner.close(),
    exec: async (script, opts) => {
      labels.push(opts?.label ?? 'exec');
      const r = await inner.exec(script, opts);
      // the batch's output cut short, as a channel would never deliver it but a bug could
      return opts?.label?.includes('+') ? { ...r, raw: r.raw.subarray(0, r.raw.length - 1) } : r;
    },
  };
  const cache = new ProbeCache();
  const upcoming = async () => ({ probes: [], reads: [{ script: 'echo ahead\n', opts: { label: 'ahead', readOnly: true } }] });
  const seen = cache.observe(broken, { channel: broken, upcoming });
  const r = await seen.exec('echo now\n', { label: 'now', readOnly: true });
  t.equal(r.stdout, 'now\n');
  t.same(labels, ['now+ahead', 'now'], 'the batch, then the request alone');
  await seen.exec('echo ahead\n', { label: 'ahead', readOnly: true });
  t.equal(labels.at(-1), 'ahead', 'nothing from the broken batch was kept');
  t.equal(cache.stats.readHits, 0);
});

t.test('runner: the look-ahead goes on into later sections and plays on the same channel, not past a pending handler', async (t) => {
  const { out, write, run: play } = playDir(t);
  writeFileSync(join(out, 'f'), 'v1\n');
  writeFileSync(join(out, 'f2'), 'v2\n');
  // the debug task "changes" (no request): with notify, a handler is pending on h1 when the file task reads
  const plays = (notify: boolean, between = '') => `- hosts: h1
  gather_facts: false
  tasks:
    - debug: { msg: hello }
      changed_when: ${notify}
      notify: noted
    - file: { path: "${out}", state: directory }
  post_tasks:
    - test_read: { path: "${out}/f" }
  handlers:
    - name: noted
      debug: { msg: handled }
${between}- hosts: h1,h2
  gather_facts: false
  tasks:
    - test_read: { path: "${out}/f2" }
      run_once: true
`;
  const h1 = (r: { stdout: string }) => requests(r.stdout).filter((l) => l.startsWith('h1'));
  write(plays(false));
  let r = await play('-vvv');
  t.equal(r.code, 0, r.stdout);
  t.same(h1(r), ['h1 probe+0+test_read+test_read'], 'post_tasks and the next play: read in the first request');

  write(plays(true));
  r = await play('-vvv');
  t.equal(r.code, 0, r.stdout);
  t.same(h1(r), ['h1 probe', 'h1 test_read+test_read'], 'a handler pending on h1: not past the section; after it ran, on again');

  // a play between that leaves h1 out: other hosts run first, the look-ahead stops there
  write(plays(false, `- hosts: h2\n  gather_facts: false\n  tasks:\n    - debug: { msg: only h2 }\n`));
  r = await play('-vvv');
  t.equal(r.code, 0, r.stdout);
  t.same(h1(r), ['h1 probe+0+test_read', 'h1 test_read'], 'not past a play without h1');
});

t.test('runner: the look-ahead stops at a templated include (its tasks are known only when it runs)', async (t) => {
  const { out, write, run: play } = playDir(t, { 'tamper.yml': '' });
  write(
    `- hosts: h1
  gather_facts: false
  tasks:
    - file: { path: "${out}/d", state: directory }
    - copy: { content: "v1\\n", dest: "${out}/d/f" }
`,
  );
  t.equal((await play()).code, 0);
  const dir = join(out, '..');
  writeFileSync(join(dir, 'tamper.yml'), `- name: someone else changes the file\n  command: sh -c 'echo tampered > ${out}/d/f'\n  changed_when: false\n`);
  write(
    `- hosts: h1
  gather_facts: false
  vars: { what: tamper }
  tasks:
    - name: dir
      file: { path: "${out}/d", state: directory }
    - include_tasks: "{{ what }}.yml"
    - name: content
      copy: { content: "v1\\n", dest: "${out}/d/f" }
`,
  );
  const r = await play('-vvv');
  t.equal(r.code, 0, r.stdout);
  t.equal(readFileSync(join(out, 'd/f'), 'utf8'), 'v1\n', 'the tampered file was put back');
  t.equal(recap(r.stdout).h1!.changed, 1, 'content changed');
});

t.test('runner: tasks of a dynamic include whose condition is not known yet: their probes are fetched, their reads are not', async (t) => {
  const { out, write, run: play } = playDir(t, { 'inc.yml': '' });
  for (const n of ['a', 'b']) writeFileSync(join(out, n), `${n}\n`);
  writeFileSync(
    join(out, '..', 'inc.yml'),
    `- name: a read in the include (a process or more on the host, not fetched for a task that may be skipped)
  test_read: { path: "${out}/a" }
- name: a file in the include (a probe, cheap, fetched)
  file: { path: "${out}/b", state: file }
`,
  );
  write(
    `- hosts: h1
  gather_facts: false
  tasks:
    - file: { path: "${out}", state: directory }
      register: d
    - include_tasks: inc.yml
      when: d is not failed
    - test_read: { path: "${out}/b" }
      register: after
    - assert: { that: [ "after.content == 'b'" ] }
`,
  );
  const r = await play('-vvv');
  t.equal(r.code, 0, r.stdout);
  t.same(
    requests(r.stdout),
    ['h1 probe+1+test_read', 'h1 test_read'],
    "the first request carried the include's file probe and the read after the include; the include's read went alone",
  );
  const first = r.stdout.slice(r.stdout.indexOf('[h1] probe+1+test_read: '), r.stdout.indexOf('ok: [h1]'));
  t.notMatch(first, `${out}/a 2>`, "the include's read was not in it");
});
