// The play runner: Ansible's linear strategy. Each task runs on every active host in parallel
// (p-limit, --forks), then the next task starts. Failed hosts leave the play; unreachable hosts
// leave the run. Handlers run at the end of each section (or at meta: flush_handlers) on the hosts
// whose notifying task changed.
import pLimit from 'p-limit';
import type { BlockTask, IncludeSpec, LateInclude, MetaTask, ModuleTask, Play, Playbook, RoleInfo, SetFactTask, TaskNode } from '../ast.js';
import type { Inventory } from '../loaders/inventory.js';
import type { HostStats, Reporter, RunSummary, TaskInfo } from './report.js';
import { AsyncJobs } from './async-jobs.js';
import { Connections } from './connections.js';
import { getModule } from '../modules/index.js';
import { buildScope, dataLayer } from './vars.js';
import { childScope, tagsSelected, Variables, type Scope } from './scope.js';
import { TemplateEngine } from './template.js';
import { gatherFacts, prefixedFacts } from './facts.js';
import { ProbeCache, type LookaheadFrame } from './prefetch.js';
import type { Prestart } from './prestart.js';
import { selectPlayHosts, serialBatches } from './hosts.js';
import { emptyStats, type HostState, type RunOptions } from './state.js';
import { conditionsHold, TaskStep } from './task.js';
import { includedHandler, includeFailed, includeGroups, type IncludeCtx, type IncludeGroup } from './include.js';
import { startAtMatches } from './static-check.js';
import { checkNotify } from '../loaders/tasks.js';
import { InterruptedError, ParseError } from '../errors.js';

// The run's options and the reporter contract used to live here; importers of this path keep working.
export type { RunOptions } from './state.js';
export type { HostResult, HostStats, HostStatus, Reporter, RunSummary, TaskInfo } from './report.js';

export class Runner {
  readonly templates = new TemplateEngine();
  private readonly hosts = new Map<string, HostState>();
  private readonly vars: Variables;
  private readonly conns: Connections;
  private startAtReached: boolean;
  private readonly allHandlers: TaskNode[] = [];
  /** File states fetched ahead (prefetch.ts), and where the lockstep walk is (what comes next). */
  private readonly probeCache = new ProbeCache();
  /** `async:` jobs of the run (async-jobs.ts). */
  private readonly jobs = new AsyncJobs();
  private readonly frames: LookaheadFrame[] = [];
  /** The section of the current play whose tasks run now (-1: none; the look-ahead's beyond()). */
  private sectionAt = -1;
  /** One task on one host (task.ts). */
  private readonly step: TaskStep;

  constructor(
    private readonly playbook: Playbook,
    private readonly inventory: Inventory,
    private readonly opts: RunOptions,
    private readonly out: Reporter,
  ) {
    this.conns = new Connections(inventory, { connect: opts.connect, trace: opts.verbosity >= 3 ? (l) => this.trace(l) : undefined });
    this.startAtReached = !opts.startAtTask;
    this.vars = new Variables(playbook, inventory, opts, this.templates, (h) => this.host(h), (hosts) => this.active(hosts), () => this.playLists);
    const runner = this;
    this.step = new TaskStep({
      opts,
      // read at each use: the reporter may be swapped after construction (tests do)
      get out() {
        return runner.out;
      },
      templates: this.templates,
      vars: this.vars,
      conns: this.conns,
      jobs: this.jobs,
      probeCache: this.probeCache,
      frames: this.frames,
      beyond: (h) => this.beyond(h),
      playbookDir: playbook.dir,
      host: (h) => this.host(h),
      notify: (st, names, node) => this.notify(st, names, node),
      checkAbort: () => this.checkAbort(),
      changeInventory: (h, r) => this.changeInventory(h, r),
    });
  }

  /** add_host / group_by results change the inventory for the rest of the run (Ansible's strategy does it with the result). */
  private changeInventory(host: string, r: Record<string, unknown>): void {
    const add = r.add_host as { host_name?: unknown; groups?: unknown; host_vars?: unknown } | undefined;
    if (add && typeof add.host_name === 'string') {
      const groups = Array.isArray(add.groups) ? add.groups.map(String) : [];
      const vars = add.host_vars && typeof add.host_vars === 'object' ? (add.host_vars as Record<string, unknown>) : {};
      this.inventory.addRuntimeHost(add.host_name, groups, vars);
    }
    if (typeof r.add_group === 'string') {
      const parents = Array.isArray(r.parent_groups) ? r.parent_groups.map(String) : [];
      this.inventory.addRuntimeGroup(r.add_group, parents, host);
    }
  }

