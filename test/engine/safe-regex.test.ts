import t from 'tap';
import { compileRegex, RegexError, MAX_REGEX_INPUT, MAX_PATTERN } from '../../lib/engine/safe-regex.js';

t.test('search, match, fullmatch as Python re', async (t) => {
  const re = compileRegex('(?P<k>\\w+)=(\\d+)?');
  const m = re.search('  a=1 b=');
  t.match(m, { start: 2, end: 5, text: 'a=1', groups: ['a=1', 'a', '1'], named: { k: 'a' } });
  t.same(re.search('  a=1 b=', 5)?.groups, ['b=', 'b', null], 'a group that did not take part is null');
  t.equal(re.match('  a=1'), null, 'match is anchored at the start');
  t.equal(re.match('a=1 ')?.text, 'a=1');
  t.equal(re.fullmatch('a=1 '), null);
  t.equal(re.fullmatch('a=1')?.text, 'a=1');
  t.equal(re.groupCount, 2);
  t.same(re.groupNames, ['k']);
  t.equal(re.search('x', 10), null, 'a start past the end finds nothing');
  t.equal(compileRegex('(?i)etcd').search('ETCD')?.text, 'ETCD', 'inline flags');
  t.equal(compileRegex('^b', { multiline: true }).search('a\nb')?.start, 2);
  t.equal(compileRegex('a.b', { dotall: true }).search('a\nb')?.text, 'a\nb');
  t.equal(compileRegex('A', { ignorecase: true }).search('a')?.text, 'a');
  t.equal(compileRegex('é(b)').search('xébé😀b')?.start, 1, 'indices are JavaScript string indices');
  t.equal(compileRegex('😀(b)').search('xébé😀b')?.end, 7);
  t.equal(compileRegex('\\\\1').search('a\\1')?.text, '\\1', 'an escaped backslash before a digit is no backreference');
  t.equal(compileRegex('a\\Z').search('aa')?.start, 1, 'Python \\Z');
  t.equal(compileRegex('x'), compileRegex('x'), 'compiled once (cache)');
});

t.test('findAll and replace', async (t) => {
  t.same(compileRegex('\\d+').findAll('a1b22c333').map((m) => m.text), ['1', '22', '333']);
  t.same(compileRegex('x*').findAll('ab').map((m) => [m.start, m.end]), [[0, 0], [1, 1], [2, 2]], 'empty matches advance');
  const kv = compileRegex('(\\w)=(?P<v>\\w)');
  t.equal(kv.replace('a=1 b=2', '\\2:\\g<1>/\\g<v>'), '1:a/1 2:b/2');
  t.equal(kv.replace('a=1 b=2', 'x', 1), 'x b=2', 'count');
  t.equal(kv.replace('a=1', '[\\n\\t\\\\\\q]'), '[\n\t\\\\q]', 'escapes in the template; unknown ones stay');
  t.equal(compileRegex('(a)|b').replace('b', '<\\1>'), '<>', 'a group that did not match is empty');
  t.equal(compileRegex('').replace('ab', '-'), '-a-b-');
  t.throws(() => kv.replace('a=1', '\\3'), new RegexError('invalid group reference \\3 in the replacement (the pattern has 2 group(s))'));
  t.throws(() => kv.replace('a=1', '\\g<nope>'), /unknown group name 'nope'/);
});

t.test('linear time: catastrophic patterns return', async (t) => {
  // exponential for a backtracking engine (V8 never returns): tap's timeout would fail the test
  const s = 'a'.repeat(20_000) + 'b';
  for (const p of ['(a+)+$', '(a|aa)+$', '(a*)*c', '(?:a+){2,}$']) {
    const re = compileRegex(p);
    t.equal(re.search(s), null, p);
    t.equal(re.replace(s, 'x'), s);
  }
});

t.test('what RE2 cannot do is refused clearly; limits', async (t) => {
  t.throws(() => compileRegex('a(?=b)'), /look-ahead\/look-behind assertions are not supported/);
  t.throws(() => compileRegex('(?<!a)b'), /look-ahead/);
  t.throws(() => compileRegex('(a)\\1'), /backreferences/);
  t.throws(() => compileRegex('(?P<x>a)(?P=x)'), /backreferences/);
  t.throws(() => compileRegex('(?x) a b'), /verbose mode/);
  t.throws(() => compileRegex('('), /missing closing \)/);
  try {
    compileRegex('[');
  } catch (e) {
    t.ok(e instanceof RegexError, 'a RegexError');
  }
  t.throws(() => compileRegex('x'.repeat(MAX_PATTERN + 1)), /the pattern is \d+ characters long/);
  const re = compileRegex('x');
  const huge = 'a'.repeat(MAX_REGEX_INPUT + 1);
  for (const run of [() => re.search(huge), () => re.findAll(huge), () => re.replace(huge, 'y'), () => re.match(huge)]) {
    t.throws(run, /the text to match is \d+ characters long/);
  }
  t.throws(() => compileRegex('a').replace('a'.repeat(1_000_000), 'b'.repeat(20)), /longer than/);
});
