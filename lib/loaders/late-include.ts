// A templated include (`include_tasks: "setup-{{ os }}.yml"`, `include_role: { name: "{{ item }}" }`)
// is loaded when it runs (tasks.ts lateInclude, runner.ts). The load-time undefined-variable check
// still has to know the names its tasks may register or set, since later literal tasks read them:
// this reads them from the files the template can name (its text around `{{ }}` as a wildcard),
// without loading them as tasks (a `setup-Windows.yml` beside may use modules bosun does not have).
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, isAbsolute, join, resolve, sep } from 'node:path';
import { parse } from 'yaml';
import { parseKv } from './kv.js';
import { isObj } from './values.js';

/** What a templated include may name: an include_tasks file, or include_role's role (and tasks_from). */
export type LateTarget = { file: string; dir: string } | { role: string; tasksFrom?: string; rolesPath: string[]; public: boolean };

/** A template's text as a pattern: what `{{ … }}` renders to is unknown (any text, `/` included). */
export function templatePattern(text: string): RegExp {
  const parts = text.split(/\{\{.*?\}\}/s).map((p) => p.replace(/[.*+?^${}()|[\]\\]/g, '\\$&'));
  return new RegExp(`^${parts.join('.*')}$`);
}

/** Files under `dir` (a few levels down, YAML only) whose path matches `re`. */
function matching(dir: string, re: RegExp, depth = 3): string[] {
  if (depth < 0 || !existsSync(dir) || !statSync(dir).isDirectory()) return [];
  const out: string[] = [];
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    const p = join(dir, e.name);
    if (e.isDirectory()) out.push(...matching(p, re, depth - 1));
    else if (/\.ya?ml$/.test(e.name) && re.test(p)) out.push(p);
  }
  return out;
}

/** The fixed directory in front of a path template's first `{{` (where its candidates are). */
function fixedDir(path: string): string {
  const head = path.slice(0, path.indexOf('{{'));
  return head.endsWith(sep) ? head.slice(0, -1) : dirname(head + 'x');
}

/**
 * Adds to `names` what the include's candidate files register or set; '*' (the check then accepts any
 * name) when no candidate is found or one does not parse: the include may then define anything.
 */
export function noteLateNames(names: Set<string>, target: LateTarget): void {
  let files: string[] = [];
  const keysOf: string[] = [];
  if ('file' in target) {
    const full = isAbsolute(target.file) ? target.file : resolve(target.dir, target.file);
    files = matching(fixedDir(full), templatePattern(full));
  } else {
    const roleRe = templatePattern(target.role);
    for (const base of target.rolesPath) {
      if (!existsSync(base) || !statSync(base).isDirectory()) continue;
      for (const e of readdirSync(base, { withFileTypes: true })) {
        if (!e.isDirectory() || !roleRe.test(e.name)) continue;
        const role = join(base, e.name);
        // tasks_from may be anything in tasks/; a literal one still names one file (or main)
        const tasks = target.tasksFrom && !target.tasksFrom.includes('{{') ? [join(role, 'tasks', target.tasksFrom.replace(/(\.ya?ml)?$/, '.yml'))] : matching(join(role, 'tasks'), /./);
        files.push(...tasks.filter((f) => existsSync(f)));
        if (target.public) keysOf.push(...matching(join(role, 'defaults'), /./, 0), ...matching(join(role, 'vars'), /./, 0));
      }
    }
  }
  if (!files.length) {
    names.add('*');
    return;
  }
  try {
    for (const f of files) collectNames(parse(readFileSync(f, 'utf8')), names, dirname(f));
    for (const f of keysOf) {
      const v: unknown = parse(readFileSync(f, 'utf8'));
      if (isObj(v)) for (const k of Object.keys(v)) names.add(k);
    }
  } catch {
    names.add('*');
  }
}

const SET_FACT = new Set(['set_fact', 'ansible.builtin.set_fact', 'ansible.legacy.set_fact']);
const INCLUDE_VARS = new Set(['include_vars', 'ansible.builtin.include_vars', 'ansible.legacy.include_vars']);
const TASK_FILES = new Set(['include_tasks', 'import_tasks', 'ansible.builtin.include_tasks', 'ansible.builtin.import_tasks']);

/**
 * `register:` names and set_fact keys anywhere in a task list (blocks and task files it includes by a
 * literal name, relative to `dir`); '*' for what may define anything (include_vars, a templated file).
 */
export function collectNames(v: unknown, names: Set<string>, dir: string, seen = new Set<string>()): void {
  if (Array.isArray(v)) {
    for (const x of v) collectNames(x, names, dir, seen);
    return;
  }
  if (!isObj(v)) return;
  if (typeof v.register === 'string') names.add(v.register);
  for (const [k, x] of Object.entries(v)) {
    if (SET_FACT.has(k)) {
      const facts = typeof x === 'string' ? parseKv(x).args : isObj(x) ? x : {};
      for (const f of Object.keys(facts)) if (f !== 'cacheable') names.add(f);
    } else if (INCLUDE_VARS.has(k)) names.add('*');
    else if (TASK_FILES.has(k)) {
      const f = typeof x === 'string' ? x : isObj(x) ? x.file : undefined;
      if (typeof f !== 'string' || f.includes('{{')) {
        names.add('*');
        continue;
      }
      const p = isAbsolute(f) ? f : resolve(dir, f);
      if (seen.has(p) || !existsSync(p)) continue;
      seen.add(p);
      collectNames(parse(readFileSync(p, 'utf8')), names, dirname(p), seen);
    } else if (k === 'block' || k === 'rescue' || k === 'always') collectNames(x, names, dir, seen);
  }
}
