// Certificates exactly as the etcd guide's cfssl 1.2 commands produce them (see shared/etcd-notes.md,
// "The cfssl profile the guide produces"): pure functions over node-forge (certificate building)
// and node:crypto (key generation, signature and key checks). No file I/O here.

import { x509Fields } from './x509-fields.js';
import { generateKeyPair, generateKeyPairSync, randomBytes, X509Certificate, createPrivateKey } from 'node:crypto';
import { isIP, isIPv4 } from 'node:net';
import { promisify } from 'node:util';
import { createRequire } from 'node:module';
import type forge from 'node-forge';

// node-forge is loaded on first use, i.e. only when a certificate is made: its load costs ~0.3 s of
// CPU, which a no-op run (inspection only, x509-fields.ts) never pays.
const requireCjs = createRequire(import.meta.url);
let forgeLib: typeof forge | undefined;
function F(): typeof forge {
  return (forgeLib ??= requireCjs('node-forge') as typeof forge);
}


export type CertProfile = 'server+client' | 'server' | 'client';
export const PROFILES: readonly CertProfile[] = ['server+client', 'server', 'client'];

export interface PemPair {
  certPem: string;
  keyPem: string;
}

export interface SanEntry {
  type: 'DNS' | 'IP';
  value: string;
}

export interface CertInfo {
  cn: string | undefined;
  sans: SanEntry[];
  /** Extended key usages by forge name, e.g. ['serverAuth', 'clientAuth']. */
  ekus: string[];
  /** Key usages by name, e.g. ['digitalSignature', 'keyEncipherment']. */
  keyUsages: string[];
  notBefore: Date;
  notAfter: Date;
  serialHex: string;
  issuerCn: string | undefined;
  /** Lower-case hex, no separators. */
  ski: string | undefined;
  aki: string | undefined;
  isCA: boolean;
  /** e.g. 'sha256WithRSAEncryption'. */
  sigAlg: string;
  /** RSA modulus size in bits. */
  keyBits: number;
}


const DAY_MS = 86_400_000;
const HOUR_MS = 3_600_000;

/** The guide's 43800h (5 years). */
export const DEFAULT_EXPIRY_HOURS = 43_800;

// ---------------------------------------------------------------------------------------------
// Keys

/** RSA key as PKCS#1 PEM (`RSA PRIVATE KEY`, as cfssljson writes). Native keygen: ~0.1–0.3 s for 2048 bits. */
export function generateKey(bits = 2048): string {
  return generateKeyPairSync('rsa', {
    modulusLength: bits,
    publicKeyEncoding: { type: 'spki', format: 'pem' },
    privateKeyEncoding: { type: 'pkcs1', format: 'pem' },
  }).privateKey;
}

const generateKeyPairAsync = promisify(generateKeyPair);

/** Same as generateKey, on libuv's thread pool so parallel hosts do not block the event loop. */
export async function generateKeyAsync(bits = 2048): Promise<string> {
  const { privateKey } = await generateKeyPairAsync('rsa', {
    modulusLength: bits,
    publicKeyEncoding: { type: 'spki', format: 'pem' },
    privateKeyEncoding: { type: 'pkcs1', format: 'pem' },
  });
  return privateKey;
}

// ---------------------------------------------------------------------------------------------
// Issuing

/** 20 random bytes, top bit clear (positive INTEGER) and first byte non-zero (minimal DER, exactly 20 bytes). */
function serialHex(): string {
  const b = randomBytes(20);
  b[0] = (b[0]! & 0x7f) || 0x01;
  return b.toString('hex');
}

/** cfssl backdates to the minute minus 5 minutes (clock skew between CA host and peers). */
export function validityWindow(expiryHours: number, now = new Date()): { notBefore: Date; notAfter: Date } {
  const notBefore = new Date(Math.floor(now.getTime() / 60_000) * 60_000 - 5 * 60_000);
  return { notBefore, notAfter: new Date(notBefore.getTime() + expiryHours * HOUR_MS) };
}

function ekusFor(profile: CertProfile): string[] {
  if (profile === 'server') return ['serverAuth'];
  if (profile === 'client') return ['clientAuth'];
  return ['serverAuth', 'clientAuth'];
}

export interface CreateCAOptions {
  cn?: string;
  keyBits?: number;
  expiryHours?: number;
  /** Use this key instead of generating one (PKCS#1 or PKCS#8 PEM). */
  keyPem?: string;
  now?: Date;
}

