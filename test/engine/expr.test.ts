import t, { type Test } from 'tap';
import { evaluate, evalBool, parseExpr, ExprError, truthy, pyStr, pyEquals } from '../../lib/engine/expr.js';
import { TemplateError } from '../../lib/errors.js';
import { buildScope, dataLayer } from '../../lib/engine/vars.js';
import { extendScope } from '../../lib/engine/scope.js';
import { TemplateEngine } from '../../lib/engine/template.js';

const renderer = new TemplateEngine();

const vars: Record<string, unknown> = {
  a: 1,
  b: 'x',
  n: null,
  zero: 0,
  empty: '',
  l: [1, 2, 3],
  names: ['etcd-1', 'etcd-2'],
  d: { k: { z: 5 }, 'dash-key': 'dk' },
  ok: { failed: false, changed: true, rc: 0, stdout: 'active' },
  bad: { failed: true, changed: false, rc: 1 },
  skip: { skipped: true, changed: false },
  json: '{"a": [1, 2]}',
};

const ev = (s: string, v: Record<string, unknown> = vars): unknown => evaluate(s, v);

function throwsExpr(t: Test, fn: () => unknown, re: RegExp, col?: number): void {
  try {
    fn();
    t.fail(`expected ExprError matching ${re}`);
  } catch (e) {
    t.ok(e instanceof ExprError, 'is ExprError');
    t.ok(e instanceof TemplateError, 'is TemplateError');
    t.match((e as Error).message, re);
    if (col !== undefined) t.equal((e as ExprError).col, col, 'column');
  }
}

t.test('literals', async (t) => {
  t.equal(ev('42'), 42);
  t.equal(ev('3.5'), 3.5);
  t.equal(ev('1_000'), 1000);
  t.equal(ev("'it\\'s'"), "it's");
  t.equal(ev('"a\\nb\\t\\u0041\\x42"'), 'a\nb\tAB');
  t.equal(ev("'\\d+'"), '\\d+', 'unknown escapes keep the backslash (regexes)');
  t.equal(ev("'a' 'b'"), 'ab', 'adjacent strings concatenate');
  for (const s of ['true', 'True']) t.equal(ev(s), true);
  for (const s of ['false', 'False']) t.equal(ev(s), false);
  for (const s of ['none', 'None', 'null']) t.equal(ev(s), null);
  t.same(ev('[1, "a", [true]]'), [1, 'a', [true]]);
  t.same(ev('[]'), []);
  t.same(ev('[1, 2,]'), [1, 2]);
  t.same(ev("{'k': 1, \"j\": [a]}"), { k: 1, j: [1] });
  t.same(ev('{}'), {});
  t.same(ev('(1, 2)'), [1, 2], 'tuples are lists');
});

t.test('variables and access', async (t) => {
  t.equal(ev('a'), 1);
  t.equal(ev('d.k.z'), 5);
  t.equal(ev("d['k']['z']"), 5);
  t.equal(ev("d['dash-key']"), 'dk');
  t.equal(ev('l[0]'), 1);
  t.equal(ev('l[-1]'), 3);
  t.equal(ev('l.1'), 2, 'Jinja a.0 index syntax');
  t.equal(ev('names[1][0]'), 'e', 'string index');
  t.equal(ev('d.k.missing'), undefined, 'missing attribute evaluates to undefined');
  t.equal(ev('l[10]'), undefined);
  t.equal(ev('b.length'), undefined, 'no JS properties on strings');
  t.equal(ev('l.length'), undefined, 'no JS properties on arrays');
  t.equal(ev('d.hasOwnProperty'), undefined, 'inherited properties are invisible');
  // layered scopes built with Object.create are followed, Object.prototype never
  const layered = Object.create({ inherited: 'yes' }) as Record<string, unknown>;
  layered.own = 1;
  t.equal(ev('inherited', layered), 'yes');
  throwsExpr(t, () => ev('toString', layered), /undefined variable 'toString'/);
  throwsExpr(t, () => ev('l["x"] + 1'), /l\["x"\]|l\['x'\]|is undefined/);
});

