// Templates that name other templates: `{% include %}`, `{% import %}`/`{% from %}` and
// `{% extends %}` read them as files of the control node (found on the template module's search
// path, then beside the template as bosun's include always did; an absolute name as is), and a
// template is rendered with its inheritance chain: blocks (most derived first), super(), self,
// scoped and required blocks.
// A template name may come from any value, host data included: it only ever selects a file to
// read as template text, as include does; the data itself is never rendered as a template.
import { existsSync, readFileSync } from 'node:fs';
import { dirname, isAbsolute, join, resolve } from 'node:path';
import { compile, locate, type Compiled } from './compile.js';
import { Evaluator, type LookupEnv } from './evaluator.js';
import { child, isImported, renderNodes, type RenderHooks, type Scope } from './render.js';
import type { Node } from './template-parser.js';
import { Callable, Undef, define, lookupVar, markModule } from './values.js';
import { ExprError } from './tokenizer.js';

export interface RenderEnv {
  file: string;
  /** line of the text's first line minus one (a YAML string's position) */
  baseLine?: number;
  lookups?: LookupEnv;
}

/** One template: its compiled text, the evaluator that reads its source (positions), where its errors point. */
export interface Unit {
  c: Compiled;
  env: RenderEnv;
  ev: Evaluator;
  /** how many templates opened this one (include/import/extends), against loops */
  depth: number;
  /** where named templates are looked for: the same for every template of one render, as Ansible's */
  search: SearchPath;
}

/**
 * Ansible 2.14's template search path (action/template.py): the role, the playbook directory and the
 * directory of the template being rendered, each with its templates/ first. Worked out only when a
 * template names another (most renders never do).
 */
export class SearchPath {
  #dirs?: string[];
  constructor(
    private readonly vars: Record<string, unknown>,
    private readonly file: string,
  ) {}
  get dirs(): string[] {
    if (!this.#dirs) {
      const bases: string[] = [];
      for (const k of ['role_path', 'playbook_dir']) {
        const r = lookupVar(this.vars, k);
        if (r.found && typeof r.value === 'string' && r.value) bases.push(r.value);
      }
      if (this.file) bases.push(dirname(resolve(this.file)));
      const dirs = bases.flatMap((d) => [join(d, 'templates'), d]);
      this.#dirs = dirs.filter((d, i) => dirs.indexOf(d) === i);
    }
    return this.#dirs;
  }
}

type BlockNode = Extract<Node, { t: 'block' }>;

/** The templates rendered as one (a child and the templates it extends) share their context and blocks. */
interface Chain {
  /** block name → its definitions, the most derived first */
  blocks: Map<string, Array<{ node: BlockNode; unit: Unit }>>;
  /** the template whose top level is rendering has extended this one */
  parent?: Unit;
  /** the context: the top-level `{% set %}`s of every template of the chain land here */
  ctx: Scope;
  /** `self`: block name → renders the block */
  self: Scope;
}

const MAX_DEPTH = 20;
/** Imports without context see no variables, only the globals (functions, lookups). */
const NO_CONTEXT: Scope = Object.freeze(Object.create(null) as Scope);

/** Renders a template with the inheritance chain it starts; `ctx` receives its top-level assignments. */
export function renderUnit(unit: Unit, ctx: Scope): string {
  const chain: Chain = { blocks: new Map(), ctx, self: {} };
  addBlocks(chain, unit);
  if (unit.c.blocks.size || unit.c.extends) define(ctx, 'self', chain.self);
  let out = '';
  for (let u: Unit | undefined = unit; u; ) {
    out += renderIn(u, u.c.nodes, ctx, hooks(u, chain));
    u = chain.parent;
    chain.parent = undefined;
  }
  return out;
}

function renderIn(u: Unit, nodes: Node[], scope: Scope, h: RenderHooks): string {
  try {
    return renderNodes(nodes, u.ev, scope, h);
  } catch (e) {
    throw locate(e, u.c.src, u.env.file, u.env.baseLine ?? 0);
  }
}

function addBlocks(chain: Chain, u: Unit): void {
  for (const [name, node] of u.c.blocks) {
    let stack = chain.blocks.get(name);
    if (!stack) {
      chain.blocks.set(name, (stack = []));
      define(chain.self, name, new Callable(name, () => renderBlock(chain, name, 0, chain.ctx)));
    }
    stack.push({ node, unit: u });
  }
}

