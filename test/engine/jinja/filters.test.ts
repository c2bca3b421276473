// Generated expectations: every expected string below is what Ansible 2.14's Templar (Jinja2 with
// Ansible's filters and tests) printed for the same template and variables, not bosun's output.
import t from 'tap';
import { renderText } from '../../../lib/engine/jinja/index.js';

const V: Record<string, unknown> = {"s": "Hello World", "sp": "  pad  ", "n": 42, "f": 3.14159, "neg": -7, "l": [3, 1, 2], "ls": ["b", "a", "c"], "ll": [[1, 2], [3, [4, 5]]], "d": {"b": 2, "a": 1}, "users": [{"name": "al", "age": 30, "g": "x"}, {"name": "bo", "age": 20, "g": "y"}, {"name": "cy", "age": 40, "g": "x"}], "path": "/etc/app/conf.d/main.yml", "u": "h\u00e9llo", "multi": "a\nb\nc", "csv": "a,b,,c", "ver": "1.10.2", "empty": "", "none": null, "t": true, "nested": {"k": {"z": [1, {"deep": "v"}]}, "list": ["x", "y"]}, "kv": [{"key": "a", "value": 1}, {"key": "b", "value": 2}]};

const render = (src: string): string => renderText(src, V, { file: 'case.j2' }, { file: true });

