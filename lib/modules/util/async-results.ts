// What Ansible 2.14 registers for async tasks and async_status (plugins/action/async_status.py,
// task_executor.py _poll_async_result, modules/async_wrapper.py), from bosun's job table (the engine's
// async-jobs.ts keeps the jobs; these only shape results).
import type { AsyncJobTable, JobState, Outcome } from '../types.js';

/** The keys async_status's action adds before the module's (Ansible 2.14 plugins/action/async_status.py). */
function statusBase(jid: string): Record<string, unknown> {
  return { started: 0, finished: 0, stdout: '', stderr: '', stdout_lines: [], stderr_lines: [], ansible_job_id: jid };
}

/** async_status's result for a job (mode: status): running, or finished with the module's result. */
export function statusResult(jobs: AsyncJobTable, jid: string, state: JobState): Record<string, unknown> {
  const base = { ...statusBase(jid), results_file: jobs.resultsFile(jid), started: 1 };
  if (!state.finished) return { ...base, changed: false, finished: 0 };
  return { ...base, ...state.result, finished: 1, ansible_job_id: jid };
}

/** async_status's result for an unknown jid (Ansible: "could not find job"). */
export function notFoundResult(jobs: AsyncJobTable, jid: string): Record<string, unknown> {
  return { ...statusBase(jid), results_file: jobs.resultsFile(jid), started: 1, finished: 1, changed: false };
}

/** async_status mode: cleanup's result. */
export function cleanupResult(jobs: AsyncJobTable, jid: string): Record<string, unknown> {
  return { ...statusBase(jid), erased: jobs.resultsFile(jid), changed: false };
}

/** What a fire-and-forget task (poll: 0) registers at once. */
export function launchedResult(jobs: AsyncJobTable, jid: string): Outcome {
  return { changed: true, result: { started: 1, finished: 0, ansible_job_id: jid, results_file: jobs.resultsFile(jid) } };
}

/** A polled task's outcome (poll > 0) once its job ended: the module's result, or Ansible's timeout failure. */
export function polledOutcome(jobs: AsyncJobTable, jid: string, result: Record<string, unknown>, deadlineSec: number, timedOut: boolean): Outcome {
  if (timedOut) {
    const asyncResult = { ...statusResult(jobs, jid, { finished: false }) };
    delete asyncResult.changed;
    return { changed: false, failed: true, msg: `async task did not complete within the requested time - ${deadlineSec}s`, result: { async_result: asyncResult } };
  }
  const r = statusResult(jobs, jid, { finished: true, result });
  const { changed, failed, msg, ...rest } = r;
  return { changed: changed === true, failed: failed === true, ...(msg !== undefined ? { msg: String(msg) } : {}), result: rest };
}
