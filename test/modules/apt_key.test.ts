// apt_key with the real apt-key and gpg, on keyrings in a test directory only (never the control
// node's /etc/apt keys): test keys are made at test time in a temporary GNUPGHOME. Key ids computed
// from the key match gpg's; add by data and by file, by id, short ids, removal, check mode that
// creates no keyring, and url/keyserver refused. Live, against Ansible, on lab hosts:
// test/e2e/system-settings.test.ts.
import t from 'tap';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { spawnSync } from 'node:child_process';
import mod, { parseKeyId, parseKeys, type AptKeyArgs } from '../../lib/modules/apt_key.js';
import { pgpKeys } from '../../lib/modules/util/openpgp.js';
import { validateArgs } from '../../lib/modules/args.js';
import { fakeContext, runTask } from '../helpers/fake-ctx.js';
import { RecordingConnection } from '../helpers/recording.js';
import { LocalConnection } from '../../lib/executor/local.js';
import { makeKey } from '../helpers/gpg-key.js';

const args = (a: Record<string, unknown>): AptKeyArgs => {
  const v = validateArgs(mod, a) as unknown as AptKeyArgs;
  mod.validate!(v);
  return v;
};

const have = spawnSync('sh', ['-c', 'command -v apt-key && command -v gpg']).status === 0;

t.test('key ids and listings as Ansible reads them', async (t) => {
  t.same(parseKeyId('0xabcdef12'), ['ABCDEF12', 'ABCDEF12', 'ABCDEF12']);
  t.same(parseKeyId('63838570F886E7057DEE132DB11B78D17E665058'), ['7E665058', 'B11B78D17E665058', '63838570F886E7057DEE132DB11B78D17E665058']);
  t.throws(() => parseKeyId('ABCDEF123'), /8, 16, or 16\+/);
  t.throws(() => parseKeyId('xyz'), /Invalid/);
  const out = 'pub   ed25519/B11B78D17E665058 2026-12-07 [SC]\n      6383...\nuid  [ unknown] X\nsub   cv25519/0123456789ABCDEF 2026-12-07 [E]\npub   rsa2048/1111222233334444 2020-01-01 [SC] [expired: 2021-01-01]\n';
  t.same(parseKeys(out, false), ['B11B78D17E665058', '0123456789ABCDEF']);
  t.same(parseKeys(out, true), ['7E665058', '89ABCDEF']);
});

t.test('bad arguments fail before anything runs', async (t) => {
  t.throws(() => args({ url: 'https://example.com/k.asc' }), /url is not fetched/);
  t.throws(() => args({ id: 'ABCDEF12', keyserver: 'keyserver.ubuntu.com' }), /keyserver is not supported/);
  t.throws(() => args({ data: 'x', file: '/k' }), /mutually exclusive: data\|file/);
  t.throws(() => args({ state: 'absent' }), /one of id, data or file/);
  t.throws(() => args({ id: '12345' }), /8, 16, or 16\+/);
});

t.test('add and remove keys in a keyring of the test directory', { skip: have ? false : 'apt-key or gpg missing' }, async (t) => {
  const d = t.testdir({});
  const k1 = makeKey(t, 'Bosun One <one@example.com>', 'ed25519');
  const k2 = makeKey(t, 'Bosun Two <two@example.com>', 'rsa2048');
  t.equal(pgpKeys(Buffer.from(k1.asc))[0]!.fingerprint, k1.fpr, 'fingerprint from the armored key = gpg\'s');
  t.equal(pgpKeys(k2.bin)[0]!.fingerprint, k2.fpr, 'and from a binary RSA key');
  t.equal(pgpKeys(Buffer.from(k1.asc)).length, 2, 'the primary key and its subkey');
  const keyring = join(d, 'ring.gpg');
  const run = async (a: Record<string, unknown>, check = false) => {
    const conn = new RecordingConnection(new LocalConnection());
    const r = await runTask(mod, { ...fakeContext({ check, diff: true }), conn, control: conn }, args({ keyring, ...a }));
    return { o: r.outcome, labels: conn.labels };
  };

  const chk = await run({ data: k1.asc }, true);
  t.equal(chk.o.changed, true);
  t.match(chk.o.result, { id: k1.fpr.slice(-16), fp: k1.fpr.slice(-16), short_id: k1.fpr.slice(-8), before: [] });
  t.notOk(existsSync(keyring), 'check mode created no keyring');

  const a1 = await run({ data: k1.asc });
  t.equal(a1.o.changed, true);
  t.same(a1.o.result?.after, [k1.fpr.slice(-16), pgpKeys(Buffer.from(k1.asc))[1]!.keyId], 'listed again after: the key and its subkey');
  const a2 = await run({ data: k1.asc });
  t.equal(a2.o.changed, false, 'again: nothing');
  t.same(a2.labels, ['apt_key:read'], 'one request');

  // by file on the host, with a full fingerprint as id, then with no id (read from the file)
  require0(spawnSync('sh', ['-c', `cat > ${d}/k2.gpg`], { input: k2.bin }).status);
  const b1 = await run({ file: `${d}/k2.gpg`, id: k2.fpr });
  t.equal(b1.o.changed, true);
  t.equal((await run({ file: `${d}/k2.gpg` })).o.changed, false, 'the id read from the file');
  t.equal((await run({ id: k2.fpr.slice(-8) })).o.changed, false, 'a short id alone: present');
  await t.rejects(run({ file: `${d}/missing.gpg` }), /Unable to extract key from/);
  await t.rejects(run({ data: 'not a key' }), /Unable to extract key from 'inline data'/);
  await t.rejects(run({ id: 'DEADBEEFDEADBEEF' }), /no key to add/);

  const r1 = await run({ id: k2.fpr, state: 'absent' });
  t.equal(r1.o.changed, true);
  t.same(r1.o.result?.after, (a1.o.result?.after as string[]), 'only the first key left');
  t.equal((await run({ id: k2.fpr, state: 'absent' })).o.changed, false, 'absent again: nothing');
  const r2 = await run({ id: k1.fpr.slice(-8), state: 'absent' });
  t.equal(r2.o.changed, true, 'removed by short id');
  t.same(r2.o.result?.after, []);
  t.notOk(existsSync(keyring), 'apt-key removed the emptied keyring');
});

function require0(code: number | null): void {
  if (code !== 0) throw new Error('setup failed');
}

t.test('the FQCN resolves to this module', async (t) => {
  const { canonicalModuleName } = await import('../../lib/modules/index.js');
  t.equal(canonicalModuleName('ansible.builtin.apt_key'), 'apt_key');
});
