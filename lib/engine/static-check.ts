// Checks done before any host is touched: every variable a task's templates use must be defined
// somewhere (inventory, play/role vars, facts, magic vars, register/set_fact, loop vars, extra
// vars). A typo then fails the whole run up front with file:line:col — exit 4, nothing executed.
import { existsSync, readFileSync } from 'node:fs';
import { dirname, isAbsolute, join } from 'node:path';
import type { Play, Playbook, TaskNode } from '../ast.js';
import type { Inventory } from '../loaders/inventory.js';
import { MissingFileError, TemplateError, type SourceLocation } from '../errors.js';
import { cacheableSource, keyLoc } from '../loaders/yaml.js';
import { cacheable } from '../loaders/yaml-cache.js';
import { languageByName, languageOf } from './template-lang.js';
import { parsedTree } from './template-ast.js';
import { TEMPLATE_VAR_NAMES } from '../modules/util/template-vars.js';
import { checkTemplate as checkJinja, templateRoots as jinjaRoots, FILTERS, TESTS, LOOKUPS } from './jinja/index.js';
import { GLOBALS } from './jinja/globals.js';
import { CheckCache, type Root, type TextFacts } from './check-cache.js';
import { ENGINE_NAMES } from './scope.js';
import { globToRegExp } from '../loaders/patterns.js';
import { withDependencies } from '../loaders/roles.js';

/** Root variable names a Handlebars template reads (first segment of each path), excluding block params and helpers. */
export function templateRoots(text: string, file?: string): Root[] {
  const lang = languageOf(text, file);
  if (lang === 'plain') return [];
  if (lang === 'jinja') return jinjaRoots(text, { file: file !== undefined });
  const ast = parsedTree(text);
  if (ast instanceof Error) return []; // syntax errors are reported by the renderer with their location
  return handlebarsRoots(ast);
}

function handlebarsRoots(ast: hbs.AST.Program): Root[] {
  const out: Root[] = [];
  const visit = (node: unknown, blockParams: Set<string>, depth: number): void => {
    if (!node || typeof node !== 'object') return;
    const n = node as { type?: string; [k: string]: unknown };
    if (n.type === 'PathExpression') {
      const p = n as unknown as hbs.AST.PathExpression & { data?: boolean; depth: number; this?: boolean };
      const head = p.parts[0];
      if (!p.data && p.depth === 0 && head && !blockParams.has(head) && depth === 0 && !/^this\b/.test(p.original)) {
        out.push({ name: head, line: p.loc.start.line, col: p.loc.start.column + 1 });
      }
      return;
    }
    if (n.type === 'MustacheStatement' || n.type === 'SubExpression' || n.type === 'BlockStatement') {
      const m = n as unknown as { path: hbs.AST.PathExpression; params: unknown[]; hash?: { pairs: Array<{ value: unknown }> }; program?: hbs.AST.Program; inverse?: hbs.AST.Program };
      const isHelperCall = m.params.length > 0 || (m.hash && m.hash.pairs.length > 0) || n.type === 'BlockStatement' || n.type === 'SubExpression';
      if (!isHelperCall) visit(m.path, blockParams, depth);
      const helperName = m.path.original;
      // `default x fallback` exists precisely for undefined x
      m.params.forEach((p, i) => {
        if (!(helperName === 'default' && i === 0)) visit(p, blockParams, depth);
      });
      for (const pair of m.hash?.pairs ?? []) visit(pair.value, blockParams, depth);
      if (n.type === 'BlockStatement') {
        const helper = m.path.original;
        // inside each/with the context changes: names there are relative to the item; skip them
        const ctxChange = helper === 'each' || helper === 'with';
        const bp = new Set(blockParams);
        for (const b of (m.program as unknown as { blockParams?: string[] })?.blockParams ?? []) bp.add(b);
        visit(m.program, bp, ctxChange ? depth + 1 : depth);
        visit(m.inverse, blockParams, depth);
      }
      return;
    }
    if (n.type === 'Program') {
      for (const s of (n as unknown as hbs.AST.Program).body) visit(s, blockParams, depth);
    }
  };
  visit(ast, new Set(), 0);
  return out;
}