/** A new key (or the given one) and an unsigned certificate with serial and validity window set. */
function blankCert(opts: { keyPem?: string; keyBits?: number; expiryHours?: number; now?: Date }): { keyPem: string; cert: forge.pki.Certificate } {
  const keyPem = opts.keyPem ?? generateKey(opts.keyBits ?? 2048);
  const key = F().pki.privateKeyFromPem(keyPem);
  const cert = F().pki.createCertificate();
  cert.publicKey = F().pki.setRsaPublicKey(key.n, key.e);
  cert.serialNumber = serialHex();
  const { notBefore, notAfter } = validityWindow(opts.expiryHours ?? DEFAULT_EXPIRY_HOURS, opts.now);
  cert.validity.notBefore = notBefore;
  cert.validity.notAfter = notAfter;
  return { keyPem, cert };
}

/** Self-signed CA as `cfssl gencert -initca` makes it from {"CN":"CA","key":{"algo":"rsa","size":2048}}. */
export function createCA(opts: CreateCAOptions = {}): PemPair {
  const cn = opts.cn ?? 'CA';
  const { keyPem, cert } = blankCert(opts);
  const subject = [{ shortName: 'CN', value: cn }];
  cert.setSubject(subject);
  cert.setIssuer(subject);
  cert.setExtensions([
    { name: 'keyUsage', critical: true, keyCertSign: true, cRLSign: true },
    { name: 'basicConstraints', critical: true, cA: true },
    { name: 'subjectKeyIdentifier' },
  ]);
  cert.sign(F().pki.privateKeyFromPem(keyPem), F().md.sha256.create());
  return { certPem: F().pki.certificateToPem(cert), keyPem: toPkcs1Pem(keyPem) };
}

export interface IssueOptions {
  ca: PemPair;
  cn: string;
  sans: readonly string[];
  profile?: CertProfile;
  expiryHours?: number;
  keyBits?: number;
  /** Use this key instead of generating one. */
  keyPem?: string;
  now?: Date;
}

/** Leaf certificate as `cfssl gencert -config=ca-config.json -hostname=…` makes it (the guide's node profile). */
export function issueCert(opts: IssueOptions): PemPair {
  const caCert = F().pki.certificateFromPem(opts.ca.certPem);
  const caKey = F().pki.privateKeyFromPem(opts.ca.keyPem);
  const caSki = extensionSki(caCert);
  if (!caSki) throw new Error('CA certificate has no subjectKeyIdentifier; cannot set authorityKeyIdentifier');
  const { keyPem, cert } = blankCert(opts);
  cert.setSubject([{ shortName: 'CN', value: opts.cn }]);
  cert.setIssuer(caCert.subject.attributes);
  const eku: Record<string, unknown> = { name: 'extKeyUsage' };
  for (const u of ekusFor(opts.profile ?? 'server+client')) eku[u] = true;
  const exts: object[] = [
    { name: 'keyUsage', critical: true, digitalSignature: true, keyEncipherment: true },
    eku,
    { name: 'basicConstraints', critical: true, cA: false },
    { name: 'subjectKeyIdentifier' },
    // keyIdentifier: true would write the subject's own id (forge bug); pass the CA's bytes.
    { name: 'authorityKeyIdentifier', keyIdentifier: F().util.hexToBytes(caSki) },
  ];
  const sans = opts.sans.map(parseSan);
  if (sans.length > 0) {
    exts.push({
      name: 'subjectAltName',
      altNames: sans.map((s) => (s.type === 'IP' ? { type: 7, ip: s.value } : { type: 2, value: s.value })),
    });
  }
  cert.setExtensions(exts);
  cert.sign(caKey, F().md.sha256.create());
  return { certPem: F().pki.certificateToPem(cert), keyPem: toPkcs1Pem(keyPem) };
}

/** cfssl's rule: a -hostname value that parses as an IP is an IP SAN, anything else DNS. */
export function parseSan(value: string): SanEntry {
  const v = value.trim();
  // an IPv6 address has a ':'; without one only IPv4 is asked (net's IPv6 pattern costs ~8 ms to build)
  const fam = v.includes(':') ? isIP(v) : isIPv4(v) ? 4 : 0;
  if (fam === 4) return { type: 'IP', value: v };
  if (fam === 6) return { type: 'IP', value: canonicalIPv6(v) };
  return { type: 'DNS', value: v };
}

export function formatSan(s: SanEntry): string {
  return `${s.type}:${s.value}`;
}

function canonicalIPv6(v: string): string {
  // The URL parser implements RFC 5952 compression, so "::1" and "0:0::1" compare equal.
  return new URL(`http://[${v}]/`).hostname.slice(1, -1);
}

function toPkcs1Pem(keyPem: string): string {
  if (keyPem.includes('BEGIN RSA PRIVATE KEY')) return keyPem;
  return createPrivateKey(keyPem).export({ type: 'pkcs1', format: 'pem' }).toString();
}