/** The definition at `depth` of a block (0: the most derived); `super()` in it renders the next one. */
function renderBlock(chain: Chain, name: string, depth: number, scope: Scope, scoped = false): string {
  const stack = chain.blocks.get(name)!;
  const { node, unit } = stack[depth]!;
  const s = child(scope);
  // no parent block: `super` is undefined (`super is defined` is false), its use the error saying so
  define(s, 'super', depth + 1 < stack.length ? superRef(chain, name, depth + 1, scope, scoped) : noParent(name, node.pos));
  // `self` in a scoped block sees the block's local variables too, as Jinja's derived context
  if (scoped) define(s, 'self', selfFor(chain, scope));
  return renderIn(unit, node.body, s, hooks(unit, chain));
}

/** `super` in a block: the definition at `depth` (an error if there is none); `super.super` the one after. */
function superRef(chain: Chain, name: string, depth: number, scope: Scope, scoped: boolean): Callable {
  return new Callable(
    'super',
    () => renderBlock(chain, name, depth, scope, scoped),
    (attr, pos) => {
      if (attr !== 'super') return undefined;
      return depth + 1 < chain.blocks.get(name)!.length ? superRef(chain, name, depth + 1, scope, scoped) : noParent(name, pos);
    },
  );
}

function noParent(name: string, pos: number): Undef {
  return new Undef('super', pos, false, new ExprError(`there is no parent block called '${name}'`, { offset: pos, undefined: true }));
}

function selfFor(chain: Chain, scope: Scope): Scope {
  const self: Scope = {};
  for (const name of chain.blocks.keys()) define(self, name, new Callable(name, () => renderBlock(chain, name, 0, scope, true)));
  return self;
}

/** What the statements of template `u` (rendering in `chain`) do with other templates. */
function hooks(u: Unit, chain: Chain): RenderHooks {
  return {
    include(name, scope, ev, pos, ignoreMissing) {
      const t = load(u, name, ev, pos, ignoreMissing);
      // its own context: the included template's assignments stay in it (Jinja)
      return t ? renderUnit(t, child(scope)) : '';
    },
    extend(name, ev, pos) {
      if (chain.parent) return ev.fail('extended multiple times', pos);
      const t = load(u, name, ev, pos, false)!;
      chain.parent = t;
      addBlocks(chain, t);
    },
    extended: () => chain.parent !== undefined,
    block(n, scope, ev) {
      const stack = chain.blocks.get(n.name)!;
      if (n.required && stack.length <= 1) return ev.fail(`required block '${n.name}' not found`, n.pos);
      return renderBlock(chain, n.name, 0, n.scoped ? scope : chain.ctx, n.scoped);
    },
    module(name, scope, ev, pos) {
      const t = load(u, name, ev, pos, false)!;
      const ctx = child(scope ?? NO_CONTEXT);
      const text = renderUnit(t, ctx);
      // exported: its top-level macros and assignments, not `_private` names, not what it imported
      const out: Scope = {};
      for (const k of Object.keys(ctx)) if (!k.startsWith('_') && k !== 'self' && !isImported(ctx, k)) define(out, k, ctx[k]);
      return markModule(out, text);
    },
    locate: (e) => locate(e, u.c.src, u.env.file, u.env.baseLine ?? 0),
  };
}

/** Reads and compiles the template `name` as `u` sees it (undefined: missing and allowed to be). */
function load(u: Unit, name: string, ev: Evaluator, pos: number, ignoreMissing: boolean): Unit | undefined {
  if (u.depth >= MAX_DEPTH) return ev.fail(`templates nested more than ${MAX_DEPTH} deep through include/import/extends (a loop?)`, pos);
  const base = u.env.file ? dirname(resolve(u.env.file)) : process.cwd();
  // then, as bosun always did, beside the template naming it (Ansible does not look there)
  const all = isAbsolute(name) ? [name] : [...u.search.dirs.map((d) => join(d, name)), join(base, name), join(dirname(base), 'templates', name), join(base, 'templates', name)];
  const candidates = all.filter((p, i) => all.indexOf(p) === i);
  const path = candidates.find((p) => existsSync(p));
  if (!path) {
    if (ignoreMissing) return undefined;
    return ev.fail(`template '${name}' not found (searched: ${candidates.join(', ')})`, pos);
  }
  const text = readFileSync(path, 'utf8');
  let c: Compiled;
  try {
    c = compile(text, { file: true });
  } catch (e) {
    // a syntax error of that file is at its own line
    throw locate(e, text.replace(/\r\n?/g, '\n'), path, 0);
  }
  const env: RenderEnv = { ...u.env, file: path, baseLine: 0 };
  return { c, env, ev: new Evaluator(c.src, {}, { lookups: { ...u.env.lookups, file: path } }), depth: u.depth + 1, search: u.search };
}