function short(s: string): string {
  return s.length > 60 ? s.slice(0, 57) + '...' : s;
}

/** Handlebars' parse error for a string with `{{`, reduced to its last line ("Expecting …, got …"); undefined when it parses. */
export function templateSyntaxError(text: string, file?: string): string | undefined {
  const lang = languageOf(text, file);
  if (lang === 'plain') return undefined;
  if (lang === 'jinja') return jinjaError(text, file);
  const r = parsedTree(text);
  return r instanceof Error ? handlebarsError(r) : undefined;
}

function handlebarsError(e: Error): string {
  const lines = e.message.split('\n').filter((l) => l.trim());
  return lines.at(-1) ?? 'does not parse';
}

function jinjaError(text: string, file: string | undefined): string | undefined {
  const issue = checkJinja(text, { file: file !== undefined });
  return issue ? (file !== undefined ? `line ${issue.line} column ${issue.col}: ${issue.message}` : issue.message) : undefined;
}

/** templateSyntaxError and, when there is none, templateRoots: what the check needs of a text, worked out once. */
function textFacts(text: string, file?: string): TextFacts {
  const lang = languageOf(text, file);
  if (lang === 'plain') return { roots: [] };
  if (lang === 'jinja') {
    const syntax = jinjaError(text, file);
    return syntax ? { syntax, roots: [] } : { roots: jinjaRoots(text, { file: file !== undefined }) };
  }
  const ast = parsedTree(text);
  return ast instanceof Error ? { syntax: handlebarsError(ast), roots: [] } : { roots: handlebarsRoots(ast) };
}

/** Text that may be a template (as template.ts decides before rendering): anything else has no names. */
function maybeTemplate(s: string): boolean {
  return s.includes('{{') || s.includes('{%') || s.includes('{#');
}

function collectStrings(v: unknown, out: Array<{ s: string; owner: unknown; key: string }>, owner: unknown, key: string): void {
  if (typeof v === 'string') out.push({ s: v, owner, key });
  else if (Array.isArray(v)) v.forEach((x, i) => collectStrings(x, out, v, String(i)));
  else if (v && typeof v === 'object') for (const [k, x] of Object.entries(v)) collectStrings(x, out, v, k);
}

/** Names in scope: a set, or a task's own names in front of its enclosing scope's (no copy per task). */
interface Names {
  has(name: string): boolean;
}

function withNames(outer: Names, added: string[]): Names {
  const own = new Set(added);
  return { has: (n) => own.has(n) || outer.has(n) };
}

export function checkUndefinedVariables(
  playbook: Playbook,
  inventory: Inventory,
  definedNames: Set<string>,
  extraVars: Record<string, unknown>,
  _renderer: unknown,
): void {
  // what the filter/test/lookup/global tables hold decides Jinja answers (registerFilter may add one)
  const tables = [FILTERS, TESTS, LOOKUPS, GLOBALS].map((t) => Object.keys(t).join(',')).join('\n');
  const cache = CheckCache.open(playbook.file, tables);
  try {
    checkPlays(playbook, inventory, definedNames, extraVars, cache);
  } finally {
    cache.save();
  }
}

