// Long waits: elapsed time on a TTY (one line rewritten in place), plain lines when not a TTY.
import t from 'tap';
import { ConsoleReporter } from '../../lib/output/console.js';
import { Masker } from '../../lib/output/mask.js';
import { WaitTracker, formatElapsed, renderWaitLine, withElapsed } from '../../lib/output/progress.js';
import type { HostResult, TaskInfo } from '../../lib/engine/report.js';

const task: TaskInfo = { name: 'health', title: 'etcd : wait for quorum', kind: 'task', module: 'etcdctl', tags: [] };
const res = (host: string): HostResult => ({ host, status: 'ok', result: {}, noLog: false, durationMs: 5000 });

function reporter(o: { tty: boolean; verbosity?: number; columns?: number; tickSeconds?: number }, secrets: string[] = []) {
  let clock = 1_000_000;
  let out = '';
  const r = new ConsoleReporter((s) => void (out += s), new Masker(new Set(secrets)), {
    verbosity: o.verbosity ?? 0,
    color: false,
    tty: o.tty,
    diff: false,
    columns: o.columns ?? 200,
    tickSeconds: o.tickSeconds ?? 0,
    now: () => clock,
  });
  return { r, out: () => out, advance: (ms: number) => void (clock += ms), reset: () => void (out = '') };
}

t.test('formatting', async (t) => {
  t.equal(formatElapsed(950), '0s');
  t.equal(formatElapsed(12_300), '12s');
  t.equal(formatElapsed(125_000), '2m05s');
  t.equal(formatElapsed(3_723_000), '1h02m');
  t.equal(withElapsed('waiting', 500), 'waiting', 'nothing under a second');
  t.equal(withElapsed('waiting', 12_000), 'waiting (12s)');
  t.equal(withElapsed('waiting for 127.0.0.1:2379 (12s of 60s)', 12_400), 'waiting for 127.0.0.1:2379 (12s of 60s)', 'not twice');
  let now = 0;
  const w = new WaitTracker(() => now);
  w.update('n1', 'a');
  now = 1000;
  w.update('n2 -> n3', 'b');
  t.equal(renderWaitLine(w, 200), '[n2 -> n3] b (+1 more waiting)', 'newest wait first, others counted');
  w.end('n2');
  t.equal(w.size, 1, 'delegated wait ended with its host');
  now = 61_000;
  t.equal(renderWaitLine(w, 200), '[n1] a (1m01s)');
  w.update('n1', 'x'.repeat(300));
  const line = renderWaitLine(w, 80);
  t.equal(line.length, 79, 'cut to the terminal width: a wrapped line cannot be rewritten');
  t.ok(line.endsWith('…'));
});

t.test('TTY: one line rewritten in place with elapsed time, cleared before the next output', async (t) => {
  const p = reporter({ tty: true });
  p.r.taskStart(task);
  p.reset();
  p.r.progress('n1', 'waiting for etcd health (1/30): connection refused');
  p.advance(4000);
  p.r.progress('n1', 'waiting for etcd health (3/30): connection refused');
  p.advance(2000);
  p.r.progress('n2', 'waiting for etcd health (1/30): no leader');
  p.r.hostResult(task, res('n2'));
  p.r.hostResult(task, res('n1'));
  t.equal(
    p.out(),
    '\r\x1b[K[n1] waiting for etcd health (1/30): connection refused' +
      '\r\x1b[K[n1] waiting for etcd health (3/30): connection refused (4s)' +
      '\r\x1b[K[n2] waiting for etcd health (1/30): no leader (+1 more waiting)' +
      '\r\x1b[Kok: [n2]\nok: [n1]\n',
  );
  t.notMatch(p.out(), /\n\[n1\]/, 'no progress line of its own on a TTY');
});

t.test('TTY: the line is redrawn while nothing new arrives (elapsed keeps moving), and stops after the result', async (t) => {
  const p = reporter({ tty: true, tickSeconds: 0.02 });
  p.r.taskStart(task);
  p.reset();
  p.r.progress('n1', 'waiting for 10.66.0.2:2379 to be started');
  p.advance(7000);
  await new Promise((r) => setTimeout(r, 70));
  t.match(p.out(), '\r\x1b[K[n1] waiting for 10.66.0.2:2379 to be started (7s)', 'redrawn by the ticker');
  p.r.hostResult(task, res('n1'));
  const after = p.out().length;
  await new Promise((r) => setTimeout(r, 70));
  t.equal(p.out().length, after, 'no redraw once the wait is over');
});

t.test('not a TTY: -v prints each message as a line with elapsed time; -v0 only a rare "still waiting"', async (t) => {
  const v = reporter({ tty: false, verbosity: 1 }, ['pw-secret']);
  v.r.taskStart(task);
  v.reset();
  v.r.progress('n1', 'retrying (1/5) etcd : user root with pw-secret');
  v.advance(3000);
  v.r.progress('n1', 'retrying (2/5) etcd : user root with pw-secret');
  t.equal(v.out(), '[n1] retrying (1/5) etcd : user root with ***\n[n1] retrying (2/5) etcd : user root with *** (3s)\n');
  t.notMatch(v.out(), /\r|\x1b/, 'no control characters in logs');

  const q = reporter({ tty: false });
  q.r.taskStart(task);
  q.reset();
  for (let i = 0; i < 50; i++) {
    q.r.progress('n1', `waiting for etcd health (${i + 1}/50)`);
    q.advance(2000);
  }
  const lines = q.out().trim().split('\n');
  // 100 s of waiting: first line after 10 s, then every 30 s
  t.same(lines, ['[n1] still waiting: waiting for etcd health (6/50) (10s)', '[n1] still waiting: waiting for etcd health (21/50) (40s)', '[n1] still waiting: waiting for etcd health (36/50) (1m10s)']);
  q.r.hostResult(task, res('n1'));
  q.reset();
  q.r.progress('n1', 'again');
  t.equal(q.out(), '', 'a new wait starts from zero');
});
