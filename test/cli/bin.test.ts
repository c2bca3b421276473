// The built CLI (dist/bin/bosun.js, from `npx tsc -p .`): bin/'s mapping of errors to exit codes and
// stderr lines, as a user's shell sees them. The in-process tests cover the rest, faster.
import t from 'tap';
import { join, resolve } from 'node:path';
import { binBuilt, spawnBosun, recap } from '../helpers/run.js';

const skip = binBuilt() ? false : 'dist/bin/bosun.js is not built: run `npx tsc -p .` first';
{
  const SITE = resolve('test/fixtures/playbooks/site');
  const BAD = resolve('test/fixtures/bad');

  t.test('--version, --help, unknown command', { skip }, async (t) => {
    const v = spawnBosun(['--version']);
    t.equal(v.code, 0);
    t.match(v.stdout, /^bosun \d+\.\d+\.\d+\n$/);
    const h = spawnBosun(['--help']);
    t.equal(h.code, 0);
    t.match(h.stdout, /bosun run PLAYBOOK/);
    const u = spawnBosun(['frobnicate']);
    t.equal(u.code, 5);
    t.match(u.stderr, /^ERROR! unknown command 'frobnicate'/);
  });

  t.test('exit 0 ok and 2 failed host, with the recap on stdout', { skip }, async (t) => {
    const out = t.testdir({});
    const ok = spawnBosun(['run', join(SITE, 'site.yml'), '-i', join(SITE, 'inventory.yml'), '-e', `out=${out}`, '--limit', 'web1']);
    t.equal(ok.code, 0, ok.stderr);
    t.match(recap(ok.stdout).web1, { changed: 7, failed: 0 });
    t.equal(ok.stderr, '');
    const dir = t.testdir({ 'fail.yml': '- hosts: localhost\n  gather_facts: false\n  tasks:\n    - fail: { msg: nope }\n' });
    const f = spawnBosun(['run', join(dir, 'fail.yml')]);
    t.equal(f.code, 2);
    t.match(recap(f.stdout).localhost, { failed: 1 });
  });

  t.test('exit 4 parse error and 5 bad options, one ERROR! line on stderr', { skip }, async (t) => {
    const p = spawnBosun(['run', join(BAD, 'unknown-module', 'play.yml')]);
    t.equal(p.code, 4);
    t.equal(p.stdout, '');
    t.equal(p.stderr, `ERROR! ${join(BAD, 'unknown-module', 'play.yml')}:7:7: unknown module 'cpy' (did you mean 'copy'?)\n`);
    const y = spawnBosun([join(BAD, 'yaml-syntax', 'play.yml')]);
    t.equal(y.code, 4, 'a .yml first argument means run');
    const e = spawnBosun(['run', join(BAD, 'bad-extra-vars', 'play.yml'), '-e', '{"a": ']);
    t.equal(e.code, 5);
    t.match(e.stderr, /^ERROR! -e .* does not parse/);
    const o = spawnBosun(['run', join(SITE, 'site.yml'), '--nope']);
    t.equal(o.code, 5);
    t.match(o.stderr, /^ERROR! .*--nope.*\(see bosun run --help\)\n$/);
  });
}