t.test('forbidden properties', async (t) => {
  for (const s of ['d.__proto__', "d['__proto__']", 'd.constructor', 'b.constructor', "l['constructor']", 'd.prototype', '__proto__', 'constructor', 'd.__class__', "{'__proto__': 1}", "d.get('__proto__')"]) {
    throwsExpr(t, () => ev(s), /not allowed/);
  }
  throwsExpr(t, () => ev('d.constructor is defined'), /access to 'constructor' is not allowed/, 3);
  throwsExpr(t, () => ev('a.b()'), /int has no method 'b'/);
  throwsExpr(t, () => ev('a()'), /int object is not callable/, 2);
  throwsExpr(t, () => ev('nofn()'), /'nofn' is undefined \(not a variable, macro or function\)/, 1);
  const parsed = ev('"{\\"__proto__\\": {\\"polluted\\": 1}}" | from_json') as Record<string, unknown>;
  t.equal(({} as Record<string, unknown>).polluted, undefined, 'no prototype pollution');
  t.equal(Object.getPrototypeOf(parsed), Object.prototype);
});

t.test('undefined handling', async (t) => {
  t.equal(ev('nope is defined'), false);
  t.equal(ev('nope is undefined'), true);
  t.equal(ev('nope is not defined'), true);
  t.equal(ev('a is defined'), true);
  t.equal(ev('nope.x.y is defined'), false, 'attribute of undefined chains');
  t.equal(ev('d.k.q is defined'), false);
  t.equal(ev('d.k.z is defined'), true);
  t.equal(ev('n is defined'), true, 'null is defined');
  t.equal(ev('nope | default(3)'), 3);
  t.equal(ev('nope.x | d("y")'), 'y');
  t.equal(ev('n | default(3)'), null, 'default keeps none');
  t.equal(ev("empty | default('e', true)"), 'e', 'default(v, true) replaces falsy');
  t.equal(ev("zero | default('e', boolean=true)"), 'e');
  t.equal(ev('nope is defined and nope > 1'), false, 'and short-circuits');
  t.equal(ev('a == 1 or nope'), true, 'or short-circuits');
  throwsExpr(t, () => evalBool('result.rc != 0', vars), /^cannot evaluate "result\.rc != 0": undefined variable 'result'$/, 1);
  throwsExpr(t, () => evalBool('nope', vars), /undefined variable 'nope'/, 1);
  throwsExpr(t, () => evalBool('a == 1 and nope', vars), /undefined variable 'nope'/, 12);
  throwsExpr(t, () => ev('nope'), /undefined variable 'nope'/);
  throwsExpr(t, () => ev('ok.missing == 1'), /ok\.missing is undefined/, 4);
  throwsExpr(t, () => ev('d.k.q.r + 1'), /d\.k\.q\.r is undefined/);
  throwsExpr(t, () => ev('nope | length'), /undefined variable 'nope'/);
  throwsExpr(t, () => ev('[nope]'), /undefined variable 'nope'/);
  throwsExpr(t, () => ev('not nope'), /undefined variable 'nope'/);
  throwsExpr(t, () => ev('nope is string'), /undefined variable 'nope'/);
  t.equal(ev('1 if false'), '', "ternary without else renders '' (as ansible-playbook 2.14)");
});

