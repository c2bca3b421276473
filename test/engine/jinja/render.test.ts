// Generated expectations: every expected string below is what Ansible 2.14's Templar (Jinja2 with
// Ansible's filters and tests) printed for the same template and variables, not bosun's output.
import t from 'tap';
import { renderText } from '../../../lib/engine/jinja/index.js';

const V: Record<string, unknown> = {"s": "Hello World", "sp": "  pad  ", "n": 42, "f": 3.14159, "neg": -7, "l": [3, 1, 2], "ls": ["b", "a", "c"], "ll": [[1, 2], [3, [4, 5]]], "d": {"b": 2, "a": 1}, "users": [{"name": "al", "age": 30, "g": "x"}, {"name": "bo", "age": 20, "g": "y"}, {"name": "cy", "age": 40, "g": "x"}], "path": "/etc/app/conf.d/main.yml", "u": "h\u00e9llo", "multi": "a\nb\nc", "csv": "a,b,,c", "ver": "1.10.2", "empty": "", "none": null, "t": true, "nested": {"k": {"z": [1, {"deep": "v"}]}, "list": ["x", "y"]}, "kv": [{"key": "a", "value": 1}, {"key": "b", "value": 2}]};

const render = (src: string): string => renderText(src, V, { file: 'case.j2' }, { file: true });

const CASES: Array<[string, string]> = [
 [
  "{% for x in ls %}{{ loop.index }}{{ loop.index0 }}{{ loop.first }}{{ loop.last }}{{ loop.length }}{{ loop.revindex }}{{ x }};{% endfor %}",
  "10TrueFalse33b;21FalseFalse32a;32FalseTrue31c;"
 ],
 [
  "{% for x in l %}{{ loop.previtem | default('-') }}{{ loop.nextitem | default('-') }}{{ loop.cycle('a', 'b') }} {% endfor %}",
  "-1a 32b 1-a "
 ],
 [
  "{% for k, v in d | dictsort %}{{ k }}={{ v }} {% endfor %}",
  "a=1 b=2 "
 ],
 [
  "{% for x in [] %}x{% else %}empty{% endfor %}",
  "empty"
 ],
 [
  "{% for x in l if x > 1 %}{{ x }}{% endfor %}",
  "32"
 ],
 [
  "{% for row in ll %}{% for c in row %}{{ loop.depth }}{{ c }}{% endfor %}|{% endfor %}",
  "1112|131[4, 5]|"
 ],
 [
  "{% macro greet(name, greeting='hi') %}{{ greeting }} {{ name }}{% endmacro %}{{ greet('al') }}, {{ greet('bo', greeting='yo') }}",
  "hi al, yo bo"
 ],
 [
  "{% macro m() %}{{ varargs }}{{ kwargs }}{% endmacro %}{{ m(1, 2, k=3) }}",
  "(1, 2){'k': 3}"
 ],
 [
  "{% macro wrap() %}[{{ caller() }}]{% endmacro %}{% call wrap() %}inner{% endcall %}",
  "[inner]"
 ],
 [
  "{% macro row(x) %}<{{ caller(x * 2) }}>{% endmacro %}{% call(v) row(4) %}{{ v }}{% endcall %}",
  "<8>"
 ],
 [
  "{% set a = 1 %}{% set b, c = 2, 3 %}{{ a + b + c }}",
  "6"
 ],
 [
  "{% set blk %}A{{ n }}B{% endset %}{{ blk | lower }}",
  "a42b"
 ],
 [
  "{% set blk | upper %}abc{% endset %}{{ blk }}",
  "ABC"
 ],
 [
  "{% set ns = namespace(total=0) %}{% for x in l %}{% set ns.total = ns.total + x %}{% endfor %}{{ ns.total }}",
  "6"
 ],
 [
  "{% set t2 = 0 %}{% for x in l %}{% set t2 = t2 + x %}{% endfor %}{{ t2 }}",
  "0"
 ],
 [
  "a  {{- n -}}  b",
  "a42b"
 ],
 [
  "a\n  {%- if true %}\nx\n{%- endif %}  \nb",
  "ax  \nb"
 ],
 [
  "{% if n > 50 %}big{% elif n > 40 %}mid{% else %}small{% endif %}",
  "mid"
 ],
 [
  "{# comment #}x{# another #}",
  "x"
 ],
 [
  "{% raw %}{{ not rendered }}{% endraw %}",
  "{{ not rendered }}"
 ],
 [
  "{% filter upper %}shout {{ s }}{% endfilter %}",
  "SHOUT HELLO WORLD"
 ],
 [
  "{% with qq = 5 %}{{ qq * 2 }}{% endwith %}{{ qq | default('gone') }}",
  "10gone"
 ],
 [
  "{{ nested['k']['z'][1]['deep'] }}",
  "v"
 ],
 [
  "{{ nested.list[-1] }}",
  "y"
 ],
 [
  "{{ l[1:] }} {{ ls[::-1] }} {{ s[:5] }}",
  "[1, 2] ['c', 'a', 'b'] Hello"
 ],
 [
  "{{ 1 + 2 * 3 - 5 / 2 }} {{ 7 // 2 }} {{ 7 % 3 }} {{ 2 ** 10 }} {{ -7 // 2 }}",
  "4.5 3 1 1024 -4"
 ],
 [
  "{{ 'a' ~ 1 ~ none }}",
  "a1None"
 ],
 [
  "{{ 1 < 2 < 3 }} {{ 'b' in ls }} {{ 'z' not in ls }}",
  "True True True"
 ],
 [
  "{{ 1 if t else 2 }} {{ 'x' if false }}",
  "1 "
 ],
 [
  "{{ [1, 2] + [3] }} {{ 'ab' * 3 }} {{ (1, 2) }} {{ {'a': 1}['a'] }}",
  "[1, 2, 3] ababab (1, 2) 1"
 ],
 [
  "{{ true and 'x' or 'y' }} {{ none or 0 or 'z' }}",
  "x z"
 ],
 [
  "{{ 10 / 4 }} {{ 10 // 5 }} {{ 0.1 + 0.2 }}",
  "2.5 2 0.30000000000000004"
 ],
 [
  "{{ range(1, 10, 3) | list }} {{ dict(a=1) }}",
  "[1, 4, 7] {'a': 1}"
 ],
 [
  "{{ lookup('vars', 'n') }}",
  "42"
 ],
 [
  "{{ lookup('items', [1, 2]) }} {{ query('list', 1, 2) }}",
  "[1, 2] [1, 2]"
 ],
 [
  "{{ lookup('indexed_items', ['a']) }}",
  "(0, 'a')"
 ],
 [
  "{{ lookup('dict', {'a': 1}) }}",
  "{'key': 'a', 'value': 1}"
 ],
 [
  "{{ lookup('together', [1, 2], ['a', 'b']) }}",
  "[[1, 'a'], [2, 'b']]"
 ],
 [
  "{{ lookup('nested', [1, 2], ['a']) }}",
  "[[1, 'a'], [2, 'a']]"
 ],
 [
  "{{ lookup('sequence', 'start=1 end=5 stride=2') }}",
  "1,3,5"
 ],
 [
  "{{ lookup('sequence', 'count=3 format=x%02d') }}",
  "x01,x02,x03"
 ],
 [
  "{{ lookup('flattened', [1, [2, [3]]]) }}",
  "[1, 2, 3]"
 ],
 [
  "{{ lookup('subelements', [{'n': 1, 'l': [7]}], 'l') }}",
  "({'n': 1}, 7)"
 ],
 [
  "{{ lookup('env', 'JT_NOT_SET_VAR', default='dflt') }}",
  "dflt"
 ],
 [
  "{{ lookup('varnames', '^ver') }}",
  "ver"
 ],
 [
  "{{ 2.5e-1 }} {{ 0x1f }} {{ 0o17 }} {{ 0b101 }} {{ 1_000 }} {{ 'a' 'b' }} {{ \"dq\" }} {{ none }} {{ True }} {{ 1.5 }}",
  "0.25 31 15 5 1000 ab dq  True 1.5"
 ]
];

