// The bundle's launcher: the V8 code cache is used only in a private directory, made after a
// successful run, remade when V8 refuses it, and never needed for the program to run.
import t from 'tap';
import { chmodSync, existsSync, readdirSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { spawnSync } from 'node:child_process';
import { resolve } from 'node:path';
import { launch, runKind, runTarget } from '../../lib/cli/code-cache.js';

const built = join(process.cwd(), 'dist/lib/cli/code-cache.js');

/** launch() in a fresh node (tsc's build), as the shipped launcher runs it; returns its outcome. */
function inChild(prog: string, argv: string[]): string {
  const code = `const { launch } = await import(${JSON.stringify(built)}); process.stdout.write(await launch(process.argv[1], process.argv.slice(2)));`;
  const r = spawnSync(process.execPath, ['--input-type=module', '-e', code, prog, ...argv], { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`launcher child exited ${r.status}: ${r.stderr}`);
  return r.stdout;
}

t.test('runKind: one cache per kind of command', async (t) => {
  t.equal(runKind(['run', 'site.yml', '-i', 'inv']), 'run');
  t.equal(runKind(['site.yml']), 'run', 'a .yml first argument means run');
  t.equal(runKind(['run', 'site.yml', '--syntax-check']), 'run-list');
  t.equal(runKind(['run', 'site.yml', '--list-tasks']), 'run-list');
  t.equal(runKind(['--version']), '--version');
  t.equal(runKind(['inventory', '--list']), 'inventory');
  t.equal(runKind([]), 'none');
  t.equal(runKind(['../../x y']), 'other', 'no path or odd text reaches the key');
});

t.test('runTarget: a run is also keyed by its playbook', async (t) => {
  t.equal(runTarget(['run', 'site.yml', '-i', 'inv.yml']), resolve('site.yml'));
  t.equal(runTarget(['run', '-i', 'inv.yml', '-e', '@vars.yaml', '--check', 'play/site.yaml']), resolve('play/site.yaml'), 'option values are not the playbook');
  t.equal(runTarget(['site.yml', '--list-tasks']), resolve('site.yml'));
  t.equal(runTarget(['run', '--inventory=inv.yml', '/abs/p.yml']), '/abs/p.yml');
  t.equal(runTarget(['inventory', '-i', 'inv.yml', 'x.yml']), '', 'other commands: no playbook');
  t.equal(runTarget(['run']), '');
});

t.test('launch: written, hit, rewritten after a bad entry, skipped after a failure, off when not private', async (t) => {
  const dir = t.testdir({
    'prog.cjs':
      "exports.start = async (argv) => { globalThis.__bosunProgramRuns = (globalThis.__bosunProgramRuns || 0) + 1; if (argv[0] === 'fail') process.exitCode = 2; };\n",
  });
  const saved = { cache: process.env.BOSUN_CACHE_DIR, off: process.env.BOSUN_CODE_CACHE, exitCode: process.exitCode };
  process.env.BOSUN_CACHE_DIR = join(dir, 'cache');
  delete process.env.BOSUN_CODE_CACHE;
  t.teardown(() => {
    for (const [k, v] of [['BOSUN_CACHE_DIR', saved.cache], ['BOSUN_CODE_CACHE', saved.off]] as const) {
      if (v === undefined) delete process.env[k];
      else process.env[k] = v;
    }
    process.exitCode = saved.exitCode;
  });
  const g = globalThis as { __bosunProgramRuns?: number };
  const prog = join(dir, 'prog.cjs');
  const codeDir = join(dir, 'cache', 'code');
  const entries = (): string[] => readdirSync(codeDir).filter((n) => n.endsWith('.bin'));

  t.equal(await launch(prog, ['run', 'x.yml']), 'written');
  t.equal(g.__bosunProgramRuns, 1, 'the program ran');
  t.equal(entries().length, 1);
  const xEntry = entries()[0]!;
  t.equal(statSync(join(codeDir, xEntry)).mode & 0o777, 0o600, 'entry private');
  t.equal(statSync(codeDir).mode & 0o777, 0o700, 'directory private');
  // V8 remembers compiled code inside one process, so whether it takes the entry shows in a new one
  t.equal(inChild(prog, ['run', '-i', 'inv.yml', 'x.yml']), 'hit', 'same program, kind and playbook: V8 takes the cache');
  t.equal(inChild(prog, ['run', 'y.yml']), 'written', 'another playbook: its own entry');
  t.equal(entries().length, 2);
  t.equal(inChild(prog, ['run', 'y.yml']), 'hit');
  writeFileSync(join(codeDir, xEntry), 'not a code cache');
  t.equal(inChild(prog, ['run', 'x.yml']), 'rewritten', 'a bad entry is refused by V8 and replaced');
  t.equal(inChild(prog, ['run', 'x.yml']), 'hit');
  t.equal(inChild(prog, ['inventory']), 'written', 'another kind of command: its own entry');
  t.equal(entries().length, 3);

  t.equal(await launch(prog, ['fail']), 'skipped', 'a failed run leaves no entry');
  t.equal(process.exitCode, 2);
  process.exitCode = 0;
  t.equal(entries().length, 3);

  process.env.BOSUN_CODE_CACHE = '0';
  t.equal(await launch(prog, ['inventory']), 'off');
  delete process.env.BOSUN_CODE_CACHE;

  chmodSync(codeDir, 0o777);
  t.equal(await launch(prog, ['inventory']), 'off', 'a directory others can write is not used');
  t.equal(entries().length, 3, 'nothing written there');
  t.equal(g.__bosunProgramRuns, 4, 'and the program ran every time');
  chmodSync(codeDir, 0o700);
  t.ok(existsSync(prog));
});

t.test('launch: a file that does not export start() is an error, not a silent no-op', async (t) => {
  const dir = t.testdir({ 'prog.cjs': 'exports.other = 1;\n' });
  const saved = process.env.BOSUN_CODE_CACHE;
  process.env.BOSUN_CODE_CACHE = '0';
  t.teardown(() => (saved === undefined ? delete process.env.BOSUN_CODE_CACHE : (process.env.BOSUN_CODE_CACHE = saved)));
  await t.rejects(launch(join(dir, 'prog.cjs'), []), /does not export start\(\)/);
});
