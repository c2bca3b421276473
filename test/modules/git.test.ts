// git locally, against bare repositories made in the test directory with this machine's git: clone at
// a branch, a tag, a SHA; an update after a new commit (check mode predicts it, one read-only request
// on a no-op); local modifications with and without force; depth 1; bare; a URL change; a password
// URL (never in a script, on stdin only); archive; bad arguments. ansible-playbook side by side:
// test/e2e/everyday-modules.test.ts ("git").
import t from 'tap';
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import mod, { splitCredentials, sshOptions, type GitArgs } from '../../lib/modules/git.js';
import { validateArgs } from '../../lib/modules/args.js';
import { fakeContext, runTask } from '../helpers/fake-ctx.js';
import { RecordingConnection } from '../helpers/recording.js';
import { LocalConnection } from '../../lib/executor/local.js';

const GIT_ENV = { ...process.env, GIT_AUTHOR_NAME: 't', GIT_AUTHOR_EMAIL: 't@example', GIT_COMMITTER_NAME: 't', GIT_COMMITTER_EMAIL: 't@example', GIT_CONFIG_NOSYSTEM: '1', HOME: process.env.HOME };

function git(cwd: string, ...argv: string[]): string {
  const r = spawnSync('git', argv, { cwd, env: GIT_ENV, encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`git ${argv.join(' ')}: ${r.stderr}`);
  return r.stdout.trim();
}

/** A work repo (main: two commits, tag v1 on the first, annotated a1 on the second, branch dev) and its bare clone. */
function fixture(d: string): { work: string; bare: string; c1: string; c2: string; dev: string } {
  const work = join(d, 'work');
  git(d, 'init', '-q', '-b', 'main', work);
  writeFileSync(join(work, 'f.txt'), 'one\n');
  git(work, 'add', 'f.txt');
  git(work, 'commit', '-q', '-m', 'one');
  const c1 = git(work, 'rev-parse', 'HEAD');
  git(work, 'tag', 'v1');
  writeFileSync(join(work, 'f.txt'), 'two\n');
  git(work, 'commit', '-q', '-am', 'two');
  const c2 = git(work, 'rev-parse', 'HEAD');
  git(work, 'tag', '-a', 'a1', '-m', 'annotated');
  git(work, 'checkout', '-q', '-b', 'dev');
  writeFileSync(join(work, 'g.txt'), 'dev\n');
  git(work, 'add', 'g.txt');
  git(work, 'commit', '-q', '-m', 'dev');
  const dev = git(work, 'rev-parse', 'HEAD');
  git(work, 'checkout', '-q', 'main');
  const bare = join(d, 'remote.git');
  git(d, 'clone', '-q', '--bare', work, bare);
  return { work, bare, c1, c2, dev };
}

const args = (a: Record<string, unknown>): GitArgs => {
  const v = validateArgs(mod, a) as unknown as GitArgs;
  mod.validate!(v);
  return v;
};

async function run(a: Record<string, unknown>, opts: { check?: boolean; diff?: boolean } = {}) {
  const conn = new RecordingConnection(new LocalConnection());
  const ctx = { ...fakeContext(opts), conn, control: conn };
  const r = await runTask(mod, ctx, args(a));
  return { r, conn, ctx, res: r.outcome.result as Record<string, unknown> };
}

t.test('bad arguments, as Ansible words them', async (t) => {
  t.throws(() => args({ repo: '/r' }), /the destination directory must be specified unless clone=no/);
  t.doesNotThrow(() => args({ repo: '/r', clone: false }));
  t.throws(() => args({ repo: '/r', dest: '/d', bare: true, separate_git_dir: '/g' }), /mutually exclusive: separate_git_dir\|bare/);
  t.throws(() => args({ repo: '/r', dest: '/d', accept_hostkey: true, accept_newhostkey: true }), /mutually exclusive/);
  t.throws(() => args({ repo: '/r', dest: '/d', archive_prefix: 'x/' }), /required by 'archive_prefix': archive/);
  t.throws(() => args({ repo: '/r', dest: '/d', umask: 22 }), /umask must be defined as a quoted octal integer/);
  t.throws(() => args({ repo: '/r', dest: '/d', umask: '08' }), /umask must be an octal integer/);
  t.throws(() => args({ repo: '/r', dest: '/d', archive: '/x.rar' }), /Unable to get file extension/);
  t.throws(() => args({ repo: '/r', dest: '/d', version: '--upload-pack=touch /tmp/x' }), /must not start with "-"/);
});

t.test('ssh options and credentials, as Ansible builds them', async (t) => {
  t.equal(sshOptions(args({ repo: 'r', dest: '/d' })), '-o BatchMode=yes');
  t.equal(sshOptions(args({ repo: 'r', dest: '/d', accept_hostkey: true, key_file: '/k y' })), "-o StrictHostKeyChecking=no -o BatchMode=yes  -i '/k y' -o IdentitiesOnly=yes");
  t.equal(sshOptions(args({ repo: 'r', dest: '/d', accept_newhostkey: true, ssh_opts: '-p 2222' })), '-p 2222 -o StrictHostKeyChecking=accept-new -o BatchMode=yes');
  t.same(splitCredentials('https://u:p%40ss@h.example/r.git'), { url: 'https://u@h.example/r.git', password: 'p@ss' });
  t.same(splitCredentials('https://u@h.example/r.git'), { url: 'https://u@h.example/r.git' });
});

t.test('clone at a branch, a tag, an annotated tag, a SHA, HEAD', async (t) => {
  const d = t.testdir({});
  const f = fixture(d);
  const cases: [string, string, string][] = [['dev', f.dev, 'dev'], ['v1', f.c1, 'HEAD'], ['a1', f.c2, 'HEAD'], [f.c1, f.c1, 'HEAD'], ['HEAD', f.c2, 'main']];
  for (const [version, sha, branch] of cases) {
    const dest = join(d, `co-${version.slice(0, 8)}`);
    const check = await run({ repo: f.bare, dest, version }, { check: true });
    t.match(check.r.outcome, { changed: true }, `${version}: check mode predicts the clone`);
    t.same(check.res, { before: null, after: sha }, `${version}: check mode's after is the remote commit`);
    t.notOk(existsSync(dest), 'check mode cloned nothing');
    const { r, res } = await run({ repo: f.bare, dest, version });
    t.equal(r.outcome.changed, true);
    t.same(res, { before: null, after: sha }, `${version}: before/after`);
    t.equal(git(dest, 'rev-parse', 'HEAD'), sha);
    t.equal(git(dest, 'rev-parse', '--abbrev-ref', 'HEAD'), branch, `${version}: the branch tracked, or detached`);
    const again = await run({ repo: f.bare, dest, version });
    t.equal(again.r.outcome.changed, false, `${version}: rerun changed nothing`);
    t.same(again.res, { before: sha, after: sha, remote_url_changed: false });
    t.equal(again.conn.scripts.length, 1, `${version}: a no-op is one request`);
    t.equal(again.conn.labels[0], 'git:read');
  }
});

t.test('an update after a new commit: check predicts, --diff shows it, the run fetches it', async (t) => {
  const d = t.testdir({});
  const f = fixture(d);
  const dest = join(d, 'co');
  await run({ repo: f.bare, dest, version: 'main' });
  writeFileSync(join(f.work, 'f.txt'), 'three\n');
  git(f.work, 'commit', '-q', '-am', 'three');
  const c3 = git(f.work, 'rev-parse', 'HEAD');
  git(f.work, 'push', '-q', f.bare, 'main');
  const check = await run({ repo: f.bare, dest, version: 'main' }, { check: true, diff: true });
  t.same(check.res, { before: f.c2, after: c3, remote_url_changed: false }, 'check mode: the remote head, not fetched');
  t.equal(git(dest, 'rev-parse', 'HEAD'), f.c2, 'check mode left the checkout');
  t.match(check.r.outcome.diff?.[0]?.summary, new RegExp(`${f.c2} → ${c3}`));
  const { r, res } = await run({ repo: f.bare, dest, version: 'main' }, { diff: true });
  t.equal(r.outcome.changed, true);
  t.same(res, { before: f.c2, after: c3, remote_url_changed: false });
  t.match(r.outcome.diff?.[0]?.summary, /-two\n\+three/, "--diff: git diff BEFORE AFTER, as Ansible's");
  t.equal(readFileSync(join(dest, 'f.txt'), 'utf8'), 'three\n');
});

t.test('local modifications: Ansible\'s failure without force, a reset with it', async (t) => {
  const d = t.testdir({});
  const f = fixture(d);
  const dest = join(d, 'co');
  await run({ repo: f.bare, dest });
  writeFileSync(join(dest, 'f.txt'), 'edited\n');
  writeFileSync(join(dest, 'untracked'), 'x\n');
  await t.rejects(run({ repo: f.bare, dest }), { message: `Local modifications exist in the destination: ${dest} (force=no).` });
  await t.rejects(run({ repo: f.bare, dest }, { check: true }), { message: /Local modifications exist/ }, 'in check mode too, as Ansible');
  const { r, res } = await run({ repo: f.bare, dest, force: true });
  t.equal(r.outcome.changed, true);
  t.match(res, { before: f.c2, after: f.c2, msg: `Local modifications exist in the destination: ${dest}` });
  t.equal(readFileSync(join(dest, 'f.txt'), 'utf8'), 'two\n', 'reset');
  t.ok(existsSync(join(dest, 'untracked')), 'untracked files are not modifications');
  t.equal((await run({ repo: f.bare, dest, force: true })).r.outcome.changed, false);
});

t.test('depth 1, bare, a remote URL change, clone=no, update=no, archive', async (t) => {
  const d = t.testdir({});
  const f = fixture(d);
  const shallow = join(d, 'shallow');
  await run({ repo: f.bare, dest: shallow, depth: 1 });
  t.equal(git(shallow, 'rev-list', '--count', 'HEAD'), '1', 'depth 1: one commit');
  t.equal((await run({ repo: f.bare, dest: shallow, depth: 1 })).r.outcome.changed, false);
  const warn = await run({ repo: f.bare, dest: join(d, 'sha-shallow'), depth: 1, version: f.c1 });
  t.match(warn.res.warnings, [/Ignoring depth argument/], "Ansible's warning for a SHA with depth");

  const bare = join(d, 'mirror.git');
  const b = await run({ repo: f.bare, dest: bare, bare: true });
  t.same(b.res, { before: null, after: f.c2 });
  t.equal(git(bare, 'rev-parse', '--is-bare-repository'), 'true');
  t.equal((await run({ repo: f.bare, dest: bare, bare: true })).r.outcome.changed, false, 'bare: rerun ok');

  const dest = join(d, 'co');
  await run({ repo: f.bare, dest });
  const other = join(d, 'other.git');
  git(d, 'clone', '-q', '--bare', f.bare, other);
  const check = await run({ repo: other, dest }, { check: true });
  t.match(check.res, { remote_url_changed: true, before: f.c2, after: f.c2 });
  t.equal(check.r.outcome.changed, true);
  const moved = await run({ repo: other, dest });
  t.match(moved.res, { remote_url_changed: true, before: f.c2, after: f.c2 });
  t.equal(git(dest, 'remote', 'get-url', 'origin'), `file://${other}`);
  t.equal((await run({ repo: other, dest })).r.outcome.changed, false);

  const info = await run({ repo: f.bare, clone: false });
  t.match(info.res, { before: null, after: f.c2 });
  t.equal((await run({ repo: f.bare, dest, update: false })).r.outcome.changed, false, 'update=no: a repository is left alone');

  const ar = join(d, 'app.tar');
  const a1 = await run({ repo: other, dest, archive: ar, archive_prefix: 'app/' });
  t.equal(a1.r.outcome.changed, true, 'a new archive');
  t.match(spawnSync('tar', ['-tf', ar], { encoding: 'utf8' }).stdout, /^app\/f\.txt$/m);
  t.equal((await run({ repo: other, dest, archive: ar, archive_prefix: 'app/' })).r.outcome.changed, false, 'the same archive: unchanged, as Ansible');
});

t.test('a password in the URL: masked, on stdin, never in a script, given to git by askpass', async (t) => {
  const d = t.testdir({});
  // an http server on loopback that asks for credentials and records what git sends
  const seen: string[] = [];
  const server = createServer((req, res) => {
    const auth = req.headers.authorization ? Buffer.from(req.headers.authorization.replace(/^Basic /, ''), 'base64').toString('utf8') : '';
    // curl first sends the URL's user with an empty password: asked again, git asks GIT_ASKPASS
    const full = /^[^:]+:.+/.test(auth);
    if (full) seen.push(auth);
    res.writeHead(full ? 403 : 401, full ? {} : { 'WWW-Authenticate': 'Basic realm="r"' });
    res.end();
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  t.teardown(() => server.close());
  const port = (server.address() as AddressInfo).port;
  const url = `http://bob:s3cr3t-pw@127.0.0.1:${port}/r.git`;
  const conn = new RecordingConnection(new LocalConnection());
  const ctx = { ...fakeContext({}), conn, control: conn };
  await t.rejects(runTask(mod, ctx, args({ repo: url, dest: join(d, 'x') })), 'the server refuses');
  t.same(seen, ['bob:s3cr3t-pw'], 'git got the password from the askpass helper');
  t.ok(conn.scripts.length >= 1);
  for (const s of conn.scripts) t.notMatch(s, /s3cr3t-pw/, 'never in a script');
  t.match(conn.scripts[0], new RegExp(`bob@127\\.0\\.0\\.1:${port}`), 'git gets the URL without the password');
  t.equal(conn.stdins[0], 's3cr3t-pw', 'the password on stdin');
  t.ok(ctx.secrets.includes('s3cr3t-pw') && ctx.secrets.includes(url), 'masked');
});

t.test('submodules, separate_git_dir, single_branch, refspec, umask, verify_commit, executable', async (t) => {
  const d = t.testdir({});
  const f = fixture(d);
  // a superproject with the fixture as a submodule
  const sup = join(d, 'sup');
  git(d, 'init', '-q', '-b', 'main', sup);
  git(sup, '-c', 'protocol.file.allow=always', 'submodule', 'add', '-q', f.bare, 'lib');
  git(sup, 'commit', '-q', '-m', 'with submodule');
  const supBare = join(d, 'sup.git');
  git(d, 'clone', '-q', '--bare', sup, supBare);
  const env = process.env.GIT_CONFIG_PARAMETERS;
  // git >= 2.38.1 refuses file:// submodules by default (CVE-2022-39253): allow them for this test
  process.env.GIT_CONFIG_PARAMETERS = "'protocol.file.allow'='always'";
  t.teardown(() => (env === undefined ? delete process.env.GIT_CONFIG_PARAMETERS : (process.env.GIT_CONFIG_PARAMETERS = env)));
  const co = join(d, 'sup-co');
  await run({ repo: supBare, dest: co });
  t.equal(readFileSync(join(co, 'lib', 'f.txt'), 'utf8'), 'two\n', 'the submodule is checked out');
  t.equal((await run({ repo: supBare, dest: co })).r.outcome.changed, false, 'rerun: ok');
  const noRec = join(d, 'sup-norec');
  await run({ repo: supBare, dest: noRec, recursive: false });
  t.notOk(existsSync(join(noRec, 'lib', 'f.txt')), 'recursive=no: not initialised');
  const rec = await run({ repo: supBare, dest: noRec });
  t.match(rec.res, { submodules_changed: true }, 'recursive later: submodules_changed, as Ansible');
  t.equal(rec.r.outcome.changed, true);

  const sep = join(d, 'sep-co');
  const gd = join(d, 'sep.git');
  await run({ repo: f.bare, dest: sep, separate_git_dir: gd });
  t.equal(readFileSync(join(sep, '.git'), 'utf8').trim(), `gitdir: ${gd}`);
  t.equal((await run({ repo: f.bare, dest: sep, separate_git_dir: gd })).r.outcome.changed, false, 'separate_git_dir: rerun ok');
  const gd2 = join(d, 'sep2.git');
  const moved = await run({ repo: f.bare, dest: sep, separate_git_dir: gd2 });
  t.match(moved.res, { git_dir_before: gd, git_dir_now: gd2 });
  t.equal(git(sep, 'rev-parse', 'HEAD'), f.c2, 'the moved git dir works');

  const single = join(d, 'single');
  await run({ repo: f.bare, dest: single, version: 'dev', single_branch: true });
  t.equal(git(single, 'branch', '-r').split('\n').map((l) => l.trim()).join(','), 'origin/dev', 'single_branch: only dev');

  git(f.work, 'update-ref', 'refs/pull/1/head', f.c1);
  git(f.work, 'push', '-q', f.bare, 'refs/pull/1/head');
  const rs = join(d, 'refspec');
  await run({ repo: f.bare, dest: rs, refspec: 'refs/pull/1/head:refs/remotes/origin/pr1' });
  t.equal(git(rs, 'rev-parse', 'origin/pr1'), f.c1, 'refspec fetched');

  const um = join(d, 'umask');
  await run({ repo: f.bare, dest: um, umask: '0077' });
  t.equal(statSync(join(um, 'f.txt')).mode & 0o777, 0o600, 'umask 0077');

  await t.rejects(run({ repo: f.bare, dest: join(d, 'v'), verify_commit: true }), { message: `Failed to verify GPG signature of commit/tag "HEAD"` }, 'an unsigned commit fails verify_commit');
  await t.rejects(run({ repo: f.bare, dest: join(d, 'e'), executable: '/nonexistent/git' }), { message: 'Failed to find required executable "/nonexistent/git"' });
  await t.rejects(run({ repo: join(d, 'nope.git'), dest: join(d, 'n') }), { message: /does not appear to be a git repository|Could not read from remote/ }, "git's own message for a missing repository");
});
