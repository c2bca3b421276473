// File states fetched ahead: when a task probes a file and nothing has changed anywhere since the
// previous probe on that channel, the probes the next tasks will make (TaskModule.probes) travel in
// the same request, and those tasks then plan without a round trip. The idea is pyinfra's (facts of
// every operation gathered before executing), kept safe for a linear run:
// - an answer is only used while no request that may change a host has been sent since it was
//   fetched: any exec not marked `readOnly`, and any module apply(), on ANY host invalidates all
//   (a write on one host may show on another, e.g. a shared filesystem); so do a retry (until), a
//   module that waits for the world to change (wait_for) and a --step prompt (runner.ts);
// - fetching ahead happens while the run is seen to be stable (no change since the channel's
//   previous probe, or its previous batch was used), so a converging run, where every task changes
//   something, rarely fetches what it then throws away;
// - a guess that does not match what the plan asks is a cache miss: one ordinary request.
import { withExec, type Connection, type ExecOptions, type ExecResult } from '../executor/types.js';
import type { ProbeRequest } from '../modules/types.js';
import { probeOnce, type FileProbe, type ProbeOptions } from '../modules/util/remote-file.js';
import { batchProbeScript, parseBatch } from '../modules/util/probe-batch.js';
import type { ModuleTask, TaskNode } from '../ast.js';
import type { AnyModule } from '../modules/types.js';
import { getModule } from '../modules/index.js';
import { evalBool } from './expr.js';
import { childScope, type Scope } from './scope.js';
import type { Vars } from './vars.js';

/** Probes fetched ahead per request, besides the one asked for. */
export const LOOKAHEAD = 16;

function keyOf(path: string, o: ProbeOptions): string {
  return JSON.stringify([path, !!o.follow, o.appendIfDir ?? null, o.checksum !== false, !!o.wantContent, o.maxContent ?? null, o.digest ?? null, !!o.mime, !!o.realpath]);
}

interface Entry {
  gen: number;
  probe: FileProbe;
}

export class ProbeCache {
  /** Bumped by anything that may change a host; entries of older generations are dead. */
  private gen = 0;
  private readonly entries = new WeakMap<Connection, Map<string, Entry>>();
  /** Generation at each channel's previous probe (stable run = unchanged since). */
  private readonly lastProbe = new WeakMap<Connection, number>();
  /** Channels whose latest batch answered a later probe. */
  private readonly paidOff = new WeakSet<Connection>();
  readonly stats = { hits: 0, batches: 0 };

  /** Something may have changed (a write, a module's apply): forget every fetched state. */
  invalidate(): void {
    this.gen++;
  }

  /** The connection as modules see it: every request not marked readOnly invalidates. */
  observe(conn: Connection): Connection {
    return withExec(conn, (script: string, opts?: ExecOptions): Promise<ExecResult> => {
      if (!opts?.readOnly) this.invalidate();
      return conn.exec(script, opts);
    });
  }

