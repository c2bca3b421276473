// `become:` on a task or block runs it through its own channel under `sudo -n -u USER` (real sudo,
// on a real lab host); the inventory's own channel stays as it is.
import t from 'tap';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { withLab } from '../helpers/lab.js';
import { run, recap, repoRoot } from '../helpers/run.js';
import { labInventory } from '../../lib/lab/lab.js';

t.test('become per task and per block over SSH', async (t) => {
  const lab = await withLab(t, { hosts: 1, name: 'e2ebecome', subnetIndex: 35, domain: 'become.test' });
  const dir = t.testdir({});
  const inv = join(dir, 'inv.yml');
  writeFileSync(inv, labInventory(lab));
  const r = await run([join(repoRoot, 'test', 'fixtures', 'e2e', 'become', 'site.yml'), '-i', inv]);
  t.equal(r.code, 0, r.stdout.slice(-2500) + r.stderr);
  t.equal(recap(r.stdout).node1!.failed, 0);
  // one channel for the inventory user, one per become user
  t.match(r.stdout, /bosun: 1 host\(s\), \d+ request\(s\), 3 ssh process\(es\)/);
});
