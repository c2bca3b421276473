// TaskModule.reads (lib/engine/prefetch.ts fetches them ahead): for every module that declares them,
// the request reads() announces is exactly the first one plan() makes — same script, same stdin,
// same options — so a read fetched ahead is really used (a difference would only cost a request,
// which this test makes visible instead). The plan is stopped right after its first request.
import t from 'tap';
import type { Connection, ExecOptions, ExecResult } from '../../lib/executor/types.js';
import type { AnyModule } from '../../lib/modules/types.js';
import { getModule } from '../../lib/modules/index.js';
import { validateArgs } from '../../lib/modules/args.js';
import { fakeContext } from '../helpers/fake-ctx.js';
import { writeFileSync } from 'node:fs';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { run } from '../helpers/run.js';

class FirstRequest extends Error {
  constructor(
    readonly script: string,
    readonly opts: ExecOptions,
  ) {
    super('first request seen');
  }
}

/** A connection that stops the plan at its first request. */
const stopper: Connection = {
  host: 'h',
  kind: 'stop',
  stats: { requests: 0, processes: 0 },
  open: async () => {},
  close: async () => {},
  exec: async (script: string, opts: ExecOptions = {}): Promise<ExecResult> => {
    throw new FirstRequest(script, opts);
  },
};

async function firstRequest(mod: AnyModule, args: Record<string, unknown>, facts: Record<string, unknown>): Promise<FirstRequest | undefined> {
  const ctx = { ...fakeContext({ facts }), conn: stopper };
  try {
    await mod.plan(ctx, args);
  } catch (e) {
    if (e instanceof FirstRequest) return e;
    throw e;
  }
  return undefined;
}

const ETCD = { endpoints: 'https://10.0.0.1:2379,https://10.0.0.2:2379', cacert: '/etc/etcd/ca.crt', cert: '/etc/etcd/admin.crt', key: '/etc/etcd/admin.key' };
const KEY = 'ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIHx0bosunreadstestkeyxxxxxxxxxxxxxxxxxxxxxxx deploy@ci';
const RHEL9 = { os_family: 'RedHat', distribution: 'RedHat', distribution_major_version: '9' };
const PW = { password: 'Pw-1 with spaces', new_password: 'Pw-1 with spaces' };

