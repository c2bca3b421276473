// The launcher's TurboFan budget: a function hot enough for V8's default is not optimised yet under
// the run's budget, and one that stays hot still is. Observed through --trace-opt in a fresh node
// (tsc's build of lib/cli/v8-tiering.ts), as the flag is per process.
import t from 'tap';
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { writeFileSync } from 'node:fs';
import { RUN_INTERRUPT_BUDGET, DEFAULT_INTERRUPT_BUDGET } from '../../lib/cli/v8-tiering.js';

const built = join(process.cwd(), 'dist/lib/cli/v8-tiering.js');

/** How many times `work` was marked for TurboFan after `calls` calls, with or without the run's budget. */
function marked(calls: number, deferred: boolean): number {
  const code = `
    ${deferred ? `(await import(${JSON.stringify(built)})).deferOptimisingCompiler();` : ''}
    function work(n) { let s = 0; for (let i = 0; i < n; i++) s += i % 7; return s; }
    let total = 0;
    for (let k = 0; k < ${calls}; k++) total += work(100);
    console.log('total', total);`;
  // the coverage run's NODE_V8_COVERAGE (precise coverage) would change how V8 tiers
  const env = { ...process.env };
  delete env.NODE_V8_COVERAGE;
  delete env.NODE_OPTIONS;
  const r = spawnSync(process.execPath, ['--trace-opt', '--input-type=module', '-e', code], { encoding: 'utf8', env });
  if (r.status !== 0) throw new Error(`node exited ${r.status}: ${r.stderr}`);
  if (!r.stdout.includes(`total ${calls * 295}`)) throw new Error(`the workload did not run: ${r.stdout}`);
  return r.stdout.split('\n').filter((l) => l.startsWith('[marking') && l.includes('<JSFunction work ')).length;
}

t.test('the run budget is four times V8 default', async (t) => {
  t.equal(RUN_INTERRUPT_BUDGET, 4 * DEFAULT_INTERRUPT_BUDGET);
});

t.test('a function warm enough for the default budget is left to the baseline tiers; a hot one is still optimised', async (t) => {
  t.equal(marked(60, false), 1, 'default budget: optimised after 60 calls');
  t.equal(marked(60, true), 0, 'run budget: not yet');
  t.equal(marked(1000, true), 1, 'run budget: optimised once it stays hot');
});

t.test('a code cache entry made under the run budget is taken by the next run, and refused under another budget (V8 checks its flags hash)', async (t) => {
  const dir = t.testdir({});
  const prog = join(dir, 'prog.cjs');
  writeFileSync(prog, 'exports.start = async () => {};\n');
  const launcher = JSON.stringify(join(process.cwd(), 'dist/lib/cli/code-cache.js'));
  const code = `if (process.argv[2] === 'defer') (await import(${JSON.stringify(built)})).deferOptimisingCompiler();
    const { launch } = await import(${launcher});
    process.stdout.write(await launch(process.argv[1], ['run', 'site.yml']));`;
  const run = (defer = true): string => {
    const r = spawnSync(process.execPath, ['--input-type=module', '-e', code, prog, defer ? 'defer' : 'default'], { encoding: 'utf8', env: { ...process.env, BOSUN_CACHE_DIR: join(dir, 'cache') } });
    if (r.status !== 0) throw new Error(`launcher child exited ${r.status}: ${r.stderr}`);
    return r.stdout;
  };
  t.equal(run(), 'written');
  t.equal(run(), 'hit', 'not refused as made under other flags');
  // the budget is part of V8's flags hash: every run of a kind must set it alike (the launcher does, by kind)
  t.equal(run(false), 'rewritten', 'the same entry under the default budget is refused');
});
