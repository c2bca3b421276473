// Which template language a string or file is. Jinja is Ansible's; Handlebars stays for bosun's
// own roles. The rule (docs/templates.md):
//   - files: `.j2`/`.jinja`/`.jinja2` are Jinja, `.hbs`/`.handlebars` are Handlebars; any other
//     name is decided by its content, as a string is;
//   - strings (and other files): Handlebars when they use something only Handlebars has — a block
//     (`{{#if}}`, `{{/each}}`, `{{else}}`, `{{^x}}`), a data or parent path (`@root`, `@index`,
//     `../x`, `this`), or a helper called with space-separated arguments (`{{join xs ","}}`); else Jinja.
//   - `{{ var }}` and `{{ a.b }}` mean the same in both.
//   - Jinja-only syntax (`{% %}`, `{# #}`, `| filter`, calls `f(x)`) in a Handlebars string or file
//     is an error naming both, never literal output and never a guess.
import { TemplateError, closest, type SourceLocation } from '../errors.js';
import { parseExpr } from './jinja/parser.js';

export type TemplateLanguage = 'plain' | 'jinja' | 'handlebars';

/**
 * Names bosun's Handlebars helpers answer to (builtins and template.ts's HELPERS; `log` is removed).
 * Kept here, not imported, because template.ts imports this file; test/engine/template.test.ts checks
 * the two lists agree, so a new helper cannot be missed here.
 */
export const HANDLEBARS_HELPERS = new Set([
  'if', 'unless', 'each', 'with', 'lookup', 'env_dq', 'int', 'extract', 'join', 'default', 'eq', 'ne', 'lt', 'gt', 'le', 'ge', 'and', 'or', 'not',
  'to_json', 'to_yaml', 'b64encode', 'b64decode', 'upper', 'lower', 'trim', 'len', 'first', 'last', 'replace', 'indent', 'quote', 'contains', 'keys',
]);

const MUSTACHE = /\{\{~?([\s\S]*?)~?\}\}/g;
const JINJA_WORDS = /^(?:and|or|not|in|is|if|else)$/;

