// File states and module reads fetched ahead: when a task reads the host and nothing has changed
// anywhere since the previous read on that channel, what the next tasks will read — their file
// probes (TaskModule.probes) and their modules' first read-only requests (TaskModule.reads) — travels
// in the same request, and those tasks then plan without a round trip. The idea is pyinfra's (facts
// of every operation gathered before executing), kept safe for a linear run:
// - an answer is only used while no request that may change a host has been sent since it was
//   fetched: any exec not marked `readOnly`, and any module apply(), on ANY host invalidates all
//   (a write on one host may show on another, e.g. a shared filesystem); so do a retry (until), a
//   module that waits for the world to change (wait_for) and a --step prompt (runner.ts);
// - a read fetched ahead answers ONE request (a module that polls, like etcdctl's health wait,
//   asks the host again on its next attempt): two tasks ahead making the same read get one run
//   each; a file state answers every probe of its generation;
// - fetching ahead happens while the run is seen to be stable (no change since the channel's
//   previous read, or its previous batch was used), so a converging run, where every task changes
//   something, rarely fetches what it then throws away;
// - a guess that does not match what the plan asks is a cache miss: one ordinary request.
// Reads run concurrently with the request that carries them (read-batch.ts): the answer comes when
// the slowest is done, which is why only quick, bounded reads are declared (TaskModule.reads).
import { withExec, type Connection, type ExecOptions, type ExecResult } from '../executor/types.js';
import type { Facts, ProbeRequest, ReadRequest } from '../modules/types.js';
import { probeOnce, type FileProbe, type ProbeOptions } from '../modules/util/remote-file.js';
import { batchProbeScript, parseBatch } from '../modules/util/probe-batch.js';
import type { Condition, ModuleTask, TaskNode } from '../ast.js';
import type { AnyModule } from '../modules/types.js';
import { getModule } from '../modules/index.js';
import { evalBool } from './expr.js';
import { childScope, type Scope } from './scope.js';
import { copyOwnProperties } from './vars.js';
import type { Vars } from './vars.js';
import { batchableStdin, parseReadBatch, readBatchScript, readKey, type ReadAnswer } from './read-batch.js';

/** What the tasks ahead will read on a host, as far as known now. */
export interface Upcoming {
  probes: ProbeRequest[];
  reads: ReadRequest[];
}

/** Probes fetched ahead per request, besides the one asked for. */
export const LOOKAHEAD = 16;
/** Module reads fetched ahead per request (each is a process or more on the host, run concurrently). */
export const READS_AHEAD = 8;

function keyOf(path: string, o: ProbeOptions): string {
  return JSON.stringify([path, !!o.follow, o.appendIfDir ?? null, o.checksum !== false, !!o.wantContent, o.maxContent ?? null]);
}

interface Entry {
  gen: number;
  probe: FileProbe;
}

interface ReadEntry {
  gen: number;
  answer: ReadAnswer;
}

/** The channel a module's reads may be answered on, and what lies ahead of its task. */
export interface ReadAhead {
  channel: Connection;
  upcoming: () => Promise<Upcoming>;
}

export class ProbeCache {
  /** Bumped by anything that may change a host; entries of older generations are dead. */
  private gen = 0;
  private readonly entries = new WeakMap<Connection, Map<string, Entry>>();
  /** Module reads fetched ahead, by readKey (one entry per run of it); each answers one request. */
  private readonly readEntries = new WeakMap<Connection, Map<string, ReadEntry[]>>();
  /** Generation at each channel's previous probe (stable run = unchanged since). */
  private readonly lastProbe = new WeakMap<Connection, number>();
  /** Channels whose latest batch answered a later probe. */
  private readonly paidOff = new WeakSet<Connection>();
  readonly stats = { hits: 0, batches: 0, readHits: 0 };

  /** Something may have changed (a write, a module's apply): forget every fetched state. */
  invalidate(): void {
    this.gen++;
  }

  /**
   * The connection as modules see it: every request not marked readOnly invalidates. With `ahead`
   * (the task's own channel, no environment wrapper in between), a read-only request is answered
   * from a read fetched ahead, or carries the reads of the tasks ahead.
   */
  observe(conn: Connection, ahead?: ReadAhead): Connection {
    return withExec(conn, (script: string, opts?: ExecOptions): Promise<ExecResult> => {
      if (!opts?.readOnly) this.invalidate();
      else if (ahead) return this.read(ahead.channel, script, opts, ahead.upcoming);
      return conn.exec(script, opts);
    });
  }

