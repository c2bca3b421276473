// The key ids of an OpenPGP public key (armored or binary), computed from its packets (RFC 4880 §5.5,
// §12.2: a v4 fingerprint is SHA-1 over 0x99, the packet length and the public-key packet body; the
// key id is its last 8 bytes). apt_key uses it where Ansible asks `gpg --with-colons`: no keyring and
// no gpg home directory is touched to learn which key a file holds.

import { createHash } from 'node:crypto';

export interface PgpKey {
  /** 40 hex digits, upper case. */
  fingerprint: string;
  /** Last 16 hex digits of the fingerprint. */
  keyId: string;
  /** true for a primary key (tag 6), false for a subkey (tag 14). */
  primary: boolean;
}

/** The binary packets of armored text (between the BEGIN/END lines, headers and checksum dropped), or the bytes themselves. */
export function dearmor(data: Buffer): Buffer {
  const text = data.toString('latin1');
  const m = /-----BEGIN PGP PUBLIC KEY BLOCK-----\r?\n([\s\S]*?)-----END PGP PUBLIC KEY BLOCK-----/.exec(text);
  if (!m) return data;
  const lines = m[1]!.split(/\r?\n/);
  // armor headers end at the first empty line (when there are any)
  const blank = lines.findIndex((l) => l.trim() === '');
  const body = (lines.slice(0, blank).some((l) => l.includes(': ')) ? lines.slice(blank + 1) : lines).filter((l) => l.trim() !== '' && !l.startsWith('='));
  return Buffer.from(body.join(''), 'base64');
}

/** Every public key and subkey packet, in order; throws on bytes that are not OpenPGP packets. */
export function pgpKeys(data: Buffer): PgpKey[] {
  const b = dearmor(data);
  const keys: PgpKey[] = [];
  let i = 0;
  while (i < b.length) {
    const h = b[i]!;
    if ((h & 0x80) === 0) throw new Error('not OpenPGP data');
    let tag: number;
    let len: number;
    if (h & 0x40) {
      tag = h & 0x3f;
      const o = b[i + 1]!;
      if (o < 192) [len, i] = [o, i + 2];
      else if (o < 224) [len, i] = [((o - 192) << 8) + b[i + 2]! + 192, i + 3];
      else if (o === 255) [len, i] = [b.readUInt32BE(i + 2), i + 6];
      else throw new Error('partial-length packets are not keys');
    } else {
      tag = (h >> 2) & 0x0f;
      const lt = h & 3;
      if (lt === 0) [len, i] = [b[i + 1]!, i + 2];
      else if (lt === 1) [len, i] = [b.readUInt16BE(i + 1), i + 3];
      else if (lt === 2) [len, i] = [b.readUInt32BE(i + 1), i + 5];
      else throw new Error('indeterminate-length packets are not keys');
    }
    if (i + len > b.length) throw new Error('truncated OpenPGP data');
    if (tag === 6 || tag === 14) {
      const body = b.subarray(i, i + len);
      if (body[0] !== 4) throw new Error(`version ${body[0]} keys are not supported (only v4)`);
      const fp = createHash('sha1').update(Buffer.from([0x99, len >> 8, len & 0xff])).update(body).digest('hex').toUpperCase();
      keys.push({ fingerprint: fp, keyId: fp.slice(-16), primary: tag === 6 });
    }
    i += len;
  }
  return keys;
}
