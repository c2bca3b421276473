// The play runner: Ansible's linear strategy. Each task runs on every active host in parallel
// (p-limit, --forks), then the next task starts. Failed hosts leave the play; unreachable hosts
// leave the run. Handlers run at the end of each section (or at meta: flush_handlers) on the hosts
// whose notifying task changed.
import { homedir } from 'node:os';
import { dirname, isAbsolute, resolve, join } from 'node:path';
import { existsSync } from 'node:fs';
import pLimit from 'p-limit';
import type { BlockTask, MetaTask, ModuleTask, Play, Playbook, SetFactTask, TaskNode } from './ast.js';
import type { Inventory } from '../loaders/inventory.js';
import type { Connection, ConnectionSpec } from '../executor/types.js';
import { shq, withExec } from '../executor/types.js';
import { LocalConnection } from '../executor/local.js';
import type { DiffEntry, Facts, ModuleContext, Outcome, Plan, ProbeRequest } from '../modules/types.js';
import { ModuleFailure } from '../modules/types.js';
import { getModule } from '../modules/index.js';
import { validateArgs } from '../modules/args.js';
import { buildScope, yamlLocOf, type Vars } from './vars.js';
import { TemplateEngine } from './template.js';
import { evalBool, evaluate } from './expr.js';
import { factVars, gatherFacts, UNKNOWN_FACTS } from './facts.js';
import { LOOKAHEAD, ProbeCache } from './prefetch.js';
import type { Prestart, Prestarted } from './prestart.js';
import { connectionSpec, selectPlayHosts, serialBatches } from './hosts.js';
import {
  BosunError,
  InterruptedError,
  MissingFileError,
  ParseError,
  TimeoutError,
  UnreachableError,
  type SourceLocation,
} from '../errors.js';

export type HostStatus = 'ok' | 'changed' | 'failed' | 'skipped' | 'unreachable';

export interface HostStats {
  ok: number;
  changed: number;
  unreachable: number;
  failed: number;
  skipped: number;
  rescued: number;
  ignored: number;
}

export interface TaskInfo {
  name: string;
  /** `role : name` as Ansible prints it. */
  title: string;
  loc?: SourceLocation;
  kind: 'task' | 'handler' | 'facts';
  module?: string;
  tags: string[];
}

export interface HostResult {
  host: string;
  status: HostStatus;
  msg?: string;
  /** Registered value (masked by the reporter). */
  result: Record<string, unknown>;
  diff?: DiffEntry[];
  item?: unknown;
  itemLabel?: string;
  ignored?: boolean;
  /** The task was not run because check mode cannot predict it. */
  checkSkipped?: boolean;
  noLog: boolean;
  durationMs: number;
  delegatedTo?: string;
  /** debug-style output to always show. */
  show?: boolean;
}

/** Output layer contract (console, JSON lines). */
export interface Reporter {
  playStart(play: Play, hosts: string[]): void;
  taskStart(task: TaskInfo): void;
  hostResult(task: TaskInfo, r: HostResult): void;
  warn(msg: string): void;
  log(verbosity: number, msg: string): void;
  progress(host: string, msg: string): void;
  recap(stats: Map<string, HostStats>, extra: RunSummary): void;
}

export interface RunOptions {
  check: boolean;
  diff: boolean;
  extraVars: Vars;
  limit?: string;
  tags: string[];
  skipTags: string[];
  forks: number;
  startAtTask?: string;
  verbosity: number;
  inventoryFile?: string;
  /** Creates a connection for a host (default: LocalConnection for local, SshConnection otherwise). */
  connect?: (spec: ConnectionSpec) => Connection | Promise<Connection>;
  signal?: AbortSignal;
  /** Secrets registry shared with the reporter (masking). */
  secrets: Set<string>;
  /** --step: asked before each task; false skips the task (no banner, no result), like ansible-playbook --step. */
  step?: (task: TaskInfo) => Promise<boolean>;
}

export interface RunSummary {
  exitCode: number;
  durationMs: number;
  requests: number;
  processes: number;
  hosts: number;
}

interface HostState {
  name: string;
  conn?: Connection;
  facts?: Facts;
  /** set_fact / register layer. */
  hostFacts: Vars;
  stats: HostStats;
  failed: boolean;
  unreachable: boolean;
  ended: boolean;
  notified: Set<TaskNode>;
}

interface Scope {
  play: Play;
  /** Block/task vars from enclosing blocks, outer first. */
  blockVars: Vars[];
  /** Keywords inherited from enclosing blocks. */
  inherited: { tags: string[]; when: Array<string | boolean>; environment?: Vars; become?: boolean; becomeUser?: string; noLog?: boolean; checkMode?: boolean; diff?: boolean; delegateTo?: string; runOnce?: boolean; ignoreErrors?: boolean | string };
  handler: boolean;
}

const MAX_LOOP = 100_000;
const NEVER_ABORTED = new AbortController().signal;

function emptyStats(): HostStats {
  return { ok: 0, changed: 0, unreachable: 0, failed: 0, skipped: 0, rescued: 0, ignored: 0 };
}

function shortName(h: string): string {
  return /^\d+\.\d+\.\d+\.\d+$/.test(h) ? h : h.split('.')[0]!;
}

