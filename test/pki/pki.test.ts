import t from 'tap';
import { execFileSync, spawnSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { X509Certificate } from 'node:crypto';
import {
  createCA,
  describeCert,
  generateKey,
  generateKeyAsync,
  inspectCert,
  issueCert,
  keyMatchesCert,
  parseSan,
  verifySignedBy,
  whyRecreateCA,
  whyReissue,
} from '../../lib/pki/pki.js';

const ca = createCA();
const sans = ['node1.mydomain.com', 'node1', '10.66.0.14', 'fd00::0:1'];
// when the leaf was made: the validity checks below run later, minutes later on a loaded machine
const issuedFrom = Date.now();
const leaf = issueCert({ ca, cn: 'node1', sans, profile: 'server+client' });
const issuedTo = Date.now();

function openssl(args: string[]): string {
  return execFileSync('openssl', args, { encoding: 'utf8' });
}

t.test('openssl sees the cfssl node profile', async (t) => {
  const dir = t.testdir({ 'ca.pem': ca.certPem, 'node1.pem': leaf.certPem });
  const text = openssl(['x509', '-noout', '-text', '-in', join(dir, 'node1.pem')]);
  t.match(text, /Signature Algorithm: sha256WithRSAEncryption/);
  t.match(text, /X509v3 Key Usage: critical\s+Digital Signature, Key Encipherment\n/);
  t.match(text, /X509v3 Extended Key Usage: ?\s+TLS Web Server Authentication, TLS Web Client Authentication/);
  t.match(text, /X509v3 Basic Constraints: critical\s+CA:FALSE/);
  t.match(text, /Subject: CN ?= ?node1\n/);
  t.match(text, /Issuer: CN ?= ?CA\n/);
  t.match(text, /DNS:node1\.mydomain\.com, DNS:node1, IP Address:10\.66\.0\.14, IP Address:FD00:0:0:0:0:0:0:1/i);
  const aki = /Authority Key Identifier: ?\s+(?:keyid:)?([0-9A-F:]+)/.exec(text)?.[1];
  const caText = openssl(['x509', '-noout', '-text', '-in', join(dir, 'ca.pem')]);
  const caSki = /Subject Key Identifier: ?\s+([0-9A-F:]+)/.exec(caText)?.[1];
  t.ok(aki, 'leaf has an AKI');
  t.equal(aki, caSki, 'AKI is the CA SKI');
  const leafSki = /Subject Key Identifier: ?\s+([0-9A-F:]+)/.exec(text)?.[1];
  t.not(leafSki, caSki, 'leaf SKI is its own');

  for (const purpose of ['sslserver', 'sslclient']) {
    const out = openssl(['verify', '-CAfile', join(dir, 'ca.pem'), '-purpose', purpose, join(dir, 'node1.pem')]);
    t.match(out, /node1\.pem: OK/, `verify -purpose ${purpose}`);
  }
});

t.test('openssl sees the cfssl CA profile', async (t) => {
  const dir = t.testdir({ 'ca.pem': ca.certPem });
  const text = openssl(['x509', '-noout', '-text', '-in', join(dir, 'ca.pem')]);
  t.match(text, /Signature Algorithm: sha256WithRSAEncryption/);
  t.match(text, /X509v3 Key Usage: critical\s+Certificate Sign, CRL Sign\n/);
  t.match(text, /X509v3 Basic Constraints: critical\s+CA:TRUE\n/);
  t.match(text, /Subject Key Identifier/);
  t.notMatch(text, /Extended Key Usage|Alternative Name/);
  t.match(text, /Subject: CN ?= ?CA\n/);
});

t.test('server-only and client-only profiles', async (t) => {
  const dir = t.testdir({ 'ca.pem': ca.certPem });
  const server = issueCert({ ca, cn: 's', sans: ['s.example'], profile: 'server' });
  const client = issueCert({ ca, cn: 'admin', sans: [], profile: 'client' });
  writeFileSync(join(dir, 's.pem'), server.certPem);
  writeFileSync(join(dir, 'c.pem'), client.certPem);
  t.same(inspectCert(server.certPem).ekus, ['serverAuth']);
  t.same(inspectCert(client.certPem).ekus, ['clientAuth']);
  t.same(inspectCert(client.certPem).sans, [], 'no SAN extension when none given');
  const verify = (f: string, p: string) =>
    spawnSync('openssl', ['verify', '-CAfile', join(dir, 'ca.pem'), '-purpose', p, join(dir, f)]).status;
  t.equal(verify('s.pem', 'sslserver'), 0);
  t.not(verify('s.pem', 'sslclient'), 0, 'server-only cert is refused as a client');
  t.equal(verify('c.pem', 'sslclient'), 0);
  t.not(verify('c.pem', 'sslserver'), 0);
});

t.test('keys, serial, validity', async (t) => {
  t.match(leaf.keyPem, /^-----BEGIN RSA PRIVATE KEY-----\n/, 'PKCS#1 like cfssljson');
  t.match(ca.keyPem, /^-----BEGIN RSA PRIVATE KEY-----\n/);
  t.match(generateKey(2048), /^-----BEGIN RSA PRIVATE KEY-----\n/);
  t.match(await generateKeyAsync(2048), /^-----BEGIN RSA PRIVATE KEY-----\n/);
  t.ok(keyMatchesCert(leaf.keyPem, leaf.certPem));
  t.notOk(keyMatchesCert(ca.keyPem, leaf.certPem));
  t.notOk(keyMatchesCert('garbage', leaf.certPem));

  for (const pem of [ca.certPem, leaf.certPem]) {
    const serial = inspectCert(pem).serialHex;
    t.equal(serial.length, 40, '20 bytes');
    t.ok(parseInt(serial.slice(0, 2), 16) < 0x80, 'top bit clear');
    t.equal(new X509Certificate(pem).serialNumber.toLowerCase(), serial, 'node:crypto agrees');
  }
  const info = inspectCert(leaf.certPem);
  t.equal(info.notBefore.getUTCSeconds(), 0, 'truncated to the minute');
  const back = (at: number): number => at - info.notBefore.getTime();
  // made at T in [issuedFrom, issuedTo], notBefore = T - 5 min truncated to the minute: T - notBefore in [5, 6) min
  t.ok(back(issuedTo) >= 5 * 60_000 && back(issuedFrom) < 6 * 60_000, 'backdated 5 min (then truncated to the minute)');
  t.equal(info.notAfter.getTime() - info.notBefore.getTime(), 43_800 * 3_600_000, '43800h');
  t.equal(info.sigAlg, 'sha256WithRSAEncryption');
  t.equal(info.keyBits, 2048);
  t.equal(info.issuerCn, 'CA');
  t.equal(info.aki, inspectCert(ca.certPem).ski);
  t.notOk(info.isCA);
  t.ok(inspectCert(ca.certPem).isCA);

  const short = issueCert({ ca, cn: 'x', sans: [], expiryHours: 24 });
  const si = inspectCert(short.certPem);
  t.equal(si.notAfter.getTime() - si.notBefore.getTime(), 24 * 3_600_000);
  // A given key is used as is (PKCS#8 input comes back as PKCS#1).
  const pk8 = (await import('node:crypto')).createPrivateKey(leaf.keyPem).export({ type: 'pkcs8', format: 'pem' }).toString();
  const reused = issueCert({ ca, cn: 'node1', sans, keyPem: pk8 });
  t.match(reused.keyPem, /BEGIN RSA PRIVATE KEY/);
  t.ok(keyMatchesCert(leaf.keyPem, reused.certPem));
});

t.test('SAN typing and order', async (t) => {
  t.same(parseSan('10.0.0.1'), { type: 'IP', value: '10.0.0.1' });
  t.same(parseSan('0:0::1'), { type: 'IP', value: '::1' }, 'IPv6 canonical');
  t.same(parseSan('node1'), { type: 'DNS', value: 'node1' });
  t.same(parseSan('10.0.0.256'), { type: 'DNS', value: '10.0.0.256' }, 'not an IP: DNS, as cfssl');
  t.same(
    inspectCert(leaf.certPem).sans,
    [
      { type: 'DNS', value: 'node1.mydomain.com' },
      { type: 'DNS', value: 'node1' },
      { type: 'IP', value: '10.66.0.14' },
      { type: 'IP', value: 'fd00::1' },
    ],
    'given order kept',
  );
});

t.test('verifySignedBy', async (t) => {
  const other = createCA({ cn: 'CA' });
  t.ok(verifySignedBy(leaf.certPem, ca.certPem));
  t.notOk(verifySignedBy(leaf.certPem, other.certPem), 'same CN, other key');
  t.notOk(verifySignedBy(leaf.certPem, 'not a pem'));
  t.ok(verifySignedBy(ca.certPem, ca.certPem), 'self-signed');
});

t.test('whyReissue', async (t) => {
  const wanted = { cn: 'node1', sans, profile: 'server+client' as const };
  const existing = { certPem: leaf.certPem, keyPem: leaf.keyPem };
  t.equal(whyReissue(existing, wanted, ca.certPem, 30), undefined, 'matching cert is kept');
  t.equal(
    whyReissue(existing, { ...wanted, sans: ['NODE1', '10.66.0.14', 'node1.mydomain.com', 'fd00::1'] }, ca.certPem, 30),
    undefined,
    'SANs compare as sets, DNS case-insensitive, IPv6 canonical',
  );
  t.equal(whyReissue(existing, { ...wanted, cn: 'node2' }, ca.certPem, 30), 'CN differs: node1 → node2');
  t.equal(
    whyReissue(existing, { ...wanted, sans: ['node1.mydomain.com', 'node1', 'fd00::1'] }, ca.certPem, 30),
    'SANs differ: extra IP:10.66.0.14',
  );
  t.equal(
    whyReissue(existing, { ...wanted, sans: [...sans, '10.66.0.15'] }, ca.certPem, 30),
    'SANs differ: missing IP:10.66.0.15',
  );
  t.match(whyReissue(existing, { ...wanted, profile: 'server' }, ca.certPem, 30), /^profile differs/);
  const other = createCA();
  t.equal(whyReissue(existing, wanted, other.certPem, 30), 'not signed by the current CA');
  t.equal(
    whyReissue({ certPem: leaf.certPem, keyPem: ca.keyPem }, wanted, ca.certPem, 30),
    'key does not match the certificate',
  );
  t.equal(whyReissue(existing, { ...wanted, keyBits: 4096 }, ca.certPem, 30), 'key size differs: 2048 → 4096');
  // 43800 h ≈ 1825 days: a renew window longer than that forces renewal.
  t.match(whyReissue(existing, wanted, ca.certPem, 2000), /^expires on .* within renew_before \(2000d\)/);
  t.match(whyReissue(existing, wanted, ca.certPem, 0, new Date(Date.now() + 6 * 365 * 86_400_000)), /^expired on/);
  t.match(whyReissue({ certPem: 'junk' }, wanted, ca.certPem, 30), /cannot be read/);
  t.match(whyReissue({ certPem: ca.certPem }, { ...wanted, cn: 'CA', sans: [] }, ca.certPem, 30), /profile differs/);
});

t.test('whyRecreateCA and describeCert', async (t) => {
  t.equal(whyRecreateCA(ca, 30), undefined);
  t.equal(whyRecreateCA({ certPem: leaf.certPem }, 30), 'existing ca.pem is not a CA certificate');
  t.equal(whyRecreateCA({ certPem: ca.certPem, keyPem: leaf.keyPem }, 30), 'CA key does not match ca.pem');
  t.match(whyRecreateCA(ca, 3000), /^CA expires on/);
  t.match(whyRecreateCA(ca, 0, new Date(Date.now() + 6 * 365 * 86_400_000)), /^CA expired on/);
  t.match(whyRecreateCA({ certPem: 'x' }, 30), /cannot be read/);
  const text = describeCert(inspectCert(leaf.certPem));
  t.match(text, /^subject: CN=node1\nSANs: DNS:node1\.mydomain\.com, DNS:node1, IP:10\.66\.0\.14, IP:fd00::1\nEKU: serverAuth, clientAuth\n/);
  t.match(text, /issuer: CN=CA\nnotAfter: \d{4}-/);
  t.notMatch(text, /PRIVATE|BEGIN/);
});
