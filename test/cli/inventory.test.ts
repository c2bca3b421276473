// bosun inventory: --graph as ansible-inventory draws it, --host with merged and masked variables, --list.
import t from 'tap';
import { join } from 'node:path';
import { main } from '../../lib/cli/main.js';
import { isSecretKey, maskVars } from '../../lib/cli/inventory.js';
import { InventoryError, OptionsError } from '../../lib/errors.js';
import { repoRoot } from '../helpers/run.js';
import { encrypt } from '../../lib/vault/crypto.js';

// a cheap scrypt: this tests masking, not the cipher
const VAULTED = encrypt('s3cret-root-pw', 'pw', { N: 1024, r: 8, p: 1 });

async function bosun(argv: string[]): Promise<{ code: number; out: string }> {
  let out = '';
  const code = await main(argv, { out: (s) => void (out += s), err: () => {}, isTTY: false });
  return { code, out };
}

const INV = `all:
  hosts:
    lone: { db_password: hunter2 }
  vars:
    api_token: tok-123
    ansible_ssh_private_key_file: /root/.ssh/id_ed25519
  children:
    etcd:
      hosts:
        node1: { ansible_host: 10.66.0.2, etcd_root_password: !vault "VAULT" }
        node2: { ansible_host: 10.66.0.3 }
      vars: { etcd_client_port: 2379 }
    dc:
      children:
        etcd:
        web:
          hosts: { www: {} }
`;

const inv = (): string => INV.replace('"VAULT"', JSON.stringify(VAULTED));
const vaultArgs = (dir: string): string[] => ['--vault-password-file', join(dir, 'pw.txt')];

t.test('--graph draws the group tree like ansible-inventory --graph', async (t) => {
  const dir = t.testdir({ 'pw.txt': 'pw\n', 'hosts.yml': inv(), group_vars: { 'etcd.yml': 'cluster_token: secret-tok\netcd_name: main\n' } });
  const { code, out } = await bosun(['inventory', ...vaultArgs(dir), '-i', join(dir, 'hosts.yml'), '--graph']);
  t.equal(code, 0);
  t.equal(
    out,
    [
      '@all:',
      '  |--@dc:',
      '  |  |--@etcd:',
      '  |  |  |--node1',
      '  |  |  |--node2',
      '  |  |--@web:',
      '  |  |  |--www',
      '  |--@etcd:',
      '  |  |--node1',
      '  |  |--node2',
      '  |--@ungrouped:',
      '  |  |--lone',
      '',
    ].join('\n'),
  );
  const sub = await bosun(['inventory', ...vaultArgs(dir), '-i', join(dir, 'hosts.yml'), '--graph', 'dc']);
  t.match(sub.out, /^@dc:\n  \|--@etcd:\n/);
  const withVars = await bosun(['inventory', ...vaultArgs(dir), '-i', join(dir, 'hosts.yml'), '--graph', 'etcd', '--vars']);
  // host lines: variables not set by the host's groups in the inventory file (group_vars/ files included)
  t.match(withVars.out, '  |--node1\n  |  |--{ansible_host = 10.66.0.2}\n  |  |--{cluster_token = ***}\n  |  |--{etcd_name = main}\n  |  |--{etcd_root_password = ***}\n');
  t.match(withVars.out, '  |--{etcd_client_port = 2379}\n');
  t.notMatch(withVars.out, /s3cret|hunter2|BOSUN_VAULT/);
  const bad = await bosun(['inventory', ...vaultArgs(dir), '-i', join(dir, 'hosts.yml'), '--graph', 'etdc']).catch((e: unknown) => e);
  t.type(bad, InventoryError);
  t.match((bad as InventoryError).oneLine(), "no group 'etdc' in the inventory (did you mean 'etcd'?)");
});

t.test('--host: merged variables (group_vars included) as JSON, secrets masked', async (t) => {
  const dir = t.testdir({ 'pw.txt': 'pw\n', 'hosts.yml': inv(), group_vars: { 'etcd.yml': 'cluster_token: secret-tok\netcd_name: main\nnested: { admin_password: pw, user: bob }\n' } });
  const { code, out } = await bosun(['inventory', ...vaultArgs(dir), '-i', join(dir, 'hosts.yml'), '--host', 'node1']);
  t.equal(code, 0);
  const v = JSON.parse(out) as Record<string, unknown>;
  t.same(v, {
    api_token: '***',
    ansible_ssh_private_key_file: '/root/.ssh/id_ed25519',
    etcd_client_port: 2379,
    cluster_token: '***',
    etcd_name: 'main',
    nested: { admin_password: '***', user: 'bob' },
    ansible_host: '10.66.0.2',
    etcd_root_password: '***',
  });
  t.notMatch(out, /tok-123|secret-tok|s3cret/);
  const bad = await bosun(['inventory', ...vaultArgs(dir), '-i', join(dir, 'hosts.yml'), '--host', 'nod1']).catch((e: unknown) => e);
  t.type(bad, InventoryError);
  t.match((bad as InventoryError).oneLine(), "(did you mean 'node1'?)");
});

t.test('--list: groups, children, _meta.hostvars (masked), as ansible-inventory --list', async (t) => {
  const { code, out } = await bosun(['inventory', '-i', join(repoRoot, 'test/fixtures/inventory/etcd-guide/hosts.yml'), '--list']);
  t.equal(code, 0);
  const v = JSON.parse(out) as Record<string, { hosts?: string[]; children?: string[] }> & { _meta: { hostvars: Record<string, Record<string, unknown>> } };
  // ansible-inventory 2.14 on this file prints all.children as ['ungrouped', 'etcd'] (ungrouped first).
  t.same(v.all, { children: ['ungrouped', 'etcd'] });
  t.same(v.etcd, { hosts: ['node1', 'node2', 'node3'] });
  t.equal(v._meta.hostvars.node2!.fqdn, 'node2.mydomain.com');
});

t.test('options and the secret-key rule', async (t) => {
  await t.rejects(bosun(['inventory', '--graph']), OptionsError);
  await t.rejects(bosun(['inventory', '-i', 'x.yml', '--graph', '--list']), OptionsError);
  await t.rejects(bosun(['inventory', '-i', '/nonexistent.yml', '--list']), OptionsError);
  t.equal((await bosun(['inventory', '--help'])).code, 0);
  for (const k of ['ansible_ssh_pass', 'ansible_become_password', 'etcd_root_password', 'api_key', 'tls_key', 'vault_secret', 'TOKEN', 'private_key'])
    t.ok(isSecretKey(k), k);
  for (const k of ['ansible_ssh_private_key_file', 'etcd_key_dir', 'keyboard', 'monkey', 'passive', 'etcd_name']) t.notOk(isSecretKey(k), k);
  t.same(maskVars({ a: '-----BEGIN PRIVATE KEY-----\nabc\n-----END PRIVATE KEY-----', list: ['$ANSIBLE_VAULT;1.1;AES256\n01'] }), {
    a: '***PRIVATE KEY***',
    list: ['***'],
  });
});
