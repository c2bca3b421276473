// Load and observation for live-cluster changes (issue 6): a steady writer that records every
// write etcd acknowledged and later reads them all back, and a quorum watcher that samples every
// member's view of the leader while a playbook restarts members. Both run etcdctl on the control
// node, one process per operation, asynchronously: the playbook runs in the same process.
import { spawn } from 'node:child_process';

/** TLS files etcdctl presents. The writer and the watcher read it per operation, so a test can switch CA/cert mid-run. */
export interface EtcdTls {
  cacert: string;
  cert: string;
  key: string;
}

export interface EtcdctlResult {
  code: number;
  stdout: string;
  stderr: string;
}

/** One etcdctl v3 call; never throws (a spawn error or timeout is a non-zero code). */
export function etcdctlAsync(
  endpoints: string[],
  tls: EtcdTls,
  args: string[],
  opts: { user?: string; timeoutMs?: number } = {},
): Promise<EtcdctlResult> {
  const argv = ['--endpoints', endpoints.join(','), '--cacert', tls.cacert, '--cert', tls.cert, '--key', tls.key, ...args];
  // ETCDCTL_USER keeps the password out of argv; without it the certificate's CN is the etcd user.
  const env: NodeJS.ProcessEnv = { ...process.env, ETCDCTL_API: '3' };
  delete env.ETCDCTL_USER;
  if (opts.user) env.ETCDCTL_USER = opts.user;
  return new Promise((resolve) => {
    const p = spawn('etcdctl', argv, { env, stdio: ['ignore', 'pipe', 'pipe'], timeout: opts.timeoutMs ?? 20_000 });
    let stdout = '';
    let stderr = '';
    p.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    p.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    p.on('error', (e) => resolve({ code: -1, stdout, stderr: stderr + String(e) }));
    p.on('close', (code, signal) => resolve({ code: code ?? (signal ? -2 : -1), stdout, stderr }));
  });
}

/** etcd's own message from etcdctl's stderr (the last "Error:" line, else the last line). */
function lastError(r: EtcdctlResult): string {
  const lines = r.stderr.trim().split('\n').filter((l) => l.trim() !== '');
  return [...lines].reverse().find((l) => l.startsWith('Error:')) ?? lines[lines.length - 1] ?? `exit ${r.code}`;
}

const sleep = (ms: number) => new Promise<void>((res) => setTimeout(res, ms));

// ------------------------------------------------------------------------------------ writer

export interface WriterOptions {
  endpoints: string[];
  tls: EtcdTls;
  /** "name:password" for ETCDCTL_USER; omit to authenticate by the client certificate's CN. */
  user?: string;
  /** Keys are `<prefix><n>` (n zero-padded), values `<n>`. Use one prefix per writer. */
  prefix: string;
  /** Bounds: the loop stops by itself after this many writes or this long, whichever first. */
  maxWrites?: number;
  maxMs?: number;
  /** Pause after each write (etcdctl itself takes ~40 ms here). */
  pauseMs?: number;
}

export interface WriterReport {
  attempted: number;
  acked: number;
  failed: number;
  /** A few of etcd's messages for failed (unacknowledged) writes. */
  errors: string[];
  durationMs: number;
}

export interface VerifyReport {
  checked: number;
  /** Acknowledged keys that are missing or hold another value. */
  lost: string[];
}

/** Sequential `etcdctl put` loop; `ackedKeys` holds exactly the writes etcd acknowledged (exit 0, "OK"). */
export class EtcdWriter {
  readonly ackedKeys = new Map<string, string>();
  private tls: EtcdTls;
  private stopping = false;
  private loop?: Promise<void>;
  private attempted = 0;
  private failed = 0;
  private errors: string[] = [];
  private t0 = 0;
  private t1 = 0;

  constructor(private readonly o: WriterOptions) {
    this.tls = o.tls;
  }

  /** Credentials for the next writes (CA rotation: the writer follows the cluster's trust). */
  setTls(tls: EtcdTls): void {
    this.tls = tls;
  }

  get acked(): number {
    return this.ackedKeys.size;
  }

  start(): void {
    if (this.loop) throw new Error('writer already started');
    this.t0 = Date.now();
    this.loop = this.run();
  }

  private async run(): Promise<void> {
    const max = this.o.maxWrites ?? 10_000;
    const maxMs = this.o.maxMs ?? 180_000;
    for (let n = 1; n <= max && !this.stopping && Date.now() - this.t0 < maxMs; n++) {
      const key = `${this.o.prefix}${String(n).padStart(6, '0')}`;
      const value = String(n);
      this.attempted++;
      const r = await etcdctlAsync(this.o.endpoints, this.tls, ['--command-timeout=5s', 'put', key, value], { user: this.o.user });
      if (r.code === 0 && r.stdout.trim() === 'OK') this.ackedKeys.set(key, value);
      else {
        this.failed++;
        if (this.errors.length < 10) this.errors.push(`${key}: ${lastError(r)}`);
      }
      if (this.o.pauseMs) await sleep(this.o.pauseMs);
    }
    this.t1 = Date.now();
  }

  /** Stops after the write in flight (which is counted like any other) and returns the tally. */
  async stop(): Promise<WriterReport> {
    this.stopping = true;
    await this.loop;
    return { attempted: this.attempted, acked: this.acked, failed: this.failed, errors: this.errors, durationMs: this.t1 - this.t0 };
  }

