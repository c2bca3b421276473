// password_hash: the SHA-crypt schemes ($5$ sha256_crypt, $6$ sha512_crypt) as glibc's crypt(3),
// which Ansible uses (through passlib or the crypt module). Deterministic when a salt is given.
import { createHash, randomInt } from 'node:crypto';

const B64 = './0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz';

function b64from24(b2: number, b1: number, b0: number, n: number): string {
  let w = (b2 << 16) | (b1 << 8) | b0;
  let out = '';
  for (let i = 0; i < n; i++) {
    out += B64[w & 0x3f];
    w >>= 6;
  }
  return out;
}

const ORDER_512 = [
  [0, 21, 42], [22, 43, 1], [44, 2, 23], [3, 24, 45], [25, 46, 4], [47, 5, 26], [6, 27, 48], [28, 49, 7], [50, 8, 29], [9, 30, 51], [31, 52, 10],
  [53, 11, 32], [12, 33, 54], [34, 55, 13], [56, 14, 35], [15, 36, 57], [37, 58, 16], [59, 17, 38], [18, 39, 60], [40, 61, 19], [62, 20, 41],
];
const ORDER_256 = [[0, 10, 20], [21, 1, 11], [12, 22, 2], [3, 13, 23], [24, 4, 14], [15, 25, 5], [6, 16, 26], [27, 7, 17], [18, 28, 8], [9, 19, 29]];

function shaCrypt(algo: 'sha256' | 'sha512', password: string, salt: string, rounds: number | undefined): string {
  const P = Buffer.from(password, 'utf8');
  const S = Buffer.from(salt.slice(0, 16), 'utf8');
  const len = algo === 'sha512' ? 64 : 32;
  const h = () => createHash(algo);
  const B = h().update(P).update(S).update(P).digest();
  const a = h().update(P).update(S);
  let i: number;
  for (i = P.length; i > len; i -= len) a.update(B);
  a.update(B.subarray(0, i));
  for (i = P.length; i > 0; i >>= 1) a.update(i & 1 ? B : P);
  let A = a.digest();
  const dp = h();
  for (i = 0; i < P.length; i++) dp.update(P);
  const DP = dp.digest();
  const Pseq = Buffer.alloc(P.length);
  for (i = 0; i + len <= P.length; i += len) DP.copy(Pseq, i);
  DP.copy(Pseq, i, 0, P.length - i);
  const ds = h();
  for (i = 0; i < 16 + A[0]!; i++) ds.update(S);
  const DS = ds.digest();
  const Sseq = Buffer.alloc(S.length);
  DS.copy(Sseq, 0, 0, S.length);
  const n = rounds ?? 5000;
  for (let r = 0; r < n; r++) {
    const c = h();
    c.update(r & 1 ? Pseq : A);
    if (r % 3) c.update(Sseq);
    if (r % 7) c.update(Pseq);
    c.update(r & 1 ? A : Pseq);
    A = c.digest();
  }
  let out = '';
  if (algo === 'sha512') {
    for (const [x, y, z] of ORDER_512) out += b64from24(A[x!]!, A[y!]!, A[z!]!, 4);
    out += b64from24(0, 0, A[63]!, 2);
  } else {
    for (const [x, y, z] of ORDER_256) out += b64from24(A[x!]!, A[y!]!, A[z!]!, 4);
    out += b64from24(0, A[31]!, A[30]!, 3);
  }
  const id = algo === 'sha512' ? '6' : '5';
  return `$${id}$${rounds !== undefined && rounds !== 5000 ? `rounds=${rounds}$` : ''}${salt.slice(0, 16)}$${out}`;
}

export function passwordHash(password: string, hashtype: string, salt?: string | null, saltSize?: number | null, rounds?: number | null): string {
  const algo = hashtype === 'sha512' || hashtype === 'sha512_crypt' ? 'sha512' : hashtype === 'sha256' || hashtype === 'sha256_crypt' ? 'sha256' : undefined;
  if (!algo) throw new Error(`hashtype '${hashtype}' is not supported (use sha512 or sha256)`);
  let s = salt ?? '';
  if (!salt) for (let i = 0; i < (saltSize ?? 16); i++) s += B64[randomInt(64)];
  if (!/^[./0-9A-Za-z]*$/.test(s)) throw new Error('invalid characters in salt');
  // passlib (what Ansible uses) refuses a longer salt rather than cutting it
  if (s.length > 16) throw new Error(`salt too large (${algo}_crypt requires <= 16 chars)`);
  // passlib's defaults, which Ansible uses when it is installed (Debian's ansible-core depends on it)
  return shaCrypt(algo, password, s, rounds ?? (algo === 'sha512' ? 656000 : 535000));
}