/** The Handlebars-only construct in one mustache's content, if any. */
function handlebarsOnly(inner: string): string | undefined {
  const s = inner.trim();
  if (/^[#/^>!&]/.test(s)) return `{{${s.slice(0, 12)}…}}`;
  if (s === 'else' || /^else\s/.test(s)) return '{{else}}';
  // inside quotes, `this`, `@x` and `../` are text: `default('not on this host')` is Jinja
  const bare = s.replace(/'(?:[^'\\]|\\.)*'|"(?:[^"\\]|\\.)*"/g, '""');
  // {{{raw}}} (triple-stash) and segment literals a.[b c]
  if (/^\{[\w@.\/-]+\}?$/.test(s) || /\.\[/.test(bare)) return `{{${s}}}`;
  if (/(^|[\s(])(@\w+|\.\.\/|this\b)/.test(bare)) return `{{${s}}}`;
  const call = /^([A-Za-z_][\w-]*)\s+(\S+)/.exec(s);
  if (call && !HANDLEBARS_HELPERS.has(call[1]!) && !JINJA_WORDS.test(call[2]!) && /^[\w"'@(]/.test(call[2]!)) {
    // `{{jion xs ","}}`: a helper call to a helper that does not exist (Jinja cannot read it either)
    try {
      parseExpr(s);
    } catch {
      const near = closest(call[1]!, [...HANDLEBARS_HELPERS]);
      throw new TemplateError(`unknown helper '${call[1]}'`, { hint: near ? `did you mean '${near}'?` : undefined });
    }
  }
  if (call && HANDLEBARS_HELPERS.has(call[1]!) && !JINJA_WORDS.test(call[2]!) && !/^[|~+\-*/%=<>!)\].,]/.test(call[2]!)) {
    // `lookup (x)` is also a Jinja call: Handlebars only when Jinja cannot read it
    try {
      parseExpr(s);
    } catch {
      return `{{${s}}}`;
    }
  }
  return undefined;
}

/** The Jinja-only construct of a text, if any (statements, comments, filters, calls). */
function jinjaOnly(text: string): string | undefined {
  if (text.includes('{%')) return '{% … %}';
  if (/(^|[^{])\{#/.test(text)) return '{# … #}';
  for (const m of text.matchAll(MUSTACHE)) {
    const s = m[1]!.trim();
    if (/^[#/^]/.test(s)) continue; // block params `as |x|` are Handlebars
    if (/^else(\s|$)/.test(s)) continue; // {{else}} / {{else if (…)}} chains are Handlebars
    const noStrings = s.replace(/'(?:[^'\\]|\\.)*'|"(?:[^"\\]|\\.)*"/g, '""');
    if (/(^|[^|])\|(?!\|)/.test(noStrings)) return `{{${s}}}`;
    if (/\w\(/.test(noStrings) || /(^|[^.])\[/.test(noStrings) || /\s(if|~)\s/.test(noStrings)) return `{{${s}}}`;
  }
  return undefined;
}

// What languageOf decided for a text, by extension class (none, .hbs): the engine asks for every
// render of a string (each task and host), the load-time check once more. Only decisions are kept;
// a text that is an error is examined again, so its error carries the caller's location.
const decidedPlain = new Map<string, TemplateLanguage>();
const decidedHbs = new Map<string, TemplateLanguage>();
const DECIDED_MAX = 10_000;

/** The language a file's extension decides (`.j2`, `.hbs`…); undefined when its content decides. */
export function languageByName(file: string): 'jinja' | 'handlebars' | undefined {
  const ext = /\.([A-Za-z0-9]+)$/.exec(file)?.[1]?.toLowerCase();
  return ext === 'j2' || ext === 'jinja' || ext === 'jinja2' ? 'jinja' : ext === 'hbs' || ext === 'handlebars' ? 'handlebars' : undefined;
}

/** Decides the language of a template text; `file` (a path) decides by extension when it has a known one. */
export function languageOf(text: string, file?: string, loc?: SourceLocation): TemplateLanguage {
  const byExt = file ? languageByName(file) : undefined;
  if (byExt === 'jinja') return 'jinja';
  if (!text.includes('{{') && !text.includes('{%') && !text.includes('{#')) return byExt === 'handlebars' ? 'handlebars' : 'plain';
  const decided = byExt === 'handlebars' ? decidedHbs : decidedPlain;
  let lang = decided.get(text);
  if (lang === undefined) {
    lang = decide(text, byExt, file, loc);
    if (decided.size >= DECIDED_MAX) decided.clear();
    decided.set(text, lang);
  }
  return lang;
}

function decide(text: string, byExt: 'handlebars' | undefined, file: string | undefined, loc: SourceLocation | undefined): TemplateLanguage {
  let hb: string | undefined;
  if (byExt !== 'handlebars') {
    for (const m of text.matchAll(MUSTACHE)) {
      try {
        hb = handlebarsOnly(m[1]!);
      } catch (e) {
        if (!(e instanceof TemplateError)) throw e;
        const before = text.slice(0, m.index);
        const line = (loc?.line ?? 1) + (before.match(/\n/g)?.length ?? 0);
        const col = m.index - (before.lastIndexOf('\n') + 1) + 1;
        const at = loc ?? (file ? { file } : undefined);
        throw new TemplateError(e.message, { loc: at ? { file: at.file, line, col } : undefined, hint: e.hint });
      }
      if (hb) break;
    }
  }
  if (byExt === 'handlebars' || hb) {
    const jj = jinjaOnly(text);
    if (jj) {
      const where = byExt === 'handlebars' ? 'a Handlebars (.hbs) file' : `a Handlebars template (it uses ${hb})`;
      throw new TemplateError(`Jinja syntax ${jj} in ${where}: a template is either Handlebars or Jinja, not both`, {
        loc: loc ?? (file ? { file } : undefined),
        hint: byExt === 'handlebars' ? 'rename the file to .j2 and write it in Jinja, or use Handlebars helpers' : 'write the whole string in Jinja ({% if %}, | filters) or in Handlebars ({{#if}}, helpers)',
      });
    }
    return 'handlebars';
  }
  return 'jinja';
}