  /** -vvv request trace; silent while a no_log task runs (its command lines and stdin may hold secrets). */
  private traceMuted = false;
  private trace(line: string): void {
    if (!this.traceMuted) this.out.log(3, line);
  }

  private host(name: string): HostState {
    let h = this.hosts.get(name);
    if (!h) {
      h = { name, hostFacts: {}, includeVars: {}, stats: emptyStats(), failed: false, unreachable: false, ended: false, notified: new Set() };
      this.hosts.set(name, h);
    }
    return h;
  }

  private checkAbort(): void {
    if (this.opts.signal?.aborted) throw new InterruptedError('interrupted');
  }

  /** Hosts of a play, after --limit. */
  playHosts(play: Play): string[] {
    return selectPlayHosts(play, this.inventory, this.templates, this.opts.extraVars, this.opts.limit);
  }

  /** Channels started before the run (prestart.ts): each host's is taken over by the first play that uses it. */
  adopt(prestart: Prestart | undefined): void {
    this.conns.adopt(prestart);
  }

  /** Closes every channel, prestarted ones included (run() does it at its end). */
  async close(): Promise<void> {
    await this.conns.close();
  }

  async run(): Promise<RunSummary> {
    const t0 = performance.now();
    try {
      for (const play of this.playbook.plays) {
        this.checkAbort();
        // As ansible-playbook: a play whose whole batch failed (or that exceeded max_fail_percentage)
        // ends the run — a failed preflight play must stop the plays after it.
        if (await this.runPlay(play)) break;
      }
      // a job cannot outlive the process that runs it: the run waits for jobs nobody waited for
      // (each ends by its deadline at the latest); an interrupted run closes their connections instead
      if (this.jobs.pending) {
        this.out.warn(`waiting for ${this.jobs.pending} async job(s) still running (each ends by its async deadline at the latest)`);
        await this.jobs.settle();
      }
    } finally {
      await this.close();
    }
    let exitCode = 0;
    const stats = new Map<string, HostStats>();
    const { requests, processes } = this.conns.totals();
    for (const h of this.hosts.values()) {
      // as Ansible's recap (its stats' `processed`): a host for which no task gave a result (--tags
      // selected nothing there) has no line
      const s = h.stats;
      if (s.ok + s.changed + s.unreachable + s.failed + s.skipped + s.rescued + s.ignored > 0) stats.set(h.name, s);
      if (h.stats.failed > 0 && exitCode === 0) exitCode = 2;
    }
    if (exitCode === 0 && [...this.hosts.values()].some((h) => h.stats.unreachable > 0)) exitCode = 4; // ansible-playbook 2.14: RUN_UNREACHABLE_HOSTS
    if ([...this.hosts.values()].some((h) => h.stats.failed > 0)) exitCode = 2;
    const summary: RunSummary = { exitCode, durationMs: performance.now() - t0, requests, processes, hosts: this.hosts.size };
    this.out.recap(stats, summary);
    return summary;
  }

  // ------------------------------------------------------------------ plays

  /** Runs one play; true when the run must stop (every host of a batch failed, or max_fail_percentage). */
  private async runPlay(play: Play): Promise<boolean> {
    // As in Ansible, a host that failed (unrescued) or became unreachable is out for the rest of the run.
    const all = this.playHosts(play).filter((h) => !this.host(h).unreachable && !this.host(h).failed);
    this.playLists = {};
    this.currentPlay = play;
    this.sectionAt = -1;
    this.rolesDone.clear();
    this.includedHandlers.clear();
    this.conns.playLocal = play.connection === 'local';
    this.out.playStart(this.templatedPlay(play), all);
    if (all.length === 0) {
      if (this.out.noHosts) this.out.noHosts(play);
      else this.out.warn(`no hosts matched for play '${play.name}' (pattern '${play.hosts}')`);
      return false;
    }
    for (const h of all) {
      const st = this.host(h);
      st.ended = false;
      st.notified.clear();
    }
    this.allHandlers.length = 0;
    this.allHandlers.push(...play.handlers);
    const batches = this.batches(play, all);
    this.playEnded = false;
    const patternOrder = play.order && play.order !== 'inventory' ? this.playHosts({ ...play, order: undefined }).filter((h) => all.includes(h)) : all;
    for (const batch of batches) {
      this.checkAbort();
      if (this.playEnded) break;
      this.playLists = { all: patternOrder, batch };
      await this.runBatch(play, batch, all);
      const failed = batch.filter((h) => this.host(h).failed || this.host(h).unreachable).length;
      if (play.maxFailPercentage !== undefined && (failed * 100) / batch.length > play.maxFailPercentage) {
        this.out.warn(`max_fail_percentage ${play.maxFailPercentage}% exceeded (${failed}/${batch.length} hosts failed); ending the run`);
        return true;
      }
      if (failed === batch.length) {
        if (batches.length > 1) this.out.warn('every host of a serial batch failed; ending the run');
        return true;
      }
    }
    return false;
  }