t.test('operators', async (t) => {
  t.equal(ev('1 == 1.0'), true);
  t.equal(ev('true == 1'), true, 'bool compares to int as Python');
  t.equal(ev("'1' == 1"), false);
  t.equal(ev('[1, [2]] == [1, [2]]'), true, 'deep list equality');
  t.equal(ev("{'a': [1]} == {'a': [1]}"), true, 'deep dict equality');
  t.equal(ev("{'a': 1} != {'a': 2}"), true);
  t.equal(ev('n == none'), true);
  t.equal(ev('1 < 2'), true);
  t.equal(ev('2 <= 2'), true);
  t.equal(ev('3 > 2'), true);
  t.equal(ev('2 >= 3'), false);
  t.equal(ev("'abc' < 'abd'"), true);
  t.equal(ev('[1, 2] < [1, 3]'), true);
  t.equal(ev('1 < a + 1 < 3'), true, 'chained comparison');
  t.equal(ev('1 < 2 > 3'), false);
  throwsExpr(t, () => ev("'3' < 5"), /'<' not supported between str and int/, 5);
  t.equal(ev('2 in l'), true);
  t.equal(ev('5 not in l'), true);
  t.equal(ev("'tc' in 'etcd'"), true);
  t.equal(ev("'k' in d"), true);
  t.equal(ev("'q' not in d"), true);
  throwsExpr(t, () => ev('1 in "abc"'), /requires a string/);
  throwsExpr(t, () => ev('1 in a'), /int is not iterable/);
  t.equal(ev('1 + 2'), 3);
  t.equal(ev("'a' + 'b'"), 'ab');
  t.same(ev('[1] + [2]'), [1, 2]);
  throwsExpr(t, () => ev("'a' + 1"), /unsupported operand types for \+: str and int/, 5);
  t.equal(ev('5 - 7'), -2);
  t.equal(ev('2 * 3'), 6);
  t.equal(ev("'-' * 3"), '---');
  t.same(ev('[0] * 2'), [0, 0]);
  t.equal(ev('7 / 2'), 3.5);
  t.equal(ev('7 // 2'), 3);
  t.equal(ev('-7 // 2'), -4, 'floor division rounds down');
  t.equal(ev('7 % 3'), 1);
  t.equal(ev('-7 % 3'), 2, 'Python modulo');
  t.equal(ev('2 ** 10'), 1024);
  throwsExpr(t, () => ev('1 / 0'), /division by zero/, 3);
  throwsExpr(t, () => ev('1 % zero'), /modulo by zero/);
  t.equal(ev("b ~ a ~ none ~ true"), 'x1NoneTrue');
  t.equal(ev('-a'), -1);
  t.equal(ev('+a'), 1);
  t.equal(ev('- -a'), 1);
  throwsExpr(t, () => ev('-b'), /unsupported operand type for -: str/);
  t.equal(ev('not true'), false);
  t.equal(ev('not not 1'), true);
  t.equal(ev('(1 + 2) * 3'), 9);
  t.equal(ev("'y' if a == 1 else 'n'"), 'y');
  t.equal(ev("'y' if a == 2 else 'n'"), 'n');
  t.equal(ev("'a' if false else 'b' if true else 'c'"), 'b', 'nested ternary');
  t.equal(ev('0 or 5'), 5, 'or returns the operand as Python');
  t.equal(ev('1 and 0'), 0);
});

t.test('precedence', async (t) => {
  t.equal(ev('not a == 2'), true, 'not binds looser than ==');
  t.equal(ev('true or false and false'), true, 'and binds tighter than or');
  t.equal(ev('(true or false) and false'), false);
  t.equal(ev('not false and false'), false, 'not binds tighter than and');
  t.equal(ev('1 + 2 * 3'), 7);
  t.equal(ev('2 * 3 ** 2'), 18);
  t.equal(ev("(1 + 2) ~ 'x'"), '3x');
  throwsExpr(t, () => ev("1 + 2 ~ 'x'"), /str/, 3); // ~ binds tighter than +, as in Jinja: 1 + (2 ~ 'x')
  t.equal(ev("l | length + 1"), 4, 'filters bind tighter than +');
  t.equal(ev('-3 | abs'), 3, 'a filter applies to the negated operand, as Jinja');
  throwsExpr(t, () => ev('-l | length'), /unsupported operand type for -: list/);
  t.equal(ev('a == 1 if b == "x" else false'), true, 'ternary is lowest');
  t.equal(ev('nope is defined or a == 1'), true);
});

