// Facts against the oracle: `ansible -m setup` and `bosun adhoc -m setup` on the same lab hosts, the
// listed facts compared by name and value. Volatile values are normalised: the clock (date_time: same
// keys and zone, epoch within minutes), free memory, free disk space, and the session's own
// environment variables (ssh ports, tty). The Debian host boots systemd and gets a default route
// (to an address nobody answers), a secondary address and a labelled alias, so default_ipv4/6,
// ipv4_secondaries and alias interfaces are compared too; the redhat host presents Rocky's os-release.
import t, { type Test } from 'tap';
import { spawnSync } from 'node:child_process';
import { existsSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { labInventory, type LabState } from '../../lib/lab/lab.js';
import { withLab } from '../helpers/lab.js';
import { runAnsible, runBosun, workDir } from '../helpers/differential.js';
import { staticEntryFile } from '../../lib/modules/util/facts/cache.js';

type Dict = Record<string, unknown>;

/** Facts equal by value (after the interface list is sorted: Ansible's order comes from a hash set). */
const SAME = [
  'distribution', 'distribution_version', 'distribution_major_version', 'distribution_minor_version', 'distribution_release',
  'distribution_file_path', 'distribution_file_variety', 'distribution_file_parsed', 'os_family', 'pkg_mgr', 'service_mgr',
  'hostname', 'fqdn', 'nodename', 'domain', 'default_ipv4', 'default_ipv6', 'all_ipv4_addresses', 'all_ipv6_addresses',
  'memtotal_mb', 'swaptotal_mb', 'processor', 'processor_vcpus', 'processor_cores', 'processor_count', 'processor_threads_per_core',
  'processor_nproc', 'kernel', 'kernel_version', 'architecture', 'machine', 'system', 'userspace_bits', 'userspace_architecture',
  'machine_id', 'python', 'python_version', 'user_id', 'user_uid', 'user_gid', 'user_gecos', 'user_dir', 'user_shell',
  'real_user_id', 'effective_user_id', 'real_group_id', 'effective_group_id', 'lsb', 'dns',
];
const ENV_KEYS = ['HOME', 'PATH', 'LOGNAME', 'USER', 'SHELL', 'LANG', 'PWD'];
const MOUNT_KEYS = ['mount', 'device', 'fstype', 'options', 'uuid', 'block_size', 'block_total', 'size_total', 'inode_total'];

function setupJson(out: string, host: string): Dict {
  const i = out.indexOf(`${host} | SUCCESS => {`);
  if (i < 0) throw new Error(`no setup result for ${host} in:\n${out.slice(0, 2000)}`);
  const body = out.slice(out.indexOf('{', i));
  const end = body.indexOf('\n}') + 2;
  return (JSON.parse(body.slice(0, end)) as { ansible_facts: Dict }).ansible_facts;
}

const pick = (o: unknown, keys: string[]): Dict => Object.fromEntries(keys.map((k) => [k, (o as Dict | undefined)?.[k]]));

async function compare(t: Test, lab: LabState, expect: Dict): Promise<Dict> {
  const dir = workDir({ 'inv.yml': labInventory(lab, 'nodes') });
  const inv = join(dir, 'inv.yml');
  const [a, b] = [await runAnsible('ansible', ['node1', '-i', inv, '-m', 'setup'], dir), await runBosun(['adhoc', 'node1', '-i', inv, '-m', 'setup'], dir)];
  t.equal(a.code, 0, `ansible -m setup: ${a.stderr}`);
  t.equal(b.code, 0, `bosun adhoc -m setup: ${b.stderr}`);
  const fa = setupJson(a.stdout, 'node1');
  const fb = setupJson(b.stdout, 'node1');
  t.match(fb, expect, 'the values this host must show');
  for (const k of SAME) {
    const name = `ansible_${k}`;
    t.same(fb[name], fa[name], `${name}${fa[name] === undefined ? ' (absent in both)' : ''}`);
  }
  t.same(fb.gather_subset, fa.gather_subset, 'gather_subset');
  t.equal(fb.module_setup, fa.module_setup, 'module_setup');
  const ifa = (fa.ansible_interfaces as string[]).slice().sort();
  t.same((fb.ansible_interfaces as string[]).slice().sort(), ifa, 'ansible_interfaces (as a set)');
  for (const i of ifa) t.same(fb[`ansible_${i.replace(/-/g, '_')}`], fa[`ansible_${i.replace(/-/g, '_')}`], `per-interface facts of ${i}`);
  t.same(pick(fb.ansible_env, ENV_KEYS), pick(fa.ansible_env, ENV_KEYS), 'ansible_env (the login\'s variables)');
  const da = fa.ansible_date_time as Dict;
  const db = fb.ansible_date_time as Dict;
  t.same(Object.keys(db).sort(), Object.keys(da).sort(), 'ansible_date_time keys');
  t.same(pick(db, ['tz', 'tz_dst', 'tz_offset']), pick(da, ['tz', 'tz_dst', 'tz_offset']), 'ansible_date_time zone');
  t.ok(Math.abs(Number(db.epoch) - Number(da.epoch)) < 600, 'ansible_date_time epoch: the same clock');
  t.equal(db.date, `${db.year}-${db.month}-${db.day}`, 'date is year-month-day');
  t.equal(typeof fb.ansible_memfree_mb, 'number', 'ansible_memfree_mb is a number');
  t.same((fb.ansible_mounts as Dict[]).map((m) => pick(m, MOUNT_KEYS)), (fa.ansible_mounts as Dict[]).map((m) => pick(m, MOUNT_KEYS)), 'ansible_mounts (sizes but free space)');
  // a second probe skips python, lsb_release and getconf (the host's signature is unchanged): the
  // cache entry is not rewritten, and what it answers is still Ansible's
  // (the cache directory as the in-process runs chose it; undefined when caching is off)
  const entry = staticEntryFile('ssh', `node1@${lab.hosts[0]!.ip}:`);
  if (entry) t.ok(existsSync(entry), 'the first probe cached its static answers');
  const written = entry && existsSync(entry) ? statSync(entry).mtimeMs : undefined;
  const c = await runBosun(['adhoc', 'node1', '-i', inv, '-m', 'setup'], dir);
  t.equal(c.code, 0, `bosun adhoc -m setup, again: ${c.stderr}`);
  const fc = setupJson(c.stdout, 'node1');
  if (entry) t.equal(statSync(entry).mtimeMs, written, 'the second probe was answered from the cache');
  for (const k of ['python', 'python_version', 'lsb', 'userspace_bits']) t.same(fc[`ansible_${k}`], fa[`ansible_${k}`], `ansible_${k} from the cache`);
  return fb;
}

/** A playbook's view of the facts: injected names, ansible_facts, gather_subset — the same through both tools. */
async function injection(t: Test, lab: LabState): Promise<void> {
  const play = `- hosts: all
  gather_subset: ['!all', 'network']
  tasks:
    - debug:
        msg: "{{ ansible_facts.distribution }}|{{ ansible_distribution }}|{{ ansible_facts['os_family'] }}|{{ hostvars[inventory_hostname].ansible_default_ipv4.address | default('none') }}|{{ ansible_memtotal_mb is defined }}|{{ ansible_facts.eth0.ipv4.address }}|{{ module_setup }}|{{ gather_subset }}"
    - setup: { gather_subset: ['!all', 'hardware'], filter: ['ansible_mem*'] }
    - debug:
        msg: "{{ ansible_memtotal_mb > 0 }}|{{ ansible_processor_vcpus is defined }}|{{ ansible_facts.memtotal_mb == ansible_memtotal_mb }}"
    - meta: clear_facts
    - debug:
        msg: "{{ ansible_facts | length }}|{{ ansible_distribution is defined }}"
`;
  const dir = workDir({ 'site.yml': play, 'inv.yml': labInventory(lab, 'nodes') });
  const args = ['site.yml', '-i', 'inv.yml'];
  const [a, b] = [await runAnsible('ansible-playbook', args, dir), await runBosun(['run', ...args], dir)];
  t.equal(a.code, 0, a.stdout + a.stderr);
  t.equal(b.code, 0, b.stdout + b.stderr);
  const msgs = (out: string) => [...out.matchAll(/"msg": "(.*)"/g)].map((m) => m[1]);
  t.same(msgs(b.stdout), msgs(a.stdout), 'the same facts seen by templates');
  t.equal(msgs(b.stdout).length, 3, 'three messages');
}

t.test('Debian host with systemd: bosun facts = ansible -m setup', async (t) => {
  const lab = await withLab(t, { hosts: 1, name: 'ctlfacts', subnetIndex: 47, init: 'systemd' });
  const h = lab.hosts[0]!;
  const net = h.ip.split('.').slice(0, 3).join('.');
  const ssh = spawnSync('ssh', ['-F', '/dev/null', '-i', lab.keyFile, '-o', `UserKnownHostsFile=${lab.knownHostsFile}`, '-o', 'BatchMode=yes', `root@${h.ip}`,
    // a default route whose gateway does not exist: route lookups answer, nothing leaves the lab
    `ip route add default via ${net}.254 dev eth0 && ip addr add ${net}.50/24 dev eth0 && ip addr add ${net}.51/24 dev eth0 label eth0:1 && ` +
    'ip -6 addr add fd66::11/64 dev eth0 nodad && ip -6 route add default via fd66::1 dev eth0'], { encoding: 'utf8' });
  t.equal(ssh.status, 0, ssh.stderr);
  const fb = await compare(t, lab, {
    ansible_distribution: 'Debian', ansible_distribution_major_version: '12', ansible_distribution_release: 'bookworm',
    ansible_os_family: 'Debian', ansible_pkg_mgr: 'apt', ansible_service_mgr: 'systemd', ansible_hostname: 'node1',
    ansible_default_ipv4: { address: h.ip, gateway: `${net}.254`, interface: 'eth0', alias: 'eth0', prefix: '24' },
    ansible_eth0: { ipv4: { address: h.ip }, ipv4_secondaries: [{ address: `${net}.50` }] },
    ansible_lsb: { id: 'Debian', codename: 'bookworm' },
  });
  t.same((fb.ansible_interfaces as string[]).slice().sort(), ['eth0', 'eth0_1', 'lo'], 'the labelled alias eth0:1 is an interface of its own, eth0_1');
  await injection(t, lab);
});

t.test('redhat-family host: Rocky facts, as ansible sees them', async (t) => {
  const lab = await withLab(t, { hosts: 1, name: 'ctlfactsrh', subnetIndex: 48, family: 'redhat' });
  await compare(t, lab, {
    ansible_distribution: 'Rocky', ansible_distribution_version: '9.4', ansible_distribution_major_version: '9',
    ansible_distribution_release: 'Blue Onyx', ansible_os_family: 'RedHat', ansible_pkg_mgr: 'dnf', ansible_service_mgr: 'sshd',
    ansible_distribution_file_path: '/etc/redhat-release', ansible_default_ipv4: {},
  });
});
