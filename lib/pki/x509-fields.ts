// The fields bosun compares on an existing certificate, read straight from its DER encoding.
// Inspecting certificates is what a no-op run of the etcd roles does; loading node-forge for it cost
// ~0.3 s of CPU per run (its modules compile at load), so inspection no longer needs it. node:crypto's
// X509Certificate verifies signatures and keys but does not expose key usages, key identifiers or the
// signature algorithm in Node 20 — hence this small reader. node-forge still makes certificates.
// test/pki/x509-fields.test.ts checks every field against node-forge's own parse.

interface Tlv {
  tag: number;
  /** offset of the content */
  at: number;
  /** offset just past the content */
  end: number;
}

class DerError extends Error {}

function tlv(b: Buffer, off: number, limit = b.length): Tlv {
  if (off + 2 > limit) throw new DerError('truncated');
  const tag = b[off]!;
  let len = b[off + 1]!;
  let at = off + 2;
  if (len & 0x80) {
    const n = len & 0x7f;
    if (n === 0 || n > 4 || at + n > limit) throw new DerError('bad length');
    len = 0;
    for (let i = 0; i < n; i++) len = len * 256 + b[at + i]!;
    at += n;
  }
  if (at + len > limit) throw new DerError('truncated');
  return { tag, at, end: at + len };
}

function children(b: Buffer, t: Tlv): Tlv[] {
  const out: Tlv[] = [];
  for (let off = t.at; off < t.end; ) {
    const c = tlv(b, off, t.end);
    out.push(c);
    off = c.end;
  }
  return out;
}

function expect(t: Tlv | undefined, tag: number): Tlv {
  if (!t || t.tag !== tag) throw new DerError(`expected tag 0x${tag.toString(16)}`);
  return t;
}

const SEQ = 0x30;
const OID = 0x06;
const OCTETS = 0x04;

function oid(b: Buffer, t: Tlv): string {
  const arcs: number[] = [];
  let v = 0;
  for (let i = t.at; i < t.end; i++) {
    v = v * 128 + (b[i]! & 0x7f);
    if (!(b[i]! & 0x80)) {
      if (arcs.length === 0) arcs.push(v < 80 ? Math.floor(v / 40) : 2, v < 80 ? v % 40 : v - 80);
      else arcs.push(v);
      v = 0;
    }
  }
  return arcs.join('.');
}

const hex = (b: Buffer, t: Tlv): string => b.subarray(t.at, t.end).toString('hex');

function text(b: Buffer, t: Tlv): string {
  // UTF8String decodes as UTF-8; Printable/IA5/Teletex strings are single bytes
  return b.subarray(t.at, t.end).toString(t.tag === 0x0c ? 'utf8' : 'latin1');
}

function time(b: Buffer, t: Tlv): Date {
  const s = b.subarray(t.at, t.end).toString('latin1');
  // UTCTime YYMMDDHHMM[SS]Z (YY < 50 is 20YY, RFC 5280); GeneralizedTime YYYYMMDDHHMM[SS]Z
  const m = t.tag === 0x17 ? /^(\d\d)(\d\d)(\d\d)(\d\d)(\d\d)(\d\d)?Z$/.exec(s) : /^(\d{4})(\d\d)(\d\d)(\d\d)(\d\d)(\d\d)?Z$/.exec(s);
  if (!m) throw new DerError(`unsupported time ${s}`);
  let year = Number(m[1]);
  if (t.tag === 0x17) year += year < 50 ? 2000 : 1900;
  return new Date(Date.UTC(year, Number(m[2]) - 1, Number(m[3]), Number(m[4]), Number(m[5]), Number(m[6] ?? 0)));
}

/** The first commonName of an X.501 Name. */
function commonName(b: Buffer, name: Tlv): string | undefined {
  for (const rdn of children(b, name)) {
    for (const attr of children(b, rdn)) {
      const [type, value] = children(b, attr);
      if (type && value && type.tag === OID && oid(b, type) === '2.5.4.3') return text(b, value);
    }
  }
  return undefined;
}

// node-forge's names, which the rest of bosun (and its messages) use
const EKU_NAMES: Record<string, string> = {
  '1.3.6.1.5.5.7.3.1': 'serverAuth',
  '1.3.6.1.5.5.7.3.2': 'clientAuth',
  '1.3.6.1.5.5.7.3.3': 'codeSigning',
  '1.3.6.1.5.5.7.3.4': 'emailProtection',
  '1.3.6.1.5.5.7.3.8': 'timeStamping',
};
const SIG_NAMES: Record<string, string> = {
  '1.2.840.113549.1.1.4': 'md5WithRSAEncryption',
  '1.2.840.113549.1.1.5': 'sha1WithRSAEncryption',
  '1.2.840.113549.1.1.10': 'RSASSA-PSS',
  '1.2.840.113549.1.1.11': 'sha256WithRSAEncryption',
  '1.2.840.113549.1.1.12': 'sha384WithRSAEncryption',
  '1.2.840.113549.1.1.13': 'sha512WithRSAEncryption',
};
/** keyUsage bits in order (RFC 5280 4.2.1.3) */
export const KEY_USAGE_NAMES = [
  'digitalSignature',
  'nonRepudiation',
  'keyEncipherment',
  'dataEncipherment',
  'keyAgreement',
  'keyCertSign',
  'cRLSign',
  'encipherOnly',
  'decipherOnly',
] as const;

