// Long waits (etcd health retries, wait_for, `until` retries) as the operator sees them: on a TTY one
// line, rewritten in place, with what is awaited and for how long; elsewhere (CI logs) plain lines,
// and at -v0 only a rare "still waiting" line so a slow step does not look like a hang.

/** 950 ms → "0s", 12_300 → "12s", 125_000 → "2m05s", 3_723_000 → "1h02m". */
export function formatElapsed(ms: number): string {
  const s = Math.max(0, Math.floor(ms / 1000));
  if (s < 60) return `${s}s`;
  const m = Math.floor(s / 60);
  if (m < 60) return `${m}m${String(s % 60).padStart(2, '0')}s`;
  return `${Math.floor(m / 60)}h${String(m % 60).padStart(2, '0')}m`;
}

export interface Wait {
  /** Host key as the runner reports it (`node1`, or `node1 -> node2` when delegated). */
  key: string;
  msg: string;
  startedAt: number;
  /** Last time a non-TTY "still waiting" line was printed for it. */
  reportedAt?: number;
}

/**
 * The waits in progress, one per host key. A wait starts at a host's first progress message and ends
 * when the host's result arrives (or the next task starts).
 */
export class WaitTracker {
  private readonly waits = new Map<string, Wait>();
  constructor(private readonly now: () => number = Date.now) {}

  update(key: string, msg: string): Wait {
    const w = this.waits.get(key);
    if (w) {
      w.msg = msg;
      return w;
    }
    const n: Wait = { key, msg, startedAt: this.now() };
    this.waits.set(key, n);
    return n;
  }

  /** Ends the waits of `host` (also its delegated `host -> other` ones). */
  end(host: string): void {
    for (const k of [...this.waits.keys()]) if (k === host || k.startsWith(`${host} -> `)) this.waits.delete(k);
  }

  clear(): void {
    this.waits.clear();
  }

  get size(): number {
    return this.waits.size;
  }

  elapsed(w: Wait): number {
    return this.now() - w.startedAt;
  }

  /** The most recently started wait first: that is the one the operator is most likely to be watching. */
  list(): Wait[] {
    return [...this.waits.values()].sort((a, b) => b.startedAt - a.startedAt);
  }

  /**
   * Non-TTY, -v0: whether to print a "still waiting" line now — first after `firstMs`, then every
   * `everyMs` — and mark it printed.
   */
  due(w: Wait, firstMs = 10_000, everyMs = 30_000): boolean {
    const t = this.now();
    if (t - w.startedAt < firstMs) return false;
    if (w.reportedAt !== undefined && t - w.reportedAt < everyMs) return false;
    w.reportedAt = t;
    return true;
  }
}

/** `msg (12s)`; the elapsed time is left out under a second and when the message already says it. */
export function withElapsed(msg: string, ms: number): string {
  if (ms < 1000) return msg;
  const e = formatElapsed(ms);
  return new RegExp(`\\b${e}\\b`).test(msg) ? msg : `${msg} (${e})`;
}

/** The single TTY line: the newest wait, how many others, cut to the terminal width (a wrapped line cannot be rewritten). */
export function renderWaitLine(waits: WaitTracker, columns: number): string {
  const list = waits.list();
  const w = list[0];
  if (!w) return '';
  const more = list.length > 1 ? ` (+${list.length - 1} more waiting)` : '';
  const head = `[${w.key}] ${withElapsed(w.msg, waits.elapsed(w))}`;
  const max = Math.max(20, columns - 1 - more.length);
  return (head.length > max ? head.slice(0, max - 1) + '…' : head) + more;
}
