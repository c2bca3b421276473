// service_facts: Ansible's parsing of the listings, on recorded output of a systemd lab host
// (Debian 12, systemd 252). The live comparison with Ansible is in test/e2e/systemd-modules.test.ts.
import t from 'tap';
import { parseServiceFacts, SERVICE_FACTS_SCRIPT } from '../../lib/modules/service_facts.js';

const OUT = [
  '@@bosun:sysv',
  ' [ - ]  etcd',
  ' [ + ]  ssh',
  ' [ ? ]  hwclock.sh',
  '@@bosun:units',
  '  UNIT                                 LOAD      ACTIVE   SUB     DESCRIPTION',
  '* auditd.service                       not-found inactive dead    auditd.service',
  '  dbus.service                         loaded    active   running D-Bus System Message Bus',
  '* broken.service                       loaded    failed   failed  Broken',
  '  ssh.service                          loaded    active   running OpenBSD Secure Shell server',
  '  etcd.service                         loaded    inactive dead    etcd - highly-available key value store',
  '',
  'LOAD   = Reflects whether the unit definition was properly loaded.',
  '5 loaded units listed.',
  '@@bosun:files',
  'UNIT FILE                              STATE           VENDOR PRESET',
  'dbus.service                           static          -',
  'etcd.service                           disabled        enabled',
  'broken.service                         enabled         enabled',
  'getty@.service                         enabled         enabled',
  'sshd.service                           alias           -',
  'ssh.service                            enabled         enabled',
  '',
  '6 unit files listed.',
  '@@bosun:show',
  'ActiveState=active',
  '',
  'ActiveState=inactive',
  '',
  'ActiveState=failed',
  '',
  'ActiveState=active',
  '',
  'ActiveState=active',
  '',
].join('\n');

t.test('listings parsed as Ansible does', async (t) => {
  const s = parseServiceFacts(OUT);
  t.same(s.etcd, { name: 'etcd', state: 'stopped', source: 'sysv' }, 'SysV entries have no status');
  t.same(s.ssh, { name: 'ssh', state: 'running', source: 'sysv' });
  t.notOk('hwclock.sh' in s, '[ ? ] lines are not services (Ansible skips them)');
  t.same(s['auditd.service'], { name: 'auditd.service', state: 'stopped', status: 'not-found', source: 'systemd' });
  t.same(s['broken.service'], { name: 'broken.service', state: 'stopped', status: 'failed', source: 'systemd' }, 'a bad state is kept over the unit file state');
  t.same(s['dbus.service'], { name: 'dbus.service', state: 'running', status: 'static', source: 'systemd' });
  t.same(s['etcd.service'], { name: 'etcd.service', state: 'stopped', status: 'disabled', source: 'systemd' });
  t.same(s['getty@.service'], { name: 'getty@.service', state: 'unknown', status: 'enabled', source: 'systemd' }, 'templates cannot be shown');
  t.same(s['sshd.service'], { name: 'sshd.service', state: 'active', status: 'alias', source: 'systemd' }, 'not loaded: its ActiveState');
  t.equal(Object.keys(s).length, 9);
});

t.test('the per-name fallback when the batched show is refused', async (t) => {
  const out = OUT.replace(/@@bosun:show\n[\s\S]*$/, '@@bosun:show\n@@bosun:show_each\n@@bosun:unit=sshd.service\nActiveState=activating\n');
  t.equal(parseServiceFacts(out)['sshd.service']!.state, 'activating');
});

t.test('the script', async (t) => {
  t.match(SERVICE_FACTS_SCRIPT, /LC_ALL=C/, 'the C locale, as Ansible');
  t.match(SERVICE_FACTS_SCRIPT, /systemctl show -p ActiveState -- \$names/);
  t.same(parseServiceFacts(''), {});
});
