// One task on one host: loop items, `when`, arguments, the channel (delegate_to, become,
// environment), plan → gate → apply (gate.ts), until/retries, changed_when/failed_when, register,
// the host's counters and the reporter's line. The play strategy around it is runner.ts.
import { homedir } from 'node:os';
import { dirname, isAbsolute, join } from 'node:path';
import { existsSync } from 'node:fs';
import type { Condition, ModuleTask, SetFactTask, TaskNode } from '../ast.js';
import type { Connection } from '../executor/types.js';
import type { DiffEntry, Facts, ModuleContext, Outcome } from '../modules/types.js';
import { ModuleFailure } from '../modules/types.js';
import { getModule } from '../modules/index.js';
import { BosunError, InternalError, InterruptedError, MissingFileError, ParseError, TimeoutError, UnreachableError, type SourceLocation } from '../errors.js';
import type { HostResult, HostStats, Reporter, TaskInfo } from './report.js';
import type { HostState, RunOptions } from './state.js';
import { yamlLocOf, type Vars } from './vars.js';
import { extendScope, tagsSelected, type Scope, type Variables } from './scope.js';
import { planAndApply, resolveArgs } from './gate.js';
import type { TemplateEngine } from './template.js';
import { evalBool, evaluate, templatedConditions } from './expr.js';
import { mergeFacts, UNKNOWN_FACTS } from './facts.js';
import { upcoming, type LookaheadFrame, type ProbeCache } from './prefetch.js';
import { withEnvironment, type Connections } from './connections.js';
import { isPlainObject } from '../value-kind.js';
import { ASYNC_CHECK_MODE, ASYNC_UNSUPPORTED, DEFAULT_POLL, NO_ASYNC, launchedResult, polledOutcome, registeredOf, type AsyncJobs } from './async-jobs.js';

const MAX_LOOP = 100_000;
const KIND_NAME = { files: 'file', templates: 'template', vars: 'vars file' } as const;
const NEVER_ABORTED = new AbortController().signal;

/** What a task step needs from the run around it. */
export interface RunContext {
  readonly opts: RunOptions;
  readonly out: Reporter;
  readonly templates: TemplateEngine;
  readonly vars: Variables;
  readonly conns: Connections;
  /** The run's async jobs (`async:` tasks, async_status). */
  readonly jobs: AsyncJobs;
  readonly probeCache: ProbeCache;
  /** Where the lockstep walk is (for the look-ahead). */
  readonly frames: readonly LookaheadFrame[];
  /** The task lists after the current play section, for the look-ahead on a host (runner.ts). */
  beyond(host: string): LookaheadFrame[];
  readonly playbookDir: string;
  host(name: string): HostState;
  /** Marks the handlers `names` notified on a host (throws for an unknown name). */
  notify(host: HostState, names: string[], node: TaskNode): void;
  /** Throws InterruptedError once the run was interrupted. */
  checkAbort(): void;
  /** A result's add_host / add_group (add_host, group_by) applied to the run's inventory. */
  changeInventory(host: string, result: Record<string, unknown>): void;
}

/**
 * The facts a module sees: the host's own object (modules only read fields), with the fields a module
 * may read and the host did not report falling back to 'unknown'. Made once per facts object; no copy
 * of the hundreds of facts (a copy per task per host, then per host, showed in 200-host profiles).
 */
const withUnknown = new WeakMap<object, Facts>();
const UNKNOWN_ONLY = Object.freeze({ ...UNKNOWN_FACTS }) as Facts;
function moduleFacts(f: Record<string, unknown> | undefined): Facts {
  if (!f) return UNKNOWN_ONLY;
  let m = withUnknown.get(f);
  if (!m) {
    const missing = Object.entries(UNKNOWN_FACTS).filter(([k]) => f[k] === undefined);
    m = (missing.length === 0 ? f : Object.assign(Object.create(f) as object, Object.fromEntries(missing))) as Facts;
    withUnknown.set(f, m);
  }
  return m;
}

export class TaskStep {
  /** Conditionals already warned about (Ansible prints each warning once a run). */
  private readonly warned = new Set<string>();

