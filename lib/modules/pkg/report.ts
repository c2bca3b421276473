// How a package transaction reads, for every package module: the message, the --diff (the package
// list before and after, one `name version` line each) and the `changes` list registered results carry.
import type { DiffEntry } from '../types.js';
import type { PkgChange } from './apt-parse.js';

const VERB: Record<PkgChange['action'], string> = {
  install: 'install',
  upgrade: 'upgrade',
  downgrade: 'downgrade',
  reinstall: 'reinstall',
  remove: 'remove',
  purge: 'purge',
  mark_manual: 'mark as manually installed',
};

const DONE: Record<PkgChange['action'], string> = {
  install: 'installed',
  upgrade: 'upgraded',
  downgrade: 'downgraded',
  reinstall: 'reinstalled',
  remove: 'removed',
  purge: 'purged',
  mark_manual: 'marked as manually installed',
};

function version(c: PkgChange): string {
  if (c.action === 'install') return c.after ? ` (${c.after})` : '';
  if (c.action === 'remove' || c.action === 'purge') return c.before ? ` (${c.before})` : '';
  if (c.action === 'mark_manual') return '';
  return ` (${c.before ?? '?'} → ${c.after ?? '?'})`;
}

/** "install hello (2.10-3), tree (2.1.0-1); remove x (1.0)" — grouped by action, in a stable order. */
export function describeChanges(changes: readonly PkgChange[], done = false): string {
  const groups = new Map<PkgChange['action'], PkgChange[]>();
  for (const c of changes) groups.set(c.action, [...(groups.get(c.action) ?? []), c]);
  const words = done ? DONE : VERB;
  return [...groups.entries()]
    .map(([action, cs]) => `${words[action]} ${cs.map((c) => `${c.name}${version(c)}`).join(', ')}`)
    .join('; ');
}

/** The packages concerned, as installed before and after: `-tree 2.0-1` / `+tree 2.1.0-1`. */
export function changesDiff(changes: readonly PkgChange[], label: string): DiffEntry {
  const sorted = [...changes].sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  const before: string[] = [];
  const after: string[] = [];
  for (const c of sorted) {
    if (c.action === 'mark_manual') {
      before.push(`${c.name} ${c.before ?? ''} (automatically installed)`.replace('  ', ' '));
      after.push(`${c.name} ${c.after ?? ''}`.trim());
      continue;
    }
    if (c.before !== undefined) before.push(`${c.name} ${c.before}`);
    if (c.after !== undefined && c.action !== 'remove' && c.action !== 'purge') after.push(`${c.name} ${c.after}`);
  }
  const text = (l: string[]): string => (l.length ? l.join('\n') + '\n' : '');
  return { path: label, before: text(before), after: text(after) };
}

/** Sorted, de-duplicated names of the changes with these actions. */
export function namesOf(changes: readonly PkgChange[], ...actions: PkgChange['action'][]): string[] {
  return [...new Set(changes.filter((c) => actions.includes(c.action)).map((c) => c.name))].sort();
}