  /** Play names may use play vars and extra vars (`Remove {{ member }}`); an undefined one leaves the raw name. */
  private templatedPlay(play: Play): Play {
    if (!this.templates.hasTemplate(play.name)) return play;
    try {
      const v = buildScope([play.vars, this.opts.extraVars], {}, this.templates);
      return { ...play, name: String(this.templates.renderString(play.name, v, play.loc.file, play.loc.line ?? 1)) };
    } catch {
      return play;
    }
  }

  private batches(play: Play, hosts: string[]): string[][] {
    return serialBatches(play, hosts);
  }

  /** A play's outermost scope: its keywords, inherited by every task. */
  private rootScope(play: Play): Scope {
    return {
      play,
      blockVars: [],
      inherited: { tags: play.tags, when: [], environment: play.environment, become: play.become, becomeUser: play.becomeUser, checkMode: play.checkMode, diff: play.diff },
      handler: false,
    };
  }

  /**
   * The task lists after the section running now, for the look-ahead on `host` (prefetch.ts): the
   * play's later sections, then the later plays that run on the same channel. It ends where
   * something between could change the host that the look-ahead cannot see: a handler notified on
   * it, serial batches, a play that leaves it out (the others would run first), another connection.
   */
  private beyond(host: string): LookaheadFrame[] {
    const play = this.currentPlay;
    if (!play || this.sectionAt < 0 || this.host(host).notified.size > 0 || play.serial) return [];
    const out: LookaheadFrame[] = [];
    const add = (p: Play, from: number, playHosts: string[]) => {
      const scope = this.rootScope(p);
      for (const section of p.sections.slice(from)) out.push({ tasks: section.tasks, index: -1, scope, playHosts });
    };
    add(play, this.sectionAt + 1, this.frames[0]?.playHosts ?? []);
    for (const next of this.playbook.plays.slice(this.playbook.plays.indexOf(play) + 1)) {
      if (next.serial || next.connection !== play.connection || Object.keys(next.vars).some((k) => k.startsWith('ansible_'))) break;
      let hosts: string[];
      try {
        hosts = this.playHosts(next).filter((h) => !this.host(h).unreachable && !this.host(h).failed);
      } catch {
        break; // a hosts: pattern not knowable yet
      }
      if (!hosts.includes(host)) break;
      add(next, 0, hosts);
    }
    return out;
  }

  private async runBatch(play: Play, batch: string[], playHosts: string[]): Promise<void> {
    const scope = this.rootScope(play);
    // Connect (and gather facts) on every host in parallel: the channel's first request.
    await this.connectAll(play, batch);
    // Ansible flushes handlers after pre_tasks, after roles + tasks (one section), and after post_tasks.
    for (const [i, section] of play.sections.entries()) {
      this.checkAbort();
      this.sectionAt = i;
      await this.runTasks(section.tasks, batch, scope, playHosts);
      const next = play.sections[i + 1];
      if (!(section.name === 'roles' && next?.name === 'tasks')) await this.flushHandlers(play, batch, scope, playHosts);
      if (this.active(batch).length === 0) break;
    }
    if (play.forceHandlers ?? this.opts.forceHandlers) {
      // force_handlers: what was notified on a host that failed afterwards still runs there, once
      const failed = batch.filter((h) => this.host(h).failed && !this.host(h).unreachable && this.host(h).notified.size > 0);
      for (const h of failed) this.host(h).failed = false;
      try {
        await this.flushHandlers(play, failed, scope, playHosts);
      } finally {
        for (const h of failed) if (!this.host(h).unreachable) this.host(h).failed = true;
      }
    }
  }

  private active(hosts: string[]): string[] {
    return hosts.filter((h) => {
      const s = this.host(h);
      return !s.failed && !s.unreachable && !s.ended;
    });
  }