t.test('tests', async (t) => {
  t.equal(ev('n is none'), true);
  t.equal(ev('a is none'), false);
  t.equal(ev('a is not none'), true);
  t.equal(ev('l is truthy'), true);
  t.equal(ev('[] is falsy'), true);
  t.equal(ev('{} is falsy'), true);
  t.equal(ev('b is string'), true);
  t.equal(ev('a is string'), false);
  t.equal(ev('a is number'), true);
  t.equal(ev('1.5 is float'), true);
  t.equal(ev('a is integer'), true);
  t.equal(ev('true is boolean'), true);
  t.equal(ev('true is true'), true);
  t.equal(ev('0 is false'), false);
  t.equal(ev('d is mapping'), true);
  t.equal(ev('l is mapping'), false);
  t.equal(ev('l is iterable'), true);
  t.equal(ev('b is iterable'), true);
  t.equal(ev('a is iterable'), false);
  t.equal(ev('l is sequence'), true);
  t.equal(ev('l is sameas l'), true);
  t.equal(ev('[1] is sameas [1]'), false, 'identity, not equality');
  t.equal(ev('n is sameas none'), true);
  t.equal(ev('a is eq 1'), true);
  t.equal(ev('a is equalto(1)'), true);
  t.equal(ev('a is ne 1'), false);
  t.equal(ev('a is lt 2'), true);
  t.equal(ev('a is gt 2'), false);
  t.equal(ev('a is le 1'), true);
  t.equal(ev('a is ge 1'), true);
  t.equal(ev('2 is in l'), true);
  t.equal(ev('l is contains 3'), true);
  t.equal(ev('4 is even'), true);
  t.equal(ev('-3 is odd'), true);
  t.equal(ev('9 is divisibleby 3'), true);
  t.equal(ev("'etcd-1' is match('etcd')"), true);
  t.equal(ev("'x-etcd' is match('etcd')"), false, 'match anchors at the start');
  t.equal(ev("'x-etcd' is search('etcd')"), true);
  t.equal(ev("'ETCD' is search('(?i)etcd')"), true, 'Python inline flags');
  t.equal(ev("'v3.5.1' is match('v(?P<maj>\\\\d+)')"), true, 'Python named groups');
  t.equal(ev("'abc' is regex('b')"), true);
  t.equal(ev("'abc' is not search('z')"), true);
  throwsExpr(t, () => ev("a is match('x')"), /expects a string, got int/);
  throwsExpr(t, () => ev("b is match('(')"), /invalid regular expression/);
  t.equal(ev('ok is succeeded'), true);
  t.equal(ev('ok is success'), true);
  t.equal(ev('bad is succeeded'), false);
  t.equal(ev('bad is failed'), true);
  t.equal(ev('ok is failed'), false);
  t.equal(ev('ok is changed'), true);
  t.equal(ev('bad is changed'), false);
  t.equal(ev('skip is skipped'), true);
  t.equal(ev('ok is skipped'), false);
  t.equal(ev('ok is not failed'), true);
  throwsExpr(t, () => ev('a is failed'), /expects a registered task result/);
  throwsExpr(t, () => ev('a is frobbed'), /unknown test 'frobbed'/, 6);
  throwsExpr(t, () => ev('a is sameas'), /needs 1 argument/);
});

