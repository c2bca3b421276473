import t from 'tap';
import { readFileSync, statSync, writeFileSync, readdirSync, mkdirSync, symlinkSync } from 'node:fs';
import { join } from 'node:path';
import yamlKeys from '../../lib/modules/yaml_keys.js';
import { validateArgs } from '../../lib/modules/args.js';
import { ModuleFailure } from '../../lib/modules/types.js';
import { ArgumentError, MissingFileError } from '../../lib/errors.js';
import { runTask } from '../helpers/fake-ctx.js';
import { moduleContext } from '../helpers/module-ctx.js';
import type { YamlKeysArgs } from '../../lib/modules/yaml_keys.js';

const args = (raw: Record<string, unknown>) => validateArgs(yamlKeys, raw, {}) as unknown as YamlKeysArgs;

// pcocc's own batch.yaml schema (pcocc/Batch.py batch_config_schema), restated as the role ships it.
const SCHEMA = join(import.meta.dirname, '..', '..', 'roles', 'pcocc_etcd_client', 'files', 'pcocc-batch-schema.yml');
const SET = {
  settings: {
    'etcd-servers': ['node1.t.test', 'node2.t.test', 'node3.t.test'],
    'etcd-client-port': 2379,
    'etcd-protocol': 'https',
    'etcd-ca-cert': '/etc/etcd/etcd-ca.crt',
    'etcd-auth-type': 'password',
  },
};