  /** Whether the run looked stable at `conn`'s previous read (and now it is its latest). */
  private stableAt(conn: Connection): boolean {
    // Fetch ahead on this channel's first read, when nothing changed since its previous one, or
    // when its previous batch was used: in a run where every task changes something, batches would
    // only be thrown away. The first read knows nothing either way; a command before it (a role's
    // read-only shell probe, say) already bumped the generation, and without the look-ahead every
    // task after it would pay a round trip (at most one batch lost per channel).
    const previous = this.lastProbe.get(conn);
    const stable = previous === undefined || previous === this.gen || this.paidOff.has(conn);
    this.lastProbe.set(conn, this.gen);
    this.paidOff.delete(conn);
    return stable;
  }

  /** A module's read-only request on `conn`: from a read fetched ahead, else sent with the reads ahead. */
  private async read(conn: Connection, script: string, opts: ExecOptions, upcoming: () => Promise<Upcoming>): Promise<ExecResult> {
    const stdin = batchableStdin(opts);
    if (stdin === null) return conn.exec(script, opts);
    const key = readKey(script, stdin);
    const map = this.readsOf(conn);
    const hits = map.get(key);
    // one answer for one request: a module asking again wants news
    const hit = hits?.shift();
    if (hits && hits.length === 0) map.delete(key);
    if (hit && hit.gen === this.gen) {
      this.stats.readHits++;
      this.paidOff.add(conn);
      return { ...hit.answer, durationMs: 0 };
    }
    if (!this.stableAt(conn)) return conn.exec(script, opts);
    const up = await upcoming();
    const reads = this.readsAhead(conn, up.reads, opts.timeoutMs);
    const probes = this.probesAhead(conn, up.probes, new Set());
    if (reads.length === 0 && probes.length === 0) return conn.exec(script, opts);
    const lead: ReadRequest[] = [{ script, opts }];
    if (probes.length > 0) lead.push({ script: batchProbeScript(probes), opts: { label: `probe+${probes.length - 1}`, readOnly: true } });
    const gen = this.gen;
    const answers = await this.batch(conn, [...lead, ...reads], lead.length, gen);
    if (answers === null) return conn.exec(script, opts); // read-only: asking again alone is safe
    if (probes.length > 0) this.keepProbeResults(conn, probes, answers[1]!.exitCode === 0 ? parseBatch(probes, answers[1]!.raw) : [], 0, gen);
    return { ...answers[0]!, durationMs: 0 };
  }

  /**
   * The probe of `path` on `conn` (the channel itself, not a wrapper): from the cache, else one
   * request that also carries `upcoming()`'s probes and reads when the run is stable.
   */
  async probe(conn: Connection, path: string, opts: ProbeOptions, upcoming: () => Promise<Upcoming>): Promise<FileProbe> {
    const key = keyOf(path, opts);
    const map = this.probesOf(conn);
    const hit = map.get(key);
    if (hit && hit.gen === this.gen) {
      this.stats.hits++;
      this.paidOff.add(conn);
      return hit.probe;
    }
    if (!this.stableAt(conn)) return probeOnce(conn, path, opts);
    const up = await upcoming();
    const items = this.probesAhead(conn, up.probes, new Set([key]), { path, opts });
    const reads = this.readsAhead(conn, up.reads, undefined);
    if (items.length === 1 && reads.length === 0) return probeOnce(conn, path, opts);
    const gen = this.gen;
    const label = `probe+${items.length - 1}`;
    let raw: Buffer | undefined;
    if (reads.length === 0) {
      this.stats.batches++;
      const r = await conn.exec(batchProbeScript(items), { label, readOnly: true, text: true });
      if (r.exitCode === 0) raw = r.raw;
    } else {
      const answers = await this.batch(conn, [{ script: batchProbeScript(items), opts: { label, readOnly: true } }, ...reads], 1, gen);
      if (answers && answers[0]!.exitCode === 0) raw = answers[0]!.raw;
    }
    const results = raw ? parseBatch(items, raw) : [];
    this.keepProbeResults(conn, items, results, 1, gen);
    // The first item failing (unreadable path…) is asked again alone: its error is the module's.
    return results[0] ?? probeOnce(conn, path, opts);
  }

