// The vault format: one text header line, then base64 lines of salt ‖ nonce ‖ ciphertext ‖ tag.
//
//   $BOSUN_VAULT;1.0;AES256-GCM;scrypt;N=32768,r=8,p=1
//   <base64, 76 characters a line>
//
// AES-256-GCM with the header line (exact bytes, no newline) as additional authenticated data, so a
// header edited to weaker KDF parameters or another version fails authentication like a changed
// byte of ciphertext does. The key comes from scrypt(password, salt) with the parameters the header
// names (bounded on read so a hostile file cannot make us allocate gigabytes).
import { createCipheriv, createDecipheriv, randomBytes, scryptSync } from 'node:crypto';
import { VaultError, type SourceLocation } from '../errors.js';

export const VAULT_MAGIC = '$BOSUN_VAULT';
export const VAULT_VERSION = '1.0';
const CIPHER = 'AES256-GCM';
const KDF = 'scrypt';
const SALT_LEN = 16;
const NONCE_LEN = 12;
const TAG_LEN = 16;
const KEY_LEN = 32;

export interface ScryptParams {
  N: number;
  r: number;
  p: number;
}

/** ~50–100 ms and 32 MiB per derivation on a small machine: slow for guessing, fine for a run. */
export const DEFAULT_SCRYPT: ScryptParams = { N: 1 << 15, r: 8, p: 1 };

/** Upper bound of N·r (memory: 128·N·r bytes) and of N·r·p (time) a vault header may ask for. */
export const MAX_SCRYPT_WORK = 4 * DEFAULT_SCRYPT.N * DEFAULT_SCRYPT.r * DEFAULT_SCRYPT.p;

/** True when `text` is vault data (a whole file or an inline `!vault` value). */
export function isVaulted(text: string): boolean {
  return text.trimStart().startsWith(VAULT_MAGIC + ';');
}

function headerLine(params: ScryptParams): string {
  return `${VAULT_MAGIC};${VAULT_VERSION};${CIPHER};${KDF};N=${params.N},r=${params.r},p=${params.p}`;
}

function deriveKey(password: string, salt: Buffer, params: ScryptParams): Buffer {
  // maxmem must exceed 128·N·r (scrypt's working set) or node refuses.
  return scryptSync(password, salt, KEY_LEN, { N: params.N, r: params.r, p: params.p, maxmem: 256 * params.N * params.r + (1 << 20) });
}

/** Encrypts `plaintext`; returns the header line and base64 lines, newline-terminated. */
export function encrypt(plaintext: string, password: string, params: ScryptParams = DEFAULT_SCRYPT): string {
  if (!password) throw new VaultError('empty vault password');
  const header = headerLine(params);
  const salt = randomBytes(SALT_LEN);
  const nonce = randomBytes(NONCE_LEN);
  const cipher = createCipheriv('aes-256-gcm', deriveKey(password, salt, params), nonce, { authTagLength: TAG_LEN });
  cipher.setAAD(Buffer.from(header, 'utf8'));
  const ct = Buffer.concat([cipher.update(plaintext, 'utf8'), cipher.final()]);
  const b64 = Buffer.concat([salt, nonce, ct, cipher.getAuthTag()]).toString('base64');
  const lines = b64.match(/.{1,76}/g) ?? [];
  return [header, ...lines].join('\n') + '\n';
}

function parseParams(field: string | undefined, where: string, loc?: SourceLocation): ScryptParams {
  const m = /^N=(\d+),r=(\d+),p=(\d+)$/.exec(field ?? '');
  if (!m) throw new VaultError(`${where}: bad scrypt parameters '${field ?? ''}' in the vault header`, { loc });
  const [N, r, p] = [Number(m[1]), Number(m[2]), Number(m[3])];
  // Bounds, checked before any work (the header is only authenticated once the key is derived):
  // memory is 128·N·r bytes and time grows with N·r·p, so a hostile header must not name more than
  // MAX_SCRYPT_WORK (4× the default's work, 128 MiB): N=65536,r=32,p=16 was 14 s and 300 MB.
  const okN = N >= 2 && N <= 1 << 20 && (N & (N - 1)) === 0;
  if (!okN || r < 1 || r > 32 || p < 1 || p > 16 || N * r > MAX_SCRYPT_WORK || N * r * p > MAX_SCRYPT_WORK) {
    throw new VaultError(`${where}: scrypt parameters out of range (N=${N}, r=${r}, p=${p}) in the vault header`, { loc });
  }
  return { N, r, p };
}

/**
 * Decrypts vault text. `where` names the file (or file:line:col) for messages. Any failure — wrong
 * password, changed byte, truncated data, edited header — is one VaultError; nothing partial is returned.
 */
export function decrypt(text: string, password: string, where: string, loc?: SourceLocation): string {
  const body = text.trimStart();
  const nl = body.indexOf('\n');
  const header = (nl < 0 ? body : body.slice(0, nl)).replace(/\r$/, '').trimEnd();
  const fields = header.split(';');
  if (fields[0] !== VAULT_MAGIC) throw new VaultError(`${where}: not vault data (expected a '${VAULT_MAGIC};' header)`, { loc });
  if (fields[1] !== VAULT_VERSION) {
    throw new VaultError(`${where}: unsupported vault format version '${fields[1] ?? ''}' (this bosun reads ${VAULT_VERSION})`, { loc });
  }
  if (fields[2] !== CIPHER || fields[3] !== KDF || fields.length !== 5) {
    throw new VaultError(`${where}: unsupported vault header '${header}' (expected ${VAULT_MAGIC};${VAULT_VERSION};${CIPHER};${KDF};N=…,r=…,p=…)`, { loc });
  }
  const params = parseParams(fields[4], where, loc);
  const b64 = nl < 0 ? '' : body.slice(nl + 1).replace(/\s+/g, '');
  if (!/^[A-Za-z0-9+/]*={0,2}$/.test(b64)) throw new VaultError(`${where}: vault data is not valid base64 (file damaged?)`, { loc });
  const raw = Buffer.from(b64, 'base64');
  if (raw.length < SALT_LEN + NONCE_LEN + TAG_LEN) throw new VaultError(`${where}: vault data is truncated`, { loc });
  const salt = raw.subarray(0, SALT_LEN);
  const nonce = raw.subarray(SALT_LEN, SALT_LEN + NONCE_LEN);
  const ct = raw.subarray(SALT_LEN + NONCE_LEN, raw.length - TAG_LEN);
  const tag = raw.subarray(raw.length - TAG_LEN);
  if (!password) throw new VaultError(`${where}: empty vault password`, { loc });
  const decipher = createDecipheriv('aes-256-gcm', deriveKey(password, salt, params), nonce, { authTagLength: TAG_LEN });
  decipher.setAAD(Buffer.from(header, 'utf8'));
  decipher.setAuthTag(tag);
  let pt: Buffer;
  try {
    pt = Buffer.concat([decipher.update(ct), decipher.final()]);
  } catch {
    throw new VaultError(`${where}: vault decryption failed: wrong vault password, or the vault data was modified`, { loc });
  }
  return pt.toString('utf8');
}