t.test('filters', async (t) => {
  t.equal(ev('l | length'), 3);
  t.equal(ev('b | length'), 1);
  t.equal(ev('d | count'), 2);
  throwsExpr(t, () => ev('a | length'), /object of type 'int' has no len\(\)/);
  t.equal(ev("'42' | int"), 42);
  t.equal(ev("' -7 ' | int"), -7);
  t.equal(ev("'3.9' | int"), 3);
  t.equal(ev("'abc' | int"), 0);
  t.equal(ev("'abc' | int(5)"), 5);
  t.equal(ev("'ff' | int(0, 16)"), 255);
  t.equal(ev('3.9 | int'), 3);
  t.equal(ev('true | int'), 1);
  t.equal(ev("'2.5' | float"), 2.5);
  t.equal(ev('l | string'), '[1, 2, 3]');
  t.equal(ev("{'a': none, 'b': 'c'} | string"), "{'a': None, 'b': 'c'}");
  t.equal(ev('true | string'), 'True');
  for (const s of ["'yes'", "'on'", "'1'", "'True'", 'true', '1']) t.equal(ev(`${s} | bool`), true, s);
  for (const s of ["'no'", "'off'", "'0'", "'false'", 'false', '0', "''", "'y'", "'t'"]) t.equal(ev(`${s} | bool`), false, s);
  t.equal(ev('none | bool'), null, 'Ansible 2.14 to_bool keeps None');
  t.equal(ev("'AbC' | lower"), 'abc');
  t.equal(ev("'AbC' | upper"), 'ABC');
  t.equal(ev("'abc' | capitalize"), 'Abc');
  t.equal(ev("'  a b \\n' | trim"), 'a b');
  t.equal(ev('a | upper'), '1', 'upper of a number is its str(), as Jinja');
  t.equal(ev("names | join(',')"), 'etcd-1,etcd-2');
  t.equal(ev('l | join'), '123');
  t.same(ev("'ab' | list"), ['a', 'b']);
  t.same(ev('d | list'), ['k', 'dash-key']);
  t.equal(ev('l | first'), 1);
  t.equal(ev('l | last'), 3);
  t.equal(ev('[] | first is defined'), false);
  t.same(ev('[3, 1, 3, 2] | unique | sort'), [3, 1, 2].sort());
  t.same(ev('l | reverse'), [3, 2, 1]);
  t.equal(ev("'abc' | reverse"), 'cba');
  t.equal(ev('l | min'), 1);
  t.equal(ev('l | max'), 3);
  t.equal(ev('l | sum'), 6);
  t.equal(ev('-3 | abs'), 3);
  t.equal(ev("'a-b-c' | replace('-', '_')"), 'a_b_c');
  t.same(ev("'a,b' | split(',')"), ['a', 'b']);
  t.equal(ev("'etcd-12' | regex_search('\\\\d+')"), '12');
  t.equal(ev("'etcd' | regex_search('\\\\d+')"), null);
  t.same(ev("'k=v' | regex_search('(\\\\w)=(?P<val>\\\\w)', '\\\\1', '\\\\g<val>')"), ['k', 'v']);
  t.equal(ev("'ETCD' | regex_search('etcd', ignorecase=true)"), 'ETCD');
  t.equal(ev("'a1b22' | regex_replace('\\\\d+', '#')"), 'a#b#');
  t.equal(ev("'k=v' | regex_replace('(\\\\w)=(\\\\w)', '\\\\2=\\\\1')"), 'v=k');
  t.equal(ev("{'a': [1, 'x']} | to_json"), '{"a": [1, "x"]}', "Python's json.dumps separators");
  t.same(ev('json | from_json'), { a: [1, 2] });
  t.equal(ev('(json | from_json).a[1]'), 2);
  throwsExpr(t, () => ev("'{' | from_json"), /from_json/);
  t.same(ev("{'a': 1} | dict2items"), [{ key: 'a', value: 1 }]);
});

t.test('unknown filter', async (t) => {
  throwsExpr(t, () => ev('l | frob'), /unknown filter 'frob'/, 5);
});

t.test('methods', async (t) => {
  t.equal(ev("b.startswith('x')"), true);
  t.equal(ev("'etcd-1'.endswith(('-1', '-2'))"), true);
  t.same(ev("'a b'.split()"), ['a', 'b']);
  t.equal(ev("' a '.strip()"), 'a');
  t.equal(ev("d.get('missing', 7)"), 7);
  t.same(ev('d.k.keys()'), ['z']);
  t.equal(ev('l.index(2)'), 1);
});

t.test('evalBool', async (t) => {
  t.equal(evalBool(true, vars), true);
  t.equal(evalBool(false, vars), false);
  t.equal(evalBool(null, vars), true, 'no condition');
  t.equal(evalBool('', vars), true, "'' is no condition");
  t.equal(evalBool(0, vars), false);
  t.equal(evalBool(2, vars), true);
  t.equal(evalBool(['a == 1', 'b == "x"'], vars), true, 'a list means all');
  t.equal(evalBool(['a == 1', false], vars), false);
  t.equal(evalBool('{{ a == 1 }}', vars), true, '{{ }} wrapper accepted');
  throwsExpr(t, () => evalBool('{{ a == }}', vars), /unexpected end of expression/, 8);
  t.equal(evalBool('l', vars), true);
  t.equal(evalBool('empty', vars), false);
  t.equal(evalBool('zero', vars), false);
  t.equal(evalBool('d.k', vars), true);
  t.equal(evalBool('ok.stdout == "active"', vars), true);
});