const CASES: Array<[string, string]> = [
 [
  "{{ none | default('dflt') }}",
  ""
 ],
 [
  "{{ missing | default('x') }}",
  "x"
 ],
 [
  "{{ empty | default('e', true) }}",
  "e"
 ],
 [
  "{{ missing | d(5) }}",
  "5"
 ],
 [
  "{{ s | mandatory }}",
  "Hello World"
 ],
 [
  "{{ 'yes' | bool }}",
  "True"
 ],
 [
  "{{ 'off' | bool }}",
  "False"
 ],
 [
  "{{ 1 | bool }}",
  "True"
 ],
 [
  "{{ '12' | int + 1 }}",
  "13"
 ],
 [
  "{{ 'x' | int }}",
  "0"
 ],
 [
  "{{ 'x' | int(7) }}",
  "7"
 ],
 [
  "{{ '0x1A' | int(0, 16) }}",
  "26"
 ],
 [
  "{{ '3.5' | float }}",
  "3.5"
 ],
 [
  "{{ 'z' | float + 0.5 }}",
  "0.5"
 ],
 [
  "{{ n | string }}",
  "42"
 ],
 [
  "{{ s | list }}",
  "['H', 'e', 'l', 'l', 'o', ' ', 'W', 'o', 'r', 'l', 'd']"
 ],
 [
  "{{ d | type_debug }}",
  "dict"
 ],
 [
  "{{ l | type_debug }}",
  "list"
 ],
 [
  "{{ none | type_debug }}",
  "NoneType"
 ],
 [
  "{{ neg | abs }}",
  "7"
 ],
 [
  "{{ f | round | int }}",
  "3"
 ],
 [
  "{{ 3.5 | round | int }}",
  "4"
 ],
 [
  "{{ 0.125 | round(2) }}",
  "0.12"
 ],
 [
  "{{ 2.675 | round(2) }}",
  "2.67"
 ],
 [
  "{{ -2.5 | round | int }}",
  "-2"
 ],
 [
  "{{ f | round(2) }}",
  "3.14"
 ],
 [
  "{{ f | round(1, 'floor') }}",
  "3.1"
 ],
 [
  "{{ f | round(1, 'ceil') }}",
  "3.2"
 ],
 [
  "{{ 2.5 | round | int }}",
  "2"
 ],
 [
  "{{ s | lower }}",
  "hello world"
 ],
 [
  "{{ s | upper }}",
  "HELLO WORLD"
 ],
 [
  "{{ 'hELLO wORLD' | capitalize }}",
  "Hello world"
 ],
 [
  "{{ 'hello big-world' | title }}",
  "Hello Big-World"
 ],
 [
  "{{ sp | trim }}",
  "pad"
 ],
 [
  "{{ 'xxhixx' | trim('x') }}",
  "hi"
 ],
 [
  "{{ s | replace('o', '0') }}",
  "Hell0 W0rld"
 ],
 [
  "{{ s | replace('o', '0', 1) }}",
  "Hell0 World"
 ],
 [
  "{{ 'ab' | center(7) }}",
  "   ab  "
 ],
 [
  "{{ multi | indent(2) }}",
  "a\n  b\n  c"
 ],
 [
  "{{ multi | indent(2, true) }}",
  "  a\n  b\n  c"
 ],
 [
  "{{ 'a\n\nb' | indent(3, blank=true) }}",
  "a\n   \n   b"
 ],
 [
  "{{ 'the quick brown fox jumps' | truncate(12) }}",
  "the..."
 ],
 [
  "{{ 'the quick brown fox jumps' | truncate(12, true) }}",
  "the quick..."
 ],
 [
  "{{ 'the quick brown fox jumps' | truncate(12, false, '~', 0) }}",
  "the quick~"
 ],
 [
  "{{ 'a b  c' | wordcount }}",
  "3"
 ],
 [
  "{{ 'the quick brown fox' | wordwrap(9) }}",
  "the quick\nbrown fox"
 ],
 [
  "{{ '%s-%d' | format('a', 3) }}",
  "a-3"
 ],
 [
  "{{ '<b>x</b> y' | striptags }}",
  "x y"
 ],
 [
  "{{ '<a href=\"x\">&' | escape }}",
  "&lt;a href=&#34;x&#34;&gt;&amp;"
 ],
 [
  "{{ '<a>' | e }}",
  "&lt;a&gt;"
 ],
 [
  "{{ '<a>' | forceescape }}",
  "&lt;a&gt;"
 ],
 [
  "{{ '<a>' | safe }}",
  "<a>"
 ],
 [
  "{{ 'a b&c/d' | urlencode }}",
  "a%20b%26c/d"
 ],
 [
  "{{ d | urlencode }}",
  "b=2&a=1"
 ],
 [
  "{{ 1500000 | filesizeformat }}",
  "1.5 MB"
 ],
 [
  "{{ 2048 | filesizeformat(true) }}",
  "2.0 KiB"
 ],
 [
  "{{ csv | split(',') }}",
  "['a', 'b', '', 'c']"
 ],
 [
  "{{ s | split }}",
  "['Hello', 'World']"
 ],
 [
  "{{ 'hi' | comment }}",
  "#\n# hi\n#"
 ],
 [
  "{{ 'hi' | comment('c') }}",
  "//\n// hi\n//"
 ],
 [
  "{{ 'it\\'s a b' | quote }}",
  "'it'\"'\"'s a b'"
 ],
 [
  "{{ 'a.b*c' | regex_escape }}",
  "a\\.b\\*c"
 ],
 [
  "{{ 'abc123def' | regex_replace('[0-9]+', '-') }}",
  "abc-def"
 ],
 [
  "{{ 'k=v' | regex_replace('^(\\\\w)=(\\\\w)$', '\\\\2=\\\\1') }}",
  "v=k"
 ],
 [
  "{{ 'abc123def456' | regex_search('[0-9]+') }}",
  "123"
 ],
 [
  "{{ 'abc' | regex_search('[0-9]+') }}",
  ""
 ],
 [
  "{{ 'abc123def456' | regex_findall('[0-9]+') }}",
  "['123', '456']"
 ],
 [
  "{{ 'ABC' | regex_search('b', ignorecase=true) }}",
  "B"
 ],
 [
  "{{ l | length }}",
  "3"
 ],
 [
  "{{ s | length }}",
  "11"
 ],
 [
  "{{ d | length }}",
  "2"
 ],
 [
  "{{ l | first }}",
  "3"
 ],
 [
  "{{ l | last }}",
  "2"
 ],
 [
  "{{ ls | join('-') }}",
  "b-a-c"
 ],
 [
  "{{ l | join }}",
  "312"
 ],
 [
  "{{ l | reverse | list }}",
  "[2, 1, 3]"
 ],
 [
  "{{ 'abc' | reverse }}",
  "cba"
 ],
 [
  "{{ l | sort }}",
  "[1, 2, 3]"
 ],
 [
  "{{ l | sort(reverse=true) }}",
  "[3, 2, 1]"
 ],
 [
  "{{ users | sort(attribute='age') | map(attribute='name') | list }}",
  "['bo', 'al', 'cy']"
 ],
 [
  "{{ d | dictsort }}",
  "[('a', 1), ('b', 2)]"
 ],
 [
  "{{ [1,2,1,3,2] | unique }}",
  "[1, 2, 3]"
 ],
 [
  "{{ l | sum }}",
  "6"
 ],
 [
  "{{ users | sum(attribute='age') }}",
  "90"
 ],
 [
  "{{ [[1],[2]] | sum(start=[]) }}",
  "[1, 2]"
 ],
 [
  "{{ ls | map('upper') | list }}",
  "['B', 'A', 'C']"
 ],
 [
  "{{ l | select('odd') | list }}",
  "[3, 1]"
 ],
 [
  "{{ l | reject('odd') | list }}",
  "[2]"
 ],
 [
  "{{ l | select('gt', 1) | list }}",
  "[3, 2]"
 ],
 [
  "{{ users | selectattr('g', 'equalto', 'x') | map(attribute='name') | list }}",
  "['al', 'cy']"
 ],
 [
  "{{ users | rejectattr('age', 'lt', 30) | map(attribute='name') | list }}",
  "['al', 'cy']"
 ],
 [
  "{{ users | map(attribute='missing', default='-') | list }}",
  "['-', '-', '-']"
 ],
 [
  "{{ [1,2,3,4,5] | batch(2) | list }}",
  "[[1, 2], [3, 4], [5]]"
 ],
 [
  "{{ [1,2,3,4,5] | batch(2, 0) | list }}",
  "[[1, 2], [3, 4], [5, 0]]"
 ],
 [
  "{{ [1,2,3,4,5] | slice(2) | list }}",
  "[[1, 2, 3], [4, 5]]"
 ],
 [
  "{{ users | groupby('g') | map('first') | list }}",
  "['x', 'y']"
 ],
 [
  "{{ (users | groupby('g'))[0][1] | map(attribute='name') | list }}",
  "['al', 'cy']"
 ],
 [
  "{{ d | dict2items }}",
  "[{'key': 'b', 'value': 2}, {'key': 'a', 'value': 1}]"
 ],
 [
  "{{ kv | items2dict }}",
  "{'a': 1, 'b': 2}"
 ],
 [
  "{{ d | items | list }}",
  "[('b', 2), ('a', 1)]"
 ],
 [
  "{{ {'a': {'x': 1}, 'b': 2} | combine({'a': {'y': 2}}) }}",
  "{'a': {'y': 2}, 'b': 2}"
 ],
 [
  "{{ {'a': {'x': 1}} | combine({'a': {'y': 2}}, recursive=true) }}",
  "{'a': {'x': 1, 'y': 2}}"
 ],
 [
  "{{ {'a': [1]} | combine({'a': [2]}, list_merge='append') }}",
  "{'a': [1, 2]}"
 ],
 [
  "{{ ll | flatten }}",
  "[1, 2, 3, 4, 5]"
 ],
 [
  "{{ ll | flatten(1) }}",
  "[1, 2, 3, [4, 5]]"
 ],
 [
  "{{ [1,2,3] | union([3,4]) }}",
  "[1, 2, 3, 4]"
 ],
 [
  "{{ [1,2,3] | intersect([2,3,4]) }}",
  "[2, 3]"
 ],
 [
  "{{ [1,2,3] | difference([2]) }}",
  "[1, 3]"
 ],
 [
  "{{ [1,2,3] | symmetric_difference([3,4]) }}",
  "[1, 2, 4]"
 ],
 [
  "{{ [1,2] | zip(['a','b']) | list }}",
  "[(1, 'a'), (2, 'b')]"
 ],
 [
  "{{ [1,2,3] | zip_longest(['a'], fillvalue='-') | list }}",
  "[(1, 'a'), (2, '-'), (3, '-')]"
 ],
 [
  "{{ [1,2] | product(['a','b']) | list }}",
  "[(1, 'a'), (1, 'b'), (2, 'a'), (2, 'b')]"
 ],
 [
  "{{ [1,2,3] | combinations(2) | list }}",
  "[(1, 2), (1, 3), (2, 3)]"
 ],
 [
  "{{ [1,2,3] | permutations(2) | list }}",
  "[(1, 2), (1, 3), (2, 1), (2, 3), (3, 1), (3, 2)]"
 ],
 [
  "{{ [0, 2] | map('extract', ls) | list }}",
  "['b', 'c']"
 ],
 [
  "{{ 'b' | extract(d) }}",
  "2"
 ],
 [
  "{{ [{'n': 1, 'l': [7, 8]}] | subelements('l') }}",
  "[({'n': 1, 'l': [7, 8]}, 7), ({'n': 1, 'l': [7, 8]}, 8)]"
 ],
 [
  "{{ l | random in l }}",
  "True"
 ],
 [
  "{{ l | shuffle | sort }}",
  "[1, 2, 3]"
 ],
 [
  "{{ 10 | log(100) }}",
  "0.5"
 ],
 [
  "{{ 8 | log(2) | int }}",
  "3"
 ],
 [
  "{{ 2 | pow(0.5) }}",
  "1.4142135623730951"
 ],
 [
  "{{ 10 | root(3) }}",
  "2.154434690031884"
 ],
 [
  "{{ 2 | root }}",
  "1.4142135623730951"
 ],
 [
  "{{ 1048576 | human_readable }}",
  "1.00 MB"
 ],
 [
  "{{ 1500 | human_readable(unit='K') }}",
  "1.46 KB"
 ],
 [
  "{{ '1K' | human_to_bytes }}",
  "1024"
 ],
 [
  "{{ '2 MB' | human_to_bytes }}",
  "2097152"
 ],
 [
  "{{ '10Mb' | human_to_bytes(isbits=true) }}",
  "10485760"
 ],
 [
  "{{ 'aGk=' | b64decode }}",
  "hi"
 ],
 [
  "{{ u | b64encode }}",
  "aMOpbGxv"
 ],
 [
  "{{ 'bosun' | to_uuid }}",
  "802aa7b0-928a-5120-b918-c01407a4bff6"
 ],
 [
  "{{ 'abc' | hash('sha256') }}",
  "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
 ],
 [
  "{{ 'abc' | hash('md5') }}",
  "900150983cd24fb0d6963f7d28e17f72"
 ],
 [
  "{{ 'abc' | checksum }}",
  "a9993e364706816aba3e25717850c26c9cd0d89d"
 ],
 [
  "{{ 'abc' | sha1 }}",
  "a9993e364706816aba3e25717850c26c9cd0d89d"
 ],
 [
  "{{ 'abc' | md5 }}",
  "900150983cd24fb0d6963f7d28e17f72"
 ],
 [
  "{{ path | basename }}",
  "main.yml"
 ],
 [
  "{{ path | dirname }}",
  "/etc/app/conf.d"
 ],
 [
  "{{ path | splitext }}",
  "('/etc/app/conf.d/main', '.yml')"
 ],
 [
  "{{ ['/a', 'b', 'c.txt'] | path_join }}",
  "/a/b/c.txt"
 ],
 [
  "{{ ['a', '/b'] | path_join }}",
  "/b"
 ],
 [
  "{{ 'C:\\\\x\\\\y.txt' | win_basename }}",
  "y.txt"
 ],
 [
  "{{ 'C:\\\\x\\\\y.txt' | win_dirname }}",
  "C:\\x"
 ],
 [
  "{{ '/a/b/c' | relpath('/a') }}",
  "b/c"
 ],
 [
  "{{ t | ternary('on', 'off') }}",
  "on"
 ],
 [
  "{{ none | ternary('on', 'off', 'null') }}",
  "null"
 ],
 [
  "{{ '%Y-%m-%d %H:%M' | strftime(0, utc=true) }}",
  "1970-01-01 00:00"
 ],
 [
  "{{ '%Y %j %a %b' | strftime(86400 * 400, utc=true) }}",
  "1971 036 Fri Feb"
 ],
 [
  "{{ {'class': 'x', 'id': 'y', 'skip': none} | xmlattr }}",
  " class=\"x\" id=\"y\""
 ],
 [
  "{{ d | pprint }}",
  "{'a': 1, 'b': 2}"
 ],
 [
  "{{ nested | to_json }}",
  "{\"k\": {\"z\": [1, {\"deep\": \"v\"}]}, \"list\": [\"x\", \"y\"]}"
 ],
 [
  "{{ nested | tojson }}",
  "{\"k\": {\"z\": [1, {\"deep\": \"v\"}]}, \"list\": [\"x\", \"y\"]}"
 ],
 [
  "{{ '{\"a\": [1, 2.5, null, true]}' | from_json }}",
  "{'a': [1, 2.5, None, True]}"
 ],
 [
  "{{ 'a: 1\\nb: [x, y]' | from_yaml }}",
  "{'a': 1, 'b': ['x', 'y']}"
 ],
 [
  "{{ 'a: 1\\n---\\nb: 2' | from_yaml_all | list }}",
  "[{'a': 1}, {'b': 2}]"
 ]
];

