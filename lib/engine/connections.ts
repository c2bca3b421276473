// Connection lifecycle for a run, in one place: each host's channel (opened on first use, or a
// prestarted one taken over), `connection: local` plays, channels for other become users,
// `environment:`, closing everything and counting requests for the summary.
import type { Inventory } from '../loaders/inventory.js';
import type { Connection, ConnectionSpec } from '../executor/types.js';
import { shq, withExec } from '../executor/types.js';
import { LocalConnection } from '../executor/local.js';
import { connectionType, createConnection } from '../executor/registry.js';
import type { Prestart, Prestarted } from './prestart.js';
import { connectionSpec } from './hosts.js';
import type { Vars } from './vars.js';
import { killTreeScript, type JobConnection } from './async-jobs.js';

export interface ConnectionsOptions {
  /** Test hook: creates a connection for a host (default: the registry's transport, executor/registry.ts). */
  connect?: (spec: ConnectionSpec) => Connection | Promise<Connection>;
  /** -vvv request trace (undefined below -vvv). */
  trace?: (line: string) => void;
}

export class Connections {
  /** The control node. */
  readonly local: LocalConnection;
  /** Each host's own channel (the inventory's user and become). */
  private readonly primary = new Map<string, Connection>();
  /** Channels for other become users than the inventory's, and `connection: local` plays, keyed by host and user. */
  private readonly extra = new Map<string, Connection>();
  /** Channels started while the playbook loaded (prestart.ts), taken over by each host's first remote play. */
  private prestart?: Prestart;
  /** A prestarted channel taken over, until its play's fact step awaits its bootstrap (and facts). */
  private readonly warm = new Map<string, Prestarted>();
  /** The current play has `connection: local`. */
  playLocal = false;

  constructor(
    private readonly inventory: Inventory,
    private readonly opts: ConnectionsOptions,
  ) {
    this.local = new LocalConnection('localhost', opts.trace);
  }

  /** Channels started before the run (prestart.ts): each host's is taken over by the first play that uses it. */
  adopt(prestart: Prestart | undefined): void {
    this.prestart = prestart;
  }

  spec(name: string): ConnectionSpec {
    return connectionSpec(this.inventory, name, this.opts.trace);
  }

  /** The host's channel for this play (not opened yet unless it was prestarted). */
  async host(name: string): Promise<Connection> {
    if (this.playLocal) {
      // `connection: local` play: this host's tasks run on the control node (its own ssh channel, if any, is untouched)
      const key = `${name}\0local`;
      let c = this.extra.get(key);
      if (!c) this.extra.set(key, (c = new LocalConnection(name, this.opts.trace)));
      return c;
    }
    const open = this.primary.get(name);
    if (open) return open;
    const w = await this.prestart?.take(name);
    if (w) {
      w.adopt(this.opts.trace);
      this.warm.set(name, w);
      this.primary.set(name, w.conn);
      return w.conn;
    }
    const c = await this.create(this.spec(name));
    this.primary.set(name, c);
    return c;
  }

  /** A prestarted channel's bootstrap (and facts), handed over once to the play's fact step. */
  takeWarm(name: string): Prestarted | undefined {
    const w = this.warm.get(name);
    this.warm.delete(name);
    return w;
  }

  /**
   * The channel a task runs on: the host's own, or — when the task's `become:` differs from the
   * inventory's — a separate channel running under `sudo -n -u USER` (one per user, reused). Opened
   * unless `open` is false.
   */
  async forTask(name: string, become: { become?: boolean; becomeUser?: string }, open = true): Promise<Connection> {
    if (this.playLocal) return this.host(name);
    const own = await this.host(name);
    const base = this.spec(name);
    const on = become.become ?? base.become ?? false;
    const user = on ? (become.becomeUser ?? base.becomeUser ?? 'root') : undefined;
    const baseUser = base.become ? base.becomeUser ?? 'root' : undefined;
    // a transport that can start its channel under sudo gets one channel per user; others run as they are
    if (user !== baseUser && connectionType(own.kind)?.become) {
      const key = `${name}\0${user ?? ''}`;
      let c = this.extra.get(key);
      if (!c) {
        c = await this.create({ ...base, become: user !== undefined, becomeUser: user });
        this.extra.set(key, c);
      }
      if (open) await c.open();
      return c;
    }
    if (open) await own.open();
    return own;
  }

  /** Connections of async jobs (async-jobs.ts), busy or idle. */
  private readonly jobConns = new Set<Connection>();
  /** Idle job connections, by host and user (and local play), reused by the host's next job. */
  private readonly idleJobConns = new Map<string, Connection[]>();

