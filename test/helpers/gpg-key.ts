// Test OpenPGP keys made at test time with gpg in a throw-away GNUPGHOME under /tmp (its agent's
// socket path must stay short), removed with its agent at teardown: no test ever touches the
// control node's own keyrings.
import { mkdtempSync, rmSync } from 'node:fs';
import { spawnSync } from 'node:child_process';

export interface TestKey {
  /** The public key, armored. */
  asc: string;
  /** The public key, binary. */
  bin: Buffer;
  /** Primary key fingerprint, 40 upper-case hex digits. */
  fpr: string;
}

/** A primary key for signing with an encryption subkey. */
export function makeKey(t: { teardown(fn: () => void): void }, uid: string, algo: 'ed25519' | 'rsa2048'): TestKey {
  const home = mkdtempSync('/tmp/bosun-gpg-');
  const env = { ...process.env, GNUPGHOME: home };
  t.teardown(() => {
    spawnSync('gpgconf', ['--kill', 'gpg-agent'], { env });
    rmSync(home, { recursive: true, force: true });
  });
  const g = (a: string[]) => spawnSync('gpg', ['--batch', '--quiet', '--passphrase', '', ...a], { env });
  if (g(['--quick-gen-key', uid, algo, 'sign', 'never']).status !== 0) throw new Error('gpg could not make a key');
  const fpr = /^fpr:+([0-9A-F]{40}):/m.exec(g(['--with-colons', '--list-keys']).stdout.toString())![1]!;
  if (g(['--quick-add-key', fpr, algo === 'ed25519' ? 'cv25519' : 'rsa2048', 'encr', 'never']).status !== 0) throw new Error('gpg could not add a subkey');
  return { asc: g(['--armor', '--export']).stdout.toString(), bin: g(['--export']).stdout, fpr };
}
