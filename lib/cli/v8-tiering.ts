// How soon V8 hands a hot function to TurboFan, for the shipped launcher's runs (bin/launch.ts).
// A playbook run is short and does a little of many things: by V8's default budget an etcd site.yml
// no-op had 20 functions optimised (Handlebars' parser and code generator, scope building, one OSR
// of re2js's case-fold table decoding) and the compiles cost more CPU than they ever saved — on a 2-core machine they
// also compete with the ssh clients. Four times the budget leaves 2 (measured on a 3-host lab, 8
// alternating runs, twice: node CPU 656 -> 528 ms; a generic 10-task no-op optimised none either
// way, unchanged). Code that stays hot (a run over hundreds of hosts) is still optimised, later.
// Only the launcher sets it: tests and the tsc build run with V8's defaults.
import { createRequire } from 'node:module';

/** Node 20's V8 (11.3) default --interrupt-budget, in bytecodes' weight. */
export const DEFAULT_INTERRUPT_BUDGET = 67_584;
/** The budget of a bosun run: a function must do four times as much work before TurboFan compiles it. */
export const RUN_INTERRUPT_BUDGET = 4 * DEFAULT_INTERRUPT_BUDGET;

/**
 * Raises V8's interrupt budget for this process (node:v8 loaded here, only when called: ~4 ms that
 * `bosun --version` and the like need not pay). The flag is read whenever a function's budget is
 * reset, so setting it at start-up is safe; it changes when code is optimised, never what it does.
 */
export function deferOptimisingCompiler(budget = RUN_INTERRUPT_BUDGET): void {
  const v8 = createRequire(import.meta.url)('node:v8') as typeof import('node:v8');
  v8.setFlagsFromString(`--interrupt-budget=${budget}`);
}
