// The module contract as the engine runs it, for one invocation: plan, then the gate (check mode,
// nothing to change, unpredictable), then apply. The runner calls this for every module task, and
// module tests call the same function (test/helpers/fake-ctx.ts runTask), so a test cannot drift
// from what the engine does.
import type { ModuleTask } from '../ast.js';
import { validateArgs } from '../modules/args.js';
import type { AnyModule, ModuleContext, Outcome, Plan, TaskModule } from '../modules/types.js';
import { withExec, type Connection } from '../executor/types.js';
import { ModuleContractError } from '../errors.js';
import { OMIT } from './scope.js';
import { yamlLocOf, type Renderer, type Vars } from './vars.js';

/**
 * A task's arguments for one host: rendered with its variables, `omit` dropped, checked against the
 * module's schema. `precise`: errors point at the argument's own line (else at the task).
 */
export function resolveArgs(mod: AnyModule, node: ModuleTask, vars: Vars, templates: Renderer, precise = true): Record<string, unknown> {
  const argLocOf = precise
    ? (c: unknown, k?: string | number) => (c === node.args && k !== undefined ? node.argLocs[String(k)] : yamlLocOf(c, k))
    : yamlLocOf;
  const rendered = templates.renderValue(node.args, vars, node.loc.file, argLocOf) as Record<string, unknown>;
  for (const [k, v] of Object.entries(rendered)) if (v === OMIT) delete rendered[k];
  return validateArgs(mod, rendered, { loc: node.loc, keyLoc: precise ? (k: string) => node.argLocs[k] ?? node.loc : () => node.loc, deferTemplates: false });
}

export const CHECK_SKIPPED_MSG = 'skipped in check mode (the result cannot be predicted without running it)';

export interface GateResult<S = unknown> {
  plan: Plan<S>;
  outcome: Outcome;
  /** Check mode could not predict the task (Plan.unpredictable): it was neither planned as a change nor run. */
  checkSkipped: boolean;
}

export interface GateHooks {
  /** Called right before and right after apply(): whatever apply did may outdate fetched file states. */
  changing?(): void;
}

/**
 * plan → gate → apply. In check mode apply is never called; an unpredictable plan is reported as
 * skipped. Otherwise apply runs when the plan changes something or cannot tell. Whatever the
 * module throws (ModuleFailure for an ordinary failure) propagates.
 */
export async function planAndApply<A, S>(mod: TaskModule<A, S> | AnyModule, ctx: ModuleContext, args: A, hooks: GateHooks = {}): Promise<GateResult<S>> {
  if (ctx.check && mod.doc.check === 'none') {
    // the module cannot plan without acting: not even plan() runs
    const plan: Plan<S> = { changed: false, unpredictable: true, msg: CHECK_SKIPPED_MSG };
    return { plan, checkSkipped: true, outcome: { changed: false, msg: CHECK_SKIPPED_MSG } };
  }
  const plan = (await mod.plan(ctx.check ? planOnly(ctx, mod.name) : ctx, args)) as Plan<S>;
  if (ctx.check) {
    if (plan.unpredictable) return { plan, checkSkipped: true, outcome: { changed: false, msg: CHECK_SKIPPED_MSG, result: plan.result } };
    return { plan, checkSkipped: false, outcome: { changed: plan.changed, msg: plan.msg, result: plan.result, diff: plan.diff } };
  }
  if (!plan.changed && !plan.unpredictable) return { plan, checkSkipped: false, outcome: { changed: false, msg: plan.msg, result: plan.result } };
  hooks.changing?.();
  let outcome = await mod.apply(ctx, args, plan);
  hooks.changing?.();
  if (!outcome.diff && plan.diff) outcome = { ...outcome, diff: plan.diff };
  return { plan, checkSkipped: false, outcome };
}

/** A connection that sends only requests marked read-only; anything else is a contract breach. */
export function readOnlyConnection(conn: Connection, module: string): Connection {
  return withExec(conn, (script, opts) => {
    if (!opts?.readOnly) {
      return Promise.reject(
        new ModuleContractError(`module '${module}' sent a request not marked read-only ('${opts?.label ?? 'exec'}') while planning in check mode; it was not sent`, {
          hint: 'plan() may only read: mark reads `readOnly: true`, and move writes to apply()',
        }),
      );
    }
    return conn.exec(script, opts);
  });
}

/** The context plan() gets in check mode: both connections refuse anything not read-only. */
function planOnly(ctx: ModuleContext, module: string): ModuleContext {
  return { ...ctx, conn: readOnlyConnection(ctx.conn, module), control: readOnlyConnection(ctx.control, module) };
}
