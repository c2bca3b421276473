import t from 'tap';
import { Masker, containsPrivateKey } from '../../lib/output/mask.js';

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
