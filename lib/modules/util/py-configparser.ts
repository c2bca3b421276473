// Python 3.11's configparser.RawConfigParser as Ansible's yum_repository uses it: read (full-line
// comments, `=`/`:` delimiters, option names lower-cased, indented continuation lines, blank lines
// inside values, DEFAULT), write (`key = value`, continuation lines tab-indented, a blank line after
// each section) and items() (DEFAULT's options first). Comments and layout do not survive a
// round trip, exactly as with Python.

/** Ordered options of one section: name → value (continuation lines joined with "\n"). */
export type Section = Map<string, string>;

export interface IniDoc {
  defaults: Section;
  sections: Map<string, Section>;
}

/** A file configparser refuses (Python raises, the module fails with a traceback). */
export class IniParseError extends Error {}

const DEFAULT = 'DEFAULT';

/** Reads `text` as RawConfigParser().read() does (strict, no interpolation). */
export function parseIni(text: string): IniDoc {
  const doc: IniDoc = { defaults: new Map(), sections: new Map() };
  // Python reads text files with universal newlines
  const lines = text.split(/\r\n|\r|\n/);
  if (lines.at(-1) === '') lines.pop();
  const added = new Set<string>();
  // values as lists of lines until the end (Python joins them last)
  const rawDefaults = new Map<string, string[]>();
  const rawSections = new Map<string, Map<string, string[]>>();
  let cur: Map<string, string[]> | undefined;
  let curName: string | undefined;
  let opt: string | undefined;
  let indent = 0;
  const bad: number[] = [];
  lines.forEach((line, i) => {
    const lineno = i + 1;
    const stripped = line.trim();
    const comment = stripped.startsWith('#') || stripped.startsWith(';');
    const value = comment ? '' : stripped;
    if (!value) {
      // a blank line (not a comment) belongs to the value being read
      if (!comment && cur && opt) cur.get(opt)?.push('');
      return;
    }
    const first = /\S/.exec(line)?.index ?? 0;
    if (cur && opt && first > indent) {
      cur.get(opt)!.push(value);
      return;
    }
    indent = first;
    const sect = /^\[(.+)\]/.exec(value);
    if (sect) {
      const name = sect[1]!;
      if (name !== DEFAULT && added.has(name)) throw new IniParseError(`While reading: section '${name}' already exists (line ${lineno})`);
      if (name !== DEFAULT) added.add(name);
      if (name === DEFAULT) cur = rawDefaults;
      else {
        cur = rawSections.get(name) ?? new Map<string, string[]>();
        rawSections.set(name, cur);
      }
      curName = name;
      opt = undefined;
      return;
    }
    if (!cur) throw new IniParseError(`File contains no section headers (line ${lineno}: ${JSON.stringify(line)})`);
    const o = /^(.*?)\s*([=:])\s*(.*)$/.exec(value);
    if (!o) {
      bad.push(lineno);
      return;
    }
    if (!o[1]) bad.push(lineno);
    const name = o[1]!.trimEnd().toLowerCase();
    const key = `${curName}\0${name}`;
    if (added.has(key)) throw new IniParseError(`While reading: option '${name}' in section '${curName}' already exists (line ${lineno})`);
    added.add(key);
    cur.set(name, [o[3]!.trim()]);
    opt = name;
  });
  const join = (m: Map<string, string[]>): Section => new Map([...m].map(([k, v]) => [k, v.join('\n').trimEnd()]));
  doc.defaults = join(rawDefaults);
  for (const [name, m] of rawSections) doc.sections.set(name, join(m));
  if (bad.length) throw new IniParseError(`Source contains parsing errors: line(s) ${bad.join(', ')}`);
  return doc;
}

function writeSection(name: string, opts: Section): string {
  let out = `[${name}]\n`;
  for (const [k, v] of opts) out += `${k} = ${v.replace(/\n/g, '\n\t')}\n`;
  return out + '\n';
}

/** RawConfigParser.write(): DEFAULT first when it has options, then every section in order. */
export function writeIni(doc: IniDoc): string {
  let out = doc.defaults.size ? writeSection(DEFAULT, doc.defaults) : '';
  for (const [name, opts] of doc.sections) out += writeSection(name, opts);
  return out;
}

/** items(section): DEFAULT's options, overridden and followed by the section's own. */
export function items(doc: IniDoc, section: string): Array<[string, string]> {
  const d = new Map(doc.defaults);
  for (const [k, v] of doc.sections.get(section) ?? []) d.set(k, v);
  return [...d];
}

/** Python's sorted() of strings: by code point. */
export function pySort(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
