// Variable files and ansible's group_vars/ host_vars/ lookup (the host_group_vars vars plugin).
import { readdirSync, statSync } from 'node:fs';
import { extname, join } from 'node:path';
import { ParseError } from '../errors.js';
import { loadYamlFile, locOf } from './yaml.js';
import { describeValue, isPlainObject } from '../value-kind.js';

/** Extensions ansible accepts for vars files (YAML_FILENAME_EXTENSIONS); '' = no extension. */
export const VARS_EXTENSIONS: readonly string[] = ['.yml', '.yaml', '.json'];

/** Load one vars file. Empty file → {}. The top level must be a mapping. */
export function loadVarsFile(path: string): Record<string, unknown> {
  const y = loadYamlFile(path, 'vars file');
  if (y.value === null) return {};
  if (!isPlainObject(y.value)) {
    throw new ParseError(`vars file must be a mapping of variable names to values, found ${describeValue(y.value, { scalar: 'a' })}`, {
      loc: locOf(y.value) ?? { file: path, line: 1, col: 1 },
    });
  }
  return y.value as Record<string, unknown>;
}

function isDir(p: string): boolean {
  try {
    return statSync(p).isDirectory();
  } catch {
    return false;
  }
}
function exists(p: string): boolean {
  try {
    statSync(p);
    return true;
  } catch {
    return false;
  }
}

/** Files of a group_vars/<name>/ directory: sorted, recursive, hidden and backup~ files skipped. */
function dirFiles(dir: string): string[] {
  const out: string[] = [];
  for (const entry of readdirSync(dir).sort()) {
    if (entry.startsWith('.') || entry.endsWith('~')) continue;
    const full = join(dir, entry);
    const ext = extname(entry);
    if (isDir(full)) {
      if (!ext) out.push(...dirFiles(full));
    } else if (!ext || VARS_EXTENSIONS.includes(ext)) out.push(full);
  }
  return out;
}

/** The files ansible would read for `name` in `dir` (group_vars or host_vars), in merge order. */
export function findVarsFiles(dir: string, name: string): string[] {
  for (const ext of ['', ...VARS_EXTENSIONS]) {
    const full = join(dir, name + ext);
    if (!exists(full)) continue;
    // the first existing candidate wins, as in ansible's find_vars_files
    return isDir(full) ? dirFiles(full) : [full];
  }
  return [];
}

/**
 * Vars for `name` from `dir` (e.g. inventory_dir/group_vars), or undefined when there is none.
 * Files merge with ansible's default hash_behaviour=replace: a later file's top-level key replaces
 * the earlier value wholesale (no deep merge).
 */
export function loadVarsDir(dir: string, name: string): Record<string, unknown> | undefined {
  const layers = loadVarsDirLayers(dir, name);
  if (layers.length === 0) return undefined;
  const out: Record<string, unknown> = {};
  for (const l of layers) Object.assign(out, l.vars);
  return out;
}

/** Like loadVarsDir but one entry per file, unmerged, so callers can point at where a value was written. */
export function loadVarsDirLayers(dir: string, name: string): { file: string; vars: Record<string, unknown> }[] {
  if (!isDir(dir)) return [];
  return findVarsFiles(dir, name).map((file) => ({ file, vars: loadVarsFile(file) }));
}