  private probesOf(conn: Connection): Map<string, Entry> {
    let map = this.entries.get(conn);
    if (!map) this.entries.set(conn, (map = new Map()));
    return map;
  }

  private readsOf(conn: Connection): Map<string, ReadEntry[]> {
    let map = this.readEntries.get(conn);
    if (!map) this.readEntries.set(conn, (map = new Map()));
    return map;
  }

  /** The probes worth fetching: `first` (asked now) then the ones ahead not asked or still known. */
  private probesAhead(conn: Connection, ahead: ProbeRequest[], seen: Set<string>, first?: ProbeRequest): ProbeRequest[] {
    const map = this.probesOf(conn);
    const items: ProbeRequest[] = first ? [first] : [];
    const max = first ? LOOKAHEAD + 1 : LOOKAHEAD;
    for (const r of ahead) {
      if (items.length >= max) break;
      const k = keyOf(r.path, r.opts);
      if (seen.has(k) || map.get(k)?.gen === this.gen) continue;
      seen.add(k);
      items.push(r);
    }
    return items;
  }

  /**
   * The reads worth fetching: batchable, not fetched already (a read that n tasks ahead make is
   * fetched n times: each answers one), and — when the request carrying them has a time limit —
   * each bounded within it (a read that outlasts it would fail the request it rides with).
   */
  private readsAhead(conn: Connection, ahead: ReadRequest[], limitMs: number | undefined): ReadRequest[] {
    const map = this.readsOf(conn);
    const out: ReadRequest[] = [];
    const wanted = new Map<string, number>();
    for (const r of ahead) {
      if (out.length >= READS_AHEAD) break;
      const stdin = batchableStdin(r.opts);
      if (stdin === null || !r.opts.readOnly) continue;
      if (limitMs !== undefined && (r.opts.timeoutMs === undefined || r.opts.timeoutMs > limitMs)) continue;
      const k = readKey(r.script, stdin);
      const n = (wanted.get(k) ?? 0) + 1;
      wanted.set(k, n);
      if (n <= (map.get(k)?.filter((e) => e.gen === this.gen).length ?? 0)) continue;
      out.push(r);
    }
    return out;
  }

  /**
   * Runs `reqs` concurrently in one request, sent at generation `gen`; those from `keepFrom` on are
   * kept as reads fetched ahead (the ones before are the caller's: the request being asked, a probe
   * batch). Null when the batch did not add up: nothing from it is used.
   */
  private async batch(conn: Connection, reqs: ReadRequest[], keepFrom: number, gen: number): Promise<ReadAnswer[] | null> {
    this.stats.batches++;
    const timeouts = reqs.map((r) => r.opts.timeoutMs);
    const r = await conn.exec(readBatchScript(reqs), {
      stdin: reqs.map((q) => batchableStdin(q.opts)).join(''),
      secrets: reqs.flatMap((q) => q.opts.secrets ?? []),
      label: reqs.map((q) => q.opts.label ?? 'exec').join('+'),
      timeoutMs: timeouts[0] === undefined ? undefined : Math.max(...timeouts.map((t) => t ?? 0)),
      readOnly: true,
    });
    let answers: ReadAnswer[];
    try {
      if (r.exitCode !== 0) return null;
      answers = parseReadBatch(r.raw, reqs.length);
    } catch {
      return null;
    }
    const map = this.readsOf(conn);
    // dead entries go, the map stays small
    for (const [k, es] of map) {
      const live = es.filter((e) => e.gen === gen);
      if (live.length === 0) map.delete(k);
      else if (live.length !== es.length) map.set(k, live);
    }
    for (let i = keepFrom; i < reqs.length; i++) {
      const q = reqs[i]!;
      const k = readKey(q.script, batchableStdin(q.opts)!);
      const es = map.get(k);
      if (es) es.push({ gen, answer: answers[i]! });
      else map.set(k, [{ gen, answer: answers[i]! }]);
    }
    return answers;
  }

