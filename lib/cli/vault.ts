// `bosun vault encrypt|decrypt|view|edit|rekey FILE…` and `bosun vault encrypt_string`.
// Files are rewritten atomically (temp file in the same directory, then rename), so a crash or a
// wrong password never leaves a half-written or plaintext file where the vault was; `edit` keeps
// its plaintext in a 0600 file inside a private 0700 directory that is removed afterwards.
import { flagsOf, parseArgsError } from './hints.js';
import { parseArgs } from 'node:util';
import { spawn } from 'node:child_process';
import { closeSync, existsSync, mkdtempSync, openSync, readFileSync, rmSync, statSync, writeSync, constants } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { OptionsError, VaultError } from '../errors.js';
import { writeFileAtomic } from '../pki/lock.js';
import { decrypt, encrypt, isVaulted } from '../vault/crypto.js';
import { decryptAnsible, encryptAnsible, isAnsibleVaulted, parseAnsibleVault } from '../vault/ansible-format.js';
import { PASSWORD_ENV, readPasswordFile } from '../vault/vault.js';
import type { IO } from './io.js';

export const VAULT_HELP = `usage: bosun vault COMMAND [options] FILE...

commands:
  encrypt FILE...          encrypt files in place (or --output F; - for stdout)
  decrypt FILE...          decrypt files in place (or --output F; - for stdout)
  view FILE                print the decrypted content to stdout
  create FILE              run $EDITOR on an empty private file, write FILE encrypted (FILE must not exist)
  edit FILE                decrypt to a private temp file, run $EDITOR, re-encrypt (creates FILE if missing)
  rekey FILE...            re-encrypt with a new password (--new-vault-password-file or a prompt)
  encrypt_string [VALUE]   print a "!vault |" block for a YAML value (VALUE, or stdin when omitted)

options:
      --vault-password-file F      password file (or an executable printing it); also ${PASSWORD_ENV};
                                   without either, a prompt when stdin is a terminal
      --vault-id [ID@]F            a password file with its vault id (repeatable); files written get
                                   ansible's 1.2 header with that id (ID@prompt asks on a terminal)
      --encrypt-vault-id ID        with several --vault-id: the one to encrypt with
      --new-vault-password-file F  rekey: the new password
      --new-vault-id [ID@]F        rekey: the new password with its vault id
      --output F                   encrypt/decrypt: write here instead of in place (- = stdout)
  -n, --name NAME                  encrypt_string: print "NAME: !vault |"
      --stdin-name NAME            encrypt_string: the name for a value read from stdin
      --format ansible|bosun       what to write (default ansible, or $BOSUN_VAULT_FORMAT; see docs/vault.md)

formats: ansible-vault's $ANSIBLE_VAULT;1.1;AES256 (1.2 with a vault id) by default, read and written
as ansible-vault does; bosun's $BOSUN_VAULT;1.0;AES256-GCM;scrypt (memory-hard key derivation, an
authenticated header) with --format bosun. Both are read. A wrong password or a modified file is one
error (exit 1), nothing written.`;

/** Reads a line from the terminal without echo. */
export async function promptHidden(question: string): Promise<string> {
  const stdin = process.stdin;
  process.stderr.write(question);
  return new Promise((resolvePw, reject) => {
    let buf = '';
    const wasRaw = stdin.isRaw;
    stdin.setRawMode(true);
    stdin.resume();
    stdin.setEncoding('utf8');
    const done = (err?: Error): void => {
      stdin.removeListener('data', onData);
      stdin.setRawMode(wasRaw);
      stdin.pause();
      process.stderr.write('\n');
      if (err) reject(err);
      else resolvePw(buf);
    };
    const onData = (chunk: string): void => {
      for (const ch of chunk) {
        if (ch === '\r' || ch === '\n' || ch === '\u0004') return done();
        if (ch === '\u0003') return done(new VaultError('password prompt interrupted'));
        if (ch === '\u007f' || ch === '\b') buf = buf.slice(0, -1);
        else buf += ch;
      }
    };
    stdin.on('data', onData);
  });
}

async function password(file: string | undefined, confirm: boolean, what = 'Vault password', useEnv = true): Promise<string> {
  const f = file ?? (useEnv ? process.env[PASSWORD_ENV] || undefined : undefined);
  if (f !== undefined) return readPasswordFile(f);
  if (!process.stdin.isTTY) {
    throw new VaultError(useEnv ? 'no vault password given' : 'no new vault password given', {
      hint: useEnv ? `use --vault-password-file FILE or set ${PASSWORD_ENV}` : 'use --new-vault-password-file FILE',
    });
  }
  const pw = await promptHidden(`${what}: `);
  if (!pw) throw new VaultError('empty vault password');
  if (confirm && (await promptHidden(`Confirm ${what.toLowerCase()}: `)) !== pw) throw new VaultError('passwords do not match');
  return pw;
}

