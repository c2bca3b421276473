// Ansible-like console output: PLAY / TASK banners, one line per host result, PLAY RECAP.
import pc from 'picocolors';
import type { Play } from '../ast.js';
import type { HostResult, HostStats, Reporter, RunSummary, TaskInfo } from '../engine/report.js';
import { renderDiff } from './diff.js';
import { Masker, NO_LOG_MSG } from './mask.js';
import { WaitTracker, renderWaitLine, withElapsed } from './progress.js';
import { formatLocation } from '../errors.js';
import { pyJson } from '../engine/jinja/pyjson.js';

export interface ConsoleOptions {
  verbosity: number;
  color: boolean;
  tty: boolean;
  diff: boolean;
  /** Per-task and per-host timing summary at the end (--profile). */
  profile?: boolean;
  /** Terminal width for the TTY progress line (default: process.stdout.columns or 100). */
  columns?: number;
  /** Clock (tests). */
  now?: () => number;
  /** Seconds between redraws of the TTY progress line while a wait lasts (0: only on new messages). */
  tickSeconds?: number;
}

/** --profile: one task (by title and location), across hosts and loop items. */
interface TaskTiming {
  title: string;
  firstStart: number;
  lastEnd: number;
  /** Summed result durations per host. */
  hosts: Map<string, number>;
}

/** Ansible's banner: the title, a space and 79 - len(title) stars (at least 3): 80 columns in all. */
function banner(title: string): string {
  return `${title} ` + '*'.repeat(Math.max(3, 79 - title.length));
}

export class ConsoleReporter implements Reporter {
  private lastProgress = false;
  private readonly timings = new Map<string, TaskTiming>();
  private readonly waits: WaitTracker;
  private ticker: NodeJS.Timeout | undefined;
  private readonly now: () => number;

  constructor(
    private readonly write: (s: string) => void,
    private readonly masker: Masker,
    private readonly o: ConsoleOptions,
  ) {
    this.now = o.now ?? Date.now;
    this.waits = new WaitTracker(this.now);
  }

  private c(fn: (s: string) => string, s: string): string {
    return this.o.color ? fn(s) : s;
  }

  private line(s: string): void {
    if (this.lastProgress) {
      this.write('\r\x1b[K');
      this.lastProgress = false;
    }
    this.write(s + '\n');
  }

  playStart(play: Play, _hosts: string[]): void {
    this.line('');
    this.line(banner(`PLAY [${this.masker.text(play.name)}]`));
  }

  taskStart(task: TaskInfo): void {
    this.endWaits();
    if (this.o.profile) this.timing(task);
    this.line('');
    const kind = task.kind === 'handler' ? 'RUNNING HANDLER' : 'TASK';
    this.line(banner(`${kind} [${this.masker.text(task.title)}]`));
    if (this.o.verbosity >= 2 && task.loc) this.line(`task path: ${task.loc.file}:${task.loc.line ?? 0}`);
  }

