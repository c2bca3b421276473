// include_vars: loads variables from a YAML/JSON file or a directory of them, on the control node,
// as Ansible's action plugin does (file search in the role's vars/, the task's and the playbook's
// directories; dir walk sorted, depth, files_matching, ignore_files, extensions). The result's
// `ansible_facts` become the host's include_vars layer (task.ts): above block/task vars, below
// set_fact/register and extra vars, as Ansible's precedence puts them.
import { existsSync, readdirSync, statSync } from 'node:fs';
import { extname, isAbsolute, join, sep } from 'node:path';
import { loadVarsFile } from '../loaders/vars-files.js';
import { compileRegex } from '../engine/safe-regex.js';
import { defineModule, ModuleFailure, type ModuleContext, type Plan } from './types.js';
import { ArgumentError } from '../errors.js';

export interface IncludeVarsArgs {
  file?: string;
  dir?: string;
  name?: string;
  depth: number;
  files_matching?: string;
  ignore_files: string[];
  extensions: string[];
  ignore_unknown_extensions: boolean;
  hash_behaviour?: string;
}

const DIR_ARGS = ['depth', 'files_matching', 'ignore_files', 'ignore_unknown_extensions'] as const;

/** Files of `root` and its subdirectories, directory by directory in sorted path order, `depth` levels (0: all). */
function walk(root: string, depth: number): Array<{ dir: string; files: string[] }> {
  const out: Array<{ dir: string; files: string[] }> = [];
  const visit = (d: string): void => {
    const entries = readdirSync(d, { withFileTypes: true });
    out.push({ dir: d, files: entries.filter((e) => !e.isDirectory()).map((e) => e.name).sort() });
    for (const e of entries) if (e.isDirectory()) visit(join(d, e.name));
  };
  visit(root);
  // Python's os.walk, then sorted by directory path; depth counts directories in that order
  out.sort((a, b) => (a.dir < b.dir ? -1 : a.dir > b.dir ? 1 : 0));
  return depth > 0 ? out.slice(0, depth) : out;
}

function loadMapping(path: string): Record<string, unknown> {
  try {
    return loadVarsFile(path);
  } catch (e) {
    throw new ModuleFailure(`${path} must be stored as a dictionary/hash: ${(e as Error).message}`);
  }
}

async function includeVars(ctx: ModuleContext, a: IncludeVarsArgs): Promise<Plan> {
  const files: string[] = [];
  const results: Record<string, unknown> = {};
  if (a.dir !== undefined) {
    const role = typeof ctx.vars.role_path === 'string' ? ctx.vars.role_path : undefined;
    // Ansible: in a role, relative to its vars/ (or the role when the path starts with vars/); else to the task's file
    let root = a.dir;
    if (!isAbsolute(root)) {
      if (role) root = a.dir.split('/')[0] === 'vars' && existsSync(join(role, a.dir)) ? join(role, a.dir) : join(role, 'vars', a.dir);
      else root = join(ctx.loc?.file ? ctx.loc.file.split(sep).slice(0, -1).join(sep) : process.cwd(), a.dir);
    }
    if (!existsSync(root)) throw new ModuleFailure(`${root} directory does not exist`);
    if (!statSync(root).isDirectory()) throw new ModuleFailure(`${root} is not a directory`);
    const matcher = a.files_matching ? compileRegex(a.files_matching) : undefined;
    const ignore = a.ignore_files.map((p) => compileRegex(`${p}$`));
    for (const { dir, files: names } of walk(root, a.depth)) {
      for (const n of names) {
        const p = join(dir, n);
        // Ansible 2.14 means to skip a role's vars/main.yml here, but its test compares role/main.yml with
        // DIR/vars/main.yml and never matches: the file is loaded like the others (the differential test checks it)
        if (matcher && !matcher.search(n)) continue;
        if (ignore.some((r) => r.search(n))) continue;
        const ext = extname(n).slice(1);
        if (!a.extensions.includes(ext)) {
          if (a.ignore_unknown_extensions) continue;
          throw new ModuleFailure(`${p} does not have a valid extension: ${a.extensions.join(', ')}`);
        }
        Object.assign(results, loadMapping(p));
        files.push(p);
      }
    }
  } else {
    const p = ctx.findFile('vars', a.file!);
    Object.assign(results, loadMapping(p));
    files.push(p);
  }
  const facts = a.name ? { [a.name]: results } : results;
  return { changed: false, result: { ansible_facts: facts, ansible_included_var_files: files } };
}

export default defineModule<IncludeVarsArgs>({
  name: 'include_vars',
  runsOn: 'control',
  freeForm: 'file',
  doc: {
    short: 'Load variables from YAML/JSON files or a directory of them',
    description:
      'Reads on the control node; the variables apply to the host the task runs for, from this task on, above play, ' +
      'role, block and task vars and below set_fact/register and extra vars (Ansible\'s precedence). ' +
      'A relative file is looked for in the role\'s vars/, the task\'s directory and the playbook\'s (each with vars/ first); ' +
      'a relative dir in the role\'s vars/ (or beside the task file outside a role). Values stay templates, rendered when used.',
    check: 'full',
    diff: false,
    examples: '- include_vars: "{{ ansible_os_family }}.yml"\n- include_vars: { dir: defaults.d, files_matching: "\\\\.yml$", name: settings }\n- include_vars: "{{ item }}"\n  with_first_found: ["{{ ansible_distribution }}.yml", default.yml]',
  },
  args: {
    file: { type: 'path', description: 'The file to load (free form: `include_vars: file.yml`).' },
    dir: { type: 'path', description: 'A directory whose files are loaded in sorted order, later files winning.' },
    name: { type: 'str', description: 'Put all the variables under this one name instead of at the top level.' },
    depth: { type: 'int', default: 0, description: 'How many directory levels `dir` walks (0: all).' },
    files_matching: { type: 'str', description: 'Only files whose name this regular expression finds.' },
    ignore_files: { type: 'list', elements: 'str', default: [], description: 'Regular expressions (anchored at the end) of file names to skip.' },
    extensions: { type: 'list', elements: 'str', default: ['json', 'yaml', 'yml'], description: 'File extensions `dir` loads.' },
    ignore_unknown_extensions: { type: 'bool', default: false, description: 'Skip files of `dir` with another extension instead of failing.' },
    hash_behaviour: { type: 'str', choices: ['replace', 'merge'], description: 'Accepted; `replace` (Ansible\'s default) is what bosun does.' },
  },
  validate(a) {
    const dirArg = a.dir !== undefined || a.files_matching !== undefined || a.depth !== 0 || a.ignore_files.length > 0 || a.ignore_unknown_extensions;
    if (a.file !== undefined && dirArg) throw new ArgumentError(`include_vars: file and dir arguments (dir, ${DIR_ARGS.join(', ')}) do not mix`);
    if (a.file === undefined && a.dir === undefined) throw new ArgumentError('include_vars: needs a file (or file:) or dir:');
    if (a.name !== undefined && !/^[A-Za-z_][A-Za-z0-9_]*$/.test(a.name)) throw new ArgumentError(`include_vars: name must be a variable name; got '${a.name}'`);
    if (a.hash_behaviour === 'merge') throw new ArgumentError("include_vars: hash_behaviour 'merge' is not supported (bosun replaces, Ansible's default)");
  },
  plan: (ctx, a) => includeVars(ctx, a),
  async apply(_ctx, _a, plan) {
    return { changed: false, result: plan.result };
  },
});
