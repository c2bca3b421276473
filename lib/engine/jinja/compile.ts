// Jinja compilation: a template's source (with Ansible's `#jinja2:` header and newline handling)
// to its parsed nodes, cached by source and options; and the mapping of an error's offset to
// file:line:col.
import { TemplateError, type SourceLocation } from '../../errors.js';
import { ExprError } from './tokenizer.js';
import type { Expr } from './parser.js';
import { parseTemplate, type Node } from './template-parser.js';

export interface JinjaOptions {
  /** template files: Ansible's template module defaults (trim_blocks on) and `#jinja2:` headers */
  file?: boolean;
  /**
   * Jinja's newline_sequence (the template module's): a file's newlines (\n, \r\n or \r) are read as
   * "\n" and its text written with this; values of variables keep theirs. Default "\n".
   */
  newline?: string;
  /** the text as Jinja printed it, without the source's trailing newlines put back */
  raw?: boolean;
}

export interface Compiled {
  src: string;
  nodes: Node[];
  /** the template is exactly one `{{ expr }}` (surrounding whitespace allowed) */
  single?: Expr;
  /** its `{% block %}`s by name (at any depth; the parser refuses a name defined twice) */
  blocks: Map<string, Extract<Node, { t: 'block' }>>;
  /** it has an `{% extends %}` */
  extends: boolean;
}

const cache = new Map<string, Compiled>();
const CACHE_MAX = 5000;

/** `#jinja2: trim_blocks: False, lstrip_blocks: True` on the first line, as Ansible reads it. */
function header(src: string): { body: string; offset: number; trim: boolean; lstrip: boolean } {
  let trim = true;
  let lstrip = false;
  if (!src.startsWith('#jinja2:')) return { body: src, offset: 0, trim, lstrip };
  const eol = src.indexOf('\n');
  const line = src.slice('#jinja2:'.length, eol < 0 ? undefined : eol);
  for (const pair of line.split(',')) {
    const i = pair.indexOf(':');
    if (i < 0) throw new ExprError(`failed to parse jinja2 override '${pair.trim()}'. Did you use something different from colon as key-value separator?`, { offset: 0 });
    const key = pair.slice(0, i).trim();
    const val = pair.slice(i + 1).trim();
    const b = val === 'True' ? true : val === 'False' ? false : undefined;
    if (key === 'trim_blocks' && b !== undefined) trim = b;
    else if (key === 'lstrip_blocks' && b !== undefined) lstrip = b;
    else if (!['newline_sequence', 'keep_trailing_newline', 'variable_start_string', 'variable_end_string', 'block_start_string', 'block_end_string', 'comment_start_string', 'comment_end_string'].includes(key) || b !== undefined)
      throw new ExprError(`unsupported jinja2 override '${key}: ${val}'`, { offset: 0 });
  }
  const offset = eol < 0 ? src.length : eol + 1;
  return { body: src.slice(offset), offset, trim, lstrip };
}

/** Compiles (cached). trim_blocks is on (Ansible's environment); in strings (task arguments) `{{ }}` string literals keep backslashes. */
export function compile(src: string, opts: JinjaOptions = {}): Compiled {
  const nl = opts.newline ?? '\n';
  const key = (opts.file ? 'f' : 's') + (nl === '\n' ? '' : JSON.stringify(nl)) + src;
  let c = cache.get(key);
  if (c) return c;
  // Jinja's lexer reads every newline of a file as "\n" (its text gets newline_sequence below)
  if (opts.file) src = src.replace(/\r\n?/g, '\n');
  const h = header(src);
  // Parse the whole source (header blanked) so offsets stay those of the file.
  let text = h.offset ? ' '.repeat(h.offset - 1) + '\n' + h.body : src;
  // Jinja (keep_trailing_newline off) drops one final newline of the source
  if (text.endsWith('\n')) text = text.slice(0, text.endsWith('\r\n') ? -2 : -1);
  // Ansible's environment has trim_blocks on for task strings too, not only in template files
  const nodes = parseTemplate(text, { trimBlocks: h.trim, lstripBlocks: h.lstrip, rawStrings: !opts.file });
  c = { src: text, nodes, blocks: new Map(), extends: false };
  if (h.offset && nodes[0]?.t === 'text') {
    const first = nodes[0];
    const rest = first.v.slice(h.offset);
    if (rest) nodes[0] = { ...first, v: rest };
    else nodes.shift();
  }
  if (nl !== '\n') c.nodes = newlineNodes(nodes, nl);
  collectBlocks(c.nodes, c);
  const real = nodes.filter((n) => !(n.t === 'text' && n.v.trim() === ''));
  if (real.length === 1 && real[0]!.t === 'out' && nodes.length === 1) c.single = real[0].e;
  if (cache.size >= CACHE_MAX) cache.clear();
  cache.set(key, c);
  return c;
}