  /** Reads the prefix back in one `get --prefix` and returns every acknowledged write that is not there as written. */
  async verify(tls: EtcdTls = this.tls): Promise<VerifyReport> {
    const r = await etcdctlAsync(this.o.endpoints, tls, ['--command-timeout=30s', 'get', '--prefix', this.o.prefix, '-w', 'json'], {
      user: this.o.user,
      timeoutMs: 60_000,
    });
    if (r.code !== 0) throw new Error(`verify: etcdctl get failed: ${lastError(r)}`);
    const parsed = JSON.parse(r.stdout) as { kvs?: Array<{ key: string; value: string }> };
    const have = new Map<string, string>();
    for (const kv of parsed.kvs ?? []) {
      have.set(Buffer.from(kv.key, 'base64').toString('utf8'), Buffer.from(kv.value, 'base64').toString('utf8'));
    }
    const lost = [...this.ackedKeys].filter(([k, v]) => have.get(k) !== v).map(([k]) => k);
    return { checked: this.ackedKeys.size, lost };
  }
}

// ------------------------------------------------------------------------------------ quorum watcher

export interface QuorumSample {
  /** ms since the watcher started */
  at: number;
  /** endpoints that answered `endpoint status` and know a leader */
  withLeader: string[];
  /** distinct leader ids reported */
  leaders: string[];
  down: string[];
}

export interface QuorumReport {
  samples: number;
  /** Consecutive samples below quorum: the cluster had no leader / too few healthy members for longer than one sample. */
  incidents: QuorumSample[][];
  /** Single bad samples: a leader election under way while a member restarts (a few ms). */
  blips: QuorumSample[];
  /** Most members seen without a leader at once. */
  maxDown: number;
  leaderChanges: number;
  /** Samples where members named different leaders (one still had the old one: an election just happened). */
  splitViews: number;
}

export interface WatcherOptions {
  endpoints: string[];
  tls: EtcdTls;
  /** Members that must know a leader (default: a majority of endpoints). */
  quorum?: number;
  intervalMs?: number;
  maxMs?: number;
}

/**
 * Polls `endpoint status` on every member (in parallel, one etcdctl per endpoint so a down member
 * costs its own timeout only). A sample is bad when fewer than `quorum` members answer with a
 * leader; two bad samples in a row (≥ one poll interval) are an incident: quorum lost, not an election.
 */
export class QuorumWatcher {
  readonly history: QuorumSample[] = [];
  private tls: EtcdTls;
  private stopping = false;
  private loop?: Promise<void>;
  private t0 = 0;

  constructor(private readonly o: WatcherOptions) {
    this.tls = o.tls;
  }

  setTls(tls: EtcdTls): void {
    this.tls = tls;
  }

  private get quorum(): number {
    return this.o.quorum ?? Math.floor(this.o.endpoints.length / 2) + 1;
  }

  start(): void {
    if (this.loop) throw new Error('watcher already started');
    this.t0 = Date.now();
    this.loop = this.run();
  }

  async sample(): Promise<QuorumSample> {
    const at = Date.now() - this.t0;
    const tls = this.tls;
    const per = await Promise.all(
      this.o.endpoints.map(async (ep) => {
        const r = await etcdctlAsync([ep], tls, ['--dial-timeout=1s', '--command-timeout=1s', 'endpoint', 'status', '-w', 'json'], { timeoutMs: 5_000 });
        if (r.code !== 0) return { ep, leader: undefined };
        // Leader ids exceed 2^53: read them as text, not through JSON.parse.
        const m = /"leader":(\d+)/.exec(r.stdout);
        return { ep, leader: m && m[1] !== '0' ? m[1] : undefined };
      }),
    );
    const withLeader = per.filter((p) => p.leader).map((p) => p.ep);
    return {
      at,
      withLeader,
      leaders: [...new Set(per.map((p) => p.leader).filter((l): l is string => l !== undefined))],
      down: per.filter((p) => !p.leader).map((p) => p.ep),
    };
  }

  private bad(s: QuorumSample): boolean {
    return s.withLeader.length < this.quorum;
  }

  private async run(): Promise<void> {
    const maxMs = this.o.maxMs ?? 300_000;
    while (!this.stopping && Date.now() - this.t0 < maxMs) {
      this.history.push(await this.sample());
      await sleep(this.o.intervalMs ?? 250);
    }
  }

  async stop(): Promise<QuorumReport> {
    this.stopping = true;
    await this.loop;
    const incidents: QuorumSample[][] = [];
    const blips: QuorumSample[] = [];
    let run: QuorumSample[] = [];
    const close = () => {
      if (run.length > 1) incidents.push(run);
      else if (run.length === 1) blips.push(run[0]!);
      run = [];
    };
    let leaderChanges = 0;
    let leader: string | undefined;
    for (const s of this.history) {
      if (this.bad(s)) run.push(s);
      else close();
      if (s.leaders.length === 1 && s.leaders[0] !== leader) {
        if (leader !== undefined) leaderChanges++;
        leader = s.leaders[0];
      }
    }
    close();
    return {
      samples: this.history.length,
      incidents,
      blips,
      maxDown: Math.max(0, ...this.history.map((s) => s.down.length)),
      leaderChanges,
      splitViews: this.history.filter((s) => s.leaders.length > 1).length,
    };
  }
}
