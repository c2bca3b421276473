// The nsenter transport: the framed channel (channel.ts) into a real lab host's namespaces, without
// its sshd. Proves the registry's promise: a second transport is one file and one registry line,
// and everything above it (facts, modules, become, check mode, recap) works unchanged.
import t from 'tap';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { NsenterConnection } from '../../lib/executor/nsenter.js';
import { openConnections, closeAll } from '../../lib/executor/live.js';
import { connectionNames, connectionType, createConnection, isConnectionName } from '../../lib/executor/registry.js';
import { UnreachableError } from '../../lib/errors.js';
import { labStatus } from '../../lib/lab/lab.js';
import { withLab } from '../helpers/lab.js';
import { recap, run } from '../helpers/run.js';

const spec = (address: string) => ({ name: 'ns1', connection: 'nsenter', address, connectTimeoutSec: 2 });

t.test('registry: nsenter is registered, can become, and is prestarted like ssh', async (t) => {
  t.same(connectionNames(), ['local', 'nsenter', 'ssh']);
  t.ok(isConnectionName('nsenter'));
  t.equal(isConnectionName('toString'), false, 'no inherited names');
  t.equal(connectionType('nsenter')?.become, true);
  t.equal(connectionType('local')?.become, false);
  const c = await createConnection(spec('1'));
  t.ok(c instanceof NsenterConnection);
  t.equal(c.kind, 'nsenter');
});

t.test('a bad target fails to open with a clear message and no retry', async (t) => {
  const bad = new NsenterConnection(spec('node1'), { retryDelaysMs: [] });
  await t.rejects(bad.open(), { constructor: UnreachableError, message: /ansible_host of an nsenter host must be the PID .* got 'node1'/ });
  // a PID that is no process: nsenter says so; not retried (retryDelaysMs would make it slow)
  const gone = new NsenterConnection(spec('999999999'), { retryDelaysMs: [60_000] });
  await t.rejects(gone.open(), { constructor: UnreachableError, message: /no process 999999999 to enter/ });
  t.equal(openConnections.has(gone), false);
});

t.test('nsenter into a lab host: its hostname, PID 1, network, a clean environment; runs a playbook', async (t) => {
  const lab = await withLab(t, { hosts: 1, name: 'nsenter', subnetIndex: 45 });
  const status = await labStatus(lab.name);
  const pid = status?.hosts[0]?.pid;
  if (!pid) throw new Error('lab host has no PID');
  const host = lab.hosts[0]!;

  process.env.BOSUN_TEST_CONTROL_ONLY = 'must-not-reach-the-host';
  t.teardown(() => void delete process.env.BOSUN_TEST_CONTROL_ONLY);
  const c = new NsenterConnection(spec(String(pid)));
  t.teardown(() => c.close());
  const r = await c.exec('hostname; cat /proc/1/comm; ip -o -4 addr show; env', { label: 'look' });
  t.equal(r.exitCode, 0, r.stderr);
  const [name, init] = r.stdout.split('\n');
  t.equal(name, host.name, "the host's UTS namespace");
  t.equal(init, 'sshd', "the host's PID namespace (its PID 1 is sshd)");
  t.match(r.stdout, host.ip, "the host's network namespace");
  t.notMatch(r.stdout, /BOSUN_TEST_CONTROL_ONLY/, "the control node's environment stays home");
  // stdin payloads and exit codes travel as over ssh
  const echo = await c.exec('cat; exit 3', { stdin: 'payload\n' });
  t.same([echo.exitCode, echo.stdout], [3, 'payload\n']);
  t.ok(openConnections.has(c), 'an open channel is known to the SIGINT handler');
  await closeAll();
  t.equal(openConnections.has(c), false, 'closeAll closed it');

  const dir = t.testdir({
    'inv.yml': `all:\n  hosts:\n    ${host.name}:\n      ansible_connection: nsenter\n      ansible_host: "${pid}"\n`,
    'pb.yml': [
      '- hosts: all',
      '  tasks:',
      '    - copy: { content: "written through nsenter\\n", dest: /etc/bosun-nsenter-test, mode: "0640" }',
      '    - command: id -un',
      '      become: true',
      '      become_user: nobody',
      '      register: who',
      '      changed_when: false',
      '    - assert: { that: [ "who.stdout == \'nobody\'", "ansible_hostname == inventory_hostname" ] }',
      '',
    ].join('\n'),
  });
  const first = await run([join(dir, 'pb.yml'), '-i', join(dir, 'inv.yml')]);
  t.equal(first.code, 0, first.stdout + first.stderr);
  t.match(recap(first.stdout)[host.name], { changed: 1, failed: 0 });
  const upper = join(host.upperDir, 'etc', 'bosun-nsenter-test');
  t.equal(readFileSync(upper, 'utf8'), 'written through nsenter\n', "the file landed in the host's own /etc");
  t.equal(existsSync('/etc/bosun-nsenter-test'), false, "not in the control node's");
  const again = await run([join(dir, 'pb.yml'), '-i', join(dir, 'inv.yml')]);
  t.equal(again.code, 0, again.stdout + again.stderr);
  t.match(recap(again.stdout)[host.name], { changed: 0, failed: 0 }, 'idempotent');
  t.match(again.stdout, /2 ssh process\(es\)/, 'one channel process for the host, one for become_user');
  writeFileSync(join(dir, 'bad.yml'), '- hosts: all\n  connection: nsenterr\n  tasks: []\n');
  const bad = await run([join(dir, 'bad.yml'), '-i', join(dir, 'inv.yml')]);
  t.equal(bad.code, 4);
  t.match(bad.stderr, /bad\.yml:2:3: connection must be one of local, nsenter, ssh; got .*did you mean 'nsenter'/);
});
