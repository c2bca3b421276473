// Unreachable hosts over SSH: a host down before the run, and a host that dies in the middle of a
// task. The others finish, the recap counts unreachable=1, exit code 4 (as ansible-playbook 2.14), and a rerun after the host
// is back converges, changing only what the interrupted run left undone.
import t from 'tap';
import * as path from 'node:path';
import { hostStart, hostStop } from '../../lib/lab/lab.js';
import { withLab } from '../helpers/lab.js';
import { FIXTURES, bosunRun, parseRecap, parseSummary, remote, sleep, spawnBosun, tempDir, writeInventory } from '../fixtures/e2e/harness.js';

const PLAYBOOK = path.join(FIXTURES, 'unreachable.yml');

t.test('unreachable hosts', async (t) => {
  const lab = await withLab(t, { hosts: 3, name: 'e2e-unreach', subnetIndex: 22 });
  const inv = writeInventory(lab, tempDir(t, 'e2e-unreach-'));

  await t.test('host down before the run (spawned CLI: real exit code)', async (t) => {
    await hostStop(lab, 'node2');
    const run = spawnBosun(['run', PLAYBOOK, '-i', inv]);
    const r = await run.done;
    t.equal(r.code, 4, "exit code 4 (ansible-playbook 2.14 returns 4 for unreachable hosts)", { err: r.err });
    const recap = parseRecap(r.out);
    t.match(recap.node2, { unreachable: 1, ok: 0, changed: 0, failed: 0 }, 'node2 unreachable');
    t.match(recap.node1, { unreachable: 0, failed: 0, changed: 2 }, 'node1 finished');
    t.match(recap.node3, { unreachable: 0, failed: 0, changed: 2 }, 'node3 finished');
    t.match(r.out, /fatal: \[node2\]: UNREACHABLE!/);
    t.notMatch(r.out, /(ok|changed): \[node2\]/, 'no task result for node2');
    t.equal(parseSummary(r.out)?.processes, 3 + 3, 'node2: first attempt + 3 bounded retries; others: one each');

    await hostStart(lab, 'node2');
    const again = await bosunRun([PLAYBOOK, '-i', inv]);
    t.equal(again.code, 0, 'rerun converges', { err: again.err });
    const recap2 = parseRecap(again.out);
    t.match(recap2.node1, { changed: 0, unreachable: 0 });
    t.match(recap2.node3, { changed: 0, unreachable: 0 });
    t.match(recap2.node2, { changed: 2, unreachable: 0, failed: 0 }, 'node2 catches up');
  });

  await t.test('host dies in the middle of a task', async (t) => {
    let stopped: Promise<void> | undefined;
    const started = Date.now();
    const r = await bosunRun([PLAYBOOK, '-i', inv, '-e', 'round=2'], (out) => {
      // One second into the slow step, node2 loses its sshd and every process.
      if (!stopped && out.includes('TASK [slow step]')) stopped = sleep(1000).then(() => hostStop(lab, 'node2'));
    });
    await stopped;
    t.ok(stopped, 'node2 was stopped during the slow step');
    t.equal(r.code, 4, "exit code 4 (ansible-playbook 2.14 returns 4 for unreachable hosts)", { err: r.err });
    t.ok(Date.now() - started < 30_000, 'a dead channel is noticed promptly');
    const recap = parseRecap(r.out);
    t.match(recap.node2, { unreachable: 1, failed: 0 }, 'node2 unreachable');
    t.match(recap.node1, { unreachable: 0, failed: 0, changed: 1 }, 'node1 finished the play');
    t.match(recap.node3, { unreachable: 0, failed: 0, changed: 1 }, 'node3 finished the play');
    t.match(r.out, /fatal: \[node2\]: UNREACHABLE! => .*lost during/, 'reported as a lost connection');
    const after = r.out.slice(r.out.indexOf('TASK [after the slow step]'));
    t.notMatch(after.slice(0, after.indexOf('PLAY RECAP')), /node2/, 'node2 left the play');

    await hostStart(lab, 'node2');
    const again = await bosunRun([PLAYBOOK, '-i', inv, '-e', 'round=2']);
    t.equal(again.code, 0, 'rerun converges', { err: again.err });
    const recap2 = parseRecap(again.out);
    t.match(recap2.node1, { changed: 0 });
    t.match(recap2.node3, { changed: 0 });
    t.match(recap2.node2, { changed: 1, unreachable: 0, failed: 0 }, 'node2: only the step it missed');
    for (const h of ['node1', 'node2', 'node3']) {
      const f = await remote(lab, h, 'cat /var/lib/bosun-e2e-u/after');
      t.equal(f.out.toString(), 'round 2\n', `${h} converged`);
    }
  });
});
