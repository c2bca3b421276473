// The check-mode contract, for every module: with --check, plan() runs on connections that refuse
// any request not marked read-only (engine/gate.ts), and nothing on the host changes. Every module
// in the registry needs a sample here, so a new module cannot skip the contract.
import t from 'tap';
import { createHash } from 'node:crypto';
import { mkdirSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { LocalConnection } from '../../lib/executor/local.js';
import { getModule, moduleNames } from '../../lib/modules/index.js';
import { validateArgs } from '../../lib/modules/args.js';
import { planAndApply } from '../../lib/engine/gate.js';
import { evaluate } from '../../lib/engine/expr.js';
import { BosunError, ModuleContractError } from '../../lib/errors.js';
import { fakeContext } from '../helpers/fake-ctx.js';
import { RecordingConnection } from '../helpers/recording.js';

/** Arguments that would change something (or fail trying) in directory `d`. */
/** A public test key (key material is not a secret), made with gpg in a throw-away home. */
const CONTRACT_KEY = '-----BEGIN PGP PUBLIC KEY BLOCK-----\n\nmDMEaxa69xYJKwYBBAHaRw8BAQdA1u3DdAuewieYr1rj27HoHo17NhqtDajZYyDP\nl6gzMgm0JUJvc3VuIENvbnRyYWN0IDxjb250cmFjdEBleGFtcGxlLmNvbT6IkAQT\nFggAOBYhBKR5F2Q0/emGvQ10n0Zt1B113OmfBQJrFrr3AhsDBQsJCAcCBhUKCQgL\nAgQWAgMBAh4BAheAAAoJEEZt1B113Omf/04BAJm1/cxeZG5lD+Lf4P0CDTRSUxVn\n0iUCRqHid+T93L4gAP4m70xT4NaF0UiOl4ySsPUhPj60ZtL39NquAq2Ap/qhCg==\n=bv/G\n-----END PGP PUBLIC KEY BLOCK-----\n';

const SAMPLES: Record<string, (d: string) => Record<string, unknown>> = {
  apt: () => ({ name: ['hello', 'tree'], state: 'present' }),
  apt_repository: () => ({ repo: 'deb [trusted=yes] file:/srv/bosun-contract ./', filename: 'bosun-contract' }),
  assert: () => ({ that: ['1 == 1'] }),
  blockinfile: (d) => ({ path: join(d, 'copy.txt'), block: 'b' }),
  ini_file: (d) => ({ path: join(d, 'copy.txt'), section: 's', option: 'o', value: 'v' }),
  lineinfile: (d) => ({ path: join(d, 'copy.txt'), line: 'new', mode: '0600' }),
  package: () => ({ name: ['hello'], state: 'present' }),
  package_facts: () => ({ manager: ['auto'] }),
  ping: () => ({}),
  async_status: () => ({ jid: 'j1.1' }),
  setup: () => ({ gather_subset: ['!all'] }),
  include_vars: (d) => ({ dir: d, ignore_unknown_extensions: true }),
  replace: (d) => ({ path: join(d, 'copy.txt'), regexp: 'old', replace: 'new' }),
  cert: (d) => ({ dir: join(d, 'pki'), ca: true }),
  command: (d) => ({ cmd: `touch ${d}/command` }),
  copy: (d) => ({ content: 'x\n', dest: join(d, 'copy.txt'), mode: '0600' }),
  debug: () => ({ msg: 'hello' }),
  dnf: () => ({ name: ['tree'], state: 'latest' }),
  etcdctl: () => ({ op: 'user', name: 'root', password: 'pw', new_password: 'pw', roles: ['root'], endpoints: 'http://127.0.0.1:1' }),
  fail: () => ({ msg: 'as asked' }),
  fetch: (d) => ({ src: join(d, 'copy.txt'), dest: join(d, 'fetched') }),
  find: (d) => ({ paths: d, contains: 'old', get_checksum: true }),
  slurp: (d) => ({ src: join(d, 'copy.txt') }),
  file: (d) => ({ path: join(d, 'dir'), state: 'directory', mode: '0700' }),
  service: () => ({ name: 'bosun-contract-no-such-service', state: 'started' }),
  service_facts: () => ({}),
  systemd: () => ({ name: 'bosun-contract-no-such-unit', state: 'started', enabled: true, daemon_reload: true }),
  shell: (d) => ({ cmd: `echo hi > ${d}/shell` }),
  stat: (d) => ({ path: join(d, 'tpl.hbs') }),
  template: (d) => ({ src: join(d, 'tpl.hbs'), dest: join(d, 'tpl.out') }),
  wait_for: (d) => ({ path: join(d, 'never'), timeout: 1 }),
  yaml_keys: (d) => ({ path: join(d, 'keys.yaml'), set: { a: 1 } }),
  unarchive: (d) => ({ src: join(d, 'a.tgz'), dest: join(d, 'unpacked') }),
  archive: (d) => ({ path: [join(d, 'tpl.hbs'), join(d, 'copy.txt')], dest: join(d, 'a.tar.gz') }),
  assemble: (d) => ({ src: d, dest: join(d, 'assembled.conf'), delimiter: '#', mode: '0600' }),
  tempfile: (d) => ({ path: d, state: 'directory' }),
  uri: () => ({ url: 'http://127.0.0.1:1/', status_code: [-1] }),
  get_url: (d) => ({ url: `file://${d}/copy.txt`, dest: join(d, 'got.txt'), mode: '0600' }),
  yum: () => ({ name: ['tree'], state: 'absent' }),
  user: () => ({ name: 'bosun-contract-no-such-user', groups: ['root'], password: '$6$x$y' }),
  group: () => ({ name: 'bosun-contract-no-such-group', system: true }),
  authorized_key: (d) => ({ user: 'root', path: join(d, 'keys'), key: 'ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIContract contract@test' }),
  sysctl: (d) => ({ name: 'net.ipv4.ip_forward', value: '1', sysctl_set: true, sysctl_file: join(d, 'sysctl.conf') }),
  cron: (d) => ({ name: 'contract', job: '/bin/true', user: 'root', cron_file: join(d, 'cron') }),
  hostname: () => ({ name: 'bosun-contract-no-such-name' }),
  timezone: () => ({ name: 'Pacific/Chatham' }),
  // the run's inventory, not the host: they report changed in check mode too, as Ansible's group_by/add_host
  group_by: () => ({ key: 'contract_group', parents: ['p'] }),
  add_host: () => ({ name: 'contract-host', groups: ['g'], ansible_connection: 'local' }),
  pause: () => ({ seconds: 0 }),
  // the control node's variables only: fails (an ordinary failure) in check mode as outside it
  validate_argument_spec: () => ({ argument_spec: { port: { type: 'int', required: true } }, provided_arguments: { port: 'x' } }),
  // always a change outside check mode, and skipped in it, as Ansible's (doc.check 'none')
  raw: (d) => ({ cmd: `echo hi > ${d}/raw` }),
  // no creates/removes: check mode cannot tell (skipped); the script would write in d
  script: (d) => ({ cmd: `${d}/writer.sh ${d}/script` }),
  getent: () => ({ database: 'passwd', key: 'root' }),
  // skipped in check mode, as Ansible's: not even planned
  wait_for_connection: () => ({ timeout: 1 }),
  yum_repository: (d) => ({ name: 'contract', description: 'Contract', baseurl: ['http://a.example/', 'http://b.example/'], enabled: false, reposdir: d }),
  // reads the control node's debconf database (debconf-show): a package no database knows
  debconf: () => ({ name: 'bosun-contract-no-such-package', question: 'bosun-contract/q', vtype: 'string', value: 'v' }),
  // a clone of a repository made in d (git's ls-remote reads it: no fetch, nothing written)
  git: (d) => ({ repo: join(d, 'src'), dest: join(d, 'checkout'), version: 'main' }),
  known_hosts: (d) => ({ name: 'contract.example', key: 'contract.example ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIOMqqnkVzrm0SdG6UOoqKLsabgH5C9okWi0dh2l9GKJl', path: join(d, 'known_hosts') }),
  // the control node's alternatives are only read (a group nobody has): registering would be the change
  alternatives: (d) => ({ name: 'bosun-contract-alt', path: join(d, 'tpl.hbs'), link: join(d, 'alt-link'), priority: 5 }),
  // a keyring in the test directory that does not exist: apt-key is not even run (it would create it)
  apt_key: (d) => ({ data: CONTRACT_KEY, keyring: join(d, 'ring.gpg') }),
  // no Makefile: make -q says the target is not up to date (a change, as for Ansible)
  make: (d) => ({ chdir: d, target: 'bosun-contract-target', params: { V: '1' } }),
  mount: (d) => ({ path: join(d, 'mnt', 'point'), src: 'tmpfs', fstype: 'tmpfs', opts: 'size=1m', state: 'mounted', fstab: join(d, 'fstab') }),
};

/** Samples that plan a change (or cannot predict it) outside check mode. */
const WOULD_CHANGE = ['alternatives', 'apt_key', 'make', 'git', 'debconf', 'known_hosts', 'yum_repository', 'raw', 'script', 'wait_for_connection', 'add_host', 'group_by', 'apt_repository', 'archive', 'assemble', 'tempfile', 'get_url', 'unarchive', 'authorized_key', 'blockinfile', 'cert', 'command', 'copy', 'cron', 'fetch', 'file', 'group', 'hostname', 'ini_file', 'lineinfile', 'mount', 'replace', 'shell', 'sysctl', 'template', 'timezone', 'user', 'yaml_keys'];

/** Every path, mode and content under `dir`. */
function snapshot(dir: string): string {
  const h = createHash('sha256');
  const walk = (p: string): void => {
    for (const n of readdirSync(p).sort()) {
      const f = join(p, n);
      const st = statSync(f);
      h.update(`${f} ${st.mode}\n`);
      if (st.isDirectory()) walk(f);
      else h.update(readFileSync(f));
    }
  };
  walk(dir);
  return h.digest('hex');
}

t.test('every module has a sample', async (t) => {
  t.same(Object.keys(SAMPLES).sort(), moduleNames());
});

for (const name of moduleNames()) {
  t.test(`${name}: check mode sends nothing but reads and changes nothing`, async (t) => {
    const dir = t.testdir({ 'tpl.hbs': 'templated\n', 'writer.sh': '#!/bin/sh\necho hi > "$1"\n' });
    writeFileSync(join(dir, 'copy.txt'), 'old\n');
    if (name === 'git') {
      const env = { ...process.env, GIT_AUTHOR_NAME: 't', GIT_AUTHOR_EMAIL: 't@example', GIT_COMMITTER_NAME: 't', GIT_COMMITTER_EMAIL: 't@example' };
      spawnSync('git', ['init', '-q', '-b', 'main', join(dir, 'src')], { env });
      spawnSync('git', ['-C', join(dir, 'src'), 'commit', '-q', '--allow-empty', '-m', 'one'], { env });
    }
    if (name === 'unarchive') {
      mkdirSync(join(dir, 'unpacked'));
      spawnSync('tar', ['-czf', join(dir, 'a.tgz'), '-C', dir, 'tpl.hbs']);
    }
    const before = snapshot(dir);
    const mod = await getModule(name);
    const args = validateArgs(mod, SAMPLES[name]!(dir));
    const conn = new RecordingConnection(new LocalConnection());
    const ctx = { ...fakeContext({ check: true, baseDir: dir }), conn, control: conn, evaluate: (e: string) => evaluate(e, {}) };
    const r = await planAndApply(mod, ctx, args).catch((e: unknown) => e);
    t.notOk(r instanceof ModuleContractError, `${name} wrote while planning: ${r instanceof Error ? r.message : ''}`);
    // a failure is a fine answer (no such service, no etcd), as long as it is an ordinary one
    if (r instanceof Error) t.ok(r instanceof BosunError, `${name}: ${r.message}`);
    if (WOULD_CHANGE.includes(name)) {
      t.ok(!(r instanceof Error) && (r.outcome.changed || r.checkSkipped), `${name}: the sample is a change, so the test is not vacuous`);
    }
    t.equal(snapshot(dir), before, 'nothing changed');
  });
}
