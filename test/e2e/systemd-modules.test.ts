// systemd, service and service_facts on systemd lab hosts (systemd 252 as PID 1). Ansible 2.14 is
// the oracle: the same playbook runs through ansible-playbook on node1 and through bosun on node2
// (identical fresh hosts); task outcomes and the registered values must agree. Then bosun alone:
// idempotence and its request count, check mode, daemon_reload on a changed drop-in, errors.
import t from 'tap';
import { spawn, spawnSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { labInventory, sshArgs, type LabState } from '../../lib/lab/lab.js';
import { withLab } from '../helpers/lab.js';
import { recap, run } from '../helpers/run.js';
import { ansibleEnv, hostRows, parseTranscript } from '../helpers/differential.js';

function ssh(lab: LabState, host: string, cmd: string): string {
  const r = spawnSync('ssh', [...sshArgs(lab, host), cmd], { encoding: 'utf8', timeout: 60_000 });
  return r.stdout;
}

function ansiblePlaybook(args: string[], cwd: string): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const p = spawn('ansible-playbook', args, { cwd, env: ansibleEnv({ ANSIBLE_HOST_KEY_CHECKING: 'True' }) });
    let stdout = '';
    let stderr = '';
    p.stdout.on('data', (b: Buffer) => (stdout += b.toString()));
    p.stderr.on('data', (b: Buffer) => (stderr += b.toString()));
    p.on('close', (code) => resolve({ code: code ?? -1, stdout, stderr }));
  });
}

const UNIT = '[Unit]\\nDescription=bosun sd test\\n[Service]\\nExecStart=/bin/sleep 600\\n[Install]\\nWantedBy=multi-user.target\\n';

// What both tools run. The unit lives in /lib/systemd/system (a vendor unit: `mask` needs
// /etc/systemd/system/NAME free). Each register is printed as one line of the keys Ansible returns.
const SHOW = (r: string) =>
  `    - debug: { msg: "changed={{ ${r}.changed }} name={{ ${r}.name }} state={{ ${r}.state | default('-') }} enabled={{ ${r}.enabled | default('-') }} active={{ ${r}.status.ActiveState | default('-') }} unitfile={{ ${r}.status.UnitFileState | default('-') }} load={{ ${r}.status.LoadState | default('-') }}" }`;
const PLAY = [
  '- hosts: all',
  '  tasks:',
  '    - name: unit file',
  `      copy: { dest: /lib/systemd/system/bosun-sd.service, content: "${UNIT}" }`,
  '    - name: started and enabled',
  '      systemd: { name: bosun-sd, state: started, enabled: true }',
  '      register: r1',
  SHOW('r1'),
  '    - name: again (nothing to do)',
  '      ansible.builtin.systemd_service: { name: bosun-sd.service, state: started, enabled: true }',
  '      register: r2',
  SHOW('r2'),
  '    - name: service stops it on a systemd host',
  '      service: { name: bosun-sd, state: stopped }',
  '      register: r3',
  SHOW('r3'),
  '    - name: restarted starts a stopped unit',
  '      systemd: { name: bosun-sd, state: restarted }',
  '      register: r4',
  SHOW('r4'),
  '    - name: disabled and stopped',
  '      systemd: { name: bosun-sd, state: stopped, enabled: false }',
  '      register: r5',
  SHOW('r5'),
  '    - name: masked',
  '      systemd: { name: bosun-sd, masked: true }',
  '      register: r6',
  SHOW('r6'),
  '    - name: unmasked',
  '      systemd: { name: bosun-sd, masked: false }',
  '      register: r7',
  SHOW('r7'),
  '    - name: a missing unit',
  '      systemd: { name: bosun-no-such-unit, state: started }',
  '      ignore_errors: true',
  '      register: r8',
  '    - debug: { msg: "{{ r8.msg }}" }',
  '    - name: service facts',
  '      service_facts:',
  '    - debug: { var: ansible_facts.services }',
  '',
].join('\n');