  constructor(private readonly run: RunContext) {}

  /** Ansible's warning for a conditional written with `{{ }}` (it is rendered, then evaluated again). */
  private warnTemplated(conds: readonly Condition[] | undefined): void {
    for (const c of templatedConditions(conds)) {
      if (this.warned.has(c)) continue;
      this.warned.add(c);
      this.run.out.warn(`conditional statements should not include jinja2 templating delimiters such as {{ }} or {% %}. Found: ${c}`);
    }
  }

  hostError(info: TaskInfo, st: HostState, e: unknown, t0: number, noLog: boolean): void {
    if (e instanceof UnreachableError) {
      st.unreachable = true;
      st.stats.unreachable = 1;
      this.run.out.hostResult(info, { host: st.name, status: 'unreachable', msg: e.message, result: { unreachable: true, msg: e.message }, noLog: false, durationMs: performance.now() - t0 });
      return;
    }
    if (e instanceof InterruptedError) throw e;
    let msg = e instanceof BosunError ? e.oneLine() : e instanceof Error ? e.message : String(e);
    if (!(e instanceof BosunError) || e instanceof InternalError) {
      // a bug (an unexpected exception, a broken contract), not the playbook's or the host's fault
      const where = info.module ? `module '${info.module}'` : 'bosun';
      msg = `internal error in ${where}: ${e instanceof Error && !(e instanceof BosunError) ? `${e.name}: ` : ''}${msg}`;
      if (!noLog) this.run.out.log(3, `[${st.name}] ${e instanceof Error ? (e.stack ?? msg) : msg}`);
    }
    const result: Record<string, unknown> = { failed: true, msg };
    if (e instanceof ModuleFailure && e.result) Object.assign(result, e.result, { msg });
    failedOn(st, info, result);
    this.run.out.hostResult(info, { host: st.name, status: 'failed', msg, result, noLog, durationMs: performance.now() - t0 });
  }

  private ctxFor(
    node: ModuleTask,
    st: HostState,
    conn: Connection,
    vars: Vars,
    check: boolean,
    diff: boolean,
    delegated: string | undefined,
  ): ModuleContext {
    const role = node.role;
    const playbookDir = this.run.playbookDir;
    const taskDir = dirname(node.loc.file);
    const secrets = this.run.opts.secrets;
    const out = this.run.out;
    return {
      host: st.name,
      conn,
      control: this.run.conns.local,
      check,
      diff,
      // modules always see the fields they read; an ungathered one is 'unknown'
      facts: moduleFacts(st.facts),
      vars,
      loc: node.loc,
      findFile(kind, name) {
        if (isAbsolute(name)) {
          if (!existsSync(name)) throw new MissingFileError(`${KIND_NAME[kind]} not found: ${name}`, { loc: node.argLocs.src ?? node.argLocs.file ?? node.loc });
          return name;
        }
        const expanded = name.replace(/^~(?=\/)/, homedir());
        if (expanded !== name) return expanded;
        const candidates = [
          ...(role ? [join(role.path, kind, name), join(role.path, name)] : []),
          join(taskDir, kind, name),
          join(taskDir, name),
          join(playbookDir, kind, name),
          join(playbookDir, name),
        ];
        for (const c of candidates) if (existsSync(c)) return c;
        throw new MissingFileError(`${KIND_NAME[kind]} '${name}' not found (searched: ${candidates.join(', ')})`, { loc: node.argLocs.src ?? node.argLocs.file ?? node.loc });
      },
      render: (text, file, opts) => this.run.templates.render(text, opts?.extra ? extendScope(vars, opts.extra) : vars, file, 0, opts?.newline),
      ansibleManaged: this.run.opts.ansibleManaged,
      evaluate: (expr) => evaluate(expr, vars),
      secret(value) {
        if (value) secrets.add(value);
      },
      progress: (msg) => out.progress(delegated ? `${st.name} -> ${delegated}` : st.name, msg),
      log: (v, msg) => out.log(v, `[${st.name}] ${msg}`),
      signal: this.run.opts.signal ?? NEVER_ABORTED,
      jobs: this.run.jobs,
    };
  }