/** A password and the vault id it was given with (`default` without one). */
interface Secret {
  id: string;
  pw: string;
}

/** `[ID@]SOURCE` of --vault-id: a password file or script, or `prompt`. */
async function vaultIdSecret(spec: string, confirm: boolean): Promise<Secret> {
  const at = spec.indexOf('@');
  const id = at >= 0 ? spec.slice(0, at) : 'default';
  const src = at >= 0 ? spec.slice(at + 1) : spec;
  if (id !== 'default' && /[;\s]/.test(id)) throw new OptionsError(`vault id '${id}' must not contain ';' or spaces`);
  if (src !== 'prompt') return { id, pw: readPasswordFile(src) };
  if (!process.stdin.isTTY) throw new VaultError(`--vault-id ${spec}: no terminal to prompt on`);
  const pw = await promptHidden(`Vault password (${id}): `);
  if (!pw) throw new VaultError('empty vault password');
  if (confirm && (await promptHidden(`Confirm vault password (${id}): `)) !== pw) throw new VaultError('passwords do not match');
  return { id, pw };
}

/** Is `text` vault data bosun reads (ansible's or its own)? */
function vaulted(text: string): boolean {
  return isVaulted(text) || isAnsibleVaulted(text);
}

/** Decrypts with the secrets given: ansible's 1.2 tries the matching id first, as ansible-vault does. */
function open(text: string, secrets: Secret[], where: string): { plain: string; secret: Secret } {
  const id = isAnsibleVaulted(text) ? parseAnsibleVault(text, where).header.vaultId : undefined;
  const order = [...secrets.filter((s) => id !== undefined && s.id === id), ...secrets.filter((s) => id === undefined || s.id !== id)];
  let last: unknown;
  for (const s of order) {
    try {
      return { plain: isAnsibleVaulted(text) ? decryptAnsible(text, s.pw, where) : decrypt(text, s.pw, where), secret: s };
    } catch (e) {
      last = e;
    }
  }
  throw last;
}

/** Encrypts in the chosen format; ansible's header carries the vault id when it is not `default`. */
function seal(plain: string, secret: Secret, format: 'ansible' | 'bosun'): string {
  return format === 'bosun' ? encrypt(plain, secret.pw) : encryptAnsible(plain, secret.pw, secret.id === 'default' ? undefined : secret.id);
}

function readText(file: string): string {
  try {
    return readFileSync(file, 'utf8');
  } catch (e) {
    throw new VaultError(`cannot read ${file}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`, { cause: e });
  }
}

function modeOf(file: string): number {
  try {
    return statSync(file).mode & 0o777;
  } catch {
    return 0o600;
  }
}

/** Writes to `dest` atomically (or stdout for "-"). */
function emit(io: IO, dest: string, data: string, mode: number): void {
  if (dest === '-') io.out(data);
  else writeFileAtomic(dest, data, mode);
}

/** Signals that end `vault edit` cleanly: the editor gets them too, then the plaintext copy is removed. */
const ENDING: NodeJS.Signals[] = ['SIGHUP', 'SIGTERM'];

/**
 * Runs the editor on `path`. While it runs, SIGHUP/SIGTERM (a closed terminal, a kill) are caught and
 * passed on to it instead of killing bosun before the plaintext copy is removed; Ctrl-C belongs to
 * the editor (it gets SIGINT from the terminal itself). Resolves with the signal caught, if any.
 */
function runEditor(editor: string, path: string, caught: { sig?: NodeJS.Signals }): Promise<number | string | null> {
  return new Promise((resolveRun, reject) => {
    // EDITOR may carry arguments ("code -w"); the path goes in as "$1", never re-parsed. exec: the
    // editor itself is our child, so a passed-on signal reaches it.
    const child = spawn('/bin/sh', ['-c', `exec ${editor} "$1"`, 'sh', path], { stdio: 'inherit' });
    const forward = (sig: NodeJS.Signals): void => void child.kill(sig);
    const onSig = new Map<NodeJS.Signals, () => void>();
    for (const s of ENDING) onSig.set(s, () => forward(s));
    for (const [s, h] of onSig) process.on(s, h);
    if (caught.sig) forward(caught.sig);
    const ignoreInt = (): void => {};
    process.on('SIGINT', ignoreInt);
    const off = (): void => {
      for (const [s, h] of onSig) process.removeListener(s, h);
      process.removeListener('SIGINT', ignoreInt);
    };
    child.on('error', (e) => {
      off();
      reject(new VaultError(`cannot run editor '${editor}': ${e.message}`));
    });
    child.on('exit', (code, signal) => {
      off();
      resolveRun(code ?? signal);
    });
  });
}

