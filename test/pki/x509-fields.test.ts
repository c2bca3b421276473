// inspectCert reads certificates without node-forge (lib/pki/x509-fields.ts). node-forge's own parse
// is the reference here: every field bosun compares must come out the same, for the certificates
// bosun makes and for shapes it may meet on a host (other EKUs, GeneralizedTime, serials with a
// leading zero byte, UTF-8 names, IPv6 SANs, no extensions at all).
import t from 'tap';
import { createRequire } from 'node:module';
import type forge from 'node-forge';
import { createCA, generateKey, inspectCert, issueCert, parseSan, type CertInfo } from '../../lib/pki/pki.js';
import { x509Fields } from '../../lib/pki/x509-fields.js';

const F = createRequire(import.meta.url)('node-forge') as typeof forge;

/** The fields as node-forge reads them (what bosun used before x509-fields.ts). */
function forgeInfo(pem: string): CertInfo {
  const cert = F.pki.certificateFromPem(pem);
  const ext = (name: string): Record<string, unknown> | undefined => cert.getExtension(name) as Record<string, unknown> | undefined;
  const cn = (attrs: forge.pki.CertificateField[]): string | undefined => {
    const a = attrs.find((x) => x.shortName === 'CN' || x.name === 'commonName');
    return typeof a?.value === 'string' ? a.value : undefined;
  };
  const sans = ((ext('subjectAltName')?.altNames ?? []) as Array<{ type: number; value: string; ip?: string }>).flatMap((n) =>
    n.type === 2 ? [{ type: 'DNS' as const, value: n.value }] : n.type === 7 && n.ip ? [parseSan(n.ip)] : [],
  );
  const eku = ext('extKeyUsage');
  const ku = ext('keyUsage');
  const KU = ['digitalSignature', 'nonRepudiation', 'keyEncipherment', 'dataEncipherment', 'keyAgreement', 'keyCertSign', 'cRLSign', 'encipherOnly', 'decipherOnly'];
  const aki = ext('authorityKeyIdentifier');
  let akiHex: string | undefined;
  if (aki && typeof aki.value === 'string') {
    const seq = F.asn1.fromDer(aki.value);
    for (const part of seq.value as forge.asn1.Asn1[]) {
      if (part.tagClass === F.asn1.Class.CONTEXT_SPECIFIC && part.type === 0) akiHex = F.util.bytesToHex(part.value as string).toLowerCase();
    }
  }
  const ski = ext('subjectKeyIdentifier');
  const sigOid = (cert as unknown as { siginfo: { algorithmOid: string } }).siginfo.algorithmOid;
  return {
    cn: cn(cert.subject.attributes),
    sans,
    ekus: eku ? Object.keys(eku).filter((k) => eku[k] === true && k !== 'critical') : [],
    keyUsages: ku ? KU.filter((k) => ku[k] === true) : [],
    notBefore: cert.validity.notBefore,
    notAfter: cert.validity.notAfter,
    serialHex: cert.serialNumber.toLowerCase(),
    issuerCn: cn(cert.issuer.attributes),
    ski: typeof ski?.subjectKeyIdentifier === 'string' ? ski.subjectKeyIdentifier.toLowerCase() : undefined,
    aki: akiHex,
    isCA: ext('basicConstraints')?.cA === true,
    sigAlg: (F.pki.oids[sigOid] as string | undefined) ?? sigOid,
    keyBits: (cert.publicKey as forge.pki.rsa.PublicKey).n.bitLength(),
  };
}

const key = generateKey(2048);

/** A certificate built directly with node-forge, for shapes bosun itself does not make. */
function custom(opts: {
  serial: string;
  cn: string;
  notAfter: Date;
  extensions: unknown[];
  md?: 'sha256' | 'sha1' | 'sha512';
  issuerCn?: string;
}): string {
  const k = F.pki.privateKeyFromPem(key);
  const c = F.pki.createCertificate();
  c.publicKey = F.pki.setRsaPublicKey(k.n, k.e);
  c.serialNumber = opts.serial;
  c.validity.notBefore = new Date(Date.UTC(2020, 0, 2, 3, 4, 5));
  c.validity.notAfter = opts.notAfter;
  c.setSubject([{ name: 'organizationName', value: 'bosun' }, { name: 'commonName', value: opts.cn, valueTagClass: F.asn1.Type.UTF8 } as forge.pki.CertificateField]);
  c.setIssuer([{ name: 'commonName', value: opts.issuerCn ?? opts.cn }]);
  c.setExtensions(opts.extensions as never);
  c.sign(k, F.md[opts.md ?? 'sha256'].create());
  return F.pki.certificateToPem(c);
}

