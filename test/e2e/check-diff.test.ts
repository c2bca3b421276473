// `--check --diff` over SSH leaves every lab host byte-identical (hash of the overlay upper dirs
// of /etc and /var before and after), on a fresh lab and on one that drifted, and prints the diff.
import t from 'tap';
import * as path from 'node:path';
import { hashHost, type LabState } from '../../lib/lab/lab.js';
import { withLab } from '../helpers/lab.js';
import { FIXTURES, bosunRun, parseRecap, parseSummary, remote, tempDir, writeInventory } from '../fixtures/e2e/harness.js';

const HOSTS = ['node1', 'node2', 'node3'];
const PLAYBOOK = path.join(FIXTURES, 'generic/site.yml');

async function hashes(lab: LabState): Promise<string[]> {
  return Promise.all(HOSTS.map((h) => hashHost(lab, h)));
}

t.test('--check --diff touches nothing', async (t) => {
  const lab = await withLab(t, { hosts: 3, name: 'e2e-check', subnetIndex: 21 });
  const inv = writeInventory(lab, tempDir(t, 'e2e-check-'));

  await t.test('fresh lab', async (t) => {
    const before = await hashes(lab);
    const r = await bosunRun([PLAYBOOK, '-i', inv, '--check', '--diff']);
    t.equal(r.code, 0, 'check run exits 0', { err: r.err });
    t.same(await hashes(lab), before, 'every host byte-identical after --check');
    const recap = parseRecap(r.out);
    for (const h of HOSTS) {
      t.ok(recap[h]!.changed! >= 5, `${h}: check reports changes (${recap[h]!.changed})`);
      t.equal(recap[h]!.failed, 0);
    }
    // The would-be content of the new files is shown as a diff.
    t.match(r.out, /\+hello from bosun on node1/, 'diff of the inline content');
    t.match(r.out, /\+name=node2/, 'diff of the rendered template');
    t.equal(parseSummary(r.out)?.processes, 3);
    const gone = await remote(lab, 'node1', 'test -e /var/lib/bosun-e2e && echo exists || echo absent');
    t.equal(gone.out.toString(), 'absent\n', 'nothing created');
  });

  await t.test('after a real run and a drift', async (t) => {
    const applied = await bosunRun([PLAYBOOK, '-i', inv]);
    t.equal(applied.code, 0, applied.err);
    // Drift on node2: content, mode and link target.
    const drift = await remote(
      lab,
      'node2',
      'cd /var/lib/bosun-e2e && printf "local edit\\n" > motd && chmod 0600 conf.d/app.conf && ln -sfn /etc/hostname current.conf',
    );
    t.equal(drift.code, 0, drift.err);
    const before = await hashes(lab);
    const r = await bosunRun([PLAYBOOK, '-i', inv, '--check', '--diff']);
    t.equal(r.code, 0, r.err);
    t.same(await hashes(lab), before, 'every host byte-identical after --check');
    const recap = parseRecap(r.out);
    t.equal(recap.node1!.changed, 0, 'node1 in sync');
    t.equal(recap.node3!.changed, 0, 'node3 in sync');
    t.equal(recap.node2!.changed, 3, 'node2: content, mode and link would change');
    t.match(r.out, /-local edit\n\+hello from bosun on node2/, 'content diff of the drifted file');
    // Notified only where something would change, and a command handler is skipped in check mode.
    const handler = r.out.slice(r.out.indexOf('RUNNING HANDLER [note change]'), r.out.indexOf('PLAY RECAP'));
    t.match(handler, /skipping: \[node2\] => \(skipped in check mode/, 'handler notified on node2, skipped in check mode');
    t.notMatch(handler, /node1|node3/, 'handler not notified on in-sync hosts');
    const still = await remote(lab, 'node2', 'cat /var/lib/bosun-e2e/motd; stat -c %a /var/lib/bosun-e2e/conf.d/app.conf; readlink /var/lib/bosun-e2e/current.conf');
    t.equal(still.out.toString(), 'local edit\n600\n/etc/hostname\n', 'the drift is still there');
  });
});