export class Runner {
  readonly templates = new TemplateEngine();
  private readonly hosts = new Map<string, HostState>();
  private readonly local: LocalConnection;
  private startAtReached: boolean;
  private readonly allHandlers: TaskNode[] = [];
  /** Channels for other become users than the inventory's, keyed by host and user. */
  private readonly extraConns = new Map<string, Connection>();
  /** Channels started while the playbook loaded (prestart.ts), taken over by each host's first remote play. */
  private prestart?: Prestart;
  /** A prestarted channel taken over, until its play's fact step awaits its bootstrap (and facts). */
  private readonly warmReady = new Map<string, Prestarted>();
  private playLocal = false;
  /** File states fetched ahead (prefetch.ts), and where the lockstep walk is (what comes next). */
  private readonly probeCache = new ProbeCache();
  private readonly frames: Array<{ tasks: TaskNode[]; index: number; scope: Scope; playHosts: string[] }> = [];

  constructor(
    private readonly playbook: Playbook,
    private readonly inventory: Inventory,
    private readonly opts: RunOptions,
    private readonly out: Reporter,
  ) {
    this.local = new LocalConnection('localhost', opts.verbosity >= 3 ? (l) => this.trace(l) : undefined);
    this.startAtReached = !opts.startAtTask;
  }

  /** -vvv request trace; silent while a no_log task runs (its command lines and stdin may hold secrets). */
  private traceMuted = false;
  private trace(line: string): void {
    if (!this.traceMuted) this.out.log(3, line);
  }

