// Secrets in text become ***: the one replacement every masker uses (lib/output/mask.ts for all the
// operator sees; the executors' request traces, which mask their own request's secrets first).

/** Every occurrence of each secret becomes ***, longest first so a secret containing another is masked whole. */
export function maskText(text: string, secrets: Iterable<string> | undefined): string {
  if (!secrets) return text;
  return maskSorted(text, sortSecrets(secrets));
}

/** Distinct non-empty secrets, longest first: what maskSorted expects (callers masking many strings keep it). */
export function sortSecrets(secrets: Iterable<string>): string[] {
  return [...new Set(secrets)].filter((x) => x.length > 0).sort((a, b) => b.length - a.length);
}

export function maskSorted(text: string, sorted: readonly string[]): string {
  let out = text;
  for (const sec of sorted) if (out.includes(sec)) out = out.split(sec).join('***');
  return out;
}
