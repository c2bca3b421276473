// Differential suite for vault files: what ansible-vault 2.14 encrypts bosun reads (1.1, 1.2 with a
// vault id, inline !vault), and what bosun writes in Ansible's format ansible-vault reads.
import t from 'tap';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { ansibleInstalled, runAnsible, runBosun, workDir } from '../helpers/differential.js';
import { encryptAnsible } from '../../lib/vault/ansible-format.js';

t.ok(ansibleInstalled(), 'ansible-core is installed (.ci/setup installs it)');

t.test('ansible-vault → bosun and bosun → ansible-vault', async (t) => {
  const dir = workDir({
    'pw': 'correct horse\n',
    'pw2': 'other-id-pw\n',
    'secret.yml': 'db_password: "s3cret-value"\nport: 5432\n',
    'play.yml': '- hosts: localhost\n  gather_facts: false\n  vars_files: [secret.yml, inline.yml]\n  tasks:\n    - assert: {that: [port == 5432, db_password == \'s3cret-value\', api_token == \'tok-12345\']}\n',
  });
  const enc = await runAnsible('ansible-vault', ['encrypt', 'secret.yml', '--vault-password-file', 'pw'], dir);
  t.equal(enc.code, 0, 'ansible-vault encrypt');
  t.match(readFileSync(join(dir, 'secret.yml'), 'utf8'), /^\$ANSIBLE_VAULT;1\.1;AES256\n/);
  const inline = await runAnsible('ansible-vault', ['encrypt_string', '--vault-id', 'prod@pw2', 'tok-12345', '--name', 'api_token'], dir);
  t.match(inline.stdout, /\$ANSIBLE_VAULT;1\.2;AES256;prod/);
  writeFileSync(join(dir, 'inline.yml'), inline.stdout);
  const args = ['play.yml', '--vault-id', 'pw', '--vault-id', 'prod@pw2'];
  const a = await runAnsible('ansible-playbook', args, dir);
  const b = await runBosun(['run', ...args], dir);
  t.equal(a.code, 0, 'ansible-playbook decrypted both');
  t.equal(b.code, 0, `bosun decrypted both (${b.stderr.trim()})`);
  t.match(a.stdout, /"msg": "All assertions passed"/);
  t.match(b.stdout, /"msg": "All assertions passed"/, 'same values through bosun');
  // a wrong password: both refuse
  const bad = await runBosun(['run', 'play.yml', '--vault-id', 'pw2'], dir);
  t.equal(bad.code, 1);
  t.match(bad.stderr, /vault decryption failed: wrong vault password/);

  // bosun writes Ansible's format: ansible-vault reads it (1.1 and 1.2)
  writeFileSync(join(dir, 'b11.yml'), encryptAnsible('k: from-bosun\n', 'correct horse'));
  writeFileSync(join(dir, 'b12.yml'), encryptAnsible('k: with-id\n', 'other-id-pw', 'prod'));
  const v11 = await runAnsible('ansible-vault', ['view', 'b11.yml', '--vault-password-file', 'pw'], dir);
  t.equal(v11.stdout, 'k: from-bosun\n', 'ansible-vault view of a bosun-written 1.1 file');
  const v12 = await runAnsible('ansible-vault', ['view', 'b12.yml', '--vault-id', 'prod@pw2'], dir);
  t.equal(v12.stdout, 'k: with-id\n', 'ansible-vault view of a bosun-written 1.2 file');
  t.match(readFileSync(join(dir, 'b12.yml'), 'utf8'), /^\$ANSIBLE_VAULT;1\.2;AES256;prod\n/);
});
