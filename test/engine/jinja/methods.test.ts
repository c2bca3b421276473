// Generated expectations: every expected string below is what Ansible 2.14's Templar (Jinja2 with
// Ansible's filters and tests) printed for the same template and variables, not bosun's output.
import t from 'tap';
import { renderText } from '../../../lib/engine/jinja/index.js';

const V: Record<string, unknown> = {"s": "Hello World", "sp": "  pad  ", "n": 42, "f": 3.14159, "neg": -7, "l": [3, 1, 2], "ls": ["b", "a", "c"], "ll": [[1, 2], [3, [4, 5]]], "d": {"b": 2, "a": 1}, "users": [{"name": "al", "age": 30, "g": "x"}, {"name": "bo", "age": 20, "g": "y"}, {"name": "cy", "age": 40, "g": "x"}], "path": "/etc/app/conf.d/main.yml", "u": "h\u00e9llo", "multi": "a\nb\nc", "csv": "a,b,,c", "ver": "1.10.2", "empty": "", "none": null, "t": true, "nested": {"k": {"z": [1, {"deep": "v"}]}, "list": ["x", "y"]}, "kv": [{"key": "a", "value": 1}, {"key": "b", "value": 2}]};

const render = (src: string): string => renderText(src, V, { file: 'case.j2' }, { file: true });

const CASES: Array<[string, string]> = [
 [
  "{{ csv.split(',') }}",
  "['a', 'b', '', 'c']"
 ],
 [
  "{{ csv.split(',', 1) }}",
  "['a', 'b,,c']"
 ],
 [
  "{{ ' a  b '.split() }}",
  "['a', 'b']"
 ],
 [
  "{{ 'a,b,c'.rsplit(',', 1) }}",
  "['a,b', 'c']"
 ],
 [
  "{{ multi.splitlines() }}",
  "['a', 'b', 'c']"
 ],
 [
  "{{ s.startswith('He') }}",
  "True"
 ],
 [
  "{{ s.endswith(('x', 'ld')) }}",
  "True"
 ],
 [
  "{{ s.lower() }} {{ s.upper() }} {{ s.swapcase() }}",
  "hello world HELLO WORLD hELLO wORLD"
 ],
 [
  "{{ 'ab cd'.title() }}",
  "Ab Cd"
 ],
 [
  "{{ 'ab CD'.capitalize() }}",
  "Ab cd"
 ],
 [
  "{{ sp.strip() }}|{{ sp.lstrip() }}|{{ sp.rstrip() }}",
  "pad|pad  |  pad"
 ],
 [
  "{{ 'xxaxx'.strip('x') }}",
  "a"
 ],
 [
  "{{ s.replace('l', 'L', 2) }}",
  "HeLLo World"
 ],
 [
  "{{ s.find('o') }} {{ s.rfind('o') }} {{ s.find('z') }}",
  "4 7 -1"
 ],
 [
  "{{ s.index('W') }}",
  "6"
 ],
 [
  "{{ s.count('l') }}",
  "3"
 ],
 [
  "{{ '-'.join(ls) }}",
  "b-a-c"
 ],
 [
  "{{ '{} and {}'.format('a', 1) }}",
  "a and 1"
 ],
 [
  "{{ '{1}{0}{x}'.format('a', 'b', x='c') }}",
  "bac"
 ],
 [
  "{{ '{:>5}|{:<4}|{:^6}'.format('a', 'b', 'c') }}",
  "    a|b   |  c   "
 ],
 [
  "{{ '{:05.2f} {:x} {:,}'.format(3.14159, 255, 1234567) }}",
  "03.14 ff 1,234,567"
 ],
 [
  "{{ '{0[1]} {1[a]}'.format(l, d) }}",
  "1 1"
 ],
 [
  "{{ '{!r}'.format('q') }}",
  "'q'"
 ],
 [
  "{{ '123'.isdigit() }} {{ 'a1'.isalnum() }} {{ 'ab'.isalpha() }} {{ '  '.isspace() }} {{ 'ab'.islower() }} {{ 'AB'.isupper() }} {{ 'Ab Cd'.istitle() }} {{ '12'.isnumeric() }} {{ '12'.isdecimal() }}",
  "True True True True True True True True True"
 ],
 [
  "{{ '42'.zfill(5) }} {{ '-42'.zfill(5) }}",
  "00042 -0042"
 ],
 [
  "{{ 'a'.ljust(3, '.') }}|{{ 'a'.rjust(3) }}|{{ 'a'.center(4, '*') }}",
  "a..|  a|*a**"
 ],
 [
  "{{ 'a=b=c'.partition('=') }}",
  "('a', '=', 'b=c')"
 ],
 [
  "{{ 'a=b=c'.rpartition('=') }}",
  "('a=b', '=', 'c')"
 ],
 [
  "{{ 'a=b'.partition('x') }}",
  "('a=b', '', '')"
 ],
 [
  "{{ 'prefix-x'.removeprefix('prefix-') }} {{ 'x.txt'.removesuffix('.txt') }}",
  "x x"
 ],
 [
  "{{ d.get('a') }} {{ d.get('z') }} {{ d.get('z', 0) }}",
  "1  0"
 ],
 [
  "{{ d.keys() | list }}",
  "['b', 'a']"
 ],
 [
  "{{ d.values() | list }}",
  "[2, 1]"
 ],
 [
  "{{ d.items() | list }}",
  "[('b', 2), ('a', 1)]"
 ],
 [
  "{{ d.items() }}",
  "[('b', 2), ('a', 1)]"
 ],
 [
  "{% set x = d.copy() %}{{ x.update({'c': 3}) }}{{ x }}",
  "{'b': 2, 'a': 1, 'c': 3}"
 ],
 [
  "{% set x = {} %}{{ x.setdefault('k', 1) }}{{ x }}",
  "1{'k': 1}"
 ],
 [
  "{% set x = {'a': 1} %}{{ x.pop('a') }}{{ x }}",
  "1{}"
 ],
 [
  "{% set x = [1] %}{{ x.append(2) }}{{ x.extend([3]) }}{{ x.insert(0, 0) }}{{ x }}",
  "[0, 1, 2, 3]"
 ],
 [
  "{% set x = [1, 2, 3] %}{{ x.pop() }}{{ x.pop(0) }}{{ x }}",
  "31[2]"
 ],
 [
  "{% set x = [1, 2, 1] %}{{ x.remove(1) }}{{ x }}",
  "[2, 1]"
 ],
 [
  "{{ l.index(2) }} {{ [1,1,2].count(1) }}",
  "2 2"
 ],
 [
  "{{ 'x'.encode('utf-8') }}",
  "x"
 ],
 [
  "{{ d.keys() }}",
  "['b', 'a']"
 ]
];

// Templates Ansible rejects (its message for reference); bosun must fail them too.
const ERRORS: Array<[string, string]> = [
 [
  "{{ s.index('z') }}",
  "substring not found"
 ],
 [
  "{{ s.nosuch() }}",
  "'str object' has no attribute 'nosuch'. 'str object' has no attribute 'nosuch'"
 ]
];

t.test('methods: output as Ansible renders it', async (t) => {
  for (const [src, want] of CASES) t.equal(render(src), want, src);
});

t.test('methods: errors where Ansible errors', async (t) => {
  for (const [src, ansible] of ERRORS) t.throws(() => render(src), src + ' (ansible: ' + ansible + ')');
});
