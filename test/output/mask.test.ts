import t from 'tap';
import { Masker, containsPrivateKey, TOO_DEEP, processSecrets, registerSecret } from '../../lib/output/mask.js';
import { maskText } from '../../lib/mask-text.js';
import { PyFloat } from '../../lib/engine/jinja/values.js';

const KEY = '-----BEGIN EC PRIVATE KEY-----\nMHcCAQEEIAbcdefSECRETKEYBODY\n-----END EC PRIVATE KEY-----';

t.test('registered secrets become ***, longest first', async (t) => {
  const m = new Masker(new Set(['pass', 'password123']));
  t.equal(m.text('user=root password123 pass'), 'user=root *** ***');
  t.equal(new Masker().text('nothing to hide'), 'nothing to hide');
  t.equal(new Masker(new Set([''])).text('abc'), 'abc', 'an empty secret masks nothing');
});

t.test('PEM private keys are replaced whether registered or not; certificates are not', async (t) => {
  const m = new Masker();
  t.equal(m.text(`before\n${KEY}\nafter`), 'before\n***PRIVATE KEY***\nafter');
  t.equal(m.text('-----BEGIN PRIVATE KEY-----\ntruncated body'), '***PRIVATE KEY***', 'an unterminated block is masked to the end');
  const cert = '-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----';
  t.equal(m.text(cert), cert);
  t.ok(containsPrivateKey(KEY));
  t.ok(containsPrivateKey(KEY), 'no lastIndex state between calls');
  t.notOk(containsPrivateKey(cert));
});

t.test('value() masks deeply without touching the input', async (t) => {
  const m = new Masker(new Set(['s3cret']));
  const input = { a: 's3cret', list: ['x', { b: 'has s3cret inside' }], n: 1, nil: null, buf: Buffer.from('s3cret') };
  const out = m.value(input);
  t.same(out, { a: '***', list: ['x', { b: 'has *** inside' }], n: 1, nil: null, buf: '<6 bytes>' });
  t.equal(input.a, 's3cret');
});

t.test('a value that prints as JSON otherwise (a boxed float: stat times) is shown as that, masked', async (t) => {
  const m = new Masker(new Set(['s3cret']));
  const out = m.value({ mtime: new PyFloat(1577836800), when: new Date(0), odd: { toJSON: () => 'has s3cret' } });
  t.same(out, { mtime: 1577836800, when: '1970-01-01T00:00:00.000Z', odd: 'has ***' });
});

// issue 11 item 10: a value nested deeper than the walk goes is replaced, never returned unmasked
t.test('values nested deeper than 50 levels are replaced, not shown', async (t) => {
  const m = new Masker(new Set(['deep-secret-1']));
  let v: unknown = { pw: 'deep-secret-1' };
  for (let i = 0; i < 60; i++) v = i % 2 ? [v] : { next: v };
  const out = JSON.stringify(m.value(v));
  t.notOk(out.includes('deep-secret-1'), 'the secret is not in the output');
  t.ok(out.includes(TOO_DEEP), 'the deep part is replaced by a marker');
  let shallow: unknown = 'deep-secret-1 x';
  for (let i = 0; i < 50; i++) shallow = [shallow];
  t.ok(JSON.stringify(m.value(shallow)).includes('*** x'), 'at the limit it is still masked, not replaced');
});

t.test('process-wide secrets (secret-looking variables) are masked by every Masker', async (t) => {
  registerSecret('  proc-wide-pw\n  second-line-pw  ');
  t.ok(processSecrets.has('proc-wide-pw'), 'each line, trimmed');
  registerSecret('ab');
  t.notOk(processSecrets.has('ab'), 'too short to mask');
  t.equal(new Masker().text('x proc-wide-pw y second-line-pw'), 'x *** y ***', 'a Masker made without the run set');
});

t.test('maskText: the one replacement the Masker and the executors\' traces share', async (t) => {
  t.equal(maskText('pw=abcdef; part=abc', ['abc', 'abcdef']), 'pw=***; part=***', 'longest first: no tail of a longer secret left');
  t.equal(maskText('x', undefined), 'x');
  t.equal(maskText('x', ['']), 'x', 'an empty secret masks nothing');
});
