// yum_repository: Python configparser's reading and writing (the quirks Ansible's files inherit),
// Ansible's rendering of options, and the module locally through runTask (create, no-op, attributes,
// absent removing the file, a missing reposdir). Byte-identity with ansible-playbook itself is
// proved on lab hosts (test/e2e/edit-modules.test.ts).
import t from 'tap';
import { existsSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import mod, { dump, repoOptions, type YumRepositoryArgs } from '../../lib/modules/yum_repository.js';
import { parseIni, writeIni } from '../../lib/modules/util/py-configparser.js';
import { validateArgs } from '../../lib/modules/args.js';
import { fakeContext, runTask } from '../helpers/fake-ctx.js';

const args = (a: Record<string, unknown>): YumRepositoryArgs => {
  const v = validateArgs(mod, a) as unknown as YumRepositoryArgs;
  mod.validate!(v);
  return v;
};

t.test('configparser: comments dropped, names lower-cased, continuation lines, DEFAULT', async (t) => {
  const doc = parseIni('# head\n[DEFAULT]\nkeepcache: 0\n[b]\nName = B\n  ; a comment\nBaseURL=http://a/\n    http://b/\n\n    http://c/\n\n\n[a]\nx=1\n');
  t.same([...doc.sections.keys()], ['b', 'a']);
  t.same([...doc.sections.get('b')!], [['name', 'B'], ['baseurl', 'http://a/\nhttp://b/\n\nhttp://c/']], 'blank lines inside a value kept, trailing ones dropped');
  t.equal(writeIni(doc), '[DEFAULT]\nkeepcache = 0\n\n[b]\nname = B\nbaseurl = http://a/\n\thttp://b/\n\t\n\thttp://c/\n\n[a]\nx = 1\n\n');
  t.equal(dump(doc), '[a]\nkeepcache = 0\nx = 1\n\n[b]\nbaseurl = http://a/\nhttp://b/\n\nhttp://c/\nkeepcache = 0\nname = B\n\n', "Ansible's dump: sorted, DEFAULT's options in every section");
  t.throws(() => parseIni('x = 1\n'), /File contains no section headers/);
  t.throws(() => parseIni('[a]\nx=1\n[a]\n'), /section 'a' already exists/);
  t.throws(() => parseIni('[a]\nx=1\nX=2\n'), /option 'x' in section 'a' already exists/);
  t.throws(() => parseIni('[a]\njunk\n'), /parsing errors: line\(s\) 2/);
});

t.test("options as Ansible renders them: sorted, booleans 0/1, lists joined, description as name", async (t) => {
  const a = args({ name: 'epel', description: 'EPEL', baseurl: ['http://a/', 'http://b/'], exclude: 'kernel*,systemd*', enabled: false, priority: 10, gpgcheck: 'yes', async: true });
  t.same(repoOptions(a), [
    ['async', '1'],
    ['baseurl', 'http://a/\nhttp://b/'],
    ['enabled', '0'],
    ['exclude', 'kernel* systemd*'],
    ['gpgcheck', '1'],
    ['name', 'EPEL'],
    ['priority', '10'],
  ]);
});

t.test('bad arguments', async (t) => {
  t.throws(() => args({ name: 'x', description: 'X' }), /'baseurl', 'metalink' or 'mirrorlist' is required/);
  t.throws(() => args({ name: 'x', baseurl: 'http://a/' }), /'description' is required/);
  t.throws(() => args({ name: 'x', state: 'absent', params: { a: 1 } }), /removed in Ansible 2.5/);
  t.throws(() => args({ name: 'DEFAULT', state: 'absent' }), /Invalid section name/);
  t.throws(() => args({ name: 'x', description: 'X', baseurl: 'h', ip_resolve: '5' }), /must be one of/);
  t.doesNotThrow(() => args({ name: 'x', state: 'absent' }), 'absent needs neither url nor description');
  t.equal(args({ name: 'x', state: 'absent', validate_certs: true }).sslverify, true, 'aliases');
});

t.test('create, no-op, attributes, another repo in the file, absent, last one removes the file', async (t) => {
  const d = t.testdir({ 'other.repo': '# kept?\n[other]\nname=Other\nbaseurl=http://o/\n' });
  const epel = { name: 'epel', description: 'EPEL', baseurl: 'http://e/', reposdir: d, gpgcheck: false };
  const check = await runTask(mod, fakeContext({ check: true, diff: true }), args(epel));
  t.equal(check.outcome.changed, true);
  t.notOk(existsSync(join(d, 'epel.repo')), 'check mode wrote nothing');
  t.equal(check.outcome.diff?.[0]?.after, '[epel]\nbaseurl = http://e/\ngpgcheck = 0\nname = EPEL\n\n');

  const r1 = await runTask(mod, fakeContext(), args(epel));
  t.equal(r1.outcome.changed, true);
  t.same(r1.outcome.result, { repo: 'epel', state: 'present' });
  t.equal(readFileSync(join(d, 'epel.repo'), 'utf8'), '[epel]\nbaseurl = http://e/\ngpgcheck = 0\nname = EPEL\n\n');
  const r2 = await runTask(mod, fakeContext(), args(epel));
  t.equal(r2.outcome.changed, false, 'rerun: no change');
  const r3 = await runTask(mod, fakeContext(), args({ ...epel, mode: '0600' }));
  t.equal(r3.outcome.changed, true, 'mode alone is a change');
  t.equal(statSync(join(d, 'epel.repo')).mode & 0o777, 0o600);

  // the same options in another layout are no change: Ansible compares the sorted dump
  writeFileSync(join(d, 'other.repo'), '[other]\nbaseurl: http://o/\n# note\nNAME = Other\n');
  const same = await runTask(mod, fakeContext(), args({ name: 'other', description: 'Other', baseurl: 'http://o/', reposdir: d }));
  t.equal(same.outcome.changed, false);
  t.equal(readFileSync(join(d, 'other.repo'), 'utf8'), '[other]\nbaseurl: http://o/\n# note\nNAME = Other\n', 'untouched');

  // a second repository in other.repo: the file is rewritten as configparser writes it
  await runTask(mod, fakeContext(), args({ name: 'second', file: 'other', description: 'Second', mirrorlist: 'http://m/', reposdir: d }));
  t.equal(readFileSync(join(d, 'other.repo'), 'utf8'), '[other]\nbaseurl = http://o/\nname = Other\n\n[second]\nmirrorlist = http://m/\nname = Second\n\n');
  const gone = await runTask(mod, fakeContext({ diff: true }), args({ name: 'other', state: 'absent', reposdir: d }));
  t.equal(gone.outcome.changed, true);
  t.equal(readFileSync(join(d, 'other.repo'), 'utf8'), '[second]\nmirrorlist = http://m/\nname = Second\n\n', '[other] removed, [second] kept');
  t.match(gone.outcome.diff?.[0]?.before, /^\[other\]/);
  const last = await runTask(mod, fakeContext({ diff: true }), args({ name: 'second', file: 'other', state: 'absent', reposdir: d }));
  t.equal(last.outcome.changed, true);
  t.notOk(existsSync(join(d, 'other.repo')), 'the last section gone, the file is removed');
  const again = await runTask(mod, fakeContext(), args({ name: 'second', file: 'other', state: 'absent', reposdir: d }));
  t.equal(again.outcome.changed, false, 'absent again: nothing');
});

t.test('a missing reposdir fails as in Ansible', async (t) => {
  const d = t.testdir({});
  await t.rejects(runTask(mod, fakeContext(), args({ name: 'x', description: 'X', baseurl: 'h', reposdir: join(d, 'nope') })), /Repo directory '.*nope' does not exist\./);
});

t.test('a file configparser refuses fails the task, untouched', async (t) => {
  const d = t.testdir({ 'x.repo': 'baseurl=h\n' });
  await t.rejects(runTask(mod, fakeContext(), args({ name: 'x', description: 'X', baseurl: 'h', reposdir: d })), /x\.repo: File contains no section headers/);
  t.equal(readFileSync(join(d, 'x.repo'), 'utf8'), 'baseurl=h\n');
});
