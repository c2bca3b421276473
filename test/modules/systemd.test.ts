// systemd module: the decision (Ansible 2.14's systemd_service rules) as a pure function of a
// probed state, the probe's parsing, argument errors, and the commands. Real units are driven on
// systemd lab hosts in test/e2e/systemd-modules.test.ts (also against ansible-playbook).
import t from 'tap';
import systemd from '../../lib/modules/systemd.js';
import { getModule, canonicalModuleName } from '../../lib/modules/index.js';
import { validateArgs } from '../../lib/modules/args.js';
import {
  decideUnit,
  parseUnitProbe,
  unitActionCommand,
  unitEnabled,
  unitProbeScript,
  type UnitArgs,
  type UnitProbe,
} from '../../lib/modules/util/systemctl.js';
import { ArgumentError } from '../../lib/errors.js';

/** A probe's output as the host prints it. */
function probe(show: Record<string, string>, extra: string[] = []): UnitProbe {
  return parseUnitProbe([...Object.entries(show).map(([k, v]) => `${k}=${v}`), '@@bosun:show_rc=0', ...extra].join('\n'));
}

const RUNNING = { Id: 'x.service', LoadState: 'loaded', ActiveState: 'active', UnitFileState: 'enabled', NeedDaemonReload: 'no', LoadError: '' };
const STOPPED = { ...RUNNING, ActiveState: 'inactive', UnitFileState: 'disabled' };
const enabledOut = (rc: number, ...lines: string[]) => [`@@bosun:is_enabled_rc=${rc}`, ...lines.map((l) => `@@bosun:is_enabled=${l}`)];

function actions(args: UnitArgs, p: UnitProbe): unknown {
  const d = decideUnit(args, p);
  return 'error' in d ? d.error : d.actions;
}

t.test('run state, as Ansible decides it', async (t) => {
  t.same(actions({ name: 'x', state: 'started' }, probe(RUNNING)), []);
  t.same(actions({ name: 'x', state: 'started' }, probe({ ...RUNNING, ActiveState: 'activating' })), [], 'activating counts as running');
  t.same(actions({ name: 'x', state: 'started' }, probe(STOPPED)), ['start']);
  t.same(actions({ name: 'x', state: 'started' }, probe({ ...RUNNING, ActiveState: 'failed' })), ['start']);
  t.same(actions({ name: 'x', state: 'stopped' }, probe(RUNNING)), ['stop']);
  t.same(actions({ name: 'x', state: 'stopped' }, probe({ ...RUNNING, ActiveState: 'deactivating' })), ['stop']);
  t.same(actions({ name: 'x', state: 'stopped' }, probe(STOPPED)), []);
  t.same(actions({ name: 'x', state: 'restarted' }, probe(RUNNING)), ['restart']);
  t.same(actions({ name: 'x', state: 'restarted' }, probe(STOPPED)), ['start']);
  t.same(actions({ name: 'x', state: 'reloaded' }, probe(RUNNING)), ['reload']);
  t.same(actions({ name: 'x', state: 'reloaded' }, probe(STOPPED)), ['start']);
  const d = decideUnit({ name: 'x', state: 'restarted' }, probe(RUNNING));
  t.equal('error' in d ? undefined : d.result.state, 'started', 'restarted/reloaded report state started');
  t.same(actions({ name: 'nope', state: 'started' }, probe({ Id: 'nope.service', LoadState: 'not-found', ActiveState: 'inactive' })), 'Could not find the requested service nope: host');
  t.same(
    actions({ name: 'nope', state: 'started' }, probe({ Id: 'nope.service', LoadState: 'not-found', ActiveState: 'inactive' }, ['@@bosun:initd=1'])),
    ['start'],
    'a SysV script alone is a service (systemd runs it through its generator)',
  );
  t.same(actions({ name: 'bad', state: 'started' }, probe({ Id: 'bad.service', LoadState: 'error', LoadError: 'org.freedesktop.systemd1.BadUnitSetting "bad"', ActiveState: 'inactive' })), `Error loading unit file 'bad': org.freedesktop.systemd1.BadUnitSetting "bad"`);
});

