// Issue 6, "Grow and shrink", on a real 5-host lab: site.yml deploys node1..3; with node4 and node5
// added to the inventory, site.yml adds them one at a time (member add, state existing, start,
// health) without restarting the others; playbooks/remove-member.yml takes them out again. A
// writer runs through 3 → 5 → 3 and every write etcd acknowledged must still be there.
import t from 'tap';
import { spawnSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { withLab } from '../helpers/lab.js';
import { QUICK_HEALTH } from '../helpers/rollout.js';
import { run as runBosun, recap, repoRoot, type RunResult } from '../helpers/run.js';
import { EtcdWriter, etcdctlAsync, type EtcdTls } from '../helpers/etcd-writer.js';
import { labInventory, sshArgs, type LabState } from '../../lib/lab/lab.js';

const SITE = join(repoRoot, 'playbooks', 'site.yml');
const REMOVE = join(repoRoot, 'playbooks', 'remove-member.yml');
const PASSWORD = 'grow-pw-Kx3!';

// BOSUN_E2E_LOG=DIR keeps the output of every run there (these runs are long to reproduce).
let runs = 0;
async function run(argv: string[]): Promise<RunResult> {
  const r = await runBosun(argv);
  const logDir = process.env.BOSUN_E2E_LOG;
  if (logDir) writeFileSync(join(logDir, `grow-${String(++runs).padStart(2, '0')}.log`), `${argv.join(' ')}\n${r.stdout}\n${r.stderr}`);
  return r;
}

/** The lab inventory restricted to `keep` (labInventory puts one host a line). */
function inventoryOf(lab: LabState, keep: string[]): string {
  return labInventory(lab)
    .split('\n')
    .filter((l) => {
      const m = /^\s+(node\d+):/.exec(l);
      return !m || keep.includes(m[1]!);
    })
    .join('\n');
}

/** "<matched part of the title> <host>" for each host result under the task banners whose title matches `re`, in output order. */
function steps(stdout: string, re: RegExp): string[] {
  const out: string[] = [];
  for (const chunk of stdout.split(/^(?=TASK \[|RUNNING HANDLER \[|PLAY )/m)) {
    const title = /^TASK \[(.*)\] \*+$/m.exec(chunk)?.[1];
    const m = title ? re.exec(title) : null;
    if (!m) continue;
    for (const h of chunk.matchAll(/^(?:ok|changed|failed): \[(\S+?)\]/gm)) out.push(`${m[1] ?? m[0]} ${h[1]}`);
  }
  return out;
}

function ssh(lab: LabState, host: string, cmd: string): string {
  const r = spawnSync('ssh', [...sshArgs(lab, host), cmd], { encoding: 'utf8', timeout: 30_000 });
  return r.stdout.trim();
}

/** Started members by name (unstarted ones as "(unstarted)"). */
async function members(endpoints: string[], tls: EtcdTls): Promise<string[]> {
  const r = await etcdctlAsync(endpoints, tls, ['member', 'list'], { user: `root:${PASSWORD}` });
  if (r.code !== 0) throw new Error(`member list: ${r.stderr}`);
  return r.stdout
    .trim()
    .split('\n')
    .map((l) => l.split(', '))
    .map((f) => (f[1] === 'started' ? f[2]! : '(unstarted)'))
    .sort();
}

async function healthyCluster(endpoints: string[], tls: EtcdTls): Promise<number> {
  const r = await etcdctlAsync(endpoints, tls, ['endpoint', 'health', '--cluster']);
  const text = r.stdout + r.stderr;
  if (r.code !== 0) throw new Error(`endpoint health --cluster: ${text}`);
  return text.match(/ is healthy/g)?.length ?? 0;
}

t.test('grow 3 → 5 and shrink 5 → 3 under a steady writer', async (t) => {
  const lab = await withLab(t, { hosts: 5, name: 'e2egrow', subnetIndex: 33, domain: 'grow.test' });
  const dir = t.testdir({});
  const inv3 = join(dir, 'three.yml');
  const inv5 = join(dir, 'five.yml');
  const inv1 = join(dir, 'one.yml');
  writeFileSync(inv3, inventoryOf(lab, ['node1', 'node2', 'node3']));
  writeFileSync(inv5, inventoryOf(lab, ['node1', 'node2', 'node3', 'node4', 'node5']));
  writeFileSync(inv1, inventoryOf(lab, ['node1']));
  const ca = join(dir, 'etcd-ca');
  const vars = ['-e', `etcd_ca_dir=${ca}`, '-e', `etcd_root_password=${PASSWORD}`, ...QUICK_HEALTH];
  const tls: EtcdTls = { cacert: join(ca, 'ca.pem'), cert: join(ca, 'admin.pem'), key: join(ca, 'admin-key.pem') };
  // node1..3 stay members throughout: the writer and the checks talk to them.
  const core = lab.hosts.slice(0, 3).map((h) => `https://${h.ip}:2379`);
  const pids = () => lab.hosts.slice(0, 3).map((h) => ssh(lab, h.name, 'pgrep -x etcd'));
  const envs = () => lab.hosts.slice(0, 3).map((h) => ssh(lab, h.name, 'md5sum /etc/default/etcd'));

  const r0 = await run([SITE, '-i', inv3, ...vars]);
  t.equal(r0.code, 0, r0.stdout.slice(-3000) + r0.stderr);
  t.same(await members(core, tls), ['node1', 'node2', 'node3'], 'three started members');

  const writer = new EtcdWriter({ endpoints: core, tls, user: `root:${PASSWORD}`, prefix: '/bosun/grow/', pauseMs: 100, maxMs: 300_000 });
  writer.start();
  t.teardown(async () => void (await writer.stop()));

  await t.test('grow: site.yml with node4 and node5 adds them one at a time, others untouched', async (t) => {
    const pidsBefore = pids();
    const envsBefore = envs();
    t.ok(pidsBefore.every((p) => /^\d+$/.test(p)), `etcd runs on node1..3: ${pidsBefore.join(' ')}`);
    const r = await run([SITE, '-i', inv5, ...vars]);
    t.equal(r.code, 0, r.stdout.slice(-4000) + r.stderr);
    // The join block runs to its end for node4 before node5 starts it (throttle: 1).
    t.same(
      steps(r.stdout, /^etcd : Grow \| (member add|start the new member)/),
      ['member add node4', 'start the new member node4', 'member add node5', 'start the new member node5'],
      'member add, start node4; then node5',
    );
    t.same(pids(), pidsBefore, 'node1..3 were not restarted');
    t.same(envs(), envsBefore, "node1..3's env files unchanged");
    t.match(ssh(lab, 'node5', 'grep ^ETCD_INITIAL_CLUSTER /etc/default/etcd'), /ETCD_INITIAL_CLUSTER_STATE="existing"/);
    const n5cluster = ssh(lab, 'node5', 'sed -n "s/^ETCD_INITIAL_CLUSTER=//p" /etc/default/etcd');
    t.same(n5cluster.replace(/"/g, '').split(',').map((s) => s.split('=')[0]).sort(), ['node1', 'node2', 'node3', 'node4', 'node5'], 'node5 joined listing the 4 members and itself');
    t.same(await members(core, tls), ['node1', 'node2', 'node3', 'node4', 'node5'], 'five started members');
    t.equal(await healthyCluster(core, tls), 5, 'endpoint health --cluster: 5 healthy');
    t.ok(writer.acked > 0, `writes acknowledged during the grow: ${writer.acked}`);

    const again = await run([SITE, '-i', inv5, ...vars]);
    t.equal(again.code, 0, again.stdout.slice(-3000));
    for (const [h, s] of Object.entries(recap(again.stdout))) t.equal(s.changed, 0, `rerun: ${h} changed=0`);
  });

  await t.test('refusals change nothing', async (t) => {
    const unknown = await run([REMOVE, '-i', inv5, ...vars, '-e', 'member=node9']);
    t.equal(unknown.code, 2, 'refused');
    t.match(unknown.stdout, /refusing to remove 'node9': it is not a host of group etcd/);
    t.notMatch(unknown.stdout, /changed: /, 'nothing changed');
    const last = await run([REMOVE, '-i', inv1, ...vars, '-e', 'member=node1']);
    t.equal(last.code, 2, 'refused');
    t.match(last.stdout, /the last member cannot be removed/);
    t.same(await members(core, tls), ['node1', 'node2', 'node3', 'node4', 'node5'], 'still five members');
  });

  await t.test('shrink: remove-member.yml node4 then node5', async (t) => {
    const pidsBefore = pids();
    const r = await run([REMOVE, '-i', inv5, ...vars, '-e', 'member=node4']);
    t.equal(r.code, 0, r.stdout.slice(-4000) + r.stderr);
    t.match(r.stdout, /moved \/var\/lib\/etcd\/default to \/var\/lib\/etcd\/default\.removed-\d{8}T\d{6}/, 'says where the data went');
    t.same(await members(core, tls), ['node1', 'node2', 'node3', 'node5'], 'node4 removed');
    t.equal(ssh(lab, 'node4', 'pgrep -x etcd || echo none'), 'none', 'etcd stopped on node4');
    t.match(ssh(lab, 'node4', 'ls -d /var/lib/etcd/default* | tr "\\n" " "'), /^\/var\/lib\/etcd\/default\.removed-\d{8}T\d{6}$/, 'data dir moved aside, not deleted');
    t.equal(ssh(lab, 'node4', 'ls /etc/rc2.d | grep -c "^S[0-9][0-9]etcd$" || true'), '0', 'etcd disabled at boot on node4');

    const again = await run([REMOVE, '-i', inv5, ...vars, '-e', 'member=node4']);
    t.equal(again.code, 0, again.stdout.slice(-3000));
    for (const [h, s] of Object.entries(recap(again.stdout))) t.equal(s.changed, 0, `remove again: ${h} changed=0`);

    const r5 = await run([REMOVE, '-i', inv5, ...vars, '-e', 'member=node5']);
    t.equal(r5.code, 0, r5.stdout.slice(-4000) + r5.stderr);
    t.same(await members(core, tls), ['node1', 'node2', 'node3'], 'back to three');
    t.equal(await healthyCluster(core, tls), 3, 'endpoint health --cluster: 3 healthy');
    t.same(pids(), pidsBefore, 'node1..3 were not restarted');
  });

  await t.test('quorum: with node2 down, removing node3 is refused', async (t) => {
    ssh(lab, 'node2', 'service etcd stop');
    try {
      const r = await run([REMOVE, '-i', inv3, ...vars, '-e', 'member=node3']);
      t.equal(r.code, 2, 'refused');
      // the remaining members come in `member list` order (by member ID: either way round)
      t.match(r.stdout, /refusing to remove node3: the 2 member\(s\) that would remain \((node1 node2|node2 node1) \) need more than half of them healthy/);
      t.notMatch(r.stdout, /changed: /, 'nothing changed');
    } finally {
      ssh(lab, 'node2', 'service etcd start');
    }
    t.same(await members(core, tls), ['node1', 'node2', 'node3'], 'still three');
  });

  await t.test('site.yml on the 3-host inventory changes nothing; no acknowledged write lost', async (t) => {
    const r = await run([SITE, '-i', inv3, ...vars]);
    t.equal(r.code, 0, r.stdout.slice(-3000));
    for (const [h, s] of Object.entries(recap(r.stdout))) t.equal(s.changed, 0, `${h} changed=0`);
    t.equal(await healthyCluster(core, tls), 3);
    const report = await writer.stop();
    const v = await writer.verify();
    t.ok(report.acked >= 50, `acknowledged writes: ${report.acked} of ${report.attempted} (failed: ${report.failed} ${report.errors.join('; ')})`);
    t.same(v.lost, [], `0 of ${v.checked} acknowledged writes lost`);
  });
});
