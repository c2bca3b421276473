// TaskModule.reads (lib/engine/prefetch.ts fetches them ahead): for every module that declares them,
// the request reads() announces is exactly the first one plan() makes — same script, same stdin,
// same options — so a read fetched ahead is really used (a difference would only cost a request,
// which this test makes visible instead). The plan is stopped right after its first request.
import t from 'tap';
import type { Connection, ExecOptions, ExecResult } from '../../lib/executor/types.js';
import type { AnyModule } from '../../lib/modules/types.js';
import { getModule } from '../../lib/modules/index.js';
import { validateArgs } from '../../lib/modules/args.js';
import { fakeContext } from '../helpers/fake-ctx.js';

class FirstRequest extends Error {
  constructor(
    readonly script: string,
    readonly opts: ExecOptions,
  ) {
    super('first request seen');
  }
}

/** A connection that stops the plan at its first request. */
const stopper: Connection = {
  host: 'h',
  kind: 'stop',
  stats: { requests: 0, processes: 0 },
  open: async () => {},
  close: async () => {},
  exec: async (script: string, opts: ExecOptions = {}): Promise<ExecResult> => {
    throw new FirstRequest(script, opts);
  },
};

async function firstRequest(mod: AnyModule, args: Record<string, unknown>, facts: Record<string, unknown>): Promise<FirstRequest | undefined> {
  const ctx = { ...fakeContext({ facts }), conn: stopper };
  try {
    await mod.plan(ctx, args);
  } catch (e) {
    if (e instanceof FirstRequest) return e;
    throw e;
  }
  return undefined;
}

const ETCD = { endpoints: 'https://10.0.0.1:2379,https://10.0.0.2:2379', cacert: '/etc/etcd/ca.crt', cert: '/etc/etcd/admin.crt', key: '/etc/etcd/admin.key' };
const PW = { password: 'Pw-1 with spaces', new_password: 'Pw-1 with spaces' };

const CASES: Array<[module: string, args: Record<string, unknown>, facts?: Record<string, unknown>]> = [
  ['service', { name: 'etcd', state: 'started', enabled: true }, { init: 'systemd' }],
  ['service', { name: 'etcd', state: 'stopped' }, { init: 'sysv' }],
  ['service', { name: 'ssh', enabled: false }, { init: 'unknown' }],
  ['systemd', { name: 'etcd', state: 'started', enabled: true }],
  ['systemd', { name: 'etcd', masked: false, scope: 'user' }],
  ['systemd', { daemon_reload: true }],
  ['etcdctl', { op: 'health', ...ETCD, password: 'x' }],
  ['etcdctl', { op: 'health', members: true, ...ETCD }],
  ['etcdctl', { op: 'member_list', ...ETCD, ...PW }],
  ['etcdctl', { op: 'member_add', name: 'n4', peer_urls: 'https://10.0.0.4:2380', ...ETCD, password: 'x' }],
  ['etcdctl', { op: 'member_remove', name: 'n4', ...ETCD }],
  ['etcdctl', { op: 'user', name: 'root', roles: ['root'], ...ETCD, ...PW }],
  ['etcdctl', { op: 'user', name: 'app', state: 'absent', api: '2', ...ETCD, password: 'x' }],
  ['etcdctl', { op: 'role', name: 'reader', ...ETCD, password: 'x' }],
  ['etcdctl', { op: 'grant', name: 'app', roles: ['reader'], ...ETCD, password: 'x' }],
  ['etcdctl', { op: 'auth', state: 'enabled', ...ETCD }],
  ['etcdctl', { op: 'auth', state: 'disabled', api: '2', ...ETCD, password: 'x' }],
  ['etcdctl', { op: 'v2_guest', state: 'absent', ...ETCD, password: 'x' }],
  ['etcdctl', { op: 'verify_auth', ...ETCD, password: 'x' }],
  ['etcdctl', { op: 'verify_auth', ...ETCD, password: 'x', login_verified: true }],
  ['etcdctl', { op: 'verify_auth', api: '2', ...ETCD }],
];

t.test("reads() is exactly plan()'s first request", async (t) => {
  for (const [name, raw, facts] of CASES) {
    const mod = await getModule(name);
    const args = validateArgs(mod, raw);
    mod.validate?.(args);
    const ctxFacts = { ...fakeContext().facts, ...(facts ?? {}) };
    const reads = mod.reads!(args, { facts: ctxFacts, check: false });
    const first = await firstRequest(mod, args, ctxFacts);
    const what = `${name} ${JSON.stringify(raw).slice(0, 90)}`;
    if (!first) {
      t.same(reads, [], `${what}: plan reads nothing, reads() announces nothing`);
      continue;
    }
    t.equal(reads.length, 1, `${what}: one read announced`);
    t.equal(reads[0]!.script, first.script, `${what}: same script`);
    t.same(reads[0]!.opts, first.opts, `${what}: same stdin and options`);
    t.equal(reads[0]!.opts.readOnly, true, `${what}: read-only`);
  }
});

t.test('a secret in a read travels on stdin only, and is listed for masking', async (t) => {
  const mod = await getModule('etcdctl');
  const args = validateArgs(mod, { op: 'user', name: 'root', ...ETCD, ...PW });
  const [q] = mod.reads!(args, { facts: fakeContext().facts, check: false });
  t.notMatch(q!.script, PW.password);
  t.match(String(q!.opts.stdin), PW.password);
  t.ok(q!.opts.secrets?.includes(PW.password));
});