  /** The task's channel, opened unless `open` is false (a module that opens it itself: TaskModule.opensChannel). */
  private async connFor(node: ModuleTask | SetFactTask, st: HostState, scope: Scope, vars: Vars, open = true): Promise<{ conn: Connection; delegated?: string }> {
    const delegate = scope.inherited.delegateTo;
    if (delegate !== undefined) {
      const target = String(this.run.templates.renderValue(delegate, vars, node.loc.file, yamlLocOf));
      if (target === 'localhost' || target === '127.0.0.1') return { conn: this.run.conns.local, delegated: 'localhost' };
      if (target !== st.name) {
        const c = await this.run.conns.host(target);
        if (open) await c.open();
        return { conn: c, delegated: target };
      }
    }
    return { conn: await this.run.conns.forTask(st.name, scope.inherited, open) };
  }

  async runOnHost(
    node: ModuleTask | SetFactTask,
    host: string,
    scope: Scope,
    playHosts: string[],
    info: TaskInfo,
  ): Promise<{ registered?: Record<string, unknown>; facts?: Vars; changed: boolean }> {
    const st = this.run.host(host);
    const t0 = performance.now();
    const noLog = scope.inherited.noLog ?? false;
    try {
      const baseVars = this.run.vars.playScope(host, scope.play, playHosts, node.role, scope.blockVars);
      // Loop items
      const items = this.loopItems(node, baseVars);
      if (node.kind === 'set_fact') return await this.runSetFact(node, st, scope, playHosts, info, items, t0, noLog);

      const iterations = items ?? [undefined];
      const perItem: Array<Record<string, unknown>> = [];
      let anyChanged = false;
      let anyFailed = false;
      let allSkipped = true;
      let lastMsg: string | undefined;
      for (const [i, item] of iterations.entries()) {
        this.run.checkAbort();
        if (i > 0 && node.loopPause) await new Promise((r) => setTimeout(r, node.loopPause! * 1000));
        const extra: Vars | undefined = items ? loopVars(node, items, i) : undefined;
        const vars = items ? this.run.vars.playScope(host, scope.play, playHosts, node.role, scope.blockVars, extra) : baseVars;
        const label = items ? this.itemLabel(node, vars, item) : undefined;
        const r = await this.runModuleOnce(node, st, scope, vars, info, label, item, noLog);
        if (items) perItem.push({ ...r.registered, ...extra });
        anyChanged ||= r.changed;
        anyFailed ||= r.failed;
        if (!r.skipped) allSkipped = false;
        lastMsg = r.msg;
        if (!items) {
          return this.finish(node, st, info, r.registered, r.changed, r.failed && !r.ignored, r.ignored, r.skipped);
        }
        if (r.failed && !r.ignored) {
          // Ansible continues the remaining items and fails the task at the end
        }
      }
      const registered: Record<string, unknown> = {
        changed: anyChanged,
        failed: anyFailed,
        skipped: allSkipped,
        msg: anyFailed ? 'One or more items failed' : allSkipped ? 'All items skipped' : lastMsg ?? 'All items completed',
        results: perItem,
      };
      const ignored = anyFailed && this.ignoreErrors(scope, baseVars, node);
      return this.finish(node, st, info, registered, anyChanged, anyFailed && !ignored, ignored, allSkipped, true);
    } catch (e) {
      if (this.ignoredError(node, st, scope, playHosts, info, e, t0, noLog)) return { changed: false };
      this.hostError(info, st, e, t0, noLog);
      return { changed: false };
    }
  }

  /** A task's (or an include's) loop items on a host, or undefined without a loop. */
  loopItems(node: LoopSpec, vars: Vars): unknown[] | undefined {
    if (node.loop === undefined) return undefined;
    const rendered = this.run.templates.renderValue(node.loop, vars, node.loc.file, yamlLocOf);
    const lv = node.loopWith ? this.withItems(node, rendered, vars) : rendered;
    if (!Array.isArray(lv)) throw new ParseError(`loop must evaluate to a list; got ${typeof lv}`, { loc: node.loc });
    if (lv.length > MAX_LOOP) throw new ParseError(`loop has ${lv.length} items (limit ${MAX_LOOP})`, { loc: node.loc });
    return lv;
  }

