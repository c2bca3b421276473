// ansible-vault's format (1.1, and 1.2 with a vault id), so existing encrypted group_vars and
// `!vault` values work unchanged:
//
//   $ANSIBLE_VAULT;1.1;AES256            or  $ANSIBLE_VAULT;1.2;AES256;<vault id>
//   hex( hex(salt) \n hex(hmac) \n hex(ciphertext) ), in lines of 80
//
// key material = PBKDF2-HMAC-SHA256(password, salt (32 bytes), 10000 rounds, 80 bytes) split into
// an AES-256 key, an HMAC-SHA256 key and a CTR counter; plaintext PKCS#7-padded to 16 bytes, then
// AES-256-CTR; the HMAC covers the ciphertext. (Written from the format's description, not Ansible's code.)
import { createCipheriv, createDecipheriv, createHmac, pbkdf2Sync, randomBytes, timingSafeEqual } from 'node:crypto';
import { VaultError, type SourceLocation } from '../errors.js';

export const ANSIBLE_MAGIC = '$ANSIBLE_VAULT';
const ROUNDS = 10_000;

export function isAnsibleVaulted(text: string): boolean {
  return text.trimStart().startsWith(ANSIBLE_MAGIC + ';');
}

export interface AnsibleHeader {
  version: '1.1' | '1.2';
  vaultId?: string;
}

function fail(msg: string, where: string, loc?: SourceLocation): never {
  throw new VaultError(loc ? msg : `${where}: ${msg}`, { loc });
}

/** Header and hex body of ansible vault text; throws VaultError on anything malformed. */
export function parseAnsibleVault(text: string, where: string, loc?: SourceLocation): { header: AnsibleHeader; body: Buffer } {
  const lines = text.trim().split(/\r?\n/).map((l) => l.trim());
  const parts = lines[0]!.split(';');
  const [, version, cipher, vaultId] = parts;
  if (version !== '1.1' && version !== '1.2') fail(`unsupported ansible vault version '${version ?? ''}' (bosun reads 1.1 and 1.2)`, where, loc);
  if (cipher !== 'AES256') fail(`unsupported ansible vault cipher '${cipher ?? ''}' (expected AES256)`, where, loc);
  const hex = lines.slice(1).join('');
  if (!/^(?:[0-9a-fA-F]{2})+$/.test(hex)) fail('ansible vault data is not hexadecimal (truncated or edited?)', where, loc);
  return { header: { version, vaultId: version === '1.2' ? vaultId : undefined }, body: Buffer.from(hex, 'hex') };
}

function keys(password: string, salt: Buffer): { key: Buffer; hmacKey: Buffer; iv: Buffer } {
  const km = pbkdf2Sync(Buffer.from(password, 'utf8'), salt, ROUNDS, 80, 'sha256');
  return { key: km.subarray(0, 32), hmacKey: km.subarray(32, 64), iv: km.subarray(64, 80) };
}

/** Decrypts ansible vault text; a wrong password and edited data are the same error (the HMAC does not match). */
export function decryptAnsible(text: string, password: string, where: string, loc?: SourceLocation): string {
  const { body } = parseAnsibleVault(text, where, loc);
  const fields = body.toString('latin1').split('\n');
  if (fields.length !== 3 || !fields.every((f) => /^(?:[0-9a-f]{2})+$/i.test(f))) fail('ansible vault data is malformed (expected salt, hmac and ciphertext)', where, loc);
  const [salt, mac, ct] = fields.map((f) => Buffer.from(f, 'hex')) as [Buffer, Buffer, Buffer];
  const { key, hmacKey, iv } = keys(password, salt);
  const want = createHmac('sha256', hmacKey).update(ct).digest();
  if (mac.length !== want.length || !timingSafeEqual(mac, want)) fail('vault decryption failed: wrong vault password, or the vault data was modified', where, loc);
  const d = createDecipheriv('aes-256-ctr', key, iv);
  const padded = Buffer.concat([d.update(ct), d.final()]);
  const pad = padded[padded.length - 1] ?? 0;
  if (pad < 1 || pad > 16 || pad > padded.length) fail('ansible vault data has bad padding', where, loc);
  return padded.subarray(0, padded.length - pad).toString('utf8');
}

/** Encrypts as ansible-vault does: 1.1, or 1.2 when a vault id (other than `default`) is given. */
export function encryptAnsible(plaintext: string, password: string, vaultId?: string): string {
  if (!password) throw new VaultError('empty vault password');
  if (vaultId !== undefined && /[;\s]/.test(vaultId)) throw new VaultError(`vault id '${vaultId}' must not contain ';' or spaces`);
  const salt = randomBytes(32);
  const { key, hmacKey, iv } = keys(password, salt);
  const data = Buffer.from(plaintext, 'utf8');
  const pad = 16 - (data.length % 16);
  const c = createCipheriv('aes-256-ctr', key, iv);
  const ct = Buffer.concat([c.update(Buffer.concat([data, Buffer.alloc(pad, pad)])), c.final()]);
  const mac = createHmac('sha256', hmacKey).update(ct).digest();
  const body = Buffer.from([salt.toString('hex'), mac.toString('hex'), ct.toString('hex')].join('\n'), 'latin1').toString('hex');
  const header = vaultId && vaultId !== 'default' ? `${ANSIBLE_MAGIC};1.2;AES256;${vaultId}` : `${ANSIBLE_MAGIC};1.1;AES256`;
  return [header, ...(body.match(/.{1,80}/g) ?? [])].join('\n') + '\n';
}
