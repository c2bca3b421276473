// known_hosts locally on files of a test directory, with this machine's ssh-keygen as Ansible uses
// it: add, the same key (no change, one request), another key of the type replaced, [host]:port,
// hash_host (stored hashed, not rewritten on a rerun), absent with a key, absent without one
// (ssh-keygen -R and its .old), a key for another host, ~ on the host. ansible-playbook side by
// side: test/e2e/edit-modules.test.ts.
import t from 'tap';
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import mod, { hashHostKey, keyLine, searchHostKey, type KnownHostsArgs } from '../../lib/modules/known_hosts.js';
import { validateArgs } from '../../lib/modules/args.js';
import { fakeContext, runTask } from '../helpers/fake-ctx.js';
import { RecordingConnection } from '../helpers/recording.js';
import { LocalConnection } from '../../lib/executor/local.js';

const K1 = 'AAAAC3NzaC1lZDI1NTE5AAAAIOMqqnkVzrm0SdG6UOoqKLsabgH5C9okWi0dh2l9GKJl';
const K2 = 'AAAAC3NzaC1lZDI1NTE5AAAAIHx0bosunreadstestkeyxxxxxxxxxxxxxxxxxxxxxxx';
const RSA = 'AAAAB3NzaC1yc2EAAAADAQABAAABAQC';

const args = (a: Record<string, unknown>): KnownHostsArgs => {
  const v = validateArgs(mod, a) as unknown as KnownHostsArgs;
  mod.validate!(v);
  return v;
};

async function run(a: Record<string, unknown>, opts: { check?: boolean; diff?: boolean } = {}) {
  const conn = new RecordingConnection(new LocalConnection());
  const r = await runTask(mod, { ...fakeContext(opts), conn, control: conn }, args(a));
  return { r, conn };
}

const lookup = (file: string, host: string): string => spawnSync('ssh-keygen', ['-F', host, '-f', file], { encoding: 'utf8' }).stdout;

t.test('bad arguments, as Ansible words them', async (t) => {
  t.throws(() => args({ name: 'a.example' }), /No key specified when adding a host/);
  t.throws(() => args({ name: 'a.example,b.example', key: `a.example ssh-ed25519 ${K1}` }), /Comma separated list of names is not supported/);
  t.doesNotThrow(() => args({ name: 'a.example', state: 'absent' }));
  t.equal(args({ host: 'a.example', state: 'absent' }).path, '~/.ssh/known_hosts', 'alias and default path');
});

t.test('the hashed host field: |1|salt|HMAC-SHA1(salt, host), as ssh-keygen reads it', async (t) => {
  const d = t.testdir({});
  const salt = Buffer.alloc(20, 7);
  const line = hashHostKey('web.example', `web.example ssh-ed25519 ${K1} c`, salt);
  t.match(line, /^\|1\|BwcHBwcHBwcHBwcHBwcHBwcHBwc=\|\S+ ssh-ed25519 \S+ c$/);
  writeFileSync(join(d, 'kh'), line + '\n');
  t.match(lookup(join(d, 'kh'), 'web.example'), /found: line 1/, 'ssh-keygen -F finds it');
  t.equal(lookup(join(d, 'kh'), 'other.example'), '');
  t.match(keyLine(args({ name: 'X.example', key: `@cert-authority x.example ssh-ed25519 ${K1}`, hash_host: true }), salt)!, /^@cert-authority \|1\|/);
});

t.test("Ansible's search over ssh-keygen -F output", async (t) => {
  const out = `# Host w found: line 3 \nw ssh-ed25519 ${K1}\n# Host w found: line 5 \nw,10.0.0.1 ssh-rsa ${RSA}\n`;
  t.same(searchHostKey(true, out, `w ssh-ed25519 ${K1} comment\n`), [true, false, 3], 'same key (comment ignored)');
  t.same(searchHostKey(true, out, `w ssh-ed25519 ${K2}\n`), [true, true, 3], 'other key of the type: replace line 3');
  t.same(searchHostKey(true, out, `w ssh-rsa ${RSA}\n`), [true, true, 5], 'host field differs (w vs w,10.0.0.1): replace');
  t.same(searchHostKey(true, out, `w ecdsa-sha2-nistp256 AAAA\n`), [true, true, undefined], 'no key of the type: add');
  t.same(searchHostKey(true, out, undefined), [true, false, undefined]);
  t.same(searchHostKey(false, '', `w ssh-ed25519 ${K1}\n`), [false, false, undefined]);
});