  /**
   * `with_X: terms`: lookup X run on the (rendered) terms, as Ansible's TaskExecutor does — a term that
   * is not a list is a list of one; `with_items` flattens one level, where `loop:` takes the list as it is.
   */
  private withItems(node: LoopSpec, terms: unknown, vars: Vars): unknown {
    const list = Array.isArray(terms) ? terms : [terms];
    const names = list.map((_, i) => `__bosun_term${i}`);
    const scope = extendScope(vars, Object.fromEntries(list.map((x, i) => [names[i]!, x])));
    const expr = `{{ query(${JSON.stringify(node.loopWith)}${names.map((n) => `, ${n}`).join('')}) }}`;
    return this.run.templates.renderString(expr, scope, node.loc.file, node.loc.line ?? 1);
  }

  /**
   * A task error that is the playbook's (a conditional, a template, an argument) under
   * `ignore_errors`: as in Ansible, a failed result that is ignored. Reported here; true when it was.
   */
  private ignoredError(node: ModuleTask | SetFactTask, st: HostState, scope: Scope, playHosts: string[], info: TaskInfo, e: unknown, t0: number, noLog: boolean): boolean {
    if (!(e instanceof BosunError) || e instanceof InternalError || e instanceof UnreachableError || e instanceof InterruptedError) return false;
    let ignored: boolean;
    try {
      ignored = this.ignoreErrors(scope, this.run.vars.playScope(st.name, scope.play, playHosts, node.role, scope.blockVars), node);
    } catch {
      return false;
    }
    if (!ignored) return false;
    const msg = e.oneLine();
    const registered = { failed: true, msg };
    if (node.kind === 'module' && node.register) st.hostFacts = { ...st.hostFacts, [node.register]: registered };
    countResult(st.stats, { ignored: true, skipped: false, changed: false });
    this.run.out.hostResult(info, { host: st.name, status: 'failed', msg, result: registered, ignored: true, noLog, durationMs: performance.now() - t0 });
    return true;
  }

  private ignoreErrors(scope: Scope, vars: Vars, node: TaskNode | SetFactTask): boolean {
    const ie = node.ignoreErrors ?? scope.inherited.ignoreErrors;
    if (ie === undefined) return false;
    if (typeof ie === 'boolean') return ie;
    return evalBool(ie, vars);
  }

  private finish(
    node: ModuleTask,
    st: HostState,
    info: TaskInfo,
    registered: Record<string, unknown>,
    changed: boolean,
    failed: boolean,
    ignored: boolean,
    skipped: boolean,
    aggregate = false,
  ): { registered: Record<string, unknown>; changed: boolean } {
    if (node.register) st.hostFacts = { ...st.hostFacts, [node.register]: registered };
    if (aggregate) {
      // the per-item lines were already printed; count the task once
      if (failed) failedOn(st, info, registered);
      else countResult(st.stats, { ignored, skipped, changed });
    }
    if (changed && !failed && node.notify.length) this.run.notify(st, node.notify, node);
    return { registered, changed };
  }

  private itemLabel(node: ModuleTask | SetFactTask, vars: Vars, item: unknown): string {
    if (node.loopLabel) return String(this.run.templates.renderValue(node.loopLabel, vars, node.loc.file, yamlLocOf));
    return itemLabel(item);
  }