  /**
   * A connection of its own for an async job: the transport and become user `forTask` would use, but
   * never the host's channel, so the tasks after a `poll: 0` task are not queued behind it. Opened.
   * `release(true)` keeps it for the host's next job; `release(false)` forgets it (the job closes it).
   */
  async spare(name: string, become: { become?: boolean; becomeUser?: string }, local = this.playLocal): Promise<JobConnection> {
    let spec: ConnectionSpec | undefined;
    let key: string;
    if (local) key = `${name}\0local`;
    else {
      const base = this.spec(name);
      const on = become.become ?? base.become ?? false;
      const user = on ? (become.becomeUser ?? base.becomeUser ?? 'root') : undefined;
      spec = connectionType(base.connection)?.become ? { ...base, become: user !== undefined, becomeUser: user } : base;
      key = `${name}\0${user ?? ''}`;
    }
    const idle = this.idleJobConns.get(key);
    let c = idle?.pop();
    if (!c) {
      c = spec ? await this.create(spec) : new LocalConnection(name, this.opts.trace);
      this.jobConns.add(c);
    }
    await c.open();
    const conn = c;
    const roots = await this.jobRoots(conn);
    return {
      conn,
      release: (reusable) => {
        if (!reusable) return;
        const list = this.idleJobConns.get(key) ?? [];
        list.push(conn);
        this.idleJobConns.set(key, list);
      },
      kill: async () => {
        const { pids, withSelf } = roots();
        if (pids.length) {
          // the job's connection is busy with it: the kill goes on another one, as the same user
          const k = await this.spare(name, become, local);
          try {
            await k.conn.exec(killTreeScript(pids, withSelf), { label: 'async:kill', timeoutMs: 30_000 });
            k.release(true);
          } catch {
            k.release(false);
          }
        }
        await conn.close();
      },
    };
  }

  /** The job connections' dispatcher PIDs (a channel's, asked once), what a deadline kills under. */
  private readonly dispatcherPid = new WeakMap<Connection, number>();

  private async jobRoots(c: Connection): Promise<() => { pids: number[]; withSelf: boolean }> {
    if (c instanceof LocalConnection) return () => ({ pids: c.runningPids(), withSelf: true });
    let pid = this.dispatcherPid.get(c);
    if (pid === undefined) {
      // a request runs in a subshell of the channel's loop: $$ is the loop's PID
      const r = await c.exec('echo $$', { label: 'async:pid', readOnly: true, text: true });
      pid = /^\d+$/.test(r.stdout.trim()) ? Number(r.stdout.trim()) : 0;
      this.dispatcherPid.set(c, pid);
    }
    const p = pid;
    return () => ({ pids: p > 0 ? [p] : [], withSelf: false });
  }

  /** A connection for a spec: the test hook if given, else the registry's transport (imported only when needed). */
  private async create(spec: ConnectionSpec): Promise<Connection> {
    if (this.opts.connect) return this.opts.connect(spec);
    return createConnection(spec);
  }

  /** Every channel of the run, prestarted ones included (not the control node's). */
  all(): Set<Connection> {
    const all = new Set<Connection>([...this.extra.values(), ...this.jobConns]);
    for (const c of this.primary.values()) all.add(c);
    for (const c of this.prestart?.connections() ?? []) all.add(c);
    return all;
  }

  /** Channels closed by meta: reset_connection: their requests and processes still count. */
  private readonly retired = new Set<Connection>();

  /**
   * meta: reset_connection — closes every channel of the host (its own, its become users', a local
   * play's); the next task opens a new one (and with it a new login: new groups, a new environment).
   */
  async reset(name: string): Promise<void> {
    const mine = [...this.primary.entries(), ...this.extra.entries()].filter(([k]) => k === name || k.startsWith(`${name}\0`));
    this.warm.delete(name);
    for (const [k, c] of mine) {
      this.primary.delete(k);
      this.extra.delete(k);
      await c.close();
      this.retired.add(c);
    }
  }

  /** Requests sent and processes started, the control node's requests included. */
  totals(): { requests: number; processes: number } {
    let requests = this.local.stats.requests;
    let processes = 0;
    // a prestarted channel is in all() as well as, once reset, in retired: counted once
    for (const c of new Set([...this.all(), ...this.retired])) {
      requests += c.stats.requests;
      processes += c.stats.processes;
    }
    return { requests, processes };
  }

  /** Closes every channel, prestarted ones included. */
  async close(): Promise<void> {
    await Promise.all([...[...this.all()].map((c) => c.close()), this.prestart?.close()]);
  }
}

/** `environment:` — every request of the task exports these first (values travel in the script, on the channel, not in argv). */
export function withEnvironment(conn: Connection, env: Vars): Connection {
  const prefix = Object.entries(env)
    .filter(([k]) => /^[A-Za-z_][A-Za-z0-9_]*$/.test(k))
    .map(([k, v]) => `export ${k}=${shq(v === null || v === undefined ? '' : String(v))}`)
    .join('\n');
  return withExec(conn, (script, opts) => conn.exec(`${prefix}\n${script}`, opts));
}
