import t from 'tap';
import type { Test } from 'tap';
import { createHash } from 'node:crypto';
import { chmodSync, existsSync, mkdirSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import cert, { lockOptions, parseDurationHours } from '../../lib/modules/cert.js';
import type { CertArgs } from '../../lib/modules/cert.js';
import { inspectCert, issueCert, verifySignedBy } from '../../lib/pki/pki.js';
import { ArgumentError, EnvironmentError } from '../../lib/errors.js';
import { ModuleFailure } from '../../lib/modules/types.js';
import { fakeContext, runTask } from '../helpers/fake-ctx.js';
import type { FakeContext } from '../helpers/fake-ctx.js';

const node1 = (dir: string, extra: Partial<CertArgs> = {}): CertArgs => ({
  dir,
  name: 'node1',
  sans: ['node1.mydomain.com', 'node1', '10.66.0.14'],
  ...extra,
});

const mode = (p: string) => statSync(p).mode & 0o777;
const read = (p: string) => readFileSync(p, 'utf8');

/** sha256 over every file name, mode and content under dir (missing dir: "absent"). */
function hashDir(dir: string): string {
  if (!existsSync(dir)) return 'absent';
  const h = createHash('sha256');
  for (const f of readdirSync(dir).sort()) {
    const p = join(dir, f);
    h.update(`${f}\0${statSync(p).mode}\0`);
    if (statSync(p).isFile()) h.update(readFileSync(p));
  }
  return h.digest('hex');
}

/** No private key (or any 64-char body line of it) anywhere in what the task reports. */
function assertNoKeyMaterial(t: Test, ctx: FakeContext, ...things: unknown[]) {
  const text = JSON.stringify(things);
  t.notMatch(text, /PRIVATE KEY/, 'no key PEM in msg/diff/result');
  const keyLines = ctx.secrets.filter((s) => !s.includes('\n'));
  t.ok(keyLines.length > 0, 'key lines were registered as secrets');
  t.notOk(
    keyLines.some((l) => text.includes(l)),
    'no secret line in msg/diff/result',
  );
}

t.test('first run issues CA and leaf; second run is unchanged', async (t) => {
  const dir = join(t.testdir({}), 'etcd-ca');
  const ctx = fakeContext({ diff: true });
  const first = await runTask(cert, ctx, node1(dir));
  t.ok(first.plan.changed);
  t.match(first.plan.msg, /would create .*etcd-ca \(0700\); would create CA ca\.pem: no CA in .* yet; would issue node1\.pem: no certificate yet/);
  t.ok(first.outcome.changed);
  t.match(first.outcome.msg, /created CA ca\.pem .*issued node1\.pem \(no certificate yet\), valid until \d{4}-/);

  t.equal(mode(dir), 0o700, 'dir 0700');
  t.equal(mode(join(dir, 'ca-key.pem')), 0o600);
  t.equal(mode(join(dir, 'node1-key.pem')), 0o600);
  t.equal(mode(join(dir, 'ca.pem')), 0o644);
  t.equal(mode(join(dir, 'node1.pem')), 0o644);
  t.same(readdirSync(dir).sort(), ['ca-key.pem', 'ca.pem', 'node1-key.pem', 'node1.pem'], 'no temp or lock left');

  const info = inspectCert(read(join(dir, 'node1.pem')));
  t.equal(info.cn, 'node1');
  t.same(info.sans.map((s) => `${s.type}:${s.value}`), ['DNS:node1.mydomain.com', 'DNS:node1', 'IP:10.66.0.14']);
  t.ok(verifySignedBy(read(join(dir, 'node1.pem')), read(join(dir, 'ca.pem'))));
  t.match(read(join(dir, 'node1-key.pem')), /^-----BEGIN RSA PRIVATE KEY-----/);

  const r = first.outcome.result!;
  t.same(r, {
    cert: join(dir, 'node1.pem'),
    key: join(dir, 'node1-key.pem'),
    ca: join(dir, 'ca.pem'),
    cn: 'node1',
    sans: ['node1.mydomain.com', 'node1', '10.66.0.14'],
    not_after: info.notAfter.toISOString(),
    serial: info.serialHex,
  });

  const diffPaths = first.plan.diff!.map((d) => d.path);
  t.same(diffPaths, [dir, join(dir, 'ca.pem'), join(dir, 'ca-key.pem'), join(dir, 'node1.pem'), join(dir, 'node1-key.pem')]);
  const leafDiff = first.plan.diff!.find((d) => d.path.endsWith('node1.pem'))!;
  t.equal(leafDiff.before, undefined);
  t.match(leafDiff.after, /subject: CN=node1\nSANs: DNS:node1\.mydomain\.com, DNS:node1, IP:10\.66\.0\.14\nEKU: serverAuth, clientAuth\n.*issuer: CN=CA\nnotAfter: /s);
  t.equal(first.plan.diff!.find((d) => d.path.endsWith('node1-key.pem'))!.summary, 'private key (not shown)');
  assertNoKeyMaterial(t, ctx, first.plan, first.outcome);
  t.ok(ctx.secrets.includes(read(join(dir, 'node1-key.pem'))), 'leaf key registered');
  t.ok(ctx.secrets.includes(read(join(dir, 'ca-key.pem'))), 'CA key registered');

  const ctx2 = fakeContext();
  const before = hashDir(dir);
  const second = await runTask(cert, ctx2, node1(dir));
  t.notOk(second.plan.changed);
  t.match(second.plan.msg, /^certificate node1\.pem is valid until \d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/);
  t.equal(second.plan.diff, undefined);
  t.same(second.plan.result, r, 'same registered result when unchanged');
  t.equal(hashDir(dir), before);
  t.ok(ctx2.secrets.includes(read(join(dir, 'node1-key.pem'))), 'key read in plan is registered');
  assertNoKeyMaterial(t, ctx2, second.plan);

  // The CA-only task on the same dir is unchanged too.
  const caOnly = await runTask(cert, fakeContext(), { dir, ca: true });
  t.notOk(caOnly.plan.changed);
  t.match(caOnly.plan.msg, /^CA ca\.pem is valid until/);
  t.equal(caOnly.plan.result!.cert, join(dir, 'ca.pem'));
  t.equal(caOnly.plan.result!.key, join(dir, 'ca-key.pem'));
  t.equal(caOnly.plan.result!.cn, 'CA');
});

t.test('SAN change reissues with the reason; CA is kept', async (t) => {
  const dir = join(t.testdir({}), 'ca');
  await runTask(cert, fakeContext(), node1(dir));
  const caBefore = read(join(dir, 'ca.pem'));
  const oldSerial = inspectCert(read(join(dir, 'node1.pem'))).serialHex;
  const ctx = fakeContext({ diff: true });
  const { plan, outcome } = await runTask(cert, ctx, node1(dir, { sans: ['node1.mydomain.com', 'node1', '10.66.0.15'] }));
  t.equal(plan.msg, 'would issue node1.pem: SANs differ: missing IP:10.66.0.15; extra IP:10.66.0.14');
  t.same(
    plan.diff!.map((d) => d.path),
    [join(dir, 'node1.pem'), join(dir, 'node1-key.pem')],
  );
  const d = plan.diff![0]!;
  t.match(d.before, /SANs: DNS:node1\.mydomain\.com, DNS:node1, IP:10\.66\.0\.14\n/);
  t.match(d.after, /SANs: DNS:node1\.mydomain\.com, DNS:node1, IP:10\.66\.0\.15\n/);
  t.match(outcome.msg, /^issued node1\.pem \(SANs differ: missing IP:10\.66\.0\.15; extra IP:10\.66\.0\.14\)/);
  t.equal(read(join(dir, 'ca.pem')), caBefore, 'CA untouched');
  t.not(outcome.result!.serial, oldSerial);
  t.same(outcome.result!.sans, ['node1.mydomain.com', 'node1', '10.66.0.15']);
  assertNoKeyMaterial(t, ctx, plan, outcome);

  // Reordering SANs is not a change (sets).
  const again = await runTask(cert, fakeContext(), node1(dir, { sans: ['10.66.0.15', 'node1', 'node1.mydomain.com'] }));
  t.notOk(again.plan.changed);

  // force reissues; profile change reissues.
  const forced = await runTask(cert, fakeContext(), node1(dir, { sans: ['10.66.0.15', 'node1', 'node1.mydomain.com'], force: true }));
  t.equal(forced.plan.msg, 'would issue node1.pem: force: true');
  const prof = await runTask(cert, fakeContext(), node1(dir, { sans: ['10.66.0.15', 'node1', 'node1.mydomain.com'], profile: 'server' }));
  t.match(prof.plan.msg, /would issue node1\.pem: profile differs: EKU is serverAuth, clientAuth, server wants serverAuth/);
  t.same(inspectCert(read(join(dir, 'node1.pem'))).ekus, ['serverAuth']);
});

t.test('CA recreated: leaves are reissued as not signed by the current CA', async (t) => {
  const dir = join(t.testdir({}), 'ca');
  await runTask(cert, fakeContext(), node1(dir));
  await runTask(cert, fakeContext(), { dir, name: 'admin', cn: 'admin', profile: 'client' });
  const oldCa = read(join(dir, 'ca.pem'));

  const ctx = fakeContext({ diff: true });
  const re = await runTask(cert, ctx, { dir, ca: true, force: true });
  t.equal(re.plan.msg, 'would create CA ca.pem: force: true');
  t.match(re.plan.diff![0]!.before, /subject: CN=CA\n/);
  t.match(re.outcome.msg, /^old CA kept as ca\.pem\.bak-\d{8}T\d{6}Z; created CA ca\.pem \(force: true\)/);
  t.not(read(join(dir, 'ca.pem')), oldCa);
  const baks = readdirSync(dir).filter((f) => f.includes('.bak-'));
  t.equal(baks.length, 2, 'old cert and key kept');
  t.equal(read(join(dir, baks.find((b) => b.startsWith('ca.pem'))!)), oldCa);
  t.equal(mode(join(dir, baks.find((b) => b.startsWith('ca-key'))!)), 0o600, 'old key stays 0600');
  assertNoKeyMaterial(t, ctx, re.plan, re.outcome);

  for (const [args, name] of [
    [node1(dir), 'node1'],
    [{ dir, name: 'admin', cn: 'admin', profile: 'client' } as CertArgs, 'admin'],
  ] as const) {
    const r = await runTask(cert, fakeContext(), args);
    t.equal(r.plan.msg, `would issue ${name}.pem: not signed by the current CA`);
    t.ok(verifySignedBy(read(join(dir, `${name}.pem`)), read(join(dir, 'ca.pem'))));
  }
});

t.test('a leaf task against a CA that is missing in the same plan: CA creation forces the leaf', async (t) => {
  const dir = join(t.testdir({}), 'ca');
  await runTask(cert, fakeContext(), node1(dir));
  // CA expiring within renew_before is recreated; the leaf follows.
  const { plan, outcome } = await runTask(cert, fakeContext(), node1(dir, { renew_before: '2000d' }));
  t.match(plan.msg, /would create CA ca\.pem: CA expires on .* within renew_before \(2000d\); would issue node1\.pem: the CA is being \(re\)created/);
  t.ok(outcome.changed);
  t.ok(verifySignedBy(read(join(dir, 'node1.pem')), read(join(dir, 'ca.pem'))));
});

t.test('check mode writes nothing and predicts the change', async (t) => {
  const root = t.testdir({});
  const dir = join(root, 'ca');
  const ctx = fakeContext({ check: true, diff: true });
  const fresh = await runTask(cert, ctx, node1(dir));
  t.ok(fresh.plan.changed);
  t.notOk(existsSync(dir), 'plan did not create the dir');
  t.equal(fresh.outcome.result!.cert, join(dir, 'node1.pem'), 'paths are registered even in check mode');

  await runTask(cert, fakeContext(), node1(dir));
  const before = hashDir(dir);
  const changed = await runTask(cert, fakeContext({ check: true }), node1(dir, { cn: 'other' }));
  t.equal(changed.plan.msg, 'would issue node1.pem: CN differs: node1 → other');
  const forced = await runTask(cert, fakeContext({ check: true }), { dir, ca: true, force: true });
  t.ok(forced.plan.changed);
  t.equal(hashDir(dir), before, 'directory unchanged');
});

t.test('modes: an open dir and an open key are tightened, and the plan says so', async (t) => {
  const dir = join(t.testdir({}), 'ca');
  await runTask(cert, fakeContext(), node1(dir));
  chmodSync(dir, 0o755);
  chmodSync(join(dir, 'node1-key.pem'), 0o644);
  const ctx = fakeContext({ diff: true });
  const { plan, outcome } = await runTask(cert, ctx, node1(dir));
  t.equal(plan.msg, `would chmod ${dir} from 0755 to 0700; would chmod ${join(dir, 'node1-key.pem')} from 0644 to 0600`);
  t.same(plan.diff![0], { path: dir, attrs: { mode: { before: '0755', after: '0700' } } });
  t.same(plan.diff![1]!.attrs, { mode: { before: '0644', after: '0600' } });
  t.equal(plan.diff![1]!.summary, 'private key (not shown)');
  t.match(outcome.msg, /was 0755, now 0700.*node1-key\.pem was 0644, now 0600/);
  t.ok(ctx.logs.some((l) => /readable by others/.test(l)), 'warned in the log');
  t.equal(mode(dir), 0o700);
  t.equal(mode(join(dir, 'node1-key.pem')), 0o600);
  t.notOk((await runTask(cert, fakeContext(), node1(dir))).plan.changed);
});

t.test('parallel tasks of one run on one dir create exactly one CA', async (t) => {
  const dir = join(t.testdir({}), 'ca');
  const names = ['n1', 'n2', 'n3', 'n4'];
  const ctxs = names.map(() => fakeContext());
  // All plans first (as the engine does per task across hosts), then all applies at once.
  const plans = await Promise.all(names.map((name, i) => cert.plan(ctxs[i]!, { dir, name, sans: [`${name}.lab`] })));
  for (const p of plans) t.match(p.msg, /would create CA/, 'every host planned a CA');
  const outcomes = await Promise.all(
    names.map((name, i) => cert.apply(ctxs[i]!, { dir, name, sans: [`${name}.lab`] }, plans[i]!)),
  );
  t.equal(outcomes.filter((o) => /created CA/.test(o.msg ?? '')).length, 1, 'one CA created');
  const caPem = read(join(dir, 'ca.pem'));
  for (const name of names) t.ok(verifySignedBy(read(join(dir, `${name}.pem`)), caPem), `${name} signed by the one CA`);
  t.same(readdirSync(dir).filter((f) => f.startsWith('ca')).sort(), ['ca-key.pem', 'ca.pem'], 'no backups: nothing replaced');
  t.notOk(existsSync(join(dir, '.lock')));
});

t.test('another process holds the CA lock: apply fails clearly after the wait', async (t) => {
  const dir = join(t.testdir({}), 'ca');
  const ctx = fakeContext();
  const plan = await cert.plan(ctx, node1(dir));
  mkdirSync(dir, { mode: 0o700 });
  writeFileSync(join(dir, '.lock'), `${process.ppid}\n`); // alive: the test runner
  const saved = { ...lockOptions };
  lockOptions.timeoutMs = 200;
  lockOptions.pollMs = 20;
  t.teardown(() => Object.assign(lockOptions, saved));
  await t.rejects(cert.apply(ctx, node1(dir), plan), EnvironmentError);
  t.ok(ctx.progressLines.some((l) => /waiting for lock/.test(l)));
  t.notOk(existsSync(join(dir, 'ca.pem')), 'nothing written');
});

t.test('damaged CA directories fail instead of silently replacing the CA', async (t) => {
  const root = t.testdir({ file: 'x' });
  const dir = join(root, 'ca');
  await runTask(cert, fakeContext(), node1(dir));
  const other = join(root, 'other');
  await runTask(cert, fakeContext(), { dir: other, ca: true });
  // CA key swapped for another CA's key.
  writeFileSync(join(dir, 'ca-key.pem'), read(join(other, 'ca-key.pem')));
  await t.rejects(cert.plan(fakeContext(), node1(dir)), { name: 'ModuleFailure', message: /CA key does not match ca\.pem.*force: true/ });
  // Key missing.
  const d2 = join(root, 'ca2');
  await runTask(cert, fakeContext(), { dir: d2, ca: true });
  writeFileSync(join(d2, 'ca-key.pem'), '');
  const { unlinkSync } = await import('node:fs');
  unlinkSync(join(d2, 'ca-key.pem'));
  await t.rejects(cert.plan(fakeContext(), node1(d2)), ModuleFailure);
  // force: true with ca: true is the documented way out.
  const fixed = await runTask(cert, fakeContext(), { dir: d2, ca: true, force: true });
  t.ok(fixed.outcome.changed);
  t.notOk((await runTask(cert, fakeContext(), { dir: d2, ca: true })).plan.changed);
  // dir is a file.
  const f = join(root, 'file');
  await t.rejects(cert.plan(fakeContext(), node1(f)), /not a directory/);
});

t.test('a leaf signed elsewhere, a missing key, a wrong key', async (t) => {
  const dir = join(t.testdir({}), 'ca');
  await runTask(cert, fakeContext(), node1(dir));
  const keyPath = join(dir, 'node1-key.pem');
  const otherKey = issueCert({
    ca: { certPem: read(join(dir, 'ca.pem')), keyPem: read(join(dir, 'ca-key.pem')) },
    cn: 'x',
    sans: [],
  }).keyPem;
  writeFileSync(keyPath, otherKey, { mode: 0o600 });
  t.equal((await cert.plan(fakeContext(), node1(dir))).msg, 'would issue node1.pem: key does not match the certificate');
  const { unlinkSync } = await import('node:fs');
  unlinkSync(keyPath);
  const r = await runTask(cert, fakeContext(), node1(dir));
  t.equal(r.plan.msg, 'would issue node1.pem: node1-key.pem is missing');
  t.ok(existsSync(keyPath));
});

t.test('arguments', async (t) => {
  const v = (a: Partial<CertArgs>) => () => cert.validate!({ dir: '/tmp/x', ...a } as CertArgs);
  t.throws(v({}), ArgumentError, 'neither ca nor name');
  t.throws(v({ ca: true, name: 'a' }), /either `ca: true`/);
  t.throws(v({ name: '../x' }), /plain file basename/);
  t.throws(v({ name: 'ca' }), /overwrite the CA/);
  t.throws(v({ ca: true, sans: ['a'] }), /leaf certificates/);
  t.throws(v({ ca: true, cn: 'x' }), /the CA takes ca_cn/);
  t.throws(v({ name: 'a', profile: 'peer' as never }), /one of server\+client, server, client/);
  t.throws(v({ name: 'a', key_size: 1024 }), /2048 to 8192/);
  t.throws(v({ name: 'a', expiry: 'soon' }), /duration like/);
  t.throws(v({ name: 'a', renew_before: '30' }), /renew_before must be a duration/, 'renew_before needs a unit');
  t.throws(() => cert.validate!({ dir: '', name: 'a' }), /dir .* is required/);
  // etcd logs a client certificate in as the user named by its CN, without a password: never "root"
  t.throws(v({ name: 'admin', cn: 'root', profile: 'client' }), /CN "root" on a client certificate \(admin\) would log in to etcd as user root/);
  t.throws(v({ name: 'root' }), /CN "root" on a server\+client certificate/, 'a member named root (cn defaults to name)');
  t.throws(v({ name: 'x', cn: 'root', profile: 'server+client' }), /CN "root"/);
  t.doesNotThrow(v({ name: 'x', cn: 'root', profile: 'server' }), 'a server-only certificate cannot authenticate a client');
  t.doesNotThrow(v({ name: 'x', cn: 'Root', profile: 'client' }), 'etcd user names are case-sensitive');
  t.doesNotThrow(v({ name: 'a', expiry: 8760, renew_before: '720h' }));
  // The engine may fill every schema default, CA tasks included.
  const defaults = Object.fromEntries(
    Object.entries(cert.args).flatMap(([k, spec]) => (spec.default === undefined ? [] : [[k, spec.default]])),
  );
  t.doesNotThrow(v({ ...defaults, ca: true }), 'defaults are valid for a CA task');
  t.doesNotThrow(v({ ...defaults, name: 'n1' }), 'and for a leaf task');
  t.equal(parseDurationHours('43800h', 'expiry'), 43800);
  t.equal(parseDurationHours('30d', 'renew_before'), 720);
  t.equal(parseDurationHours('5y', 'expiry'), 43800);
  t.equal(parseDurationHours(100, 'expiry', 'h'), 100);
  t.equal(cert.runsOn, 'control');
  for (const [k, spec] of Object.entries(cert.args)) t.ok(spec.description.length > 10, `${k} is described`);
});

t.test('expiry and key_size are honoured; cn defaults to name', async (t) => {
  const dir = join(t.testdir({}), 'ca');
  const { outcome } = await runTask(cert, fakeContext(), { dir, name: 'short', expiry: '48h', sans: [] });
  const info = inspectCert(read(join(dir, 'short.pem')));
  t.equal(info.cn, 'short');
  t.equal(info.notAfter.getTime() - info.notBefore.getTime(), 48 * 3_600_000);
  t.same(outcome.result!.sans, []);
  const caInfo = inspectCert(read(join(dir, 'ca.pem')));
  t.equal(caInfo.notAfter.getTime() - caInfo.notBefore.getTime(), 43_800 * 3_600_000, 'the implicit CA keeps 43800h');
  // key_size applies to the leaf; on a ca: true task, to the CA.
  await runTask(cert, fakeContext(), { dir, name: 'big', key_size: 3072, sans: [] });
  t.equal(inspectCert(read(join(dir, 'big.pem'))).keyBits, 3072);
  t.equal(inspectCert(read(join(dir, 'ca.pem'))).keyBits, 2048);
  const k = await cert.plan(fakeContext(), { dir, name: 'big', key_size: 2048, sans: [] });
  t.equal(k.msg, 'would issue big.pem: key size differs: 3072 → 2048');
  // renew_before longer than the validity: reissued every run.
  const again = await cert.plan(fakeContext(), { dir, name: 'short', expiry: '48h', renew_before: '3d', sans: [] });
  t.match(again.msg, /would issue short\.pem: expires on .* within renew_before \(3d\)/);
});