const CASES: Array<[module: string, args: Record<string, unknown>, facts?: Record<string, unknown>]> = [
  ['service', { name: 'etcd', state: 'started', enabled: true }, { init: 'systemd' }],
  ['service', { name: 'etcd', state: 'stopped' }, { init: 'sysv' }],
  ['service', { name: 'ssh', enabled: false }, { init: 'unknown' }],
  ['systemd', { name: 'etcd', state: 'started', enabled: true }],
  ['systemd', { name: 'etcd', masked: false, scope: 'user' }],
  ['systemd', { daemon_reload: true }],
  ['etcdctl', { op: 'health', ...ETCD, password: 'x' }],
  ['etcdctl', { op: 'health', members: true, ...ETCD }],
  ['etcdctl', { op: 'member_list', ...ETCD, ...PW }],
  ['etcdctl', { op: 'member_add', name: 'n4', peer_urls: 'https://10.0.0.4:2380', ...ETCD, password: 'x' }],
  ['etcdctl', { op: 'member_remove', name: 'n4', ...ETCD }],
  ['etcdctl', { op: 'user', name: 'root', roles: ['root'], ...ETCD, ...PW }],
  ['etcdctl', { op: 'user', name: 'app', state: 'absent', api: '2', ...ETCD, password: 'x' }],
  ['etcdctl', { op: 'role', name: 'reader', ...ETCD, password: 'x' }],
  ['etcdctl', { op: 'grant', name: 'app', roles: ['reader'], ...ETCD, password: 'x' }],
  ['etcdctl', { op: 'auth', state: 'enabled', ...ETCD }],
  ['etcdctl', { op: 'auth', state: 'disabled', api: '2', ...ETCD, password: 'x' }],
  ['etcdctl', { op: 'v2_guest', state: 'absent', ...ETCD, password: 'x' }],
  ['etcdctl', { op: 'verify_auth', ...ETCD, password: 'x' }],
  ['etcdctl', { op: 'verify_auth', ...ETCD, password: 'x', login_verified: true }],
  ['etcdctl', { op: 'verify_auth', api: '2', ...ETCD }],
  ['slurp', { src: '/etc/etcd/etcd.conf' }],
  ['slurp', { src: "/tmp/it's here" }],
  ['stat', { path: '/etc/etcd/admin.crt', get_checksum: false, get_mime: false, get_attributes: false }],
  ['stat', { path: "/tmp/it's here", follow: true, checksum_algorithm: 'sha256', get_md5: true }],
  ['hostname', { name: 'web-1' }],
  ['hostname', { name: 'web-1.example.com', use: 'systemd' }],
  ['timezone', { name: 'Europe/Paris' }],
  ['timezone', { name: 'Etc/UTC' }],
  ['cron', { name: 'backup', job: '/usr/local/bin/backup', minute: '5', hour: '2' }],
  ['cron', { name: 'backup', state: 'absent', user: 'app-user' }],
  ['cron', { name: 'PATH', env: true, job: '/usr/bin:/bin', cron_file: 'app-env', user: 'root' }],
  ['sysctl', { name: 'net.ipv4.ip_forward', value: '1' }],
  ['sysctl', { name: ' vm.swappiness ', value: '10', sysctl_file: "/etc/sysctl.d/99-o'dd.conf", state: 'present' }],
  ['sysctl', { name: 'kernel.panic', state: 'absent' }],
  ['authorized_key', { user: 'deploy', key: KEY }],
  ['authorized_key', { user: 'deploy', key: KEY, path: '/srv/keys/deploy', follow: true, state: 'absent' }],
  ['authorized_key', { user: 'deploy', key: KEY, exclusive: true, key_options: 'no-pty' }],
  ['apt_repository', { repo: 'deb http://deb.example.org/debian stable main' }],
  ['apt_repository', { repo: 'deb http://deb.example.org/debian stable main', state: 'absent', filename: 'example' }],
  ['group', { name: 'app' }],
  ['group', { name: 'app', gid: 1500, state: 'absent' }],
  ['user', { name: 'app', shell: '/bin/bash', groups: ['adm'], append: true }],
  ['user', { name: 'app', generate_ssh_key: true }],
  ['user', { name: 'app', generate_ssh_key: true, ssh_key_file: '/srv/app/id_ed25519', ssh_key_type: 'ed25519' }],
  ['user', { name: 'old', state: 'absent', remove: true }],
  ['mount', { path: '/mnt/data', src: '/dev/sdb1', fstype: 'ext4', state: 'mounted' }],
  ['mount', { path: '/mnt/share', src: '//srv/share', fstype: 'cifs', opts: 'username=u,password=S3cret-mount', state: 'present' }],
  ['mount', { path: '/mnt/old', state: 'absent', fstab: '/etc/fstab.test' }],
  ['apt', { name: ['nginx', 'curl:amd64'] }],
  ['apt', { name: ['nginx'], state: 'absent', purge: true }],
  ['apt', { update_cache: true, cache_valid_time: 3600 }],
  ['apt', { deb: '/tmp/pkg one.deb' }],
  ['apt', { name: ['*'], state: 'latest' }],
  ['apt', { upgrade: 'dist' }],
  ['dnf', { name: ['httpd', 'mod_ssl.x86_64'] }],
  ['dnf', { name: ['httpd'], state: 'absent' }],
  ['yum', { name: ['httpd'], state: 'removed', enablerepo: ['epel'] }],
  ['dnf', { update_cache: true }],
  ['package', { name: ['tree', 'chrony'] }],
  ['package', { name: ['tree'], state: 'absent', use: 'dnf' }],
  ['package', { name: ['tree'], state: 'removed' }, RHEL9],
  ['package', { name: ['tree'], state: 'installed' }, { os_family: 'unknown' }],
  ['package_facts', {}],
  ['package_facts', { manager: ['apt'], strategy: 'all' }, { os_family: 'RedHat' }],
  ['getent', { database: 'passwd', key: 'root' }],
  ['getent', { database: 'hosts', key: "it's-a host", service: 'files', split: '\t' }],
  ['debconf', { name: 'tzdata', question: 'tzdata/Areas', vtype: 'select', value: 'Europe' }],
  ['debconf', { name: 'mysql-server', question: 'mysql-server/root_password', vtype: 'password', value: 'S3cret pw' }],
  ['debconf', { name: 'locales' }],
  ['known_hosts', { name: 'git.example.com', key: 'git.example.com ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIOMqqnkVzrm0SdG6UOoqKLsabgH5C9okWi0dh2l9GKJl' }],
  ['known_hosts', { name: '[git.example.com]:2222', key: '[git.example.com]:2222 ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIOMqqnkVzrm0SdG6UOoqKLsabgH5C9okWi0dh2l9GKJl', hash_host: true, path: '/etc/ssh/ssh_known_hosts' }],
  ['known_hosts', { name: 'old.example.com', state: 'absent', path: '~deploy/.ssh/known_hosts' }],
  ['alternatives', { name: 'editor', path: '/usr/bin/vim.basic' }],
  ['alternatives', { name: 'java', path: '/opt/jdk/bin/java', link: '/usr/bin/java', priority: 10, state: 'present', subcommands: [{ name: 'keytool', path: '/opt/jdk/bin/keytool', link: '/usr/bin/keytool' }] }],
  ['apt_key', { id: '473041FA', state: 'absent' }],
  ['apt_key', { file: "/tmp/it's.asc", keyring: '/etc/apt/trusted.gpg.d/x.gpg' }],
];