/** The template's own text with `nl` for its newlines (Jinja's newline_sequence), at every depth. */
function newlineNodes(nodes: Node[], nl: string): Node[] {
  const sub = (ns: Node[] | undefined): Node[] | undefined => ns && newlineNodes(ns, nl);
  return nodes.map((n): Node => {
    switch (n.t) {
      case 'text':
        return { ...n, v: n.v.replace(/\n/g, nl) };
      case 'if':
        return { ...n, branches: n.branches.map((b) => ({ ...b, body: newlineNodes(b.body, nl) })), els: sub(n.els) };
      case 'for':
        return { ...n, body: newlineNodes(n.body, nl), els: sub(n.els) };
      default:
        // the statements with one body: set block, macro, call, filter, with, block
        return 'body' in n ? { ...n, body: newlineNodes(n.body, nl) } : n;
    }
  });
}

function collectBlocks(nodes: Node[], c: Compiled): void {
  for (const n of nodes) {
    if (n.t === 'block') c.blocks.set(n.name, n);
    if (n.t === 'extends') c.extends = true;
    for (const sub of children(n)) collectBlocks(sub, c);
  }
}

/** The node lists a statement holds. */
export function children(n: Node): Node[][] {
  switch (n.t) {
    case 'if':
      return [...n.branches.map((b) => b.body), ...(n.els ? [n.els] : [])];
    case 'for':
      return [n.body, ...(n.els ? [n.els] : [])];
    default:
      return 'body' in n ? [n.body] : [];
  }
}

/** Line and column (1-based) of an offset. */
export function lineCol(src: string, offset: number): { line: number; col: number } {
  let line = 1;
  let start = 0;
  for (let i = src.indexOf('\n'); i >= 0 && i < offset; i = src.indexOf('\n', i + 1)) {
    line++;
    start = i + 1;
  }
  return { line, col: offset - start + 1 };
}

/** The message without its `cannot evaluate "<expression>": ` prefix (in a template, the position says where). */
export function bareMessage(e: ExprError): string {
  // the expression may hold quotes (it can be the whole template): strip it as the text it is
  if (e.expr !== undefined) {
    for (const verb of ['evaluate', 'parse']) {
      const prefix = `cannot ${verb} "${e.expr.trim()}": `;
      if (e.message.startsWith(prefix)) return e.message.slice(prefix.length);
    }
  }
  return e.message.replace(/^cannot (evaluate|parse) "(?:[^"\\]|\\.)*": /, '');
}

/** An ExprError (offset in the template) → TemplateError at file:line:col. */
export function locate(e: unknown, src: string, file: string, baseLine: number): unknown {
  // the engine running out of stack/memory (a template nested thousands deep) fails the template, not the process
  if (e instanceof RangeError) return new TemplateError(`cannot render: ${e.message}`, { loc: { file, line: baseLine + 1 }, cause: e });
  if (!(e instanceof ExprError) || e.offset === undefined) return e;
  const { line, col } = lineCol(src, e.offset);
  const msg = bareMessage(e);
  const loc: SourceLocation = { file, line: baseLine + line, col };
  return new TemplateError(msg, { loc, hint: e.hint, cause: e });
}
