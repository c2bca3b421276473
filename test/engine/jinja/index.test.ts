// The Jinja front (lib/engine/jinja/index.ts): whitespace options and `#jinja2:` headers as Jinja2
// applies them, native values of a single `{{ expr }}`, Ansible 2.14's read-back of text that looks
// like a literal, static checks and error positions.
import t from 'tap';
import { checkTemplate, compile, literalEval, renderText, renderValue, templateNames, templateRoots } from '../../../lib/engine/jinja/index.js';
import { TemplateError } from '../../../lib/errors.js';

const env = { file: 'play.yml', baseLine: 9 };
const SRC = '{% if true %}\n  x\n  {% endif %}\ny';

t.test('trim_blocks / lstrip_blocks as jinja2.Environment renders them', async (t) => {
  // python3 -c "jinja2.Environment(trim_blocks=TB, lstrip_blocks=LB).from_string(SRC).render()"
  // Ansible's Templar environment has trim_blocks on for task strings too (ansible-playbook agrees:
  // test/engine/jinja-values-differential.test.ts)
  t.equal(renderText(SRC, {}, env), '  x\n  y', 'a task string: trim_blocks on, as a template file');
  t.equal(renderText(SRC, {}, env, { file: true }), '  x\n  y', 'a template file: trim_blocks on');
  t.equal(renderText('#jinja2: trim_blocks: False\n' + SRC, {}, env, { file: true }), '\n  x\n  \ny');
  t.equal(renderText('#jinja2: trim_blocks: False, lstrip_blocks: True\n' + SRC, {}, env, { file: true }), '\n  x\n\ny');
  t.equal(renderText('#jinja2: lstrip_blocks: True\n' + SRC, {}, env, { file: true }), '  x\ny');
  t.equal(renderText('#jinja2: newline_sequence: "\\n"\nz', {}, env, { file: true }), 'z', 'a known key Ansible accepts');
  t.throws(() => renderText('#jinja2: trim_blocks False\nz', {}, env, { file: true }), /failed to parse jinja2 override 'trim_blocks False'/);
  t.throws(() => renderText('#jinja2: bogus: True\nz', {}, env, { file: true }), /unsupported jinja2 override 'bogus: True'/);
});

t.test('trailing newlines of the source are kept, as Ansible puts them back', async (t) => {
  t.equal(renderText('a\n', {}, env), 'a\n');
  t.equal(renderText('{{ x }}\n\n', { x: 1 }, env), '1\n\n');
  t.equal(renderText('a\r\n', {}, env), 'a\n');
});

t.test("renderValue: Ansible 2.14's Templar: text, read back as a literal when it looks like a list/dict/bool", async (t) => {
  t.same(renderValue('{{ l }}', { l: [1, 2] }, env), [1, 2]);
  t.equal(renderValue('{{ n + 1 }}', { n: 5 }, env), '6', 'a computed number is text');
  t.equal(renderValue('{{ n }}', { n: 5 }, env), 5, 'a bare variable holding a number is that number');
  t.equal(renderValue('{{ n }}', { n: null }, env), null, '… holding None, None');
  t.equal(renderValue('{{ n.x }}', { n: { x: null } }, env), '', 'None computed renders as an empty string');
  t.equal(renderValue('{{ 10 / 2 }}', {}, env), '5.0', 'a float prints as Python prints it');
  t.same(renderValue('{{ [10 / 2] }}', {}, env), [5], 'a float in a list leaving the engine is a plain number');
  t.equal(renderValue('{{ l | to_json }}', { l: [1] }, env), '[1]', 'to_json stays text (STRING_TYPE_FILTERS)');
  t.same(renderValue('{{ l | to_json | trim }}', { l: [1] }, env), [1], '… but not after another filter');
  t.equal(renderValue('{{ s }}', { s: '(1, 2)' }, env), '(1, 2)', 'a tuple text is not read back');
  t.same(renderValue('{{ s }}', { s: '["a\\nb"]' }, env), ['a\nb'], 'read back with Python escapes');
  t.equal(renderValue('  {{ s }}\n', { s: 'v' }, env), '  v\n', 'a string keeps the surrounding whitespace');
  t.same(renderValue('[{{ a }}, {{ b }}]', { a: 1, b: 'x' }, env), '[1, x]', 'x is not a Python literal: stays text');
  t.same(renderValue("[{{ a }}, '{{ b }}']", { a: 1, b: 'x' }, env), [1, 'x']);
  t.equal(renderValue('{{ t }}', { t: 'True' }, env), true, "'True' text becomes a bool, as convert_data");
  t.throws(() => renderValue('{{ nope }}', {}, env), /undefined variable 'nope'/);
});

