G = {}
G['filters'] = [
 "{{ none | default('dflt') }}", "{{ missing | default('x') }}", "{{ empty | default('e', true) }}", "{{ missing | d(5) }}",
 "{{ missing | mandatory }}", "{{ missing | mandatory('need it') }}", "{{ s | mandatory }}",
 "{{ 'yes' | bool }}", "{{ 'off' | bool }}", "{{ 1 | bool }}", "{{ '12' | int + 1 }}", "{{ 'x' | int }}", "{{ 'x' | int(7) }}", "{{ '0x1A' | int(0, 16) }}", "{{ '3.5' | float }}", "{{ 'z' | float + 0.5 }}",
 "{{ n | string }}", "{{ s | list }}", "{{ d | type_debug }}", "{{ l | type_debug }}", "{{ none | type_debug }}", "{{ neg | abs }}", "{{ f | round | int }}", "{{ 3.5 | round | int }}", "{{ 0.125 | round(2) }}", "{{ 2.675 | round(2) }}", "{{ -2.5 | round | int }}", "{{ f | round(2) }}", "{{ f | round(1, 'floor') }}", "{{ f | round(1, 'ceil') }}", "{{ 2.5 | round | int }}",
 "{{ s | lower }}", "{{ s | upper }}", "{{ 'hELLO wORLD' | capitalize }}", "{{ 'hello big-world' | title }}", "{{ sp | trim }}", "{{ 'xxhixx' | trim('x') }}",
 "{{ s | replace('o', '0') }}", "{{ s | replace('o', '0', 1) }}", "{{ 'ab' | center(7) }}", "{{ multi | indent(2) }}", "{{ multi | indent(2, true) }}", "{{ 'a\n\nb' | indent(3, blank=true) }}",
 "{{ 'the quick brown fox jumps' | truncate(12) }}", "{{ 'the quick brown fox jumps' | truncate(12, true) }}", "{{ 'the quick brown fox jumps' | truncate(12, false, '~', 0) }}", "{{ 'a b  c' | wordcount }}",
 "{{ 'the quick brown fox' | wordwrap(9) }}", "{{ '%s-%d' | format('a', 3) }}", "{{ '<b>x</b> y' | striptags }}", "{{ '<a href=\"x\">&' | escape }}", "{{ '<a>' | e }}", "{{ '<a>' | forceescape }}", "{{ '<a>' | safe }}",
 "{{ 'a b&c/d' | urlencode }}", "{{ d | urlencode }}", "{{ 1500000 | filesizeformat }}", "{{ 2048 | filesizeformat(true) }}", "{{ csv | split(',') }}", "{{ s | split }}",
 "{{ 'hi' | comment }}", "{{ 'hi' | comment('c') }}", "{{ 'it\\'s a b' | quote }}", "{{ 'a.b*c' | regex_escape }}", "{{ 'abc123def' | regex_replace('[0-9]+', '-') }}", "{{ 'k=v' | regex_replace('^(\\\\w)=(\\\\w)$', '\\\\2=\\\\1') }}",
 "{{ 'abc123def456' | regex_search('[0-9]+') }}", "{{ 'abc' | regex_search('[0-9]+') }}", "{{ 'abc123def456' | regex_findall('[0-9]+') }}", "{{ 'x' | regex_replace('(', '') }}", "{{ 'ABC' | regex_search('b', ignorecase=true) }}",
 "{{ l | length }}", "{{ s | length }}", "{{ d | length }}", "{{ l | first }}", "{{ l | last }}", "{{ ls | join('-') }}", "{{ l | join }}", "{{ l | reverse | list }}", "{{ 'abc' | reverse }}",
 "{{ l | sort }}", "{{ l | sort(reverse=true) }}", "{{ users | sort(attribute='age') | map(attribute='name') | list }}", "{{ d | dictsort }}", "{{ [1,2,1,3,2] | unique }}", "{{ l | sum }}", "{{ users | sum(attribute='age') }}", "{{ [[1],[2]] | sum(start=[]) }}",
 "{{ ls | map('upper') | list }}", "{{ l | select('odd') | list }}", "{{ l | reject('odd') | list }}", "{{ l | select('gt', 1) | list }}", "{{ users | selectattr('g', 'equalto', 'x') | map(attribute='name') | list }}", "{{ users | rejectattr('age', 'lt', 30) | map(attribute='name') | list }}",
 "{{ users | map(attribute='missing', default='-') | list }}", "{{ [1,2,3,4,5] | batch(2) | list }}", "{{ [1,2,3,4,5] | batch(2, 0) | list }}", "{{ [1,2,3,4,5] | slice(2) | list }}",
 "{{ users | groupby('g') | map('first') | list }}", "{{ (users | groupby('g'))[0][1] | map(attribute='name') | list }}",
 "{{ d | dict2items }}", "{{ kv | items2dict }}", "{{ d | items | list }}", "{{ {'a': {'x': 1}, 'b': 2} | combine({'a': {'y': 2}}) }}", "{{ {'a': {'x': 1}} | combine({'a': {'y': 2}}, recursive=true) }}", "{{ {'a': [1]} | combine({'a': [2]}, list_merge='append') }}",
 "{{ ll | flatten }}", "{{ ll | flatten(1) }}", "{{ [1,2,3] | union([3,4]) }}", "{{ [1,2,3] | intersect([2,3,4]) }}", "{{ [1,2,3] | difference([2]) }}", "{{ [1,2,3] | symmetric_difference([3,4]) }}",
 "{{ [1,2] | zip(['a','b']) | list }}", "{{ [1,2,3] | zip_longest(['a'], fillvalue='-') | list }}", "{{ [1,2] | product(['a','b']) | list }}", "{{ [1,2,3] | combinations(2) | list }}", "{{ [1,2,3] | permutations(2) | list }}",
 "{{ [0, 2] | map('extract', ls) | list }}", "{{ 'b' | extract(d) }}", "{{ [{'n': 1, 'l': [7, 8]}] | subelements('l') }}", "{{ l | random in l }}", "{{ l | shuffle | sort }}",
 "{{ 10 | log(100) }}", "{{ 8 | log(2) | int }}", "{{ 2 | pow(0.5) }}", "{{ 10 | root(3) }}", "{{ 2 | root }}", "{{ 1048576 | human_readable }}", "{{ 1500 | human_readable(unit='K') }}", "{{ '1K' | human_to_bytes }}", "{{ '2 MB' | human_to_bytes }}", "{{ '10Mb' | human_to_bytes(isbits=true) }}", "{{ 'zz' | human_to_bytes }}",
 "{{ 'aGk=' | b64decode }}", "{{ u | b64encode }}", "{{ 'bosun' | to_uuid }}", "{{ 'abc' | hash('sha256') }}", "{{ 'abc' | hash('md5') }}", "{{ 'abc' | checksum }}", "{{ 'abc' | sha1 }}", "{{ 'abc' | md5 }}", "{{ 'abc' | hash('nope') }}",
 "{{ path | basename }}", "{{ path | dirname }}", "{{ path | splitext }}", "{{ ['/a', 'b', 'c.txt'] | path_join }}", "{{ ['a', '/b'] | path_join }}", "{{ '/a/./b/../c' | normpath }}", "{{ 'C:\\\\x\\\\y.txt' | win_basename }}", "{{ 'C:\\\\x\\\\y.txt' | win_dirname }}", "{{ '/a/b/c' | relpath('/a') }}",
 "{{ t | ternary('on', 'off') }}", "{{ none | ternary('on', 'off', 'null') }}", "{{ '%Y-%m-%d %H:%M' | strftime(0, utc=true) }}", "{{ '%Y %j %a %b' | strftime(86400 * 400, utc=true) }}", "{{ {'class': 'x', 'id': 'y', 'skip': none} | xmlattr }}", "{{ d | pprint }}",
 "{{ nested | to_json }}", "{{ nested | tojson }}", "{{ '{\"a\": [1, 2.5, null, true]}' | from_json }}", "{{ '{bad' | from_json }}", "{{ 'a: 1\\nb: [x, y]' | from_yaml }}", "{{ 'a: 1\\n---\\nb: 2' | from_yaml_all | list }}",
 "{{ 'x' | nosuchfilter }}", "{{ 'abc' | abs }}", "{{ s | ansible.builtin.upper }}",
]
G['tests'] = [
 "{{ s is defined }}", "{{ missing is defined }}", "{{ missing is undefined }}", "{{ nested.k.nope is defined }}", "{{ none is none }}", "{{ n is none }}",
 "{{ 1 is truthy }}", "{{ empty is falsy }}", "{{ t is true }}", "{{ 1 is true }}", "{{ false is false }}", "{{ t is boolean }}", "{{ s is string }}", "{{ n is string }}", "{{ n is number }}", "{{ f is integer }}", "{{ f is float }}", "{{ n is integer }}",
 "{{ d is mapping }}", "{{ l is sequence }}", "{{ s is sequence }}", "{{ n is iterable }}", "{{ d is iterable }}", "{{ range is callable }}", "{{ 'abc' is lower }}", "{{ 'aBc' is upper }}", "{{ none is sameas none }}", "{{ 1 is sameas true }}",
 "{{ 2 is in l }}", "{{ l is contains 3 }}", "{{ 4 is even }}", "{{ 3 is odd }}", "{{ 9 is divisibleby 3 }}", "{{ 9 is divisibleby(4) }}", "{{ [true, false] is any }}", "{{ [true, false] is all }}", "{{ '/etc' is abs }}", "{{ 'etc' is abs }}", "{{ '/' is exists }}", "{{ '/' is file }}", "{{ 'x' is vault_encrypted }}",
 "{{ 'abc' is match('ab') }}", "{{ 'abc' is match('bc') }}", "{{ 'abc' is search('bc') }}", "{{ 'ABC' is search('bc', ignorecase=true) }}", "{{ 'abc' is regex('b.') }}", "{{ 'abc' is regex('^b') }}",
 "{{ ver is version('1.9', '>') }}", "{{ ver is version('1.10.2', '==') }}", "{{ ver is version('1.10.10', 'lt') }}", "{{ '1.0rc1' is version('1.0', '<', strict=false) }}", "{{ ver is version('2', 'ge') }}", "{{ ver is version('1', 'bogus') }}", "{{ '2.0.0-beta' is version('2.0.0', '<', version_type='semver') }}",
 "{{ [1,2] is subset([1,2,3]) }}", "{{ [1,2,3] is superset([4]) }}", "{{ {'a':1} is mapping and 1 is number }}", "{{ (0/1) is nan }}", "{{ '1' is eq '1' }}", "{{ 3 is gt 2 }}", "{{ 3 is le 2 }}", "{{ 3 is ne 3 }}", "{{ 'x' is nosuchtest }}",
 "{{ {'failed': true} is failed }}", "{{ {'changed': true} is changed }}", "{{ {'skipped': true} is skipped }}", "{{ {'failed': false} is success }}", "{{ {'failed': false} is succeeded }}", "{{ {'unreachable': true} is unreachable }}", "{{ {} is reachable }}", "{{ {'finished': 1} is finished }}",
 "{{ 'x' is string and 'x' is not number }}", "{{ 3 is not odd }}",
]
G['methods'] = [
 "{{ csv.split(',') }}", "{{ csv.split(',', 1) }}", "{{ ' a  b '.split() }}", "{{ 'a,b,c'.rsplit(',', 1) }}", "{{ multi.splitlines() }}", "{{ s.startswith('He') }}", "{{ s.endswith(('x', 'ld')) }}", "{{ s.lower() }} {{ s.upper() }} {{ s.swapcase() }}",
 "{{ 'ab cd'.title() }}", "{{ 'ab CD'.capitalize() }}", "{{ sp.strip() }}|{{ sp.lstrip() }}|{{ sp.rstrip() }}", "{{ 'xxaxx'.strip('x') }}", "{{ s.replace('l', 'L', 2) }}", "{{ s.find('o') }} {{ s.rfind('o') }} {{ s.find('z') }}", "{{ s.index('W') }}", "{{ s.index('z') }}",
 "{{ s.count('l') }}", "{{ '-'.join(ls) }}", "{{ '{} and {}'.format('a', 1) }}", "{{ '{1}{0}{x}'.format('a', 'b', x='c') }}", "{{ '{:>5}|{:<4}|{:^6}'.format('a', 'b', 'c') }}", "{{ '{:05.2f} {:x} {:,}'.format(3.14159, 255, 1234567) }}", "{{ '{0[1]} {1[a]}'.format(l, d) }}", "{{ '{!r}'.format('q') }}",
 "{{ '123'.isdigit() }} {{ 'a1'.isalnum() }} {{ 'ab'.isalpha() }} {{ '  '.isspace() }} {{ 'ab'.islower() }} {{ 'AB'.isupper() }} {{ 'Ab Cd'.istitle() }} {{ '12'.isnumeric() }} {{ '12'.isdecimal() }}",
 "{{ '42'.zfill(5) }} {{ '-42'.zfill(5) }}", "{{ 'a'.ljust(3, '.') }}|{{ 'a'.rjust(3) }}|{{ 'a'.center(4, '*') }}", "{{ 'a=b=c'.partition('=') }}", "{{ 'a=b=c'.rpartition('=') }}", "{{ 'a=b'.partition('x') }}", "{{ 'prefix-x'.removeprefix('prefix-') }} {{ 'x.txt'.removesuffix('.txt') }}",
 "{{ d.get('a') }} {{ d.get('z') }} {{ d.get('z', 0) }}", "{{ d.keys() | list }}", "{{ d.values() | list }}", "{{ d.items() | list }}", "{{ d.items() }}", "{% set x = d.copy() %}{{ x.update({'c': 3}) }}{{ x }}", "{% set x = {} %}{{ x.setdefault('k', 1) }}{{ x }}",
 "{% set x = {'a': 1} %}{{ x.pop('a') }}{{ x }}", "{% set x = [1] %}{{ x.append(2) }}{{ x.extend([3]) }}{{ x.insert(0, 0) }}{{ x }}", "{% set x = [1, 2, 3] %}{{ x.pop() }}{{ x.pop(0) }}{{ x }}", "{% set x = [1, 2, 1] %}{{ x.remove(1) }}{{ x }}", "{{ l.index(2) }} {{ [1,1,2].count(1) }}",
 "{{ s.nosuch() }}", "{{ 'x'.encode('utf-8') }}", "{{ d.keys() }}",
]
G['pyformat'] = [
 "{{ '%s is %d' % ('x', 3) }}", "{{ '%05.1f|%-4s|%4s' % (3.14159, 'a', 'b') }}", "{{ '%x %X %o %e' % (255, 255, 8, 12345.678) }}", "{{ '%(a)s-%(b)s' % d }}", "{{ '%r' % 'q' }}", "{{ '%s' % [1, 'a'] }}", "{{ '100%%' % () }}", "{{ '%d' % 'x' }}", "{{ '%s %s' % ('a',) }}",
 "{{ '%+d % d' % (5, 5) }}", "{{ '%.3s' % 'abcdef' }}", "{{ '%c' % 65 }}", "{{ '%g %g' % (0.0001, 1e20) }}", "{{ '%i' % 3.9 }}",
]
G['pyjson'] = [
 "{{ nested | to_json }}", "{{ nested | to_nice_json }}", "{{ d | to_json(sort_keys=true) }}", "{{ d | to_nice_json(indent=2) }}", "{{ u | to_json }}", "{{ u | to_json(ensure_ascii=false) }}", "{{ 'a\"b\\\\c\\n\\t' | to_json }}", "{{ [1.5, 1.5e300, 1e-7, -2.5, none, true] | to_json }}",
 "{{ {} | to_nice_json }}", "{{ [] | to_json }}", "{{ {'b': [], 'a': {}} | to_nice_json }}", "{{ '<&>' | tojson }}", "{{ d | to_json(separators=(',', ':')) }}", "{{ '😀' | to_json }}",
]
G['pyyaml'] = [
 "{{ nested | to_yaml }}", "{{ nested | to_nice_yaml }}", "{{ d | to_yaml }}", "{{ users | to_nice_yaml }}", "{{ ['yes', 'no', 'on', '1', '1.5', '', '~', 'null', 'a: b', '- x', '#c', 'x #y', 'ok:'] | to_nice_yaml }}",
 "{{ {'k': 'line1\\nline2'} | to_nice_yaml }}", "{{ {'k': u} | to_yaml }}", "{{ 'plain' | to_yaml }}", "{{ 3 | to_yaml }}", "{{ {'a': [1, 2], 'b': {'c': none}} | to_nice_yaml(indent=2) }}", "{{ {'a': [1, 2]} | to_yaml(default_flow_style=false) }}",
 "{{ {'long': 'word ' * 30} | to_nice_yaml }}", "{{ [[1, 2], {'a': 1}] | to_nice_yaml }}", "{{ {'t': true, 'f': 2.5, 'i': -3} | to_nice_yaml }}", "{{ {'d': '2024-01-01', 'star': '*x', 'amp': '&a', 'q': \"it's\"} | to_nice_yaml }}",
]
G['crypt'] = [
 "{{ 'secret' | password_hash('sha512', 'saltsalt') }}", "{{ 'secret' | password_hash('sha256', 'saltsalt', rounds=5000) }}", "{{ 'secret' | password_hash('sha512_crypt', 'saltsalt', rounds=6000) }}", "{{ 'secret' | password_hash('sha512', 'saltsalt', rounds=5000) }}", "{{ 'secret' | password_hash('sha256', 'abc', rounds=1000) }}",
 "{{ 'a much longer password than sixty-four bytes to exercise the block loop, yes indeed it is' | password_hash('sha512', 'ABCDEFGHabcdefgh', rounds=1000) }}", "{{ 'x' | password_hash('sha256', 'a' * 20, rounds=1000) }}", "{{ 'x' | password_hash('sha512', 'bad salt!') }}",
]
G['render'] = [
 "{% for x in ls %}{{ loop.index }}{{ loop.index0 }}{{ loop.first }}{{ loop.last }}{{ loop.length }}{{ loop.revindex }}{{ x }};{% endfor %}",
 "{% for x in l %}{{ loop.previtem | default('-') }}{{ loop.nextitem | default('-') }}{{ loop.cycle('a', 'b') }} {% endfor %}",
 "{% for k, v in d | dictsort %}{{ k }}={{ v }} {% endfor %}", "{% for x in [] %}x{% else %}empty{% endfor %}", "{% for x in l if x > 1 %}{{ x }}{% endfor %}",
 "{% for row in ll %}{% for c in row %}{{ loop.depth }}{{ c }}{% endfor %}|{% endfor %}", "{% for x in range(3) %}{% if x == 1 %}{% continue %}{% endif %}{{ x }}{% endfor %}",
 "{% macro greet(name, greeting='hi') %}{{ greeting }} {{ name }}{% endmacro %}{{ greet('al') }}, {{ greet('bo', greeting='yo') }}",
 "{% macro m() %}{{ varargs }}{{ kwargs }}{% endmacro %}{{ m(1, 2, k=3) }}", "{% macro wrap() %}[{{ caller() }}]{% endmacro %}{% call wrap() %}inner{% endcall %}",
 "{% macro row(x) %}<{{ caller(x * 2) }}>{% endmacro %}{% call(v) row(4) %}{{ v }}{% endcall %}",
 "{% set a = 1 %}{% set b, c = 2, 3 %}{{ a + b + c }}", "{% set blk %}A{{ n }}B{% endset %}{{ blk | lower }}", "{% set blk | upper %}abc{% endset %}{{ blk }}",
 "{% set ns = namespace(total=0) %}{% for x in l %}{% set ns.total = ns.total + x %}{% endfor %}{{ ns.total }}", "{% set t2 = 0 %}{% for x in l %}{% set t2 = t2 + x %}{% endfor %}{{ t2 }}",
 "a  {{- n -}}  b", "a\n  {%- if true %}\nx\n{%- endif %}  \nb", "{% if n > 50 %}big{% elif n > 40 %}mid{% else %}small{% endif %}", "{# comment #}x{# another #}",
 "{% raw %}{{ not rendered }}{% endraw %}", "{% filter upper %}shout {{ s }}{% endfilter %}", "{% with qq = 5 %}{{ qq * 2 }}{% endwith %}{{ qq | default('gone') }}",
 "{{ missing }}", "{{ nested.k.missing }}", "{{ nested.nope.x }}", "{{ l[10] }}", "{{ nested['k']['z'][1]['deep'] }}", "{{ nested.list[-1] }}", "{{ l[1:] }} {{ ls[::-1] }} {{ s[:5] }}",
 "{{ 1 + 2 * 3 - 5 / 2 }} {{ 7 // 2 }} {{ 7 % 3 }} {{ 2 ** 10 }} {{ -7 // 2 }}", "{{ 'a' ~ 1 ~ none }}", "{{ 'a' + 1 }}", "{{ 1 < 2 < 3 }} {{ 'b' in ls }} {{ 'z' not in ls }}", "{{ 1 if t else 2 }} {{ 'x' if false }}",
 "{{ [1, 2] + [3] }} {{ 'ab' * 3 }} {{ (1, 2) }} {{ {'a': 1}['a'] }}", "{{ 1 / 0 }}", "{{ true and 'x' or 'y' }} {{ none or 0 or 'z' }}", "{{ 10 / 4 }} {{ 10 // 5 }} {{ 0.1 + 0.2 }}",
 "{% if %}", "{% for x in l %}", "{{ 1 + }}", "{% endif %}", "{{ 'unterminated }}", "{% foo %}", "{{ range(1, 10, 3) | list }} {{ dict(a=1) }}",
 "{{ lookup('vars', 'n') }}", "{{ lookup('items', [1, 2]) }} {{ query('list', 1, 2) }}", "{{ lookup('indexed_items', ['a']) }}", "{{ lookup('dict', {'a': 1}) }}", "{{ lookup('together', [1, 2], ['a', 'b']) }}", "{{ lookup('nested', [1, 2], ['a']) }}", "{{ lookup('sequence', 'start=1 end=5 stride=2') }}", "{{ lookup('sequence', 'count=3 format=x%02d') }}",
 "{{ lookup('flattened', [1, [2, [3]]]) }}", "{{ lookup('subelements', [{'n': 1, 'l': [7]}], 'l') }}", "{{ lookup('env', 'JT_NOT_SET_VAR', default='dflt') }}", "{{ lookup('varnames', '^ver') }}",
 "{{ 2.5e-1 }} {{ 0x1f }} {{ 0o17 }} {{ 0b101 }} {{ 1_000 }} {{ 'a' 'b' }} {{ \"dq\" }} {{ none }} {{ True }} {{ 1.5 }}",
]