  private async connectAll(play: Play, batch: string[]): Promise<void> {
    const need = batch.filter((h) => !this.host(h).unreachable);
    if (!play.gatherFacts) {
      for (const h of need) await this.conns.host(h);
      // a prestarted channel that failed to open reports at its first request, as any other
      for (const h of need) this.conns.takeWarm(h);
      return;
    }
    const info: TaskInfo = { name: 'Gathering Facts', title: 'Gathering Facts', kind: 'facts', tags: ['always'] };
    this.out.taskStart(info);
    // the facts arrive after the ssh handshakes: the control node's one-time set-ups fit in the wait
    setImmediate(() => void this.warmModules(play).catch(() => {}));
    const limit = pLimit(this.opts.forks);
    await Promise.all(
      need.map((h) =>
        limit(async () => {
          const st = this.host(h);
          const t0 = performance.now();
          try {
            const conn = await this.conns.host(h);
            const warm = this.conns.takeWarm(h);
            if (warm) {
              const f = await warm.ready;
              st.facts ??= f;
            }
            // The fact probe opens the channel itself: it travels with the bootstrap (one round trip).
            if (!st.facts) st.facts = await gatherFacts(conn, play.gatherSubset);
            else await conn.open();
            st.stats.ok++;
            // the facts as `setup` returns them, made only when a reporter reads them (ad-hoc -m setup,
            // --output json); the console prints none of them
            const gathered = st.facts;
            let facts: Record<string, unknown> | undefined;
            const result: Record<string, unknown> = {};
            Object.defineProperty(result, 'ansible_facts', { enumerable: true, configurable: true, get: () => (facts ??= prefixedFacts(gathered)) });
            result.changed = false;
            this.out.hostResult(info, { host: h, status: 'ok', result, noLog: false, durationMs: performance.now() - t0 });
          } catch (e) {
            this.step.hostError(info, st, e, t0, false);
          }
        }),
      ),
    );
  }

  /** The current play's hosts in the pattern's order and the current batch (magic variables, scope.ts). */
  private playLists: { all?: string[]; batch?: string[] } = {};
  private readonly warmed = new Set<string>();
  /** meta: end_play ran: the play's later batches do not start. */
  private playEnded = false;
  /** The play running (an included role made public joins its roles). */
  private currentPlay?: Play;
  /** Per role key (RoleLoader's roleKey), the hosts that completed that role in this play (Ansible's Role._completed). */
  private readonly rolesDone = new Map<string, Set<string>>();
  /** Per included role instance (its key), the handlers it added to the play. */
  private readonly includedHandlers = new Map<string, BlockTask[]>();
  /** Templated includes' loaded nodes already checked (runner.loadLate). */
  private readonly lateChecked = new WeakSet<BlockTask>();

  /** Runs warm() of every module the play uses, once per run. */
  private async warmModules(play: Play): Promise<void> {
    const names = new Set<string>();
    const walk = (nodes: TaskNode[]): void => {
      for (const n of nodes) {
        if (n.kind === 'module') names.add(n.module);
        else if (n.kind === 'block') walk([...n.block, ...n.rescue, ...n.always]);
      }
    };
    for (const s of play.sections) walk(s.tasks);
    walk(play.handlers);
    for (const name of names) {
      if (this.warmed.has(name)) continue;
      this.warmed.add(name);
      (await getModule(name)).warm?.();
    }
  }

  // ------------------------------------------------------------------ variables

  // ------------------------------------------------------------------ task lists

  /** Runs a task list on hosts in lockstep; returns nothing (state lives on HostState). */
  private async runTasks(tasks: TaskNode[], hosts: string[], scope: Scope, playHosts: string[]): Promise<void> {
    const frame = { tasks, index: 0, scope, playHosts };
    this.frames.push(frame);
    try {
      for (const [i, task] of tasks.entries()) {
        frame.index = i;
        this.checkAbort();
        if (this.active(hosts).length === 0) return;
        await this.runNode(task, hosts, scope, playHosts);
      }
    } finally {
      this.frames.pop();
    }
  }

  private async runNode(node: TaskNode, hosts: string[], scope: Scope, playHosts: string[]): Promise<void> {
    if (node.kind === 'block') return this.runBlock(node, hosts, scope, playHosts);
    const inner = childScope(scope, node);
    if (!scope.handler && !tagsSelected(inner.inherited.tags, this.opts)) return;
    if (!this.startAtReached) {
      const title = this.title(node);
      if (!startAtMatches(this.opts.startAtTask!, title.name, title.title)) return;
      this.startAtReached = true;
    }
    if (node.kind === 'meta') return this.runMeta(node, hosts, inner, playHosts);
    return this.runLeaf(node, hosts, inner, playHosts);
  }

