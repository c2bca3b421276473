// The ssh handshakes are a run's largest fixed cost, and they need the CPU the control node spends
// loading and checking the playbook anyway. So the channels of the first remote play's first batch
// start as soon as the loader has read that play's header (hosts, vars, serial, connection), with
// the read-only fact probe riding on each bootstrap. Nothing on a host changes before the runner
// executes a task; a run that stops before that (bad input: exit 4) closes these channels.
import type { Play } from '../ast.js';
import type { Inventory } from '../loaders/inventory.js';
import type { Connection, ConnectionSpec } from '../executor/types.js';
import type { TemplateEngine } from './template.js';
import { connectionSpec, selectPlayHosts, serialBatches } from './hosts.js';
import { gatherFacts } from './facts.js';
import { connectionType, createConnection } from '../executor/registry.js';
import type { Vars } from './vars.js';

export interface PrestartOptions {
  /** The template engine, asked for a templated `hosts:` only (Handlebars is a big import). */
  templates: () => Promise<TemplateEngine>;
  extraVars: Vars;
  limit?: string;
  forks: number;
  verbosity: number;
  /** Test hook: creates the connection (default: the registry's transport). */
  connect?: (spec: ConnectionSpec) => Connection | Promise<Connection>;
}

/** A channel started early, until the runner takes it over. */
export interface Prestarted {
  conn: Connection;
  /** The bootstrap (and the facts when the play gathers them). Never rejects unhandled. */
  ready: Promise<Record<string, unknown> | undefined>;
  /** -vvv trace lines of its requests so far, printed when the runner takes the channel over. */
  adopt(trace: ((line: string) => void) | undefined): void;
}

export class Prestart {
  private readonly started = new Map<string, Prestarted>();
  private readonly all: Connection[] = [];
  private offered = false;
  private starting: Promise<void> = Promise.resolve();
  private closed = false;

  constructor(
    private readonly inventory: Inventory,
    private readonly opts: PrestartOptions,
  ) {}

  /**
   * Called with each play's header, in playbook order. The first play with ssh hosts starts its
   * first serial batch (at most `forks` hosts); later calls do nothing. Never throws: whatever is
   * wrong with the play is reported by the full load and checks.
   */
  offer(play: Pick<Play, 'hosts' | 'vars' | 'loc' | 'serial' | 'order' | 'connection' | 'gatherFacts' | 'gatherSubset'>): void {
    if (this.offered || this.closed || play.connection === 'local') return;
    const specs = (templates?: TemplateEngine): ConnectionSpec[] | undefined => {
      try {
        const hosts = selectPlayHosts(play, this.inventory, templates, this.opts.extraVars, this.opts.limit);
        return serialBatches(play, hosts)[0]!
          .map((h) => connectionSpec(this.inventory, h))
          .filter((s) => connectionType(s.connection)?.prestart);
      } catch {
        return undefined;
      }
    };
    if (!play.hosts.includes('{{')) {
      const now = specs();
      if (now === undefined) this.offered = true;
      if (!now?.length) return;
      this.offered = true;
      this.starting = this.start(now.slice(0, this.opts.forks), play.gatherFacts, play.gatherSubset).catch(() => {});
      return;
    }
    // templated `hosts:` (e.g. "{{default etcd_group 'etcd'}}"): this play is the one, whatever it selects
    this.offered = true;
    this.starting = this.opts
      .templates()
      .then((templates) => {
        const later = specs(templates);
        return later?.length ? this.start(later.slice(0, this.opts.forks), play.gatherFacts, play.gatherSubset) : undefined;
      })
      .catch(() => {});
  }

  private async start(specs: ConnectionSpec[], facts: boolean, subset?: string[]): Promise<void> {
    const connect = this.opts.connect ?? createConnection;
    for (const spec of specs) {
      if (this.closed) return;
      const buffered: string[] = [];
      let sink: ((line: string) => void) | undefined;
      const trace = this.opts.verbosity >= 3 ? (line: string) => (sink ? sink(line) : buffered.push(line)) : undefined;
      const conn = await connect({ ...spec, trace });
      this.all.push(conn);
      const ready = facts ? gatherFacts(conn, subset) : conn.open().then(() => undefined);
      ready.catch(() => {}); // reported by the play that takes the channel over
      this.started.set(spec.name, {
        conn,
        ready,
        adopt: (t) => {
          sink = t ?? (() => {});
          for (const l of buffered.splice(0)) sink(l);
        },
      });
    }
  }

  /** The host's early channel, handed over once (undefined when it has none). */
  async take(host: string): Promise<Prestarted | undefined> {
    await this.starting;
    const p = this.started.get(host);
    this.started.delete(host);
    return p;
  }

  /** Every channel started (their ssh processes count in the run's summary, taken over or not). */
  connections(): readonly Connection[] {
    return this.all;
  }

  /** Closes the channels nobody took over. Idempotent. */
  async close(): Promise<void> {
    this.closed = true;
    await this.starting;
    const left = [...this.started.values()];
    this.started.clear();
    await Promise.all(left.map((p) => p.conn.close()));
  }
}
