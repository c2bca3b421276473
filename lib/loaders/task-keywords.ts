// The task keyword tables and the readers of the keywords every task (and block, and play-level
// role entry) may carry: conditions, tags, become, loops and loop_control.
import { ParseError } from '../errors.js';
import type { TaskKeywords } from '../ast.js';
import { boolish, condList, expectMap, here, intish, nonNegative, strList, typeName, type Obj } from './values.js';

/** `with_X` loops bosun runs (lookup X over the terms, as Ansible's TaskExecutor does). */
export const WITH_LOOPS = ['items', 'list', 'dict', 'fileglob', 'first_found', 'subelements', 'together', 'nested', 'sequence', 'indexed_items', 'flattened'] as const;

export const TASK_KEYWORDS = [
  'name', 'when', 'loop', 'with_items', 'with_list', 'loop_control', 'register', 'notify', 'listen', 'changed_when',
  'failed_when', 'ignore_errors', 'tags', 'run_once', 'delegate_to', 'no_log', 'check_mode', 'diff', 'environment',
  'vars', 'become', 'become_user', 'until', 'retries', 'delay', 'throttle', 'args', 'any_errors_fatal',
  'block', 'rescue', 'always', 'local_action', 'delegate_facts', 'async', 'poll', ...WITH_LOOPS.map((w) => `with_${w}`),
] as const;

export const BLOCK_KEYS = new Set(['block', 'rescue', 'always']);

/** Keywords only a module task (and set_fact, which then fails as Ansible's does) may have. */
export const MODULE_ONLY_KEYWORDS = ['async', 'poll'] as const;

/**
 * `async:`/`poll:` seconds: a non-negative integer, or a template rendered when the task runs.
 * undefined when not written.
 */
export function asyncSeconds(t: Obj, key: 'async' | 'poll', file: string): number | string | undefined {
  const v = t[key];
  if (v === undefined || v === null) return undefined;
  if (typeof v === 'string' && v.includes('{{')) return v;
  const n = typeof v === 'string' && /^\s*\d+\s*$/.test(v) ? Number(v) : v;
  if (typeof n !== 'number' || !Number.isInteger(n) || n < 0) {
    throw new ParseError(`${key} must be a whole number of seconds (0 or more); got ${typeName(v)}${typeof v === 'number' || typeof v === 'string' ? ` ${JSON.stringify(v)}` : ''}`, { loc: here(t, key, file) });
  }
  return n;
}

/** Ansible's load error for `async`/`poll` on a block, an include or a role: one line at the keyword. */
export function rejectModuleOnly(t: Obj, file: string, what: string): void {
  for (const k of MODULE_ONLY_KEYWORDS) {
    if (t[k] !== undefined) throw new ParseError(`'${k}' is not a valid attribute for ${what}`, { loc: here(t, k, file) });
  }
}