// ---------------------------------------------------------------------------------------------
// Inspection

function findExt(cert: forge.pki.Certificate, name: string): Record<string, unknown> | undefined {
  return cert.getExtension(name) as Record<string, unknown> | undefined;
}

function extensionSki(cert: forge.pki.Certificate): string | undefined {
  const e = findExt(cert, 'subjectKeyIdentifier');
  return typeof e?.subjectKeyIdentifier === 'string' ? e.subjectKeyIdentifier.toLowerCase() : undefined;
}

/**
 * A run asks the same questions of the same PEMs per host and task (the CA once per certificate it
 * checks, the admin pair on every member); the answers depend on the text only. Bounded: a memo is
 * emptied once it holds 256 answers.
 */
function remember<T>(memo: Map<string, T>, key: string, compute: () => T): T {
  let r = memo.get(key);
  if (r === undefined) {
    r = compute();
    if (memo.size >= 256) memo.clear();
    memo.set(key, r);
  }
  return r;
}

const inspected = new Map<string, Readonly<CertInfo>>();

/** Parses a PEM certificate (without node-forge: see x509-fields.ts). Throws on garbage. Frozen: callers share the answer. */
export function inspectCert(pem: string): CertInfo {
  return remember(inspected, pem, () => {
    const parsed = parseCert(pem);
    for (const list of [parsed.sans, parsed.ekus, parsed.keyUsages]) Object.freeze(list);
    return Object.freeze(parsed);
  });
}

function parseCert(pem: string): CertInfo {
  const x = new X509Certificate(pem);
  const f = x509Fields(x.raw);
  return {
    cn: f.cn,
    sans: f.sanDns.map((n) => (n.type === 'IP' ? parseSan(n.value) : n)),
    ekus: f.ekus,
    keyUsages: f.keyUsages,
    notBefore: f.notBefore,
    notAfter: f.notAfter,
    serialHex: f.serialHex,
    issuerCn: f.issuerCn,
    ski: f.ski,
    aki: f.aki,
    isCA: f.isCA,
    sigAlg: f.sigAlg,
    keyBits: x.publicKey.asymmetricKeyDetails?.modulusLength ?? 0,
  };
}

const checked = new Map<string, boolean>();

/** True when caCertPem's subject issued certPem and its key verifies the signature. */
export function verifySignedBy(certPem: string, caCertPem: string): boolean {
  return remember(checked, `signed\0${certPem}\0${caCertPem}`, () => {
    try {
      const cert = new X509Certificate(certPem);
      const ca = new X509Certificate(caCertPem);
      return cert.checkIssued(ca) && cert.verify(ca.publicKey);
    } catch {
      return false;
    }
  });
}

/** True when the private key belongs to the certificate's public key. */
export function keyMatchesCert(keyPem: string, certPem: string): boolean {
  return remember(checked, `key\0${keyPem}\0${certPem}`, () => {
    try {
      return new X509Certificate(certPem).checkPrivateKey(createPrivateKey(keyPem));
    } catch {
      return false;
    }
  });
}

// ---------------------------------------------------------------------------------------------
// Reissue decision

export interface ExistingCert {
  certPem: string;
  /** Omitted: the key check is skipped. */
  keyPem?: string;
}

export interface WantedCert {
  cn: string;
  sans: readonly string[];
  profile: CertProfile;
  /** When given, a different RSA size is a reason to reissue. */
  keyBits?: number;
}

function sameSet(a: readonly string[], b: readonly string[]): { missing: string[]; extra: string[] } {
  const sa = new Set(a);
  const sb = new Set(b);
  return { missing: [...sa].filter((x) => !sb.has(x)), extra: [...sb].filter((x) => !sa.has(x)) };
}

function sanKey(s: SanEntry): string {
  // DNS names compare case-insensitively.
  return s.type === 'DNS' ? `DNS:${s.value.toLowerCase()}` : `IP:${s.value}`;
}

/**
 * Why `existing` must be reissued to match `wanted` (undefined: keep it). Reasons read as
 * "SANs differ: missing IP:10.66.0.14" — the cert module prints them as they are.
 */
