// sysctl, cron, hostname and timezone on lab hosts over SSH. Each lab host has its own network
// namespace (net.* sysctls), UTS namespace (kernel host name) and root overlay (/etc): the test
// proves the control node's values did not move. --check predicts every change and leaves the
// hosts byte-identical; the run makes them (checked with sysctl, crontab -l, hostname, readlink on
// the host); a rerun changes nothing in at most one request per task per host.
import t, { type Test } from 'tap';
import * as path from 'node:path';
import { execFileSync, spawnSync } from 'node:child_process';
import { readFileSync, readlinkSync, writeFileSync } from 'node:fs';
import { hostname } from 'node:os';
import { withLab } from '../helpers/lab.js';
import { makeKey } from '../helpers/gpg-key.js';
import type { LabState } from '../../lib/lab/lab.js';
import { bosunRun, checkPredicts, parseRecap, remote, rerunIsNoop, spawnCollect, tempDir, twinRuns, writeInventory } from '../fixtures/e2e/harness.js';

const HOSTS = ['node1', 'node2'];
const KEYS = ['net.ipv4.ip_forward', 'net.ipv4.ip_local_port_range', 'net.ipv4.conf.all.rp_filter'];

const PLAY = `
- hosts: all
  gather_facts: false
  tasks:
    - name: forwarding, in the file and live
      sysctl: { name: net.ipv4.ip_forward, value: "1", sysctl_set: true }
    - name: a port range in its own file, applied by reload
      ansible.posix.sysctl: { name: net.ipv4.ip_local_port_range, value: "20000 40000", sysctl_file: /etc/sysctl.d/60-ports.conf }
    - name: only in the file
      sysctl: { name: net.ipv4.conf.all.rp_filter, value: "1", reload: false }
    - name: a root job
      cron: { name: defrag, minute: "0", hour: "3", job: "/usr/local/bin/defrag >/dev/null 2>&1" }
    - name: a variable
      ansible.builtin.cron: { name: MAILTO, env: true, job: ops@example.com }
    - name: a cron.d file
      cron: { name: nightly, special_time: daily, user: nobody, cron_file: bosun-nightly, job: /usr/bin/true }
    - name: host name
      hostname: { name: "web-{{ inventory_hostname }}.example.com" }
    - name: time zone
      community.general.timezone: { name: Europe/Paris }
`;
const TASKS = 8;
const ansible = spawnSync('ansible-playbook', ['--version'], { encoding: 'utf8' });

function control(): string {
  return [
    execFileSync('sysctl', ['-n', ...KEYS], { encoding: 'utf8' }),
    hostname(),
    readFileSync('/etc/hostname', 'utf8'),
    readlinkSync('/etc/localtime'),
  ].join('|');
}

