// get_url against a server on loopback, the host being this machine (LocalConnection): checksum
// before landing, idempotence without download, check mode predictions, credentials never in a
// script nor in a command line.
import t from 'tap';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readdirSync, readFileSync, statSync, utimesSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import getUrl, { type GetUrlArgs } from '../../lib/modules/get_url.js';
import { validateArgs } from '../../lib/modules/args.js';
import { ArgumentError, ModuleFailure } from '../../lib/errors.js';
import { LocalConnection } from '../../lib/executor/local.js';
import { runTask } from '../helpers/fake-ctx.js';
import { moduleContext } from '../helpers/module-ctx.js';
import { RecordingConnection } from '../helpers/recording.js';
import { basicAuth, bytes, startServer } from '../helpers/http-server.js';

const args = (raw: Record<string, unknown>) => validateArgs(getUrl, raw, {}) as unknown as GetUrlArgs;
const hash = (algo: string, b: Buffer | string) => createHash(algo).update(b).digest('hex');
const BODY = Buffer.from([0, 1, 2, 255, 254, 10, 13, 0].concat(Array.from({ length: 70000 }, (_, i) => i % 251)));

function recorded(opts: { check?: boolean; diff?: boolean } = {}) {
  const conn = new RecordingConnection(new LocalConnection());
  return Object.assign(moduleContext(opts), { conn, control: conn });
}

t.test('download with sha256: verified, idempotent without a request to the server, check mode predicts', async (t) => {
  const srv = await startServer(t, '127.0.0.1', { '/rel.tar.gz': bytes(BODY) });
  const dir = t.testdir({});
  const dest = join(dir, 'rel.tar.gz');
  const a = args({ url: `${srv.base}/rel.tar.gz`, dest, checksum: `sha256:${hash('sha256', BODY)}`, mode: '0640' });

  const check = recorded({ check: true });
  const c0 = await runTask(getUrl, check, a);
  t.equal(c0.outcome.changed, true, 'check: would download');
  t.same(readdirSync(dir), [], 'check mode writes nothing');

  const ctx = recorded();
  const r = await runTask(getUrl, ctx, a);
  t.equal(r.outcome.changed, true);
  t.ok(readFileSync(dest).equals(BODY), 'binary body intact');
  t.equal((statSync(dest).mode & 0o7777).toString(8), '640');
  t.same(readdirSync(dir), ['rel.tar.gz'], 'no temp file left');
  const res = r.outcome.result!;
  t.equal(res.checksum_src, hash('sha1', BODY));
  t.equal(res.checksum_dest, null);
  t.equal(res.md5sum, hash('md5', BODY));
  t.equal(res.status_code, 200);
  t.equal(res.dest, dest);
  t.equal(res.size, BODY.length);
  t.equal(res.msg, `OK (${BODY.length} bytes)`);
  t.equal(res.mode, '0640');
  t.equal(res.state, 'file');

  const gets = srv.hits('/rel.tar.gz').length;
  const again = recorded();
  const r2 = await runTask(getUrl, again, a);
  t.equal(r2.outcome.changed, false);
  t.equal(r2.outcome.msg, 'file already exists');
  t.equal(again.conn.stats.requests, 1, 'no-op: one request (the probe)');
  t.equal(srv.hits('/rel.tar.gz').length, gets, 'no-op: the server is not asked');

  const c1 = await runTask(getUrl, recorded({ check: true }), a);
  t.equal(c1.outcome.changed, false, 'check after: ok');

  // only the mode differs: no download, attributes fixed
  const r3 = await runTask(getUrl, recorded(), { ...a, mode: '0600' });
  t.equal(r3.outcome.changed, true);
  t.equal(r3.outcome.msg, 'file already exists but file attributes changed');
  t.equal((statSync(dest).mode & 0o7777).toString(8), '600');
  t.equal(srv.hits('/rel.tar.gz').length, gets, 'attributes: still no download');
});

