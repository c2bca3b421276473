// lineinfile, blockinfile, replace, ini_file against Ansible itself: the same tasks on the same
// starting files, once through ansible-playbook (connection local) and once through bosun; the
// resulting files must be byte-identical, each tool's changed count the same, and a second run of
// each must change nothing. Needs ansible-core (and Debian's community.general for ini_file).
import t from 'tap';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { stringify } from 'yaml';
import { localTwins } from '../helpers/run.js';

interface Case {
  /** Starting content of the case's file; null: the file does not exist. */
  start: string | null;
  module: string;
  args: Record<string, unknown>;
  ignore_errors?: boolean;
}

const CASES: Record<string, Case> = {
  li_regexp: { start: 'SELINUX=disabled\nSELINUXTYPE=targeted\n', module: 'ansible.builtin.lineinfile', args: { regexp: '^SELINUX=', line: 'SELINUX=enforcing' } },
  li_append_no_eol: { start: 'a\nb', module: 'lineinfile', args: { line: 'c' } },
  li_present_already: { start: 'a\nc\nb\n', module: 'lineinfile', args: { line: 'c' } },
  li_insertafter: { start: '[main]\nx=1\n[other]\nz=3\n', module: 'lineinfile', args: { insertafter: '^\\[main\\]', line: 'y=2' } },
  li_insertafter_last: { start: 'k\nk\n', module: 'lineinfile', args: { insertafter: '^k', line: 'after-k' } },
  li_bof: { start: 'one\ntwo\n', module: 'lineinfile', args: { insertbefore: 'BOF', line: '# header' } },
  li_insertbefore_first: { start: 'a\n#x\nb\n#x\n', module: 'lineinfile', args: { insertbefore: '^#x', firstmatch: true, line: 'NEW' } },
  li_insertbefore_last: { start: 'a\n#x\nb\n#x\n', module: 'lineinfile', args: { insertbefore: '^#x', line: 'NEW' } },
  li_backrefs: { start: '  Port 22\nListen x\n', module: 'lineinfile', args: { regexp: '^(\\s*)Port \\d+$', line: '\\1Port 2222', backrefs: true } },
  li_backrefs_nomatch: { start: 'nothing\n', module: 'lineinfile', args: { regexp: '^(Port) \\d+', line: '\\1 2222', backrefs: true } },
  li_absent_regexp: { start: 'keep\nPROXY=1\nkeep2\nPROXY=2\n', module: 'lineinfile', args: { regexp: '^PROXY=', state: 'absent' } },
  li_absent_line: { start: 'a\nb\na\n', module: 'lineinfile', args: { line: 'a', state: 'absent' } },
  li_create: { start: null, module: 'lineinfile', args: { line: 'created', create: true } },
  li_search_string: { start: 'x = "/old/path"\ny\n', module: 'lineinfile', args: { search_string: '/old/path', line: 'x = "/new/path"' } },
  li_regexp_last: { start: 'v=1\nv=2\n', module: 'lineinfile', args: { regexp: '^v=', line: 'v=9' } },
  li_regexp_first: { start: 'v=1\nv=2\n', module: 'lineinfile', args: { regexp: '^v=', line: 'v=9', firstmatch: true } },
  li_validate_ok: { start: 'a\n', module: 'lineinfile', args: { line: 'valid', validate: 'grep -q valid %s' } },
  li_validate_bad: { start: 'a\n', module: 'lineinfile', args: { line: 'nope', validate: 'grep -q valid %s' }, ignore_errors: true },
  li_mode: { start: 'a\n', module: 'lineinfile', args: { line: 'a', mode: '0600' } },
  bi_eof: { start: 'a\n', module: 'blockinfile', args: { block: 'x\ny' } },
  bi_update: { start: 'a\n# BEGIN ANSIBLE MANAGED BLOCK\nold\n# END ANSIBLE MANAGED BLOCK\nz\n', module: 'ansible.builtin.blockinfile', args: { block: 'new1\nnew2\n' } },
  bi_same: { start: 'a\n# BEGIN ANSIBLE MANAGED BLOCK\nsame\n# END ANSIBLE MANAGED BLOCK\n', module: 'blockinfile', args: { block: 'same' } },
  bi_absent: { start: 'a\n# BEGIN ANSIBLE MANAGED BLOCK\nold\n# END ANSIBLE MANAGED BLOCK\nz\n', module: 'blockinfile', args: { state: 'absent' } },
  bi_bof_marker: { start: 'a\nb\n', module: 'blockinfile', args: { insertbefore: 'BOF', marker: '// {mark} hosts', block: 'h1\nh2' } },
  bi_insertafter: { start: 'Match x\n[sec]\nend\n', module: 'blockinfile', args: { insertafter: '^\\[sec\\]', block: 'k=v', marker_begin: 'START', marker_end: 'STOP' } },
  bi_no_eol: { start: 'last', module: 'blockinfile', args: { block: 'b' } },
  bi_create: { start: null, module: 'blockinfile', args: { block: 'fresh', create: true } },
  rp_groups: { start: '10.0.0.1 old.host.name alias\n10.0.0.2 other\n', module: 'ansible.builtin.replace', args: { regexp: '(\\s+)old\\.host\\.name(\\s+.*)?$', replace: '\\1new.host.name\\2' } },
  rp_multiline: { start: '#a\nb\n#c\n', module: 'replace', args: { regexp: '^#(\\w+)', replace: '\\1' } },
  rp_after_before: { start: 'x=1\n<V>\nx=1\n</V>\nx=1\n', module: 'replace', args: { after: '<V>', before: '</V>', regexp: '^x=1$', replace: 'x=2' } },
  rp_after: { start: 'x\nSTART\nx\nx\n', module: 'replace', args: { after: 'START', regexp: 'x', replace: 'y' } },
  rp_nomatch: { start: 'abc\n', module: 'replace', args: { regexp: 'zzz', replace: 'y' } },
  rp_section_nomatch: { start: 'abc\n', module: 'replace', args: { after: 'NOPE', regexp: 'a', replace: 'y' } },
  ini_change: { start: '[main]\nproxy = old\nx = 1\n', module: 'community.general.ini_file', args: { section: 'main', option: 'proxy', value: 'new' } },
  ini_uncomment: { start: '[main]\n# proxy = x\ny = 2\n', module: 'ini_file', args: { section: 'main', option: 'proxy', value: 'p' } },
  ini_add: { start: '[a]\nk = v\n\n# comment\n\n[b]\nz = 1\n', module: 'ini_file', args: { section: 'a', option: 'new', value: 'n' } },
  ini_new_section: { start: '[a]\nk = v\n', module: 'ini_file', args: { section: 'c', option: 'o', value: 'v' } },
  ini_global: { start: '[a]\nk = v\n', module: 'ini_file', args: { option: 'top', value: 't' } },
  ini_absent: { start: '[a]\nk = v\nk = w\nj = 1\n', module: 'ini_file', args: { section: 'a', option: 'k', state: 'absent' } },
  ini_remove_section: { start: '[a]\nk = v\n[b]\nj = 1\n', module: 'ini_file', args: { section: 'a', state: 'absent' } },
  ini_no_spaces: { start: '[a]\nk=v\n', module: 'ini_file', args: { section: 'a', option: 'k', value: 'w', no_extra_spaces: true } },
  ini_create: { start: null, module: 'ini_file', args: { section: 's', option: 'o', value: 'v' } },
  ini_values: { start: '[a]\nk = 1\nk = 2\nk = 3\n', module: 'ini_file', args: { section: 'a', option: 'k', values: ['1', '3', '4'] } },
  ini_same: { start: '[a]\nk = v\n', module: 'ini_file', args: { section: 'a', option: 'k', value: 'v' } },
};