/** Editor session on a private copy; returns the edited text. The copy is removed in every case. */
async function editText(plain: string, file: string): Promise<string> {
  const editor = process.env.EDITOR || process.env.VISUAL || 'vi';
  // From here until the copy is gone, an ending signal is recorded (not fatal) and acted on after cleanup.
  const caught: { sig?: NodeJS.Signals } = {};
  const record = (sig: NodeJS.Signals): void => void (caught.sig ??= sig);
  for (const s of ENDING) process.on(s, record);
  const dir = mkdtempSync(join(tmpdir(), 'bosun-vault-')); // 0700
  const tmp = join(dir, 'edit.yml');
  try {
    const fd = openSync(tmp, constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL, 0o600);
    try {
      writeSync(fd, plain);
    } finally {
      closeSync(fd);
    }
    const status = await runEditor(editor, tmp, caught);
    if (caught.sig) throw new VaultError(`vault edit interrupted by ${caught.sig}; ${file} left unchanged, the decrypted copy removed`);
    if (status !== 0) throw new VaultError(`editor '${editor}' exited with ${status}; ${file} left unchanged`);
    return readFileSync(tmp, 'utf8');
  } finally {
    // Overwrite before unlinking: the plaintext should not stay in the freed blocks longer than needed.
    try {
      const size = statSync(tmp).size;
      const fd = openSync(tmp, constants.O_WRONLY);
      try {
        writeSync(fd, Buffer.alloc(size));
      } finally {
        closeSync(fd);
      }
    } catch {
      /* editor removed or replaced it */
    }
    rmSync(dir, { recursive: true, force: true });
    for (const s of ENDING) process.removeListener(s, record);
  }
}

/** A `!vault |` block as ansible-vault encrypt_string prints it (lines indented by ten spaces). */
export function vaultBlock(value: string, pw: string, name?: string, vaultId?: string, format: 'ansible' | 'bosun' = 'ansible'): string {
  const body = seal(value, { id: vaultId ?? 'default', pw }, format)
    .trimEnd()
    .split('\n')
    .map((l) => `          ${l}`)
    .join('\n');
  return `${name ? `${name}: ` : ''}!vault |\n${body}\n`;
}

