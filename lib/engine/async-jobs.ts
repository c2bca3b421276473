// `async:` tasks and async_status, the bosun way (Ansible's async_wrapper has no place here: modules
// run from the control node). A job runs its module on a connection of its own for the host
// (Connections.spare), as a promise in the run's table keyed by jid, so the host's channel stays free
// for the tasks after it. The deadline (`async: N`) closes the job's connection and fails the job.
// What the registered results hold follows Ansible 2.14 (task_executor.py _poll_async_result,
// plugins/action/async_status.py, modules/async_wrapper.py); docs/architecture.md "Async tasks".
import { randomInt } from 'node:crypto';
import type { Connection } from '../executor/types.js';
import type { AsyncJobTable, JobState, Outcome } from '../modules/types.js';
export { launchedResult, polledOutcome } from '../modules/util/async-results.js';
import { BosunError, InternalError, InterruptedError, UnreachableError } from '../errors.js';

/** Ansible 2.14's default `poll` (DEFAULT_POLL_INTERVAL). */
export const DEFAULT_POLL = 15;

/**
 * Modules whose Ansible 2.14 action plugin does not set _supports_async: their tasks fail with
 * "async is not supported for this task." (as do bosun's modules that run on the control node).
 */
export const NO_ASYNC = new Set([
  'add_host', 'assemble', 'assert', 'async_status', 'copy', 'debug', 'fail', 'fetch', 'gather_facts', 'group_by',
  'include_vars', 'pause', 'raw', 'script', 'set_fact', 'set_stats', 'template', 'unarchive', 'validate_argument_spec',
  'wait_for_connection',
]);

export const ASYNC_UNSUPPORTED = 'async is not supported for this task.';
export const ASYNC_CHECK_MODE = 'check mode and async cannot be used on same task.';

interface Job {
  readonly jid: string;
  readonly host: string;
  result?: Record<string, unknown>;
  /** The deadline ended it. */
  timedOut?: boolean;
  readonly settled: Promise<void>;
}

/** A job's connection: `release(reusable)` hands it back once the job is over; `kill()` ends what it runs and closes it. */
export interface JobConnection {
  conn: Connection;
  release(reusable: boolean): void;
  kill(): Promise<void>;
}

/**
 * The host-side script that ends a job's processes: each root's descendants (and the root itself with
 * `withSelf`), stopped then killed. A channel's root is its dispatcher loop (kept: closing the channel
 * ends it); a local request's root is its own process. Closing a connection alone is not enough: a
 * command started over ssh outlives the session. pgrep when the host has it, else /proc.
 */
export function killTreeScript(pids: readonly number[], withSelf: boolean): string {
  return `_kids() {
  if command -v pgrep >/dev/null 2>&1; then pgrep -P "$1"; return 0; fi
  for _s in /proc/[0-9]*/stat; do
    _l=$(cat "$_s" 2>/dev/null) || continue
    _r=\${_l##*) }
    [ "$(echo "$_r" | cut -d' ' -f2)" = "$1" ] && { _p=\${_s#/proc/}; echo "\${_p%/stat}"; }
  done
  return 0
}
_tree() { for _c in $(_kids "$1"); do _tree "$_c"; done; echo "$1"; }
_all=
for _r0 in ${pids.map((p) => String(Math.trunc(p))).join(' ')}; do
  ${withSelf ? '_all="$_all $(_tree "$_r0")"' : 'for _c0 in $(_kids "$_r0"); do _all="$_all $(_tree "$_c0")"; done'}
done
if [ -n "$_all" ]; then kill -STOP $_all 2>/dev/null; kill -KILL $_all 2>/dev/null; fi
exit 0
`;
}

/** The result of a module run, as `register` keeps it. */
export function registeredOf(o: Outcome): Record<string, unknown> {
  return { ...(o.result ?? {}), changed: o.changed, failed: o.failed ?? false, ...(o.msg !== undefined ? { msg: o.msg } : {}) };
}

/** A job's exception as its failed result (what the task would have registered had it run in the foreground). */
function failureOf(e: unknown): Record<string, unknown> {
  if (e instanceof UnreachableError) return { changed: false, failed: true, unreachable: true, msg: e.message };
  if (e instanceof BosunError && !(e instanceof InternalError)) {
    const extra = (e as { result?: Record<string, unknown> }).result ?? {};
    return { ...extra, changed: false, failed: true, msg: e.oneLine() };
  }
  return { changed: false, failed: true, msg: `internal error in an async job: ${e instanceof Error ? `${e.name}: ${e.message}` : String(e)}` };
}

export class AsyncJobs implements AsyncJobTable {
  private readonly jobs = new Map<string, Job>();
  /** Every job not over yet, forgotten ones included: the run waits for them at its end. */
  private readonly running = new Set<Promise<void>>();

  /**
   * Starts `work` (the module's plan and apply on `jc.conn`) as a job of `host`. After `deadlineSec`
   * the job fails ('Timeout exceeded', as async_wrapper writes it) and its connection is closed,
   * which ends the request in flight (the channel's process is killed).
   */
  start(host: string, deadlineSec: number, jc: JobConnection, work: () => Promise<Record<string, unknown>>, onEnd?: () => void): string {
    const jid = `j${randomInt(0, 999_999_999_999)}.${process.pid}`;
    let timer: NodeJS.Timeout | undefined;
    const job: { jid: string; host: string; result?: Record<string, unknown>; timedOut?: boolean; settled: Promise<void> } = { jid, host, settled: Promise.resolve() };
    const deadline = new Promise<'deadline'>((resolve) => {
      timer = setTimeout(() => resolve('deadline'), deadlineSec * 1000);
    });
    const done = work().then(
      (r) => r,
      (e: unknown) => {
        if (e instanceof InterruptedError) return { changed: false, failed: true, msg: 'interrupted' };
        return failureOf(e);
      },
    );
    job.settled = Promise.race([done, deadline]).then(async (r) => {
      clearTimeout(timer);
      if (r === 'deadline') {
        job.result = { msg: 'Timeout exceeded', failed: true };
        job.timedOut = true;
        await jc.kill().catch(() => undefined);
      } else {
        job.result = r;
        jc.release(true);
      }
      onEnd?.();
    });
    this.jobs.set(jid, job);
    this.running.add(job.settled);
    void job.settled.finally(() => this.running.delete(job.settled));
    return jid;
  }

  /** Waits for the job (poll > 0) and gives its state. */
  async wait(jid: string): Promise<{ result: Record<string, unknown>; timedOut: boolean }> {
    const job = this.jobs.get(jid);
    if (!job) throw new InternalError(`async job ${jid} is not in the table`);
    await job.settled;
    return { result: job.result!, timedOut: job.timedOut === true };
  }

  state(host: string, jid: string): JobState | undefined {
    const job = this.jobs.get(jid);
    if (!job || job.host !== host) return undefined;
    return job.result ? { finished: true, result: job.result } : { finished: false };
  }

  forget(host: string, jid: string): boolean {
    const job = this.jobs.get(jid);
    if (!job || job.host !== host) return false;
    this.jobs.delete(jid);
    return true;
  }

  resultsFile(jid: string): string {
    return `~/.ansible_async/${jid}`;
  }

  /** Jobs not over yet. */
  get pending(): number {
    return this.running.size;
  }

  /** Waits for every job still running (each ends by its deadline at the latest). */
  async settle(): Promise<void> {
    while (this.running.size) await Promise.all([...this.running]);
  }
}
