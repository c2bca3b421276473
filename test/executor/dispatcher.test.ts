// The channel's remote loop (channel-script.ts) under the shells a host's `sh` may be: dash
// (Debian) and bash in POSIX mode (RHEL), the latter in a UTF-8 locale where `${#var}` counts
// characters. Both response paths (files; text from a shell variable) must give the same exact
// answers; a shell that fails the bootstrap self-test answers text requests from files; a wrong
// text length is a protocol error, never a wrong answer. The loop runs in a local shell started
// as ssh's remote side would start it (the same ChannelConnection), with `wc` and `head` shims on
// PATH that log each call, so the test sees which programs a request starts.
import t, { type Test } from 'tap';
import { chmodSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { tmpdir } from 'node:os';
import { bootstrapCommand, READ_MAX } from '../../lib/executor/channel-script.js';
import { ChannelConnection, LINE_SCRIPT_MAX, OpenFailure, type Channel } from '../../lib/executor/channel.js';
import { LocalConnection } from '../../lib/executor/local.js';
import { UnreachableError } from '../../lib/errors.js';
import type { ExecOptions } from '../../lib/executor/types.js';
import { batchProbeScript, parseBatch } from '../../lib/modules/util/probe-batch.js';
import { probeOnce } from '../../lib/modules/util/remote-file.js';

interface Setup {
  /** The shell that runs the loop (as `sh` would on the host). */
  shell: string;
  env?: Record<string, string>;
  /** A sed expression applied to the loop before it runs (to break it on purpose). */
  patch?: string;
}

class LocalShChannel extends ChannelConnection {
  readonly kind = 'local-sh';
  constructor(
    private readonly setup: Setup,
    private readonly bin: string,
  ) {
    super({ name: 'here', connection: 'local-sh', address: '' }, { retryDelaysMs: [] });
  }
  protected command() {
    let boot = bootstrapCommand().replace(/^sh /, `${this.setup.shell} `);
    if (this.setup.patch) boot = boot.replace('head -c "$n"', 'head -c "$n" | sed "$PATCH"');
    const env: NodeJS.ProcessEnv = { PATH: `${this.bin}:/usr/bin:/bin`, HOME: process.env.HOME, ...this.setup.env, ...(this.setup.patch ? { PATCH: this.setup.patch } : {}) };
    return { bin: '/bin/sh', args: ['-c', boot], env };
  }
  protected openFailure(ch: Channel) {
    return new OpenFailure(`local shell exited ${ch.exitCode}: ${ch.stderr}`, false);
  }
}

/** A directory of `wc`/`head` shims that log their calls to `calls`. */
function shims(t: Test): { bin: string; calls: () => string[] } {
  // not t.testdir: a test's fixture dir is one, and the batch test needs its own files there
  const bin = mkdtempSync(join(tmpdir(), 'bosun-shims-'));
  t.teardown(() => rmSync(bin, { recursive: true, force: true }));
  const log = join(bin, 'calls');
  writeFileSync(log, '');
  for (const p of ['wc', 'head']) {
    writeFileSync(join(bin, p), `#!/bin/sh\necho ${p} >> '${log}'\nexec /usr/bin/${p} "$@"\n`);
    chmodSync(join(bin, p), 0o755);
  }
  return { bin, calls: () => readFileSync(log, 'utf8').split('\n').filter(Boolean) };
}

function channel(t: Test, setup: Setup) {
  const s = shims(t);
  const c = new LocalShChannel(setup, s.bin);
  t.teardown(() => c.close());
  /** The request's answer and the programs the loop started for it. */
  const run = async (script: string, opts: ExecOptions = {}) => {
    await c.open(); // the bootstrap's own head is not the request's
    const before = s.calls().length;
    const r = await c.exec(script, opts);
    return { ...r, calls: s.calls().slice(before) };
  };
  return { c, run };
}

const SHELLS: Setup[] = [
  { shell: 'dash' },
  { shell: 'bash --posix', env: { LANG: 'C.UTF-8' } },
  { shell: 'bash --posix', env: { LC_ALL: 'C.UTF-8' } },
];
const label = (s: Setup) => `${s.shell} ${JSON.stringify(s.env ?? {})}`;

// output cases: [script, stdout, stderr, exit code]
const CASES: Array<[string, string, string, number]> = [
  [`printf 'é ✓ 日本\\n'`, 'é ✓ 日本\n', '', 0],
  [`printf 'trailing\\n\\n\\n'`, 'trailing\n\n\n', '', 0],
  [`printf ''`, '', '', 0],
  [`printf 'no newline.7'`, 'no newline.7', '', 0],
  [`printf '.\\n'; exit 3`, '.\n', '', 3],
  [`echo out; echo 'ërr' >&2; exit 7`, 'out\n', 'ërr\n', 7],
  [`echo "BOSUN-0 0 5 5 t"; echo x >&2`, 'BOSUN-0 0 5 5 t\n', 'x\n', 0],
  [`echo before; kill -TERM $(sh -c 'echo $PPID')`, 'before\n', '', 143],
  [`set -e; echo a; false; echo b`, 'a\n', '', 1],
  [`echo "[$#\${_bm-}\${_bo-}\${_btx-}\${_brc-}]"; command -v _blen _bcat || echo clean`, '[0]\nclean\n', '', 0],
];

for (const setup of SHELLS) {
  t.test(`${label(setup)}: text and files answer the same`, async (t) => {
    const { c, run } = channel(t, setup);
    for (const text of [false, true])
      for (const [script, out, err, code] of CASES) {
        const r = await run(`${script}\n`, { text });
        t.same([r.stdout, r.stderr, r.exitCode], [out, err, code], `${text ? 'text' : 'files'}: ${script}`);
      }
    // a script that does not parse fails like any other
    const bad = await run('if then fi\n', { text: true });
    t.not(bad.exitCode, 0);
    t.match(bad.stderr, /syntax|unexpected/);
    t.equal((await run('echo "${LC_ALL-unset}"\n', { text: true })).stdout, `${setup.env?.LC_ALL ?? 'unset'}\n`, 'LC_ALL put back as it was');
    // payloads, both script paths (lines; bytes for long or unterminated scripts)
    const long = `: '${'x'.repeat(LINE_SCRIPT_MAX)}'\ncat\n`;
    for (const script of ['cat\n', 'cat', long])
      for (const text of [false, true]) t.equal((await run(script, { text, stdin: 'in\nput é' })).stdout, 'in\nput é', `payload: ${script.length} bytes, text ${text}`);
    t.equal((await run("printf '%s|' 'back\\slash  ' '\ttab' 'cr\r'; echo\n")).stdout, 'back\\slash  |\ttab|cr\r|\n', 'a short script arrives byte for byte');
    for (const text of [false, true]) {
      const bytes = await run("printf '\\377\\376 \\303\\251.\\n\\n'\n", { text });
      t.same(bytes.raw, Buffer.from([0xff, 0xfe, 0x20, 0xc3, 0xa9, 0x2e, 10, 10]), `invalid UTF-8 bytes exact, text ${text}`);
    }
    t.equal(c.stats.processes, 1, 'one shell for everything');
  });

  t.test(`${label(setup)}: which programs a request starts`, async (t) => {
    const { run } = channel(t, setup);
    // NUL survives the files path; a text response drops it (it is a shell variable): this is
    // what proves the text path ran, and why user commands never use it
    const files = await run("printf 'a\\000b'\n");
    t.same(files.raw, Buffer.from('a\0b'));
    t.same(files.calls, ['wc', 'head'], 'files: wc for the lengths, head for an output with a NUL');
    const small = await run("printf 'small\\n\\nno newline'; printf 'é' >&2\n");
    t.same([small.stdout, small.stderr, small.calls], ['small\n\nno newline', 'é', ['wc']], 'a short output goes through read: wc only');
    const big = await run(`printf '%0${READ_MAX + 1}d' 0\n`);
    t.same([big.raw.length, big.calls], [READ_MAX + 1, ['wc', 'head']], 'a longer one through head');
    const text = await run("printf 'a\\000b\\n'\n", { text: true });
    t.equal(text.stdout, 'ab\n');
    t.same(text.calls, [], 'text: no program at all for a short script');
    t.same((await run('echo x >&2\n', { text: true })).calls, ['wc'], 'text with stderr: wc for it');
    t.same((await run('true\n')).calls, [], 'files, nothing printed: no wc');
    // a job left writing lines to the output: the answer is still exactly the announced bytes, and comes
    const pid = join(tmpdir(), `bosun-writer-${process.pid}-${setup.shell.length}`);
    t.teardown(() => {
      try {
        process.kill(Number(readFileSync(pid, 'utf8')));
      } catch {
        // already gone
      }
      rmSync(pid, { force: true });
    });
    const busy = await run(`(while :; do echo more; done) & echo $! > ${pid}; echo first\n`);
    t.match(busy.stdout, /^(first\n|more\n)+$/, 'whole lines of the file as wc counted it');
    t.equal((await run('echo next\n')).stdout, 'next\n', 'the channel stays in step');
    t.same((await run(`: '${'x'.repeat(LINE_SCRIPT_MAX)}'\n`, { text: true })).calls, ['head'], 'a long script is read by head');
  });
}

t.test('a shell whose ${#var} counts characters answers text requests from files', async (t) => {
  // bash in a UTF-8 locale with the loop's LC_ALL=C turned into a UTF-8 one: é counts 1
  const { run } = channel(t, { shell: 'bash --posix', env: { LANG: 'C.UTF-8' }, patch: 's/LC_ALL=C;/LC_ALL=C.UTF-8;/g' });
  const r = await run("printf 'é\\000✓\\n\\n'\n", { text: true });
  t.same(r.raw, Buffer.from('é\0✓\n\n'), 'exact, NUL included: the files path');
  t.same(r.calls, ['wc', 'head']);
  for (const [script, out, err, code] of CASES) {
    const x = await run(`${script}\n`, { text: true });
    t.same([x.stdout, x.stderr, x.exitCode], [out, err, code], script);
  }
});

t.test('open() on a live channel does not wait behind a request in flight (a task starting while reads fetched ahead run)', async (t) => {
  const { c } = channel(t, { shell: 'dash' });
  await c.open();
  const slow = c.exec('sleep 0.4; echo slow\n');
  let settled = false;
  void slow.then(() => (settled = true));
  await c.open();
  t.notOk(settled, 'open() returned while the request was still running');
  t.equal((await slow).stdout, 'slow\n');
  await c.close();
  await c.open();
  t.equal((await c.exec('echo again\n')).stdout, 'again\n', 'a closed connection opens again');
});

t.test('a wrong text length is a protocol error, not a wrong answer', async (t) => {
  // the self-test's 2 bytes still count 2, longer outputs one byte short
  const { c, run } = channel(t, { shell: 'dash', patch: 's/_bl=\\${#_bo}/_bl=$((${#_bo} > 5 ? ${#_bo} - 1 : ${#_bo}))/g' });
  t.equal((await run('echo hi\n', { text: true })).stdout, 'hi\n');
  await t.rejects(run('echo 123456789\n', { text: true }), UnreachableError);
  t.equal((await run('echo 123456789\n')).stdout, '123456789\n', 'the next request opens a fresh channel (files path)');
  t.equal(c.stats.processes, 2);
});

t.test('a probe batch over the channel (text) answers what it answers locally', async (t) => {
  const dir = t.testdir({ 'f.txt': 'hello\n', 'bin.dat': 'x', sub: {} });
  writeFileSync(join(dir, 'bin.dat'), Buffer.from([0, 1, 255, 10]));
  symlinkSync(join(dir, 'f.txt'), join(dir, 'link'));
  symlinkSync(`t @sn ${'é'.repeat(30)}`, join(dir, 'odd'));
  const items = [
    { path: join(dir, 'f.txt'), opts: {} },
    { path: join(dir, 'bin.dat'), opts: { wantContent: true } },
    { path: join(dir, 'link'), opts: { follow: true } },
    { path: join(dir, 'odd'), opts: {} },
    { path: join(dir, 'sub'), opts: { appendIfDir: 'f.txt' } },
    { path: join(dir, 'nope'), opts: {} },
  ];
  const local = new LocalConnection('h');
  for (const setup of SHELLS) {
    const { c, run } = channel(t, setup);
    const r = await run(batchProbeScript(items), { text: true });
    t.equal(r.exitCode, 0, r.stderr);
    t.same(r.calls.filter((p) => p !== 'head'), [], `${label(setup)}: no wc (the script itself is read by head)`);
    const batched = parseBatch(items, r.raw);
    for (const [i, it] of items.entries()) {
      t.same(batched[i], await probeOnce(local, it.path, it.opts), `${label(setup)}: ${it.path}`);
      t.same(await probeOnce(c, it.path, it.opts), batched[i], `${label(setup)}: single probe over the channel`);
    }
    t.same(batched[1]!.content, Buffer.from([0, 1, 255, 10]), 'binary content (hex in the text)');
    t.equal(batched[3]!.linkTarget, `t @sn ${'é'.repeat(30)}`);
    t.match(batched[4], { path: join(dir, 'sub', 'f.txt'), exists: false, parentExists: true });
    t.equal(batched[2]!.type, 'file');
  }
});
