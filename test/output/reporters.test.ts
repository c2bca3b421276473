// Console and JSON reporters driven directly with synthetic events.
import t from 'tap';
import { ConsoleReporter } from '../../lib/output/console.js';
import { JsonReporter, JSON_EVENTS_VERSION } from '../../lib/output/json.js';
import { Masker, NO_LOG_MSG } from '../../lib/output/mask.js';
import type { HostResult, HostStats, TaskInfo } from '../../lib/engine/report.js';
import type { Play } from '../../lib/ast.js';

const play = { name: 'deploy', hosts: 'all' } as unknown as Play;
const task: TaskInfo = { name: 'config', title: 'app : config', kind: 'task', module: 'template', tags: [], loc: { file: '/r/tasks/main.yml', line: 3, col: 3 } };
const stats = (s: Partial<HostStats>): HostStats => ({ ok: 0, changed: 0, unreachable: 0, failed: 0, skipped: 0, rescued: 0, ignored: 0, ...s });
const summary = { exitCode: 2, durationMs: 1234, requests: 9, processes: 2, hosts: 2 };
const res = (r: Partial<HostResult>): HostResult => ({ host: 'n1', status: 'ok', result: {}, noLog: false, durationMs: 10, ...r });

function consoleOut(opts: Partial<ConstructorParameters<typeof ConsoleReporter>[2]> = {}, secrets: string[] = []) {
  let s = '';
  const r = new ConsoleReporter((x) => void (s += x), new Masker(new Set(secrets)), { verbosity: 0, color: false, tty: false, diff: false, ...opts });
  return { r, text: () => s };
}

