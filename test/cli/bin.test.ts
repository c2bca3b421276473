// The built CLI, as a user's shell sees it: bin/'s mapping of errors to exit codes and stderr lines.
// Every case runs twice: tsc's dist/bin/bosun.js and dist/bundle/bosun.mjs, the bundle that
// `bosun` is (package.json bin, .ci/bundle.mjs) — what ships must behave as what the other tests test.
// The in-process tests cover the rest, faster.
import t from 'tap';
import { join, resolve } from 'node:path';
import { existsSync, readFileSync } from 'node:fs';
import { binPath, bundlePath, spawnBosun as spawn, recap } from '../helpers/run.js';

for (const bin of [binPath, bundlePath]) {
  const skip = existsSync(bin) ? false : `${bin} is not built: run \`npm run build\` first`;
  // The bundle's runs collect no coverage: its source map points into node_modules, which would
  // then count in the report as if it were bosun's code (lib/ is measured through tsc's build).
  const noCoverage = bin === bundlePath ? { _TAPJS_PROCESSINFO_COVERAGE_: '0' } : {};
  const spawnBosun = (argv: string[], opts: { cwd?: string; env?: NodeJS.ProcessEnv } = {}): ReturnType<typeof spawn> =>
    spawn(argv, { ...opts, env: { ...opts.env, ...noCoverage }, bin });
  const label = bin.endsWith('.mjs') ? 'bundle dist/bundle/bosun.mjs' : 'tsc dist/bin/bosun.js';
  const SITE = resolve('test/fixtures/playbooks/site');
  const BAD = resolve('test/fixtures/bad');

  t.test(`${label}: --version, --help, unknown command`, { skip }, async (t) => {
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

  t.test(`${label}: exit 0 ok and 2 failed host, with the recap on stdout`, { skip }, async (t) => {
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

  t.test(`${label}: exit 4 parse error and 5 bad options, one ERROR! line on stderr`, { skip }, async (t) => {
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

  t.test(`${label}: certificates made, then inspected without node-forge; templates; the version`, { skip }, async (t) => {
    const dir = t.testdir({
      'pki.yml': [
        '- hosts: localhost',
        '  gather_facts: false',
        '  tasks:',
        '    - cert: { ca: true, dir: "{{ out }}" }',
        '    - cert: { name: node1, sans: [10.0.0.1, node1.test], dir: "{{ out }}" }',
        '    - copy: { dest: "{{ out }}/motd", content: "{{ [1, 2] | map(\'string\') | join(\'-\') }} {{ \'x\' if out else \'y\' }}\\n" }',
        '',
      ].join('\n'),
    });
    const out = join(dir, 'out');
    const first = spawnBosun(['run', join(dir, 'pki.yml'), '-e', `out=${out}`]);
    t.equal(first.code, 0, first.stdout + first.stderr);
    t.match(recap(first.stdout).localhost, { changed: 3, failed: 0 });
    t.equal(readFileSync(join(out, 'motd'), 'utf8'), '1-2 x\n');
    const again = spawnBosun(['run', join(dir, 'pki.yml'), '-e', `out=${out}`]);
    t.equal(again.code, 0, again.stdout + again.stderr);
    t.match(recap(again.stdout).localhost, { changed: 0, ok: 3 }, 'no-op: the certificates were read and found current');
    const pkg = JSON.parse(readFileSync(resolve('package.json'), 'utf8')) as { version: string };
    t.equal(spawnBosun(['--version'], { cwd: dir }).stdout, `bosun ${pkg.version}\n`, 'version found from any directory');
  });
}
