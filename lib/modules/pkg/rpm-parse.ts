// Parsers for what rpm and dnf/yum print (LC_ALL=C): `rpm -q --qf` lines, `repoquery --qf` lines
// and the transaction table of `dnf --assumeno` / `yum --assumeno`. Pure, tested on recorded output.
import type { PkgChange } from './apt-parse.js';

export interface RpmEntry {
  name: string;
  /** `epoch:version-release`, epoch 0 included (rpm's %{EPOCHNUM}). */
  evr: string;
  arch: string;
}

/** The --qf both the query and repoquery use: name, evr, arch. */
export const RPM_QF = '%{NAME}\\t%{EPOCHNUM}:%{VERSION}-%{RELEASE}\\t%{ARCH}\\n';
export const REPOQUERY_QF = '%{name}\\t%{epoch}:%{version}-%{release}\\t%{arch}\\n';

/** `NAME\tE:V-R\tARCH` lines; rpm's "package x is not installed" lines have no tab and are skipped. */
export function parseRpmLines(text: string): RpmEntry[] {
  const out: RpmEntry[] = [];
  for (const line of text.split('\n')) {
    const f = line.split('\t');
    if (f.length !== 3 || f[0] === '') continue;
    out.push({ name: f[0]!, evr: f[1]!.trim(), arch: f[2]!.trim() });
  }
  return out;
}

/** `0:1.2-3` → `1.2-3` (what dnf shows and accepts), other epochs kept. */
export function shortEvr(evr: string): string {
  return evr.startsWith('0:') ? evr.slice(2) : evr;
}

const SECTIONS: Array<[RegExp, PkgChange['action']]> = [
  [/^(Installing|Installing dependencies|Installing weak dependencies|Installing for dependencies|Installing group\/module packages):$/, 'install'],
  [/^(Upgrading|Upgrading dependencies|Updating|Updating for dependencies):$/, 'upgrade'],
  [/^(Downgrading|Downgrading dependencies):$/, 'downgrade'],
  [/^(Reinstalling):$/, 'reinstall'],
  [/^(Removing|Removing dependent packages|Removing unused dependencies|Removing for dependencies|Erasing):$/, 'remove'],
];

/**
 * The transaction table dnf (and yum) print before asking: section headers, then
 * ` name  arch  version  repo  size` rows. A long name wraps onto a line of its own, the other
 * columns following on the next; `replacing` rows belong to the row above. `installed` gives the
 * versions before, for upgrades and downgrades.
 */
export function parseDnfTransaction(text: string, installed: ReadonlyMap<string, string> = new Map()): PkgChange[] {
  const out: PkgChange[] = [];
  let action: PkgChange['action'] | undefined;
  let pending: string | undefined;
  for (const raw of text.split('\n')) {
    const line = raw.trimEnd();
    const head = SECTIONS.find(([re]) => re.test(line.trim()) && !line.startsWith(' '));
    if (head) {
      action = head[1];
      pending = undefined;
      continue;
    }
    if (/^(Transaction Summary|Dependencies resolved|=+$|Package\s)/.test(line.trim()) || line.trim() === '') {
      if (/^Transaction Summary/.test(line.trim())) action = undefined;
      continue;
    }
    if (!action || !line.startsWith(' ')) continue;
    const f = line.trim().split(/\s+/);
    if (f[0] === 'replacing') continue;
    if (f.length === 1) {
      pending = f[0];
      continue;
    }
    let name: string;
    let version: string;
    if (pending !== undefined && f.length >= 3 && f.length <= 5) {
      name = pending;
      version = f[1]!;
    } else if (f.length >= 4) {
      name = f[0]!;
      version = f[2]!;
    } else continue;
    pending = undefined;
    const before = installed.get(name);
    if (action === 'remove') out.push({ name, action, before: version });
    else if (action === 'install') out.push({ name, action, after: version });
    else out.push({ name, action, before, after: version });
  }
  return out;
}

/** dnf's and yum's error lines ("Error: …", "No match for argument: x"), for failure messages. */
export function dnfFailure(stdout: string, stderr: string, tool: string): string {
  const text = `${stderr}\n${stdout}`;
  const missing = [...text.matchAll(/^No match for argument: (\S+)/gm)].map((m) => m[1]!);
  const yumMissing = [...text.matchAll(/^No package (\S+) available\./gm)].map((m) => m[1]!);
  const names = [...new Set([...missing, ...yumMissing])];
  if (names.length) return `No package ${names.join(', ')} available.`;
  const err = /^Error: (.*)$/m.exec(text)?.[1];
  return `${tool} failed: ${err ?? (stderr.trim().split('\n').pop() || 'unknown error')}`;
}
