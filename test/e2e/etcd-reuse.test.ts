// Reuse: the same roles and site.yml, unedited, on a 5-host lab in another domain with its own
// inventory and CA directory → a healthy, authenticated 5-member cluster.
import t from 'tap';
import { spawnSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { withLab } from '../helpers/lab.js';
import { QUICK_HEALTH } from '../helpers/rollout.js';
import { run, recap, repoRoot } from '../helpers/run.js';
import { labInventory } from '../../lib/lab/lab.js';

t.test('site.yml on a 5-host lab in another domain', async (t) => {
  const lab = await withLab(t, { hosts: 5, name: 'e2ereuse', subnetIndex: 31, domain: 'cluster2.example.test' });
  const dir = t.testdir({});
  const inv = join(dir, 'cluster2.yml');
  writeFileSync(inv, labInventory(lab));
  const ca = join(dir, 'ca2');
  const password = 'second cluster pw';
  const vars = join(dir, 'vars.yml');
  writeFileSync(vars, `etcd_root_password: "${password}"\netcd_ca_dir: "${ca}"\netcd_cluster_token: cluster-two\n`);
  const r = await run([join(repoRoot, 'playbooks', 'site.yml'), '-i', inv, '-e', `@${vars}`, ...QUICK_HEALTH]);
  t.equal(r.code, 0, r.stdout.slice(-4000) + r.stderr);
  t.equal(Object.keys(recap(r.stdout)).filter((h) => h.startsWith('node')).length, 5);
  t.notOk(r.stdout.includes(password), 'password never printed');

  const endpoints = lab.hosts.map((h) => `https://${h.fqdn}:2379`).join(',');
  const tls = ['--cacert', join(ca, 'ca.pem'), '--cert', join(ca, 'admin.pem'), '--key', join(ca, 'admin-key.pem')];
  const env = { ...process.env, ETCDCTL_API: '3' };
  const list = spawnSync('etcdctl', ['--endpoints', endpoints, ...tls, 'member', 'list'], { encoding: 'utf8', env: { ...env, ETCDCTL_USER: `root:${password}` }, timeout: 30_000 });
  t.equal(list.status, 0, list.stderr);
  t.equal(list.stdout.trim().split('\n').filter((l) => l.includes(', started, ')).length, 5, '5 started members');
  t.match(list.stdout, `https://${lab.hosts[4]!.fqdn}:2380`); // node5.cluster2.example.test (s<k>. prefix in a slot)
  const health = spawnSync('etcdctl', ['--endpoints', endpoints, ...tls, 'endpoint', 'health', '--cluster'], { encoding: 'utf8', env, timeout: 30_000 });
  t.equal(health.status, 0, health.stderr);
  const anon = spawnSync('etcdctl', ['--endpoints', endpoints, ...tls, 'get', '/'], { encoding: 'utf8', env, timeout: 30_000 });
  t.not(anon.status, 0, 'unauthenticated read refused');
});
