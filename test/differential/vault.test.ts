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

t.test('bosun vault writes what ansible-vault reads: encrypt, create, edit, rekey, encrypt_string', async (t) => {
  const dir = workDir({ pw: 'correct horse\n', pw2: 'other-id-pw\n', pw3: 'third\n', 'a.yml': 'a: 1\n', 'b.yml': 'b: 2\n', 'ed.sh': '#!/bin/sh\necho "edited: yes" >> "$1"\n' });
  const ed = { EDITOR: join(dir, 'ed.sh') };
  let r = await runBosun(['vault', 'encrypt', 'a.yml', '--vault-password-file', 'pw'], dir);
  t.equal(r.code, 0, r.stderr);
  t.match(readFileSync(join(dir, 'a.yml'), 'utf8'), /^\$ANSIBLE_VAULT;1\.1;AES256\n/);
  t.equal((await runAnsible('ansible-vault', ['view', 'a.yml', '--vault-password-file', 'pw'], dir)).stdout, 'a: 1\n', 'encrypt (1.1)');

  r = await runBosun(['vault', 'encrypt', 'b.yml', '--vault-id', 'prod@pw2'], dir);
  t.equal(r.code, 0, r.stderr);
  t.match(readFileSync(join(dir, 'b.yml'), 'utf8'), /^\$ANSIBLE_VAULT;1\.2;AES256;prod\n/);
  t.equal((await runAnsible('ansible-vault', ['view', 'b.yml', '--vault-id', 'prod@pw2'], dir)).stdout, 'b: 2\n', 'encrypt --vault-id (1.2)');

  r = await runBosun(['vault', 'create', 'c.yml', '--vault-id', 'dev@pw3'], dir, ed);
  t.equal(r.code, 0, r.stderr);
  t.equal((await runAnsible('ansible-vault', ['view', 'c.yml', '--vault-id', 'dev@pw3'], dir)).stdout, 'edited: yes\n', 'create');
  r = await runBosun(['vault', 'create', 'c.yml', '--vault-id', 'dev@pw3'], dir, ed);
  t.equal(r.code, 1, 'create refuses an existing file');

  r = await runBosun(['vault', 'edit', 'b.yml', '--vault-id', 'prod@pw2'], dir, ed);
  t.equal(r.code, 0, r.stderr);
  t.match(readFileSync(join(dir, 'b.yml'), 'utf8'), /^\$ANSIBLE_VAULT;1\.2;AES256;prod\n/, 'edit keeps the vault id');
  t.equal((await runAnsible('ansible-vault', ['view', 'b.yml', '--vault-id', 'prod@pw2'], dir)).stdout, 'b: 2\nedited: yes\n', 'edit');

  r = await runBosun(['vault', 'rekey', 'a.yml', '--vault-password-file', 'pw', '--new-vault-id', 'new@pw3'], dir);
  t.equal(r.code, 0, r.stderr);
  t.match(readFileSync(join(dir, 'a.yml'), 'utf8'), /^\$ANSIBLE_VAULT;1\.2;AES256;new\n/);
  t.equal((await runAnsible('ansible-vault', ['view', 'a.yml', '--vault-id', 'new@pw3'], dir)).stdout, 'a: 1\n', 'rekey');

  // encrypt_string: the same shape as ansible-vault's (name line, ten-space indent, no final newline)
  const es = await runBosun(['vault', 'encrypt_string', '--vault-password-file', 'pw', '--name', 'tok', 'tok-123'], dir);
  const ea = await runAnsible('ansible-vault', ['encrypt_string', '--vault-password-file', 'pw', '--name', 'tok', 'tok-123'], dir);
  const shape = (s: string) => s.replace(/[0-9a-f]{80}/g, 'H80').replace(/^( {10})[0-9a-f]+$/m, '$1Hn');
  t.equal(shape(es.stdout), shape(ea.stdout), 'encrypt_string prints what ansible-vault prints');
  writeFileSync(join(dir, 'es.yml'), `${es.stdout}\n`);
  writeFileSync(join(dir, 'p.yml'), '- hosts: localhost\n  gather_facts: false\n  vars_files: [es.yml]\n  tasks:\n    - assert: {that: [tok == "tok-123"]}\n');
  const run = await runAnsible('ansible-playbook', ['p.yml', '--vault-password-file', 'pw'], dir);
  t.equal(run.code, 0, `ansible-playbook reads bosun's encrypt_string (${run.stdout.slice(-300)})`);
});
