import t from 'tap';
import { readFileSync } from 'node:fs';
import getent, { getentTree, type GetentArgs } from '../../lib/modules/getent.js';
import { validateArgs } from '../../lib/modules/args.js';
import { ModuleFailure } from '../../lib/modules/types.js';
import { runTask } from '../helpers/fake-ctx.js';
import { moduleContext } from '../helpers/module-ctx.js';

const args = (a: unknown) => validateArgs(getent, a, {}) as unknown as GetentArgs;

t.test("Ansible's tree: first field the key, a repeated key a list of lists, whitespace or a separator", async (t) => {
  t.same(getentTree('127.0.0.1       localhost\n::1 localhost ip6-localhost\n127.0.0.1 other\n127.0.0.1 third x\n', undefined), {
    '127.0.0.1': [['localhost'], ['other'], ['third', 'x']],
    '::1': ['localhost', 'ip6-localhost'],
  });
  t.same(getentTree('root:x:0:0:root:/root:/bin/bash\nnobody:x:65534:65534::/nonexistent:/usr/sbin/nologin\n', ':'), {
    root: ['x', '0', '0', 'root', '/root', '/bin/bash'],
    nobody: ['x', '65534', '65534', '', '/nonexistent', '/usr/sbin/nologin'],
  });
  t.same(getentTree('a::b::c\n', '::'), { a: ['b', 'c'] }, 'a separator of several characters, as Python\'s split');
  const proto = getentTree('__proto__ x\n', undefined);
  t.same(Object.keys(proto), ['__proto__'], 'a key named __proto__ is an ordinary key');
});

t.test('passwd and a key, on this host: one read-only request, never changed', async (t) => {
  const ctx = moduleContext();
  const r = await runTask(getent, ctx, args({ database: 'passwd', key: 'root' }));
  const line = readFileSync('/etc/passwd', 'utf8').split('\n').find((l) => l.startsWith('root:'))!;
  t.same(r.outcome, { changed: false, msg: undefined, result: { ansible_facts: { getent_passwd: { root: line.split(':').slice(1) } } } });
  t.equal(ctx.conn.stats.requests, 1);
  const all = await runTask(getent, moduleContext({ check: true }), args({ database: 'group' }));
  t.ok(Object.keys((all.outcome.result!.ansible_facts as Record<string, Record<string, unknown>>).getent_group!).includes('root'), 'without key: every entry (check mode too)');
  const svc = await runTask(getent, moduleContext(), args({ database: 'passwd', key: 'root', service: 'files', split: 'o' }));
  t.same((svc.outcome.result!.ansible_facts as Record<string, Record<string, unknown>>).getent_passwd, { r: line.split('o').slice(1) }, 'split given: used even for passwd');
});

t.test("a missing key: Ansible's messages; fail_key false maps it to null", async (t) => {
  const miss = await runTask(getent, moduleContext(), args({ database: 'passwd', key: 'bosun-no-such-user' })).catch((e: unknown) => e);
  t.ok(miss instanceof ModuleFailure);
  t.equal((miss as Error).message, 'One or more supplied key could not be found in the database.');
  const soft = await runTask(getent, moduleContext(), args({ database: 'passwd', key: 'bosun-no-such-user', fail_key: false }));
  t.same(soft.outcome.result, {
    ansible_facts: { getent_passwd: { 'bosun-no-such-user': null } },
    msg: 'One or more supplied key could not be found in the database.',
  });
  const db = await runTask(getent, moduleContext(), args({ database: 'no-such-db' })).catch((e: unknown) => e);
  t.equal((db as Error).message, 'Missing arguments, or database unknown.');
  t.throws(() => args({ database: 'passwd', split: '' }), /split must not be empty/);
  t.throws(() => args({ key: 'root' }), /missing required argument 'database'/);
});

t.test('user values are quoted after --: a key that looks like an option is a key', async (t) => {
  const r = await runTask(getent, moduleContext(), args({ database: 'passwd', key: '--help', fail_key: false }));
  t.same(r.outcome.result?.ansible_facts, { getent_passwd: { '--help': null } });
});
