// `family: 'redhat'`: a lab host presents RHEL-family os-release facts (a simulation: binaries stay
// Debian's). Ansible is the oracle: its setup module and bosun's facts agree on the branch a role takes.
import t from 'tap';
import { spawnSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { labInventory } from '../../lib/lab/lab.js';
import { withLab } from '../helpers/lab.js';
import { run } from '../helpers/run.js';

const PLAY = `- hosts: all
  gather_facts: true
  tasks:
    - name: facts
      debug:
        msg: "family={{ ansible_os_family }} major={{ ansible_distribution_major_version }}"
    - name: redhat branch
      debug: { msg: took-redhat-branch }
      when: ansible_os_family == 'RedHat'
    - name: debian branch
      debug: { msg: took-debian-branch }
      when: ansible_os_family == 'Debian'
`;

t.test('family redhat: ansible and bosun both see a RedHat-family host', async (t) => {
  const lab = await withLab(t, { hosts: 1, name: 'tlabrh', subnetIndex: 37, family: 'redhat' });
  t.equal(lab.family, 'redhat');
  const dir = t.testdir({ 'site.yml': PLAY });
  const inv = join(dir, 'inv.yml');
  writeFileSync(inv, labInventory(lab, 'nodes'));

  const b = await run([join(dir, 'site.yml'), '-i', inv]);
  t.equal(b.code, 0, b.stdout + b.stderr);
  const a = spawnSync('ansible-playbook', [join(dir, 'site.yml'), '-i', inv], {
    encoding: 'utf8',
    env: { ...process.env, ANSIBLE_NOCOLOR: '1', ANSIBLE_HOST_KEY_CHECKING: 'True' },
  });
  t.equal(a.status, 0, a.stdout + a.stderr);
  for (const [tool, out] of [['bosun', b.stdout], ['ansible', a.stdout]] as const) {
    t.match(out, '"msg": "family=RedHat major=9"', `${tool}: RedHat family, major version 9`);
    t.match(out, 'took-redhat-branch', `${tool}: the RedHat branch ran`);
    t.notMatch(out, 'took-debian-branch', `${tool}: the Debian branch was skipped`);
  }
  // The simulation is of facts only: the binaries are Debian's.
  const ssh = spawnSync('ssh', ['-F', '/dev/null', '-i', lab.keyFile, '-o', `UserKnownHostsFile=${lab.knownHostsFile}`, '-o', 'BatchMode=yes', `root@${lab.hosts[0]!.ip}`, '. /etc/os-release; echo $ID; cat /etc/redhat-release; command -v dpkg rpm dnf'], { encoding: 'utf8' });
  t.equal(ssh.stdout, 'rocky\nRocky Linux release 9.4 (Blue Onyx)\n/usr/bin/dpkg\n', ssh.stderr);
});