  hostResult(task: TaskInfo, r: HostResult): void {
    this.waits.end(r.host);
    if (this.waits.size === 0) this.stopTicker();
    if (this.o.profile) {
      const t = this.timing(task);
      t.lastEnd = this.now();
      t.hosts.set(r.host, (t.hosts.get(r.host) ?? 0) + r.durationMs);
    }
    const who = r.delegatedTo ? `[${r.host} -> ${r.delegatedTo}]` : `[${r.host}]`;
    const item = r.itemLabel !== undefined ? ` (item=${r.noLog ? '(censored due to no_log)' : this.masker.text(r.itemLabel)})` : '';
    if (r.diff && r.diff.length && this.o.diff && !r.noLog) {
      const text = renderDiff(r.diff, this.masker, this.o.color);
      if (text) this.line(text);
    }
    // masked only when printed: an ok line at verbosity 0 prints none of it, and a facts result is
    // every fact of the host (masking walks all of it)
    let masked: Record<string, unknown> | undefined;
    const res = (): Record<string, unknown> => (masked ??= r.noLog ? { censored: NO_LOG_MSG, changed: r.result.changed } : this.masker.value(r.result));
    const dur = this.o.verbosity >= 1 ? ` (${(r.durationMs / 1000).toFixed(2)}s)` : '';
    // Ansible's callback: json.dumps(sort_keys=True, ensure_ascii=False), indented for debug/assert and at -vvv
    const json = (v: unknown, indent = this.o.verbosity > 2 || r.show ? 4 : undefined) => ansibleJson(v, indent);
    switch (r.status) {
      case 'ok':
      case 'changed': {
        const colorFn = r.status === 'ok' ? pc.green : pc.yellow;
        let s = `${r.status}: ${who}${item ? ` =>${item}` : ''}`;
        if (r.show && !r.noLog && Object.keys(showable(res())).length) s = `${r.status}: ${who}${item ? ` =>${item}` : ''} => ${json(showable(res()))}`;
        else if (this.o.verbosity >= 1 && task.kind !== 'facts') s += ` => ${json(res())}`;
        this.line(this.c(colorFn, s) + dur);
        break;
      }
      case 'skipped': {
        const why = r.checkSkipped ? ' => (skipped in check mode: cannot predict without running)' : item ? ` =>${item}` : '';
        this.line(this.c(pc.cyan, `skipping: ${who}${why}`) + dur);
        break;
      }
      case 'failed': {
        const reasonOnly = r.msg === undefined && res().msg === undefined && typeof res().reason === 'string';
        // a failure to load an included file says why in `reason` only (Ansible's strategy result)
        const said = reasonOnly ? { reason: this.masker.text(String(res().reason)) } : { msg: this.masker.text(r.msg ?? String(res().msg ?? '')) };
        const body: Record<string, unknown> = r.noLog ? { censored: NO_LOG_MSG } : { ...res(), ...said };
        // Ansible does not print the `failed` flag of a failure
        delete body.failed;
        const label = item ? `failed: ${who}${item}` : `fatal: ${who}: FAILED!`;
        this.line(this.c(pc.red, `${label} => ${json(body)}`) + dur);
        if (r.ignored) this.line(this.c(pc.cyan, '...ignoring'));
        break;
      }
      case 'unreachable':
        this.line(this.c(pc.red, `fatal: ${who}: UNREACHABLE! => ${json({ changed: false, msg: this.masker.text(r.msg ?? ''), unreachable: true })}`));
        break;
    }
  }

  retry(task: TaskInfo, host: string, left: number): void {
    this.line(this.c(pc.red, `FAILED - RETRYING: [${host}]: ${task.title} (${left} retries left).`));
  }

  included(_task: TaskInfo, file: string, hosts: string[], itemLabel?: string): void {
    const item = itemLabel !== undefined ? ` => (item=${this.masker.text(itemLabel)})` : '';
    this.line(this.c(pc.cyan, `included: ${file} for ${hosts.join(', ')}${item}`));
  }

  noHostsLeft(): void {
    this.line(this.c(pc.red, banner('NO MORE HOSTS LEFT')));
  }

  noHosts(): void {
    this.line(this.c(pc.cyan, 'skipping: no hosts matched'));
  }

  warn(msg: string): void {
    this.line(this.c(pc.magenta, `[WARNING]: ${this.masker.text(msg)}`));
  }

  log(verbosity: number, msg: string): void {
    if (this.o.verbosity >= verbosity) this.line(this.c(pc.dim, this.masker.text(msg)));
  }

  progress(host: string, msg: string): void {
    const w = this.waits.update(host, this.masker.text(msg));
    if (!this.o.tty) {
      // CI logs: every message at -v; at -v0 a rare line so a long wait does not look like a hang
      if (this.o.verbosity >= 1) this.line(`[${host}] ${withElapsed(w.msg, this.waits.elapsed(w))}`);
      else if (this.waits.due(w)) this.line(`[${host}] still waiting: ${withElapsed(w.msg, this.waits.elapsed(w))}`);
      return;
    }
    this.drawProgress();
    const tick = this.o.tickSeconds ?? 1;
    if (!this.ticker && tick > 0) {
      // redraw so the elapsed time moves even when the module reports rarely; unref: never keeps the process alive
      this.ticker = setInterval(() => this.drawProgress(), tick * 1000);
      this.ticker.unref();
    }
  }

  private drawProgress(): void {
    if (this.waits.size === 0) return;
    const text = renderWaitLine(this.waits, this.o.columns ?? (process.stdout.columns || 100));
    this.write(`\r\x1b[K${this.c(pc.dim, text)}`);
    this.lastProgress = true;
  }

  private stopTicker(): void {
    if (this.ticker) clearInterval(this.ticker);
    this.ticker = undefined;
  }