  private async runSetFact(
    node: SetFactTask,
    st: HostState,
    scope: Scope,
    playHosts: string[],
    info: TaskInfo,
    items: unknown[] | undefined,
    t0: number,
    noLog: boolean,
  ): Promise<{ facts: Vars; changed: boolean }> {
    const all: Vars = {};
    if (node.async) throw new ModuleFailure(ASYNC_UNSUPPORTED);
    for (const i of (items ?? [undefined]).keys()) {
      const extra: Vars | undefined = items ? loopVars(node, items, i) : undefined;
      const vars = this.run.vars.playScope(st.name, scope.play, playHosts, node.role, scope.blockVars, extra);
      this.warnTemplated(scope.inherited.when);
      if (!conditionsHold(scope.inherited.when, vars, node.loc)) {
        st.stats.skipped++;
        this.run.out.hostResult(info, { host: st.name, status: 'skipped', result: { skipped: true }, noLog, durationMs: performance.now() - t0 });
        return { facts: {}, changed: false };
      }
      const facts: Vars = {};
      for (const [k, v] of Object.entries(node.facts)) {
        if (k === 'cacheable') continue;
        const value = this.run.templates.renderValue(v, vars, node.loc.file, yamlLocOf);
        // Ansible's set_fact (jinja2_native off) turns the strings true/false/yes/no, any case, into booleans
        const word = typeof value === 'string' ? value.toLowerCase() : '';
        facts[k] = word === 'true' || word === 'yes' ? true : word === 'false' || word === 'no' ? false : value;
      }
      Object.assign(all, facts);
      st.hostFacts = { ...st.hostFacts, ...facts };
      // cacheable: also a fact (ansible_facts.x, and what meta: clear_facts removes), as Ansible stores it both ways
      if (node.facts.cacheable !== undefined && truthyArg(this.run.templates.renderValue(node.facts.cacheable, vars, node.loc.file, yamlLocOf))) {
        st.facts = mergeFacts(st.facts, facts);
      }
    }
    st.stats.ok++;
    this.run.out.hostResult(info, { host: st.name, status: 'ok', result: { ansible_facts: all }, noLog, durationMs: performance.now() - t0 });
    return { facts: all, changed: false };
  }

