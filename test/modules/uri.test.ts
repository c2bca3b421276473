// uri against servers on loopback (this machine as the host): result keys, json, status_code,
// redirects, bodies, check mode (GET runs, POST cannot be predicted), dest, creates, HTTPS with a
// test CA and a client certificate, credentials kept out of scripts and results.
import t from 'tap';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import uri, { type UriArgs } from '../../lib/modules/uri.js';
import { validateArgs } from '../../lib/modules/args.js';
import { ArgumentError, ModuleFailure } from '../../lib/errors.js';
import { LocalConnection } from '../../lib/executor/local.js';
import { createCA, issueCert } from '../../lib/pki/pki.js';
import { runTask } from '../helpers/fake-ctx.js';
import { moduleContext } from '../helpers/module-ctx.js';
import { RecordingConnection } from '../helpers/recording.js';
import { basicAuth, startServer, type Handler } from '../helpers/http-server.js';

const args = (raw: Record<string, unknown>) => validateArgs(uri, raw, {}) as unknown as UriArgs;
function recorded(opts: { check?: boolean } = {}) {
  const conn = new RecordingConnection(new LocalConnection());
  return Object.assign(moduleContext(opts), { conn, control: conn });
}
const json = (status: number, v: unknown, headers: Record<string, string> = {}): Handler => (_req, res) => {
  res.writeHead(status, { 'content-type': 'application/json', ...headers });
  res.end(JSON.stringify(v));
};
const echo: Handler = (req, res) => {
  res.writeHead(201, { 'content-type': 'application/json' });
  res.end(JSON.stringify({ method: req.method, type: req.headers['content-type'], body: req.body.toString('utf8') }));
};

t.test('GET: json, headers as keys, status_code, redirects, check mode runs it', async (t) => {
  const srv = await startServer(t, '127.0.0.1', {
    '/health': json(200, { health: 'true' }, { 'x-etcd-cluster-id': 'abc' }),
    '/down': json(503, { health: 'false' }),
    '/old': (_r, res) => {
      res.writeHead(301, { location: '/health' });
      res.end();
    },
    '/text': (_r, res) => {
      res.writeHead(200, { 'content-type': 'text/plain' });
      res.end('plain\n');
    },
  });
  const ctx = recorded();
  const r = await runTask(uri, ctx, args({ url: `${srv.base}/health` }));
  t.equal(r.outcome.changed, false);
  t.same(r.outcome.result?.json, { health: 'true' });
  t.equal(r.outcome.result?.status, 200);
  t.equal(r.outcome.result?.x_etcd_cluster_id, 'abc', 'headers become keys, - → _');
  t.equal(r.outcome.result?.content_type, 'application/json');
  t.equal(r.outcome.result?.redirected, false);
  t.equal(r.outcome.result?.content, undefined, 'no content without return_content');
  t.equal(ctx.conn.stats.requests, 1, 'one request');

  const c = await runTask(uri, recorded({ check: true }), args({ url: `${srv.base}/health` }));
  t.equal(c.checkSkipped, false, 'GET runs in check mode');
  t.same(c.outcome.result?.json, { health: 'true' });

  const e = await runTask(uri, recorded(), args({ url: `${srv.base}/down` })).catch((x: unknown) => x);
  t.ok(e instanceof ModuleFailure);
  t.equal((e as Error).message, 'Status code was 503 and not [200]: HTTP Error 503: Service Unavailable');
  t.same((e as ModuleFailure).result?.json, { health: 'false' }, 'a failed attempt still registers json (until loops)');
  t.equal((e as ModuleFailure).result?.status, 503);
  t.equal((await runTask(uri, recorded(), args({ url: `${srv.base}/down`, status_code: [200, 503] }))).outcome.result?.status, 503);

  const red = await runTask(uri, recorded(), args({ url: `${srv.base}/old` }));
  t.equal(red.outcome.result?.redirected, true);
  t.equal(red.outcome.result?.url, `${srv.base}/health`);
  const none = await runTask(uri, recorded(), args({ url: `${srv.base}/old`, follow_redirects: 'none', status_code: [301] }));
  t.equal(none.outcome.result?.location, `${srv.base}/health`, 'location made absolute');

  const txt = await runTask(uri, recorded(), args({ url: `${srv.base}/text`, return_content: true }));
  t.equal(txt.outcome.result?.content, 'plain\n');
  t.equal(txt.outcome.result?.json, undefined);

  const refused = await runTask(uri, recorded(), args({ url: 'http://127.0.0.1:1/' })).catch((x: unknown) => x);
  t.match((refused as Error).message, /^Status code was -1 and not \[200\]: Request failed: .*refused/);
});