t.test('sysctl, cron, hostname and timezone on lab hosts', async (t) => {
  const lab = await withLab(t, { hosts: 2, name: 'users-sys', subnetIndex: 29, packages: ['cron'] });
  const dir = tempDir(t, 'e2e-sys-');
  const inv = writeInventory(lab, dir);
  const site = path.join(dir, 'site.yml');
  writeFileSync(site, PLAY);
  for (const h of HOSTS) {
    const r = await remote(lab, h, 'apt-get -q update >/dev/null 2>&1; DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends cron >/dev/null 2>&1; command -v crontab', undefined, 180_000);
    t.equal(r.code, 0, `${h}: cron installed from the lab repository ${r.err}`);
  }
  const ctl = control();

  const checkOut = await checkPredicts(t, lab, [site, '-i', inv], HOSTS, TASKS);
  t.match(checkOut, /\+net\.ipv4\.ip_forward=1\n/);
  t.match(checkOut, /--- before: crontab\n\+\+\+ after: crontab\n@@ -0,0 \+1,2 @@\n\+#Ansible: defrag\n\+0 3 \* \* \* \/usr\/local\/bin\/defrag/);
  t.match(checkOut, /-hostname = node2\n\+hostname = web-node2\.example\.com/);
  t.match(checkOut, /-name = Etc\/UTC\n\+name = Europe\/Paris/);

  const r1 = await bosunRun([site, '-i', inv]);
  t.equal(r1.code, 0, r1.err + r1.out);
  for (const h of HOSTS) t.equal(parseRecap(r1.out)[h]!.changed, TASKS, `${h}: ${TASKS} changed`);
  for (const h of HOSTS) {
    const r = await remote(
      lab,
      h,
      `sysctl -n ${KEYS.join(' ')}; grep -v '^#' /etc/sysctl.conf | grep .; cat /etc/sysctl.d/60-ports.conf; crontab -l; cat /etc/cron.d/bosun-nightly; ` +
        'stat -c %a /etc/cron.d/bosun-nightly; hostname; cat /etc/hostname; readlink /etc/localtime; cat /etc/timezone',
    );
    t.equal(
      r.out.toString(),
      '1\n20000\t40000\n0\n' +
        'net.ipv4.ip_forward=1\nnet.ipv4.conf.all.rp_filter=1\nnet.ipv4.ip_local_port_range=20000 40000\n' +
        'MAILTO="ops@example.com"\n#Ansible: defrag\n0 3 * * * /usr/local/bin/defrag >/dev/null 2>&1\n' +
        '#Ansible: nightly\n@daily nobody /usr/bin/true\n644\n' +
        `web-${h}.example.com\nweb-${h}.example.com\n/usr/share/zoneinfo/Europe/Paris\nEurope/Paris\n`,
      `${h}: values on the host (rp_filter only in the file: reload=false)`,
    );
  }
  t.equal(control(), ctl, 'the control node kept its sysctls, host name and time zone');

  await rerunIsNoop(t, [site, '-i', inv], HOSTS, TASKS);

  // removals: the job and the variable go, the cron.d file goes with its last job, the sysctl leaves the file
  writeFileSync(
    site,
    `- hosts: node1\n  gather_facts: false\n  tasks:\n` +
      `    - cron: { name: defrag, state: absent }\n` +
      `    - cron: { name: MAILTO, env: true, state: absent }\n` +
      `    - cron: { name: nightly, cron_file: bosun-nightly, state: absent }\n` +
      `    - sysctl: { name: net.ipv4.conf.all.rp_filter, state: absent }\n`,
  );
  const r3 = await bosunRun([site, '-i', inv, '--diff']);
  t.equal(r3.code, 0, r3.err + r3.out);
  t.equal(parseRecap(r3.out).node1!.changed, 4);
  const after = await remote(lab, 'node1', 'crontab -l | grep -c . ; test -e /etc/cron.d/bosun-nightly || echo no-file; grep -c "^net.ipv4.conf.all.rp_filter=" /etc/sysctl.conf');
  t.equal(after.out.toString(), '0\nno-file\n0\n');
  const r4 = await bosunRun([site, '-i', inv]);
  t.equal(parseRecap(r4.out).node1!.changed, 0, 'removals are idempotent');

  await t.test('mount: tmpfs and bind mounts inside the lab hosts', (t) => mountCases(t, lab, dir, inv));
  await t.test('mount: the same fstab, mounts and results as ansible-playbook', { skip: ansible.status === 0 ? false : 'ansible-playbook not installed' }, (t) => mountDifferential(t, lab, dir, inv));
  await t.test('alternatives, apt_key, make: the same state and results as ansible-playbook', { skip: ansible.status === 0 ? false : 'ansible-playbook not installed' }, (t) => altKeyMake(t, lab, dir, inv));
});

// Every lab host has its own mount namespace and root overlay: its fstab and mounts are its own.
// The control node's fstab and mount table are compared before and after.
const MOUNT_PLAY = `
- hosts: all
  gather_facts: false
  tasks:
    - name: a tmpfs, in fstab and mounted (the mount point is created)
      mount: { path: /srv/bosun/cache, src: tmpfs, fstype: tmpfs, opts: "size=2m,mode=0750", state: mounted }
    - name: a bind mount of a directory of the host
      ansible.posix.mount: { path: /srv/bosun-www, src: /srv/bosun-data, fstype: none, opts: bind, state: mounted }
    - name: only an entry, not mounted at boot
      mount: { path: /mnt/dvd, src: /dev/bosun-dvd, fstype: iso9660, opts: ro, boot: false, state: present }
`;
const MOUNT_TASKS = 3;
const ctlMounts = (): string => readFileSync('/etc/fstab', 'utf8') + readFileSync('/proc/self/mountinfo', 'utf8').split('\n').filter((l) => l.includes('bosun')).join('\n');
const findmnt = 'findmnt -rn -o TARGET,FSTYPE,OPTIONS';

async function mountCases(t: Test, lab: LabState, dir: string, inv: string): Promise<void> {
  const ctl = ctlMounts();
  for (const h of HOSTS) t.equal((await remote(lab, h, 'mkdir -p /srv/bosun-data && echo served > /srv/bosun-data/index')).code, 0);
  const site = path.join(dir, 'mount.yml');
  writeFileSync(site, MOUNT_PLAY);
  const checkOut = await checkPredicts(t, lab, [site, '-i', inv], HOSTS, MOUNT_TASKS);
  t.match(checkOut, /\+tmpfs \/srv\/bosun\/cache tmpfs size=2m,mode=0750 0 0\n/, 'check shows the fstab line');
  t.match(checkOut, /-state: unmounted\n\+state: mounted/, 'and the mount state');
  t.match(checkOut, /\+\/dev\/bosun-dvd \/mnt\/dvd iso9660 ro,noauto 0 0\n/, 'boot: false adds noauto');

  const r1 = await bosunRun([site, '-i', inv]);
  t.equal(r1.code, 0, r1.err + r1.out);
  for (const h of HOSTS) t.equal(parseRecap(r1.out)[h]!.changed, MOUNT_TASKS, `${h}: ${MOUNT_TASKS} changed`);
  for (const h of HOSTS) {
    const r = await remote(lab, h, `grep bosun /etc/fstab; ${findmnt} /srv/bosun/cache; cat /srv/bosun-www/index; findmnt -rn -o TARGET /mnt/dvd || echo dvd-not-mounted`);
    t.equal(
      r.out.toString(),
      'tmpfs /srv/bosun/cache tmpfs size=2m,mode=0750 0 0\n/srv/bosun-data /srv/bosun-www none bind 0 0\n/dev/bosun-dvd /mnt/dvd iso9660 ro,noauto 0 0\n' +
        '/srv/bosun/cache tmpfs rw,relatime,size=2048k,mode=750\nserved\ndvd-not-mounted\n',
      `${h}: fstab, the tmpfs with its options, the bind mount serving the data, the dvd only in fstab`,
    );
  }
  t.equal(ctlMounts(), ctl, "the control node's fstab and mount table did not move");
  await rerunIsNoop(t, [site, '-i', inv], HOSTS, MOUNT_TASKS);

  // on node1: a bigger tmpfs (remounted in place: a file on it survives), unmounted, remounted, absent
  t.equal((await remote(lab, 'node1', 'echo kept > /srv/bosun/cache/f')).code, 0);
  const step = async (tasks: string, changed: number, what: string): Promise<string> => {
    writeFileSync(site, `- hosts: node1\n  gather_facts: false\n  tasks:\n${tasks}`);
    const r = await bosunRun([site, '-i', inv, '--diff']);
    t.equal(r.code, 0, r.err + r.out);
    t.equal(parseRecap(r.out).node1!.changed, changed, what);
    return r.out;
  };
  const grow = '    - mount: { path: /srv/bosun/cache, src: tmpfs, fstype: tmpfs, opts: "size=4m,mode=0750", state: mounted }\n';
  t.match(await step(grow, 1, 'new options: changed'), /-state: mounted\n\+state: remounted/);
  t.equal((await remote(lab, 'node1', `${findmnt} /srv/bosun/cache; cat /srv/bosun/cache/f`)).out.toString(), '/srv/bosun/cache tmpfs rw,relatime,size=4096k,mode=750\nkept\n', 'remounted with the new size, contents kept');
  await step(grow, 0, 'and again: nothing');
  await step('    - mount: { path: /srv/bosun-www, state: unmounted }\n', 1, 'unmounted');
  t.equal((await remote(lab, 'node1', 'test -e /srv/bosun-www/index || echo gone; grep -c bosun-www /etc/fstab')).out.toString(), 'gone\n1\n', 'unmounted, the entry kept');
  await step('    - mount: { path: /srv/bosun-www, state: unmounted }\n', 0, 'unmounted again: nothing');
  await step('    - mount: { path: /srv/bosun/cache, state: remounted }\n', 1, 'remounted always changes');
  await step('    - mount: { path: /srv/bosun/cache, state: absent }\n    - mount: { path: /mnt/dvd, state: absent }\n', 2, 'absent');
  t.equal((await remote(lab, 'node1', 'grep -c bosun /etc/fstab; findmnt /srv/bosun/cache || echo not-mounted; test -e /srv/bosun/cache || echo no-dir')).out.toString(), '1\nnot-mounted\nno-dir\n', 'entries, mount and mount point gone');
  await step('    - mount: { path: /srv/bosun/cache, state: absent }\n', 0, 'absent again: nothing');

  // a mount that fails puts fstab back and removes the directories it made
  writeFileSync(site, `- hosts: node1\n  gather_facts: false\n  tasks:\n    - mount: { path: /srv/bosun/bad/point, src: /dev/bosun-nothing, fstype: ext4, state: mounted }\n`);
  const before = (await remote(lab, 'node1', 'cat /etc/fstab')).out.toString();
  const bad = await bosunRun([site, '-i', inv]);
  t.not(bad.code, 0);
  t.match(bad.out, /Error mounting \/srv\/bosun\/bad\/point: /);
  t.equal((await remote(lab, 'node1', 'cat /etc/fstab; test -e /srv/bosun/bad || echo no-dir')).out.toString(), before + 'no-dir\n', 'fstab and directories as before');
  t.equal(ctlMounts(), ctl, 'still nothing on the control node');
}

/** ansible-playbook on node1, bosun on node2, from the same seeded state. */
const MOUNT_SEED = [
  'mkdir -p /srv/d-src /srv/d-gone /srv/d-four /srv/d-um && echo x > /srv/d-src/f',
  // a 4-field line (no dump/passno), a line to remove, one to unmount, one to drop from fstab only
  "printf '%s\\n' 'tmpfs /srv/d-gone tmpfs size=1m 0 0' 'tmpfs   /srv/d-four  tmpfs  size=1m' 'tmpfs /srv/d-um tmpfs size=1m 0 0' '/dev/d-y /srv/d-aff ext4 defaults 0 0' >> /etc/fstab",
  'for d in d-gone d-four d-um; do mount -t tmpfs -o size=1m tmpfs /srv/$d || exit 1; done',
].join(' && ');
const MOUNT_DIFF = `
- hosts: all
  gather_facts: false
  tasks:
    - mount: { path: /srv/d-tmp, src: tmpfs, fstype: tmpfs, opts: "size=1m,noexec", state: mounted }
      register: m1
    - mount: { path: /srv/d-bind, src: /srv/d-src, fstype: none, opts: bind, state: mounted }
      register: m2
    - mount: { path: /srv/d-noauto, src: /dev/d-x, fstype: ext4, boot: false, state: present }
      register: m3
    - mount: { path: "/srv/d sp&ce", src: tmpfs, fstype: tmpfs, dump: 1, passno: "2", state: present }
    - mount: { path: /srv/d-four, src: tmpfs, fstype: tmpfs, opts: size=1m, state: mounted }
      register: m5
    - mount: { path: /srv/d-gone, state: absent }
      register: m6
    - mount: { path: /srv/d-um, state: unmounted }
    - mount: { path: /srv/d-aff, state: absent_from_fstab }
    - copy: { dest: /root/mount-results.json, content: "R={{ {'m1': m1, 'm2': m2, 'm3': m3, 'm5': m5, 'm6': m6} | to_json }}" }
`;

async function mountDifferential(t: Test, lab: LabState, dir: string, inv: string): Promise<void> {
  const seeded = await Promise.all(HOSTS.map((h) => remote(lab, h, MOUNT_SEED)));
  seeded.forEach((r, i) => t.equal(r.code, 0, `${HOSTS[i]}: seeded`));
  const site = path.join(dir, 'mount-diff.yml');
  writeFileSync(site, MOUNT_DIFF);
  const twin = twinRuns(t, inv);
  const [a1, b1] = await twin.both(site);
  t.equal(b1, a1, `same changed count (${a1})`);
  t.equal(a1, 9, 'every task changed something (not vacuous)');
  const snap = `cat /etc/fstab; echo ==; ${findmnt} /srv/d-tmp; ${findmnt} /srv/d-bind; ${findmnt} /srv/d-four; ${findmnt} /srv/d-um || echo d-um-unmounted; ${findmnt} /srv/d-gone || echo d-gone-unmounted; ls -d /srv/d-* | sort; cat /srv/d-bind/f`;
  const [sa, sb] = await Promise.all(['node1', 'node2'].map((h) => remote(lab, h, snap)));
  // the hosts differ in the first part's entries (node1 removed them) and in their overlay's upper dir
  const norm = (raw: Buffer): string[] =>
    raw.toString().replace(/^.* (\/srv\/bosun\S*|\/mnt\/dvd) .*\n/gm, '').replace(/\/node[12]\//g, '/nodeN/').split('==\n');
  const [fa, ma] = norm(sa!.out);
  const [fb, mb] = norm(sb!.out);
  t.equal(fb, fa, 'fstab: byte-identical');
  t.equal(mb, ma, 'mount table and mount points: the same');
  t.match(fa, /tmpfs \/srv\/d\\040sp\\046ce tmpfs defaults 1 2\n/, 'the escaped entry (not vacuous)');
  t.match(ma, /d-gone-unmounted/);
  const [ra, rb] = await Promise.all(['node1', 'node2'].map((h) => remote(lab, h, 'cat /root/mount-results.json')));
  const pick = (raw: Buffer): Record<string, Record<string, unknown>> => {
    const all = JSON.parse(raw.toString().replace(/^R=/, '')) as Record<string, Record<string, unknown>>;
    const keys = ['name', 'src', 'fstype', 'opts', 'dump', 'passno', 'fstab', 'boot', 'backup_file', 'changed', 'warnings'];
    return Object.fromEntries(Object.entries(all).map(([k, v]) => [k, Object.fromEntries(keys.filter((x) => x in v).map((x) => [x, v[x]]))]));
  };
  const [ja, jb] = [pick(ra!.out), pick(rb!.out)];
  t.same(jb, ja, 'registered results: same keys and values');
  t.equal(ja.m3?.opts, 'defaults', 'boot=false with defaults: Ansible keeps defaults (not vacuous)');
  // a rerun changes only the copy of the results (their changed flags are now false)
  const [a2, b2] = await twin.both(site);
  t.equal(a2, 1, 'ansible: a rerun changes only the results file');
  t.equal(b2, 1, 'bosun: the same');
}

// alternatives, apt_key and make, all confined to /root/altmods of each lab host (its own /root,
// /etc and /var: the alternatives database and links, the keyring, the build): ansible-playbook on
// node1, bosun on node2, from the same seed; then bosun alone: --check, run, no-op rerun.
const ALT_DIR = '/root/altmods';
const ALT_SEED = [
  `mkdir -p ${ALT_DIR}/bin ${ALT_DIR}/src`,
  `printf '#!/bin/sh\\necho a\\n' > ${ALT_DIR}/tool-a && printf '#!/bin/sh\\necho b\\n' > ${ALT_DIR}/tool-b && chmod 755 ${ALT_DIR}/tool-?`,
  `echo a > ${ALT_DIR}/man-a && echo hello > ${ALT_DIR}/src/in.txt`,
  `printf 'out.txt: in.txt\\n\\tcat in.txt > out.txt\\n\\techo "V=$(V)" >> out.txt\\nstamp2:\\n\\ttouch stamp2\\n' > ${ALT_DIR}/src/Makefile`,
  `printf 'all:\\n\\t@echo other $(J)\\n.PHONY: all\\n' > ${ALT_DIR}/src/other.mk`,
  `base64 -d > ${ALT_DIR}/k2.gpg`,
].join(' && ');
// a \w+ name: Ansible's --display parsing misses the link of a name with a dash (docs/ansible-differences.md)
const ALT_NAME = 'bosun_alt_tool';

function altPlay(k1: string): string {
  const alt = (a: string): string => `community.general.alternatives: { name: ${ALT_NAME}, ${a} }`;
  const ring = `keyring: ${ALT_DIR}/ring.gpg`;
  const tasks: [string, string][] = [
    ['al1', alt(`path: ${ALT_DIR}/tool-a, link: ${ALT_DIR}/bin/tool, priority: 10, state: present, subcommands: [{ name: ${ALT_NAME}.1, path: ${ALT_DIR}/man-a, link: ${ALT_DIR}/bin/tool.1 }]`)],
    ['al2', alt(`path: ${ALT_DIR}/tool-b, link: ${ALT_DIR}/bin/tool, priority: 20, state: present`)],
    ['al3', alt(`path: ${ALT_DIR}/tool-a, link: ${ALT_DIR}/bin/tool`)],
    ['al4', alt(`path: ${ALT_DIR}/tool-a, link: ${ALT_DIR}/bin/tool, state: selected`)],
    ['al5', alt(`path: ${ALT_DIR}/tool-b, link: ${ALT_DIR}/bin/tool, state: auto`)],
    // no link: the group's own (under --check the group does not exist yet: both fail, ignored)
    ['al6', `${alt(`path: ${ALT_DIR}/tool-a, priority: 30, state: present`)}\n      ignore_errors: true`],
    ['al7', alt(`path: ${ALT_DIR}/tool-b, state: absent`)],
    ['ak1', `apt_key: { data: ${JSON.stringify(k1)}, ${ring} }`],
    ['ak2', `apt_key: { file: ${ALT_DIR}/k2.gpg, ${ring} }`],
    ['ak3', `apt_key: { id: "{{ ak1.short_id }}", ${ring} }`],
    ['ak4', `apt_key: { id: "{{ ak2.id }}", state: absent, ${ring} }`],
    ['ak5', `ansible.builtin.apt_key: { data: ${JSON.stringify(k1)}, ${ring} }`],
    ['mk1', `make: { chdir: ${ALT_DIR}/src, target: out.txt, params: { V: "x y" } }`],
    ['mk2', `make: { chdir: ${ALT_DIR}/src, target: out.txt, params: { V: "x y" } }`],
    ['mk4', `make: { chdir: ${ALT_DIR}/src }`],
    ['mk3', `community.general.make: { chdir: ${ALT_DIR}/src, target: all, file: ${ALT_DIR}/src/other.mk, jobs: 2, params: { J: 1 } }`],
  ];
  const names = tasks.map(([n]) => n);
  return (
    '- hosts: all\n  gather_facts: false\n  tasks:\n' +
    tasks.map(([n, task]) => `    - ${task}\n      register: ${n}\n`).join('') +
    `    - copy: { dest: ${ALT_DIR}/results.json, content: "R={{ {${names.map((n) => `'${n}': ${n}`).join(', ')}} | to_json }}" }\n`
  );
}

async function altKeyMake(t: Test, lab: LabState, dir: string, inv: string): Promise<void> {
  const k1 = makeKey(t, 'Bosun Lab One <one@example.com>', 'ed25519');
  const k2 = makeKey(t, 'Bosun Lab Two <two@example.com>', 'rsa2048');
  const seeded = await Promise.all(HOSTS.map((h) => remote(lab, h, ALT_SEED, k2.bin.toString('base64'))));
  seeded.forEach((r, i) => t.equal(r.code, 0, `${HOSTS[i]}: seeded ${r.err}`));
  const site = path.join(dir, 'altmods.yml');
  writeFileSync(site, altPlay(k1.asc));
  // --check first: both predict from the seed alone (later tasks do not see earlier ones' changes)
  const env = { ...process.env, ANSIBLE_NOCOLOR: '1', ANSIBLE_HOST_KEY_CHECKING: 'False', ANSIBLE_PYTHON_INTERPRETER: '/usr/bin/python3', ANSIBLE_PIPELINING: 'True' };
  const [ca, cb] = await Promise.all([spawnCollect('ansible-playbook', [site, '-i', inv, '-l', 'node1', '--check'], { env, timeoutMs: 300_000 }), bosunRun([site, '-i', inv, '-l', 'node2', '--check'])]);
  t.equal(ca.code, 0, ca.stdout + ca.stderr);
  t.equal(cb.code, 0, cb.out + cb.err);
  t.equal(parseRecap(cb.out).node2?.changed, parseRecap(ca.stdout).node1?.changed, 'check mode: the same changed count');
  t.equal(parseRecap(ca.stdout).node1?.changed, 14, 'check mode: all but al6 (no link yet: failed, ignored) and al7/ak4 (nothing to remove yet) (not vacuous)');
  t.equal(parseRecap(cb.out).node2?.ignored, 1, 'al6 failed (ignored) in bosun too');
  const twin = twinRuns(t, inv);
  const [a1, b1] = await twin.both(site);
  t.equal(b1, a1, `same changed count (${a1})`);
  t.equal(a1, 12, 'every task but the repeats changed something (not vacuous)');
  const snap =
    `update-alternatives --query ${ALT_NAME}; readlink -f ${ALT_DIR}/bin/tool; test -e ${ALT_DIR}/bin/tool.1 || echo no-follower; ` +
    `apt-key --keyring ${ALT_DIR}/ring.gpg adv --list-public-keys --keyid-format=long 2>/dev/null | grep -E '^(pub|sub)'; cat ${ALT_DIR}/src/out.txt`;
  const [sa, sb] = await Promise.all(HOSTS.map((h) => remote(lab, h, snap)));
  t.equal(sb!.out.toString(), sa!.out.toString(), 'alternatives group, links, keyring and build: the same');
  t.match(sa!.out.toString(), new RegExp(`Status: auto\\n[\\s\\S]*Alternative: ${ALT_DIR}/tool-a\\nPriority: 30\\n[\\s\\S]*pub +ed25519/${k1.fpr.slice(-16)} `), 'tool-a alone, priority 30, followers dropped; k1 kept (not vacuous)');
  t.match(sa!.out.toString(), /hello\nV=x y\n$/);
  const [ra, rb] = await Promise.all(HOSTS.map((h) => remote(lab, h, `cat ${ALT_DIR}/results.json`)));
  const pick = (raw: Buffer): Record<string, Record<string, unknown>> => {
    const all = JSON.parse(raw.toString().replace(/^R=/, '')) as Record<string, Record<string, unknown>>;
    const keys = ['changed', 'msg', 'id', 'short_id', 'fp', 'key_id', 'before', 'after', 'stdout', 'stderr', 'target', 'params', 'chdir', 'file', 'jobs', 'command'];
    return Object.fromEntries(Object.entries(all).map(([k, v]) => [k, Object.fromEntries(keys.filter((x) => x in v).map((x) => [x, v[x]]))]));
  };
  const [ja, jb] = [pick(ra!.out), pick(rb!.out)];
  t.same(jb, ja, 'registered results: same keys and values');
  t.equal(ja.ak2?.id, k2.fpr.slice(-16), 'the id read from the key file (not vacuous)');
  t.equal(ja.mk3?.stdout, 'other 1');

  // bosun alone on node2: a new selection, a new key, a new target: --check predicts, run, no-op rerun
  const idem = path.join(dir, 'altmods-idem.yml');
  writeFileSync(
    idem,
    '- hosts: node2\n  gather_facts: false\n  tasks:\n' +
      `    - alternatives: { name: ${ALT_NAME}, path: ${ALT_DIR}/tool-b, link: ${ALT_DIR}/bin/tool }\n` +
      `    - apt_key: { data: ${JSON.stringify(k2.asc)}, keyring: ${ALT_DIR}/ring.gpg }\n` +
      `    - make: { chdir: ${ALT_DIR}/src, target: stamp2 }\n`,
  );
  await checkPredicts(t, lab, [idem, '-i', inv], ['node2'], 3);
  const r = await bosunRun([idem, '-i', inv]);
  t.equal(r.code, 0, r.err + r.out);
  t.equal(parseRecap(r.out).node2!.changed, 3);
  t.equal((await remote(lab, 'node2', `readlink -f ${ALT_DIR}/bin/tool; test -e ${ALT_DIR}/src/stamp2 && echo built`)).out.toString(), `${ALT_DIR}/tool-b\nbuilt\n`);
  await rerunIsNoop(t, [idem, '-i', inv], ['node2'], 3);
}