/**
 * Requests plan() makes that reads() deliberately leaves to their own task: too slow to hold
 * another task's request (the batch answers when its slowest read does). Each is checked to be
 * what makes it slow, so the case cannot pass with a plan that reads nothing.
 */
const SLOW: Array<[module: string, args: Record<string, unknown>, facts: Record<string, unknown> | undefined, slow: RegExp]> = [
  ['apt', { name: ['nginx'], state: 'latest' }, undefined, /apt-cache .*policy/],
  ['apt', { name: ['nginx=1.22.*'] }, undefined, /apt-cache .*policy/],
  ['dnf', { name: ['httpd'], state: 'latest' }, undefined, /repoquery/],
  ['dnf', { name: ['httpd>=2.4'] }, undefined, /repoquery/],
  ['dnf', { name: ['@Development Tools'] }, undefined, /group list/],
  ['package', { name: ['tree'], state: 'latest' }, undefined, /apt-cache .*policy/],
  ['package', { name: ['tree'], state: 'latest' }, { os_family: 'unknown' }, /@@mgr/],
  ['package', { name: ['tree'], state: 'latest' }, RHEL9, /repoquery/],
  ['package_facts', {}, { os_family: 'RedHat' }, /rpm -qa/],
];

t.test("reads() is exactly plan()'s first request", async (t) => {
  for (const [name, raw, facts] of CASES) {
    const mod = await getModule(name);
    const args = validateArgs(mod, raw);
    mod.validate?.(args);
    const ctxFacts = { ...fakeContext().facts, ...(facts ?? {}) };
    const reads = mod.reads!(args, { facts: ctxFacts, check: false });
    const first = await firstRequest(mod, args, ctxFacts);
    const what = `${name} ${JSON.stringify(raw).slice(0, 90)}`;
    if (!first) {
      t.same(reads, [], `${what}: plan reads nothing, reads() announces nothing`);
      continue;
    }
    t.equal(reads.length, 1, `${what}: one read announced`);
    t.equal(reads[0]!.script, first.script, `${what}: same script`);
    t.same(reads[0]!.opts, first.opts, `${what}: same stdin and options`);
    t.equal(reads[0]!.opts.readOnly, true, `${what}: read-only`);
  }
});