t.test('console: banners, host lines, recap', async (t) => {
  const { r, text } = consoleOut({ diff: true }, ['pw123']);
  r.playStart(play, ['n1', 'n2']);
  r.taskStart(task);
  r.hostResult(task, res({ status: 'changed', diff: [{ path: '/etc/a', before: 'x\n', after: 'y\n' }] }));
  r.hostResult(task, res({ host: 'n2', status: 'failed', msg: 'bad pw123', result: { rc: 1 } }));
  r.hostResult(task, res({ host: 'n3', status: 'failed', msg: 'meh', ignored: true }));
  r.hostResult(task, res({ host: 'n4', status: 'skipped', checkSkipped: true }));
  r.hostResult(task, res({ host: 'n5', status: 'unreachable', msg: 'ssh: connect refused' }));
  r.hostResult(task, res({ host: 'n6', status: 'ok', itemLabel: 'a', item: 'a' }));
  r.warn('careful with pw123');
  r.recap(new Map([['n2', stats({ ok: 1, failed: 1 })], ['n1', stats({ changed: 3 })]]), summary);
  const s = text();
  t.match(s, /^\nPLAY \[deploy\] \*{60,}\n\nTASK \[app : config\] \*+\n/);
  // Ansible's banners are 80 columns: title, space, 79 - len(title) stars
  for (const l of s.split('\n').filter((x) => /^(PLAY|TASK) /.test(x))) t.equal(l.length, 80, `banner width: ${l}`);
  t.match(s, '--- before: /etc/a\n+++ after: /etc/a\n');
  t.match(s, 'changed: [n1]\n');
  // Ansible's callback: sorted keys, Python's separators, no `failed` flag
  t.match(s, 'fatal: [n2]: FAILED! => {"msg": "bad ***", "rc": 1}\n');
  t.match(s, 'fatal: [n3]: FAILED! => {"msg": "meh"}\n...ignoring\n');
  t.match(s, 'skipping: [n4] => (skipped in check mode: cannot predict without running)\n');
  t.match(s, 'fatal: [n5]: UNREACHABLE! => {"changed": false, "msg": "ssh: connect refused", "unreachable": true}\n');
  t.match(s, 'ok: [n6] => (item=a)\n');
  t.match(s, '[WARNING]: careful with ***\n');
  t.match(s, /PLAY RECAP \*+\nn1 +: ok=0 +changed=3 +unreachable=0 +failed=0 +skipped=0 +rescued=0 +ignored=0\nn2 +: ok=1 +changed=0 +unreachable=0 +failed=1/);
  t.match(s, 'bosun: 2 host(s), 9 request(s), 2 ssh process(es), 1.23 s');
  t.notMatch(s, /pw123/);
  t.notMatch(s, /\x1b\[/, 'no colour when not asked');
});

t.test('console: no_log censors results, items and diffs; -v shows results and durations; -vv task path', async (t) => {
  const { r, text } = consoleOut({ verbosity: 2, diff: true });
  r.taskStart(task);
  r.hostResult(task, res({ status: 'changed', noLog: true, result: { stdout: 'TOPSECRET' }, itemLabel: 'TOPSECRET-ITEM', diff: [{ path: '/x', before: 'TOPSECRET-OLD', after: 'b' }] }));
  r.hostResult(task, res({ status: 'failed', noLog: true, msg: 'TOPSECRET-MSG' }));
  r.hostResult(task, res({ host: 'n2', status: 'ok', result: { stdout: 'visible' } }));
  const s = text();
  t.notMatch(s, /TOPSECRET/);
  t.match(s, 'task path: /r/tasks/main.yml:3');
  t.match(s, '(item=(censored due to no_log))');
  t.match(s, NO_LOG_MSG);
  // compact below -vvv, as Ansible's callback
  t.match(s, /ok: \[n2\] => \{"stdout": "visible"\} \(0\.01s\)/);
});

t.test('console: debug output is shown at -v0; progress only on a TTY or -v; --profile summary', async (t) => {
  const { r, text } = consoleOut({ profile: true });
  r.taskStart({ ...task, title: 'debug' });
  r.hostResult(task, res({ show: true, result: { msg: 'hello there', changed: false } }));
  r.progress('n1', 'waiting');
  r.recap(new Map([['n1', stats({ ok: 1 })]]), summary);
  const s = text();
  t.match(s, 'ok: [n1] => {\n    "msg": "hello there"\n}');
  t.notMatch(s, /waiting/);
  t.match(s, /PROFILE \(slowest first\)[^]*0\.01s +n1 +app : config/);
  const tty = consoleOut({ tty: true });
  tty.r.progress('n1', 'waiting');
  tty.r.warn('next');
  t.equal(tty.text(), '\r\x1b[K[n1] waiting\r\x1b[K[WARNING]: next\n', 'the progress line is cleared before the next line');
});

t.test('json: one masked, versioned event per line', async (t) => {
  const lines: string[] = [];
  const r = new JsonReporter((s) => void lines.push(s), new Masker(new Set(['pw123'])));
  r.playStart(play, ['n1']);
  r.taskStart(task);
  r.hostResult(task, res({ status: 'changed', result: { stdout: 'pw123' }, itemLabel: 'i', diff: [{ path: '/a', after: 'x' }] }));
  r.hostResult(task, res({ status: 'ok', noLog: true, result: { stdout: 'CONCEALED' }, msg: 'CONCEALED' }));
  r.warn('w');
  r.log();
  r.progress();
  r.recap(new Map([['n1', stats({ changed: 1 })]]), summary);
  t.ok(lines.every((l) => l.endsWith('\n') && !l.slice(0, -1).includes('\n')));
  const ev = lines.map((l) => JSON.parse(l) as Record<string, unknown>);
  t.same(ev.map((e) => e.event), ['play_start', 'task_start', 'host_result', 'host_result', 'warning', 'recap']);
  for (const e of ev) {
    t.equal(e.v, JSON_EVENTS_VERSION);
    t.match(e.time, /^\d{4}-\d\d-\d\dT/);
  }
  t.match(ev[0], { play: 'deploy', pattern: 'all', hosts: ['n1'] });
  t.match(ev[1], { task: 'app : config', kind: 'task', module: 'template', location: '/r/tasks/main.yml:3:3' });
  t.match(ev[2], { host: 'n1', status: 'changed', item: 'i', result: { stdout: '***' }, diff: [{ path: '/a' }] });
  t.match(ev[3], { msg: NO_LOG_MSG, result: { censored: NO_LOG_MSG }, diff: null });
  t.notMatch(lines.join(''), /CONCEALED|pw123/);
  t.match(ev[5], { exit_code: 2, requests: 9, ssh_processes: 2, hosts: { n1: { changed: 1 } } });
});