  /**
   * The probe of `path` on `conn` (the channel itself, not a wrapper): from the cache, else one
   * request that also carries `upcoming()`'s probes when the run is stable.
   */
  async probe(conn: Connection, path: string, opts: ProbeOptions, upcoming: () => Promise<ProbeRequest[]>): Promise<FileProbe> {
    const key = keyOf(path, opts);
    let map = this.entries.get(conn);
    if (!map) this.entries.set(conn, (map = new Map()));
    const hit = map.get(key);
    if (hit && hit.gen === this.gen) {
      this.stats.hits++;
      this.paidOff.add(conn);
      return hit.probe;
    }
    // Fetch ahead on this channel's first probe, when nothing changed since its previous probe, or
    // when its previous batch was used: in a run where every task changes something, batches would
    // only be thrown away. The first probe knows nothing either way; a command before it (a
    // role's read-only shell probe, say) already bumped the generation, and without the look-ahead
    // every file task after it would pay a round trip (at most one batch lost per channel).
    const previous = this.lastProbe.get(conn);
    const stable = previous === undefined || previous === this.gen || this.paidOff.has(conn);
    this.lastProbe.set(conn, this.gen);
    this.paidOff.delete(conn);
    if (!stable) {
      return probeOnce(conn, path, opts);
    }
    const seen = new Set([key]);
    const items: ProbeRequest[] = [{ path, opts }];
    for (const r of await upcoming()) {
      const k = keyOf(r.path, r.opts);
      if (seen.has(k) || map.get(k)?.gen === this.gen) continue; // asked for, or still known
      seen.add(k);
      items.push(r);
      if (items.length > LOOKAHEAD) break;
    }
    if (items.length === 1) {
      return probeOnce(conn, path, opts);
    }
    const gen = this.gen;
    this.stats.batches++;
    const r = await conn.exec(batchProbeScript(items), { label: `probe+${items.length - 1}`, readOnly: true, text: true });
    const results = r.exitCode === 0 ? parseBatch(items, r.raw) : [];
    for (const [k, e] of map) if (e.gen !== gen) map.delete(k); // dead entries go, the map stays small
    for (let i = 1; i < items.length; i++) {
      const p = results[i];
      if (p) map.set(keyOf(items[i]!.path, items[i]!.opts), { gen, probe: p });
    }
    // The first item failing (unreadable path…) is asked again alone: its error is the module's.
    return results[0] ?? probeOnce(conn, path, opts);
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
}

/** Whether a task's conditions hold with the variables as they are now (unknown counts as yes). */
function mayRun(scope: Scope, vars: Vars): boolean {
  try {
    return scope.inherited.when.every((c) => evalBool(c, vars));
  } catch {
    return true;
  }
}

/**
 * The file probes the tasks after the current one will make on `host`, as far as they can be
 * known now: module tasks that declare probes(), on the same channel (become, delegate_to),
 * without a loop, whose arguments render with the host's variables as they are now. A guess
 * that turns out wrong only costs a request (prefetch.ts).
 */
export async function upcomingProbes(host: string, current: Scope, frames: readonly LookaheadFrame[], env: LookaheadEnv): Promise<ProbeRequest[]> {
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
    if (!v) byRole.set(role, (v = env.vars(host, scope, playHosts, role, blockVars)));
    return v;
  };
  const visit = async (nodes: TaskNode[], scope: Scope, playHosts: string[]): Promise<boolean> => {
    for (const node of nodes) {
      if (out.length >= LOOKAHEAD || ++scanned > 4 * LOOKAHEAD) return false;
      const inner = childScope(scope, node);
      if (node.kind === 'block') {
        if (!(await visit(node.block, inner, playHosts))) return false;
        if (!(await visit(node.always, inner, playHosts))) return false;
        continue;
      }
      if (node.kind !== 'module') continue;
      if (!scope.handler && !env.selected(inner.inherited.tags)) continue;
      const mod = await getModule(node.module);
      const vars = varsFor(scope, playHosts, node.role, inner.blockVars);
      if (!mod.probes) {
        // A task that runs something unpredictable (command, shell) will outdate whatever is
        // fetched for the tasks behind it: stop there unless it is skipped (as far as known now).
        const mayChange = mod.doc.check !== 'full' && !(inner.inherited.checkMode ?? env.check);
        if (mayChange && mayRun(inner, vars)) return false;
        continue;
      }
      // no_log: its paths stay out of other tasks' (traced) requests
      if (node.loop !== undefined || !same(inner) || mod.runsOn === 'control' || inner.inherited.noLog) continue;
      try {
        const args = env.args(mod, node, vars);
        out.push(...mod.probes(args, { diff: (inner.inherited.diff ?? true) && env.diff }));
      } catch {
        // not knowable yet (a variable registered later, bad args): that task probes on its own
      }
    }
    return true;
  };
  for (let f = frames.length - 1; f >= 0; f--) {
    const { tasks, index, scope, playHosts } = frames[f]!;
    if (!(await visit(tasks.slice(index + 1), scope, playHosts))) break;
  }
  return out;
}