  private async runBlock(node: BlockTask, hosts: string[], scope: Scope, playHosts: string[]): Promise<void> {
    if (node.include) return this.runInclude(node, node.include, hosts, scope, playHosts);
    const inner = childScope(scope, node);
    await this.withRoleRun(node.roleRun, this.active(hosts), async (active) => {
      if (node.throttle && node.throttle > 0) {
        // Whole block N hosts at a time (rolling restarts): each group runs the block to the end before the next starts.
        for (let i = 0; i < active.length; i += node.throttle) {
          const group = active.slice(i, i + node.throttle);
          await this.runBlockBody(node, group, { ...inner, inherited: { ...inner.inherited } }, playHosts);
        }
        return;
      }
      await this.runBlockBody(node, active, inner, playHosts);
    });
  }

  /**
   * A role's block as Ansible 2.14 runs it: without allow_duplicates, hosts that completed the same role
   * (same key) skip it silently; a host completes it when a task of it ran there (not skipped) and it
   * reached the end (Ansible's implicit `meta: role_complete`).
   */
  private async withRoleRun(run: BlockTask['roleRun'], hosts: string[], body: (hosts: string[]) => Promise<void>): Promise<void> {
    if (!run) return body(hosts);
    let done = this.rolesDone.get(run.key);
    if (!done) this.rolesDone.set(run.key, (done = new Set()));
    const todo = run.allowDuplicates ? hosts : hosts.filter((h) => !done.has(h));
    if (!todo.length) return;
    const ran = (h: string): number => {
      const s = this.host(h).stats;
      return s.ok + s.changed + s.failed + s.rescued + s.ignored;
    };
    const before = new Map(todo.map((h) => [h, ran(h)]));
    await body(todo);
    for (const h of this.active(todo)) if (ran(h) > before.get(h)!) done.add(h);
  }

  private async runBlockBody(node: BlockTask, hosts: string[], scope: Scope, playHosts: string[]): Promise<void> {
    const before = new Set(hosts.filter((h) => !this.host(h).failed));
    await this.runTasks(node.block, hosts, node.rescue.length ? { ...scope, rescuable: true } : scope, playHosts);
    const failedHere = [...before].filter((h) => this.host(h).failed && !this.host(h).unreachable);
    if (node.rescue.length && failedHere.length) {
      for (const h of failedHere) {
        const st = this.host(h);
        st.failed = false;
        st.stats.rescued++;
        // the failure was handled: it does not count as a failed host in the recap
        st.stats.failed = Math.max(0, st.stats.failed - 1);
        // what failed, for the rescue tasks (and after: Ansible sets them as host facts); data, never rendered
        if (st.lastFailure) st.hostFacts = { ...st.hostFacts, ansible_failed_result: st.lastFailure.result, ansible_failed_task: st.lastFailure.task };
      }
      await this.runTasks(node.rescue, failedHere, scope, playHosts);
    }
    if (node.always.length) {
      const alwaysHosts = [...before].filter((h) => !this.host(h).unreachable && !this.host(h).ended);
      const failedBefore = alwaysHosts.filter((h) => this.host(h).failed);
      for (const h of failedBefore) this.host(h).failed = false;
      await this.runTasks(node.always, alwaysHosts, scope, playHosts);
      for (const h of failedBefore) this.host(h).failed = true;
    }
  }