t.test('reads() leaves a slow first request (package metadata, rpm -qa) to its own task', async (t) => {
  for (const [name, raw, facts, slow] of SLOW) {
    const mod = await getModule(name);
    const args = validateArgs(mod, raw);
    const ctxFacts = { ...fakeContext().facts, ...(facts ?? {}) };
    const first = await firstRequest(mod, args, ctxFacts);
    const what = `${name} ${JSON.stringify(raw)} ${JSON.stringify(facts ?? {})}`;
    t.match(first?.script, slow, `${what}: plan's first request is the slow one`);
    t.same(mod.reads!(args, { facts: ctxFacts, check: false }), [], `${what}: not announced`);
  }
});

t.test('a secret in a read travels on stdin only, and is listed for masking', async (t) => {
  const mod = await getModule('etcdctl');
  const args = validateArgs(mod, { op: 'user', name: 'root', ...ETCD, ...PW });
  const [q] = mod.reads!(args, { facts: fakeContext().facts, check: false });
  t.notMatch(q!.script, PW.password);
  t.match(String(q!.opts.stdin), PW.password);
  t.ok(q!.opts.secrets?.includes(PW.password));
});

t.test("a mount password in opts is masked in the probe's trace (its fstab line), fetched ahead or not", async (t) => {
  const mod = await getModule('mount');
  const args = validateArgs(mod, { path: '/mnt/share', src: '//srv/share', fstype: 'cifs', opts: 'username=u,pass=S3cret-mount', state: 'present' });
  const [q] = mod.reads!(args, { facts: fakeContext().facts, check: false });
  t.notMatch(q!.script, 'S3cret-mount');
  t.same(q!.opts.secrets, ['S3cret-mount']);
});

t.test('through the runner: a base role of read-planning tasks costs one request on this host (--check)', async (t) => {
  // every task's plan request is answered by the first task's batch: were a module's reads() not
  // exactly its plan request, that task would show its own request in the trace
  const dir = t.testdir({ 'sysctl.conf': 'vm.swappiness = 10\n', 'fstab': '', 'keys': `${KEY}\n` });
  const play = join(dir, 'play.yml');
  writeFileSync(join(dir, 'inventory.yml'), 'all:\n  hosts:\n    h1: { ansible_connection: local }\n');
  writeFileSync(
    play,
    `- hosts: h1
  gather_facts: false
  tasks:
    - group: { name: root }
    - user: { name: root }
    - hostname: { name: ${JSON.stringify(hostname())} }
    - timezone: { name: Etc/UTC }
    - sysctl: { name: vm.swappiness, value: "10", sysctl_file: ${dir}/sysctl.conf, reload: false }
    - apt_repository: { repo: "deb http://deb.example.org/debian stable main", state: absent }
    - cron: { name: bosun-reads-test, cron_file: bosun-reads-test, user: root, state: absent }
    - authorized_key: { user: root, key: "${KEY}", path: ${dir}/keys }
    - mount: { path: ${dir}/mnt, state: absent, fstab: ${dir}/fstab }
`,
  );
  const r = await run([play, '-i', join(dir, 'inventory.yml'), '--check', '-vvv']);
  t.equal(r.code, 0, r.stdout + r.stderr);
  const requests = [...r.stdout.matchAll(/^\[h1\] ([\w:.+-]+): /gm)].map((m) => m[1]);
  t.same(
    requests,
    ['accounts:probe+accounts:probe+hostname:read+timezone:read+sysctl:probe+apt_repository:probe+cron:read+authorized_key:probe+mount:probe'],
    'nine tasks, one request: eight reads fetched ahead with the first',
  );
});
