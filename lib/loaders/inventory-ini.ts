// ansible's INI inventory plugin.
import { InventoryError, closest, type SourceLocation } from '../errors.js';
import { shlexSplit } from '../executor/shell.js';
import { pyLiteral } from './pyliteral.js';
import type { InventoryGraph, VarsLayer } from './inventory-graph.js';
import { splitHostPort } from './host-range.js';

/** ansible's INI inventory: [group], [group:vars], [group:children], `host k=v …` lines. */
export function parseIniInventory(inv: InventoryGraph, text: string, file: string): void {
  type Section = { group: string; kind: 'hosts' | 'vars' | 'children' };
  let section: Section = { group: 'ungrouped', kind: 'hosts' };
  const pendingChildren: { parent: string; child: string; loc: SourceLocation }[] = [];
  text.split(/\r?\n/).forEach((raw, i) => {
    const loc = { file, line: i + 1, col: 1 };
    const line = raw.trim();
    if (line === '' || line.startsWith('#') || line.startsWith(';')) return;
    const sm = /^\[([^\]]*)\]\s*(?:[#;].*)?$/.exec(line);
    if (sm) {
      const [gname, kind = 'hosts'] = sm[1]!.split(':') as [string, string | undefined];
      if (!['hosts', 'vars', 'children'].includes(kind)) {
        const near = closest(kind, ['vars', 'children']) ?? ['vars', 'children'].find((c) => kind !== '' && c.startsWith(kind));
        throw new InventoryError(`unknown section suffix ':${kind}' in '[${sm[1]}]': expected [group], [group:vars] or [group:children]`, {
          loc,
          hint: near ? `did you mean ':${near}'?` : undefined,
        });
      }
      inv.checkGroupName(gname, loc);
      inv.addGroup(gname);
      section = { group: gname, kind: kind as Section['kind'] };
      return;
    }
    if (line.startsWith('[')) throw new InventoryError(`invalid section header '${line}': expected [group], [group:vars] or [group:children]`, { loc });
    if (section.kind === 'children') {
      inv.checkGroupName(line, loc);
      inv.addGroup(line);
      pendingChildren.push({ parent: section.group, child: line, loc });
    } else if (section.kind === 'vars') {
      const eq = line.indexOf('=');
      if (eq <= 0) throw new InventoryError(`expected 'name=value' in [${section.group}:vars], found '${line}'`, { loc });
      const k = line.slice(0, eq).trim();
      const vars = { [k]: iniValue(line.slice(eq + 1).trim()) };
      inv.groupsData.get(section.group)!.layers.push({ vars, where: () => loc });
    } else {
      const tokens = shlexSplit(line, { comments: true, error: () => new InventoryError(`unterminated quote in '${line}'`, { loc }) });
      const { names, port } = splitHostPort(tokens[0]!, loc);
      const vars: Record<string, unknown> = {};
      if (port !== undefined) vars['ansible_port'] = port;
      for (const t of tokens.slice(1)) {
        const eq = t.indexOf('=');
        if (eq <= 0) throw new InventoryError(`expected 'name=value' host variables after '${tokens[0]}', found '${t}'`, { loc });
        vars[t.slice(0, eq)] = iniValue(t.slice(eq + 1));
      }
      const layer: VarsLayer | undefined = Object.keys(vars).length ? { vars, where: () => loc } : undefined;
      for (const h of names) inv.addHost(h, section.group, layer, loc);
    }
  });
  for (const c of pendingChildren) inv.addChild(c.parent, c.child, c.loc);
}

/** INI when the first meaningful line is a [section] or a `host key=value` line rather than YAML. */
export function looksLikeIni(text: string): boolean {
  for (const raw of text.split(/\r?\n/)) {
    const line = raw.trim();
    if (line === '' || line.startsWith('#') || line.startsWith(';') || line === '---') continue;
    if (line.startsWith('[')) return true;
    return !/^[^\s=]+:(\s|$)/.test(line);
  }
  return false;
}

/** ansible's INI values: `ast.literal_eval` where it parses (lib/loaders/pyliteral.ts), else the string. */
function iniValue(v: string): unknown {
  return pyLiteral(v);
}