export function taskKeywords(t: Obj, file: string, ignore: string[] = []): TaskKeywords {
  const at = (k: string) => here(t, k, file);
  const kw: TaskKeywords = {
    when: condList(t.when, 'when', at('when')) ?? [],
    tags: strList(t.tags, 'tags', at('tags')),
  };
  if (t.vars !== undefined && !ignore.includes('vars')) kw.vars = expectMap(t.vars, 'vars', at('vars'));
  const b = boolish(t.become, 'become', at('become'));
  if (b !== undefined) kw.become = b;
  if (t.become_user !== undefined) kw.becomeUser = String(t.become_user);
  if (t.ignore_errors !== undefined) {
    kw.ignoreErrors = typeof t.ignore_errors === 'string' && /\{\{/.test(t.ignore_errors) ? t.ignore_errors : boolish(t.ignore_errors, 'ignore_errors', at('ignore_errors'));
  }
  const ro = boolish(t.run_once, 'run_once', at('run_once'));
  if (ro !== undefined) kw.runOnce = ro;
  if (t.delegate_to !== undefined) {
    if (typeof t.delegate_to !== 'string') throw new ParseError(`delegate_to must be a host name; got ${typeName(t.delegate_to)}`, { loc: at('delegate_to') });
    kw.delegateTo = t.delegate_to;
  }
  const nl = boolish(t.no_log, 'no_log', at('no_log'));
  if (nl !== undefined) kw.noLog = nl;
  const cm = boolish(t.check_mode, 'check_mode', at('check_mode'));
  if (cm !== undefined) kw.checkMode = cm;
  const df = boolish(t.diff, 'diff', at('diff'));
  if (df !== undefined) kw.diff = df;
  if (t.environment !== undefined) kw.environment = expectMap(t.environment, 'environment', at('environment'));
  const th = intish(t.throttle, 'throttle', at('throttle'));
  if (th !== undefined) {
    if (th < 0) throw new ParseError('throttle must be 0 (no limit) or a positive integer', { loc: at('throttle') });
    kw.throttle = th;
  }
  const aef = boolish(t.any_errors_fatal, 'any_errors_fatal', at('any_errors_fatal'));
  if (aef !== undefined) kw.anyErrorsFatal = aef;
  return kw;
}

export function loopOf(t: Obj, file: string): { loop: unknown; loopVar: string; loopLabel?: string; loopIndexVar?: string; loopExtended?: boolean; loopWith?: string; loopPause?: number } {
  const withs = WITH_LOOPS.filter((w) => t[`with_${w}`] !== undefined);
  if (withs.length + (t.loop !== undefined ? 1 : 0) > 1) {
    const all = [...(t.loop !== undefined ? ['loop'] : []), ...withs.map((w) => `with_${w}`)];
    throw new ParseError(`a task takes one loop; this one has ${all.join(' and ')}`, { loc: here(t, all[1]!, file) });
  }
  const loopWith = withs[0];
  const loop = loopWith !== undefined ? t[`with_${loopWith}`] : t.loop;
  const lc = t.loop_control === undefined ? {} : expectMap(t.loop_control, 'loop_control', here(t, 'loop_control', file));
  for (const k of Object.keys(lc)) {
    if (!['loop_var', 'label', 'index_var', 'pause', 'extended'].includes(k)) {
      throw new ParseError(`unknown loop_control key '${k}' (valid: label, loop_var, index_var, pause, extended)`, { loc: here(lc, k, file) });
    }
  }
  if (loopWith === undefined && loop !== undefined && loop !== null && !Array.isArray(loop) && typeof loop !== 'string') {
    throw new ParseError(`loop must be a list or a "{{ variable }}" that is one; got ${typeName(loop)}`, { loc: here(t, 'loop', file) });
  }
  const loopVar = typeof lc.loop_var === 'string' ? lc.loop_var : 'item';
  for (const k of ['loop_var', 'index_var'] as const) {
    if (lc[k] !== undefined && (typeof lc[k] !== 'string' || !/^[A-Za-z_]\w*$/.test(lc[k] as string))) {
      throw new ParseError(`loop_control.${k} must be a variable name; got ${typeName(lc[k])}`, { loc: here(lc, k, file) });
    }
  }
  return {
    loop: loop ?? undefined,
    loopVar,
    loopLabel: typeof lc.label === 'string' ? lc.label : undefined,
    loopIndexVar: lc.index_var as string | undefined,
    loopExtended: boolish(lc.extended, 'loop_control.extended', here(lc, 'extended', file)),
    loopWith,
    loopPause: lc.pause === undefined ? undefined : nonNegative(lc.pause, here(lc, 'pause', file)),
  };
}

export function mergeKeywords(outer: TaskKeywords, inner: TaskKeywords): TaskKeywords {
  return {
    ...inner,
    ...Object.fromEntries(Object.entries(outer).filter(([, v]) => v !== undefined)),
    when: [...outer.when, ...inner.when],
    tags: [...new Set([...outer.tags, ...inner.tags])],
    vars: outer.vars || inner.vars ? { ...(inner.vars ?? {}), ...(outer.vars ?? {}) } : undefined,
  };
}
