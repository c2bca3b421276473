// yum_repository against Ansible itself, on the control node's temp directories only (each case its
// own reposdir): the same tasks on the same starting .repo files through ansible-playbook
// (connection local) and through bosun; the directories must end byte-identical (files, modes),
// the changed counts equal, and a second run of each must change nothing. The cases are
// configparser's corners: DEFAULT, continuation lines, comments, layout, a section moved last.
import t from 'tap';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { stringify } from 'yaml';
import { localTwins } from '../helpers/run.js';

interface Case {
  /** Starting files of the case's reposdir. */
  start: Record<string, string>;
  args: Record<string, unknown>;
}

const FULL = {
  name: 'full',
  description: 'Every kind of option',
  baseurl: ['http://a.example/$releasever/', 'http://b.example/$releasever/'],
  gpgkey: 'file:///etc/pki/rpm-gpg/KEY-A',
  exclude: ['kernel*', 'systemd*'],
  includepkgs: [],
  enabled: false,
  gpgcheck: 'yes',
  async: true,
  validate_certs: false,
  module_hotfixes: true,
  priority: 5,
  cost: '500',
  keepcache: '1',
  ip_resolve: '4',
  metadata_expire: '6h',
  timeout: 30,
  proxy: '_none_',
};

const CASES: Record<string, Case> = {
  y_new: { start: {}, args: FULL },
  y_default_section: { start: { 'site.repo': '[DEFAULT]\nkeepcache = 0\n[a]\nname = A\nbaseurl = http://a/\n' }, args: { name: 'b', file: 'site', description: 'B', baseurl: 'http://b/' } },
  y_layout_same: {
    start: { 'epel.repo': '# by hand\n[epel]\nBaseURL=http://a/\n    http://b/\n; note\nName : EPEL\nenabled: 0\n' },
    args: { name: 'epel', description: 'EPEL', baseurl: ['http://a/', 'http://b/'], enabled: false },
  },
  y_moved_last: { start: { 'epel.repo': '[epel]\nname = old\nbaseurl = http://old/\n\n[other]\nname = O\nbaseurl = http://o/\n' }, args: { name: 'epel', description: 'EPEL', metalink: 'http://m/' } },
  y_absent_keep: { start: { 'two.repo': '# c\n[a]\nname=A\nbaseurl=http://a/\n[b]\nname=B\nbaseurl=http://b/\n' }, args: { name: 'a', file: 'two', state: 'absent' } },
  y_absent_last: { start: { 'one.repo': '[a]\nname=A\nbaseurl=http://a/\n' }, args: { name: 'a', file: 'one', state: 'absent' } },
  y_absent_nofile: { start: {}, args: { name: 'none', state: 'absent' } },
  y_absent_other: { start: { 'x.repo': '# keep me\n[x]\nname=X\nbaseurl=http://x/\n' }, args: { name: 'y', file: 'x', state: 'absent' } },
  y_mode_only: { start: { 'm.repo': '[m]\nbaseurl = http://m/\nname = M\n\n' }, args: { name: 'm', description: 'M', baseurl: 'http://m/', mode: '0640' } },
};

const ansible = spawnSync('ansible-playbook', ['--version'], { encoding: 'utf8' });

function playbook(dir: string): string {
  const tasks = Object.entries(CASES).map(([id, c]) => ({ name: id, yum_repository: { reposdir: join(dir, id), ...c.args } }));
  return stringify([{ hosts: 'all', gather_facts: false, tasks }]);
}

function setUp(dir: string): void {
  for (const [id, c] of Object.entries(CASES)) {
    mkdirSync(join(dir, id), { recursive: true });
    for (const [f, text] of Object.entries(c.start)) writeFileSync(join(dir, id, f), text, { mode: 0o644 });
  }
}

/** Every case's files: name, mode and content. */
function contents(dir: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const id of Object.keys(CASES)) {
    out[id] = readdirSync(join(dir, id))
      .sort()
      .map((f) => `== ${f} ${(statSync(join(dir, id, f)).mode & 0o777).toString(8)}\n${readFileSync(join(dir, id, f), 'utf8')}`)
      .join('');
  }
  return out;
}

t.test('yum_repository: same files as ansible-playbook, same changed count, idempotent', { skip: ansible.status === 0 ? false : 'ansible-playbook not installed' }, async (t) => {
  // ansible-playbook works in root/ansible, bosun in root/bosun: each pair of runs goes at once
  const { ansibleDir: ad, bosunDir: bd, pair } = localTwins(t, t.testdir({}), setUp, playbook);
  const [a1, b1] = await pair();
  const ac = contents(ad);
  const bc = contents(bd);
  for (const id of Object.keys(CASES)) t.equal(bc[id], ac[id], `${id}: same files as Ansible`);
  t.equal(b1.changed, a1.changed, 'same changed count as Ansible');
  t.equal(a1.changed, 6, 'the cases that change things do (not vacuous)');
  t.notOk(existsSync(join(bd, 'y_absent_last', 'one.repo')), 'the emptied file is gone');
  const [a2, b2] = await pair();
  t.equal(a2.changed, 0, 'ansible: second run changes nothing');
  t.equal(b2.changed, 0, 'bosun: second run changes nothing');
  t.same(contents(bd), bc, 'bosun: second run left every file as it was');
});