  private endWaits(): void {
    this.waits.clear();
    this.stopTicker();
  }

  private timing(task: TaskInfo): TaskTiming {
    const key = `${task.kind}\0${task.title}\0${formatLocation(task.loc)}`;
    let t = this.timings.get(key);
    if (!t) {
      t = { title: task.kind === 'handler' ? `${task.title} (handler)` : task.title, firstStart: this.now(), lastEnd: this.now(), hosts: new Map() };
      this.timings.set(key, t);
    }
    return t;
  }

  /** profile_tasks-style summary: tasks by time (wall clock, at least the slowest host's), then hosts by summed task time. */
  profileLines(): string[] {
    const out: string[] = [];
    const secs = (ms: number) => `${(ms / 1000).toFixed(2).padStart(8)}s`;
    const tasks = [...this.timings.values()].map((t) => {
      const slowest = [...t.hosts.entries()].sort((a, b) => b[1] - a[1])[0];
      return { t, slowest, ms: Math.max(t.lastEnd - t.firstStart, slowest?.[1] ?? 0) };
    });
    tasks.sort((a, b) => b.ms - a.ms);
    out.push(banner('PROFILE (slowest first)'));
    out.push(`${'time'.padStart(9)}  ${'slowest host'.padEnd(20)} task (hosts)`);
    for (const { t, slowest, ms } of tasks.slice(0, 20)) {
      out.push(`${secs(ms)}  ${(slowest?.[0] ?? '-').padEnd(20)} ${this.masker.text(t.title)} (${t.hosts.size})`);
    }
    if (tasks.length > 20) out.push(`          … ${tasks.length - 20} faster task(s) not shown`);
    const perHost = new Map<string, { ms: number; n: number }>();
    for (const t of this.timings.values()) {
      for (const [h, ms] of t.hosts) {
        const e = perHost.get(h) ?? { ms: 0, n: 0 };
        e.ms += ms;
        e.n++;
        perHost.set(h, e);
      }
    }
    out.push('', banner('PROFILE BY HOST (slowest first)'));
    for (const [h, e] of [...perHost.entries()].sort((a, b) => b[1].ms - a[1].ms || a[0].localeCompare(b[0])).slice(0, 50)) {
      out.push(`${secs(e.ms)}  ${h.padEnd(20)} ${e.n} task(s)`);
    }
    return out;
  }

  recap(stats: Map<string, HostStats>, extra: RunSummary): void {
    this.endWaits();
    this.line('');
    this.line(banner('PLAY RECAP'));
    const names = [...stats.keys()].sort();
    for (const h of names) {
      const s = stats.get(h)!;
      const hostColor = s.failed || s.unreachable ? pc.red : s.changed ? pc.yellow : pc.green;
      const f = (k: keyof HostStats, col: (x: string) => string) => {
        const t = `${k}=${s[k]}`.padEnd(k.length + 5);
        return s[k] ? this.c(col, t) : t;
      };
      this.line(
        `${this.c(hostColor, h.padEnd(26))} : ${f('ok', pc.green)} ${f('changed', pc.yellow)} ${f('unreachable', pc.red)} ${f('failed', pc.red)} ${f('skipped', pc.cyan)} ${f('rescued', pc.magenta)} ${f('ignored', pc.magenta)}`.trimEnd(),
      );
    }
    this.line('');
    this.line(
      this.c(pc.dim, `bosun: ${extra.hosts} host(s), ${extra.requests} request(s), ${extra.processes} ssh process(es), ${(extra.durationMs / 1000).toFixed(2)} s`),
    );
    if (this.o.profile && this.timings.size) {
      this.line('');
      for (const l of this.profileLines()) this.line(l);
    }
  }
}

function showable(r: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(r)) if (!['changed', 'failed', 'skipped'].includes(k) || v) out[k] = v;
  if ('msg' in r) return { msg: r.msg };
  return out;
}

/** Python's json.dumps as Ansible's default callback calls it; a value JSON cannot hold falls back to JSON.stringify. */
function ansibleJson(v: unknown, indent: number | undefined): string {
  try {
    return pyJson({ fail: (m: string): never => { throw new TypeError(m); } }, v, { indent, sortKeys: true, ensureAscii: false });
  } catch {
    return JSON.stringify(v, null, indent);
  }
}
