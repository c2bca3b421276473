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