  /** One module invocation (one loop item): when → render → validate → plan → apply, with until/retries. */
  private async runModuleOnce(
    node: ModuleTask,
    st: HostState,
    scope: Scope,
    vars: Vars,
    info: TaskInfo,
    label: string | undefined,
    item: unknown,
    noLog: boolean,
  ): Promise<{ registered: Record<string, unknown>; changed: boolean; failed: boolean; skipped: boolean; ignored: boolean; msg?: string }> {
    const t0 = performance.now();
    const report = (r: Omit<HostResult, 'host' | 'noLog' | 'durationMs' | 'itemLabel' | 'item'>) =>
      this.run.out.hostResult(info, { ...r, host: st.name, noLog, durationMs: performance.now() - t0, itemLabel: label, item: label === undefined ? undefined : item });

    this.warnTemplated(scope.inherited.when);
    if (!conditionsHold(scope.inherited.when, vars, node.loc)) {
      const registered = { changed: false, skipped: true, skip_reason: 'Conditional result was False' };
      if (label === undefined) st.stats.skipped++;
      report({ status: 'skipped', result: registered });
      return { registered, changed: false, failed: false, skipped: true, ignored: false };
    }
    if (node.argError) throw node.argError;
    const mod = await getModule(node.module);
    const args = resolveArgs(mod, node, vars, this.run.templates);
    for (const [k, spec] of Object.entries(mod.args)) {
      if (spec.secret && typeof args[k] === 'string' && args[k]) this.run.opts.secrets.add(args[k] as string);
    }
    const check = scope.inherited.checkMode ?? this.run.opts.check;
    const diff = (scope.inherited.diff ?? true) && this.run.opts.diff;
    const asyncSec = node.async === undefined ? 0 : this.seconds(node, 'async', vars);
    // an async job runs on a connection of its own (runAsync): the host's channel is not opened for it
    const target = mod.runsOn === 'control' ? { conn: this.run.conns.local as Connection, delegated: undefined } : await this.connFor(node, st, scope, vars, !mod.opensChannel && asyncSec === 0);
    const delegated = target.delegated;
    const env = scope.inherited.environment ? (this.run.templates.renderValue(scope.inherited.environment, vars, node.loc.file, yamlLocOf) as Vars) : undefined;
    const conn = env && Object.keys(env).length ? withEnvironment(target.conn, env) : target.conn;
    // waiting for the world to change: what was fetched before the wait may be stale after it
    if (mod.waits) this.run.probeCache.invalidate();
    const onChannel = mod.runsOn !== 'control' && delegated === undefined;
    const ahead = onChannel
      ? () =>
          upcoming(st.name, scope, this.run.frames, {
            check: this.run.opts.check,
            diff: this.run.opts.diff,
            selected: (tags) => tagsSelected(tags, this.run.opts),
            vars: (h, sc, playHosts, role, blockVars) => this.run.vars.playScope(h, sc.play, playHosts, role, blockVars),
            args: (mod, n, vars) => resolveArgs(mod, n, vars, this.run.templates, false),
            facts: () => moduleFacts(st.facts),
            beyond: () => this.run.beyond(st.name),
          })
      : undefined;
    // reads are answered ahead only on the channel itself (an environment wrapper changes the request)
    const observed = this.run.probeCache.observe(conn, ahead && conn === target.conn ? { channel: target.conn, upcoming: ahead } : undefined);
    const ctx = this.ctxFor(node, st, observed, vars, check, diff, delegated);
    if (ahead) ctx.probe = (path, opts) => this.run.probeCache.probe(target.conn, path, opts, ahead);

    let attempts = 0;
    // Ansible: retries + 1 attempts (retries <= 0: one)
    const maxAttempts = node.until ? (node.retries > 0 ? node.retries + 1 : 1) : 1;
    let registered: Record<string, unknown> = {};
    let changed = false;
    let failed = false;
    let skippedCheck = false;
    let checkOnly = false;
    let msg: string | undefined;
    let diffs: DiffEntry[] | undefined;
    for (;;) {
      attempts++;
      let outcome: Outcome;
      try {
        if (asyncSec > 0) {
          outcome = await this.runAsync(node, mod, st, scope, vars, args, { check, diff, asyncSec, delegated, env });
          skippedCheck = checkOnly = false;
        } else {
          // whatever apply did (also without a request: files the control node wrote) outdates fetched states
          const r = await planAndApply(mod, ctx, args, { changing: () => this.run.probeCache.invalidate() });
          outcome = r.outcome;
          // a module may decide it has nothing to do at all (debug below its verbosity): a skip
          skippedCheck = r.checkSkipped || outcome.result?.skipped === true;
          checkOnly = r.checkSkipped;
        }
      } catch (e) {
        if (e instanceof ModuleFailure) outcome = { changed: false, failed: true, msg: e.message, result: e.result };
        else if (e instanceof TimeoutError) outcome = { changed: false, failed: true, msg: e.message };
        else throw e;
      }
      changed = outcome.changed;
      failed = outcome.failed ?? false;
      msg = outcome.msg;
      diffs = outcome.diff;
      registered = { ...(outcome.result ?? {}), changed, failed, ...(msg !== undefined ? { msg } : {}) };
      if (skippedCheck) registered.skipped = true;
      // changed_when/failed_when/until see the result under its register name, and its keys directly (Ansible semantics)
      // built only for a task that has conditions: a copy of the whole scope per task and host otherwise
      let evalScope: Vars | undefined;
      const evalVars = (): Vars => (evalScope ??= extendScope(vars, { ...registered, ...(node.register ? { [node.register]: registered } : {}) }));
      this.warnTemplated([...(node.changedWhen ?? []), ...(node.failedWhen ?? []), ...(node.until ?? [])]);
      try {
        if (node.changedWhen && !skippedCheck) {
          changed = node.changedWhen.every((c) => evalBool(c, evalVars()));
          registered.changed = changed;
        }
        if (node.failedWhen && !skippedCheck) {
          // a list means all of them, as `when:` (Ansible 2.14; checked by the differential suite)
          failed = node.failedWhen.every((c) => evalBool(c, evalVars()));
          registered.failed = failed;
          if (!failed) delete registered.msg;
          if (failed && !msg) msg = 'failed_when condition was true';
        }
      } catch (e) {
        throw withLoc(e, node.loc);
      }
      if (!node.until || skippedCheck) break;
      // the condition sees this attempt's number (`until: r.attempts >= 3`)
      registered.attempts = attempts;
      const ok = node.until.every((c) => evalBool(c, extendScope(vars, { ...registered, ...(node.register ? { [node.register]: registered } : {}) })));
      if (ok) break;
      if (attempts >= maxAttempts) {
        failed = true;
        registered.failed = true;
        // Ansible 2.14 reports one attempt fewer once they are used up (TaskExecutor: attempts = retries - 1)
        if (maxAttempts > 1) registered.attempts = maxAttempts - 1;
        msg = `retries exhausted (${node.retries}) waiting for: ${node.until.join(' and ')}${msg ? `; last: ${msg}` : ''}`;
        registered.msg = msg;
        break;
      }
      if (this.run.out.retry) this.run.out.retry(info, st.name, maxAttempts - attempts);
      else this.run.out.progress(st.name, `retrying (${attempts}/${node.retries}) ${info.title}`);
      await new Promise((r) => setTimeout(r, node.delay * 1000));
      // a retry waits for something else to change the host: nothing fetched before may be reused
      this.run.probeCache.invalidate();
    }
    const ignored = failed && this.ignoreErrors(scope, vars, node);
    if (!failed && node.module === 'include_vars') st.includeVars = { ...st.includeVars, ...(registered.ansible_facts as Vars) };
    else if (!failed) mergeResultFacts(st, registered.ansible_facts);
    if (!failed && (registered.add_host !== undefined || registered.add_group !== undefined)) this.run.changeInventory(st.name, registered);
    if (label === undefined) {
      if (failed && !ignored) failedOn(st, info, registered);
      else countResult(st.stats, { ignored: failed && ignored, skipped: skippedCheck, changed });
    }
    report({
      status: failed ? 'failed' : skippedCheck ? 'skipped' : changed ? 'changed' : 'ok',
      msg,
      result: registered,
      // `diff: false` on the task (or no --diff) means no diff at all, not just none printed
      diff: diff ? diffs : undefined,
      ignored,
      checkSkipped: checkOnly,
      delegatedTo: delegated,
      show: node.module === 'debug' || node.module === 'assert',
    });
    return { registered, changed, failed, skipped: skippedCheck, ignored, msg };
  }

