// The vault format: round trip, and every kind of damage (wrong password, changed ciphertext byte,
// edited header, truncation, junk) is one VaultError and never returns partial plaintext.
import t from 'tap';
import { decrypt, encrypt, isVaulted, DEFAULT_SCRYPT, MAX_SCRYPT_WORK, type ScryptParams } from '../../lib/vault/crypto.js';
import { VaultError } from '../../lib/errors.js';

// Cheap parameters keep the suite fast; one case uses the defaults.
const FAST: ScryptParams = { N: 1024, r: 8, p: 1 };

t.test('round trip, header and layout', async (t) => {
  const text = 'db_password: "s3cr3t ünïcode"\nlist:\n  - a\n';
  const v = encrypt(text, 'pw', FAST);
  const lines = v.trimEnd().split('\n');
  t.equal(lines[0], '$BOSUN_VAULT;1.0;AES256-GCM;scrypt;N=1024,r=8,p=1');
  t.ok(lines.slice(1).every((l) => /^[A-Za-z0-9+/=]{1,76}$/.test(l)), 'base64 lines of at most 76 characters');
  // salt 16 + nonce 12 + ciphertext (same length as the plaintext) + tag 16
  t.equal(Buffer.from(lines.slice(1).join(''), 'base64').length, 16 + 12 + Buffer.byteLength(text) + 16);
  t.ok(isVaulted(v));
  t.notOk(isVaulted(text));
  t.equal(decrypt(v, 'pw', 'f'), text);
  t.not(encrypt(text, 'pw', FAST), v, 'fresh salt and nonce each time');
  t.equal(decrypt(encrypt('', 'pw', FAST), 'pw', 'f'), '', 'empty plaintext');
  // indented, as inside a `!vault |` block after YAML removes the indentation, or with CRLF
  t.equal(decrypt(v.replace(/\n/g, '\r\n'), 'pw', 'f'), text, 'CRLF line ends');
});

t.test('default parameters', async (t) => {
  const v = encrypt('x', 'pw');
  t.match(v, `N=${DEFAULT_SCRYPT.N},r=${DEFAULT_SCRYPT.r},p=${DEFAULT_SCRYPT.p}`);
  t.equal(decrypt(v, 'pw', 'f'), 'x');
});

t.test('damage is one clear VaultError', async (t) => {
  const v = encrypt('secret-plaintext', 'right', FAST);
  const [header, ...body] = v.trimEnd().split('\n');
  const raw = Buffer.from(body.join(''), 'base64');
  const withRaw = (b: Buffer) => `${header}\n${b.toString('base64')}\n`;
  const flip = (i: number) => {
    const b = Buffer.from(raw);
    b[i] = b[i]! ^ 1;
    return withRaw(b);
  };
  const wrongPw = /vault decryption failed: wrong vault password, or the vault data was modified/;
  const cases: Array<[string, string, string, RegExp]> = [
    ['wrong password', v, 'wrong', wrongPw],
    ['salt byte', flip(0), 'right', wrongPw],
    ['nonce byte', flip(20), 'right', wrongPw],
    ['ciphertext byte', flip(30), 'right', wrongPw],
    ['tag byte', flip(raw.length - 1), 'right', wrongPw],
    ['header N changed (authenticated)', v.replace('N=1024', 'N=2048'), 'right', wrongPw],
    ['truncated', withRaw(raw.subarray(0, 20)), 'right', /vault data is truncated/],
    ['one byte short', withRaw(raw.subarray(0, raw.length - 1)), 'right', wrongPw],
    ['not base64', `${header}\n%%%%\n`, 'right', /not valid base64/],
    ['other version', v.replace(';1.0;', ';9.9;'), 'right', /unsupported vault format version '9.9'/],
    ['other cipher', v.replace('AES256-GCM', 'AES128-CBC'), 'right', /unsupported vault header/],
    ['huge N refused before allocating', v.replace('N=1024', 'N=1073741824'), 'right', /scrypt parameters out of range/],
    // 14 s and 300 MB before the bound on N·r·p (the header is authenticated only after the derivation)
    ['hostile cost N=65536,r=32,p=16', v.replace('N=1024,r=8,p=1', 'N=65536,r=32,p=16'), 'right', /scrypt parameters out of range \(N=65536, r=32, p=16\)/],
    ['p multiplies the work', v.replace('N=1024,r=8,p=1', 'N=32768,r=8,p=16'), 'right', /scrypt parameters out of range/],
    ['memory bound N·r', v.replace('N=1024,r=8,p=1', 'N=262144,r=8,p=1'), 'right', /scrypt parameters out of range/],
    ['N not a power of two', v.replace('N=1024', 'N=1000'), 'right', /scrypt parameters out of range/],
    ['garbled params', v.replace('N=1024,r=8,p=1', 'N=x'), 'right', /bad scrypt parameters/],
    ['no header', 'hello', 'right', /not vault data/],
  ];
  for (const [name, text, pw, msg] of cases) {
    t.throws(() => decrypt(text, pw, 'vars/secret.yml'), msg, name);
    try {
      decrypt(text, pw, 'vars/secret.yml');
    } catch (e) {
      t.ok(e instanceof VaultError, `${name}: VaultError`);
      t.equal((e as VaultError).exitCode, 1);
      t.match((e as VaultError).oneLine(), /^vars\/secret\.yml: /, `${name}: names the file`);
      t.notMatch((e as Error).message, /secret-plaintext/);
    }
  }
  t.throws(() => encrypt('x', ''), /empty vault password/);
});

t.test('scrypt work bound: exactly MAX_SCRYPT_WORK is still read, one step more is refused', async (t) => {
  const at: ScryptParams = { N: 8192, r: 8, p: 16 };
  t.equal(at.N * at.r * at.p, MAX_SCRYPT_WORK);
  const v = encrypt('ok', 'pw', at);
  t.equal(decrypt(v, 'pw', 'v.yml'), 'ok');
  t.throws(() => decrypt(v.replace('p=16', 'p=17'), 'pw', 'v.yml'), /out of range/);
  t.throws(() => decrypt(v.replace('N=8192,r=8,p=16', 'N=8192,r=16,p=16'), 'pw', 'v.yml'), /out of range/);
});
