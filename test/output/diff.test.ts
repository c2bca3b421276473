import t from 'tap';
import { renderDiff } from '../../lib/output/diff.js';
import { Masker } from '../../lib/output/mask.js';

const m = new Masker(new Set(['hunter2']));

t.test('unified diff with before/after headers', async (t) => {
  const s = renderDiff([{ path: '/etc/app.conf', before: 'a\nb\nc\n', after: 'a\nB\nc\n' }], m, false);
  t.equal(s, ['--- before: /etc/app.conf', '+++ after: /etc/app.conf', '@@ -1,3 +1,3 @@', ' a', '-b', '+B', ' c'].join('\n'));
});

t.test('attribute changes, new files, summaries', async (t) => {
  const attrs = renderDiff([{ path: '/x', attrs: { mode: { before: '0644', after: '0600' }, owner: { before: 'root', after: 'root' } } }], m, false);
  t.equal(attrs, '--- before: /x\n+++ after: /x\n-mode: 0644\n+mode: 0600');
  const created = renderDiff([{ path: '/n', after: 'new\n' }], m, false);
  t.match(created, /@@ -0,0 \+1,1 @@\n\+new$/);
  const big = renderDiff([{ path: '/big', before: '', after: 'x'.repeat(100 * 1024 + 1) }], m, false);
  t.match(big, /@@ file larger than 100 KiB, diff skipped @@/);
  const bin = renderDiff([{ path: '/bin', before: 'a\u0000b', after: 'c' }], m, false);
  t.match(bin, /@@ binary file, diff skipped @@/);
  const given = renderDiff([{ path: '/s', summary: 'certificate renewed', before: 'a', after: 'b' }], m, false);
  t.equal(given, '--- before: /s\n+++ after: /s\n@@ certificate renewed @@');
});

t.test('secrets and private keys never appear', async (t) => {
  const key = '-----BEGIN RSA PRIVATE KEY-----\nKEYBODY\n-----END RSA PRIVATE KEY-----\n';
  const k = renderDiff([{ path: '/k.pem', before: '', after: key }], m, false);
  t.match(k, /private key \(content not shown\)/);
  t.notMatch(k, /KEYBODY/);
  const p = renderDiff([{ path: '/p', before: 'pw=old\n', after: 'pw=hunter2\n' }], m, false);
  t.match(p, /^\+pw=\*\*\*$/m);
  t.notMatch(p, /hunter2/);
});

t.test('colour only when asked', async (t) => {
  const plain = renderDiff([{ path: '/c', before: 'a\n', after: 'b\n' }], m, false);
  t.notMatch(plain, /\x1b\[/);
  const colored = renderDiff([{ path: '/c', before: 'a\n', after: 'b\n' }], m, true);
  t.equal(colored.replace(/\x1b\[[0-9;]*m/g, ''), plain);
});
