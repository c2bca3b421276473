// `bosun vault …` through the CLI entry (main): files rewritten atomically, wrong password → one
// error and nothing written, `edit` with $EDITOR set to a small script, rekey, encrypt_string.
import t from 'tap';
import { chmodSync, existsSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { main } from '../../lib/cli/main.js';
import { BosunError } from '../../lib/errors.js';
import { setVaultPassword } from '../../lib/vault/vault.js';
import { parseYaml } from '../../lib/loaders/yaml.js';

async function vault(argv: string[], env: Record<string, string | undefined> = {}): Promise<{ code: number; out: string; err: string }> {
  let out = '';
  let err = '';
  const saved: Record<string, string | undefined> = {};
  for (const [k, v] of Object.entries(env)) {
    saved[k] = process.env[k];
    if (v === undefined) delete process.env[k];
    else process.env[k] = v;
  }
  try {
    const code = await main(['vault', ...argv], { out: (s) => void (out += s), err: (s) => void (err += s), isTTY: false });
    return { code, out, err };
  } catch (e) {
    if (e instanceof BosunError) return { code: e.exitCode, out, err: err + `ERROR! ${e.oneLine()}\n` };
    throw e;
  } finally {
    for (const [k, v] of Object.entries(saved)) {
      if (v === undefined) delete process.env[k];
      else process.env[k] = v;
    }
  }
}

const PLAIN = 'db_password: p4ssw0rd-xyz\nport: 2379\n';

/** Entries of a directory other than the named ones: temp files left behind would show here. */
function extras(dir: string, known: string[]): string[] {
  return readdirSync(dir).filter((f) => !known.includes(f));
}

t.test('encrypt, view, decrypt; wrong password changes nothing', async (t) => {
  const dir = t.testdir({ pw: 'one\n', wrong: 'two\n', 'vars.yml': PLAIN });
  const f = join(dir, 'vars.yml');
  chmodSync(f, 0o640);
  const pw = ['--vault-password-file', join(dir, 'pw')];
  let r = await vault(['encrypt', ...pw, f]);
  t.equal(r.code, 0, r.err);
  t.equal(r.err, 'Encryption successful\n');
  const enc = readFileSync(f, 'utf8');
  t.match(enc, /^\$ANSIBLE_VAULT;1\.1;AES256\n/, "ansible's format by default");
  t.notMatch(enc, /p4ssw0rd/);
  t.equal(statSync(f).mode & 0o777, 0o640, 'mode kept');
  t.same(extras(dir, ['pw', 'wrong', 'vars.yml']), [], 'no temp file left');

  r = await vault(['encrypt', ...pw, f]);
  t.equal(r.code, 1);
  t.match(r.err, /is already vault-encrypted/);
  t.equal(readFileSync(f, 'utf8'), enc, 'not encrypted twice');

  r = await vault(['view', ...pw, f]);
  t.equal(r.code, 0);
  t.equal(r.out, PLAIN);

  for (const cmd of ['view', 'decrypt', 'rekey', 'edit']) {
    r = await vault([cmd, '--vault-password-file', join(dir, 'wrong'), '--new-vault-password-file', join(dir, 'pw'), f], { EDITOR: 'false' });
    t.equal(r.code, 1, `${cmd}: exit 1`);
    t.equal(r.err, `ERROR! ${f}: vault decryption failed: wrong vault password, or the vault data was modified\n`, `${cmd}: one line`);
    t.equal(r.out, '');
    t.equal(readFileSync(f, 'utf8'), enc, `${cmd}: file unchanged`);
    t.same(extras(dir, ['pw', 'wrong', 'vars.yml']), [], `${cmd}: nothing written beside it`);
  }

  // tampered: one digit of the salt changed (still hex: '1' <-> '2' in the low half of a byte's hex pair)
  const lines = enc.split('\n');
  lines[1] = lines[1]![0] + (lines[1]![1] === '1' ? '2' : '1') + lines[1]!.slice(2);
  writeFileSync(join(dir, 'tampered.yml'), lines.join('\n'));
  r = await vault(['view', ...pw, join(dir, 'tampered.yml')]);
  t.equal(r.code, 1);
  t.match(r.err, /tampered\.yml: vault decryption failed/);

  r = await vault(['decrypt', ...pw, '--output', '-', f]);
  t.equal(r.out, PLAIN, '--output - prints');
  t.equal(readFileSync(f, 'utf8'), enc);
  r = await vault(['decrypt', f], { BOSUN_VAULT_PASSWORD_FILE: join(dir, 'pw') });
  t.equal(r.code, 0, 'password from the environment');
  t.equal(readFileSync(f, 'utf8'), PLAIN);
  t.equal(statSync(f).mode & 0o777, 0o600, 'plaintext written 0600, not with the vault file\'s 0640 (as ansible-vault)');
});

t.test('decrypt --output: the plaintext file is 0600 whatever the vault file\'s mode', async (t) => {
  const dir = t.testdir({ pw: 'pw\n', 'v.yml': PLAIN });
  const f = join(dir, 'v.yml');
  await vault(['encrypt', '--vault-password-file', join(dir, 'pw'), f]);
  chmodSync(f, 0o644);
  writeFileSync(join(dir, 'old-out.yml'), 'x', { mode: 0o644 });
  for (const out of ['out.yml', 'old-out.yml']) {
    const r = await vault(['decrypt', '--vault-password-file', join(dir, 'pw'), '--output', join(dir, out), f]);
    t.equal(r.code, 0, r.err);
    t.equal(readFileSync(join(dir, out), 'utf8'), PLAIN);
    t.equal(statSync(join(dir, out)).mode & 0o777, 0o600, out);
  }
});

for (const sig of ['SIGHUP', 'SIGTERM'] as const) {
  t.test(`edit: ${sig} while the editor runs removes the decrypted copy and leaves the vault unchanged`, async (t) => {
    const dir = t.testdir({ pw: 'pw\n', 'v.yml': PLAIN });
    const f = join(dir, 'v.yml');
    await vault(['encrypt', '--vault-password-file', join(dir, 'pw'), f]);
    const before = readFileSync(f, 'utf8');
    const log = join(dir, 'editor.log');
    // The "editor" notes the plaintext copy's path, has bosun signalled (as a closed terminal or a
    // kill would), then waits like an editor would until the signal passed on to it ends it.
    const editor = join(dir, 'editor.sh');
    writeFileSync(editor, `#!/bin/sh\necho "$1" > ${log}\necho 'added: 1' >> "$1"\nkill -${sig.slice(3)} ${process.pid}\nexec sleep 30\n`);
    chmodSync(editor, 0o755);
    const listeners = process.listenerCount(sig);
    const t0 = Date.now();
    const r = await vault(['edit', '--vault-password-file', join(dir, 'pw'), f], { EDITOR: editor });
    t.ok(Date.now() - t0 < 20_000, 'the editor was ended, not waited for');
    t.equal(r.code, 1);
    t.match(r.err, new RegExp(`interrupted by ${sig}; .*v\\.yml left unchanged`));
    const tmp = readFileSync(log, 'utf8').trim();
    t.ok(tmp.startsWith(join(tmpdir(), 'bosun-vault-')), tmp);
    t.notOk(existsSync(join(tmp, '..')), 'the decrypted copy and its directory are gone');
    t.equal(readFileSync(f, 'utf8'), before);
    t.equal(process.listenerCount(sig), listeners, 'handlers removed');
  });
}

t.test('several files: all or nothing', async (t) => {
  const dir = t.testdir({ pw: 'one\n', other: 'other\n', 'a.yml': 'a: 1\n', 'b.yml': 'b: 2\n' });
  const [a, b] = [join(dir, 'a.yml'), join(dir, 'b.yml')];
  t.equal((await vault(['encrypt', '--vault-password-file', join(dir, 'pw'), a])).code, 0);
  t.equal((await vault(['encrypt', '--vault-password-file', join(dir, 'other'), b])).code, 0);
  const [ea, eb] = [readFileSync(a, 'utf8'), readFileSync(b, 'utf8')];
  const r = await vault(['decrypt', '--vault-password-file', join(dir, 'pw'), a, b]);
  t.equal(r.code, 1);
  t.match(r.err, /b\.yml: vault decryption failed/);
  t.equal(readFileSync(a, 'utf8'), ea, 'a stays encrypted although its password was right');
  t.equal(readFileSync(b, 'utf8'), eb);
});

t.test('rekey', async (t) => {
  const dir = t.testdir({ old: 'old\n', new: 'new\n', 'v.yml': PLAIN });
  const f = join(dir, 'v.yml');
  await vault(['encrypt', '--vault-password-file', join(dir, 'old'), f]);
  let r = await vault(['rekey', '--vault-password-file', join(dir, 'old'), f]);
  t.equal(r.code, 1, 'no new password on a non-terminal');
  t.match(r.err, /no new vault password given \(use --new-vault-password-file FILE\)/);
  r = await vault(['rekey', '--vault-password-file', join(dir, 'old'), '--new-vault-password-file', join(dir, 'new'), f]);
  t.equal(r.code, 0, r.err);
  t.equal((await vault(['view', '--vault-password-file', join(dir, 'old'), f])).code, 1, 'old password no longer works');
  t.equal((await vault(['view', '--vault-password-file', join(dir, 'new'), f])).out, PLAIN);
});

t.test('edit with $EDITOR: private temp file, removed afterwards', async (t) => {
  const dir = t.testdir({ pw: 'pw\n', 'v.yml': PLAIN });
  const f = join(dir, 'v.yml');
  await vault(['encrypt', '--vault-password-file', join(dir, 'pw'), f]);
  const log = join(dir, 'editor.log');
  // The editor records where it was called and the modes it saw, then appends a line.
  const editor = join(dir, 'editor.sh');
  writeFileSync(
    editor,
    `#!/bin/sh\nset -e\nprintf '%s %s %s\\n' "$1" "$(stat -c %a "$1")" "$(stat -c %a "$(dirname "$1")")" > ${log}\necho 'added: yes' >> "$1"\n`,
  );
  chmodSync(editor, 0o755);
  const pw = ['--vault-password-file', join(dir, 'pw')];
  let r = await vault(['edit', ...pw, f], { EDITOR: editor });
  t.equal(r.code, 0, r.err);
  const [tmp, fileMode, dirMode] = readFileSync(log, 'utf8').trim().split(' ');
  t.equal(fileMode, '600');
  t.equal(dirMode, '700');
  t.ok(tmp!.startsWith(join(tmpdir(), 'bosun-vault-')), tmp);
  t.notOk(existsSync(tmp!), 'temp file removed');
  t.notOk(existsSync(join(tmp!, '..')), 'temp dir removed');
  t.notMatch(readFileSync(f, 'utf8'), /added/);
  t.equal((await vault(['view', ...pw, f])).out, PLAIN + 'added: yes\n');

  // an editor that fails: file unchanged, temp removed
  const before = readFileSync(f, 'utf8');
  const failing = join(dir, 'fail.sh');
  writeFileSync(failing, `#!/bin/sh\necho junk >> "$1"\nexit 1\n`);
  chmodSync(failing, 0o755);
  r = await vault(['edit', ...pw, f], { EDITOR: failing });
  t.equal(r.code, 1);
  t.match(r.err, /exited with 1; .* left unchanged/);
  t.equal(readFileSync(f, 'utf8'), before);
  // an editor that changes nothing: not rewritten
  r = await vault(['edit', ...pw, f], { EDITOR: 'true' });
  t.match(r.err, /unchanged/);
  t.equal(readFileSync(f, 'utf8'), before);
  // a new file is created encrypted, 0600
  const nf = join(dir, 'new.yml');
  r = await vault(['edit', ...pw, nf], { EDITOR: editor });
  t.equal(r.code, 0, r.err);
  t.equal(statSync(nf).mode & 0o777, 0o600);
  t.equal((await vault(['view', ...pw, nf])).out, 'added: yes\n');
});

t.test('encrypt_string prints a !vault block that loads', async (t) => {
  const dir = t.testdir({ pw: 'pw\n' });
  const r = await vault(['encrypt_string', '--vault-password-file', join(dir, 'pw'), '--name', 'etcd_root_password', 'r00t "quoted" \'x\'']);
  t.equal(r.code, 0, r.err);
  t.match(r.out, /^etcd_root_password: !vault \|\n {10}\$ANSIBLE_VAULT;1\.1;AES256\n/);
  t.notMatch(r.out, /\n$/, 'no final newline, as ansible-vault prints it');
  setVaultPassword('pw');
  t.teardown(() => setVaultPassword(undefined));
  t.same(parseYaml(`x: 1\n${r.out}\n`, 'f.yml').value, { x: 1, etcd_root_password: 'r00t "quoted" \'x\'' });
  const bare = await vault(['encrypt_string', '--vault-password-file', join(dir, 'pw'), 'v']);
  t.match(bare.out, /^!vault \|\n {10}\$ANSIBLE_VAULT/);
  const own = await vault(['encrypt_string', '--format', 'bosun', '--vault-password-file', join(dir, 'pw'), '-n', 'k', 'v2']);
  t.match(own.out, /^k: !vault \|\n {10}\$BOSUN_VAULT;1\.0;AES256-GCM;scrypt;/, '--format bosun');
  t.same(parseYaml(`${own.out}\n`, 'f.yml').value, { k: 'v2' });
});

t.test('--format bosun files, read back; a bad --format', async (t) => {
  const dir = t.testdir({ pw: 'one\n', 'a.yml': 'a: 1\n' });
  const f = join(dir, 'a.yml');
  const pw = ['--vault-password-file', join(dir, 'pw')];
  t.equal((await vault(['encrypt', '--format', 'bosun', ...pw, f])).code, 0);
  t.match(readFileSync(f, 'utf8'), /^\$BOSUN_VAULT;1\.0;AES256-GCM;scrypt;N=\d+,r=\d+,p=\d+\n/);
  t.equal((await vault(['view', ...pw, f])).out, 'a: 1\n');
  const bad = await vault(['encrypt', '--format', 'gpg', ...pw, f]);
  t.equal(bad.code, 5);
  t.match(bad.err, /--format \(or BOSUN_VAULT_FORMAT\) must be ansible or bosun; got .gpg./);
});

t.test('usage errors', async (t) => {
  const dir = t.testdir({ pw: 'pw\n', 'a.yml': 'a: 1\n' });
  t.equal((await vault([])).code, 0, 'help');
  let r = await vault(['frobnicate', 'x']);
  t.equal(r.code, 5);
  t.match(r.err, /unknown vault command 'frobnicate'/);
  r = await vault(['view']);
  t.equal(r.code, 5);
  r = await vault(['view', join(dir, 'a.yml')], { BOSUN_VAULT_PASSWORD_FILE: undefined });
  t.equal(r.code, 1);
  t.match(r.err, /no vault password given \(use --vault-password-file FILE or set BOSUN_VAULT_PASSWORD_FILE\)/);
  r = await vault(['view', '--vault-password-file', join(dir, 'pw'), join(dir, 'a.yml')]);
  t.match(r.err, /is not vault-encrypted/);
  r = await vault(['view', '--vault-password-file', join(dir, 'pw'), join(dir, 'nope.yml')]);
  t.equal(r.code, 1);
  t.match(r.err, /cannot read .*nope\.yml: ENOENT/);
});
