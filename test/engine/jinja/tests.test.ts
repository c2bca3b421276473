// Generated expectations: every expected string below is what Ansible 2.14's Templar (Jinja2 with
// Ansible's filters and tests) printed for the same template and variables, not bosun's output.
import t from 'tap';
import { renderText } from '../../../lib/engine/jinja/index.js';

const V: Record<string, unknown> = {"s": "Hello World", "sp": "  pad  ", "n": 42, "f": 3.14159, "neg": -7, "l": [3, 1, 2], "ls": ["b", "a", "c"], "ll": [[1, 2], [3, [4, 5]]], "d": {"b": 2, "a": 1}, "users": [{"name": "al", "age": 30, "g": "x"}, {"name": "bo", "age": 20, "g": "y"}, {"name": "cy", "age": 40, "g": "x"}], "path": "/etc/app/conf.d/main.yml", "u": "h\u00e9llo", "multi": "a\nb\nc", "csv": "a,b,,c", "ver": "1.10.2", "empty": "", "none": null, "t": true, "nested": {"k": {"z": [1, {"deep": "v"}]}, "list": ["x", "y"]}, "kv": [{"key": "a", "value": 1}, {"key": "b", "value": 2}]};

const render = (src: string): string => renderText(src, V, { file: 'case.j2' }, { file: true });

const CASES: Array<[string, string]> = [
 [
  "{{ s is defined }}",
  "True"
 ],
 [
  "{{ missing is defined }}",
  "False"
 ],
 [
  "{{ missing is undefined }}",
  "True"
 ],
 [
  "{{ nested.k.nope is defined }}",
  "False"
 ],
 [
  "{{ none is none }}",
  "True"
 ],
 [
  "{{ n is none }}",
  "False"
 ],
 [
  "{{ 1 is truthy }}",
  "True"
 ],
 [
  "{{ empty is falsy }}",
  "True"
 ],
 [
  "{{ t is true }}",
  "True"
 ],
 [
  "{{ 1 is true }}",
  "False"
 ],
 [
  "{{ false is false }}",
  "True"
 ],
 [
  "{{ t is boolean }}",
  "True"
 ],
 [
  "{{ s is string }}",
  "True"
 ],
 [
  "{{ n is string }}",
  "False"
 ],
 [
  "{{ n is number }}",
  "True"
 ],
 [
  "{{ f is integer }}",
  "False"
 ],
 [
  "{{ f is float }}",
  "True"
 ],
 [
  "{{ n is integer }}",
  "True"
 ],
 [
  "{{ d is mapping }}",
  "True"
 ],
 [
  "{{ l is sequence }}",
  "True"
 ],
 [
  "{{ s is sequence }}",
  "True"
 ],
 [
  "{{ n is iterable }}",
  "False"
 ],
 [
  "{{ d is iterable }}",
  "True"
 ],
 [
  "{{ range is callable }}",
  "True"
 ],
 [
  "{{ 'abc' is lower }}",
  "True"
 ],
 [
  "{{ 'aBc' is upper }}",
  "False"
 ],
 [
  "{{ none is sameas none }}",
  "True"
 ],
 [
  "{{ 1 is sameas true }}",
  "False"
 ],
 [
  "{{ 2 is in l }}",
  "True"
 ],
 [
  "{{ l is contains 3 }}",
  "True"
 ],
 [
  "{{ 4 is even }}",
  "True"
 ],
 [
  "{{ 3 is odd }}",
  "True"
 ],
 [
  "{{ 9 is divisibleby 3 }}",
  "True"
 ],
 [
  "{{ 9 is divisibleby(4) }}",
  "False"
 ],
 [
  "{{ [true, false] is any }}",
  "True"
 ],
 [
  "{{ [true, false] is all }}",
  "False"
 ],
 [
  "{{ '/etc' is abs }}",
  "True"
 ],
 [
  "{{ 'etc' is abs }}",
  "False"
 ],
 [
  "{{ '/' is exists }}",
  "True"
 ],
 [
  "{{ '/' is file }}",
  "False"
 ],
 [
  "{{ 'x' is vault_encrypted }}",
  "False"
 ],
 [
  "{{ 'abc' is match('ab') }}",
  "True"
 ],
 [
  "{{ 'abc' is match('bc') }}",
  "False"
 ],
 [
  "{{ 'abc' is search('bc') }}",
  "True"
 ],
 [
  "{{ 'ABC' is search('bc', ignorecase=true) }}",
  "True"
 ],
 [
  "{{ 'abc' is regex('b.') }}",
  "True"
 ],
 [
  "{{ 'abc' is regex('^b') }}",
  "False"
 ],
 [
  "{{ ver is version('1.9', '>') }}",
  "True"
 ],
 [
  "{{ ver is version('1.10.2', '==') }}",
  "True"
 ],
 [
  "{{ ver is version('1.10.10', 'lt') }}",
  "True"
 ],
 [
  "{{ '1.0rc1' is version('1.0', '<', strict=false) }}",
  "False"
 ],
 [
  "{{ ver is version('2', 'ge') }}",
  "False"
 ],
 [
  "{{ '2.0.0-beta' is version('2.0.0', '<', version_type='semver') }}",
  "True"
 ],
 [
  "{{ [1,2] is subset([1,2,3]) }}",
  "True"
 ],
 [
  "{{ [1,2,3] is superset([4]) }}",
  "False"
 ],
 [
  "{{ {'a':1} is mapping and 1 is number }}",
  "True"
 ],
 [
  "{{ (0/1) is nan }}",
  "False"
 ],
 [
  "{{ '1' is eq '1' }}",
  "True"
 ],
 [
  "{{ 3 is gt 2 }}",
  "True"
 ],
 [
  "{{ 3 is le 2 }}",
  "False"
 ],
 [
  "{{ 3 is ne 3 }}",
  "False"
 ],
 [
  "{{ {'failed': true} is failed }}",
  "True"
 ],
 [
  "{{ {'changed': true} is changed }}",
  "True"
 ],
 [
  "{{ {'skipped': true} is skipped }}",
  "True"
 ],
 [
  "{{ {'failed': false} is success }}",
  "True"
 ],
 [
  "{{ {'failed': false} is succeeded }}",
  "True"
 ],
 [
  "{{ {'unreachable': true} is unreachable }}",
  "True"
 ],
 [
  "{{ {} is reachable }}",
  "True"
 ],
 [
  "{{ {'finished': 1} is finished }}",
  "True"
 ],
 [
  "{{ 'x' is string and 'x' is not number }}",
  "True"
 ],
 [
  "{{ 3 is not odd }}",
  "False"
 ]
];

// Templates Ansible rejects (its message for reference); bosun must fail them too.
const ERRORS: Array<[string, string]> = [
 [
  "{{ ver is version('1', 'bogus') }}",
  "Invalid operator type (bogus). Must be one of '==', '=', 'eq', '<', 'lt', '<=', "
 ],
 [
  "{{ 'x' is nosuchtest }}",
  "template error while templating string: Could not load \"nosuchtest\": 'nosuchtest"
 ]
];

t.test('tests: output as Ansible renders it', async (t) => {
  for (const [src, want] of CASES) t.equal(render(src), want, src);
});

t.test('tests: errors where Ansible errors', async (t) => {
  for (const [src, ansible] of ERRORS) t.throws(() => render(src), src + ' (ansible: ' + ansible + ')');
});
