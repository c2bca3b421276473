// apt_repository: Ansible's source-line rules (parsing, the file name it makes, enabling a
// commented-out copy, removal, normalisation) and the plan on a recorded probe. Live runs and the
// differential against ansible-playbook are in test/e2e/packages.test.ts.
import t from 'tap';
import mod, { applyScript, parseSourceFiles, type AptRepositoryArgs } from '../../lib/modules/apt_repository.js';
import { editSources, parseSourceLine, suggestFilename } from '../../lib/modules/util/apt-sources.js';
import { validateArgs } from '../../lib/modules/args.js';
import { fakeContext, runTask } from '../helpers/fake-ctx.js';
import { ScriptedConnection } from '../helpers/scripted-conn.js';

const args = (a: Record<string, unknown>): AptRepositoryArgs => validateArgs(mod, a) as unknown as AptRepositoryArgs;
const hex = (s: string): string => Buffer.from(s).toString('hex');
const probe = (files: Record<string, string>): string => Object.entries(files).map(([f, text]) => `@@file 644 ${hex(f)}\n${hex(text)}\n`).join('') + '@@end\n';

t.test('source lines as Ansible parses and names them', async (t) => {
  t.same(parseSourceLine('#deb   http://x/debian  bookworm main  # mirror'), { valid: true, enabled: false, source: 'deb http://x/debian bookworm main', comment: 'mirror' });
  t.same(parseSourceLine('# just a comment'), { valid: false, enabled: false, source: 'just a comment', comment: '' });
  t.equal(suggestFilename('deb [trusted=yes] file:/srv/pkg-test/repo ./'), 'file_srv_pkg_test_repo.list');
  t.equal(suggestFilename('deb https://user:pw@deb.example.com/debian bookworm main'), 'deb_example_com_debian.list', 'scheme, options and user dropped');
  t.equal(suggestFilename('deb http://x/ y', 'mine'), 'mine.list');
});

t.test('enable, append, remove, normalise', async (t) => {
  const files = new Map([
    ['/etc/apt/sources.list', 'deb http://deb.debian.org/debian bookworm main\n'],
    ['/etc/apt/sources.list.d/a.list', '#deb  [trusted=yes] file:/srv/r ./\n#   note\n\n'],
  ]);
  const en = editSources(files, 'present', 'deb [trusted=yes] file:/srv/r ./', '/etc/apt/sources.list.d/new.list');
  t.same([...en.after], [
    ['/etc/apt/sources.list', 'deb http://deb.debian.org/debian bookworm main\n'],
    ['/etc/apt/sources.list.d/a.list', 'deb [trusted=yes] file:/srv/r ./\n# note\n\n'],
  ], 'a commented-out copy is enabled in place; the file normalised');
  t.equal(en.appendedTo, undefined);
  const add = editSources(files, 'present', 'deb file:/srv/other ./', '/etc/apt/sources.list.d/other.list');
  t.equal(add.after.get('/etc/apt/sources.list.d/other.list'), 'deb file:/srv/other ./\n');
  t.equal(add.appendedTo, '/etc/apt/sources.list.d/other.list');
  const rm = editSources(new Map([['/etc/apt/sources.list.d/x.list', 'deb file:/srv/x ./\n']]), 'absent', 'deb file:/srv/x ./', '');
  t.same([...rm.after], [], 'a file left empty is deleted');
  const keep = editSources(files, 'absent', 'deb [trusted=yes] file:/srv/r ./', '');
  t.equal(keep.after.get('/etc/apt/sources.list.d/a.list'), '# deb [trusted=yes] file:/srv/r ./\n# note\n\n', 'a disabled copy is not removed');
});

t.test('plan: one read-only request; the change and its revert in one script', async (t) => {
  const reply = probe({ '/etc/apt/sources.list': 'deb http://deb.debian.org/debian bookworm main\n', '/etc/apt/sources.list.d/x.list': 'deb   file:/srv/x ./\n' });
  t.same(parseSourceFiles(reply).get('/etc/apt/sources.list.d/x.list'), 'deb   file:/srv/x ./\n');
  const conn = new ScriptedConnection([{ label: 'apt_repository:probe', reply: { stdout: reply } }]);
  const noop = await runTask(mod, { ...fakeContext(), conn, control: conn }, args({ repo: 'deb file:/srv/x ./' }));
  t.same([noop.outcome.changed, conn.stats.requests, conn.sent[0]!.readOnly], [false, 1, true], 'enabled already (whitespace aside)');
  const applied: string[] = [];
  const c2 = new ScriptedConnection([
    { label: 'apt_repository:probe', reply: { stdout: reply } },
    { label: 'apt_repository:write', reply: (s) => (applied.push(s), {}) },
  ]);
  const r = await runTask(mod, { ...fakeContext({ diff: true }), conn: c2, control: c2 }, args({ repo: 'deb [trusted=yes] file:/srv/y ./', filename: 'y', mode: '0600' }));
  t.equal(r.outcome.msg, 'add deb [trusted=yes] file:/srv/y ./ to /etc/apt/sources.list.d/y.list, update the cache');
  t.same(r.outcome.diff?.map((d) => [d.path, d.before, d.after]), [['/etc/apt/sources.list.d/y.list', '', 'deb [trusted=yes] file:/srv/y ./\n']]);
  t.match(applied[0], /printf '%s' 'deb \[trusted=yes\] file:\/srv\/y \.\/\n' \| \( p=\/etc\/apt\/sources\.list\.d\/y\.list/);
  t.match(applied[0], /chmod 0600/, 'mode for the file it was appended to');
  t.match(applied[0], /printf '%s' 'deb   file:\/srv\/x \.\/\n'|printf '%s' 'deb file:\/srv\/x \.\/\n'/, 'the other file written back normalised');
  t.match(applied[0], /if ! out=\$\(LC_ALL=C apt-get -q update 2>&1 <\/dev\/null\); then\n[\s\S]*\n  rm -f -- \/etc\/apt\/sources\.list\.d\/y\.list\n  printf 'Failed to update apt cache/, 'a failed update deletes the new file again');
  t.match(applyScript(args({ repo: 'deb file:/srv/x ./', update_cache: false }), { writes: [['/a', null]], old: [['/a', 'x']] }), /^rm -f -- \/a \|\| exit 5\n$/, 'update_cache: false, no update');
});

t.test('bad arguments', async (t) => {
  for (const [a, re] of [
    [{ repo: 'ppa:nginx/stable' }, /PPA repositories are not supported/],
    [{ repo: 'http://x/ bookworm main' }, /Invalid repository string/],
    [{ repo: '# deb http://x/ y' }, /Invalid repository string/],
    [{ repo: 'deb file:/x ./', filename: '../etc/passwd' }, /plain file name/],
  ] as const) t.throws(() => mod.validate!(args(a)), re);
});
