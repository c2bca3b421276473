// --output json: one JSON event per line, for CI. Every event and field is documented in
// docs/json-events.md and described by docs/json-events.schema.json; `v` changes only when a field
// is removed or changes meaning (adding fields or events keeps v).
import type { Play } from '../ast.js';
import type { HostResult, HostStats, Reporter, RunSummary, TaskInfo } from '../engine/report.js';
import { formatLocation, type BosunError } from '../errors.js';
import { Masker, NO_LOG_MSG } from './mask.js';

export const JSON_EVENTS_VERSION = 1;

export class JsonReporter implements Reporter {
  constructor(
    private readonly write: (s: string) => void,
    private readonly masker: Masker,
    private readonly now: () => number = Date.now,
  ) {}

  private emit(event: string, body: Record<string, unknown>): void {
    this.write(JSON.stringify(this.masker.value({ v: JSON_EVENTS_VERSION, event, time: new Date(this.now()).toISOString(), ...body })) + '\n');
  }

  playStart(play: Play, hosts: string[]): void {
    this.emit('play_start', { play: play.name, pattern: play.hosts, hosts });
  }
  taskStart(task: TaskInfo): void {
    this.emit('task_start', { task: task.title, kind: task.kind, module: task.module ?? null, tags: task.tags, location: task.loc ? formatLocation(task.loc) : null });
  }
  hostResult(task: TaskInfo, r: HostResult): void {
    this.emit('host_result', {
      task: task.title,
      host: r.host,
      status: r.status,
      item: r.noLog && r.itemLabel !== undefined ? '(censored due to no_log)' : r.itemLabel ?? null,
      ignored: r.ignored ?? false,
      delegated_to: r.delegatedTo ?? null,
      duration_ms: Math.round(r.durationMs),
      msg: r.noLog ? NO_LOG_MSG : r.msg ?? null,
      result: r.noLog ? { censored: NO_LOG_MSG } : r.result,
      diff: r.noLog ? null : r.diff ?? null,
    });
  }
  warn(msg: string): void {
    this.emit('warning', { msg });
  }
  retry(task: TaskInfo, host: string, retriesLeft: number): void {
    this.emit('retry', { task: task.title, host, retries_left: retriesLeft });
  }
  included(task: TaskInfo, file: string, hosts: string[], itemLabel?: string): void {
    this.emit('included', { task: task.title, file, hosts, item: itemLabel ?? null });
  }
  noHostsLeft(): void {
    this.emit('no_hosts_left', {});
  }
  log(): void {}
  /** Waits are not events: a JSON consumer sees the task's host_result (with duration_ms) when the wait ends. */
  progress(): void {}
  recap(stats: Map<string, HostStats>, extra: RunSummary): void {
    this.emit('recap', {
      hosts: Object.fromEntries([...stats.entries()].sort(([a], [b]) => a.localeCompare(b))),
      exit_code: extra.exitCode,
      duration_ms: Math.round(extra.durationMs),
      requests: extra.requests,
      ssh_processes: extra.processes,
    });
  }
  /** A load/option error that ends the run before (or instead of) a recap; bin also prints it as ERROR! on stderr. */
  error(e: BosunError): void {
    this.emit('error', { code: e.code, exit_code: e.exitCode, msg: e.message, location: e.loc ? formatLocation(e.loc) : null, hint: e.hint ?? null });
  }
}
