// One-line apt sources (`deb [options] uri suite [components]`) as Ansible 2.14's apt_repository
// reads and writes them: every file of /etc/apt/sources.list and sources.list.d/*.list parsed into
// entries (enabled or commented out, with a trailing comment), a source added by enabling the copies
// it already has or appended to its own file, removed from every file that enables it, and the
// files written back normalised. Pure; the module reads and writes the host.

export const SOURCES_LIST = '/etc/apt/sources.list';
export const SOURCES_DIR = '/etc/apt/sources.list.d';
const TYPES = new Set(['deb', 'deb-src']);

export interface SourceLine {
  valid: boolean;
  enabled: boolean;
  /** The source with single spaces (or the line's text when not a source). */
  source: string;
  comment: string;
}

/** Ansible's SourcesList._parse. */
export function parseSourceLine(raw: string): SourceLine {
  let line = raw.trim();
  let enabled = true;
  let comment = '';
  if (line.startsWith('#')) {
    enabled = false;
    line = line.slice(1);
  }
  const i = line.indexOf('#');
  if (i > 0) {
    comment = line.slice(i + 1).trim();
    line = line.slice(0, i);
  }
  let source = line.trim();
  let valid = false;
  if (source !== '') {
    const chunks = source.split(/\s+/);
    if (TYPES.has(chunks[0]!)) {
      valid = true;
      source = chunks.join(' ');
    }
  }
  return { valid, enabled, source, comment };
}

/** A repo argument must be an enabled source line (Ansible's "Invalid repository string"). */
export function parseRepo(repo: string): string | undefined {
  const p = parseSourceLine(repo);
  return p.valid && p.enabled ? p.source : undefined;
}

export function renderSources(lines: readonly SourceLine[]): string {
  return lines.map((l) => `${l.enabled ? '' : '# '}${l.source}${l.comment ? ` # ${l.comment}` : ''}\n`).join('');
}

/** Ansible's _suggest_filename: the first word after the type, without options, scheme and user, letters and digits joined by '_'. */
export function suggestFilename(source: string, filename?: string): string {
  if (filename !== undefined) return `${filename}.list`;
  const line = source.replace(/\[[^\]]+\]/g, '').replace(/\w+:\/\//g, '');
  const parts = line.split(/\s+/).filter((p) => p !== '' && !TYPES.has(p));
  const first = (parts[0] ?? '').includes('@') ? parts[0]!.split('@').slice(1).join('@') : (parts[0] ?? '');
  return `${first.replace(/[^a-zA-Z0-9]/g, ' ').split(/\s+/).filter(Boolean).join('_')}.list`;
}

/** A path as Ansible's _expand_path: a name without '/' lives in sources.list.d. */
export function expandPath(file: string): string {
  return file.includes('/') ? file : `${SOURCES_DIR}/${file}`;
}

export interface SourcesEdit {
  /** Every file's text after the edit (a deleted file is absent). */
  after: Map<string, string>;
  /** The file a new source was appended to (its mode is set). */
  appendedTo?: string;
}

/**
 * add: every copy of the source (enabled or not) enabled, else appended to `file`; remove: every
 * enabled copy dropped, a file left without lines deleted. `files` holds the raw texts (sources.list
 * first, then sources.list.d in name order, as Ansible loads them).
 */
export function editSources(files: ReadonlyMap<string, string>, state: 'present' | 'absent', source: string, file: string): SourcesEdit {
  const parsed = new Map([...files].map(([f, text]) => [f, text === '' ? [] : text.replace(/\n$/, '').split('\n').map(parseSourceLine)]));
  let appendedTo: string | undefined;
  if (state === 'present') {
    let found = false;
    for (const lines of parsed.values()) {
      for (const l of lines) {
        if (l.valid && l.source === source) {
          l.enabled = true;
          found = true;
        }
      }
    }
    if (!found) {
      const lines = parsed.get(file) ?? [];
      lines.push({ valid: true, enabled: true, source, comment: '' });
      parsed.set(file, lines);
      appendedTo = file;
    }
  } else {
    for (const [f, lines] of parsed) parsed.set(f, lines.filter((l) => !(l.valid && l.enabled && l.source === source)));
  }
  const after = new Map<string, string>();
  for (const [f, lines] of parsed) if (lines.length > 0) after.set(f, renderSources(lines));
  return { after, appendedTo };
}

/** The files as Ansible dumps them (normalised), to compare before and after. */
export function normalised(files: ReadonlyMap<string, string>): Map<string, string> {
  const out = new Map<string, string>();
  for (const [f, text] of files) {
    const lines = text === '' ? [] : text.replace(/\n$/, '').split('\n').map(parseSourceLine);
    if (lines.length > 0) out.set(f, renderSources(lines));
  }
  return out;
}
