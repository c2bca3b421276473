// A dynamic include's own step (include_tasks, include_role): which hosts include it, with which loop
// item, as Ansible 2.14 evaluates the include task itself; and the handlers an included role adds.
import type { BlockTask, IncludeSpec, LateInclude, TaskNode } from '../ast.js';
import type { Reporter, TaskInfo } from './report.js';
import type { HostState } from './state.js';
import type { Scope, Variables } from './scope.js';
import type { Vars } from './vars.js';
import { evalBool } from './expr.js';
import { BosunError, InternalError, InterruptedError, UnreachableError } from '../errors.js';
import type { TemplateEngine } from './template.js';
import { conditionsHold, itemLabel, loopVars, type TaskStep } from './task.js';

/** Hosts that include the file or role with the same item (none: key ''): one `included:` line, one run of its tasks. */
export interface IncludeGroup {
  key: string;
  extra?: Record<string, unknown>;
  label?: string;
  hosts: string[];
  /** A templated include: its arguments as rendered for these hosts (and item). */
  rendered?: Record<string, string>;
}

export interface IncludeCtx {
  vars: Variables;
  step: TaskStep;
  templates: TemplateEngine;
  out: Reporter;
  host: (name: string) => HostState;
}

/**
 * The include task on each host: its `when` (once, or per item in a loop, where it may name the item),
 * `skipping:` lines and counts where it is false, and the hosts grouped by item in first-seen order.
 */
export function includeGroups(ctx: IncludeCtx, node: BlockTask, inc: IncludeSpec, active: string[], scope: Scope, playHosts: string[], info: TaskInfo): IncludeGroup[] {
  // the include's vars are visible to its own `when` and loop, as to a task's
  const ownBlockVars = node.vars ? [...scope.blockVars, node.vars] : scope.blockVars;
  const when = [...scope.inherited.when, ...inc.when];
  const skipped = (h: string, t0: number, label?: string): void =>
    ctx.out.hostResult(info, { host: h, status: 'skipped', result: { skipped: true, changed: false }, itemLabel: label, noLog: false, durationMs: performance.now() - t0 });
  const groups: IncludeGroup[] = [];
  const late = inc.late;
  const join = (h: string, key: string, v: Vars, extra?: Record<string, unknown>, label?: string): void => {
    // a templated include: hosts (and items) group by what it renders to as well, as Ansible's IncludedFile
    const rendered = late ? renderLate(ctx, late, v) : undefined;
    const full = rendered ? `${key}\0${JSON.stringify(rendered)}` : key;
    let g = groups.find((x) => x.key === full);
    if (!g) groups.push((g = { key: full, extra, label, hosts: [], ...(rendered ? { rendered } : {}) }));
    g.hosts.push(h);
  };
  for (const h of active) {
    const st = ctx.host(h);
    const t0 = performance.now();
    try {
      const v = ctx.vars.playScope(h, scope.play, playHosts, node.role, ownBlockVars);
      const items = inc.loop === undefined ? undefined : ctx.step.loopItems({ ...inc, loc: node.loc }, v);
      if (!items) {
        if (conditionsHold(when, v, node.loc)) join(h, '', v);
        else {
          st.stats.skipped++;
          skipped(h, t0);
        }
        continue;
      }
      // in a loop, `when` is evaluated for each item (it may name the item)
      let any = false;
      for (const i of items.keys()) {
        const extra = loopVars(inc, items, i);
        const vi = ctx.vars.playScope(h, scope.play, playHosts, node.role, ownBlockVars, extra);
        const label = inc.loopLabel ? String(ctx.templates.renderValue(inc.loopLabel, vi, node.loc.file)) : itemLabel(items[i]);
        if (!conditionsHold(when, vi, node.loc)) {
          skipped(h, t0, label);
          continue;
        }
        any = true;
        join(h, JSON.stringify(extra), vi, extra, label);
      }
      if (!any) {
        st.stats.skipped++;
        skipped(h, t0);
      }
    } catch (e) {
      if (!ignoredFailure(ctx, info, inc, scope, st, e, t0, () => ctx.vars.playScope(h, scope.play, playHosts, node.role, ownBlockVars))) ctx.step.hostError(info, st, e, t0, false);
    }
  }
  return groups;
}

/** A templated include's arguments rendered with a host's (and item's) variables. */
function renderLate(ctx: IncludeCtx, late: LateInclude, v: Vars): Record<string, string> {
  const args = late.args;
  const out: Record<string, string> = {};
  for (const [k, text] of Object.entries(args)) out[k] = String(ctx.templates.renderValue(text, v, late.at.file, (late.at.line ?? 1) - 1));
  return out;
}

/**
 * The include's own `ignore_errors` over a failure to include (a name that does not render): ignored,
 * as Ansible reports it (`...ignoring`, counted ok and ignored). A file that is not there is not
 * ignored: Ansible 2.14 fails the host when it loads the file (includeFailed).
 */
function ignoredFailure(ctx: IncludeCtx, info: TaskInfo, inc: IncludeSpec, scope: Scope, st: HostState, e: unknown, t0: number, vars: () => Vars): boolean {
  if (!(e instanceof BosunError) || e instanceof InternalError || e instanceof UnreachableError || e instanceof InterruptedError) return false;
  const ie = inc.ignoreErrors ?? scope.inherited.ignoreErrors;
  let ignored = false;
  try {
    ignored = typeof ie === 'string' ? evalBool(ie, vars()) : ie === true;
  } catch {
    return false;
  }
  if (!ignored) return false;
  const msg = e.oneLine();
  st.stats.ok++;
  st.stats.ignored++;
  ctx.out.hostResult(info, { host: st.name, status: 'failed', msg, result: { failed: true, msg }, ignored: true, noLog: false, durationMs: performance.now() - t0 });
  return true;
}

/** A templated include_tasks whose file is not there: each host including it fails with Ansible's reason. */
export function includeFailed(ctx: IncludeCtx, info: TaskInfo, hosts: string[], reason: string): void {
  for (const h of hosts) {
    const st = ctx.host(h);
    const result = { failed: true, reason };
    st.failed = true;
    st.stats.failed++;
    st.lastFailure = { result, task: { name: info.name, action: info.module ?? '' } };
    ctx.out.hostResult(info, { host: h, status: 'failed', result, noLog: false, durationMs: 0 });
  }
}

/** A handler of an included role as that inclusion adds it: inside a block with the include's keywords (apply's) and vars. */
export function includedHandler(h: TaskNode, inc: BlockTask): BlockTask {
  return { ...inc, kind: 'block', origin: 'block', name: h.name, loc: h.loc, role: h.role, tags: [], block: [h], rescue: [], always: [], notify: [], listen: h.listen, include: undefined, roleRun: undefined, handlers: undefined };
}
