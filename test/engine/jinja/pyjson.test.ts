// Generated expectations: every expected string below is what Ansible 2.14's Templar (Jinja2 with
// Ansible's filters and tests) printed for the same template and variables, not bosun's output.
import t from 'tap';
import { renderText } from '../../../lib/engine/jinja/index.js';

const V: Record<string, unknown> = {"s": "Hello World", "sp": "  pad  ", "n": 42, "f": 3.14159, "neg": -7, "l": [3, 1, 2], "ls": ["b", "a", "c"], "ll": [[1, 2], [3, [4, 5]]], "d": {"b": 2, "a": 1}, "users": [{"name": "al", "age": 30, "g": "x"}, {"name": "bo", "age": 20, "g": "y"}, {"name": "cy", "age": 40, "g": "x"}], "path": "/etc/app/conf.d/main.yml", "u": "h\u00e9llo", "multi": "a\nb\nc", "csv": "a,b,,c", "ver": "1.10.2", "empty": "", "none": null, "t": true, "nested": {"k": {"z": [1, {"deep": "v"}]}, "list": ["x", "y"]}, "kv": [{"key": "a", "value": 1}, {"key": "b", "value": 2}]};

const render = (src: string): string => renderText(src, V, { file: 'case.j2' }, { file: true });

const CASES: Array<[string, string]> = [
 [
  "{{ nested | to_json }}",
  "{\"k\": {\"z\": [1, {\"deep\": \"v\"}]}, \"list\": [\"x\", \"y\"]}"
 ],
 [
  "{{ nested | to_nice_json }}",
  "{\n    \"k\": {\n        \"z\": [\n            1,\n            {\n                \"deep\": \"v\"\n            }\n        ]\n    },\n    \"list\": [\n        \"x\",\n        \"y\"\n    ]\n}"
 ],
 [
  "{{ d | to_json(sort_keys=true) }}",
  "{\"a\": 1, \"b\": 2}"
 ],
 [
  "{{ d | to_nice_json(indent=2) }}",
  "{\n  \"a\": 1,\n  \"b\": 2\n}"
 ],
 [
  "{{ u | to_json }}",
  "\"h\\u00e9llo\""
 ],
 [
  "{{ u | to_json(ensure_ascii=false) }}",
  "\"héllo\""
 ],
 [
  "{{ 'a\"b\\\\c\\n\\t' | to_json }}",
  "\"a\\\"b\\\\c\\n\\t\""
 ],
 [
  "{{ [1.5, 1.5e300, 1e-7, -2.5, none, true] | to_json }}",
  "[1.5, 1.5e+300, 1e-07, -2.5, null, true]"
 ],
 [
  "{{ {} | to_nice_json }}",
  "{}"
 ],
 [
  "{{ [] | to_json }}",
  "[]"
 ],
 [
  "{{ {'b': [], 'a': {}} | to_nice_json }}",
  "{\n    \"a\": {},\n    \"b\": []\n}"
 ],
 [
  "{{ '<&>' | tojson }}",
  "\"\\u003c\\u0026\\u003e\""
 ],
 [
  "{{ d | to_json(separators=(',', ':')) }}",
  "{\"b\":2,\"a\":1}"
 ],
 [
  "{{ '😀' | to_json }}",
  "\"\\ud83d\\ude00\""
 ]
];

// Templates Ansible rejects (its message for reference); bosun must fail them too.
const ERRORS: Array<[string, string]> = [];

t.test('pyjson: output as Ansible renders it', async (t) => {
  for (const [src, want] of CASES) t.equal(render(src), want, src);
});

t.test('pyjson: errors where Ansible errors', async (t) => {
  for (const [src, ansible] of ERRORS) t.throws(() => render(src), src + ' (ansible: ' + ansible + ')');
});