t.test('certificates bosun makes read the same as node-forge reads them', async (t) => {
  const ca = createCA({ cn: 'etcd-ca', keyPem: key });
  const cases: Array<[string, string]> = [['CA', ca.certPem]];
  for (const profile of ['server+client', 'server', 'client'] as const) {
    const leaf = issueCert({ ca, cn: `node-${profile}`, sans: ['10.66.0.11', 'node1.lab.local', 'fd00::a:1', 'node1'], profile, keyPem: key });
    cases.push([profile, leaf.certPem]);
  }
  cases.push(['no SANs', issueCert({ ca, cn: 'admin', sans: [], profile: 'client', keyPem: key }).certPem]);
  for (const [name, pem] of cases) t.same(inspectCert(pem), forgeInfo(pem), name);
  const leaf = inspectCert(cases[1]![1]);
  t.same(leaf.sans.map((s) => `${s.type}:${s.value}`), ['IP:10.66.0.11', 'DNS:node1.lab.local', 'IP:fd00::a:1', 'DNS:node1'], 'SANs in order, IPv6 canonical');
  t.equal(leaf.aki, inspectCert(ca.certPem).ski, 'the leaf names its CA key');
});

t.test('shapes met on hosts', async (t) => {
  const shapes: Array<[string, string]> = [
    [
      'other EKUs, every key usage bit, GeneralizedTime after 2049, leading-zero serial, UTF-8 CN',
      custom({
        serial: '00ff01',
        cn: 'nœud-é',
        notAfter: new Date(Date.UTC(2061, 5, 7, 8, 9, 10)),
        extensions: [
          { name: 'basicConstraints', cA: false },
          { name: 'keyUsage', digitalSignature: true, nonRepudiation: true, keyEncipherment: true, dataEncipherment: true, keyAgreement: true, keyCertSign: true, cRLSign: true, encipherOnly: true, decipherOnly: true },
          { name: 'extKeyUsage', serverAuth: true, codeSigning: true, emailProtection: true, timeStamping: true, clientAuth: true },
          { name: 'subjectAltName', altNames: [{ type: 2, value: 'a.example' }, { type: 7, ip: '::1' }, { type: 7, ip: '127.0.0.1' }] },
          { name: 'subjectKeyIdentifier' },
        ],
      }),
    ],
    ['no extensions, SHA-1', custom({ serial: '01', cn: 'bare', notAfter: new Date(Date.UTC(2030, 0, 1)), extensions: [], md: 'sha1' })],
    ['CA:TRUE, SHA-512, other issuer', custom({ serial: '7f', cn: 'mid', issuerCn: 'root', notAfter: new Date(Date.UTC(2049, 11, 31, 23, 59, 59)), extensions: [{ name: 'basicConstraints', cA: true, pathLenConstraint: 0 }], md: 'sha512' })],
  ];
  // node-forge hands back a UTF8String's bytes undecoded ('nÅ\u0093ud-Ã©'); openssl and bosun read 'nœud-é'
  const utf8 = (i: CertInfo): CertInfo => ({ ...i, cn: i.cn === undefined ? undefined : Buffer.from(i.cn, 'latin1').toString('utf8') });
  for (const [name, pem] of shapes) t.same(inspectCert(pem), utf8(forgeInfo(pem)), name);
  const odd = inspectCert(shapes[0]![1]);
  t.equal(odd.cn, 'nœud-é', 'UTF-8 common name decoded (openssl x509 -nameopt utf8 prints the same)');
  t.equal(odd.serialHex, '00ff01');
  t.equal(odd.notAfter.toISOString(), '2061-06-07T08:09:10.000Z');
  t.same(odd.ekus, ['serverAuth', 'codeSigning', 'emailProtection', 'timeStamping', 'clientAuth']);
  t.equal(odd.keyUsages.length, 9);
});

t.test('garbage is refused with a clear message', async (t) => {
  t.throws(() => x509Fields(Buffer.from([0x30, 0x82, 0xff])), /not an X.509 certificate/);
  t.throws(() => x509Fields(Buffer.from([0x30, 0x03, 0x02, 0x01, 0x00])), /not an X.509 certificate/);
  t.throws(() => inspectCert('-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n'));
});