  /**
   * include_tasks and include_role, as Ansible 2.14's linear strategy runs them: a task of its own (banner;
   * `skipping:` where its `when` is false, per item in a loop), then the file's or role's tasks for the
   * hosts that include it, item after item, with the item's variables and `apply:`'s keywords. Its tags
   * select the include itself; the included tasks have their own. include_tasks prints one
   * `included: FILE for HOSTS` line per distinct item (each an `ok` of every host it names); include_role
   * prints nothing more and counts nothing itself. An included role's defaults and vars are its tasks'
   * (the play's too from then on with `public: true`).
   */
  private async runInclude(node: BlockTask, inc: IncludeSpec, hosts: string[], scope: Scope, playHosts: string[]): Promise<void> {
    if (!scope.handler && !tagsSelected([...scope.inherited.tags, ...inc.tags], this.opts)) return;
    const role = inc.role;
    const inner = role ? this.roleScope(childScope(scope, node), role.visible) : childScope(scope, node);
    if (!this.startAtReached) {
      // --start-at-task: an include is not a place to start; the search goes on inside it
      return this.runBlockBody(node, this.active(hosts), inner, playHosts);
    }
    const active = this.active(hosts);
    if (!active.length) return;
    const action = role ? 'include_role' : 'include_tasks';
    const name = node.name ?? (role ? `include_role : ${role.name}` : 'include_tasks');
    // Ansible's IncludeRole.get_name: no `role : ` prefix, even inside a role
    const info: TaskInfo = { name, title: node.role && !role ? `${node.role.name} : ${name}` : name, loc: node.loc, kind: scope.handler ? 'handler' : 'task', module: action, tags: [...scope.inherited.tags, ...inc.tags] };
    this.out.taskStart(info);
    const ictx = { vars: this.vars, step: this.step, templates: this.templates, out: this.out, host: (h: string) => this.host(h) };
    const groups = includeGroups(ictx, node, inc, active, scope, playHosts, info);
    // each group's include: the node itself, or for a templated one what its rendered names load (in
    // turn, as Ansible loads each included file: its `included:` line, or the failure of its hosts)
    const included: Array<{ g: IncludeGroup; node: BlockTask }> = [];
    for (const g of groups) {
      const gnode = inc.late ? await this.loadLate(inc.late, g, ictx, info) : node;
      if (!gnode) continue;
      included.push({ g, node: gnode });
      const ginc = gnode.include!;
      const grole = ginc.role;
      if (!grole) {
        for (const h of g.hosts) this.host(h).stats.ok++;
        if (this.out.included) this.out.included(info, ginc.file, g.hosts, g.label);
        else for (const h of g.hosts) this.out.hostResult(info, { host: h, status: 'ok', result: { changed: false, include: ginc.file }, itemLabel: g.label, noLog: false, durationMs: 0 });
        continue;
      }
      if (grole.public) {
        // Ansible adds a public included role to the play's roles as it loads it: every later task sees its vars
        const play = this.currentPlay!;
        for (const r of grole.visible) if (!play.roles.includes(r)) play.roles.push(r);
      }
      // the role's handlers join the play under the include (apply's keywords and the include's vars reach
      // them); one set per role instance (same key: the same handlers, moved under the latest include), and a
      // notify by name reaches the last one added (Ansible 2.14)
      const key = `${gnode.roleRun?.key ?? gnode.loc.file}${g.key}`;
      const have = this.includedHandlers.get(key);
      if (have) for (const [i, h] of (gnode.handlers ?? []).entries()) Object.assign(have[i]!, includedHandler(h, gnode));
      else {
        const hs = (gnode.handlers ?? []).map((h) => includedHandler(h, gnode));
        this.includedHandlers.set(key, hs);
        this.allHandlers.push(...hs);
      }
    }
    for (const { g, node: gnode } of included) {
      this.checkAbort();
      const hostsNow = this.active(g.hosts);
      if (!hostsNow.length) continue;
      const ginner = gnode === node ? inner : gnode.include!.role ? this.roleScope(childScope(scope, gnode), gnode.include!.role.visible) : childScope(scope, gnode);
      // the item's variables are data (a value from a loop), never rendered again
      const itemScope = g.extra ? { ...ginner, blockVars: [...ginner.blockVars, dataLayer({ ...g.extra })] } : ginner;
      // an included role is the same role again only with the same variables (the item's included)
      const run = gnode.roleRun && g.extra ? { ...gnode.roleRun, key: `${gnode.roleRun.key}${g.key}` } : gnode.roleRun;
      await this.withRoleRun(run, hostsNow, (todo) => this.runBlockBody(gnode, todo, itemScope, playHosts));
    }
  }

  /**
   * A templated include for one group of hosts: loaded for what it rendered to (once per values for the
   * run), checked as a literal include is before the run (opts.checkLoaded: undefined variables; the
   * handlers its notify names), its handlers added to the play's. A missing include_tasks file fails
   * the group's hosts instead.
   */
  private async loadLate(late: LateInclude, g: IncludeGroup, ictx: IncludeCtx, info: TaskInfo): Promise<BlockTask | undefined> {
    const r = await late.load(g.rendered!);
    if ('reason' in r) {
      includeFailed(ictx, info, this.active(g.hosts), r.reason);
      return undefined;
    }
    if (!this.lateChecked.has(r.node)) {
      this.lateChecked.add(r.node);
      this.opts.checkLoaded?.(this.currentPlay!, r.node);
    }
    for (const h of r.handlers) if (!this.allHandlers.includes(h)) this.allHandlers.push(h);
    // a literal notify: must name a handler of the play, as the loader checks before the run
    checkNotify([r.node], this.allHandlers);
    return r.node;
  }