/** Registered lines lower-cased (Python prints True, bosun's Jinja too, but be lenient on that only). */
function rows(out: string, host: string): string[] {
  return hostRows(parseTranscript(out), host).map((r) => r.replace(/\b(True|False)\b/g, (b) => b.toLowerCase()));
}

t.test('systemd, service, service_facts on systemd hosts', async (t) => {
  const lab = await withLab(t, { hosts: 2, name: 'sdmod', subnetIndex: 38, init: 'systemd' });
  const dir = t.testdir({ 'play.yml': PLAY });
  const inv = join(dir, 'inv.yml');
  writeFileSync(inv, labInventory(lab, 'nodes'));
  for (const h of lab.hosts) ssh(lab, h.name, 'systemctl is-system-running --wait');
  /** A playbook for node2 alone (bosun's own checks), written into the test dir. */
  const node2Play = (file: string, tasks: string[]): string => {
    const path = join(dir, file);
    writeFileSync(path, ['- hosts: node2', '  tasks:', ...tasks, ''].join('\n'));
    return path;
  };

  await t.test('the same playbook through ansible-playbook (node1) and bosun (node2): same outcomes and values', async (t) => {
    const [a, b] = await Promise.all([ansiblePlaybook([join(dir, 'play.yml'), '-i', inv, '-l', 'node1'], dir), run([join(dir, 'play.yml'), '-i', inv, '-l', 'node2'])]);
    t.equal(a.code, 0, a.stdout.slice(-3000) + a.stderr);
    t.equal(b.code, 0, b.stdout.slice(-3000) + b.stderr);
    const ra = rows(a.stdout, 'node1');
    const rb = rows(b.stdout, 'node2');
    // the facts are compared below, as data
    const noFacts = (r: string[]) => r.filter((l) => !l.includes('{"ansible_facts.services"'));
    t.same(noFacts(rb), noFacts(ra), 'every task: same status, same registered values');
    t.ok(ra.some((l) => l.includes('changed=true name=bosun-sd state=started enabled=true active=inactive unitfile=disabled')), 'the comparison is not vacuous');
    const facts = (out: string, host: string) => {
      const ev = parseTranscript(out).events.find((e) => e.host === host && e.data !== undefined && typeof e.data === 'object' && 'ansible_facts.services' in (e.data as object));
      return (ev?.data as Record<string, Record<string, unknown>>)['ansible_facts.services'] ?? {};
    };
    const fa = facts(a.stdout, 'node1');
    const fb = facts(b.stdout, 'node2');
    t.ok(Object.keys(fa).length > 20, `${Object.keys(fa).length} services from Ansible`);
    // A unit that is loaded shows as `stopped` (list-units), one that is not as `inactive` (its
    // ActiveState): systemd unloads idle units a while after something looked at them, so two hosts
    // (or two runs) can differ there for the same unit. Compared as one state.
    const norm = (f: Record<string, Record<string, unknown>>) =>
      Object.fromEntries(Object.entries(f).map(([k, v]) => [k, { ...v, state: v.state === 'inactive' ? 'stopped' : v.state }]));
    t.same(norm(fb), norm(fa), 'ansible_facts.services: the same names, states, statuses and sources');
    t.same(norm(fb)['bosun-sd.service'], { name: 'bosun-sd.service', state: 'stopped', status: 'disabled', source: 'systemd' });
  });

  await t.test('bosun: converge, then a no-op costs one request per task', async (t) => {
    const conv = node2Play('converge.yml', [
      '    - systemd: { name: bosun-sd, state: started, enabled: true, daemon_reload: true }',
      '    - service: { name: bosun-sd, state: started, enabled: true }',
      '    - systemd: { daemon_reload: true }',
      '    - service_facts:',
      '    - assert: { that: ["ansible_facts.services[\'bosun-sd.service\'].state == \'running\'"] }',
    ]);
    const first = await run([conv, '-i', inv]);
    t.equal(first.code, 0, first.stdout.slice(-3000));
    t.equal(recap(first.stdout).node2!.changed, 1, 'started and enabled once');
    const again = await run([conv, '-i', inv]);
    t.equal(again.code, 0, again.stdout.slice(-3000));
    t.equal(recap(again.stdout).node2!.changed, 0, 'second run changes nothing');
    const requests = Number(/(\d+) request\(s\)/.exec(again.stdout)?.[1]);
    t.ok(requests <= 5, `no-op: ${requests} requests for 4 host tasks + the facts`);
    t.equal(ssh(lab, 'node2', 'systemctl is-active bosun-sd; systemctl is-enabled bosun-sd'), 'active\nenabled\n');
  });

  await t.test('check mode predicts and changes nothing', async (t) => {
    ssh(lab, 'node2', 'systemctl stop bosun-sd');
    const play = node2Play('check.yml', ['    - systemd: { name: bosun-sd, state: started, masked: true }']);
    const r = await run([play, '-i', inv, '--check']);
    t.equal(r.code, 0, r.stdout.slice(-2000));
    t.equal(recap(r.stdout).node2!.changed, 1, 'a change is predicted');
    t.notMatch(r.stdout, /skipped in check mode/);
    t.equal(ssh(lab, 'node2', 'systemctl is-active bosun-sd; systemctl is-enabled bosun-sd'), 'inactive\nenabled\n', 'neither started nor masked');
  });

  await t.test('daemon_reload runs when a drop-in changed, once', async (t) => {
    const play = node2Play('dropin.yml', [
      '    - file: { path: /etc/systemd/system/bosun-sd.service.d, state: directory }',
      '    - copy: { dest: /etc/systemd/system/bosun-sd.service.d/limits.conf, content: "[Service]\\nLimitNOFILE=4242\\n" }',
      '    - systemd: { name: bosun-sd, daemon_reload: true, state: restarted }',
      '      register: r',
    ]);
    const r = await run([play, '-i', inv, '-v']);
    t.equal(r.code, 0, r.stdout.slice(-2000));
    // systemd 252 itself says NeedDaemonReload=no for a drop-in directory made after it loaded the unit
    t.match(r.stdout, /"NeedDaemonReload": "no"/);
    t.match(r.stdout, /"msg": "daemon-reload, (start|restart) bosun-sd"/, 'reloaded all the same: a drop-in on disk was not loaded');
    const show = () => ssh(lab, 'node2', 'systemctl show -p LimitNOFILE -p NeedDaemonReload -p ActiveState bosun-sd').trim().split('\n').sort();
    t.same(show(), ['ActiveState=active', 'LimitNOFILE=4242', 'NeedDaemonReload=no'], 'the drop-in is in force');
    const again = await run([play, '-i', inv, '-v']);
    t.match(again.stdout, /"msg": "restart bosun-sd"/, 'no reload the second time');
    ssh(lab, 'node2', 'echo "# edited" >> /etc/systemd/system/bosun-sd.service.d/limits.conf');
    const edited = await run([play, '-i', inv, '-v']);
    t.match(edited.stdout, /"NeedDaemonReload": "yes"/, 'an edited drop-in: systemd says so');
    t.match(edited.stdout, /"msg": "daemon-reload, restart bosun-sd"/, 'and bosun reloads');
  });

  await t.test('a unit that fails to start: the failure names systemctl and the journal', async (t) => {
    const play = node2Play('bad.yml', [
      '    - copy: { dest: /etc/systemd/system/bosun-bad.service, content: "[Service]\\nType=oneshot\\nExecStart=/bin/false\\n" }',
      '    - systemd: { name: bosun-bad, state: started }',
    ]);
    const r = await run([play, '-i', inv]);
    t.equal(r.code, 2);
    t.match(r.stdout, /Unable to start service bosun-bad: Job for bosun-bad\.service failed[^\n]*journalctl -u bosun-bad -n 50/);
  });
});