  /** `async:`/`poll:` seconds on a host: written, or rendered from a template. */
  private seconds(node: ModuleTask, key: 'async' | 'poll', vars: Vars): number {
    const v = node[key];
    if (typeof v === 'number') return v;
    const r = String(this.run.templates.renderValue(v, vars, node.loc.file, yamlLocOf)).trim();
    if (!/^\d+$/.test(r)) throw new ParseError(`${key} must be a whole number of seconds (0 or more); got ${JSON.stringify(r)}`, { loc: node.loc });
    return Number(r);
  }

  /**
   * An `async:` task (async-jobs.ts): its module runs as a job on a connection of its own; `poll: 0`
   * registers the job at once, `poll` > 0 waits for it (up to the deadline). Ansible 2.14's refusals
   * come first: a module whose action does not support async, then check mode.
   */
  private async runAsync(
    node: ModuleTask,
    mod: Awaited<ReturnType<typeof getModule>>,
    st: HostState,
    scope: Scope,
    vars: Vars,
    args: Record<string, unknown>,
    o: { check: boolean; diff: boolean; asyncSec: number; delegated?: string; env?: Vars },
  ): Promise<Outcome> {
    if (NO_ASYNC.has(mod.name) || mod.runsOn === 'control' || mod.opensChannel) return { changed: false, failed: true, msg: ASYNC_UNSUPPORTED };
    if (o.check) return { changed: false, failed: true, msg: ASYNC_CHECK_MODE };
    const poll = node.poll === undefined ? DEFAULT_POLL : this.seconds(node, 'poll', vars);
    const jc = await this.run.conns.spare(o.delegated ?? st.name, scope.inherited, o.delegated === 'localhost' ? true : undefined);
    const conn = o.env && Object.keys(o.env).length ? withEnvironment(jc.conn, o.env) : jc.conn;
    const ctx = this.ctxFor(node, st, conn, vars, false, o.diff, o.delegated);
    // the job changes the host while other tasks run: nothing fetched ahead is trusted past its start or its end
    const invalidate = () => this.run.probeCache.invalidate();
    invalidate();
    const jobs = this.run.jobs;
    const jid = jobs.start(st.name, o.asyncSec, jc, async () => registeredOf((await planAndApply(mod, ctx, args, { changing: invalidate })).outcome), invalidate);
    if (poll === 0) return launchedResult(jobs, jid);
    const { result, timedOut } = await jobs.wait(jid);
    // as Ansible's poll: a finished job's status is cleaned up after it is read
    jobs.forget(st.name, jid);
    return polledOutcome(jobs, jid, result, o.asyncSec, timedOut);
  }
}