// Templates Ansible rejects (its message for reference); bosun must fail them too.
const ERRORS: Array<[string, string]> = [
 [
  "{{ missing | mandatory }}",
  "Mandatory variable 'missing'  not defined."
 ],
 [
  "{{ missing | mandatory('need it') }}",
  "need it"
 ],
 [
  "{{ 'x' | regex_replace('(', '') }}",
  "missing ), unterminated subpattern at position 0"
 ],
 [
  "{{ 'zz' | human_to_bytes }}",
  "human_to_bytes() can't interpret following string: zz"
 ],
 [
  "{{ 'abc' | hash('nope') }}",
  "unsupported hash type nope"
 ],
 [
  "{{ '{bad' | from_json }}",
  "Expecting property name enclosed in double quotes: line 1 column 2 (char 1)"
 ],
 [
  "{{ 'x' | nosuchfilter }}",
  "template error while templating string: Could not load \"nosuchfilter\": 'nosuchfi"
 ],
 [
  "{{ 'abc' | abs }}",
  "Unexpected templating type error occurred on ({{ 'abc' | abs }}): bad operand ty"
 ]
];

t.test('filters: output as Ansible renders it', async (t) => {
  for (const [src, want] of CASES) t.equal(render(src), want, src);
});

t.test('filters: errors where Ansible errors', async (t) => {
  for (const [src, ansible] of ERRORS) t.throws(() => render(src), src + ' (ansible: ' + ansible + ')');
});