t.test('evalBool: truthiness of strings as Ansible 2.14 (test/fixtures/differential/batch/truthiness.yml)', async (t) => {
  const v = buildScope([{ s_false: 'false', s_False: 'False', s_no: 'no', s_empty: '', s_zero: '0', s_expr: '1 == 2', n0: 0, nul: null, lst: [] }], {}, renderer);
  // a non-empty string is true: only `| bool` reads "false"/"no" as false
  for (const name of ['s_false', 's_False', 's_no', 's_zero', 's_expr']) t.equal(evalBool(name, v), true, `bare ${name}`);
  t.equal(evalBool('s_empty', v), false);
  t.equal(evalBool('not s_false', v), false);
  t.equal(evalBool('s_false | bool', v), false);
  // a templated conditional is rendered, then its text evaluated
  t.equal(evalBool('{{ s_false }}', v), false, '"{{ s }}" with s = "false" is the expression false');
  t.equal(evalBool('{{ s_False }}', v), false, 'literal True/False read back');
  t.equal(evalBool('{{ s_zero }}', v), false);
  t.equal(evalBool('{{ s_expr }}', v), false, 'the text is evaluated');
  t.equal(evalBool('{{ s_empty }}', v), false, "'' after rendering is false");
  t.equal(evalBool('{{ n0 }}', v), false);
  t.equal(evalBool('{{ nul }}', v), false);
  t.equal(evalBool('{{ lst }}', v), false);
  t.equal(evalBool('{{ s_false }} or 1 == 1', v), true);
  throwsExpr(t, () => evalBool('{{ s_no }}', v), /undefined variable 'no'/);
  // literals
  t.equal(evalBool('false', v), false);
  t.equal(evalBool('False', v), false);
  t.equal(evalBool('None', v), false);
  t.equal(evalBool("'false'", v), true);
  t.equal(evalBool("''", v), false);
  throwsExpr(t, () => evalBool('yes', v), /undefined variable 'yes'/);
});

t.test('evalBool: an undefined variable the conditional tests for definedness decides, as Ansible', async (t) => {
  const v = buildScope([{ a: 1 }], {}, renderer);
  t.equal(evalBool('x == 1 or x is not defined', v), true);
  t.equal(evalBool('x == 1 and x is defined', v), false);
  t.equal(evalBool('x.y == 1 or x is undefined', v), true);
  throwsExpr(t, () => evalBool('x == 1 or y is defined', v), /undefined variable 'x'/);
  t.equal(evalBool('a is defined and x is not defined', v), true, 'no error at all: the test itself');
});