t.test('create, no-op in one request, hand edit restored with a diff, attributes', async (t) => {
  const dir = t.testdir({});
  const path = join(dir, 'batch.yaml');
  const a = args({ path, set: SET, defaults: { type: 'slurm' }, exclusive: ['settings'], schema: SCHEMA, mode: '0644', owner: 'root' });

  const check = moduleContext({ check: true, diff: true });
  const p0 = await yamlKeys.plan(check, a);
  t.equal(p0.changed, true);
  t.equal(p0.msg, `would create ${path} (keys: type, settings)`);
  t.equal(p0.diff?.[0]?.before, '');
  t.match(p0.diff?.[0]?.after, /^type: slurm\nsettings:\n/);
  t.same(p0.diff?.[0]?.attrs?.state, { before: 'absent', after: 'file' });
  t.same(readdirSync(dir), [], 'plan writes nothing');

  const ctx = moduleContext();
  const { outcome } = await runTask(yamlKeys, ctx, a);
  t.equal(outcome.changed, true);
  t.equal(outcome.msg, `created ${path} (keys: type, settings)`);
  t.equal(ctx.conn.stats.requests, 2, 'probe + write');
  t.equal((statSync(path).mode & 0o777).toString(8), '644');
  t.same(outcome.result?.changed_keys, ['type', 'settings']);

  const again = moduleContext({ diff: true });
  const p1 = await yamlKeys.plan(again, a);
  t.equal(p1.changed, false);
  t.equal(p1.msg, `${path}: the keys are already set`);
  t.equal(again.conn.stats.requests, 1, 'no-op: one request');

  // The operator switches type to local, adds a comment, and someone breaks the port and adds a key.
  const edited = readFileSync(path, 'utf8')
    .replace('type: slurm', '# front-end\ntype: local')
    .replace('etcd-client-port: 2379', 'etcd-client-port: 4001')
    .concat('  batch-args: [x]\n');
  writeFileSync(path, edited);
  const p2 = await yamlKeys.plan(moduleContext({ check: true, diff: true }), a);
  t.equal(p2.changed, true);
  t.equal(p2.msg, `would update ${path} (keys: settings.etcd-client-port, -settings.batch-args)`);
  t.equal(p2.diff?.[0]?.before, edited);
  t.match(p2.diff?.[0]?.after, /# front-end\ntype: local\n/, 'the operator\'s type and comment stay');
  t.equal(readFileSync(path, 'utf8'), edited, 'check mode wrote nothing');
  const { outcome: o2 } = await runTask(yamlKeys, moduleContext(), { ...a, backup: true });
  t.match(o2.result?.backup_file, new RegExp(`^${path}\\.\\d{14}~$`));
  t.match(readFileSync(path, 'utf8'), /type: local\n[^]*etcd-client-port: 2379\n/);

  // attributes only
  const p3 = await yamlKeys.plan(moduleContext(), { ...a, mode: '0600' });
  t.equal(p3.msg, `would change mode of ${path}`);
  t.same(p3.diff, [{ path, attrs: { mode: { before: '0644', after: '0600' } } }]);
  await runTask(yamlKeys, moduleContext(), { ...a, mode: '0600' });
  t.equal((statSync(path).mode & 0o777).toString(8), '600');
});

t.test('the schema is checked before anything is written', async (t) => {
  const dir = t.testdir({ 'batch.yaml': 'type: pbs\nsettings: {}\n' });
  const path = join(dir, 'batch.yaml');
  const a = args({ path, set: SET, schema: SCHEMA });
  await t.rejects(yamlKeys.plan(moduleContext({ check: true }), a), {
    constructor: ModuleFailure,
    message: /the edited document does not match the schema \(type: .*; nothing was changed/,
  });
  // a string port (e.g. from -e etcd_client_port=2379) is named
  const s = args({ path: join(dir, 'new.yaml'), set: { settings: { ...SET.settings, 'etcd-client-port': '2379' } }, defaults: { type: 'slurm' }, schema: SCHEMA });
  await t.rejects(yamlKeys.plan(moduleContext(), s), { message: /settings\.etcd-client-port: Instance type "string" is invalid\. Expected "integer"/ });
  // inline schema, missing required key
  const inline = args({ path: join(dir, 'x.yaml'), set: { a: 1 }, schema: { type: 'object', required: ['b'] } });
  await t.rejects(yamlKeys.plan(moduleContext(), inline), { message: /\(top level\): Instance does not have required property "b"/ });
  t.equal(readFileSync(path, 'utf8'), 'type: pbs\nsettings: {}\n');
  await t.rejects(yamlKeys.plan(moduleContext(), { ...a, schema: 'no-such-schema.yml' }), { constructor: MissingFileError });
  const notMap = join(dir, 'list-schema.yml');
  writeFileSync(notMap, '- a\n');
  await t.rejects(yamlKeys.plan(moduleContext(), { ...a, schema: notMap }), { message: /is not a mapping/ });
});

t.test('refusals: bad YAML with line and column, not a file, too large, create false', async (t) => {
  const dir = t.testdir({ 'bad.yaml': 'type: slurm\nsettings: [1,\n', 'big.yaml': 'a: ' + 'x'.repeat(200 * 1024) + '\n' });
  await t.rejects(yamlKeys.plan(moduleContext({ host: 'node7' }), args({ path: join(dir, 'bad.yaml'), set: SET })), {
    message: new RegExp(`^${join(dir, 'bad.yaml')}:3:1 \\(on node7\\): invalid YAML: .*nothing was changed$`),
  });
  await t.rejects(yamlKeys.plan(moduleContext(), args({ path: dir, set: SET })), { message: /is not a regular file \(directory\)/ });
  await t.rejects(yamlKeys.plan(moduleContext(), args({ path: join(dir, 'big.yaml'), set: SET })), { message: /larger than 100 KiB/ });
  await t.rejects(yamlKeys.plan(moduleContext(), args({ path: join(dir, 'none.yaml'), set: SET, create: false })), { message: /does not exist \(create is false\)/ });
  const p = await yamlKeys.plan(moduleContext({ check: true }), args({ path: join(dir, 'no', 'dir.yaml'), set: SET }));
  t.match(p.msg, /does not exist yet/);
  await t.rejects(runTask(yamlKeys, moduleContext(), args({ path: join(dir, 'no', 'dir.yaml'), set: SET })), { message: /does not exist/ });
});

t.test('a symlinked file is edited through the link target\'s content', async (t) => {
  const dir = t.testdir({});
  mkdirSync(join(dir, 'real'));
  writeFileSync(join(dir, 'real', 'b.yaml'), 'type: local\n');
  symlinkSync(join(dir, 'real', 'b.yaml'), join(dir, 'b.yaml'));
  const p = await yamlKeys.plan(moduleContext(), args({ path: join(dir, 'b.yaml'), defaults: { type: 'slurm' }, set: { x: 1 } }));
  t.same(p.result?.changed_keys, ['x']);
});

t.test('arguments', async (t) => {
  t.throws(() => args({ path: '/x' }), ArgumentError, 'nothing to do');
  t.throws(() => args({ path: '/x', set: { a: 1 }, schema: 5 }), /must be a mapping \(a JSON Schema\) or the path/);
  t.throws(() => args({ path: '/x', exclusive: ['a..b'] }), /empty key/);
  t.same(args({ dest: '/x', exclusive: 'settings' }).exclusive, ['settings'], 'dest alias; a string is a one-item list');
  t.same(yamlKeys.probes!(args({ path: '/x', set: { a: 1 } }), { diff: false }), [{ path: '/x', opts: { wantContent: true, follow: true } }]);
});
