// Vault values in everything bosun loads: whole-file vaults (vars_files, group_vars, inventories,
// -e @file) and inline `!vault |` scalars; errors name file:line:col; decrypted values are masked.
import t from 'tap';
import { writeFileSync, chmodSync } from 'node:fs';
import { join } from 'node:path';
import { encrypt } from '../../lib/vault/crypto.js';
import { configureVault, decryptVault, readPasswordFile, registerSecret, setVaultPassword, vaultSecrets } from '../../lib/vault/vault.js';
import { parseYaml, loadYamlFile } from '../../lib/loaders/yaml.js';
import { loadVarsFile } from '../../lib/loaders/vars-files.js';
import { Inventory } from '../../lib/loaders/inventory.js';
import { Masker } from '../../lib/output/mask.js';
import { VaultError, ParseError } from '../../lib/errors.js';
import { vaultBlock } from '../../lib/cli/vault.js';
import { run, treeHash } from '../helpers/run.js';

const FAST = { N: 1024, r: 8, p: 1 };
const PW = 'correct horse';
t.afterEach(() => setVaultPassword(undefined));

t.test('inline !vault values: decrypted, registered, positions kept', async (t) => {
  setVaultPassword(PW);
  const block = vaultBlock('inline-secret-1', PW, 'db_password');
  const text = `plain: visible\n${block}after: 1\nlist:\n  - !vault |\n${encrypt('in-a-list', PW, FAST).replace(/^/gm, '      ').trimEnd()}\n`;
  const y = parseYaml(text, '/x/vars.yml');
  t.same(y.value, { plain: 'visible', db_password: 'inline-secret-1', after: 1, list: ['in-a-list'] });
  t.ok(vaultSecrets.has('inline-secret-1') && vaultSecrets.has('in-a-list'));
  t.notOk(vaultSecrets.has('visible'), 'plain values are not secrets');
  t.same(y.keyLoc(y.value, 'after'), { file: '/x/vars.yml', line: block.trimEnd().split('\n').length + 2, col: 1 }, "later positions unchanged");
  t.equal(new Masker().text('pw=inline-secret-1!'), 'pw=***!', 'a fresh Masker masks vault values');
});

t.test('inline !vault without a password: error at file:line:col', async (t) => {
  const text = `a: 1\nb:\n  c: !vault |\n${encrypt('x-secret', PW, FAST).replace(/^/gm, '    ').trimEnd()}\n`;
  const e = t.throws(() => parseYaml(text, '/x/v.yml')) as VaultError;
  t.ok(e instanceof VaultError);
  t.equal(e.oneLine(), '/x/v.yml:3:6: vault-encrypted value but no vault password was given (use --vault-password-file FILE or set BOSUN_VAULT_PASSWORD_FILE)');
  setVaultPassword('nope');
  const w = t.throws(() => parseYaml(text, '/x/v.yml')) as VaultError;
  t.equal(w.oneLine(), '/x/v.yml:3:6: vault decryption failed: wrong vault password, or the vault data was modified');
  const notVault = t.throws(() => parseYaml('a: !vault "hello"\n', '/x/n.yml')) as ParseError;
  t.ok(notVault instanceof ParseError);
  t.match(notVault.oneLine(), /^\/x\/n\.yml:1:4: !vault must tag vault data/);
  t.throws(() => parseYaml('a: !vault {b: 1}\n', '/x/n.yml'), /not a collection/);
});

t.test('whole-file vaults: vars files, YAML and INI inventories, group_vars', async (t) => {
  setVaultPassword(PW);
  const dir = t.testdir({ group_vars: {} });
  const vars = join(dir, 'secret.yml');
  writeFileSync(vars, encrypt('api_token: tok-0123456789\nport: 2379\nnested:\n  - deep-secret-value\n', PW, FAST));
  t.same(loadVarsFile(vars), { api_token: 'tok-0123456789', port: 2379, nested: ['deep-secret-value'] });
  t.ok(vaultSecrets.has('tok-0123456789') && vaultSecrets.has('deep-secret-value'));
  t.notOk(vaultSecrets.has('2379'), 'numbers of a whole-file vault are not masked');
  // positions refer to the plaintext's lines
  const y = loadYamlFile(vars);
  t.same(y.keyLoc(y.value, 'nested'), { file: vars, line: 3, col: 1 });

  writeFileSync(join(dir, 'group_vars', 'all.yml'), encrypt('gv_secret: group-vars-secret\n', PW, FAST));
  const ini = join(dir, 'hosts');
  writeFileSync(ini, encrypt('[db]\nh1 ansible_connection=local\n', PW, FAST));
  const inv = Inventory.load(ini);
  t.same(inv.select('db'), ['h1']);
  t.equal(inv.hostVars('h1').gv_secret, 'group-vars-secret');
  const yml = join(dir, 'inv.yml');
  writeFileSync(yml, encrypt('all:\n  hosts:\n    h2: {ansible_connection: local}\n', PW, FAST));
  t.same(Inventory.load(yml).select('all'), ['h2']);

  setVaultPassword(undefined);
  t.throws(() => loadVarsFile(vars), { message: /vault-encrypted file but no vault password was given/ });
  try {
    loadVarsFile(vars);
  } catch (e) {
    t.equal((e as VaultError).oneLine().split(':')[0], vars, 'names the file');
  }
});

