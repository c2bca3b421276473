// Secret masking for everything that leaves the process: console, --diff, JSON events, errors,
// traces. Registered secrets (vault values, no_log, secret arguments, private keys) become ***,
// and any PEM private key block is replaced wholesale, whether or not anyone registered it.
// Vault values are masked through the process-wide registry the YAML loader fills, so a value
// decrypted before this run's Masker existed (-e @vaulted.yml) is masked too.
import { MIN_SECRET_LENGTH, vaultSecrets } from '../vault/vault.js';
import { maskSorted, sortSecrets } from '../mask-text.js';

/**
 * Secrets known to the whole process (secret-looking variables, secret module arguments): every
 * Masker masks them, also those created where the run's own set is out of reach (bin/'s ERROR! line,
 * the JSON `error` event). Values shorter than MIN_SECRET_LENGTH are not registered (masking every
 * "1" would garble all output and hide nothing).
 */
export const processSecrets = new Set<string>();

export function registerSecret(value: string): void {
  const forms = [value, value.trim(), ...(value.includes('\n') ? value.split('\n').map((l) => l.trim()) : [])];
  for (const f of forms) if (f.length >= MIN_SECRET_LENGTH) processSecrets.add(f);
}

const PEM_KEY = /-----BEGIN ([A-Z0-9 ]*)PRIVATE KEY-----[\s\S]*?(?:-----END \1PRIVATE KEY-----|$)/g;

export const NO_LOG_MSG = "the output has been hidden due to the fact that 'no_log: true' was specified for this result";

export class Masker {
  constructor(readonly secrets: Set<string> = new Set()) {}

  private sorted: string[] = [];
  private sortedFor = '';

  text(s: string): string {
    return maskSorted(s.replace(PEM_KEY, '***PRIVATE KEY***'), this.list());
  }

  /** All secrets, longest first so a secret containing another is masked whole. Rebuilt only when
   *  a set grew (they only ever grow): a no-op run masks thousands of strings. */
  private list(): string[] {
    const stamp = `${this.secrets.size}:${vaultSecrets.size}:${processSecrets.size}`;
    if (stamp !== this.sortedFor) {
      this.sorted = sortSecrets([...this.secrets, ...vaultSecrets, ...processSecrets]);
      this.sortedFor = stamp;
    }
    return this.sorted;
  }

  /** Deep-masks a JSON-able value. */
  value<T>(v: T): T {
    return maskDeep(v, this, 0) as T;
  }
}

export function containsPrivateKey(s: string): boolean {
  PEM_KEY.lastIndex = 0;
  const r = PEM_KEY.test(s);
  PEM_KEY.lastIndex = 0;
  return r;
}

/** Past this depth a value is replaced, not returned as is: unmasked, it could carry any secret. */
export const MAX_MASK_DEPTH = 50;
export const TOO_DEEP = '<value nested too deep to show>';

function maskDeep(v: unknown, m: Masker, depth: number): unknown {
  if (typeof v === 'string') return m.text(v);
  if (v === null || typeof v !== 'object') return v;
  if (depth > MAX_MASK_DEPTH) return TOO_DEEP;
  if (Buffer.isBuffer(v)) return `<${v.length} bytes>`;
  // a value that says how it prints as JSON (a boxed float, a date) is that value, not its fields
  const toJSON = (v as { toJSON?: unknown }).toJSON;
  if (typeof toJSON === 'function') return maskDeep(toJSON.call(v), m, depth + 1);
  if (Array.isArray(v)) return v.map((x) => maskDeep(x, m, depth + 1));
  const out: Record<string, unknown> = {};
  for (const [k, x] of Object.entries(v as Record<string, unknown>)) out[k] = maskDeep(x, m, depth + 1);
  return out;
}