  /** The scope of an included role's tasks: its (and its dependencies') defaults and vars join the play's roles'. */
  private roleScope(scope: Scope, visible: RoleInfo[]): Scope {
    const add = visible.filter((r) => !scope.play.roles.includes(r));
    return add.length ? { ...scope, play: { ...scope.play, roles: [...scope.play.roles, ...add] } } : scope;
  }

  private title(node: TaskNode): TaskInfo {
    const modName = node.kind === 'module' ? node.module : node.kind === 'set_fact' ? 'set_fact' : node.kind === 'meta' ? 'meta' : 'block';
    const name = node.name ?? node.written ?? modName;
    return {
      name,
      title: node.role ? `${node.role.name} : ${name}` : name,
      loc: node.loc,
      kind: 'task',
      module: modName,
      tags: node.tags,
    };
  }

  private async runMeta(node: MetaTask, hosts: string[], scope: Scope, playHosts: string[]): Promise<void> {
    const active = this.active(hosts);
    switch (node.action) {
      case 'flush_handlers':
        await this.flushHandlers(scope.play, active, { ...scope, inherited: { ...scope.inherited, tags: [], when: [] } }, playHosts);
        return;
      case 'end_play':
        // the whole play, later serial batches included (Ansible 2.14)
        for (const h of active) this.host(h).ended = true;
        this.playEnded = true;
        return;
      case 'end_batch':
        // this batch only: the play goes on with the next one
        for (const h of active) this.host(h).ended = true;
        return;
      case 'refresh_inventory':
        // bosun's inventory sources are files read once before the run; nothing can have changed them.
        // Hosts and groups added by add_host/group_by stay, as in Ansible 2.14 (checked by the differential suite).
        return;
      case 'reset_connection':
        // the next task on the host opens a new channel (a new login picks up new groups, limits, environment)
        for (const h of active) {
          const v = this.vars.playScope(h, scope.play, playHosts, node.role, scope.blockVars);
          if (conditionsHold(scope.inherited.when, v, node.loc)) await this.conns.reset(h);
        }
        return;
      case 'end_host':
        for (const h of active) {
          const v = this.vars.playScope(h, scope.play, playHosts, node.role, scope.blockVars);
          if (conditionsHold(scope.inherited.when, v, node.loc)) this.host(h).ended = true;
        }
        return;
      case 'clear_facts':
        // Ansible empties the fact cache (gathered facts, cacheable set_facts) of every host of the play;
        // set_fact and register values stay
        if (active.some((h) => conditionsHold(scope.inherited.when, this.vars.playScope(h, scope.play, playHosts, node.role, scope.blockVars), node.loc))) {
          for (const h of playHosts) this.host(h).facts = undefined;
        }
        return;
      case 'noop':
        return;
    }
  }

  private async flushHandlers(play: Play, hosts: string[], scope: Scope, playHosts: string[]): Promise<void> {
    const hscope: Scope = { ...scope, handler: true, inherited: { tags: [], when: [], environment: play.environment, become: play.become, becomeUser: play.becomeUser, checkMode: play.checkMode, diff: play.diff } };
    for (const handler of this.allHandlers) {
      const targets = this.active(hosts).filter((h) => this.host(h).notified.has(handler));
      if (!targets.length) continue;
      for (const h of targets) this.host(h).notified.delete(handler);
      await this.runNode(handler, targets, hscope, playHosts);
    }
  }

  /** Finds handlers by name or listen topic (also `role : name`). */
  private notify(host: HostState, names: string[], node: TaskNode): void {
    for (const n of names) {
      let found = false;
      // by name: the last handler loaded with that name (Ansible 2.14); by listen topic: every listener
      const byName = [...this.allHandlers].reverse().find((hd) => hd.name !== undefined && (hd.name === n || (hd.role !== undefined && `${hd.role.name} : ${hd.name}` === n)));
      if (byName) {
        host.notified.add(byName);
        found = true;
      }
      for (const hd of this.allHandlers) {
        if (hd.listen.includes(n)) {
          host.notified.add(hd);
          found = true;
        }
      }
      if (!found) throw new ParseError(`notify: no handler named '${n}' in this play`, { loc: node.loc });
    }
  }

