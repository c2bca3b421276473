// Process-wide vault state: the password of this run and every value decrypted so far. The YAML
// loader decrypts while loading (whole-file vaults and `!vault` scalars), so it needs the password
// without it being threaded through every loader; and every decrypted value must reach the Masker,
// whichever reporter or error path prints it. Both live here.
import { execFileSync } from 'node:child_process';
import { accessSync, constants, readFileSync, statSync } from 'node:fs';
import { VaultError, formatLocation, type SourceLocation } from '../errors.js';
import { decrypt, isVaulted as isBosunVaulted } from './crypto.js';
import { decryptAnsible, isAnsibleVaulted, parseAnsibleVault } from './ansible-format.js';

/** bosun's own vault data or ansible-vault's (1.1/1.2): both are read wherever YAML is. */
export function isVaulted(text: string): boolean {
  return isBosunVaulted(text) || isAnsibleVaulted(text);
}

export const PASSWORD_ENV = 'BOSUN_VAULT_PASSWORD_FILE';

/** Values shorter than this are not masked: hiding every "no" or "1" would hide the output itself. */
export const MIN_SECRET_LENGTH = 3;

/** Every value decrypted in this process; the Masker masks these as ***. */
export const vaultSecrets = new Set<string>();

let password: string | undefined;
// The same vault text is often loaded more than once (group_vars for each host); scrypt each time
// would cost ~0.1 s a load. Keyed by the vault text; cleared when the password changes.
const cache = new Map<string, string>();

/** More passwords, from --vault-id (with their ids): tried after the id-matching one, as ansible does. */
let idPasswords: Array<{ id: string; pw: string }> = [];

export function setVaultPassword(pw: string | undefined): void {
  if (pw !== password) cache.clear();
  password = pw;
  idPasswords = [];
}

/** Adds a `--vault-id ID@SOURCE` password. */
export function addVaultPassword(id: string, pw: string): void {
  cache.clear();
  idPasswords.push({ id, pw });
  if (password === undefined) password = pw;
}

/** The passwords to try for vault data labelled `id` (1.2 header), matching id first. */
function candidates(id: string | undefined): string[] {
  const all = [...idPasswords];
  if (password !== undefined && !all.some((p) => p.pw === password)) all.unshift({ id: 'default', pw: password });
  const match = all.filter((p) => id !== undefined && p.id === id);
  return [...new Set([...match, ...all].map((p) => p.pw))];
}

export function hasVaultPassword(): boolean {
  return password !== undefined;
}

/**
 * Reads a password file: its content without surrounding whitespace, or, when the file is
 * executable, the standard output of running it (ansible's password scripts).
 */
