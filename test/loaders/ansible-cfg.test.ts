// ansible.cfg and ANSIBLE_* settings: which file is used, which source wins, how values convert.
import t from 'tap';
import { join } from 'node:path';
import { loadAnsibleSettings } from '../../lib/loaders/ansible-cfg.js';

t.test('gather_subset and control_path_dir: from the file, beaten by ANSIBLE_*', async (t) => {
  const dir = t.testdir({
    'ansible.cfg': '[defaults]\ngather_subset = min, hardware ,\nforks = 7\n\n[ssh_connection]\ncontrol_path_dir = cp ; a comment\ncontrol_path = %(directory)s/%%h\npipelining = True\n',
  });
  const env = { HOME: dir, ANSIBLE_CONFIG: join(dir, 'ansible.cfg') };
  const f = loadAnsibleSettings(env, dir);
  t.equal(f.file, join(dir, 'ansible.cfg'));
  t.same(f.settings.gatherSubset, ['min', 'hardware'], 'comma list, blanks dropped');
  t.equal(f.settings.controlPathDir, join(dir, 'cp'), 'a relative path is the config file directory\'s');
  t.equal(f.settings.forks, 7);
  t.match(f.origin.gatherSubset, /\[defaults\] gather_subset$/);
  t.match(f.ignored.join('\n'), /\[ssh_connection\] control_path: bosun names its ControlMaster sockets itself/);
  t.match(f.ignored.join('\n'), /\[ssh_connection\] pipelining/);
  t.notMatch(f.ignored.join('\n'), /\] control_path_dir/, 'control_path_dir is applied, not ignored');

  const e = loadAnsibleSettings({ ...env, ANSIBLE_GATHER_SUBSET: '!all,network', ANSIBLE_SSH_CONTROL_PATH_DIR: '/run/x' }, dir);
  t.same(e.settings.gatherSubset, ['!all', 'network']);
  t.equal(e.settings.controlPathDir, '/run/x');
  t.equal(e.origin.controlPathDir, 'ANSIBLE_SSH_CONTROL_PATH_DIR');
});

t.test('a bad value names the file and line', async (t) => {
  const dir = t.testdir({ 'ansible.cfg': '[defaults]\n\nforks = many\n' });
  t.throws(() => loadAnsibleSettings({ HOME: dir, ANSIBLE_CONFIG: join(dir, 'ansible.cfg') }, dir), { message: /forks must be an integer; got 'many'/, loc: { line: 3 } });
});
