// Templates that name other templates (lib/engine/jinja/loader.ts): import/from, extends/block and
// recursive loops. Their output is proved against ansible-playbook by test/engine/jinja-differential.test.ts;
// here: name resolution, the security rule on names, and each misuse as a one-line error at the
// file:line:col of the template it is in.
import t from 'tap';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { renderText } from '../../../lib/engine/jinja/index.js';
import { TemplateError } from '../../../lib/errors.js';

const FILES = {
  'lib.j2': '{% macro ok(x) %}ok {{ x }}{% endmacro %}\n{% macro bad() %}\nline2 {{ nope_var }}\n{% endmacro %}\n{% set _p = 1 %}\n',
  'broken.j2': 'x\n{% if %}\n',
  'base.j2': '{% block a %}A{% endblock %}|{% block r required %}{% endblock %}',
  'plain.j2': '<{% block a %}A{% endblock %}>',
  'self.j2': "{% extends 'self.j2' %}",
};

/** Renders `src` as the template file main.j2 beside FILES; returns the output or the error's one line. */
function run(dir: string, src: string, vars: Record<string, unknown> = {}): string {
  const file = join(dir, 'main.j2');
  try {
    return renderText(src, vars, { file }, { file: true });
  } catch (e) {
    if (!(e instanceof TemplateError)) throw e;
    return 'ERROR ' + e.oneLine().replaceAll(dir + '/', '');
  }
}

