// A dynamic include's own step (include_tasks, include_role): which hosts include it, with which loop
// item, as Ansible 2.14 evaluates the include task itself; and the handlers an included role adds.
import type { BlockTask, IncludeSpec, TaskNode } from '../ast.js';
import type { Reporter, TaskInfo } from './report.js';
import type { HostState } from './state.js';
import type { Scope, Variables } from './scope.js';
import type { TemplateEngine } from './template.js';
import { conditionsHold, itemLabel, loopVars, type TaskStep } from './task.js';

/** Hosts that include the file or role with the same item (none: key ''): one `included:` line, one run of its tasks. */
export interface IncludeGroup {
  key: string;
  extra?: Record<string, unknown>;
  label?: string;
  hosts: string[];
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
  const join = (h: string, key: string, extra?: Record<string, unknown>, label?: string): void => {
    let g = groups.find((x) => x.key === key);
    if (!g) groups.push((g = { key, extra, label, hosts: [] }));
    g.hosts.push(h);
  };
  for (const h of active) {
    const st = ctx.host(h);
    const t0 = performance.now();
    try {
      const v = ctx.vars.playScope(h, scope.play, playHosts, node.role, ownBlockVars);
      const items = inc.loop === undefined ? undefined : ctx.step.loopItems({ ...inc, loc: node.loc }, v);
      if (!items) {
        if (conditionsHold(when, v, node.loc)) join(h, '');
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
        join(h, JSON.stringify(extra), extra, label);
      }
      if (!any) {
        st.stats.skipped++;
        skipped(h, t0);
      }
    } catch (e) {
      ctx.step.hostError(info, st, e, t0, false);
    }
  }
  return groups;
}

/** A handler of an included role as that inclusion adds it: inside a block with the include's keywords (apply's) and vars. */
export function includedHandler(h: TaskNode, inc: BlockTask): BlockTask {
  return { ...inc, kind: 'block', origin: 'block', name: h.name, loc: h.loc, role: h.role, tags: [], block: [h], rescue: [], always: [], notify: [], listen: h.listen, include: undefined, roleRun: undefined, handlers: undefined };
}
