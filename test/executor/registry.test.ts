// The connection registry (lib/executor/registry.ts): names, capabilities, lazy creation, plugins.
import t from 'tap';
import { connectionNames, connectionType, createConnection, isConnectionName, registerConnection } from '../../lib/executor/registry.js';
import { LocalConnection } from '../../lib/executor/local.js';
import { SshConnection } from '../../lib/executor/ssh.js';

t.test('built-in transports and their capabilities', async (t) => {
  t.same(connectionNames(), ['local', 'nsenter', 'ssh']);
  t.same(['local', 'ssh', 'nsenter'].map((n) => [connectionType(n)!.become, connectionType(n)!.prestart]), [[false, false], [true, true], [true, true]]);
  t.ok((await createConnection({ name: 'l', connection: 'local', address: 'l' })) instanceof LocalConnection);
  t.ok((await createConnection({ name: 's', connection: 'ssh', address: '127.0.0.1' })) instanceof SshConnection);
  await t.rejects(createConnection({ name: 'x', connection: 'telnet', address: 'x' }), /no connection type 'telnet' \(known: local, nsenter, ssh\)/);
  t.equal(connectionType('constructor'), undefined, 'no inherited names');
});

t.test('registerConnection: a transport from outside the tree', async (t) => {
  registerConnection('t_fake', { summary: 'test', become: false, prestart: false, create: async (spec) => new LocalConnection(spec.name) });
  t.ok(isConnectionName('t_fake'));
  t.equal((await createConnection({ name: 'f', connection: 't_fake', address: 'f' })).host, 'f');
  t.throws(() => registerConnection('ssh', connectionType('ssh')!), /already registered/);
  t.throws(() => registerConnection('Bad Name', connectionType('ssh')!), /must be lower-case/);
});