  private keepProbeResults(conn: Connection, items: ProbeRequest[], results: Array<FileProbe | undefined>, from: number, gen: number): void {
    const map = this.probesOf(conn);
    for (const [k, e] of map) if (e.gen !== gen) map.delete(k); // dead entries go, the map stays small
    for (let i = from; i < items.length; i++) {
      const p = results[i];
      if (p) map.set(keyOf(items[i]!.path, items[i]!.opts), { gen, probe: p });
    }
  }
}

// ------------------------------------------------------------------ the look-ahead

/** Where the runner's lockstep walk is: a task list and the index of the task running now. */
export interface LookaheadFrame {
  tasks: TaskNode[];
  index: number;
  scope: Scope;
  playHosts: string[];
}

/** What the look-ahead needs from the run. */
export interface LookaheadEnv {
  check: boolean;
  diff: boolean;
  /** --tags / --skip-tags selection. */
  selected(tags: string[]): boolean;
  /** A host's variables in a scope (runner's precedence). */
  vars(host: string, scope: Scope, playHosts: string[], role: ModuleTask['role'], blockVars: Vars[]): Vars;
  /** A task's arguments rendered and validated (throws when not knowable yet). */
  args(mod: AnyModule, node: ModuleTask, vars: Vars): Record<string, unknown>;
  /** The host's facts as known now (what a module's reads() may depend on). */
  facts(): Facts;
  /** Task lists after the current play section (later sections, later plays), visited whole when the frames end. */
  beyond?(): LookaheadFrame[];
}

/** Whether conditions hold with the variables as they are now; undefined when that is not known yet. */
function known(when: readonly Condition[], vars: Vars): boolean | undefined {
  try {
    return when.every((c) => evalBool(c, vars));
  } catch {
    return undefined;
  }
}

/** Whether conditions are known to hold. */
function holds(when: readonly Condition[], vars: Vars): boolean {
  return known(when, vars) === true;
}

/** What a task sets for the tasks after it: its register, and a set_fact's names. */
function setsNames(node: TaskNode, into: Set<string>): void {
  if (node.kind === 'module' && node.register) into.add(node.register);
  if (node.kind === 'set_fact') for (const k of Object.keys(node.facts)) into.add(k);
}

class Pending extends Error {}

/** `vars` where reading any of `names` throws (unlike an undefined name, `default()` cannot hide it). */
function unknownNames(vars: Vars, names: ReadonlySet<string>): Vars {
  const out: Vars = {};
  copyOwnProperties(out, vars);
  for (const k of names) {
    Object.defineProperty(out, k, {
      get() {
        throw new Pending(`${k} is not known yet`);
      },
      enumerable: true,
      configurable: true,
    });
  }
  return out;
}


/**
 * What the tasks after the current one will read on `host` — in the enclosing task lists, then in
 * the play's later sections and later plays on the same channel (env.beyond) — as far as can be
 * known now: the file
 * probes and module reads of module tasks that declare them, on the same channel (become,
 * delegate_to), without a loop, whose arguments render with the host's variables as they are now.
 * Reads (a process or more each) also need the task's conditions to hold as far as known, no
 * `environment` (it changes the request), and for run_once the first host. A guess that turns out
 * wrong only costs a request (prefetch.ts).
 */