export async function vaultCommand(argv: string[], io: IO): Promise<number> {
  let parsed;
  try {
    parsed = parseArgs({
      args: argv,
      allowPositionals: true,
      strict: true,
      options: {
        'vault-password-file': { type: 'string' },
        'new-vault-password-file': { type: 'string' },
        'vault-id': { type: 'string', multiple: true },
        'encrypt-vault-id': { type: 'string' },
        'new-vault-id': { type: 'string' },
        format: { type: 'string' },
        output: { type: 'string' },
        name: { type: 'string', short: 'n' },
        'stdin-name': { type: 'string' },
        help: { type: 'boolean', short: 'h' },
      },
    });
  } catch (e) {
    throw parseArgsError(e, flagsOf(VAULT_HELP), 'bosun vault --help');
  }
  const v = parsed.values;
  const [cmd, ...files] = parsed.positionals;
  if (v.help || cmd === undefined || cmd === 'help') {
    io.out(VAULT_HELP + '\n');
    return 0;
  }
  const needFiles = (max = Infinity): void => {
    if (files.length === 0) throw new OptionsError(`bosun vault ${cmd} needs a FILE`);
    if (files.length > max) throw new OptionsError(`bosun vault ${cmd} takes one FILE; got ${files.join(' ')}`);
    if (v.output !== undefined && files.length > 1) throw new OptionsError('--output works with one FILE only');
  };
  const pwFile = v['vault-password-file'];
  const format = v.format ?? (process.env.BOSUN_VAULT_FORMAT || 'ansible');
  if (format !== 'ansible' && format !== 'bosun') throw new OptionsError(`--format (or BOSUN_VAULT_FORMAT) must be ansible or bosun; got '${format}'`);
  const ids = v['vault-id'] ?? [];
  /** Every password given (--vault-password-file or its fallbacks, then each --vault-id). */
  const secrets = async (confirm: boolean, what = 'Vault password'): Promise<Secret[]> => {
    const out: Secret[] = [];
    for (const spec of ids) out.push(await vaultIdSecret(spec, confirm));
    if (pwFile !== undefined || out.length === 0) out.unshift({ id: 'default', pw: await password(pwFile, confirm, what) });
    return out;
  };
  /** The one to encrypt with: --encrypt-vault-id's, else the only one given. */
  const encryptWith = (all: Secret[]): Secret => {
    const want = v['encrypt-vault-id'];
    if (want !== undefined) {
      const s = all.find((x) => x.id === want);
      if (!s) throw new OptionsError(`--encrypt-vault-id ${want}: no --vault-id ${want}@… given`);
      return s;
    }
    if (all.length > 1) throw new OptionsError(`${all.length} vault ids given; say which encrypts with --encrypt-vault-id ID`);
    return all[0]!;
  };
  switch (cmd) {
    case 'encrypt': {
      needFiles();
      const secret = encryptWith(await secrets(true, 'New vault password'));
      // Check every file before writing any, so a bad one in the list leaves all untouched.
      const texts = files.map((f) => {
        const text = readText(f);
        if (vaulted(text)) throw new VaultError(`${f} is already vault-encrypted`);
        return text;
      });
      files.forEach((f, i) => emit(io, v.output ?? f, seal(texts[i]!, secret, format), modeOf(f)));
      if (v.output !== '-') io.err(`Encryption successful\n`);
      return 0;
    }
    case 'decrypt':
    case 'view': {
      needFiles(cmd === 'view' ? 1 : Infinity);
      const all = await secrets(false);
      // Decrypt all first: a wrong password on the third file must not leave two decrypted.
      const plains = files.map((f) => {
        const text = readText(f);
        if (!vaulted(text)) throw new VaultError(`${f} is not vault-encrypted`);
        return open(text, all, f).plain;
      });
      if (cmd === 'view') {
        io.out(plains[0]!);
        return 0;
      }
      // Plaintext is written 0600 whatever the vault file's mode (as ansible-vault does).
      files.forEach((f, i) => emit(io, v.output ?? f, plains[i]!, 0o600));
      if (v.output !== '-') io.err(`Decryption successful\n`);
      return 0;
    }
    case 'create':
    case 'edit': {
      needFiles(1);
      const file = files[0]!;
      const exists = existsSync(file);
      if (exists && cmd === 'create') throw new VaultError(`${file} exists, please use 'edit' instead`);
      const all = await secrets(!exists);
      let plain = '';
      let secret = exists ? undefined : encryptWith(all);
      // edit keeps the file's format and vault id (as ansible-vault edit)
      let keep: 'ansible' | 'bosun' = format;
      if (exists) {
        const text = readText(file);
        if (!vaulted(text)) throw new VaultError(`${file} is not vault-encrypted (encrypt it first: bosun vault encrypt ${file})`);
        const o = open(text, all, file);
        plain = o.plain;
        keep = v.format !== undefined ? format : isVaulted(text) ? 'bosun' : 'ansible';
        const id = isAnsibleVaulted(text) ? parseAnsibleVault(text, file).header.vaultId : undefined;
        secret = { id: id ?? o.secret.id, pw: o.secret.pw };
      }
      const edited = await editText(plain, file);
      if (exists && edited === plain) {
        io.err(`${file} unchanged\n`);
        return 0;
      }
      writeFileAtomic(file, seal(edited, secret!, keep), exists ? modeOf(file) : 0o600);
      return 0;
    }
    case 'rekey': {
      needFiles();
      const all = await secrets(false);
      const plains = files.map((f) => {
        const text = readText(f);
        if (!vaulted(text)) throw new VaultError(`${f} is not vault-encrypted`);
        return open(text, all, f).plain;
      });
      const newId = v['new-vault-id'];
      const next = newId !== undefined ? await vaultIdSecret(newId, true) : { id: 'default', pw: await password(v['new-vault-password-file'], true, 'New vault password', false) };
      files.forEach((f, i) => writeFileAtomic(f, seal(plains[i]!, next, format), modeOf(f)));
      io.err(`Rekey successful\n`);
      return 0;
    }
    case 'encrypt_string': {
      if (files.length > 1) throw new OptionsError(`encrypt_string takes one VALUE (quote it); got ${files.length}`);
      const secret = encryptWith(await secrets(true, 'New vault password'));
      let value = files[0];
      let name = v.name;
      if (value === undefined) {
        if (process.stdin.isTTY) io.err('Reading plaintext input from stdin. (ctrl-d to end input, twice if your content does not already have a newline)\n');
        // One final newline is dropped (a typed password ends with Enter; ansible-vault would keep it in the
        // secret), and --name names a stdin value too when --stdin-name does not (ansible-vault ignores it).
        value = readFileSync(0, 'utf8').replace(/\n$/, '');
        name = v['stdin-name'] ?? v.name;
      }
      // ansible-vault ends the block without a newline; a terminal gets one so the prompt is not glued to it
      io.out(vaultBlock(value, secret.pw, name, secret.id, format).trimEnd() + (io.isTTY ? '\n' : ''));
      return 0;
    }
    default:
      throw new OptionsError(`unknown vault command '${cmd}' (expected encrypt, decrypt, view, create, edit, rekey, encrypt_string)`);
  }
}
