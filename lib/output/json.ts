// --output json: one JSON event per line, for CI. Schema documented in docs/json-events.md.
import type { Play } from '../engine/ast.js';
import type { HostResult, HostStats, Reporter, RunSummary, TaskInfo } from '../engine/runner.js';
import { formatLocation } from '../errors.js';
import { Masker, NO_LOG_MSG } from './mask.js';

export const JSON_EVENTS_VERSION = 1;

export class JsonReporter implements Reporter {
  constructor(
    private readonly write: (s: string) => void,
    private readonly masker: Masker,
  ) {}

  private emit(event: string, body: Record<string, unknown>): void {
    this.write(JSON.stringify(this.masker.value({ v: JSON_EVENTS_VERSION, event, time: new Date().toISOString(), ...body })) + '\n');
  }

  playStart(play: Play, hosts: string[]): void {
    this.emit('play_start', { play: play.name, pattern: play.hosts, hosts });
  }
  taskStart(task: TaskInfo): void {
    this.emit('task_start', { task: task.title, kind: task.kind, module: task.module ?? null, location: task.loc ? formatLocation(task.loc) : null });
  }
  hostResult(task: TaskInfo, r: HostResult): void {
    this.emit('host_result', {
      task: task.title,
      host: r.host,
      status: r.status,
      item: r.itemLabel ?? null,
      ignored: r.ignored ?? false,
      duration_ms: Math.round(r.durationMs),
      msg: r.noLog ? NO_LOG_MSG : r.msg ?? null,
      result: r.noLog ? { censored: NO_LOG_MSG } : r.result,
      diff: r.noLog ? null : r.diff ?? null,
    });
  }
  warn(msg: string): void {
    this.emit('warning', { msg });
  }
  log(): void {}
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
}
