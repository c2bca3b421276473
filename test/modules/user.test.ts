// user and group: decisions from recorded account states (Ansible 2.14's useradd/usermod rules),
// the probe's parser, the argument checks, and that the password hash reaches neither the script
// nor the result. Live runs are in test/e2e/users.test.ts.
import t from 'tap';
import { validateArgs } from '../../lib/modules/args.js';
import { getModule } from '../../lib/modules/index.js';
import { accountsScript, parseAccounts, sha256hex, type AccountState } from '../../lib/modules/util/accounts.js';
import { changes, decideUser, expireDate, passwordDigest, type UserArgs } from '../../lib/modules/util/user-plan.js';
import { applyScript } from '../../lib/modules/user.js';
import { decideGroup, type GroupArgs } from '../../lib/modules/group.js';
import { ArgumentError } from '../../lib/errors.js';
import type { Connection } from '../../lib/executor/types.js';
import { fakeContext } from '../helpers/fake-ctx.js';

const PROBE = [
  '@passwd',
  'alice:x:2001:2001:Alice A:/home/alice:/bin/bash',
  '@group',
  'root:x:0:',
  'alice:x:2001:',
  'devs:x:2500:alice,carol',
  'ops:x:995:',
  'sudo:x:27:bob',
  '@shadow',
  'expire=',
  `digest=${sha256hex('$6$salt$hash')}`,
  '@home',
  'home=1',
  '@end',
  '',
].join('\n');

const st = (): AccountState => parseAccounts(PROBE);
/** The same host without the user alice. */
const fresh = (): AccountState => ({ ...st(), user: undefined, passwordDigest: undefined, expireDays: undefined, homeExists: false });

async function args(raw: Record<string, unknown>): Promise<UserArgs> {
  return validateArgs(await getModule('user'), raw) as unknown as UserArgs;
}

t.test('the probe output is parsed', async (t) => {
  const s = st();
  t.same(s.user, { name: 'alice', uid: 2001, gid: 2001, comment: 'Alice A', home: '/home/alice', shell: '/bin/bash' });
  t.equal(s.groups.length, 5);
  t.same(s.groups.find((g) => g.name === 'devs')?.members, ['alice', 'carol']);
  t.equal(s.expireDays, '');
  t.equal(s.homeExists, true);
  t.throws(() => parseAccounts('@passwd\n'), /did not complete/, 'a truncated answer is an error, not "no user"');
  const script = accountsScript('al ice');
  t.match(script, /u='al ice'/);
  t.match(script, /getent passwd -- "\$u"/, 'the name is an operand after --');
});

t.test('no change when the account is as wanted', async (t) => {
  const a = await args({ name: 'alice', uid: 2001, groups: ['devs'], shell: '/bin/bash', comment: 'Alice A', password: '$6$salt$hash' });
  t.equal(changes(decideUser(a, st())), false);
  const locked = await args({ name: 'alice', password: '!$6$salt$hash' });
  t.equal(changes(decideUser(locked, st())), false, "a leading '!' is ignored, as Ansible compares");
});

t.test('usermod options for an existing user', async (t) => {
  const c = decideUser(await args({ name: 'alice', uid: 2002, non_unique: true, group: 'devs', shell: '/bin/sh', home: '/srv/alice', move_home: true }), st());
  t.same(c.opts, ['-u', '2002', '-o', '-g', '2500', '-d', '/srv/alice', '-m', '-s', '/bin/sh']);
  t.equal(c.op, 'mod');
  const exact = decideUser(await args({ name: 'alice', groups: ['ops'] }), st());
  t.same(exact.opts, ['-G', 'ops'], 'groups without append: exactly the list');
  const app = decideUser(await args({ name: 'alice', groups: 'ops, devs', append: true }), st());
  t.same(app.opts, ['-a', '-G', 'ops,devs'], 'append: only when one is missing');
  t.same(decideUser(await args({ name: 'alice', groups: ['devs'], append: true }), st()).opts, [], 'append and already member');
  t.same(decideUser(await args({ name: 'alice', groups: [] }), st()).opts, ['-G', ''], '[] removes every supplementary group');
  const pw = decideUser(await args({ name: 'alice', password: '$6$other$x' }), st());
  t.equal(pw.password, true);
  t.same(pw.opts, [], 'the hash is never an option');
  t.equal(decideUser(await args({ name: 'alice', password: '$6$other$x', update_password: 'on_create' }), st()).password, false);
  t.throws(() => decideUser({ ...a0(), groups: ['nope'] } as UserArgs, st()), /Group nope does not exist/);
  const missing: string[] = [];
  t.doesNotThrow(() => decideUser({ ...a0(), groups: ['nope'] } as UserArgs, st(), missing), 'under --check a missing group is noted');
  t.same(missing, ['nope']);
});