t.test('enabled and masked, from is-enabled as Ansible reads it', async (t) => {
  const cases: Array<[string[], boolean]> = [
    [enabledOut(0, 'enabled', '/etc/systemd/system/multi-user.target.wants/x.service'), true],
    [enabledOut(0, 'static'), true],
    [enabledOut(0, 'generated'), true],
    [enabledOut(0, 'indirect'), false],
    [enabledOut(0, 'alias'), false],
    [enabledOut(1, 'disabled'), false],
    [enabledOut(1, 'masked'), false],
  ];
  for (const [lines, want] of cases) t.equal(unitEnabled(probe(STOPPED, lines), 'system'), want, lines.join(' '));
  t.equal(unitEnabled(probe(STOPPED, [...enabledOut(1, ''), '@@bosun:initd=1', '@@bosun:sysv_enabled=1']), 'system'), true, 'SysV script with boot links');
  t.equal(unitEnabled(probe(STOPPED, [...enabledOut(1, ''), '@@bosun:initd=1', '@@bosun:sysv_enabled=1']), 'user'), false, 'not for the user manager');
  t.same(actions({ name: 'x', enabled: true }, probe(STOPPED, enabledOut(1, 'disabled'))), ['enable']);
  t.same(actions({ name: 'x', enabled: true }, probe(RUNNING, enabledOut(0, 'enabled'))), []);
  t.same(actions({ name: 'x', enabled: false }, probe(RUNNING, enabledOut(0, 'enabled'))), ['disable']);
  t.same(actions({ name: 'x', masked: true }, probe(STOPPED, enabledOut(1, 'disabled'))), ['mask']);
  t.same(actions({ name: 'x', masked: true }, probe({ ...STOPPED, LoadState: 'masked' }, enabledOut(1, 'masked', '/etc/systemd/system/x.service'))), []);
  t.same(actions({ name: 'x', masked: false }, probe({ ...STOPPED, LoadState: 'masked' }, enabledOut(1, 'masked'))), ['unmask']);
  t.same(
    actions({ name: 'x', masked: false, enabled: true, state: 'started', daemon_reload: true }, probe({ ...STOPPED, LoadState: 'masked', NeedDaemonReload: 'yes' }, enabledOut(1, 'masked'))),
    ['daemon-reload', 'unmask', 'enable', 'start'],
    "Ansible's order",
  );
});

t.test('daemon_reload only when systemd says a unit changed on disk; daemon_reexec always', async (t) => {
  t.same(actions({ name: 'x', daemon_reload: true }, probe(RUNNING)), []);
  t.same(actions({ name: 'x', daemon_reload: true }, probe({ ...RUNNING, NeedDaemonReload: 'yes' })), ['daemon-reload']);
  const bare = parseUnitProbe('@@bosun:need_reload=etcd.service\n@@bosun:need_reload=ssh.service\n');
  t.same(bare.needReload, ['etcd.service', 'ssh.service']);
  t.same(actions({ daemon_reload: true }, bare), ['daemon-reload']);
  t.same(actions({ daemon_reload: true }, parseUnitProbe('')), []);
  t.same(actions({ daemon_reexec: true }, parseUnitProbe('')), ['daemon-reexec']);
  // systemd 252 keeps NeedDaemonReload=no for a drop-in directory created after it loaded the unit
  const fresh = probe({ ...RUNNING, DropInPaths: '' }, ['@@bosun:dropin=/etc/systemd/system/x.service.d/bosun.conf']);
  t.same(actions({ name: 'x', daemon_reload: true }, fresh), ['daemon-reload'], 'a drop-in on disk that is not loaded');
  const loaded = probe({ ...RUNNING, DropInPaths: '/usr/lib/systemd/system/x.service.d/a.conf' }, ['@@bosun:dropin=/lib/systemd/system/x.service.d/a.conf']);
  t.same(actions({ name: 'x', daemon_reload: true }, loaded), [], 'the same file through /lib and /usr/lib');
  const all = parseUnitProbe(
    ['@@bosun:loaded_dropins=a.service=/etc/systemd/system/a.service.d/1.conf', '@@bosun:dropin=/etc/systemd/system/a.service.d/1.conf', '@@bosun:dropin=/etc/systemd/system/a.service.d/2.conf', '@@bosun:dropin=/etc/systemd/system/b.service.d/1.conf'].join('\n'),
  );
  const d = decideUnit({ daemon_reload: true }, all);
  t.match('error' in d ? d.error : d.reasons.join(), /daemon-reload \(changed on disk: a\.service\)/, 'without a name: a loaded unit with a new drop-in');
  t.match(unitProbeScript(undefined, 'system', { enabled: false, anyReload: true }), /systemctl show -p Id -p NeedDaemonReload -p DropInPaths -- '\*'/);
});