t.test('POST bodies, check mode, creates/removes, dest', async (t) => {
  const srv = await startServer(t, '127.0.0.1', { '/echo': echo, '/file': (_r, res) => res.end('saved body\n') });
  const dir = t.testdir({ marker: '' });
  const j = await runTask(uri, recorded(), args({ url: `${srv.base}/echo`, method: 'POST', body_format: 'json', body: { name: 'x', n: 1 }, status_code: [201] }));
  t.same(j.outcome.result?.json, { method: 'POST', type: 'application/json', body: '{"name":"x","n":1}' });
  t.equal(j.outcome.changed, false, 'as Ansible: uri reports ok (changed_when decides)');
  const f = await runTask(uri, recorded(), args({ url: `${srv.base}/echo`, method: 'PUT', body_format: 'form-urlencoded', body: { a: '1 2', b: '&' }, status_code: [201] }));
  t.same(f.outcome.result?.json, { method: 'PUT', type: 'application/x-www-form-urlencoded', body: 'a=1+2&b=%26' });
  const raw = await runTask(uri, recorded(), args({ url: `${srv.base}/echo`, method: 'POST', body: 'raw text', headers: { 'Content-Type': 'text/plain' }, status_code: [201] }));
  t.same(raw.outcome.result?.json, { method: 'POST', type: 'text/plain', body: 'raw text' });

  const posts = srv.hits('/echo').length;
  const c = await runTask(uri, recorded({ check: true }), args({ url: `${srv.base}/echo`, method: 'POST', body: 'x', status_code: [201] }));
  t.equal(c.checkSkipped, true, 'a POST cannot be predicted');
  t.equal(srv.hits('/echo').length, posts, 'check mode sent no POST');

  const cr = await runTask(uri, recorded(), args({ url: `${srv.base}/echo`, method: 'POST', creates: join(dir, 'marker') }));
  t.equal(cr.outcome.changed, false);
  t.equal(srv.hits('/echo').length, posts, 'creates: no request');
  const rm = await runTask(uri, recorded(), args({ url: `${srv.base}/echo`, method: 'POST', removes: join(dir, 'nothing') }));
  t.match(rm.outcome.msg, /does not exist/);

  const dest = join(dir, 'saved.txt');
  const d1 = await runTask(uri, recorded(), args({ url: `${srv.base}/file`, dest, mode: '0600' }));
  t.equal(d1.outcome.changed, true);
  t.equal(readFileSync(dest, 'utf8'), 'saved body\n');
  t.equal(d1.outcome.result?.path, dest);
  const d2 = await runTask(uri, recorded(), args({ url: `${srv.base}/file`, dest, mode: '0600' }));
  t.equal(d2.outcome.changed, false, 'same bytes: unchanged');

  t.throws(() => uri.validate!(args({ url: `${srv.base}/x`, method: 'post' })), /single word in uppercase/);
  t.throws(() => uri.validate!(args({ url: `${srv.base}/x`, body: { a: 1 } })), ArgumentError);
  t.throws(() => uri.validate!(args({ url: 'ftp://x/y' })), ArgumentError);
});

t.test('HTTPS: test CA, client certificate, credentials never in a script', async (t) => {
  const dir = t.testdir({});
  const ca = createCA({ cn: 'uri test CA' });
  const server = issueCert({ ca, cn: '127.0.0.1', sans: ['127.0.0.1'], profile: 'server' });
  const client = issueCert({ ca, cn: 'client', sans: [], profile: 'client' });
  for (const [n, v] of Object.entries({ 'ca.pem': ca.certPem, 'client.pem': client.certPem, 'client-key.pem': client.keyPem })) writeFileSync(join(dir, n), v);
  const pw = 'uri-Secret-9876';
  const srv = await startServer(t, '127.0.0.1', { '/v2/keys': basicAuth('root', pw, json(200, { ok: true })) }, { key: server.keyPem, cert: server.certPem, ca: ca.certPem });
  const tls = { ca_path: join(dir, 'ca.pem'), client_cert: join(dir, 'client.pem'), client_key: join(dir, 'client-key.pem') };

  const ctx = recorded();
  const r = await runTask(uri, ctx, args({ url: `${srv.base}/v2/keys`, ...tls, url_username: 'root', url_password: pw, force_basic_auth: true, body_format: 'json', body: { password: 'body-Secret-42' }, method: 'PUT' }));
  t.same(r.outcome.result?.json, { ok: true });
  t.notOk(ctx.conn.scripts.some((s) => s.includes(pw) || s.includes('body-Secret-42')), 'no secret in any script');
  t.ok(ctx.secrets.includes(pw) && ctx.secrets.includes('body-Secret-42'), 'password and the body\'s password value registered for masking');

  const noClient = await runTask(uri, recorded(), args({ url: `${srv.base}/v2/keys`, ca_path: tls.ca_path })).catch((x: unknown) => x);
  t.match((noClient as Error).message, /^Status code was -1/, 'the server wants a client certificate');
  const untrusted = await runTask(uri, recorded(), args({ url: `${srv.base}/v2/keys`, client_cert: tls.client_cert, client_key: tls.client_key })).catch((x: unknown) => x);
  t.match((untrusted as Error).message, /CERTIFICATE_VERIFY_FAILED/, 'the test CA is not trusted without ca_path');
  const insecure = await runTask(uri, recorded(), args({ url: `${srv.base}/v2/keys`, client_cert: tls.client_cert, client_key: tls.client_key, validate_certs: false, status_code: [401] }));
  t.equal(insecure.outcome.result?.status, 401, 'validate_certs: false accepts it (and no credentials: 401)');
});
