// Parsers for what apt's tools print (LC_ALL=C): dpkg-query lines, `apt-cache policy` blocks and
// `apt-get --simulate` transactions. Pure functions over text, tested on recorded output.

export interface DpkgEntry {
  name: string;
  arch: string;
  version: string;
  /** dpkg's two-letter abbreviation: wanted (u i h r p) + current (n c H U F W t i). */
  status: string;
}

/** The current state says the package is unpacked and configured (triggers pending count as installed). */
export function isInstalled(e: DpkgEntry): boolean {
  return 'iWt'.includes(e.status[1] ?? 'n');
}

/** Something of the package is on disk (installed, half-installed or config files): a purge has work. */
export function hasFiles(e: DpkgEntry): boolean {
  return (e.status[1] ?? 'n') !== 'n';
}

/** `dpkg-query -W -f='${Package}\t${Architecture}\t${Version}\t${db:Status-Abbrev}\n'` lines. */
export function parseDpkgQuery(text: string): DpkgEntry[] {
  const out: DpkgEntry[] = [];
  for (const line of text.split('\n')) {
    const f = line.split('\t');
    if (f.length < 4 || f[0] === '') continue;
    out.push({ name: f[0]!, arch: f[1]!, version: f[2]!, status: f[3]!.trim() });
  }
  return out;
}

export interface PolicyEntry {
  installed?: string;
  candidate?: string;
  /** Versions apt knows, in apt's order (newest first). */
  versions: string[];
}

/** `apt-cache policy NAME...`: one block per known name; unknown names print nothing. */
export function parseAptPolicy(text: string): Map<string, PolicyEntry> {
  const out = new Map<string, PolicyEntry>();
  let cur: PolicyEntry | undefined;
  let table = false;
  for (const line of text.split('\n')) {
    const head = /^(\S+):$/.exec(line);
    if (head) {
      cur = { versions: [] };
      table = false;
      out.set(head[1]!, cur);
      continue;
    }
    if (!cur) continue;
    const kv = /^ {2}(Installed|Candidate): (.*)$/.exec(line);
    if (kv) {
      const v = kv[2]!.trim();
      if (v !== '(none)') cur[kv[1] === 'Installed' ? 'installed' : 'candidate'] = v;
      continue;
    }
    if (/^ {2}Version table:/.test(line)) {
      table = true;
      continue;
    }
    // version lines: " *** 2.10-3 500" or "     2.10-3 500"; the source lines under them are indented further
    const ver = table ? /^ (?:\*\*\*| {3}) (\S+) -?\d+$/.exec(line) : null;
    if (ver) cur.versions.push(ver[1]!);
  }
  return out;
}

export type ChangeAction = 'install' | 'upgrade' | 'downgrade' | 'reinstall' | 'remove' | 'purge' | 'mark_manual';

export interface PkgChange {
  name: string;
  action: ChangeAction;
  /** Installed version before (absent: not installed). */
  before?: string;
  /** Installed version after (absent: removed). */
  after?: string;
}

/**
 * The transaction `apt-get -s` prints: `Inst NAME [OLD] (NEW …)`, `Remv NAME [OLD]`, `Purg NAME [OLD]`.
 * `compare` orders versions (to tell an upgrade from a downgrade).
 */
export function parseAptSimulation(text: string, compare: (a: string, b: string) => number): PkgChange[] {
  const out: PkgChange[] = [];
  for (const line of text.split('\n')) {
    const m = /^(Inst|Remv|Purg) (\S+)(?: \[([^\]]*)\])?(?: \((\S+))?/.exec(line);
    if (!m) continue;
    const [, verb, name, old, neu] = m;
    const before = old || undefined;
    if (verb === 'Inst') {
      const after = neu;
      let action: ChangeAction = 'install';
      if (before !== undefined && after !== undefined) {
        const c = compare(after, before);
        action = c > 0 ? 'upgrade' : c < 0 ? 'downgrade' : 'reinstall';
      }
      out.push({ name: name!, action, before, after });
    } else {
      out.push({ name: name!, action: verb === 'Purg' ? 'purge' : 'remove', before });
    }
  }
  return out;
}

/** apt's "E: …" lines, the reason a simulation or a run failed. */
export function aptErrors(stderr: string): string[] {
  return stderr
    .split('\n')
    .filter((l) => l.startsWith('E: '))
    .map((l) => l.slice(3).trim());
}

/** Fields of `dpkg-deb -f FILE Package Version Architecture`. */
export function parseDebFields(text: string): { name?: string; version?: string; arch?: string } {
  const get = (k: string): string | undefined => new RegExp(`^${k}: (.+)$`, 'm').exec(text)?.[1]?.trim();
  return { name: get('Package'), version: get('Version'), arch: get('Architecture') };
}