t.test('the probe: show output, its failure, is-enabled lines', async (t) => {
  const p = parseUnitProbe('Id=etcd.service\nActiveState=active\nDescription=a = b\n@@bosun:show_rc=0\n@@bosun:is_enabled_rc=0\n@@bosun:is_enabled=enabled\n@@bosun:is_enabled=  /etc/x\n');
  t.same(p.status, { Id: 'etcd.service', ActiveState: 'active', Description: 'a = b' });
  t.same(p.isEnabled, { rc: 0, lines: ['enabled', '/etc/x'] });
  const bad = parseUnitProbe('Failed to get properties: Unit name a@.service is neither a valid invocation ID nor unit name.\n@@bosun:show_rc=1\n');
  t.same(bad.status, {});
  t.match(bad.showError, /neither a valid invocation ID/);
  t.same(actions({ name: 'a@.service', state: 'started' }, bad), 'Could not find the requested service a@.service: host');
  const script = unitProbeScript("it's", 'user', { enabled: true, anyReload: false });
  t.match(script, /n='it'\\''s'/, 'the name is quoted');
  t.match(script, /systemctl --user show .* -- "\$n"/, 'after --');
  t.match(script, /XDG_RUNTIME_DIR=\/run\/user\/\$\(id -u\)/, '--user needs the runtime dir (set as Ansible does)');
  t.notMatch(unitProbeScript('x', 'system', { enabled: false, anyReload: false }), /is-enabled/, 'is-enabled only when enabled/masked is asked');
});

t.test('commands', async (t) => {
  t.equal(unitActionCommand('start', { name: 'etcd', no_block: true }), 'systemctl --no-block start -- etcd');
  t.equal(unitActionCommand('enable', { name: 'a b', force: true }), "systemctl --force enable -- 'a b'");
  t.equal(unitActionCommand('daemon-reload', { scope: 'user' }), '[ -n "${XDG_RUNTIME_DIR:-}" ] || export XDG_RUNTIME_DIR=/run/user/$(id -u); systemctl --user daemon-reload');
});

t.test('arguments: Ansible names, aliases, required ones, no globs', async (t) => {
  t.equal(canonicalModuleName('systemd_service'), 'systemd');
  t.equal(canonicalModuleName('ansible.builtin.systemd_service'), 'systemd');
  t.equal(canonicalModuleName('ansible.builtin.systemd'), 'systemd');
  t.equal(await getModule('ansible.builtin.systemd_service'), systemd);
  const a = validateArgs(systemd, { unit: 'etcd', 'daemon-reload': true, state: 'started' }) as UnitArgs;
  t.equal(a.name, 'etcd');
  t.equal(a.daemon_reload, true);
  t.equal(a.scope, 'system');
  t.throws(() => systemd.validate!({ name: 'x' }), /one of the following is required: state, enabled, masked, daemon_reload, daemon_reexec/);
  t.throws(() => systemd.validate!({ state: 'started' }), /missing parameter\(s\) required by 'state': name/);
  t.throws(() => systemd.validate!({ name: 'getty@*', state: 'started' }), /glob patterns/);
  for (const name of ['-x', '../x', 'a b']) t.throws(() => systemd.validate!({ name, state: 'started' }), ArgumentError, JSON.stringify(name));
  t.throws(() => validateArgs(systemd, { name: 'x', scope: 'global', state: 'started' }), /scope/);
});