export interface X509Fields {
  cn: string | undefined;
  issuerCn: string | undefined;
  /** DNS names and IP addresses (text) in certificate order */
  sanDns: Array<{ type: 'DNS' | 'IP'; value: string }>;
  ekus: string[];
  keyUsages: string[];
  notBefore: Date;
  notAfter: Date;
  serialHex: string;
  ski: string | undefined;
  aki: string | undefined;
  isCA: boolean;
  sigAlg: string;
}

function ipText(bytes: Buffer): string | undefined {
  if (bytes.length === 4) return [...bytes].join('.');
  if (bytes.length === 16) {
    const groups: string[] = [];
    for (let i = 0; i < 16; i += 2) groups.push(bytes.readUInt16BE(i).toString(16));
    return groups.join(':');
  }
  return undefined; // as node-forge: an address of another length is not an IP SAN
}

/** Reads the compared fields of one DER certificate; throws on anything that is not one. */
export function x509Fields(der: Buffer): X509Fields {
  try {
    const cert = expect(tlv(der, 0), SEQ);
    const [tbsT, sigAlgT] = children(der, cert);
    const tbs = children(der, expect(tbsT, SEQ));
    let i = tbs[0]?.tag === 0xa0 ? 1 : 0; // [0] version
    const serial = expect(tbs[i++], 0x02);
    i++; // signature AlgorithmIdentifier (repeated outside the TBS)
    const issuer = expect(tbs[i++], SEQ);
    const validity = children(der, expect(tbs[i++], SEQ));
    const subject = expect(tbs[i++], SEQ);
    i++; // subjectPublicKeyInfo: node:crypto reads the key
    const out: X509Fields = {
      cn: commonName(der, subject),
      issuerCn: commonName(der, issuer),
      sanDns: [],
      ekus: [],
      keyUsages: [],
      notBefore: time(der, validity[0]!),
      notAfter: time(der, validity[1]!),
      serialHex: hex(der, serial),
      ski: undefined,
      aki: undefined,
      isCA: false,
      sigAlg: '',
    };
    const sigOid = oid(der, expect(children(der, expect(sigAlgT, SEQ))[0], OID));
    out.sigAlg = SIG_NAMES[sigOid] ?? sigOid;
    const extsWrap = tbs.slice(i).find((t) => t.tag === 0xa3);
    const exts = extsWrap ? children(der, expect(children(der, extsWrap)[0], SEQ)) : [];
    for (const ext of exts) {
      const parts = children(der, ext);
      const id = oid(der, expect(parts[0], OID));
      const value = expect(parts[parts.length - 1], OCTETS);
      const inner = tlv(der, value.at, value.end);
      if (id === '2.5.29.17') {
        for (const n of children(der, inner)) {
          if (n.tag === 0x82) out.sanDns.push({ type: 'DNS', value: text(der, n) });
          else if (n.tag === 0x87) {
            const ip = ipText(der.subarray(n.at, n.end));
            if (ip) out.sanDns.push({ type: 'IP', value: ip });
          }
        }
      } else if (id === '2.5.29.37') {
        for (const o of children(der, inner)) {
          const v = oid(der, o);
          out.ekus.push(EKU_NAMES[v] ?? v);
        }
      } else if (id === '2.5.29.15') {
        const bits = der.subarray(inner.at + 1, inner.end); // first byte: unused bits
        KEY_USAGE_NAMES.forEach((name, bit) => {
          if (((bits[bit >> 3] ?? 0) >> (7 - (bit & 7))) & 1) out.keyUsages.push(name);
        });
      } else if (id === '2.5.29.19') {
        const first = children(der, inner)[0];
        out.isCA = first?.tag === 0x01 && der[first.at] !== 0;
      } else if (id === '2.5.29.14') {
        out.ski = hex(der, inner).toLowerCase();
      } else if (id === '2.5.29.35') {
        const keyId = children(der, inner).find((t) => t.tag === 0x80);
        out.aki = keyId ? hex(der, keyId) : undefined;
      }
    }
    return out;
  } catch (e) {
    if (e instanceof DerError || e instanceof RangeError) throw new Error(`not an X.509 certificate (${e.message})`);
    throw e;
  }
}
