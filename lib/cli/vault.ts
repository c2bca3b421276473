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
import { PASSWORD_ENV, readPasswordFile } from '../vault/vault.js';
import type { IO } from './io.js';

export const VAULT_HELP = `usage: bosun vault COMMAND [options] FILE...

commands:
  encrypt FILE...          encrypt files in place (or --output F; - for stdout)
  decrypt FILE...          decrypt files in place (or --output F; - for stdout)
  view FILE                print the decrypted content to stdout
  edit FILE                decrypt to a private temp file, run $EDITOR, re-encrypt (creates FILE if missing)
  rekey FILE...            re-encrypt with a new password (--new-vault-password-file or a prompt)
  encrypt_string [VALUE]   print a "!vault |" block for a YAML value (VALUE, or stdin when omitted)

options:
      --vault-password-file F      password file (or an executable printing it); also ${PASSWORD_ENV};
                                   without either, a prompt when stdin is a terminal
      --new-vault-password-file F  rekey: the new password
      --output F                   encrypt/decrypt: write here instead of in place (- = stdout)
  -n, --name NAME                  encrypt_string: print "NAME: !vault |"

format: $BOSUN_VAULT;1.0;AES256-GCM;scrypt;N=…,r=…,p=… then base64(salt ‖ nonce ‖ ciphertext ‖ tag);
the header is authenticated. A wrong password or a modified file is one error (exit 1), nothing written.`;

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

/** A `!vault |` block, indented for YAML. */
export function vaultBlock(value: string, pw: string, name?: string): string {
  const body = encrypt(value, pw)
    .trimEnd()
    .split('\n')
    .map((l) => `  ${l}`)
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
        output: { type: 'string' },
        name: { type: 'string', short: 'n' },
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
  switch (cmd) {
    case 'encrypt': {
      needFiles();
      const pw = await password(pwFile, true, 'New vault password');
      // Check every file before writing any, so a bad one in the list leaves all untouched.
      const texts = files.map((f) => {
        const text = readText(f);
        if (isVaulted(text)) throw new VaultError(`${f} is already vault-encrypted`);
        return text;
      });
      files.forEach((f, i) => emit(io, v.output ?? f, encrypt(texts[i]!, pw), modeOf(f)));
      if (v.output !== '-') io.err(`Encryption successful\n`);
      return 0;
    }
    case 'decrypt':
    case 'view': {
      needFiles(cmd === 'view' ? 1 : Infinity);
      const pw = await password(pwFile, false);
      // Decrypt all first: a wrong password on the third file must not leave two decrypted.
      const plains = files.map((f) => {
        const text = readText(f);
        if (!isVaulted(text)) throw new VaultError(`${f} is not vault-encrypted`);
        return decrypt(text, pw, f);
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
    case 'edit': {
      needFiles(1);
      const file = files[0]!;
      const exists = existsSync(file);
      const pw = await password(pwFile, !exists);
      let plain = '';
      if (exists) {
        const text = readText(file);
        if (!isVaulted(text)) throw new VaultError(`${file} is not vault-encrypted (encrypt it first: bosun vault encrypt ${file})`);
        plain = decrypt(text, pw, file);
      }
      const edited = await editText(plain, file);
      if (exists && edited === plain) {
        io.err(`${file} unchanged\n`);
        return 0;
      }
      writeFileAtomic(file, encrypt(edited, pw), exists ? modeOf(file) : 0o600);
      return 0;
    }
    case 'rekey': {
      needFiles();
      const pw = await password(pwFile, false);
      const plains = files.map((f) => {
        const text = readText(f);
        if (!isVaulted(text)) throw new VaultError(`${f} is not vault-encrypted`);
        return decrypt(text, pw, f);
      });
      const newPw = await password(v['new-vault-password-file'], true, 'New vault password', false);
      files.forEach((f, i) => writeFileAtomic(f, encrypt(plains[i]!, newPw), modeOf(f)));
      io.err(`Rekey successful\n`);
      return 0;
    }
    case 'encrypt_string': {
      if (files.length > 1) throw new OptionsError(`encrypt_string takes one VALUE (quote it); got ${files.length}`);
      const pw = await password(pwFile, true, 'New vault password');
      let value = files[0];
      if (value === undefined) {
        if (process.stdin.isTTY) io.err('Reading plaintext from stdin (end with Ctrl-D):\n');
        value = readFileSync(0, 'utf8').replace(/\n$/, '');
      }
      io.out(vaultBlock(value, pw, v.name));
      return 0;
    }
    default:
      throw new OptionsError(`unknown vault command '${cmd}' (expected encrypt, decrypt, view, edit, rekey, encrypt_string)`);
  }
}