t.test('evalBool: text built from host data is never evaluated', async (t) => {
  const facts = dataLayer({ r: { stdout: 'false', rc: 0 } });
  const v = buildScope([{ op: 'false' }, facts], { hostvars: { h1: { x: 'false' } } }, renderer);
  throwsExpr(t, () => evalBool('{{ r.stdout }}', v), /marked as unsafe \(its text comes from the variable 'r'/);
  throwsExpr(t, () => evalBool('{{ r.rc }}', v), /marked as unsafe/, undefined);
  throwsExpr(t, () => evalBool("{{ lookup('env', 'HOME') }} == 1", v), /from a lookup/);
  throwsExpr(t, () => evalBool('{{ hostvars.h1.x }}', v), /from 'hostvars'/);
  t.equal(evalBool('{{ r.rc == 0 }}', v), true, 'a boolean result is no text');
  t.equal(evalBool('r.stdout', v), true, 'a bare use is a value, not text');
  t.equal(evalBool('{{ op }}', v), false, "the operator's own text is evaluated");
  const ext = extendScope(v, { result: { stdout: 'x == x' } });
  throwsExpr(t, () => evalBool('{{ result.stdout }}', ext), /marked as unsafe/);
  throwsExpr(t, () => evalBool('{{ op }}', { op: 'false' }), /marked as unsafe/, undefined);
});

t.test('parse errors carry the column', async (t) => {
  throwsExpr(t, () => parseExpr('(1'), /cannot parse "\(1": expected '\)' but found end of expression at column 3/, 3);
  throwsExpr(t, () => parseExpr('a +'), /unexpected end of expression/, 4);
  throwsExpr(t, () => parseExpr('1 2'), /unexpected '2' at column 3/, 3);
  throwsExpr(t, () => parseExpr("'abc"), /unterminated string/, 1);
  throwsExpr(t, () => parseExpr('a $ b'), /unexpected character '\$'/, 3);
  throwsExpr(t, () => parseExpr(''), /empty expression/);
  throwsExpr(t, () => parseExpr('a |'), /expected a filter name/);
  throwsExpr(t, () => parseExpr('a is'), /expected a test name/);
  throwsExpr(t, () => parseExpr('a.'), /expected an attribute name/);
  throwsExpr(t, () => parseExpr('and'), /unexpected 'and'/);
  t.equal(parseExpr('a == 1'), parseExpr('a == 1'), 'parsed once, cached');
});

t.test('helpers', async (t) => {
  t.equal(truthy({}), false);
  t.equal(truthy({ a: 1 }), true);
  t.equal(truthy(Number.NaN), false);
  t.equal(pyStr(null), 'None');
  t.equal(pyStr("it's"), "it's");
  t.equal(pyStr(["it's"]), '["it\'s"]', "Python's repr picks double quotes");
  t.equal(pyEquals(undefined, null), true);
  t.equal(pyEquals({ a: 1 }, { a: 1, b: 2 }), false);
});

// issue 11 item 6: a catastrophic pattern on a host's output must not freeze the run
t.test('regexes match in linear time: a catastrophic pattern returns', async (t) => {
  // a backtracking engine never returns on this (exponential in the length): tap's timeout would fail the test
  const out = { stdout: 'a'.repeat(20_000) + 'b' };
  t.equal(ev("out.stdout is match('(a+)+$')", { out }), false);
  t.equal(ev("out.stdout is search('(a|aa)*c')", { out }), false);
  t.equal(ev("out.stdout | regex_replace('(a+)+$', 'x')", { out }), out.stdout);
  throwsExpr(t, () => ev("'ab' is search('a(?=b)')"), /look-ahead.*not supported.*linear time/);
  throwsExpr(t, () => ev("'aa' | regex_replace('(a)\\\\1', 'x')"), /backreferences are not supported/);
});

t.test('regex semantics are Python re', async (t) => {
  t.equal(ev("'ba' is match('a')"), false, 'match: anchored at the start even when a later match exists');
  t.equal(ev("'ab\\nx' is search('^x', multiline=true)"), true, 'ignorecase/multiline on tests, as Ansible');
  t.equal(ev("'ab\\nx' is search('^x')"), false);
  t.equal(ev("'ABC' is match('abc', ignorecase=true)"), true);
  t.equal(ev("'x1y22' | regex_replace('(?P<d>\\\\d+)', '<\\\\g<d>>')"), 'x<1>y<22>');
  t.equal(ev("'abc' | regex_replace('', '-')"), '-a-b-c-', 'empty matches as re.sub');
  t.equal(ev("'aaa' | regex_replace('a', 'b', count=2)"), 'bba');
  t.equal(ev("'A\\nB' | regex_search('^b', ignorecase=true, multiline=true)"), 'B');
  t.equal(ev("'x' | regex_search('x\\\\Z')"), 'x', 'Python \\Z is the end of the text');
  throwsExpr(t, () => ev("'a' | regex_replace('(a)', '\\\\2')"), /invalid group reference/);
});

// issue 11 item 14: a huge list or string fails the expression, never the process
t.test('sizes are bounded before anything is built', async (t) => {
  throwsExpr(t, () => ev('[1] * 200000000'), /list of 200000000 items \(limit 1000000\)/);
  throwsExpr(t, () => ev("'ab' * 100000000"), /string of 200000000 characters/);
  throwsExpr(t, () => ev("('x' * 10000000) ~ ('x' * 10000000)"), /string of 20000000 characters/);
  throwsExpr(t, () => ev("('x' * 1000000) | replace('x', 'yyyyyyyyyyyyyyyyyyyy')"), /string of 20000000 characters/);
  throwsExpr(t, () => ev("(['xxxxxxxxxxxxxxxxxxxx'] * 1000000) | join(',')"), /string of 20999999 characters/);
  throwsExpr(t, () => ev('([1] * 600000) + ([1] * 600000)'), /list of 1200000 items/);
  t.equal((ev('[1, 2] * 3') as unknown[]).length, 6, 'ordinary repetition still works');
  t.equal(ev("'ab' * 2"), 'abab');
  t.same(ev('[1] * 0'), []);
  throwsExpr(t, () => ev('('.repeat(20_000) + '1' + ')'.repeat(20_000)), /Maximum call stack/);
});