function a0(): Partial<UserArgs> {
  return { name: 'alice', state: 'present', non_unique: false, append: false, update_password: 'always', create_home: true, move_home: false, system: false, remove: false, force: false, ssh_key_bits: 0, ssh_key_type: 'rsa' };
}

t.test('useradd options for a new user', async (t) => {
  const c = decideUser(await args({ name: 'dave', uid: 3000, groups: ['devs', 'ops'], comment: 'D', shell: '/bin/bash', system: true, password: '$6$a$b' }), fresh());
  t.same(c.opts, ['-u', '3000', '-G', 'devs,ops', '-c', 'D', '-s', '/bin/bash', '-m', '-r']);
  t.equal(c.op, 'add');
  t.equal(c.password, true);
  t.same(decideUser(await args({ name: 'ops', create_home: false }), fresh()).opts, ['-N', '-M'], 'a group named like the user exists: -N');
  t.same(decideUser(await args({ name: 'dave', expires: 86400 * 365 }), fresh()).opts, ['-e', '1971-01-01', '-m']);
  t.equal(expireDate(-1), '');
});

t.test('expiry and removal', async (t) => {
  const s = { ...st(), expireDays: '365' };
  t.same(decideUser(await args({ name: 'alice', expires: 86400 * 365 + 3600 }), s).opts, [], 'same day: no change');
  t.same(decideUser(await args({ name: 'alice', expires: -1 }), s).opts, ['-e', '']);
  t.same(decideUser(await args({ name: 'alice', state: 'absent', remove: true, force: true }), st()).opts, ['-f', '-r']);
  t.equal(decideUser(await args({ name: 'zed', state: 'absent' }), fresh()).op, 'none');
});

t.test('password_lock and password ages, as Ansible decides them', async (t) => {
  const s = { ...st(), locked: false, passMin: '0', passMax: '99999' };
  t.same(decideUser(await args({ name: 'alice', password_lock: true }), s).opts, ['-L'], 'lock an unlocked password');
  t.same(decideUser(await args({ name: 'alice', password_lock: true }), { ...s, locked: true }).opts, [], 'locked already');
  t.same(decideUser(await args({ name: 'alice', password_lock: false }), { ...s, locked: true }).opts, ['-U']);
  t.same(decideUser(await args({ name: 'alice', password_lock: false }), s).opts, [], 'unlocked already');
  const both = decideUser(await args({ name: 'alice', password_lock: true, password: '$6$new$x' }), s);
  t.same([both.opts, both.password], [[], true], 'a new hash carries the lock itself: no -L');
  t.same(decideUser(await args({ name: 'alice', password_expire_min: 0, password_expire_max: 99999 }), s).chage, [], 'ages as wanted');
  t.same(decideUser(await args({ name: 'alice', password_expire_min: 1, password_expire_max: 90 }), s).chage, ['-m', '1', '-M', '90']);
  t.same(decideUser(await args({ name: 'alice', password_expire_max: -1 }), { ...s, passMax: '' }).chage, [], 'an empty field is -1');
  t.equal(changes(decideUser(await args({ name: 'alice', password_expire_max: 90 }), s)), true, 'an age alone is a change');
  const add = decideUser(await args({ name: 'dave', password_expire_max: 30 }), fresh());
  t.same(add.chage, ['-M', '30'], 'a new user: set after useradd');
  const a = await args({ name: 'dave', password_expire_max: 30, password_lock: true });
  t.match(applyScript(a, add), /chage -M 30 -- "\$u" <\/dev\/null/);
  const parsed = parseAccounts(PROBE.replace('expire=\n', 'expire=\nmin=1\nmax=\nlocked=1\n'));
  t.same([parsed.passMin, parsed.passMax, parsed.locked], ['1', '', true], 'the probe reads the ages and the lock');
  t.match(accountsScript('alice'), /print "locked=" \(substr\(\$2, 1, 1\) == "!"\)/, 'the lock is a flag: the hash stays on the host');
});

