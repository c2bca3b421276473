// Reading a rolling restart out of a run's output (the etcd role's `restart etcd` handler block):
// which member was restarted, and which health wait passed after it, in output order.
import type { Test } from 'tap';
import type { RunResult } from './run.js';

/** Handler events of a run, in output order: `restart nodeX`, `healthy nodeX`. */
export function rollout(stdout: string): string[] {
  const events: string[] = [];
  let title = '';
  for (const line of stdout.split('\n')) {
    const banner = /^(?:TASK|RUNNING HANDLER) \[(.*)\] \*+$/.exec(line);
    if (banner) title = banner[1]!;
    const res = /^(ok|changed|fatal|failed): \[(node\d+)\]/.exec(line);
    if (!res) continue;
    if (title.endsWith('restart etcd | restart the member') && res[1] === 'changed') events.push(`restart ${res[2]}`);
    if (title.endsWith('restart etcd | wait for the cluster to be healthy again') && res[1] === 'ok') events.push(`healthy ${res[2]}`);
  }
  return events;
}

/** One member at a time: restart X, X's cluster healthy again, then the next member. */
export function assertRolling(t: Test, r: RunResult, hosts: string[]): void {
  const ev = rollout(r.stdout);
  const restarted = ev.filter((e) => e.startsWith('restart ')).map((e) => e.slice(8));
  t.same([...restarted].sort(), [...hosts].sort(), `every member restarted once: ${ev.join(', ')}`);
  t.same(ev, restarted.flatMap((h) => [`restart ${h}`, `healthy ${h}`]), 'each restart followed by a health wait before the next');
}

/**
 * Extra vars for a test's etcd runs: health waits poll every second instead of the role's 3 s, with
 * the same 120 s budget. A restarted or started member is usually healthy within a second or two; a
 * 3 s step made every wait sit out the rest (18 restarts in etcd-live alone). What is tested (the
 * wait happens, in order, and a member that never comes back fails it) does not depend on the step.
 */
export const QUICK_HEALTH = ['-e', 'etcd_health_delay=1', '-e', 'etcd_health_retries=120'];
