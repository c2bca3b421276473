// --profile: per-task (wall clock, slowest host, host count) and per-host totals, slowest first.
import t from 'tap';
import { ConsoleReporter } from '../../lib/output/console.js';
import { Masker } from '../../lib/output/mask.js';
import type { HostResult, HostStats, TaskInfo } from '../../lib/engine/report.js';

const stats: HostStats = { ok: 1, changed: 0, unreachable: 0, failed: 0, skipped: 0, rescued: 0, ignored: 0 };
const mk = (title: string, line: number, kind: TaskInfo['kind'] = 'task'): TaskInfo => ({ name: title, title, kind, tags: [], loc: { file: '/p.yml', line, col: 5 } });
const res = (host: string, ms: number): HostResult => ({ host, status: 'ok', result: {}, noLog: false, durationMs: ms });

t.test('aggregates per task and per host, slowest first', async (t) => {
  let clock = 0;
  let out = '';
  const r = new ConsoleReporter((s) => void (out += s), new Masker(new Set(['hunter2'])), { verbosity: 0, color: false, tty: false, diff: false, profile: true, now: () => clock });
  const fast = mk('fast', 1);
  const slow = mk('install with hunter2', 2);
  const loop = mk('loop', 3);
  const handler = mk('restart', 9, 'handler');
  r.taskStart(fast);
  clock += 300;
  r.hostResult(fast, res('n1', 200));
  r.hostResult(fast, res('n2', 300));
  r.taskStart(slow);
  clock += 5000;
  r.hostResult(slow, res('n2', 4900));
  r.hostResult(slow, res('n1', 1000));
  r.taskStart(loop);
  clock += 2000;
  // loop items add up per host
  for (const ms of [500, 700, 800]) r.hostResult(loop, res('n1', ms));
  r.taskStart(handler);
  clock += 100;
  r.hostResult(handler, res('n1', 100));
  r.recap(new Map([['n1', stats], ['n2', stats]]), { exitCode: 0, durationMs: 7400, requests: 1, processes: 1, hosts: 2 });
  const prof = out.slice(out.indexOf('PROFILE (slowest first)'));
  const taskLines = prof.split('\n').slice(2, 6);
  t.same(taskLines, [
    '    5.00s  n2                   install with *** (2)',
    '    2.00s  n1                   loop (1)',
    '    0.30s  n2                   fast (2)',
    '    0.10s  n1                   restart (handler) (1)',
  ]);
  t.match(prof, /PROFILE BY HOST \(slowest first\) \*+\n {4}5\.20s {2}n2 {19}2 task\(s\)\n {4}3\.30s {2}n1 {19}4 task\(s\)\n/);
  t.notMatch(out, /hunter2/);
});

t.test('no profile without --profile', async (t) => {
  let out = '';
  const r = new ConsoleReporter((s) => void (out += s), new Masker(), { verbosity: 0, color: false, tty: false, diff: false });
  r.taskStart(mk('a', 1));
  r.hostResult(mk('a', 1), res('n1', 10));
  r.recap(new Map([['n1', stats]]), { exitCode: 0, durationMs: 10, requests: 1, processes: 1, hosts: 1 });
  t.notMatch(out, /PROFILE/);
});