t.test('add, no-op in one request, replace, port, hash, absent', async (t) => {
  const d = t.testdir({ kh: `# mine\nold.example,10.0.0.9 ssh-ed25519 ${K1}\nweb.example ssh-ed25519 ${K1}\n@cert-authority *.ca.test ssh-ed25519 ${K2}\n` });
  const f = join(d, 'kh');
  const base = { path: f };

  const add = await run({ ...base, name: 'New.Example', key: `new.example ssh-ed25519 ${K1} new` }, { diff: true });
  t.equal(add.r.outcome.changed, true);
  t.same(add.r.outcome.result, { name: 'New.Example', key: `new.example ssh-ed25519 ${K1} new`, path: f, hash_host: false, state: 'present', changed: true });
  t.match(add.r.outcome.diff?.[0]?.after, new RegExp(`\\nnew\\.example ssh-ed25519 ${K1} new\\n$`));
  const noop = await run({ ...base, name: 'new.example', key: `new.example ssh-ed25519 ${K1} new` });
  t.equal(noop.r.outcome.changed, false);
  t.same(noop.conn.labels, ['known_hosts:read'], 'a no-op is one request, the read-only one');

  const rep = await run({ ...base, name: 'web.example', key: `web.example ssh-ed25519 ${K2}` });
  t.equal(rep.r.outcome.changed, true);
  t.equal(readFileSync(f, 'utf8'), `# mine\nold.example,10.0.0.9 ssh-ed25519 ${K1}\n@cert-authority *.ca.test ssh-ed25519 ${K2}\nnew.example ssh-ed25519 ${K1} new\nweb.example ssh-ed25519 ${K2}\n`, 'the old line removed, the new one last');

  await run({ ...base, name: '[git.example]:2222', key: `[git.example]:2222 ssh-rsa ${RSA}` });
  t.match(lookup(f, '[git.example]:2222'), /ssh-rsa/, '[host]:port entry');
  t.equal(lookup(f, 'git.example'), '', 'not the host on port 22');

  const h1 = await run({ ...base, name: 'hashed.example', key: `hashed.example ssh-ed25519 ${K1}`, hash_host: true });
  t.equal(h1.r.outcome.changed, true);
  t.notMatch(readFileSync(f, 'utf8'), /hashed\.example/, 'the name is not in the file');
  t.match(lookup(f, 'hashed.example'), new RegExp(K1), 'but ssh-keygen finds it');
  const h2 = await run({ ...base, name: 'hashed.example', key: `hashed.example ssh-ed25519 ${K1}`, hash_host: true });
  t.equal(h2.r.outcome.changed, false, 'a rerun with another salt changes nothing');

  const beforeAbsent = readFileSync(f, 'utf8');
  const miss = await run({ ...base, name: 'web.example', key: `web.example ssh-rsa ${RSA}`, state: 'absent' });
  t.equal(miss.r.outcome.changed, false, 'absent with a key of a type not there: nothing');
  const abs = await run({ ...base, name: 'web.example', key: `web.example ssh-ed25519 ${K2}`, state: 'absent' });
  t.equal(abs.r.outcome.changed, true);
  t.equal(lookup(f, 'web.example').includes(K2), false, 'that key is gone');
  t.not(readFileSync(f, 'utf8'), beforeAbsent);

  // without a key: ssh-keygen -R, as Ansible (a .old copy; the @cert-authority line stays)
  const check = await run({ ...base, name: 'old.example', state: 'absent' }, { check: true, diff: true });
  t.equal(check.r.outcome.changed, true);
  t.notMatch(check.r.outcome.diff?.[0]?.after, /old\.example/, 'the check shows the line going');
  t.notOk(existsSync(`${f}.old`), 'check mode ran nothing');
  const rm = await run({ ...base, name: 'old.example', state: 'absent' });
  t.equal(rm.r.outcome.changed, true);
  t.equal(lookup(f, 'old.example'), '');
  t.ok(existsSync(`${f}.old`), "ssh-keygen -R's backup");
  t.match(readFileSync(f, 'utf8'), /^@cert-authority \*\.ca\.test/m);
  t.equal(rm.r.outcome.diff?.[0]?.after, readFileSync(f, 'utf8'), 'the predicted content is what ssh-keygen -R wrote');
  const rm2 = await run({ ...base, name: 'old.example', state: 'absent' });
  t.equal(rm2.r.outcome.changed, false);
  // only a @cert-authority line matches: ssh-keygen -R would keep it, so nothing to do (Ansible: changed)
  const ca = await run({ ...base, name: 'x.ca.test', state: 'absent' });
  t.equal(ca.r.outcome.changed, false);
  t.match(readFileSync(f, 'utf8'), /^@cert-authority \*\.ca\.test/m);

  // Ansible's rule: a @cert-authority line of the key's type matching the name is "another key" and is replaced
  const q = await run({ ...base, name: 'y.ca.test', key: `y.ca.test ssh-ed25519 ${K1}` });
  t.equal(q.r.outcome.changed, true);
  t.notMatch(readFileSync(f, 'utf8'), /@cert-authority/);
});

t.test('a key for another host fails, nothing written', async (t) => {
  const d = t.testdir({ kh: '' });
  await t.rejects(run({ path: join(d, 'kh'), name: 'a.example', key: `b.example ssh-ed25519 ${K1}` }), /Host parameter does not match hashed host field in supplied key/);
  t.equal(readFileSync(join(d, 'kh'), 'utf8'), '');
});

t.test('a last line without newline is ended before the new line (Ansible would join them)', async (t) => {
  const d = t.testdir({ kh: `a.example ssh-ed25519 ${K1}` });
  await run({ path: join(d, 'kh'), name: 'b.example', key: `b.example ssh-ed25519 ${K2}` });
  t.equal(readFileSync(join(d, 'kh'), 'utf8'), `a.example ssh-ed25519 ${K1}\nb.example ssh-ed25519 ${K2}\n`);
});

t.test('~ is the home on the host; a new file', async (t) => {
  const d = t.testdir({ '.ssh': {} });
  const home = process.env.HOME;
  process.env.HOME = d;
  t.teardown(() => {
    process.env.HOME = home;
  });
  const r = await run({ name: 'a.example', key: `a.example ssh-ed25519 ${K1}` });
  t.equal(r.r.outcome.result?.path, join(d, '.ssh/known_hosts'));
  t.equal(readFileSync(join(d, '.ssh/known_hosts'), 'utf8'), `a.example ssh-ed25519 ${K1}\n`);
});