  // ------------------------------------------------------------------ leaf tasks

  private async runLeaf(node: ModuleTask | SetFactTask, hosts: string[], scope: Scope, playHosts: string[]): Promise<void> {
    const info = this.title(node);
    info.kind = scope.handler ? 'handler' : 'task';
    info.tags = scope.inherited.tags;
    let active = this.active(hosts);
    if (!active.length) return;
    if (node.name && this.templates.hasTemplate(node.name)) {
      // Ansible templates task names with the first host's variables; an undefined one leaves the raw name.
      try {
        const v = this.vars.playScope(active[0]!, scope.play, playHosts, node.role, scope.blockVars);
        const name = String(this.templates.renderString(node.name, v, node.loc.file, node.loc.line ?? 1));
        info.name = name;
        info.title = node.role ? `${node.role.name} : ${name}` : name;
      } catch {
        /* keep the raw name */
      }
    }
    if (this.opts.step) {
      if (!(await this.opts.step(info))) return;
      // the operator may have done anything on the hosts while the prompt waited
      this.probeCache.invalidate();
    }
    this.out.taskStart(info);
    // add_host, pause: once, on the first host, keeping their result to it (Ansible's BYPASS_HOST_LOOP)
    const bypass = node.kind === 'module' && (await getModule(node.module)).bypassHostLoop === true;
    const runOnce = (scope.inherited.runOnce ?? false) && !bypass;
    if (runOnce || bypass) active = active.slice(0, 1);
    const throttle = node.throttle && node.throttle > 0 ? node.throttle : this.opts.forks;
    const limit = pLimit(Math.min(throttle, this.opts.forks));
    // Linear strategy: only this task runs now, so muting the -vvv trace for a no_log task hides exactly its requests.
    this.traceMuted = scope.inherited.noLog ?? false;
    let results;
    try {
      results = await Promise.all(active.map((h) => limit(() => this.step.runOnHost(node, h, scope, playHosts, info))));
    } finally {
      this.traceMuted = false;
    }
    if (runOnce && results[0]) {
      // run_once: the result and facts apply to every active host (Ansible semantics)
      const r = results[0];
      for (const h of this.active(hosts)) {
        if (h === active[0]) continue;
        const st = this.host(h);
        if (node.kind === 'module' && node.register && r.registered) st.hostFacts = { ...st.hostFacts, [node.register]: r.registered };
        if (node.kind === 'set_fact' && r.facts) st.hostFacts = { ...st.hostFacts, ...r.facts };
        if (node.kind === 'module' && node.module === 'include_vars' && r.registered?.ansible_facts) st.includeVars = { ...st.includeVars, ...(r.registered.ansible_facts as Record<string, unknown>) };
        if (r.changed && node.notify.length) this.notify(st, node.notify, node);
      }
    }
    if (runOnce && active[0] !== undefined && this.host(active[0]).failed) {
      // As Ansible: a run_once task that failed ends the batch for every host, not only the one it
      // ran on (a run_once preflight check must stop the others before they change anything).
      for (const h of this.active(hosts)) this.host(h).failed = true;
    }
    const anyFatal = node.anyErrorsFatal ?? scope.play.anyErrorsFatal;
    // a failure a rescue will handle is not fatal to the others (Ansible 2.14: only the failed host rescues)
    if (anyFatal && !scope.rescuable && active.some((h) => this.host(h).failed)) {
      // every host of the play stops, not only this throttle group or block
      for (const h of this.active(playHosts)) this.host(h).failed = true;
      this.out.noHostsLeft?.();
    }
    // As Ansible's linear strategy: max_fail_percentage is checked after every task, and past it the
    // rest of the batch stops at once (hosts a rescue will handle do not count as failed).
    const pct = scope.play.maxFailPercentage;
    const batch = this.playLists.batch ?? hosts;
    if (pct !== undefined && results.length > 0 && batch.length > 0) {
      const failed = batch.filter((h) => this.host(h).failed && !this.host(h).unreachable).length;
      if (failed / batch.length > pct / 100 && this.active(batch).length > 0) {
        for (const h of this.active(batch)) this.host(h).failed = true;
        // Ansible prints it twice here: once as it stops the hosts, once more as its loop finds none left
        this.out.noHostsLeft?.();
        this.out.noHostsLeft?.();
      }
    }
  }
}