t.test('misuse is a one-line error naming the template file and line', async (t) => {
  const dir = t.testdir(FILES);
  const cases: Array<[string, string | RegExp]> = [
    ["a\n{% import 'nope.j2' as m %}", /^ERROR main\.j2:2:3: template 'nope\.j2' not found \(searched: /],
    ["{% from 'nope.j2' import x %}", /^ERROR main\.j2:1:3: template 'nope\.j2' not found/],
    ["a\n\n{% extends 'nope.j2' %}", /^ERROR main\.j2:3:3: template 'nope\.j2' not found/],
    ["a\n{% from 'lib.j2' import missing %}\n{{ missing }}", "ERROR main.j2:2:3: the template 'lib.j2' does not export the requested name 'missing'"],
    ["{% import 'lib.j2' as m %}\n{{ m.nothing() }}", /^ERROR main\.j2:2:/],
    ["{% from 'lib.j2' import _p %}", /^ERROR main\.j2:1:\d+: names starting with an underline can not be imported \('_p'\)/],
    ["{% from 'lib.j2' import bad %}\n{{ bad() }}", "ERROR lib.j2:3:10: undefined variable 'nope_var'"],
    ["{% import 'broken.j2' as b %}", /^ERROR broken\.j2:2:\d+: .*unexpected end of expression/],
    ["{% import 'lib.j2' %}", /^ERROR main\.j2:1:\d+: expected 'as' but found end of expression/],
    ["{% block a %}{% endblock %}\n{% block a %}{% endblock %}", /^ERROR main\.j2:2:\d+: block 'a' defined twice/],
    ['{% block a-b %}{% endblock %}', /^ERROR main\.j2:1:\d+: block names have to be valid identifiers/],
    ["{% block a %}\n{% endblock b %}", /^ERROR main\.j2:2:\d+: '\{% endblock b %\}' closes block 'a'/],
    ['x\n{% block a %}', /^ERROR main\.j2:2:1: .*'\{% block a %\}' is not closed \(expected '\{% endblock %\}'\)/],
    ["{% for x in [1] %}\n{% extends 'base.j2' %}{% endfor %}", /^ERROR main\.j2:2:\d+: cannot use extends from a non top-level scope/],
    ["{% macro m() %}{% extends 'base.j2' %}{% endmacro %}", /^ERROR main\.j2:1:\d+: cannot use extends from a non top-level scope/],
    ["{% extends 'plain.j2' %}\n{% extends 'plain.j2' %}", /^ERROR main\.j2:2:3: extended multiple times/],
    ["{% extends 'base.j2' %}", /^ERROR base\.j2:1:\d+: required block 'r' not found/],
    ['{% block r required %}text{% endblock %}', /^ERROR main\.j2:1:1: .*required block 'r' can only contain comments or whitespace/],
    ["{% extends 'plain.j2' %}{% block a %}\n{{ super() }}{{ super() }}{% endblock %}", '<AA>' /* trim_blocks: the newline after a block tag goes */],
    // at the block: that it has no parent is a fact of the block (Jinja: `super` is undefined there)
    ['{% block a %}\n{{ super() }}{% endblock %}', /^ERROR main\.j2:1:3: there is no parent block called 'a'/],
    ["{% extends 'plain.j2' %}{% block a %}\n{{ super.super() }}{% endblock %}", /^ERROR main\.j2:2:\d+: there is no parent block called 'a'/],
    ['{{ self.nope() }}{% block a %}{% endblock %}', /^ERROR main\.j2:1:\d+: /],
    ["{% extends 'self.j2' %}", /^ERROR self\.j2:1:3: templates nested more than 20 deep through include\/import\/extends \(a loop\?\)/],
    ['{% extends 42 %}', /^ERROR main\.j2:1:12: a template name must be a string, not int/],
    ['{% for x in [1] %}\n{{ loop([2]) }}{% endfor %}', /^ERROR main\.j2:2:\d+: the loop must have the 'recursive' marker to be called recursively/],
    ['{% for x in [1] recursive %}\n{{ loop(x) }}{% endfor %}', /^ERROR main\.j2:2:8: 'int' object is not iterable/],
  ];
  for (const [src, want] of cases) {
    const got = run(dir, src);
    if (typeof want === 'string') t.equal(got, want, src);
    else t.match(got, want, src);
    t.notMatch(got, /\n/, `one line: ${src}`);
  }
});

t.test('import and extends find templates as include does', async (t) => {
  const dir = t.testdir({
    roles: { r: { templates: { 'macros.j2': '{% macro m() %}role macro{% endmacro %}', 'base.j2': '[{% block b %}{% endblock %}]' }, tasks: { 'main.yml': '' } } },
    templates: { 'pb.j2': '{% macro p() %}playbook templates/{% endmacro %}' },
  });
  const opts = { file: true };
  const child = "{% extends 'base.j2' %}{% block b %}{% import 'macros.j2' as m %}{{ m.m() }}{% endblock %}";
  t.equal(renderText(child, {}, { file: join(dir, 'roles/r/templates/main.j2') }, opts), '[role macro]', 'beside the template');
  t.equal(renderText("{% from 'macros.j2' import m %}{{ m() }}", {}, { file: join(dir, 'roles/r/tasks/main.yml') }), 'role macro', "a task string: the role's templates/");
  t.equal(renderText("{% import 'pb.j2' as p %}{{ p.p() }}", {}, { file: join(dir, 'play.yml') }, opts), 'playbook templates/', 'templates/ beside the file');
  const abs = join(dir, 'roles/r/templates/macros.j2');
  t.equal(renderText('{% import lib as m %}{{ m.m() }}', { lib: abs }, { file: join(dir, 'play.yml') }, opts), 'role macro', 'a name from a variable: an absolute path, as include takes it');
});

t.test('a template name from data is only a file name: never rendered', async (t) => {
  const dir = t.testdir({ 'x.j2': '' });
  // a host could report this as a fact; it must select a file (none here), not run as Jinja
  const vars = { host_value: "{{ lookup('pipe', 'echo pwned') }}" };
  for (const stmt of ['{% import host_value as m %}', '{% from host_value import a %}', '{% extends host_value %}', '{% include host_value %}']) {
    const got = run(dir, stmt, vars);
    t.match(got, /^ERROR main\.j2:1:\d+: template '\{\{ lookup\('pipe', 'echo pwned'\) \}\}' not found/, stmt);
    t.equal(got.split('pwned').length, got.split("echo pwned'").length, `only in the name, never run: ${stmt}`);
  }
  t.equal(readFileSync(join(dir, 'x.j2'), 'utf8'), '', 'fixture untouched');
});

t.test('static checks: names a child template reads may come from its parent', async (t) => {
  const { templateRoots, checkTemplate } = await import('../../../lib/engine/jinja/index.js');
  t.same(templateRoots("{% extends 'base.j2' %}{% block b %}{{ base_macro() }}{{ base_var }}{% endblock %}", { file: true }), [], 'not required: the parent may define them');
  t.same(templateRoots("{% import 'm.j2' as m %}{% from 'm.j2' import f as g %}{{ m.x() }}{{ g() }}{% block b %}{{ self.b() }}{{ super() }}{% endblock %}{{ real }}").map((r) => r.name), ['real'], 'imported names, self and super are the template\'s own');
  t.match(checkTemplate("{% extends 'base.j2' %}{% block b %}{{ x | uper }}{% endblock %}"), { message: /unknown filter 'uper'/ }, 'a child template is still checked for unknown filters');
  t.match(checkTemplate('{% for x in xs recursive %}{{ loop(x) | uper }}{% endfor %}'), { message: /unknown filter 'uper'/ }, 'the body of a recursive loop too');
});