t.test('literalEval: only Python literals are converted', async (t) => {
  t.same(literalEval("{'a': [1, -2, true, null]}"), { a: [1, -2, true, null] });
  t.equal(literalEval('False'), false);
  t.equal(literalEval('[x]'), '[x]');
  t.equal(literalEval('[1, 2'), '[1, 2', 'a syntax error leaves the text');
  t.equal(literalEval('[not 1]'), '[not 1]');
  t.equal(literalEval('plain'), 'plain');
});

t.test('errors carry file:line:col of the template', async (t) => {
  try {
    renderText('line one\n  {{ 1 + }}', {}, env);
    t.fail('should throw');
  } catch (e) {
    t.ok(e instanceof TemplateError);
    t.match((e as TemplateError).loc, { file: 'play.yml', line: 11 });
  }
  try {
    renderText('ok\n{{ missing.attr }}', {}, env);
    t.fail('should throw');
  } catch (e) {
    t.match((e as Error).message, /undefined variable 'missing'/);
    t.match((e as TemplateError).loc, { file: 'play.yml', line: 11, col: 4 });
  }
});

t.test('checkTemplate: syntax and unknown names before running', async (t) => {
  t.equal(checkTemplate('{{ x | upper }}{% if y is defined %}{% endif %}'), undefined);
  t.match(checkTemplate('a\n{{ x | uper }}'), { message: /unknown filter 'uper' \(did you mean 'upper'\?\)/, line: 2 });
  t.match(checkTemplate('{{ x is definedd }}'), { message: /unknown test 'definedd'/ });
  t.match(checkTemplate("{{ lookup('fiel', 'x') }}"), { message: /unknown lookup 'fiel'/ });
  t.match(checkTemplate("{{ l | map('nofilter') }}"), { message: /unknown filter 'nofilter'/ });
  t.match(checkTemplate("{{ l | select('notest') }}"), { message: /unknown test 'notest'/ });
  t.match(checkTemplate('x\n{% for %}'), { line: 2 });
});

t.test('templateRoots / templateNames: variables a template reads', async (t) => {
  const src = '{% set a = 1 %}{% for i in items %}{{ i }}{{ a }}{{ b.c }}{% endfor %}{{ d | default(1) }}{{ e is defined }}{{ range(2) }}{% macro m(p) %}{{ p }}{% endmacro %}';
  t.same(templateRoots(src).map((r) => r.name), ['items', 'b']);
  t.same(templateNames(src).map((r) => r.name), ['items', 'b', 'd', 'e', 'range']);
  t.same(templateRoots('{{ x }}\n  {{ y }}'), [{ name: 'x', line: 1, col: 4 }, { name: 'y', line: 2, col: 6 }]);
  t.same(templateRoots('{% if %}'), [], 'a template that does not parse has no roots (checkTemplate reports it)');
});

t.test('compile: a single expression is recognised and cached', async (t) => {
  t.ok(compile('{{ a }}').single);
  t.notOk(compile('x {{ a }}').single);
  t.equal(compile('{{ a }}'), compile('{{ a }}'), 'same object from the cache');
});
