// Generated expectations: every expected string below is what Ansible 2.14's Templar (Jinja2 with
// Ansible's filters and tests) printed for the same template and variables, not bosun's output.
import t from 'tap';
import { renderText } from '../../../lib/engine/jinja/index.js';

const V: Record<string, unknown> = {"s": "Hello World", "sp": "  pad  ", "n": 42, "f": 3.14159, "neg": -7, "l": [3, 1, 2], "ls": ["b", "a", "c"], "ll": [[1, 2], [3, [4, 5]]], "d": {"b": 2, "a": 1}, "users": [{"name": "al", "age": 30, "g": "x"}, {"name": "bo", "age": 20, "g": "y"}, {"name": "cy", "age": 40, "g": "x"}], "path": "/etc/app/conf.d/main.yml", "u": "h\u00e9llo", "multi": "a\nb\nc", "csv": "a,b,,c", "ver": "1.10.2", "empty": "", "none": null, "t": true, "nested": {"k": {"z": [1, {"deep": "v"}]}, "list": ["x", "y"]}, "kv": [{"key": "a", "value": 1}, {"key": "b", "value": 2}]};

const render = (src: string): string => renderText(src, V, { file: 'case.j2' }, { file: true });

const CASES: Array<[string, string]> = [
 [
  "{{ nested | to_yaml }}",
  "k:\n  z:\n  - 1\n  - {deep: v}\nlist: [x, y]\n"
 ],
 [
  "{{ nested | to_nice_yaml }}",
  "k:\n    z:\n    - 1\n    -   deep: v\nlist:\n- x\n- y\n"
 ],
 [
  "{{ d | to_yaml }}",
  "{a: 1, b: 2}\n"
 ],
 [
  "{{ users | to_nice_yaml }}",
  "-   age: 30\n    g: x\n    name: al\n-   age: 20\n    g: y\n    name: bo\n-   age: 40\n    g: x\n    name: cy\n"
 ],
 [
  "{{ ['yes', 'no', 'on', '1', '1.5', '', '~', 'null', 'a: b', '- x', '#c', 'x #y', 'ok:'] | to_nice_yaml }}",
  "- 'yes'\n- 'no'\n- 'on'\n- '1'\n- '1.5'\n- ''\n- '~'\n- 'null'\n- 'a: b'\n- '- x'\n- '#c'\n- 'x #y'\n- 'ok:'\n"
 ],
 [
  "{{ {'k': 'line1\\nline2'} | to_nice_yaml }}",
  "k: 'line1\n\n    line2'\n"
 ],
 [
  "{{ {'k': u} | to_yaml }}",
  "{k: héllo}\n"
 ],
 [
  "{{ 'plain' | to_yaml }}",
  "plain\n"
 ],
 [
  "{{ 3 | to_yaml }}",
  "3\n"
 ],
 [
  "{{ {'a': [1, 2], 'b': {'c': none}} | to_nice_yaml(indent=2) }}",
  "a:\n- 1\n- 2\nb:\n  c: null\n"
 ],
 [
  "{{ {'a': [1, 2]} | to_yaml(default_flow_style=false) }}",
  "a:\n- 1\n- 2\n"
 ],
 [
  "{{ {'long': 'word ' * 30} | to_nice_yaml }}",
  "long: 'word word word word word word word word word word word word word word word\n    word word word word word word word word word word word word word word word '\n"
 ],
 [
  "{{ [[1, 2], {'a': 1}] | to_nice_yaml }}",
  "-   - 1\n    - 2\n-   a: 1\n"
 ],
 [
  "{{ {'t': true, 'f': 2.5, 'i': -3} | to_nice_yaml }}",
  "f: 2.5\ni: -3\nt: true\n"
 ],
 [
  "{{ {'d': '2024-01-01', 'star': '*x', 'amp': '&a', 'q': \"it's\"} | to_nice_yaml }}",
  "amp: '&a'\nd: '2024-01-01'\nq: it's\nstar: '*x'\n"
 ]
];

// Templates Ansible rejects (its message for reference); bosun must fail them too.
const ERRORS: Array<[string, string]> = [];

t.test('pyyaml: output as Ansible renders it', async (t) => {
  for (const [src, want] of CASES) t.equal(render(src), want, src);
});

t.test('pyyaml: errors where Ansible errors', async (t) => {
  for (const [src, ansible] of ERRORS) t.throws(() => render(src), src + ' (ansible: ' + ansible + ')');
});
