// user, group, authorized_key, cron and sysctl against Ansible itself, on two fresh lab hosts from
// the same image: ansible-playbook runs the playbook on node1, bosun on node2, over SSH. The files
// each tool leaves (crontabs with Ansible's #Ansible: markers, a cron.d file, authorized_keys,
// sysctl files, passwd/group/shadow entries) must be byte-identical, the changed counts equal, a
// rerun of each must change nothing, and the registered user/group results must carry the same values.
import t from 'tap';
import * as path from 'node:path';
import { spawnSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { withLab } from '../helpers/lab.js';
import { remote, tempDir, twinRuns, writeInventory } from '../fixtures/e2e/harness.js';

const K1 = 'ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIDiffOne000000000000000000000000000000000000';
const K2 = 'ssh-rsa AAAAB3NzaC1yc2EAAAADAQABAAABAQDiffTwo0000000000000000000000000000';
const K3 = 'ecdsa-sha2-nistp256 AAAAE2VjZHNhLXNoYTItbmlzdHAyNTYAAAAIbmlzdHAyNTYDiffThree';
const K4 = 'ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIDiffFour00000000000000000000000000000000000';

// the state both hosts start from: files Ansible (or a person) wrote before
const SEED = [
  `printf '%s\\n' '# keys of root' '${K1} old-comment' '${K3} three' 'no-agent-forwarding ${K2} two' > /root/.ssh/bosun-keys`,
  `printf '%s\\n' '${K3} three' '${K1} one' > /root/.ssh/bosun-exclusive`,
  `printf '%s\\n' 'SHELL=/bin/sh' '#Ansible: old job' '*/5 * * * * /bin/old' '15 1 * * * /usr/bin/adopt-me' | crontab -`,
  `useradd -M -p '!$6$seed$unlockme' dunlock`,
  `printf '%s\\n' '# sysctl seed' 'net.core.somaxconn = 1024' 'net.ipv4.ip_forward=0' '; comment' 'net.core.somaxconn=2048' > /etc/sysctl.d/70-diff.conf`,
].join('; ');

const SITE = `
- hosts: all
  gather_facts: false
  tasks:
    - group: { name: ddevs, gid: 2700 }
    - group: { name: dsys, system: true }
    - user: { name: dave, uid: 2701, group: ddevs, groups: [dsys], comment: "Dave D", shell: /bin/bash, password: '$6$diff$hash' }
    - user: { name: dsvc, system: true, create_home: false }
    - user: { name: erin, groups: [ddevs, dsys], append: true }
    - user: { name: dave, password_lock: true }
    - user: { name: dsvc, password_expire_min: 1, password_expire_max: 60 }
    - user: { name: lockme, password: '$6$lock$hash', password_lock: true, password_expire_min: 2, password_expire_max: 45, expires: 1893456000 }
    - user: { name: erin, password_expire_max: 99999 }
    - user: { name: dunlock, password_lock: false }
    - authorized_key: { user: root, path: /root/.ssh/bosun-keys, key: "${K1} one\\n${K4}" }
    - authorized_key: { user: root, path: /root/.ssh/bosun-keys, key: "${K2} two", key_options: 'no-pty,from="10.0.0.0/8"' }
    - authorized_key: { user: root, path: /root/.ssh/bosun-exclusive, key: "${K1} one", exclusive: true }
    - authorized_key: { user: dave, key: "${K2}", comment: "dave key" }
    - authorized_key: { user: root, path: /root/.ssh/bosun-keys, key: "${K3}", state: absent }
    - cron: { name: new job, minute: "30", hour: "2", weekday: "1-5", job: /usr/bin/new }
    - cron: { name: old job, minute: "*/10", job: /bin/old }
    - cron: { name: adopted, hour: "1", minute: "15", job: /usr/bin/adopt-me }
    - cron: { name: PATH, env: true, job: /usr/bin:/bin, insertafter: SHELL }
    - cron: { name: off job, special_time: reboot, job: /bin/off, disabled: true, user: dave }
    - cron: { name: in file, minute: "0", job: /bin/f, user: dave, cron_file: bosun-diff }
    - cron: { name: gone, state: absent }
    - sysctl: { name: net.core.somaxconn, value: "4096", sysctl_file: /etc/sysctl.d/70-diff.conf, reload: false }
    - sysctl: { name: net.ipv4.ip_forward, value: "yes", sysctl_file: /etc/sysctl.d/70-diff.conf }
`;

/** Registered results, written as JSON on the host: a new user, an unchanged one, a group. */
const RESULTS = `
- hosts: all
  gather_facts: false
  tasks:
    - user: { name: frank, uid: 2750, comment: F, password: '$6$x$y' }
      register: created
    - user: { name: dave, groups: [dsys], shell: /bin/bash }
      register: same
    - group: { name: ddevs }
      register: grp
    - copy: { dest: /root/results.json, content: "R={{ {'created': created, 'same': same, 'grp': grp} | to_json }}" }
`;

const SNAPSHOT =
  'cat /root/.ssh/bosun-keys /root/.ssh/bosun-exclusive /home/dave/.ssh/authorized_keys; stat -c "%a %U:%G" /home/dave/.ssh /home/dave/.ssh/authorized_keys; echo ==; ' +
  'crontab -l; echo ==; crontab -u dave -l; echo ==; cat /etc/cron.d/bosun-diff; echo ==; cat /etc/sysctl.d/70-diff.conf; sysctl -n net.ipv4.ip_forward; echo ==; ' +
  'getent passwd dave dsvc erin; getent group ddevs dsys erin; grep -E "^(dave|dsvc|erin|lockme|dunlock):" /etc/shadow | cut -d: -f1,2,4-';

const ansible = spawnSync('ansible-playbook', ['--version'], { encoding: 'utf8' });

t.test('the same files and results as ansible-playbook on twin lab hosts', { skip: ansible.status === 0 ? false : 'ansible-playbook not installed' }, async (t) => {
  const lab = await withLab(t, { hosts: 2, name: 'users-diff', subnetIndex: 34, packages: ['cron'] });
  const dir = tempDir(t, 'e2e-users-diff-');
  const inv = writeInventory(lab, dir);
  // the twins are seeded, and run below, side by side: nothing of one host is on the other
  const seeded = await Promise.all(['node1', 'node2'].map((h) => remote(lab, h, `DEBIAN_FRONTEND=noninteractive apt-get -q update >/dev/null 2>&1; apt-get install -y -q --no-install-recommends cron >/dev/null 2>&1; mkdir -p -m 0700 /root/.ssh; ${SEED}`, undefined, 180_000)));
  seeded.forEach((r, i) => t.equal(r.code, 0, `node${i + 1}: seeded ${r.err}`));
  const site = path.join(dir, 'site.yml');
  const results = path.join(dir, 'results.yml');
  writeFileSync(site, SITE);
  writeFileSync(results, RESULTS);
  const twin = twinRuns(t, inv);

  const [a1, b1] = await twin.both(site);
  t.equal(b1, a1, `same changed count (${a1})`);
  t.ok(a1 >= 15, 'the cases change things (not vacuous)');
  const [sa, sb] = await Promise.all(['node1', 'node2'].map((h) => remote(lab, h, SNAPSHOT)));
  const parts = (s: string): string[] => s.split('==\n');
  const [pa, pb] = [parts(sa!.out.toString()), parts(sb!.out.toString())];
  const names = ['authorized_keys files and modes', 'root crontab', "dave's crontab", 'cron.d file', 'sysctl file and live value', 'passwd, group, shadow'];
  names.forEach((n, i) => t.equal(pb[i], pa[i], `${n}: same as Ansible`));
  t.match(pa[5], /^dave:!\$6\$diff\$hash:0:99999:/m, 'dave locked (not vacuous)');
  t.match(pa[5], /^lockme:!\$6\$lock\$hash:2:45:7::21915:$/m, 'lockme: locked hash, ages and expiry (not vacuous)');
  t.match(pa[5], /^dunlock:\$6\$seed\$unlockme:/m, 'dunlock unlocked (not vacuous)');
  t.match(pa[1], /#Ansible: adopted\n15 1 \* \* \* \/usr\/bin\/adopt-me/, 'the unmarked job was adopted (not vacuous)');

  const [a2, b2] = await twin.both(site);
  t.equal(a2, 0, 'ansible: second run changes nothing');
  t.equal(b2, 0, 'bosun: second run changes nothing');

  await twin.both(results);
  const [ra, rb] = await Promise.all(['node1', 'node2'].map((h) => remote(lab, h, 'cat /root/results.json')));
  const pick = (raw: Buffer): Record<string, Record<string, unknown>> => {
    // 'R=': a text that does not look like a mapping, so neither tool turns it back into one
    const all = JSON.parse(raw.toString().replace(/^R=/, '')) as Record<string, Record<string, unknown>>;
    const keys = ['name', 'uid', 'group', 'groups', 'comment', 'home', 'shell', 'state', 'system', 'create_home', 'append', 'move_home', 'password', 'gid', 'changed'];
    return Object.fromEntries(Object.entries(all).map(([k, v]) => [k, Object.fromEntries(keys.filter((x) => x in v).map((x) => [x, v[x]]))]));
  };
  const [ja, jb] = [pick(ra!.out), pick(rb!.out)];
  t.same(jb, ja, 'registered user and group results: same keys and values');
  t.equal(ja.created?.password, 'NOT_LOGGING_PASSWORD', 'the compared results hold the masked password (not vacuous)');
});