const ansible = spawnSync('ansible-playbook', ['--version'], { encoding: 'utf8' });
const hasIni = existsSync('/usr/lib/python3/dist-packages/ansible_collections/community/general/plugins/modules/ini_file.py');

function playbook(dir: string): string {
  const tasks = Object.entries(CASES)
    .filter(([, c]) => hasIni || !c.module.includes('ini_file'))
    .map(([id, c]) => ({ name: id, [c.module]: { path: join(dir, id), ...c.args }, ...(c.ignore_errors ? { ignore_errors: true } : {}) }));
  return stringify([{ hosts: 'all', gather_facts: false, tasks }]);
}

function setUp(dir: string): void {
  mkdirSync(dir, { recursive: true });
  for (const [id, c] of Object.entries(CASES)) if (c.start !== null) writeFileSync(join(dir, id), c.start);
}

function contents(dir: string): Record<string, string | null> {
  const out: Record<string, string | null> = {};
  for (const id of Object.keys(CASES)) out[id] = existsSync(join(dir, id)) ? readFileSync(join(dir, id), 'utf8') : null;
  return out;
}

t.test('edit modules: same files as ansible-playbook, same changed count, idempotent', { skip: ansible.status === 0 ? false : 'ansible-playbook not installed' }, async (t) => {
  // ansible-playbook works in root/ansible, bosun in root/bosun: each pair of runs goes at once
  const { ansibleDir: ad, bosunDir: bd, pair } = localTwins(t, t.testdir({}), setUp, playbook);
  const [a1, b1] = await pair();
  const ac = contents(ad);
  const bc = contents(bd);
  for (const id of Object.keys(CASES)) {
    if (!hasIni && id.startsWith('ini_')) continue;
    t.equal(bc[id], ac[id], `${id}: same content as Ansible`);
  }
  t.match(b1, { changed: a1.changed, failed: 0, ignored: a1.ignored }, 'same changed and ignored counts as Ansible');
  t.ok(a1.changed > 20, 'the cases change things (not vacuous)');
  const [a2, b2] = await pair();
  t.equal(a2.changed, 0, 'ansible: second run changes nothing');
  t.equal(b2.changed, 0, 'bosun: second run changes nothing');
  t.same(contents(bd), bc, 'bosun: second run left every file as it was');
});