t.test('checksum mismatch: nothing at dest, no temp file; an existing dest is kept', async (t) => {
  const srv = await startServer(t, '127.0.0.1', { '/f': bytes('tampered\n') });
  const dir = t.testdir({});
  const dest = join(dir, 'f');
  const a = args({ url: `${srv.base}/f`, dest, checksum: `sha256:${hash('sha256', 'genuine\n')}` });
  const e = await runTask(getUrl, recorded(), a).catch((x: unknown) => x);
  t.ok(e instanceof ModuleFailure);
  t.equal((e as Error).message, `The checksum for ${dest} did not match ${hash('sha256', 'genuine\n')}; it was ${hash('sha256', 'tampered\n')}.`);
  t.same(readdirSync(dir), [], 'nothing landed, no temp file');

  writeFileSync(dest, 'old\n');
  const e2 = await runTask(getUrl, recorded(), a).catch((x: unknown) => x);
  t.ok(e2 instanceof ModuleFailure, 'dest failing the checksum is downloaded again, and the download fails it too');
  t.equal(readFileSync(dest, 'utf8'), 'old\n', 'existing dest untouched');
  t.same(readdirSync(dir), ['f']);

  const ec = await runTask(getUrl, recorded({ check: true }), a).catch((x: unknown) => x);
  t.ok(ec instanceof ModuleFailure, 'check mode predicts the mismatch');
});

t.test('checksum from a checksum file (SHA256SUMS), other algorithms', async (t) => {
  const body = 'etcd release\n';
  const sums = `${hash('sha256', 'other')}  other.tar.gz\n${hash('sha256', body)} *etcd-v3.tar.gz\n`;
  const srv = await startServer(t, '127.0.0.1', { '/etcd-v3.tar.gz': bytes(body), '/SHA256SUMS': bytes(sums), '/bad': bytes(`${hash('sha256', 'x')}  nope\n`) });
  const dir = t.testdir({});
  const r = await runTask(getUrl, recorded(), args({ url: `${srv.base}/etcd-v3.tar.gz`, dest: join(dir, 'e.tgz'), checksum: `sha256:${srv.base}/SHA256SUMS` }));
  t.equal(r.outcome.changed, true);
  t.equal(readFileSync(join(dir, 'e.tgz'), 'utf8'), body);
  const again = await runTask(getUrl, recorded(), args({ url: `${srv.base}/etcd-v3.tar.gz`, dest: join(dir, 'e.tgz'), checksum: `sha256:${srv.base}/SHA256SUMS` }));
  t.equal(again.outcome.changed, false);
  const e = await runTask(getUrl, recorded(), args({ url: `${srv.base}/etcd-v3.tar.gz`, dest: join(dir, 'x.tgz'), checksum: `sha256:${srv.base}/bad` })).catch((x: unknown) => x);
  t.equal((e as Error).message, `Unable to find a checksum for file 'etcd-v3.tar.gz' in '${srv.base}/bad'`);

  for (const algo of ['md5', 'sha1', 'sha512']) {
    const ctx = recorded();
    const x = await runTask(getUrl, ctx, args({ url: `${srv.base}/etcd-v3.tar.gz`, dest: join(dir, 'e.tgz'), checksum: `${algo}:${hash(algo, body).toUpperCase()}` }));
    t.equal(x.outcome.changed, false, `${algo}: dest matches, no download`);
  }
});

t.test('without checksum: If-Modified-Since, force, dest directory', async (t) => {
  const srv = await startServer(t, '127.0.0.1', {
    '/a.txt': bytes('A\n', { mtime: new Date('2021-01-01T00:00:00Z') }),
    '/dl': bytes('named\n', { headers: { 'content-disposition': 'attachment; filename="report.csv"' } }),
  });
  const dir = t.testdir({});
  const dest = join(dir, 'a.txt');
  const a = args({ url: `${srv.base}/a.txt`, dest });
  t.equal((await runTask(getUrl, recorded(), a)).outcome.changed, true);
  utimesSync(dest, new Date('2022-01-01T00:00:00Z'), new Date('2022-01-01T00:00:00Z'));
  const r = await runTask(getUrl, recorded(), a);
  t.equal(r.outcome.changed, false, 'not modified since');
  t.equal(r.outcome.result?.status_code, 304);
  t.match(srv.hits('/a.txt').at(-1)!.headers['if-modified-since'], /2022/);
  t.equal((await runTask(getUrl, recorded({ check: true }), a)).outcome.changed, false, 'check: 304 too');

  const f = await runTask(getUrl, recorded(), { ...a, force: true });
  t.equal(f.outcome.changed, false, 'force: downloaded, same bytes, unchanged');
  t.equal(f.outcome.result?.checksum_dest, hash('sha1', 'A\n'));
  t.same(readdirSync(dir), ['a.txt']);
  writeFileSync(dest, 'B\n');
  t.equal((await runTask(getUrl, recorded({ check: true }), { ...a, force: true })).outcome.changed, true, 'check: force, bytes differ');
  const f2 = await runTask(getUrl, recorded(), { ...a, force: true, backup: true });
  t.equal(f2.outcome.changed, true);
  t.equal(readFileSync(dest, 'utf8'), 'A\n');
  t.equal(readFileSync(String(f2.outcome.result?.backup_file), 'utf8'), 'B\n', 'backup of the replaced file');

  const sub = join(dir, 'sub');
  mkdirSync(sub);
  const d = await runTask(getUrl, recorded(), args({ url: `${srv.base}/dl`, dest: sub }));
  t.equal(d.outcome.result?.dest, join(sub, 'report.csv'), 'Content-Disposition names the file');
  t.equal(readFileSync(join(sub, 'report.csv'), 'utf8'), 'named\n');
  t.equal((await runTask(getUrl, recorded({ check: true }), args({ url: `${srv.base}/dl`, dest: sub }))).outcome.changed, false);
  t.equal((await runTask(getUrl, recorded(), args({ url: `${srv.base}/dl`, dest: sub }))).outcome.changed, false);
});

