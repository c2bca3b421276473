// get_url and unarchive on lab hosts, as an operator installs a release: an HTTPS server (test CA,
// basic auth) on the lab bridge's address, the tarball checked against a SHA256SUMS file, unpacked
// with --strip-components. --check predicts every change and leaves the hosts byte-identical; the
// run makes them; a rerun changes nothing and downloads nothing; a checksum mismatch leaves nothing
// at dest; the password (in url_password, in a url, in an Authorization header) is never printed,
// at -vvv nor in JSON events.
import t from 'tap';
import * as path from 'node:path';
import { createHash } from 'node:crypto';
import { mkdirSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs';
import { spawnSync } from 'node:child_process';
import { hashHost } from '../../lib/lab/lab.js';
import { createCA, issueCert } from '../../lib/pki/pki.js';
import { withLab } from '../helpers/lab.js';
import { basicAuth, bytes, startServer, type Handler } from '../helpers/http-server.js';
import { bosunRun, parseRecap, parseSummary, remote, tempDir, writeInventory } from '../fixtures/e2e/harness.js';

const HOSTS = ['node1', 'node2'];
const PW = 'Tr0ub4dor-and-3';
const TOKEN = Buffer.from(`deploy:${PW}`).toString('base64');
const sha256 = (b: Buffer | string) => createHash('sha256').update(b).digest('hex');

/** A release tarball like etcd's: etcd-v9/{etcd,etcdctl,README.md}, and a zip of extra files. */
function release(dir: string): { tgz: Buffer; zip: string } {
  const top = path.join(dir, 'src', 'etcd-v9');
  mkdirSync(path.join(top, 'doc'), { recursive: true });
  writeFileSync(path.join(top, 'etcd'), Buffer.from(Array.from({ length: 300_000 }, (_, i) => (i * 31) % 256)), { mode: 0o755 });
  writeFileSync(path.join(top, 'etcdctl'), '#!/bin/sh\necho etcdctl 9\n', { mode: 0o755 });
  writeFileSync(path.join(top, 'doc', 'README.md'), 'release notes\n');
  symlinkSync('etcd', path.join(top, 'etcd-server'));
  spawnSync('tar', ['-czf', path.join(dir, 'etcd-v9.tar.gz'), '-C', path.join(dir, 'src'), 'etcd-v9']);
  spawnSync('python3', ['-c', 'import shutil,sys; shutil.make_archive(sys.argv[1], "zip", sys.argv[2], "etcd-v9/doc")', path.join(dir, 'docs'), path.join(dir, 'src')]);
  return { tgz: readFileSync(path.join(dir, 'etcd-v9.tar.gz')), zip: path.join(dir, 'docs.zip') };
}

t.test('get_url + unarchive on lab hosts', async (t) => {
  const lab = await withLab(t, { hosts: 2, name: 'http-get', subnetIndex: 44 });
  const dir = tempDir(t, 'e2e-http-');
  const inv = writeInventory(lab, dir);
  const { tgz, zip } = release(dir);
  const ca = createCA({ cn: 'bosun test CA', keyBits: 2048 });
  const leaf = issueCert({ ca, cn: lab.gateway, sans: [lab.gateway], profile: 'server' });
  const guard = (h: Handler) => basicAuth('deploy', PW, h);
  let health = 0;
  const srv = await startServer(
    t,
    lab.gateway,
    {
      '/etcd-v9.tar.gz': guard(bytes(tgz)),
      '/SHA256SUMS': guard(bytes(`${sha256('x')}  etcd-v8.tar.gz\n${sha256(tgz)}  etcd-v9.tar.gz\n`)),
      // healthy from the third request on: the uri task's until/retries loop waits for it
      '/health': (_req, res) => {
        health++;
        res.writeHead(health >= 3 ? 200 : 503, { 'content-type': 'application/json' });
        res.end(JSON.stringify({ health: String(health >= 3) }));
      },
    },
    { key: leaf.keyPem, cert: leaf.certPem },
  );
  // the hosts trust the test CA already (as a site's hosts trust its CA)
  for (const h of HOSTS) {
    const r = await remote(lab, h, 'mkdir -p /etc/bosun-http && cat > /etc/bosun-http/ca.pem', ca.certPem);
    t.equal(r.code, 0, r.err);
  }
  const hostAddr = srv.base.replace('https://', '');
  const site = path.join(dir, 'site.yml');
  writeFileSync(
    site,
    `
- hosts: all
  gather_facts: false
  vars:
    base: ${srv.base}
    tls: { ca_path: /etc/bosun-http/ca.pem }
  tasks:
    - name: release tarball
      get_url:
        url: "{{ base }}/etcd-v9.tar.gz"
        dest: /opt/etcd-v9.tar.gz
        checksum: "sha256:{{ base }}/SHA256SUMS"
        ca_path: /etc/bosun-http/ca.pem
        url_username: deploy
        url_password: "{{ http_pw }}"
        mode: "0640"
    - name: install dir
      file: { path: /opt/etcd, state: directory, mode: "0755" }
    - name: unpack
      unarchive: { src: /opt/etcd-v9.tar.gz, remote_src: true, dest: /opt/etcd, extra_opts: [--strip-components=1], include: ["*/etcd", "*/etcdctl", "*/etcd-server"] }
    - name: docs from the control node
      unarchive: { src: ${zip}, dest: /opt/etcd, list_files: true }
    - name: credentials in the url
      get_url: { url: "https://deploy:{{ http_pw }}@${hostAddr}/etcd-v9.tar.gz", dest: /opt/copy2.tgz, validate_certs: false }
    - name: credentials in a header
      get_url: { url: "{{ base }}/etcd-v9.tar.gz", dest: /opt/copy3.tgz, ca_path: /etc/bosun-http/ca.pem, headers: { Authorization: "Basic ${TOKEN}" } }
    - name: health
      uri: { url: "{{ base }}/health", ca_path: /etc/bosun-http/ca.pem, headers: { Authorization: "Basic ${TOKEN}" } }
      register: h
      until: h.status == 200 and h.json.health == "true"
      retries: 5
      delay: 0
    - name: health seen
      assert: { that: ['h.json.health == "true"'] }
`,
  );
  const vars = path.join(dir, 'vars.yml');
  writeFileSync(vars, `http_pw: ${PW}\n`);
  const tasks = 6; // changing tasks (health and its assert report ok)
  const leaks = (label: string, text: string) => {
    t.notMatch(text, PW, `${label}: the password is never printed`);
    t.notMatch(text, TOKEN, `${label}: the Authorization token is never printed`);
  };

  const before = await Promise.all(HOSTS.map((h) => hashHost(lab, h)));
  const check = await bosunRun([site, '-i', inv, '-e', `@${vars}`, '--check', '--diff', '-vvv']);
  t.equal(check.code, 0, check.out + check.err);
  leaks('check -vvv', check.out + check.err);
  t.same(await Promise.all(HOSTS.map((h) => hashHost(lab, h))), before, '--check left every host byte-identical');
  for (const h of HOSTS) t.equal(parseRecap(check.out)[h]!.changed, tasks, `${h}: check predicts all ${tasks} changes`);
  t.notMatch(check.out, /skipped in check mode/);

  const r1 = await bosunRun([site, '-i', inv, '-e', `@${vars}`, '-vvv']);
  t.equal(r1.code, 0, r1.out + r1.err);
  leaks('run -vvv', r1.out + r1.err);
  for (const h of HOSTS) t.equal(parseRecap(r1.out)[h]!.changed, tasks, `${h}: ${tasks} changed`);
  const got = await remote(lab, 'node1', 'sha256sum < /opt/etcd-v9.tar.gz; stat -c %a /opt/etcd-v9.tar.gz; ls -A /opt/etcd | sort | tr "\\n" " "; echo; readlink /opt/etcd/etcd-server; sha256sum < /opt/etcd/etcd; cat /opt/etcd/etcd-v9/doc/README.md; ls -A /opt | grep -c bosun');
  t.equal(
    got.out.toString(),
    `${sha256(tgz)}  -\n640\netcd etcd-server etcd-v9 etcdctl \netcd\n${sha256(readFileSync(path.join(dir, 'src/etcd-v9/etcd')))}  -\nrelease notes\n0\n`,
    'node1: the tarball, its members, the docs; no temp file',
  );

  const downloads = () => srv.hits('/etcd-v9.tar.gz').filter((r) => r.headers.authorization && !r.headers['if-modified-since']).length;
  const n = downloads();
  const r2 = await bosunRun([site, '-i', inv, '-e', `@${vars}`, '--output', 'json']);
  t.equal(r2.code, 0, r2.out + r2.err);
  leaks('rerun json', r2.out + r2.err);
  t.equal(downloads(), n, 'rerun: nothing downloaded again');
  const r3 = await bosunRun([site, '-i', inv, '-e', `@${vars}`, '-vvv']);
  for (const h of HOSTS) t.equal(parseRecap(r3.out)[h]!.changed, 0, `${h}: rerun changed=0`);
  // no-op: at most one request per task and host besides the batched file probes (label probe+N)
  const own = new Map<string, number>();
  let task = '';
  for (const line of r3.out.split('\n')) {
    const banner = /^TASK \[(.*)\] \*+$/.exec(line);
    if (banner) task = banner[1]!;
    const m = /^\[(node\d)\] ([\w:.+-]+): "/.exec(line);
    if (m && !m[2]!.startsWith('probe')) own.set(`${task} @${m[1]}`, (own.get(`${task} @${m[1]}`) ?? 0) + 1);
  }
  t.ok([...own.values()].every((n) => n <= 1), `no-op: one request per task and host at most: ${JSON.stringify(Object.fromEntries(own))}`);
  t.ok((parseSummary(r3.out)?.requests ?? 99) <= (tasks + 2) * HOSTS.length, `no-op total: ${parseSummary(r3.out)?.requests} requests`);

  // a tampered download: nothing lands at dest, no temp file, and the failure names both digests
  const bad = path.join(dir, 'bad.yml');
  writeFileSync(bad, `- hosts: node1\n  gather_facts: false\n  tasks:\n    - get_url: { url: "${srv.base}/etcd-v9.tar.gz", dest: /opt/bad.tgz, checksum: "sha256:${sha256('genuine')}", ca_path: /etc/bosun-http/ca.pem, url_username: deploy, url_password: "{{ http_pw }}" }\n`);
  const rb = await bosunRun([bad, '-i', inv, '-e', `@${vars}`, '-vvv']);
  t.equal(rb.code, 2);
  t.match(rb.out, `did not match ${sha256('genuine')}; it was ${sha256(tgz)}`);
  leaks('mismatch -vvv', rb.out + rb.err);
  const after = await remote(lab, 'node1', 'ls -A /opt | grep -c -e bad.tgz -e bosun-get');
  t.equal(after.out.toString(), '0\n', 'nothing at dest, no temp file');
});