export function whyReissue(
  existing: ExistingCert,
  wanted: WantedCert,
  caCertPem: string,
  renewBeforeDays: number,
  now: Date = new Date(),
): string | undefined {
  let info: CertInfo;
  try {
    info = inspectCert(existing.certPem);
  } catch (e) {
    return `existing certificate cannot be read (${(e as Error).message})`;
  }
  if (info.cn !== wanted.cn) return `CN differs: ${info.cn ?? '(none)'} → ${wanted.cn}`;
  const want = wanted.sans.map((s) => parseSan(s));
  const { missing, extra } = sameSet(want.map(sanKey), info.sans.map(sanKey));
  if (missing.length || extra.length) {
    const parts: string[] = [];
    if (missing.length) parts.push(`missing ${missing.join(', ')}`);
    if (extra.length) parts.push(`extra ${extra.join(', ')}`);
    return `SANs differ: ${parts.join('; ')}`;
  }
  const ekuDiff = sameSet(ekusFor(wanted.profile), info.ekus);
  if (ekuDiff.missing.length || ekuDiff.extra.length) {
    return `profile differs: EKU is ${info.ekus.join(', ') || '(none)'}, ${wanted.profile} wants ${ekusFor(wanted.profile).join(', ')}`;
  }
  const kuDiff = sameSet(['digitalSignature', 'keyEncipherment'], info.keyUsages);
  if (kuDiff.missing.length || kuDiff.extra.length || info.isCA) {
    return `key usages differ: ${info.keyUsages.join(', ') || '(none)'}${info.isCA ? ', CA:TRUE' : ''}`;
  }
  if (!/sha256/i.test(info.sigAlg)) return `signature algorithm is ${info.sigAlg}, not SHA-256`;
  if (!verifySignedBy(existing.certPem, caCertPem)) return 'not signed by the current CA';
  if (existing.keyPem !== undefined && !keyMatchesCert(existing.keyPem, existing.certPem)) {
    return 'key does not match the certificate';
  }
  if (wanted.keyBits !== undefined && info.keyBits !== wanted.keyBits) {
    return `key size differs: ${info.keyBits} → ${wanted.keyBits}`;
  }
  const left = info.notAfter.getTime() - now.getTime();
  if (left < renewBeforeDays * DAY_MS) {
    return left <= 0
      ? `expired on ${info.notAfter.toISOString()}`
      : `expires on ${info.notAfter.toISOString()}, within renew_before (${formatDays(renewBeforeDays)})`;
  }
  return undefined;
}

function formatDays(d: number): string {
  return Number.isInteger(d) ? `${d}d` : `${Math.round(d * 24)}h`;
}

export interface CAProblem {
  /** broken: unreadable, not a CA, or the key does not match (replacing it is the operator's call); expiring: renew. */
  kind: 'broken' | 'expiring';
  reason: string;
}

/** What is wrong with an existing CA (undefined: keep it). */
export function caProblem(ca: ExistingCert, renewBeforeDays: number, now: Date = new Date()): CAProblem | undefined {
  let info: CertInfo;
  try {
    info = inspectCert(ca.certPem);
  } catch (e) {
    return { kind: 'broken', reason: `existing CA certificate cannot be read (${(e as Error).message})` };
  }
  if (!info.isCA) return { kind: 'broken', reason: 'existing ca.pem is not a CA certificate' };
  if (ca.keyPem !== undefined && !keyMatchesCert(ca.keyPem, ca.certPem)) {
    return { kind: 'broken', reason: 'CA key does not match ca.pem' };
  }
  const left = info.notAfter.getTime() - now.getTime();
  if (left < renewBeforeDays * DAY_MS) {
    const reason =
      left <= 0
        ? `CA expired on ${info.notAfter.toISOString()}`
        : `CA expires on ${info.notAfter.toISOString()}, within renew_before (${formatDays(renewBeforeDays)})`;
    return { kind: 'expiring', reason };
  }
  return undefined;
}

/** Why a CA must be recreated (undefined: keep it). */
export function whyRecreateCA(ca: ExistingCert, renewBeforeDays: number, now: Date = new Date()): string | undefined {
  return caProblem(ca, renewBeforeDays, now)?.reason;
}

/** Human-readable summary for --diff: never key material. */
export function describeCert(info: Pick<CertInfo, 'cn' | 'sans' | 'ekus' | 'issuerCn' | 'notAfter' | 'ski' | 'isCA'>): string {
  const lines = [
    `subject: CN=${info.cn ?? ''}`,
    `SANs: ${info.sans.map(formatSan).join(', ') || '(none)'}`,
    `EKU: ${info.ekus.join(', ') || '(none)'}`,
    `CA: ${info.isCA ? 'TRUE' : 'FALSE'}`,
    `issuer: CN=${info.issuerCn ?? ''}`,
    `notAfter: ${info.notAfter.toISOString()}`,
    `key id: ${info.ski ?? '(new key)'}`,
  ];
  return lines.join('\n') + '\n';
}

/** EKUs the profile yields (for predicted diffs). */
export function profileEkus(profile: CertProfile): string[] {
  return ekusFor(profile);
}