function checkPlays(playbook: Playbook, inventory: Inventory, definedNames: Set<string>, extraVars: Record<string, unknown>, cache: CheckCache): void {
  // a text checked again (a role in two plays, a repeated argument) is answered once
  const seen = new Map<string, TextFacts>();
  const factsOf = (text: string, file: string | undefined, persist: () => boolean): TextFacts => {
    if (file === undefined && !maybeTemplate(text)) return { roots: [] };
    const kind = file === undefined ? 's' : `f${languageByName(file)?.[0] ?? ''}`;
    const memo = `${kind}\0${text}`;
    let f = seen.get(memo);
    if (f) return f;
    const key = cache.key(kind, text);
    f = cache.get(key);
    if (!f) {
      f = textFacts(text, file);
      cache.put(key, f, persist());
    }
    seen.set(memo, f);
    return f;
  };
  // '*': an include_vars whose file is known only at run time may define any name (loaders/playbook.ts)
  const anyName = definedNames.has('*');
  const known = new Set<string>([...ENGINE_NAMES, ...definedNames, ...Object.keys(extraVars)]);
  for (const h of inventory.hosts()) for (const k of Object.keys(inventory.hostVars(h))) known.add(k);
  for (const g of inventory.groupNames()) known.add(g);
  for (const play of playbook.plays) {
    const names = new Set(known);
    for (const k of Object.keys(play.vars)) names.add(k);
    for (const f of play.varsFiles) for (const k of Object.keys(f.vars)) names.add(k);
    for (const r of play.roles) {
      for (const k of Object.keys(r.defaults)) names.add(k);
      for (const k of Object.keys(r.vars)) names.add(k);
    }
    // A task under `ignore_errors` fails when it runs, ignored, as in Ansible: not checked here.
    const check = (nodes: TaskNode[], scopeNames: Names, ignoring = false) => {
      for (const node of nodes) {
        const ignored = node.ignoreErrors === undefined ? ignoring : node.ignoreErrors !== false;
        // a scope of its own only for a task that adds names (vars, loop variables): most add none
        const added = Object.keys(node.vars ?? {});
        // an included role's tasks (and handlers) see its (and its dependencies') defaults and vars
        if (node.kind === 'block' && node.include?.role) for (const r of node.include.role.visible) added.push(...Object.keys(r.defaults), ...Object.keys(r.vars));
        else if (node.role && !play.roles.some((r) => r.path === node.role!.path)) for (const r of withDependencies(node.role)) added.push(...Object.keys(r.defaults), ...Object.keys(r.vars));
        if ((node.kind === 'module' || node.kind === 'set_fact') && node.loopVar) {
          added.push(node.loopVar);
          if (node.loopIndexVar) added.push(node.loopIndexVar);
          if (node.loopExtended) added.push('ansible_loop');
        }
        const local = added.length === 0 ? scopeNames : withNames(scopeNames, added);
        const strings: Array<{ s: string; owner: unknown; key: string }> = [];
        if (node.kind === 'block') {
          check(node.block, local, ignored);
          check(node.rescue, local, ignored);
          check(node.always, local, ignored);
          if (ignored || !node.include) continue;
          // a dynamic include's loop renders before anything of it runs; a templated one's names too
          if (typeof node.include.loop === 'string') strings.push({ s: node.include.loop, owner: undefined, key: '' });
          for (const s of Object.values(node.include.late?.args ?? {})) strings.push({ s, owner: undefined, key: '' });
        }
        if (ignored) continue;
        if (node.kind === 'module') {
          collectStrings(node.args, strings, node.args, '');
          if (typeof node.loop === 'string') strings.push({ s: node.loop, owner: undefined, key: '' });
        }
        if (node.kind === 'set_fact') collectStrings(node.facts, strings, node.facts, '');
        for (const { s, owner, key } of strings) {
          const base: SourceLocation = (owner && key ? keyLoc(owner, key) : undefined) ?? (node.kind === 'module' ? node.argLocs[key] : undefined) ?? node.loc;
          // only text from a file the YAML cache may keep has its answers kept (check-cache.ts)
          const facts = factsOf(s, undefined, () => cacheableSource(base.file));
          // a template that does not parse would only fail once the task runs; report it now, nothing executed yet
          if (facts.syntax) throw new TemplateError(`template syntax error in "${short(s)}": ${facts.syntax}`, { loc: base });
          for (const r of facts.roots) {
            if (!anyName && !local.has(r.name) && !isFactName(r.name)) {
              throw new TemplateError(`undefined variable '${r.name}' in "${short(s)}"`, {
                loc: base,
                hint: 'define it in inventory, vars, defaults, or pass -e',
              });
            }
          }
        }
        // Template files with a literal src are checked too: a typo in a .j2 fails before anything runs.
        if (node.kind === 'module' && node.module === 'template' && typeof node.args.src === 'string' && !node.args.src.includes('{{')) {
          const file = findTemplateFile(node.args.src, node.role?.path, dirname(node.loc.file), playbook.dir);
          if (!file) {
            throw new MissingFileError(`template '${node.args.src}' not found (looked in the role's and the playbook's templates/)`, { loc: node.argLocs.src ?? node.loc });
          }
          const text = readFileSync(file, 'utf8');
          const facts = factsOf(text, file, () => cacheable(file, text));
          if (facts.syntax) throw new TemplateError(`template syntax error: ${facts.syntax}`, { loc: { file } });
          for (const r of facts.roots) {
            if (!anyName && !local.has(r.name) && !isFactName(r.name) && !TEMPLATE_VAR_NAMES.has(r.name)) {
              throw new TemplateError(`undefined variable '${r.name}'`, { loc: { file, line: r.line, col: r.col }, hint: 'define it in inventory, vars, defaults, or pass -e' });
            }
          }
        }
      }
    };
    for (const s of play.sections) check(s.tasks, names);
    check(play.handlers, names);
  }
}