export async function upcoming(host: string, current: Scope, frames: readonly LookaheadFrame[], env: LookaheadEnv): Promise<Upcoming> {
  const out: Upcoming = { probes: [], reads: [] };
  const same = (s: Scope) =>
    s.inherited.become === current.inherited.become && s.inherited.becomeUser === current.inherited.becomeUser && s.inherited.delegateTo === undefined;
  let scanned = 0;
  let facts: Facts | undefined;
  // one variable scope per role and block-vars chain (building one per task is most of the cost)
  const scopes = new Map<unknown, Map<unknown, Vars>>();
  const varsFor = (scope: Scope, playHosts: string[], role: ModuleTask['role'], blockVars: Vars[]): Vars => {
    let byRole = scopes.get(blockVars);
    if (!byRole) scopes.set(blockVars, (byRole = new Map()));
    let v = byRole.get(role);
    if (!v) byRole.set(role, (v = env.vars(host, scope, playHosts, role, blockVars)));
    return v;
  };
  const full = () => out.probes.length >= LOOKAHEAD && out.reads.length >= READS_AHEAD;
  // Names that the current task and the tasks visited so far will set (register, set_fact): their
  // values are not known yet, so reading one makes a task's arguments or conditions unknown.
  const pending = new Set<string>();
  const cur = frames[frames.length - 1];
  const here = cur?.tasks[cur.index];
  if (here) setsNames(here, pending);
  // the pending set only grows: a scope's copy stays right until a name is added (copies are costly)
  const guarded = new WeakMap<Vars, { size: number; vars: Vars }>();
  const withPending = (vars: Vars): Vars => {
    if (pending.size === 0) return vars;
    const had = guarded.get(vars);
    if (had && had.size === pending.size) return had.vars;
    const out = unknownNames(vars, pending);
    guarded.set(vars, { size: pending.size, vars: out });
    return out;
  };
  // `certain`: the enclosing dynamic includes are known to run (an include whose `when` is not known
  // yet is visited for its probes and what it sets, but its tasks' reads are not fetched)
  const visit = async (nodes: TaskNode[], scope: Scope, playHosts: string[], certain = true): Promise<boolean> => {
    for (const node of nodes) {
      if (full() || ++scanned > 4 * LOOKAHEAD) return false;
      const inner = childScope(scope, node);
      if (node.kind === 'block') {
        // a templated include: which tasks come (and what they register) is known only when it runs
        if (node.include?.late) return false;
        // a dynamic include: its own `when` decides whether its tasks come at all; with a loop, how often
        let sure = certain;
        if (node.include) {
          if (node.include.loop !== undefined) continue;
          const runs = known(node.include.when, withPending(varsFor(scope, playHosts, node.role, inner.blockVars)));
          if (runs === false) continue;
          sure = certain && runs === true;
        }
        if (!(await visit(node.block, inner, playHosts, sure))) return false;
        if (!(await visit(node.always, inner, playHosts, sure))) return false;
        continue;
      }
      if (node.kind !== 'module') {
        setsNames(node, pending);
        continue;
      }
      if (!scope.handler && !env.selected(inner.inherited.tags)) continue;
      const mod = await getModule(node.module);
      const vars = withPending(varsFor(scope, playHosts, node.role, inner.blockVars));
      setsNames(node, pending);
      if (!mod.probes && !mod.reads) {
        // A task that runs something unpredictable (command, shell) will outdate whatever is
        // fetched for the tasks behind it: stop there when it is known to run. One whose
        // conditions are not known yet (they read a result still to come: a diagnostic that runs
        // when a wait failed, a reload when a file changed) is passed: in a run stable so far, it
        // is most often skipped, and when it runs it only outdates what was fetched past it.
        const mayChange = mod.doc.check !== 'full' && !(inner.inherited.checkMode ?? env.check);
        if (mayChange && holds(inner.inherited.when, vars)) return false;
        continue;
      }
      // no_log: its paths stay out of other tasks' (traced) requests
      if (node.loop !== undefined || !same(inner) || mod.runsOn === 'control' || inner.inherited.noLog) continue;
      // known to be skipped: nothing to fetch, nor arguments to render (most of the walk's cost)
      const runs = known(inner.inherited.when, vars);
      if (runs === false) continue;
      try {
        const args = env.args(mod, node, vars);
        if (mod.probes && out.probes.length < LOOKAHEAD) out.probes.push(...mod.probes(args, { diff: (inner.inherited.diff ?? true) && env.diff }));
        // A read costs the host a process or more (an etcd login is a deliberately slow hash): it is
        // fetched only for a task known to run, with a request known now — conditions and arguments
        // that read a result still to come (a register ahead) leave it to its own task.
        const readable = runs && certain && !inner.inherited.environment && (!inner.inherited.runOnce || playHosts[0] === host);
        if (mod.reads && readable && out.reads.length < READS_AHEAD) {
          out.reads.push(...mod.reads(args, { facts: (facts ??= env.facts()), check: inner.inherited.checkMode ?? env.check }));
        }
      } catch {
        // not knowable yet (a variable registered later, bad args): that task reads on its own
      }
    }
    return true;
  };
  for (let f = frames.length - 1; f >= 0; f--) {
    const { tasks, index, scope, playHosts } = frames[f]!;
    if (!(await visit(tasks.slice(index + 1), scope, playHosts))) return out;
  }
  for (const { tasks, index, scope, playHosts } of env.beyond?.() ?? []) {
    if (!(await visit(tasks.slice(index + 1), scope, playHosts))) break;
  }
  return out;
}