t.test('credentials: basic auth works, never in a script or argv, registered as secrets', async (t) => {
  const pw = 'S3cr3t-pa55word';
  const srv = await startServer(t, '127.0.0.1', { '/p': basicAuth('deploy', pw, bytes('private\n')) });
  const dir = t.testdir({});
  for (const [name, raw] of [
    ['challenge', { url: `${srv.base}/p`, dest: join(dir, 'p1'), url_username: 'deploy', url_password: pw }],
    ['forced', { url: `${srv.base}/p`, dest: join(dir, 'p2'), username: 'deploy', password: pw, force_basic_auth: true }],
    ['in the url', { url: `${srv.base.replace('//', `//deploy:${pw}@`)}/p`, dest: join(dir, 'p3') }],
    ['header', { url: `${srv.base}/p`, dest: join(dir, 'p4'), headers: { Authorization: 'Basic ' + Buffer.from(`deploy:${pw}`).toString('base64') } }],
  ] as const) {
    const ctx = recorded();
    const r = await runTask(getUrl, ctx, args(raw));
    t.equal(r.outcome.changed, true, name);
    t.notOk(ctx.conn.scripts.some((s) => s.includes(pw) || s.includes(Buffer.from(`deploy:${pw}`).toString('base64'))), `${name}: no secret in any script`);
    t.ok(ctx.secrets.length > 0, `${name}: secrets registered`);
    t.notMatch(JSON.stringify(r.outcome), pw, `${name}: not in the result`);
    const token = Buffer.from(`deploy:${pw}`).toString('base64');
    if (name === 'header') t.ok(ctx.secrets.some((s) => s.includes(token)), 'the Authorization value is masked');
  }
  t.equal(readFileSync(join(dir, 'p3'), 'utf8'), 'private\n');
  const e = await runTask(getUrl, recorded(), args({ url: `${srv.base}/p`, dest: join(dir, 'p5'), url_username: 'deploy', url_password: 'wrong' })).catch((x: unknown) => x);
  t.ok(e instanceof ModuleFailure);
  t.equal((e as ModuleFailure).message, 'Request failed');
  t.equal((e as ModuleFailure).result?.status_code, 401);
  t.notOk(existsSync(join(dir, 'p5')));
});

t.test('failures and bad arguments', async (t) => {
  const srv = await startServer(t, '127.0.0.1', {});
  const dir = t.testdir({});
  const e = await runTask(getUrl, recorded(), args({ url: `${srv.base}/missing`, dest: join(dir, 'x') })).catch((x: unknown) => x);
  t.equal((e as ModuleFailure).result?.status_code, 404);
  t.same(readdirSync(dir), []);
  const refused = await runTask(getUrl, recorded(), args({ url: 'http://127.0.0.1:1/x', dest: join(dir, 'x') })).catch((x: unknown) => x);
  t.match((refused as Error).message, /Request failed: .*refused/);
  const nodir = await runTask(getUrl, recorded(), args({ url: `${srv.base}/x`, dest: join(dir, 'no/such/x') })).catch((x: unknown) => x);
  t.match((nodir as Error).message, /does not exist/);
  t.throws(() => getUrl.validate!(args({ url: 'x', dest: '/tmp/x' })), ArgumentError);
  t.throws(() => getUrl.validate!(args({ url: 'http://h/x', dest: '/tmp/x', checksum: 'abc' })), /has to be in format/);
  t.throws(() => getUrl.validate!(args({ url: 'http://h/x', dest: '/tmp/x', checksum: 'sha256:xyz!' })), /checksum format is invalid/);
  t.throws(() => getUrl.validate!(args({ url: 'http://h/x', dest: '/tmp/x', checksum: 'crc32:abcd' })), /not supported/);
});
