import t from 'tap';
import { isSecretKey, registerPlaybookSecrets, registerSecretVar, registerSecretVars } from '../../lib/engine/secret-vars.js';
import { processSecrets } from '../../lib/output/mask.js';
import { loadPlaybook } from '../../lib/loaders/playbook.js';
import { join } from 'node:path';

t.test('the rule bosun inventory uses', async (t) => {
  for (const k of ['password', 'db_password', 'ansible_become_pass', 'api_key', 'apikey', 'vault_token', 'client_secret', 'ssh_private_key', 'key', 'tls_key', 'aws_credentials'])
    t.ok(isSecretKey(k), k);
  for (const k of ['password_file', 'tls_key_path', 'key_dir', 'keys', 'monkey_src', 'hostname', 'key_usage'])
    t.notOk(isSecretKey(k), k);
  t.equal(isSecretKey('db_password'), true, 'memoised answer is the same');
});

t.test('values of secret-looking keys, from nested mappings and lists, not templates', async (t) => {
  registerSecretVars({ users: [{ name: 'alice', password: 'nested-pw-1' }], db: { root_token: 12345678 }, other: 'not-a-secret-1', pins: { key: ['list-pw-1', 'list-pw-2'] } });
  for (const s of ['nested-pw-1', '12345678', 'list-pw-1', 'list-pw-2']) t.ok(processSecrets.has(s), s);
  t.notOk(processSecrets.has('not-a-secret-1'));
  t.notOk(processSecrets.has('alice'));
  registerSecretVar('db_password', '{{ vault_db_password }}');
  t.notOk(processSecrets.has('{{ vault_db_password }}'), 'a template is registered once rendered, not as its source');
  registerSecretVars(null);
  registerSecretVars('x');
});

t.test('every static variable of a playbook: play vars, vars_files, roles, blocks, tasks, handlers', async (t) => {
  const dir = t.testdir({
    'play.yml': `- hosts: localhost
  gather_facts: false
  vars: { play_password: pb-play-1 }
  vars_files: [v.yml]
  roles: [r]
  tasks:
    - block:
        - debug: { msg: x }
          vars: { task_secret: pb-task-1 }
      vars: { block_token: pb-block-1 }
  handlers:
    - name: h
      debug: { msg: x }
      vars: { handler_pass: pb-handler-1 }
`,
    'v.yml': 'file_password: pb-file-1\n',
    roles: { r: { defaults: { 'main.yml': 'role_default_key: pb-default-1\n' }, vars: { 'main.yml': 'role_var_secret: pb-rolevar-1\n' }, tasks: { 'main.yml': '- debug: { msg: x }\n' } } },
  });
  const { playbook } = await loadPlaybook(join(dir, 'play.yml'));
  registerPlaybookSecrets(playbook);
  for (const s of ['pb-play-1', 'pb-file-1', 'pb-default-1', 'pb-rolevar-1', 'pb-block-1', 'pb-task-1', 'pb-handler-1']) t.ok(processSecrets.has(s), s);
});