export function readPasswordFile(file: string): string {
  let executable = false;
  try {
    const st = statSync(file);
    if (!st.isFile()) throw new VaultError(`vault password file ${file} is not a regular file`);
    try {
      accessSync(file, constants.X_OK);
      executable = (st.mode & 0o111) !== 0;
    } catch {
      executable = false;
    }
  } catch (e) {
    if (e instanceof VaultError) throw e;
    throw new VaultError(`vault password file not found: ${file}`, { cause: e });
  }
  let pw: string;
  try {
    pw = executable ? execFileSync(file, [], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'], timeout: 30_000 }) : readFileSync(file, 'utf8');
  } catch (e) {
    throw new VaultError(`vault password file ${file}: ${executable ? 'script failed' : 'cannot read'}: ${(e as Error).message.split('\n')[0]}`, { cause: e });
  }
  pw = pw.trim();
  if (!pw) throw new VaultError(`vault password file ${file} is empty`);
  return pw;
}

/** `--vault-password-file F`, else $BOSUN_VAULT_PASSWORD_FILE, else none. Returns the file used. */
export function configureVault(file: string | undefined, env: NodeJS.ProcessEnv = process.env): string | undefined {
  const f = file ?? (env[PASSWORD_ENV] || undefined);
  setVaultPassword(f === undefined ? undefined : readPasswordFile(f));
  return f;
}

/**
 * Registers a decrypted value: strings deep inside lists/maps too, and each line of a multi-line one.
 * Numbers and booleans of a whole-file vault are not: masking every "2379" would hide the output.
 */
export function registerSecret(v: unknown, depth = 0): void {
  if (typeof v === 'string') {
    if (v.length >= MIN_SECRET_LENGTH) vaultSecrets.add(v);
    const trimmed = v.trim();
    if (trimmed !== v && trimmed.length >= MIN_SECRET_LENGTH) vaultSecrets.add(trimmed);
    // --diff and traces show a multi-line value line by line, prefixed: mask the lines too.
    if (v.includes('\n')) for (const l of v.split('\n')) if (l.trim().length >= MIN_SECRET_LENGTH) vaultSecrets.add(l.trim());
    return;
  }
  if (depth > 100 || v === null || typeof v !== 'object') return;
  for (const x of Array.isArray(v) ? v : Object.values(v as Record<string, unknown>)) registerSecret(x, depth + 1);
}

/**
 * Decrypts vault text with the configured password. `loc` is where the vault data was written (the
 * file for a whole-file vault, file:line:col for a `!vault` value); every error names it.
 */
export function decryptVault(text: string, loc: SourceLocation): string {
  const where = formatLocation(loc);
  if (password === undefined) {
    throw new VaultError(`vault-encrypted ${loc.line === undefined ? 'file' : 'value'} but no vault password was given`, {
      loc,
      hint: `use --vault-password-file FILE or set ${PASSWORD_ENV}`,
    });
  }
  const hit = cache.get(text);
  if (hit !== undefined) return hit;
  let plain: string;
  try {
    if (isAnsibleVaulted(text)) plain = decryptAnsibleAny(text, where, loc);
    else plain = decrypt(text, password, where, loc);
  } catch (e) {
    // decrypt() prefixes `where` for callers without a loc; with one, oneLine() already leads with it.
    if (e instanceof VaultError) throw new VaultError(e.message.startsWith(where + ': ') ? e.message.slice(where.length + 2) : e.message, { loc, cause: e });
    throw e;
  }
  cache.set(text, plain);
  return plain;
}

/** Whole-file vault: the plaintext of the file's text, or the text unchanged. The caller registers the values it finds. */
export function maybeDecryptFile(text: string, file: string): string {
  return isVaulted(text) ? decryptVault(text, { file }) : text;
}

function decryptAnsibleAny(text: string, where: string, loc: SourceLocation): string {
  const { header } = parseAnsibleVault(text, where, loc);
  let last: unknown;
  for (const pw of candidates(header.vaultId)) {
    try {
      return decryptAnsible(text, pw, where, loc);
    } catch (e) {
      last = e;
    }
  }
  throw last;
}

export interface VaultFlags {
  passwordFile?: string;
  /** `--vault-id [ID@]SOURCE` values; SOURCE a password file, an executable, or `prompt`. */
  vaultIds: string[];
  /** -J/--ask-vault-pass */
  ask: boolean;
}

/** True when the flags need a terminal prompt (done by configureVaultPrompts). */
export function vaultNeedsPrompt(f: VaultFlags): boolean {
  return f.ask || f.vaultIds.some((v) => v.replace(/^[^@]*@/, '') === 'prompt');
}

/**
 * Vault passwords from run flags: --vault-password-file, else $BOSUN_VAULT_PASSWORD_FILE, else
 * ansible.cfg's vault_password_file / $ANSIBLE_VAULT_PASSWORD_FILE; plus every --vault-id file.
 * Prompts are left to configureVaultPrompts.
 */
export function configureVaultFlags(f: VaultFlags, cfgFile: string | undefined, env: NodeJS.ProcessEnv = process.env): void {
  configureVault(f.passwordFile ?? (env[PASSWORD_ENV] || undefined) ?? cfgFile, env);
  for (const v of f.vaultIds) {
    const at = v.indexOf('@');
    const id = at >= 0 ? v.slice(0, at) : 'default';
    const src = at >= 0 ? v.slice(at + 1) : v;
    if (src !== 'prompt') addVaultPassword(id, readPasswordFile(src));
  }
}

/** The prompts -J and `--vault-id ID@prompt` ask for, through `ask` (a hidden terminal prompt). */
export async function configureVaultPrompts(f: VaultFlags, ask: (question: string) => Promise<string>): Promise<void> {
  if (f.ask) addVaultPassword('default', await ask('Vault password: '));
  for (const v of f.vaultIds) {
    const at = v.indexOf('@');
    const id = at >= 0 ? v.slice(0, at) : 'default';
    if ((at >= 0 ? v.slice(at + 1) : v) === 'prompt') addVaultPassword(id, await ask(`Vault password (${id}): `));
  }
}
