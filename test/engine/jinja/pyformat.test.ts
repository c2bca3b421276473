// Generated expectations: every expected string below is what Ansible 2.14's Templar (Jinja2 with
// Ansible's filters and tests) printed for the same template and variables, not bosun's output.
import t from 'tap';
import { renderText } from '../../../lib/engine/jinja/index.js';

const V: Record<string, unknown> = {"s": "Hello World", "sp": "  pad  ", "n": 42, "f": 3.14159, "neg": -7, "l": [3, 1, 2], "ls": ["b", "a", "c"], "ll": [[1, 2], [3, [4, 5]]], "d": {"b": 2, "a": 1}, "users": [{"name": "al", "age": 30, "g": "x"}, {"name": "bo", "age": 20, "g": "y"}, {"name": "cy", "age": 40, "g": "x"}], "path": "/etc/app/conf.d/main.yml", "u": "h\u00e9llo", "multi": "a\nb\nc", "csv": "a,b,,c", "ver": "1.10.2", "empty": "", "none": null, "t": true, "nested": {"k": {"z": [1, {"deep": "v"}]}, "list": ["x", "y"]}, "kv": [{"key": "a", "value": 1}, {"key": "b", "value": 2}]};

const render = (src: string): string => renderText(src, V, { file: 'case.j2' }, { file: true });

const CASES: Array<[string, string]> = [
 [
  "{{ '%s is %d' % ('x', 3) }}",
  "x is 3"
 ],
 [
  "{{ '%05.1f|%-4s|%4s' % (3.14159, 'a', 'b') }}",
  "003.1|a   |   b"
 ],
 [
  "{{ '%x %X %o %e' % (255, 255, 8, 12345.678) }}",
  "ff FF 10 1.234568e+04"
 ],
 [
  "{{ '%(a)s-%(b)s' % d }}",
  "1-2"
 ],
 [
  "{{ '%r' % 'q' }}",
  "'q'"
 ],
 [
  "{{ '%s' % [1, 'a'] }}",
  "[1, 'a']"
 ],
 [
  "{{ '100%%' % () }}",
  "100%"
 ],
 [
  "{{ '%+d % d' % (5, 5) }}",
  "+5  5"
 ],
 [
  "{{ '%.3s' % 'abcdef' }}",
  "abc"
 ],
 [
  "{{ '%c' % 65 }}",
  "A"
 ],
 [
  "{{ '%g %g' % (0.0001, 1e20) }}",
  "0.0001 1e+20"
 ],
 [
  "{{ '%i' % 3.9 }}",
  "3"
 ]
];

// Templates Ansible rejects (its message for reference); bosun must fail them too.
const ERRORS: Array<[string, string]> = [
 [
  "{{ '%d' % 'x' }}",
  "Unexpected templating type error occurred on ({{ '%d' % 'x' }}): %d format: a re"
 ],
 [
  "{{ '%s %s' % ('a',) }}",
  "Unexpected templating type error occurred on ({{ '%s %s' % ('a',) }}): not enoug"
 ]
];

t.test('pyformat: output as Ansible renders it', async (t) => {
  for (const [src, want] of CASES) t.equal(render(src), want, src);
});

t.test('pyformat: errors where Ansible errors', async (t) => {
  for (const [src, ansible] of ERRORS) t.throws(() => render(src), src + ' (ansible: ' + ansible + ')');
});
