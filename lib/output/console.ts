// Ansible-like console output: PLAY / TASK banners, one line per host result, PLAY RECAP.
import pc from 'picocolors';
import type { Play } from '../engine/ast.js';
import type { HostResult, HostStats, Reporter, RunSummary, TaskInfo } from '../engine/runner.js';
import { renderDiff } from './diff.js';
import { Masker, NO_LOG_MSG } from './mask.js';

export interface ConsoleOptions {
  verbosity: number;
  color: boolean;
  tty: boolean;
  diff: boolean;
  /** Per-task timing summary at the end (--profile). */
  profile?: boolean;
}

function banner(title: string): string {
  const t = `${title} `;
  return t + '*'.repeat(Math.max(3, 79 - t.length));
}

export class ConsoleReporter implements Reporter {
  private lastProgress = false;
  private readonly timings: Array<{ title: string; host: string; ms: number }> = [];

  constructor(
    private readonly write: (s: string) => void,
    private readonly masker: Masker,
    private readonly o: ConsoleOptions,
  ) {}

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
    this.line('');
    const kind = task.kind === 'handler' ? 'RUNNING HANDLER' : 'TASK';
    this.line(banner(`${kind} [${this.masker.text(task.title)}]`));
    if (this.o.verbosity >= 2 && task.loc) this.line(`task path: ${task.loc.file}:${task.loc.line ?? 0}`);
  }

  hostResult(task: TaskInfo, r: HostResult): void {
    if (this.o.profile) this.timings.push({ title: task.title, host: r.host, ms: r.durationMs });
    const who = r.delegatedTo ? `[${r.host} -> ${r.delegatedTo}]` : `[${r.host}]`;
    const item = r.itemLabel !== undefined ? ` (item=${r.noLog ? '(censored due to no_log)' : this.masker.text(r.itemLabel)})` : '';
    if (r.diff && r.diff.length && this.o.diff && !r.noLog) {
      const text = renderDiff(r.diff, this.masker, this.o.color);
      if (text) this.line(text);
    }
    const result = r.noLog ? { censored: NO_LOG_MSG, changed: r.result.changed } : this.masker.value(r.result);
    const dur = this.o.verbosity >= 1 ? ` (${(r.durationMs / 1000).toFixed(2)}s)` : '';
    const json = (v: unknown) => JSON.stringify(v, null, this.o.verbosity >= 1 || r.show ? 4 : undefined);
    switch (r.status) {
      case 'ok':
      case 'changed': {
        const colorFn = r.status === 'ok' ? pc.green : pc.yellow;
        let s = `${r.status}: ${who}${item ? ` =>${item}` : ''}`;
        if (r.show && !r.noLog) s = `${r.status}: ${who}${item} => ${json(showable(result))}`;
        else if (this.o.verbosity >= 1) s += ` => ${json(result)}`;
        this.line(this.c(colorFn, s) + dur);
        break;
      }
      case 'skipped': {
        const why = r.checkSkipped ? ' => (skipped in check mode: cannot predict without running)' : item ? ` =>${item}` : '';
        this.line(this.c(pc.cyan, `skipping: ${who}${why}`) + dur);
        break;
      }
      case 'failed': {
        const body = r.noLog ? { censored: NO_LOG_MSG } : { ...result, msg: this.masker.text(r.msg ?? String(result.msg ?? '')) };
        const label = item ? `failed: ${who}${item}` : `fatal: ${who}: FAILED!`;
        this.line(this.c(pc.red, `${label} => ${JSON.stringify(body)}`) + dur);
        if (r.ignored) this.line(this.c(pc.cyan, '...ignoring'));
        break;
      }
      case 'unreachable':
        this.line(this.c(pc.red, `fatal: ${who}: UNREACHABLE! => ${JSON.stringify({ changed: false, msg: this.masker.text(r.msg ?? ''), unreachable: true })}`));
        break;
    }
  }

  warn(msg: string): void {
    this.line(this.c(pc.magenta, `[WARNING]: ${this.masker.text(msg)}`));
  }

  log(verbosity: number, msg: string): void {
    if (this.o.verbosity >= verbosity) this.line(this.c(pc.dim, this.masker.text(msg)));
  }

  progress(host: string, msg: string): void {
    if (!this.o.tty) {
      if (this.o.verbosity >= 1) this.line(`[${host}] ${this.masker.text(msg)}`);
      return;
    }
    this.write(`\r\x1b[K${this.c(pc.dim, `[${host}] ${this.masker.text(msg)}`)}`);
    this.lastProgress = true;
  }

  recap(stats: Map<string, HostStats>, extra: RunSummary): void {
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
    if (this.o.profile && this.timings.length) {
      this.line('');
      this.line(banner('PROFILE (slowest first)'));
      for (const t of [...this.timings].sort((a, b) => b.ms - a.ms).slice(0, 20)) {
        this.line(`${(t.ms / 1000).toFixed(2).padStart(8)}s  ${t.host.padEnd(20)} ${this.masker.text(t.title)}`);
      }
    }
  }
}

function showable(r: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(r)) if (!['changed', 'failed', 'skipped'].includes(k) || v) out[k] = v;
  if ('msg' in r) return { msg: r.msg };
  return out;
}
