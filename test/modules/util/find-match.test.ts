import t from 'tap';
import { fnmatch, parseAge, parseSize } from '../../../lib/modules/util/find-match.js';

t.test("fnmatch: Python's globs on a basename", async (t) => {
  t.ok(fnmatch('app1.log', '*.log'));
  t.ok(fnmatch('.hidden', '*'), '"*" matches a leading dot (fnmatch, not the shell)');
  t.notOk(fnmatch('app1.log', '*.LOG'), 'case-sensitive');
  t.ok(fnmatch('a1', 'a?'));
  t.notOk(fnmatch('a12', 'a?'));
  t.ok(fnmatch('b', '[abc]'));
  t.ok(fnmatch('d', '[!abc]'));
  t.notOk(fnmatch('a', '[!abc]'));
  t.ok(fnmatch('[x', '[x'), 'an unclosed [ is literal');
  t.ok(fnmatch('a.b(c)+', 'a.b(c)+'), 'regex characters are literal');
  t.notOk(fnmatch('axb', 'a.b'));
});

t.test('age and size amounts', async (t) => {
  t.equal(parseAge('2d'), 2 * 86400);
  t.equal(parseAge('-1W'), -604800);
  t.equal(parseAge('30'), 30);
  t.equal(parseAge('2x'), undefined);
  t.equal(parseSize('10k'), 10240);
  t.equal(parseSize('-1m'), -(1 << 20));
  t.equal(parseSize('5'), 5);
  t.equal(parseSize('1.5m'), undefined);
});