/**
 * A fact's variable: `ansible_*` (per-interface facts such as ansible_eth0 are named by the host) and
 * the two setup returns unprefixed. Which exist is known only once the host answered.
 */
function isFactName(name: string): boolean {
  return name.startsWith('ansible_') || name === 'module_setup' || name === 'gather_subset';
}

function findTemplateFile(src: string, rolePath: string | undefined, taskDir: string, playbookDir: string): string | undefined {
  if (isAbsolute(src)) return existsSync(src) ? src : undefined;
  const candidates = [
    ...(rolePath ? [join(rolePath, 'templates', src), join(rolePath, src)] : []),
    join(taskDir, 'templates', src),
    join(taskDir, src),
    join(playbookDir, 'templates', src),
    join(playbookDir, src),
  ];
  return candidates.find((c) => existsSync(c));
}

export function listTasks(play: Play, tags: string[], skipTags: string[]): Array<{ title: string; tags: string[] }> {
  const out: Array<{ title: string; tags: string[] }> = [];
  const listed = (t: string[]): boolean => (tags.length === 0 || tags.some((x) => t.includes(x)) || t.includes('always')) && !skipTags.some((x) => t.includes(x));
  const walk = (nodes: TaskNode[], inherited: string[]) => {
    for (const n of nodes) {
      if (n.kind === 'block' && n.include) {
        // a dynamic include is listed as itself (Ansible cannot see into it before it runs), with its own tags
        const t = [...new Set([...inherited, ...n.include.tags])];
        if (!listed(t)) continue;
        const name = n.name ?? (n.include.role ? 'include_role' : 'include_tasks');
        out.push({ title: n.role ? `${n.role.name} : ${name}` : name, tags: t });
        continue;
      }
      const t = [...new Set([...inherited, ...n.tags])];
      if (n.kind === 'block') {
        walk(n.block, t);
        walk(n.rescue, t);
        walk(n.always, t);
        continue;
      }
      if (!listed(t)) continue;
      const name = n.name ?? (n.kind === 'module' ? n.module : n.kind);
      out.push({ title: n.role ? `${n.role.name} : ${name}` : name, tags: t });
    }
  };
  for (const s of play.sections) walk(s.tasks, play.tags);
  return out;
}

/** --start-at-task: a task's name (with or without `role : `) equals the pattern or matches it as a glob (Ansible's fnmatch). */
export function startAtMatches(pattern: string, name: string | undefined, title: string): boolean {
  if (name === pattern || title === pattern) return true;
  const re = globToRegExp(pattern);
  return (name !== undefined && re.test(name)) || re.test(title);
}

/** True when some task of the playbook (includes are loaded statically) is where --start-at-task starts. */
export function hasStartTask(plays: Play[], pattern: string): boolean {
  const walk = (nodes: TaskNode[]): boolean =>
    nodes.some((n) => {
      if (n.kind === 'block') return walk(n.block) || walk(n.rescue) || walk(n.always);
      const name = n.name ?? n.written ?? (n.kind === 'module' ? n.module : n.kind);
      return startAtMatches(pattern, name, n.role ? `${n.role.name} : ${name}` : name);
    });
  return plays.some((p) => p.sections.some((s) => walk(s.tasks)));
}
