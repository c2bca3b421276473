// --diff rendering: unified diff with `--- before: PATH` / `+++ after: PATH` headers, attribute
// changes, summaries for binary/large files, and never a private key or registered secret.
import { createTwoFilesPatch } from 'diff';
import pc from 'picocolors';
import type { DiffEntry } from '../modules/types.js';
import { containsPrivateKey, type Masker } from './mask.js';

const MAX_DIFF_BYTES = 100 * 1024;

export function renderDiff(entries: DiffEntry[], masker: Masker, color: boolean): string {
  const lines: string[] = [];
  for (const d of entries) {
    const path = masker.text(d.path);
    lines.push(`--- before: ${path}`, `+++ after: ${path}`);
    for (const [k, v] of Object.entries(d.attrs ?? {})) {
      if (v.before === v.after) continue;
      if (v.before !== undefined) lines.push(paint(`-${k}: ${v.before}`, '-', color));
      if (v.after !== undefined) lines.push(paint(`+${k}: ${v.after}`, '+', color));
    }
    let summary = d.summary;
    const before = d.before ?? '';
    const after = d.after ?? '';
    if (!summary && (d.before !== undefined || d.after !== undefined)) {
      if (containsPrivateKey(before) || containsPrivateKey(after)) summary = 'private key (content not shown)';
      else if (Buffer.byteLength(before) > MAX_DIFF_BYTES || Buffer.byteLength(after) > MAX_DIFF_BYTES) summary = 'file larger than 100 KiB, diff skipped';
      else if (before.includes('\u0000') || after.includes('\u0000')) summary = 'binary file, diff skipped';
    }
    if (summary) {
      lines.push(`@@ ${masker.text(summary)} @@`);
      continue;
    }
    if (d.before === undefined && d.after === undefined) continue;
    const patch = createTwoFilesPatch(path, path, masker.text(before), masker.text(after), '', '', { context: 3 });
    // drop the library's own header lines (Index/===/---/+++), keep hunks
    const body = patch.split('\n').filter((l, i) => i > 3 || !/^(Index:|=+$|---|\+\+\+)/.test(l));
    for (const l of body) {
      if (l === '') continue;
      lines.push(paint(l, l[0] ?? ' ', color));
    }
  }
  return lines.join('\n');
}

function paint(line: string, kind: string, color: boolean): string {
  if (!color) return line;
  if (kind === '+') return pc.green(line);
  if (kind === '-') return pc.red(line);
  if (kind === '@') return pc.cyan(line);
  return line;
}