  private host(name: string): HostState {
    let h = this.hosts.get(name);
    if (!h) {
      h = { name, hostFacts: {}, stats: emptyStats(), failed: false, unreachable: false, ended: false, notified: new Set() };
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
    this.prestart = prestart;
  }

  /** Closes every channel, prestarted ones included (run() does it at its end). */
  async close(): Promise<void> {
    await Promise.all([...[...this.connections()].map((c) => c.close()), this.prestart?.close()]);
  }

  private connections(): Set<Connection> {
    const all = new Set<Connection>(this.extraConns.values());
    for (const h of this.hosts.values()) if (h.conn) all.add(h.conn);
    for (const c of this.prestart?.connections() ?? []) all.add(c);
    return all;
  }

  async run(): Promise<RunSummary> {
    const t0 = performance.now();
    try {
      for (const play of this.playbook.plays) {
        this.checkAbort();
        await this.runPlay(play);
      }
    } finally {
      await this.close();
    }
    let exitCode = 0;
    const stats = new Map<string, HostStats>();
    let requests = this.local.stats.requests;
    let processes = 0;
    for (const h of this.hosts.values()) {
      stats.set(h.name, h.stats);
      if (h.stats.failed > 0 && exitCode === 0) exitCode = 2;
    }
    for (const c of this.connections()) {
      requests += c.stats.requests;
      processes += c.stats.processes;
    }
    if (exitCode === 0 && [...this.hosts.values()].some((h) => h.stats.unreachable > 0)) exitCode = 3;
    if ([...this.hosts.values()].some((h) => h.stats.failed > 0)) exitCode = 2;
    const summary: RunSummary = { exitCode, durationMs: performance.now() - t0, requests, processes, hosts: this.hosts.size };
    this.out.recap(stats, summary);
    return summary;
  }

  // ------------------------------------------------------------------ plays

  private async runPlay(play: Play): Promise<void> {
    // As in Ansible, a host that failed (unrescued) or became unreachable is out for the rest of the run.
    const all = this.playHosts(play).filter((h) => !this.host(h).unreachable && !this.host(h).failed);
    this.playLocal = play.connection === 'local';
    this.out.playStart(this.templatedPlay(play), all);
    if (all.length === 0) {
      this.out.warn(`no hosts matched for play '${play.name}' (pattern '${play.hosts}')`);
      return;
    }
    for (const h of all) {
      const st = this.host(h);
      st.ended = false;
      st.notified.clear();
    }
    this.allHandlers.length = 0;
    this.allHandlers.push(...play.handlers);
    const batches = this.batches(play, all);
    for (const batch of batches) {
      this.checkAbort();
      await this.runBatch(play, batch, all);
      const failed = batch.filter((h) => this.host(h).failed || this.host(h).unreachable).length;
      if (play.maxFailPercentage !== undefined && (failed * 100) / batch.length > play.maxFailPercentage) {
        this.out.warn(`max_fail_percentage ${play.maxFailPercentage}% exceeded (${failed}/${batch.length} hosts failed); ending the play`);
        break;
      }
      if (batches.length > 1 && failed === batch.length) {
        this.out.warn('every host of a serial batch failed; ending the play');
        break;
      }
    }
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

  private async runBatch(play: Play, batch: string[], playHosts: string[]): Promise<void> {
    const scope: Scope = {
      play,
      blockVars: [],
      inherited: { tags: play.tags, when: [], environment: play.environment, become: play.become, becomeUser: play.becomeUser, checkMode: play.checkMode, diff: play.diff },
      handler: false,
    };
    // Connect (and gather facts) on every host in parallel: the channel's first request.
    await this.connectAll(play, batch);
    // Ansible flushes handlers after pre_tasks, after roles + tasks (one section), and after post_tasks.
    for (const [i, section] of play.sections.entries()) {
      this.checkAbort();
      await this.runTasks(section.tasks, batch, scope, playHosts);
      const next = play.sections[i + 1];
      if (!(section.name === 'roles' && next?.name === 'tasks')) await this.flushHandlers(play, batch, scope, playHosts);
      if (this.active(batch).length === 0) break;
    }
  }

  private active(hosts: string[]): string[] {
    return hosts.filter((h) => {
      const s = this.host(h);
      return !s.failed && !s.unreachable && !s.ended;
    });
  }

  private connSpec(name: string): ConnectionSpec {
    return connectionSpec(this.inventory, name, this.opts.verbosity >= 3 ? (l: string) => this.trace(l) : undefined);
  }

  private async openConn(name: string): Promise<Connection> {
    const st = this.host(name);
    if (this.playLocal) {
      // `connection: local` play: this host's tasks run on the control node (its own ssh channel, if any, is untouched)
      const key = `${name}\0local`;
      let c = this.extraConns.get(key);
      if (!c) this.extraConns.set(key, (c = new LocalConnection(name, this.opts.verbosity >= 3 ? (l) => this.trace(l) : undefined)));
      return c;
    }
    if (st.conn) return st.conn;
    const w = await this.prestart?.take(name);
    if (w) {
      w.adopt(this.opts.verbosity >= 3 ? (l) => this.trace(l) : undefined);
      this.warmReady.set(name, w);
      return (st.conn = w.conn);
    }
    st.conn = await this.newConn(this.connSpec(name));
    return st.conn;
  }

  /** A connection for a spec: the test hook if given, else local or SSH (imported only when needed). */
  private async newConn(spec: ConnectionSpec): Promise<Connection> {
    if (this.opts.connect) return this.opts.connect(spec);
    if (spec.connection === 'local') return new LocalConnection(spec.name, spec.trace);
    const { SshConnection } = await import('../executor/ssh.js');
    return new SshConnection(spec);
  }

  private async connectAll(play: Play, batch: string[]): Promise<void> {
    const need = batch.filter((h) => !this.host(h).unreachable);
    if (!play.gatherFacts) {
      for (const h of need) await this.openConn(h);
      // a prestarted channel that failed to open reports at its first request, as any other
      for (const h of need) this.warmReady.delete(h);
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
            const conn = await this.openConn(h);
            const warm = this.warmReady.get(h);
            if (warm) {
              this.warmReady.delete(h);
              const f = await warm.ready;
              st.facts ??= f;
            }
            // The fact probe opens the channel itself: it travels with the bootstrap (one round trip).
            if (!st.facts) st.facts = await gatherFacts(conn);
            else await conn.open();
            st.stats.ok++;
            this.out.hostResult(info, { host: h, status: 'ok', result: {}, noLog: false, durationMs: performance.now() - t0 });
          } catch (e) {
            this.hostError(info, st, e, t0, false);
          }
        }),
      ),
    );
  }

  private readonly warmed = new Set<string>();

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

  private magic(host: string, play: Play, playHosts: string[], role: ModuleTask['role']): Vars {
    const st = this.host(host);
    const inv = this.inventory;
    // hostvars: every host's scope, built on first access. A Proxy, not one getter per host: this
    // object is made for every scope (each host, each task), and n getters each time made a play's
    // variables cost O(hosts²) (bench, 100-200 hosts).
    let names: string[] | undefined;
    const hostNames = (): string[] =>
      // the implicit localhost is in hostvars too (set_fact on localhost, read by other hosts)
      (names ??= inv.hosts().includes('localhost') ? inv.hosts() : [...inv.hosts(), 'localhost']);
    const cache = new Map<string, Vars>();
    const known = (h: string | symbol): h is string => typeof h === 'string' && (inv.hasHost(h) || h === 'localhost');
    const scopeOf = (h: string): Vars => {
      let v = cache.get(h);
      if (!v) cache.set(h, (v = this.playScope(h, play, playHosts, undefined, [])));
      return v;
    };
    const hostvarsObj: Vars = new Proxy({} as Vars, {
      get: (_t, h) => (known(h) ? scopeOf(h) : undefined),
      has: (_t, h) => known(h),
      ownKeys: () => hostNames(),
      getOwnPropertyDescriptor: (_t, h) => (known(h) ? { value: scopeOf(h), enumerable: true, configurable: true, writable: false } : undefined),
    });
    const groupNames = (inv.host(host)?.groups ?? []).filter((g) => g !== 'all' && g !== 'ungrouped');
    let active: string[] | undefined;
    const magic: Vars = {
      inventory_hostname: host,
      inventory_hostname_short: shortName(host),
      groups: inv.groupsMap(),
      group_names: groupNames,
      hostvars: hostvarsObj,
      ansible_play_hosts_all: playHosts,
      ansible_play_batch: playHosts,
      ansible_check_mode: this.opts.check,
      bosun_check_mode: this.opts.check,
      ansible_diff_mode: this.opts.diff,
      ansible_verbosity: this.opts.verbosity,
      playbook_dir: this.playbook.dir,
      inventory_dir: this.opts.inventoryFile ? dirname(resolve(this.opts.inventoryFile)) : null,
      inventory_file: this.opts.inventoryFile ? resolve(this.opts.inventoryFile) : null,
      role_path: role?.path ?? null,
      role_name: role?.name ?? null,
      ansible_play_name: play.name,
      omit: '__omit_place_holder__',
      ...(st.facts ? {} : {}),
    };
    // the hosts still active, when a template asks (an O(hosts) filter per scope otherwise)
    for (const k of ['play_hosts', 'ansible_play_hosts']) {
      Object.defineProperty(magic, k, { enumerable: true, configurable: true, get: () => (active ??= this.active(playHosts)) });
    }
    return magic;
  }

  private playScope(host: string, play: Play, playHosts: string[], role: ModuleTask['role'], blockVars: Vars[], extra?: Vars): Vars {
    const st = this.host(host);
    const roleDefaults: Vars = {};
    const roleVars: Vars = {};
    for (const r of play.roles) Object.assign(roleDefaults, r.defaults);
    for (const r of play.roles) Object.assign(roleVars, r.vars);
    const layers: Array<Vars | undefined> = [
      roleDefaults,
      this.inventory.hostVars(host),
      factVars(st.facts),
      play.vars,
      ...play.varsFiles.map((f) => f.vars),
      roleVars,
      ...blockVars,
      st.hostFacts,
      extra,
      this.opts.extraVars,
    ];
    return buildScope(layers, this.magic(host, play, playHosts, role), this.templates);
  }

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

  /**
   * The file probes the tasks after the current one will make on `host`, as far as they can be
   * known now: module tasks that declare probes(), on the same channel (become, delegate_to),
   * without a loop, whose arguments render with the host's variables as they are now. A guess
   * that turns out wrong only costs a request (prefetch.ts).
   */
  private async upcoming(host: string, current: Scope): Promise<ProbeRequest[]> {
    const out: ProbeRequest[] = [];
    const same = (s: Scope) =>
      s.inherited.become === current.inherited.become && s.inherited.becomeUser === current.inherited.becomeUser && s.inherited.delegateTo === undefined;
    let scanned = 0;
    // one variable scope per role and block-vars chain (building one per task is most of the cost)
    const scopes = new Map<unknown, Map<unknown, Vars>>();
    const varsFor = (scope: Scope, playHosts: string[], role: ModuleTask['role'], blockVars: Vars[]): Vars => {
      let byRole = scopes.get(blockVars);
      if (!byRole) scopes.set(blockVars, (byRole = new Map()));
      let v = byRole.get(role);
      if (!v) byRole.set(role, (v = this.playScope(host, scope.play, playHosts, role, blockVars)));
      return v;
    };
    const visit = async (nodes: TaskNode[], scope: Scope, playHosts: string[]): Promise<boolean> => {
      for (const node of nodes) {
        if (out.length >= LOOKAHEAD || ++scanned > 4 * LOOKAHEAD) return false;
        const inner = this.childScope(scope, node);
        if (node.kind === 'block') {
          if (!(await visit(node.block, inner, playHosts))) return false;
          if (!(await visit(node.always, inner, playHosts))) return false;
          continue;
        }
        if (node.kind !== 'module') continue;
        if (!scope.handler && !this.tagsSelected(inner.inherited.tags)) continue;
        const mod = await getModule(node.module);
        const vars = varsFor(scope, playHosts, node.role, inner.blockVars);
        if (!mod.probes) {
          // A task that runs something unpredictable (command, shell) will outdate whatever is
          // fetched for the tasks behind it: stop there unless it is skipped (as far as known now).
          const mayChange = mod.doc.check !== 'full' && !(inner.inherited.checkMode ?? this.opts.check);
          if (mayChange && this.mayRun(inner, vars)) return false;
          continue;
        }
        // no_log: its paths stay out of other tasks' (traced) requests
        if (node.loop !== undefined || !same(inner) || mod.runsOn === 'control' || inner.inherited.noLog) continue;
        try {
          const rendered = this.templates.renderValue(node.args, vars, node.loc.file, yamlLocOf) as Record<string, unknown>;
          for (const [k, v] of Object.entries(rendered)) if (v === '__omit_place_holder__') delete rendered[k];
          const args = validateArgs(mod, rendered, { loc: node.loc, keyLoc: () => node.loc, deferTemplates: false });
          out.push(...mod.probes(args, { diff: (inner.inherited.diff ?? true) && this.opts.diff }));
        } catch {
          // not knowable yet (a variable registered later, bad args): that task probes on its own
        }
      }
      return true;
    };
    for (let f = this.frames.length - 1; f >= 0; f--) {
      const { tasks, index, scope, playHosts } = this.frames[f]!;
      if (!(await visit(tasks.slice(index + 1), scope, playHosts))) break;
    }
    return out;
  }

  private tagsSelected(tags: string[]): boolean {
    const set = new Set(tags);
    if (this.opts.skipTags.some((t) => set.has(t) || (t === 'all'))) return false;
    if (set.has('never') && !this.opts.tags.some((t) => set.has(t))) return false;
    if (this.opts.tags.length === 0 || this.opts.tags.includes('all')) return true;
    if (set.has('always')) return true;
    if (this.opts.tags.includes('tagged') && set.size > 0) return true;
    if (this.opts.tags.includes('untagged') && set.size === 0) return true;
    return this.opts.tags.some((t) => set.has(t));
  }

  private childScope(scope: Scope, node: TaskNode): Scope {
    const inh = { ...scope.inherited };
    inh.tags = [...new Set([...inh.tags, ...node.tags])];
    inh.when = [...inh.when, ...node.when];
    if (node.environment) inh.environment = { ...(inh.environment ?? {}), ...node.environment };
    for (const k of ['become', 'becomeUser', 'noLog', 'checkMode', 'diff', 'delegateTo', 'runOnce', 'ignoreErrors'] as const) {
      if (node[k] !== undefined) (inh as Record<string, unknown>)[k] = node[k];
    }
    return { ...scope, inherited: inh, blockVars: node.vars ? [...scope.blockVars, node.vars] : scope.blockVars };
  }

  private async runNode(node: TaskNode, hosts: string[], scope: Scope, playHosts: string[]): Promise<void> {
    if (node.kind === 'block') return this.runBlock(node, hosts, scope, playHosts);
    const inner = this.childScope(scope, node);
    if (!scope.handler && !this.tagsSelected(inner.inherited.tags)) return;
    if (!this.startAtReached) {
      const title = this.title(node);
      if (title.name !== this.opts.startAtTask && title.title !== this.opts.startAtTask) return;
      this.startAtReached = true;
    }
    if (node.kind === 'meta') return this.runMeta(node, hosts, inner, playHosts);
    return this.runLeaf(node, hosts, inner, playHosts);
  }

  private async runBlock(node: BlockTask, hosts: string[], scope: Scope, playHosts: string[]): Promise<void> {
    const inner = this.childScope(scope, node);
    let active = this.active(hosts);
    if ((node.origin === 'include_tasks' || node.origin === 'include_role') && node.when.length) {
      // Dynamic include: its `when` decides once per host whether the file is included at all (Ansible), so a
      // throttled include walks only the hosts it applies to. The tasks inside still see the condition.
      active = active.filter((h) => this.conditionsHold([...scope.inherited.when, ...node.when], this.playScope(h, scope.play, playHosts, node.role, inner.blockVars), node.loc));
      if (!active.length) return;
    }
    if (node.throttle && node.throttle > 0) {
      // Whole block N hosts at a time (rolling restarts): each group runs the block to the end before the next starts.
      for (let i = 0; i < active.length; i += node.throttle) {
        const group = active.slice(i, i + node.throttle);
        await this.runBlockBody(node, group, { ...inner, inherited: { ...inner.inherited } }, playHosts);
      }
      return;
    }
    await this.runBlockBody(node, active, inner, playHosts);
  }

  private async runBlockBody(node: BlockTask, hosts: string[], scope: Scope, playHosts: string[]): Promise<void> {
    const before = new Set(hosts.filter((h) => !this.host(h).failed));
    await this.runTasks(node.block, hosts, scope, playHosts);
    const failedHere = [...before].filter((h) => this.host(h).failed && !this.host(h).unreachable);
    if (node.rescue.length && failedHere.length) {
      for (const h of failedHere) {
        const st = this.host(h);
        st.failed = false;
        st.stats.rescued++;
        // the failure was handled: it does not count as a failed host in the recap
        st.stats.failed = Math.max(0, st.stats.failed - 1);
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

  private title(node: TaskNode): TaskInfo {
    const modName = node.kind === 'module' ? node.module : node.kind === 'set_fact' ? 'set_fact' : node.kind === 'meta' ? 'meta' : 'block';
    const name = node.name ?? modName;
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
        for (const h of active) this.host(h).ended = true;
        return;
      case 'end_host':
        for (const h of active) {
          const v = this.playScope(h, scope.play, playHosts, node.role, scope.blockVars);
          if (this.conditionsHold(scope.inherited.when, v, node.loc)) this.host(h).ended = true;
        }
        return;
      case 'clear_facts':
        for (const h of active) this.host(h).hostFacts = {};
        return;
      case 'noop':
        return;
    }
  }

  /** Whether a task's conditions hold with the variables as they are now (unknown counts as yes). */
  private mayRun(scope: Scope, vars: Vars): boolean {
    try {
      return scope.inherited.when.every((c) => evalBool(c, vars));
    } catch {
      return true;
    }
  }

  private conditionsHold(when: Array<string | boolean>, vars: Vars, loc?: SourceLocation): boolean {
    for (const c of when) {
      try {
        if (!evalBool(c, vars)) return false;
      } catch (e) {
        throw withLoc(e, loc);
      }
    }
    return true;
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
      for (const hd of this.allHandlers) {
        const hn = hd.name;
        const full = hd.role && hn ? `${hd.role.name} : ${hn}` : undefined;
        if (hn === n || full === n || hd.listen.includes(n)) {
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
        const v = this.playScope(active[0]!, scope.play, playHosts, node.role, scope.blockVars);
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
    const runOnce = scope.inherited.runOnce ?? false;
    if (runOnce) active = active.slice(0, 1);
    const throttle = node.throttle && node.throttle > 0 ? node.throttle : this.opts.forks;
    const limit = pLimit(Math.min(throttle, this.opts.forks));
    // Linear strategy: only this task runs now, so muting the -vvv trace for a no_log task hides exactly its requests.
    this.traceMuted = scope.inherited.noLog ?? false;
    let results;
    try {
      results = await Promise.all(active.map((h) => limit(() => this.runOnHost(node, h, scope, playHosts, info))));
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
        if (r.changed && node.notify.length) this.notify(st, node.notify, node);
      }
    }
    const anyFatal = node.anyErrorsFatal ?? scope.play.anyErrorsFatal;
    if (anyFatal && active.some((h) => this.host(h).failed)) {
      // every host of the play stops, not only this throttle group or block
      for (const h of this.active(playHosts)) this.host(h).failed = true;
    }
  }

  private hostError(info: TaskInfo, st: HostState, e: unknown, t0: number, noLog: boolean): void {
    if (e instanceof UnreachableError) {
      st.unreachable = true;
      st.stats.unreachable = 1;
      this.out.hostResult(info, { host: st.name, status: 'unreachable', msg: e.message, result: { unreachable: true, msg: e.message }, noLog: false, durationMs: performance.now() - t0 });
      return;
    }
    if (e instanceof InterruptedError) throw e;
    st.failed = true;
    st.stats.failed++;
    const msg = e instanceof BosunError ? e.oneLine() : e instanceof Error ? e.message : String(e);
    const result: Record<string, unknown> = { failed: true, msg };
    if (e instanceof ModuleFailure && e.result) Object.assign(result, e.result, { msg });
    this.out.hostResult(info, { host: st.name, status: 'failed', msg, result, noLog, durationMs: performance.now() - t0 });
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
    const playbookDir = this.playbook.dir;
    const taskDir = dirname(node.loc.file);
    const secrets = this.opts.secrets;
    const out = this.out;
    return {
      host: st.name,
      conn,
      control: this.local,
      check,
      diff,
      facts: st.facts ?? UNKNOWN_FACTS,
      vars,
      loc: node.loc,
      findFile(kind, name) {
        if (isAbsolute(name)) {
          if (!existsSync(name)) throw new MissingFileError(`${kind === 'files' ? 'file' : 'template'} not found: ${name}`, { loc: node.argLocs.src ?? node.loc });
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
        throw new MissingFileError(`${kind === 'files' ? 'file' : 'template'} '${name}' not found (searched: ${candidates.join(', ')})`, { loc: node.argLocs.src ?? node.loc });
      },
      render: (text, file) => {
        const r = this.templates.render(text, vars, file);
        return r;
      },
      evaluate: (expr) => evaluate(expr, vars),
      secret(value) {
        if (value) secrets.add(value);
      },
      progress: (msg) => out.progress(delegated ? `${st.name} -> ${delegated}` : st.name, msg),
      log: (v, msg) => out.log(v, `[${st.name}] ${msg}`),
      signal: this.opts.signal ?? NEVER_ABORTED,
    };
  }

  private async connFor(node: ModuleTask | SetFactTask, st: HostState, scope: Scope, vars: Vars): Promise<{ conn: Connection; delegated?: string }> {
    const delegate = scope.inherited.delegateTo;
    if (delegate !== undefined) {
      const target = String(this.templates.renderValue(delegate, vars, node.loc.file, yamlLocOf));
      if (target === 'localhost' || target === '127.0.0.1') return { conn: this.local, delegated: 'localhost' };
      if (target !== st.name) {
        const c = await this.openConn(target);
        await c.open();
        return { conn: c, delegated: target };
      }
    }
    if (this.playLocal) return { conn: await this.openConn(st.name) };
    if (!st.conn) await this.openConn(st.name);
    // `become:` on the play/block/task: a separate channel running under `sudo -n -u USER` (one per user, reused).
    const base = this.connSpec(st.name);
    const become = scope.inherited.become ?? base.become ?? false;
    const user = become ? (scope.inherited.becomeUser ?? base.becomeUser ?? 'root') : undefined;
    const baseUser = base.become ? base.becomeUser ?? 'root' : undefined;
    if (user !== baseUser && st.conn!.kind === 'ssh') {
      const key = `${st.name}\0${user ?? ''}`;
      let c = this.extraConns.get(key);
      if (!c) {
        c = await this.newConn({ ...base, become: user !== undefined, becomeUser: user });
        this.extraConns.set(key, c);
      }
      await c.open();
      return { conn: c };
    }
    await st.conn!.open();
    return { conn: st.conn! };
  }

  private async runOnHost(
    node: ModuleTask | SetFactTask,
    host: string,
    scope: Scope,
    playHosts: string[],
    info: TaskInfo,
  ): Promise<{ registered?: Record<string, unknown>; facts?: Vars; changed: boolean }> {
    const st = this.host(host);
    const t0 = performance.now();
    const noLog = scope.inherited.noLog ?? false;
    try {
      const baseVars = this.playScope(host, scope.play, playHosts, node.role, scope.blockVars);
      // Loop items
      let items: unknown[] | undefined;
      if (node.loop !== undefined) {
        const lv = typeof node.loop === 'string' ? this.templates.renderValue(node.loop, baseVars, node.loc.file, yamlLocOf) : this.templates.renderValue(node.loop, baseVars, node.loc.file, yamlLocOf);
        if (!Array.isArray(lv)) throw new ParseError(`loop must evaluate to a list; got ${typeof lv}`, { loc: node.loc });
        if (lv.length > MAX_LOOP) throw new ParseError(`loop has ${lv.length} items (limit ${MAX_LOOP})`, { loc: node.loc });
        items = lv;
      }
      if (node.kind === 'set_fact') return await this.runSetFact(node, st, scope, playHosts, info, items, t0, noLog);

      const iterations = items ?? [undefined];
      const perItem: Array<Record<string, unknown>> = [];
      let anyChanged = false;
      let anyFailed = false;
      let allSkipped = true;
      let lastMsg: string | undefined;
      for (const item of iterations) {
        this.checkAbort();
        const extra: Vars | undefined = items ? { [node.loopVar]: item, ansible_loop_var: node.loopVar } : undefined;
        const vars = items ? this.playScope(host, scope.play, playHosts, node.role, scope.blockVars, extra) : baseVars;
        const label = items ? this.itemLabel(node, vars, item) : undefined;
        const r = await this.runModuleOnce(node, st, scope, vars, info, label, item, noLog);
        if (items) perItem.push({ ...r.registered, [node.loopVar]: item, ansible_loop_var: node.loopVar });
        anyChanged ||= r.changed;
        anyFailed ||= r.failed;
        if (!r.skipped) allSkipped = false;
        lastMsg = r.msg;
        if (!items) {
          return this.finish(node, st, r.registered, r.changed, r.failed && !r.ignored, r.ignored, r.skipped);
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
      return this.finish(node, st, registered, anyChanged, anyFailed && !ignored, ignored, allSkipped, true);
    } catch (e) {
      this.hostError(info, st, e, t0, noLog);
      return { changed: false };
    }
  }

  private ignoreErrors(scope: Scope, vars: Vars, node: TaskNode): boolean {
    const ie = node.ignoreErrors ?? scope.inherited.ignoreErrors;
    if (ie === undefined) return false;
    if (typeof ie === 'boolean') return ie;
    return evalBool(ie, vars);
  }

  private finish(
    node: ModuleTask,
    st: HostState,
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
      if (failed) {
        st.failed = true;
        st.stats.failed++;
      } else if (ignored) st.stats.ignored++;
      else if (skipped) st.stats.skipped++;
      else if (changed) st.stats.changed++;
      else st.stats.ok++;
    }
    if (changed && !failed && node.notify.length) this.notify(st, node.notify, node);
    return { registered, changed };
  }

  private itemLabel(node: ModuleTask | SetFactTask, vars: Vars, item: unknown): string {
    if (node.loopLabel) return String(this.templates.renderValue(node.loopLabel, vars, node.loc.file, yamlLocOf));
    return typeof item === 'string' || typeof item === 'number' ? String(item) : JSON.stringify(item);
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
    for (const item of items ?? [undefined]) {
      const extra: Vars | undefined = items ? { [node.loopVar]: item } : undefined;
      const vars = this.playScope(st.name, scope.play, playHosts, node.role, scope.blockVars, extra);
      if (!this.conditionsHold(scope.inherited.when, vars, node.loc)) {
        st.stats.skipped++;
        this.out.hostResult(info, { host: st.name, status: 'skipped', result: { skipped: true }, noLog, durationMs: performance.now() - t0 });
        return { facts: {}, changed: false };
      }
      const facts: Vars = {};
      for (const [k, v] of Object.entries(node.facts)) {
        if (k === 'cacheable') continue;
        facts[k] = this.templates.renderValue(v, vars, node.loc.file, yamlLocOf);
      }
      Object.assign(all, facts);
      st.hostFacts = { ...st.hostFacts, ...facts };
    }
    st.stats.ok++;
    this.out.hostResult(info, { host: st.name, status: 'ok', result: { ansible_facts: all }, noLog, durationMs: performance.now() - t0 });
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
      this.out.hostResult(info, { ...r, host: st.name, noLog, durationMs: performance.now() - t0, itemLabel: label, item: label === undefined ? undefined : item });

    if (!this.conditionsHold(scope.inherited.when, vars, node.loc)) {
      const registered = { changed: false, skipped: true, skip_reason: 'Conditional result was False' };
      if (label === undefined) st.stats.skipped++;
      report({ status: 'skipped', result: registered });
      return { registered, changed: false, failed: false, skipped: true, ignored: false };
    }
    const mod = await getModule(node.module);
    const argLocOf = (c: unknown, k?: string | number) => (c === node.args && k !== undefined ? node.argLocs[String(k)] : yamlLocOf(c, k));
    const rendered = this.templates.renderValue(node.args, vars, node.loc.file, argLocOf) as Record<string, unknown>;
    for (const [k, v] of Object.entries(rendered)) if (v === '__omit_place_holder__') delete rendered[k];
    const args = validateArgs(mod, rendered, { loc: node.loc, keyLoc: (k: string) => node.argLocs[k] ?? node.loc, deferTemplates: false });
    for (const [k, spec] of Object.entries(mod.args)) {
      if (spec.secret && typeof args[k] === 'string' && args[k]) this.opts.secrets.add(args[k] as string);
    }
    const check = scope.inherited.checkMode ?? this.opts.check;
    const diff = (scope.inherited.diff ?? true) && this.opts.diff;
    const target = mod.runsOn === 'control' ? { conn: this.local as Connection, delegated: undefined } : await this.connFor(node, st, scope, vars);
    const delegated = target.delegated;
    const env = scope.inherited.environment ? (this.templates.renderValue(scope.inherited.environment, vars, node.loc.file, yamlLocOf) as Vars) : undefined;
    const conn = env && Object.keys(env).length ? withEnvironment(target.conn, env) : target.conn;
    // waiting for the world to change: what was fetched before the wait may be stale after it
    if (mod.waits) this.probeCache.invalidate();
    const ctx = this.ctxFor(node, st, this.probeCache.observe(conn), vars, check, diff, delegated);
    if (mod.runsOn !== 'control' && delegated === undefined) {
      ctx.probe = (path, opts) => this.probeCache.probe(target.conn, path, opts, () => this.upcoming(st.name, scope));
    }

    let attempts = 0;
    const maxAttempts = node.until ? node.retries + 1 : 1;
    let registered: Record<string, unknown> = {};
    let changed = false;
    let failed = false;
    let skippedCheck = false;
    let msg: string | undefined;
    let diffs: DiffEntry[] | undefined;
    for (;;) {
      attempts++;
      let plan: Plan;
      let outcome: Outcome | undefined;
      try {
        plan = await mod.plan(ctx, args);
        if (check) {
          if (plan.unpredictable) {
            skippedCheck = true;
            outcome = { changed: false, msg: 'skipped in check mode (the result cannot be predicted without running it)', result: plan.result };
          } else outcome = { changed: plan.changed, msg: plan.msg, result: plan.result, diff: plan.diff };
        } else if (plan.changed || plan.unpredictable) {
          // whatever apply did (also without a request: files the control node wrote) outdates fetched states
          this.probeCache.invalidate();
          outcome = await mod.apply(ctx, args, plan);
          this.probeCache.invalidate();
          if (!outcome.diff && plan.diff) outcome = { ...outcome, diff: plan.diff };
        } else outcome = { changed: false, msg: plan.msg, result: plan.result };
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
      const evalVars = () => (evalScope ??= extendScope(vars, { ...registered, ...(node.register ? { [node.register]: registered } : {}) }));
      let evalScope: Vars | undefined;
      try {
        if (node.changedWhen && !skippedCheck) {
          changed = node.changedWhen.every((c) => evalBool(c, evalVars()));
          registered.changed = changed;
        }
        if (node.failedWhen && !skippedCheck) {
          failed = node.failedWhen.some((c) => evalBool(c, evalVars()));
          registered.failed = failed;
          if (!failed) delete registered.msg;
          if (failed && !msg) msg = 'failed_when condition was true';
        }
      } catch (e) {
        throw withLoc(e, node.loc);
      }
      if (!node.until || skippedCheck) break;
      const ok = node.until.every((c) => evalBool(c, extendScope(vars, { ...registered, ...(node.register ? { [node.register]: registered } : {}) })));
      registered.attempts = attempts;
      if (ok) break;
      if (attempts >= maxAttempts) {
        failed = true;
        registered.failed = true;
        msg = `retries exhausted (${node.retries}) waiting for: ${node.until.join(' and ')}${msg ? `; last: ${msg}` : ''}`;
        registered.msg = msg;
        break;
      }
      this.out.progress(st.name, `retrying (${attempts}/${node.retries}) ${info.title}`);
      await new Promise((r) => setTimeout(r, node.delay * 1000));
      // a retry waits for something else to change the host: nothing fetched before may be reused
      this.probeCache.invalidate();
    }
    const ignored = failed && this.ignoreErrors(scope, vars, node);
    if (label === undefined) {
      if (failed && !ignored) {
        st.failed = true;
        st.stats.failed++;
      } else if (failed && ignored) st.stats.ignored++;
      else if (skippedCheck) st.stats.skipped++;
      else if (changed) st.stats.changed++;
      else st.stats.ok++;
    }
    report({
      status: failed ? 'failed' : skippedCheck ? 'skipped' : changed ? 'changed' : 'ok',
      msg,
      result: registered,
      // `diff: false` on the task (or no --diff) means no diff at all, not just none printed
      diff: diff ? diffs : undefined,
      ignored,
      checkSkipped: skippedCheck,
      delegatedTo: delegated,
      show: node.module === 'debug',
    });
    return { registered, changed, failed, skipped: skippedCheck, ignored, msg };
  }
}

/** `environment:` — every request of the task exports these first (values travel in the script, on the channel, not in argv). */
function withEnvironment(conn: Connection, env: Vars): Connection {
  const prefix = Object.entries(env)
    .filter(([k]) => /^[A-Za-z_][A-Za-z0-9_]*$/.test(k))
    .map(([k, v]) => `export ${k}=${shq(v === null || v === undefined ? '' : String(v))}`)
    .join('\n');
  return withExec(conn, (script, opts) => conn.exec(`${prefix}\n${script}`, opts));
}

/** A scope plus a few names, without evaluating the scope's lazy (templated) variables. */
export function extendScope(scope: Vars, extra: Vars): Vars {
  const out: Vars = {};
  Object.defineProperties(out, Object.getOwnPropertyDescriptors(scope));
  for (const [k, v] of Object.entries(extra)) Object.defineProperty(out, k, { value: v, enumerable: true, configurable: true, writable: true });
  return out;
}

function withLoc(e: unknown, loc?: SourceLocation): unknown {
  if (e instanceof BosunError && !e.loc && loc) {
    const Ctor = e.constructor as new (m: string, o: { loc?: SourceLocation; hint?: string; cause?: unknown }) => BosunError;
    return new Ctor(e.message, { loc, hint: e.hint, cause: e });
  }
  return e;
}