// Templates Ansible rejects (its message for reference); bosun must fail them too.
const ERRORS: Array<[string, string]> = [
 [
  "{{ missing }}",
  "'missing' is undefined. 'missing' is undefined"
 ],
 [
  "{{ nested.k.missing }}",
  "'dict object' has no attribute 'missing'. 'dict object' has no attribute 'missin"
 ],
 [
  "{{ nested.nope.x }}",
  "'dict object' has no attribute 'nope'. 'dict object' has no attribute 'nope'"
 ],
 [
  "{{ l[10] }}",
  "list object has no element 10. list object has no element 10"
 ],
 [
  "{{ 'a' + 1 }}",
  "Unexpected templating type error occurred on ({{ 'a' + 1 }}): can only concatena"
 ],
 [
  "{{ 1 / 0 }}",
  "division by zero"
 ],
 [
  "{% if %}",
  "template error while templating string: Expected an expression, got 'end of stat"
 ],
 [
  "{% for x in l %}",
  "template error while templating string: Unexpected end of template. Jinja was lo"
 ],
 [
  "{{ 1 + }}",
  "template error while templating string: unexpected 'end of print statement'. Str"
 ],
 [
  "{% endif %}",
  "template error while templating string: Encountered unknown tag 'endif'.. String"
 ],
 [
  "{{ 'unterminated }}",
  "template error while templating string: unexpected char \"'\" at 3. String: {{ 'un"
 ],
 [
  "{% foo %}",
  "template error while templating string: Encountered unknown tag 'foo'.. String: "
 ]
];

t.test('render: output as Ansible renders it', async (t) => {
  for (const [src, want] of CASES) t.equal(render(src), want, src);
});

t.test('render: errors where Ansible errors', async (t) => {
  for (const [src, ansible] of ERRORS) t.throws(() => render(src), src + ' (ansible: ' + ansible + ')');
});