t.test('an existing user without home gets one; ssh key only when missing', async (t) => {
  const noHome = { ...st(), homeExists: false };
  t.equal(decideUser(await args({ name: 'alice' }), noHome).mkhome, '/home/alice');
  t.equal(decideUser(await args({ name: 'alice', create_home: false }), noHome).mkhome, undefined);
  t.equal(decideUser(await args({ name: 'alice', generate_ssh_key: true }), st()).sshKey, true);
  t.equal(decideUser(await args({ name: 'alice', generate_ssh_key: true }), { ...st(), keyExists: true }).sshKey, false);
});

t.test('the apply script quotes every value and carries no hash', async (t) => {
  const a = await args({ name: 'dave', comment: "it's; rm -rf /", password: '$6$secret$HASHVALUE' });
  const s = applyScript(a, decideUser(a, fresh()));
  t.ok(s.includes(`useradd -c 'it'\\''s; rm -rf /' -m -- "$u"`), 'the comment is one quoted word');
  t.match(s, /chpasswd -e/);
  t.notMatch(s, /HASHVALUE/, 'the hash travels on stdin only');
});

t.test('bad arguments', async (t) => {
  const mod = await getModule('user');
  t.throws(() => mod.validate!(validateArgs(mod, { name: '-rf' })), ArgumentError);
  t.throws(() => mod.validate!(validateArgs(mod, { name: 'a:b' })), ArgumentError);
  t.throws(() => mod.validate!(validateArgs(mod, { name: 'a', ssh_key_passphrase: 'x' })), /command line/);
  t.throws(() => mod.validate!(validateArgs(mod, { name: 'a', expires: 'soon' })), /expires must be a number/);
  t.throws(() => mod.validate!(validateArgs(mod, { name: 'a', shell: '/bin/sh\nx' })), ArgumentError);
  t.throws(() => validateArgs(mod, { name: 'a', state: 'gone' }), ArgumentError);
});

t.test('plan result masks the password and reads once', async (t) => {
  let requests = 0;
  const conn: Connection = {
    host: 'rec',
    kind: 'rec',
    stats: { requests: 0, processes: 0 },
    open: async () => {},
    close: async () => {},
    exec: async (_s, o) => {
      requests++;
      t.equal(o?.readOnly, true, 'the plan only reads');
      return { exitCode: 0, stdout: PROBE, stderr: '', raw: Buffer.from(PROBE), durationMs: 1 };
    },
  };
  const mod = await getModule('user');
  const a = validateArgs(mod, { name: 'alice', password: '$6$new$NEWHASH', groups: ['ops'] });
  const plan = await mod.plan({ ...fakeContext({ check: true }), conn, control: conn }, a);
  t.equal(requests, 1);
  t.equal(plan.changed, true);
  t.equal(plan.result?.password, 'NOT_LOGGING_PASSWORD');
  t.notMatch(JSON.stringify(plan), /NEWHASH/);
  t.match(plan.diff?.[0]?.after, /password: \(changed\)/);
});

t.test('group decisions', async (t) => {
  const g = (x: Partial<GroupArgs>): GroupArgs => ({ name: 'devs', state: 'present', system: false, non_unique: false, ...x });
  t.equal(decideGroup(g({}), st()), undefined);
  t.same(decideGroup(g({ gid: 2600 }), st()), ['groupmod', '-g', '2600', '--', 'devs']);
  t.same(decideGroup(g({ name: 'new', system: true }), st()), ['groupadd', '-r', '--', 'new']);
  t.same(decideGroup(g({ name: 'new', gid: 27, non_unique: true }), st()), ['groupadd', '-g', '27', '-o', '--', 'new']);
  t.throws(() => decideGroup(g({ name: 'new', gid: 27 }), st()), /GID '27' already exists/);
  t.same(decideGroup(g({ state: 'absent' }), st()), ['groupdel', '--', 'devs']);
  t.equal(decideGroup(g({ name: 'none', state: 'absent' }), st()), undefined);
  t.equal(passwordDigest('!x'), sha256hex('x'));
});