export function conditionsHold(when: readonly Condition[], vars: Vars, loc?: SourceLocation): boolean {
  for (const c of when) {
    try {
      if (!evalBool(c, vars)) return false;
    } catch (e) {
      throw withLoc(e, loc);
    }
  }
  return true;
}

export function withLoc(e: unknown, loc?: SourceLocation): unknown {
  if (e instanceof BosunError && !e.loc && loc) {
    const Ctor = e.constructor as new (m: string, o: { loc?: SourceLocation; hint?: string; cause?: unknown }) => BosunError;
    return new Ctor(e.message, { loc, hint: e.hint, cause: e });
  }
  return e;
}


/** A boolean argument as Ansible reads it (true/yes/on/1). */
function truthyArg(v: unknown): boolean {
  return v === true || v === 1 || (typeof v === 'string' && /^(true|yes|on|1)$/i.test(v.trim()));
}

/**
 * A module's returned `ansible_facts` (setup, and any module that returns facts) become the host's
 * facts, merged over what it had: Ansible's set_host_facts. Names lose their `ansible_` prefix
 * (ansible_facts holds them without it).
 */
function mergeResultFacts(st: HostState, facts: unknown): void {
  if (isPlainObject(facts)) st.facts = mergeFacts(st.facts, facts);
}

/** A result that did not fail the host, counted as ansible's stats do: `ok` includes changed and ignored results. */
/** A host's task failed: counted, and kept for a `rescue:` (ansible_failed_result, ansible_failed_task). */
function failedOn(st: HostState, info: TaskInfo, result: Record<string, unknown>): void {
  st.failed = true;
  st.stats.failed++;
  st.lastFailure = { result, task: { name: info.name, action: info.module ?? '' } };
}

function countResult(s: HostStats, r: { ignored: boolean; skipped: boolean; changed: boolean }): void {
  if (r.skipped && !r.ignored) {
    s.skipped++;
    return;
  }
  s.ok++;
  if (r.ignored) s.ignored++;
  if (r.changed) s.changed++;
}

/**
 * The variables one loop item adds, as Ansible 2.14's TaskExecutor sets them (and copies into the item's
 * registered result): the loop variable, `ansible_loop_var`, loop_control.index_var with
 * `ansible_index_var`, and with loop_control.extended `ansible_loop`.
 */
/** What a loop needs of its task: the loop, how items are named, where it is written. */
export type LoopSpec = Pick<ModuleTask, 'loop' | 'loopWith' | 'loopVar' | 'loopIndexVar' | 'loopExtended' | 'loc'>;

/** An item as the `(item=…)` label shows it when loop_control.label does not say. */
export function itemLabel(item: unknown): string {
  return typeof item === 'string' || typeof item === 'number' ? String(item) : JSON.stringify(item);
}

export function loopVars(node: Pick<ModuleTask, 'loopVar' | 'loopIndexVar' | 'loopExtended'>, items: unknown[], i: number): Vars {
  const v: Vars = { [node.loopVar]: items[i], ansible_loop_var: node.loopVar };
  if (node.loopIndexVar) {
    v[node.loopIndexVar] = i;
    v.ansible_index_var = node.loopIndexVar;
  }
  if (node.loopExtended) {
    const n = items.length;
    const loop: Vars = { allitems: items, index: i + 1, index0: i, revindex: n - i, revindex0: n - i - 1, first: i === 0, last: i === n - 1, length: n };
    if (i > 0) loop.previtem = items[i - 1];
    if (i < n - 1) loop.nextitem = items[i + 1];
    v.ansible_loop = loop;
  }
  return v;
}