t.test('password files', async (t) => {
  const dir = t.testdir({ pw: '  s3cret \n', empty: '\n', 'script.sh': '#!/bin/sh\necho from-script\n', 'fail.sh': '#!/bin/sh\nexit 3\n' });
  chmodSync(join(dir, 'script.sh'), 0o755);
  chmodSync(join(dir, 'fail.sh'), 0o755);
  t.equal(readPasswordFile(join(dir, 'pw')), 's3cret');
  t.equal(readPasswordFile(join(dir, 'script.sh')), 'from-script', 'an executable file is run');
  t.throws(() => readPasswordFile(join(dir, 'empty')), /is empty/);
  t.throws(() => readPasswordFile(join(dir, 'nope')), /vault password file not found/);
  t.throws(() => readPasswordFile(join(dir, 'fail.sh')), /script failed/);
  t.equal(configureVault(undefined, { BOSUN_VAULT_PASSWORD_FILE: join(dir, 'pw') }), join(dir, 'pw'));
  t.equal(decryptVault(encrypt('v', 's3cret', FAST), { file: 'f' }), 'v');
  t.equal(configureVault(join(dir, 'script.sh'), { BOSUN_VAULT_PASSWORD_FILE: join(dir, 'pw') }), join(dir, 'script.sh'), 'the option wins');
  t.equal(configureVault(undefined, {}), undefined);
});

t.test('registerSecret: multi-line values line by line, short values not at all', async (t) => {
  registerSecret({ k: 'line-one-aaa\nline-two-bbb\n', short: 'ab', list: [['nested-ccc']] });
  for (const s of ['line-one-aaa\nline-two-bbb\n', 'line-one-aaa', 'line-two-bbb', 'nested-ccc']) t.ok(vaultSecrets.has(s), s);
  t.notOk(vaultSecrets.has('ab'));
});

t.test('bosun run: vault vars, -e @vault, wrong and missing password', async (t) => {
  const dir = t.testdir({ pw: `${PW}\n`, bad: 'wrong\n' });
  const out = join(dir, 'out');
  writeFileSync(join(dir, 'extra.yml'), encrypt('extra_secret: extra-secret-ffff\n', PW, FAST));
  writeFileSync(join(dir, 'vars.yml'), encrypt('file_secret: file-secret-eeee\n', PW, FAST));
  writeFileSync(
    join(dir, 'play.yml'),
    `- hosts: localhost
  gather_facts: false
  vars_files: [vars.yml]
  vars:
${vaultBlock('inline-secret-dddd', PW, 'inline_secret').replace(/^/gm, '    ').trimEnd()}
  tasks:
    - copy: {dest: "${out}", content: "{{ inline_secret }} {{ file_secret }} {{ extra_secret }}\\n"}
    - debug: {msg: "shown {{ inline_secret }}"}
`,
  );
  const pb = join(dir, 'play.yml');
  const ok = await run([pb, '--vault-password-file', join(dir, 'pw'), '-e', `@${join(dir, 'extra.yml')}`, '-v', '--diff']);
  t.equal(ok.code, 0, ok.stdout + ok.stderr);
  t.same(treeHash(dir).out !== undefined, true, 'the file was written');
  t.match(ok.stdout, /shown \*\*\*/);
  for (const s of ['inline-secret-dddd', 'file-secret-eeee', 'extra-secret-ffff']) t.notMatch(ok.stdout + ok.stderr, s, `${s} masked`);

  const wrong = await run([pb, '--vault-password-file', join(dir, 'bad'), '-e', `out2=${out}2`]);
  t.equal(wrong.code, 1, 'wrong password: exit 1');
  t.match(wrong.stderr, new RegExp(`^ERROR! ${join(dir, 'play.yml')}:5:20: vault decryption failed: wrong vault password`));
  t.equal(wrong.stdout, '', 'nothing ran');
  const missing = await run([pb]);
  t.equal(missing.code, 1);
  t.match(missing.stderr, /play\.yml:5:20: vault-encrypted value but no vault password was given \(use --vault-password-file/);
  const missingExtra = await run([pb, '-e', `@${join(dir, 'extra.yml')}`]);
  t.match(missingExtra.stderr, /extra\.yml: vault-encrypted file but no vault password was given/);
});
