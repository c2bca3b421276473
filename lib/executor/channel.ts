// The framed channel over any process that runs a POSIX `sh` on the target: ssh, nsenter, a
// container exec… One process per host for the whole run; requests are framed by byte length over
// its stdin/stdout (wire protocol in channel-script.ts), so a request costs a few forks on the
// target, and nothing a request carries ever lands in argv. A transport subclass says only which
// process to start and how to read its failures (ssh.ts, nsenter.ts).
import { randomBytes } from 'node:crypto';
import { spawn, type ChildProcess } from 'node:child_process';
// zx/core: the same `$` without zx's extras (fetch, glob, yaml, fs-extra…), whose import alone cost
// ~70–250 ms on the critical path of every run (bench/README.md).
import { $, type ProcessPromise } from 'zx/core';
import type { Connection, ConnectionSpec, ConnectionStats, ExecOptions, ExecResult, StdinStream } from './types.js';
import { isStdinStream } from './types.js';
import { maskText } from '../mask-text.js';
import { dispatcherLoop } from './channel-script.js';
import { openConnections } from './live.js';
import { TimeoutError, UnreachableError } from '../errors.js';

export interface ChannelOptions {
  /** Waits between reopen attempts; attempts = 1 + length. Default 0.5 s, 1 s, 2 s. */
  retryDelaysMs?: number[];
  /** How long `open` may take (TCP, auth, sudo, bootstrap) beyond ConnectTimeout. Default 15 s. */
  openGraceMs?: number;
  /** How long `close` waits for the remote loop to exit on EOF before killing the process. Default 1 s. */
  closeWaitMs?: number;
}

const STDERR_TAIL = 16 * 1024;

// A channel's marker only has to differ between channels (it catches a desynchronised stream early;
// it is no secret: the host sees it). One random prefix per process and a counter: one call into
// the CSPRNG per run instead of one per host.
let markerPrefix: string | undefined;
let markerCount = 0;
function nextMarker(): string {
  markerPrefix ??= 'BOSUN-' + randomBytes(9).toString('hex');
  return `${markerPrefix}-${++markerCount}`;
}
/** A streaming read (readInto) stops reading the transport's stdout above this many buffered bytes. */
const STREAM_HIGH_WATER = 4 * 1024 * 1024;

/**
 * `$(options)\`${bin}\`` without zx's AsyncLocalStorage: `$(options)` runs the call inside
 * `storage.run()`, and on Node 20 the first run() turns on async hooks for the rest of the process,
 * which made every promise of the run ~10x dearer (300k awaits: 58 ms, then 596 ms). zx reads its
 * options into the process's snapshot synchronously, so setting them on its defaults for the
 * duration of this one synchronous call, then putting the defaults back, gives the same process.
 */
function zxRun(bin: string, options: Record<string, unknown>): ProcessPromise {
  const zx = $ as unknown as Record<string, unknown>;
  const saved = Object.keys(options).map((k) => [k, zx[k]] as const);
  // zx records its caller's location from a new Error's stack on every call (~0.8 ms per channel
  // at 200 hosts); bosun never shows it, so the Error is made without frames
  const limit = Error.stackTraceLimit;
  Object.assign($, options);
  Error.stackTraceLimit = 0;
  try {
    return $`${bin}`;
  } finally {
    Error.stackTraceLimit = limit;
    for (const [k, v] of saved) zx[k] = v;
  }
}

/** zx keeps every chunk a process prints; a run-long channel must not, so stdout is dropped here. */
class DropChunks extends Array<string | Buffer> {
  override push(): number {
    return 0;
  }
}

/** Keeps only the last STDERR_TAIL characters of the process's stderr (for error messages). */
class TailChunks extends Array<string | Buffer> {
  private size = 0;
  override push(...items: (string | Buffer)[]): number {
    for (const it of items) {
      super.push(it);
      this.size += it.length;
    }
    while (this.size > STDERR_TAIL && this.length > 1) this.size -= this.shift()!.length;
    return this.length;
  }
}

/** The channel ended (EOF, process exit, kill) while something waited on it. */
export class ChannelClosed extends Error {}

/** A failed open; `retry` is false for failures another attempt cannot fix (auth, host key, sudo). */
export class OpenFailure extends Error {
  constructor(
    message: string,
    readonly retry: boolean,
    readonly hint?: string,
  ) {
    super(message);
  }
}

/** One transport process (ssh, nsenter, …) and the byte reader over its stdout. */
export class Channel {
  dead = false;
  exitCode: number | null = null;
  readonly exited: Promise<void>;
  private chunks: Buffer[] = [];
  private buffered = 0;
  private waiter?: () => void;
  private readonly stderrChunks = new TailChunks();
  /** A readInto is running: stdout is paused while more than STREAM_HIGH_WATER bytes wait. */
  private streaming = false;
  private paused = false;

  constructor(
    readonly proc: ProcessPromise,
    readonly child: ChildProcess,
    readonly marker: string,
  ) {
    child.stdout!.on('data', (b: Buffer) => {
      this.chunks.push(b);
      this.buffered += b.length;
      if (this.streaming && this.buffered > STREAM_HIGH_WATER && !this.paused) {
        this.paused = true;
        child.stdout!.pause();
      }
      this.waiter?.();
    });
    child.stderr!.on('data', (b: Buffer) => this.stderrChunks.push(b.toString('utf8')));
    child.stdin!.on('error', () => {}); // EPIPE when the process died: seen through `exited` instead
    this.exited = proc.then(
      (o) => this.markDead(o.exitCode),
      () => this.markDead(null),
    );
    child.once('error', () => this.markDead(null)); // spawn failure
  }

  private markDead(code: number | null): void {
    if (this.exitCode === null) this.exitCode = code;
    this.dead = true;
    this.waiter?.();
  }

  get stderr(): string {
    return this.stderrChunks.join('');
  }

  write(b: Buffer): void {
    if (!this.dead) this.child.stdin!.write(b);
  }

  /**
   * Writes and resolves once the bytes were handed to the transport's stdin pipe (the write
   * callback), so the caller may reuse the buffer, and at most one chunk is ever queued.
   */
  writeFlushed(b: Buffer): Promise<void> {
    if (this.dead) return Promise.reject(new ChannelClosed());
    return new Promise<void>((resolve, reject) => {
      const gone = (): void => reject(new ChannelClosed());
      void this.exited.then(gone);
      this.child.stdin!.write(b, (err) => (err ? gone() : resolve()));
    });
  }

  /** Resolves when `ready` says enough is buffered; rejects with ChannelClosed once the process is gone. */
  private wait(ready: () => boolean): Promise<void> {
    if (ready()) return Promise.resolve();
    if (this.dead) return Promise.reject(new ChannelClosed());
    return new Promise((resolve, reject) => {
      this.waiter = () => {
        if (ready()) {
          this.waiter = undefined;
          resolve();
        } else if (this.dead) {
          this.waiter = undefined;
          reject(new ChannelClosed());
        }
      };
    });
  }

  private flatten(): Buffer {
    if (this.chunks.length > 1) this.chunks = [Buffer.concat(this.chunks, this.buffered)];
    return this.chunks[0] ?? Buffer.alloc(0);
  }

  private take(n: number): Buffer {
    const all = this.flatten();
    const out = all.subarray(0, n);
    const rest = all.subarray(n);
    this.chunks = rest.length ? [rest] : [];
    this.buffered = rest.length;
    return out;
  }

  async readLine(): Promise<string> {
    // Scan only new chunks for the newline: a flatten per chunk would be quadratic on big outputs.
    let nl = -1;
    let scanned = 0;
    await this.wait(() => {
      for (let i = 0, off = 0; i < this.chunks.length; off += this.chunks[i]!.length, i++) {
        if (off + this.chunks[i]!.length <= scanned) continue;
        const at = this.chunks[i]!.indexOf(10, Math.max(0, scanned - off));
        if (at >= 0) {
          nl = off + at;
          return true;
        }
      }
      scanned = this.buffered;
      return false;
    });
    return this.take(nl + 1).toString('utf8');
  }

  async readBytes(n: number): Promise<Buffer> {
    await this.wait(() => this.buffered >= n);
    return Buffer.from(this.take(n)); // copy: the rest of the big buffer can then be freed
  }

  /**
   * Streams exactly `n` bytes to `sink`, chunk by chunk as they arrive, never holding more than
   * about STREAM_HIGH_WATER of them: the transport's stdout is paused while the sink catches up.
   * A sink failure does not desynchronise the channel: the rest is read and dropped, then it is thrown.
   */
  async readInto(n: number, sink: (chunk: Buffer) => void | Promise<void>): Promise<void> {
    let left = n;
    let failure: unknown;
    this.streaming = true;
    try {
      while (left > 0) {
        await this.wait(() => this.buffered > 0);
        const first = this.chunks[0]!;
        const piece = first.length <= left ? first : first.subarray(0, left);
        if (piece.length === first.length) this.chunks.shift();
        else this.chunks[0] = first.subarray(piece.length);
        this.buffered -= piece.length;
        left -= piece.length;
        if (this.paused && this.buffered < STREAM_HIGH_WATER / 2) {
          this.paused = false;
          this.child.stdout!.resume();
        }
        if (failure === undefined) {
          try {
            await sink(piece);
          } catch (e) {
            failure = e ?? new Error('stdout sink failed');
          }
        }
      }
    } finally {
      this.streaming = false;
      if (this.paused) {
        this.paused = false;
        this.child.stdout!.resume();
      }
    }
    if (failure !== undefined) throw failure;
  }

  /** Kills the process; the channel counts as dead at once, so the next request never reuses it. */
  kill(): void {
    if (this.dead) return;
    this.child.kill('SIGKILL');
    this.markDead(null);
  }
}

/** Scripts up to this size are read by the host's `read` builtin (~1 µs a byte) instead of a `head` (~1.25 ms). */
export const LINE_SCRIPT_MAX = 1024;

/**
 * "<script length> <payload length> <script lines> <text>\n" (channel-script.ts). A short script
 * that ends with a newline and holds no NUL (which `read` would drop) goes by lines.
 */
export function requestHeader(body: Buffer, payloadLength: number, opts: ExecOptions): string {
  let lines = 0;
  if (body.length > 0 && body.length <= LINE_SCRIPT_MAX && body.at(-1) === 10 && !body.includes(0)) {
    for (const b of body) if (b === 10) lines++;
  }
  return `${body.length} ${payloadLength} ${lines} ${opts.text ? 1 : 0}\n`;
}

export function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}

export abstract class ChannelConnection implements Connection {
  abstract readonly kind: string;
  readonly stats: ConnectionStats = { requests: 0, processes: 0 };
  readonly host: string;
  private ch?: Channel;
  /** The channel whose handshake is running (close() cuts it off). */
  private opening?: Channel;
  private closed = false;
  private tail: Promise<unknown> = Promise.resolve();
  private readonly retryDelaysMs: number[];

  constructor(
    readonly spec: ConnectionSpec,
    protected readonly options: ChannelOptions = {},
  ) {
    this.host = spec.name;
    this.retryDelaysMs = options.retryDelaysMs ?? [500, 1000, 2000];
  }

  /** The local process whose stdin/stdout reach a POSIX `sh` running `bootstrapCommand()` (no request data in it). */
  get target(): string {
    return `${this.spec.address || this.spec.name}:${this.spec.port ?? ''}`;
  }

  protected abstract command(): { bin: string; args: string[]; env?: NodeJS.ProcessEnv };

  /** Why the process failed to open (its stderr, exit code): retry or not, and the message. */
  protected abstract openFailure(ch: Channel): OpenFailure;

  /** The process's own complaint, for a channel lost mid-request. */
  protected complaint(stderr: string): string {
    return stderr.split(/\r?\n/).map((l) => l.trim()).filter(Boolean).slice(-3).join('; ');
  }

  /** Pid of the live transport process, if any (diagnostics, tests). */
  get pid(): number | undefined {
    return this.ch && !this.ch.dead ? this.ch.child.pid : undefined;
  }

  /** Serializes everything that touches the channel: one request in flight per host. */
  private enqueue<T>(fn: () => Promise<T>): Promise<T> {
    const run = this.tail.then(fn, fn);
    this.tail = run.catch(() => {});
    return run;
  }

  open(): Promise<void> {
    // live already: nothing to wait for (queued behind requests in flight, a task would wait for
    // reads fetched ahead for later tasks)
    if (!this.closed && this.ch && !this.ch.dead) return Promise.resolve();
    this.closed = false;
    return this.enqueue(async () => {
      await this.ensureOpen();
    });
  }

  exec(script: string, opts: ExecOptions = {}): Promise<ExecResult> {
    return this.enqueue(() => this.run(script, opts));
  }

  private async run(script: string, opts: ExecOptions): Promise<ExecResult> {
    if (this.closed) throw new UnreachableError(`connection to ${this.host} is closed`);
    const body = Buffer.from(script, 'utf8');
    const label = opts.label ?? 'exec';
    let ch: Channel;
    if (isStdinStream(opts.stdin)) {
      ch = await this.ensureOpen();
      try {
        await this.sendStream(ch, body, opts.stdin, label, opts);
      } catch (e) {
        if (!(e instanceof ChannelClosed)) throw e;
        await ch.exited;
        throw new UnreachableError(`connection to ${this.host} lost while sending "${label}" (${this.kind} exit ${ch.exitCode ?? 'signal'})`);
      }
    } else {
      const payload = opts.stdin === undefined ? Buffer.alloc(0) : Buffer.from(opts.stdin);
      // ".\n" trailer: the remote loop runs nothing unless the whole request arrived (channel-script.ts).
      const request = Buffer.concat([Buffer.from(requestHeader(body, payload.length, opts)), body, payload, Buffer.from('.\n')]);
      // A request that finds no live channel rides along with the bootstrap (facts and bootstrap in
      // one round trip); otherwise it is written to the open channel.
      const sent = !this.ch || this.ch.dead ? request : undefined;
      ch = await this.ensureOpen(sent);
      if (!sent) ch.write(request);
    }
    this.stats.requests++;
    this.spec.trace?.(`[${this.host}] ${label}: ${JSON.stringify(maskText(script, opts.secrets))}`);
    const start = performance.now();

    let timer: NodeJS.Timeout | undefined;
    const timedOut = new Promise<never>((_, reject) => {
      if (opts.timeoutMs)
        timer = setTimeout(() => {
          // The subshell may still be running and the stream is mid-response: the channel is
          // unusable, so kill it; the next request opens a fresh one.
          ch.kill();
          reject(new TimeoutError(`request "${label}" timed out after ${opts.timeoutMs} ms on ${this.host}`));
        }, opts.timeoutMs);
    });
    const response = (async () => {
      const header = await ch.readLine();
      const m = /^(\S+) (\d+) (\d+) (\d+)( t)?\n$/.exec(header);
      if (!m || m[1] !== ch.marker) {
        ch.kill();
        throw new UnreachableError(`protocol error on ${this.host}: unexpected response header ${JSON.stringify(header.slice(0, 80))}`);
      }
      let out: Buffer = Buffer.alloc(0);
      if (opts.stdoutSink) await ch.readInto(Number(m[3]), opts.stdoutSink);
      else out = await ch.readBytes(Number(m[3]));
      // a text response's length was counted by the shell: the marker right after it proves the count
      if (m[5] && !(await ch.readBytes(ch.marker.length + 1)).equals(Buffer.from(`${ch.marker}\n`))) {
        ch.kill();
        throw new UnreachableError(`protocol error on ${this.host}: the length of "${label}"'s text output was wrong`);
      }
      const err = await ch.readBytes(Number(m[4]));
      return { exitCode: Number(m[2]), out, err };
    })();
    try {
      const r = await Promise.race([response, timedOut]);
      return {
        exitCode: r.exitCode,
        stdout: r.out.toString('utf8'),
        stderr: r.err.toString('utf8'),
        raw: r.out,
        durationMs: performance.now() - start,
      };
    } catch (e) {
      response.catch(() => {}); // lost the race to the timeout; its ChannelClosed is expected
      if (e instanceof ChannelClosed) {
        // Never re-run it: the script may have had effects before the channel died.
        await ch.exited;
        const why = this.complaint(ch.stderr);
        throw new UnreachableError(
          `connection to ${this.host} lost during "${label}" (${this.kind} exit ${ch.exitCode ?? 'signal'})${why ? ': ' + why : ''}`,
          { hint: 'the request was not retried; the next one reopens the connection' },
        );
      }
      throw e;
    } finally {
      if (timer) clearTimeout(timer);
    }
  }

  /**
   * Writes one request whose payload is streamed: header and script, then the payload's chunks with
   * backpressure, then the trailer. A payload that does not match its announced length cannot be
   * framed any more: the channel is killed before the trailer, so the remote loop runs nothing.
   */
  private async sendStream(ch: Channel, body: Buffer, input: StdinStream, label: string, opts: ExecOptions): Promise<void> {
    await ch.writeFlushed(Buffer.concat([Buffer.from(requestHeader(body, input.length, opts)), body]));
    let sent = 0;
    try {
      for await (const chunk of input.chunks()) {
        sent += chunk.length;
        if (sent > input.length) break;
        await ch.writeFlushed(chunk);
      }
    } catch (e) {
      ch.kill();
      throw e;
    }
    if (sent !== input.length) {
      ch.kill();
      throw new Error(`request "${label}" on ${this.host}: the payload had ${sent > input.length ? 'more' : 'fewer'} than the ${input.length} bytes announced`);
    }
    await ch.writeFlushed(Buffer.from('.\n'));
  }

  /**
   * Returns a live channel, opening (or reopening) it with bounded retries. `first` (a framed
   * request) is written right behind the bootstrap on every attempt: an attempt that never saw the
   * remote loop's "ready" never read it, so sending it again is safe.
   */
  private async ensureOpen(first?: Buffer): Promise<Channel> {
    if (this.ch && !this.ch.dead) {
      if (first) this.ch.write(first);
      return this.ch;
    }
    this.ch = undefined;
    for (let attempt = 0; ; attempt++) {
      if (this.closed) throw new UnreachableError(`connection to ${this.host} is closed`);
      try {
        const ch = await this.spawnChannel(first);
        if (this.closed) {
          // closed while the handshake ran (close() killed it, or it won the race): never use it
          ch.kill();
          throw new UnreachableError(`connection to ${this.host} is closed`);
        }
        this.ch = ch;
        openConnections.add(this);
        return this.ch;
      } catch (e) {
        if (this.closed) throw e instanceof UnreachableError ? e : new UnreachableError(`connection to ${this.host} is closed`, { cause: e });
        const f = e instanceof OpenFailure ? e : new OpenFailure(String(e), true);
        if (!f.retry || attempt >= this.retryDelaysMs.length)
          throw new UnreachableError(f.message, { hint: f.hint, cause: e });
        await sleep(this.retryDelaysMs[attempt]!);
      }
    }
  }

  private async spawnChannel(first?: Buffer): Promise<Channel> {
    const marker = nextMarker();
    const { bin, args: argv, env } = this.command();
    // zx runs the process (its lifecycle, stores, exit status), but through its `spawn` hook the
    // transport is started directly with this argv instead of `bash -c "exec ssh …"`: no shell to
    // start per host, no quoting round trip, and the process zx tracks is the transport itself.
    // detached: a terminal Ctrl-C must reach bosun only, which then closes channels in order;
    // should bosun die instead, the transport sees EOF on stdin and the remote loop ends on its own.
    const proc = zxRun(bin, {
      quiet: true,
      nothrow: true,
      detached: true,
      prefix: '',
      postfix: '',
      verbose: false,
      spawn: ((_cmd: string, _args: readonly string[], o: Parameters<typeof spawn>[2]) =>
        spawn(bin, argv, { ...o, ...(env ? { env } : {}), shell: false })) as unknown as typeof spawn,
      store: { stdout: new DropChunks(), stderr: new TailChunks(), stdall: new DropChunks() },
    });
    this.stats.processes++;
    const child = proc.child;
    if (!child) throw new OpenFailure(`could not start ${bin} for ${this.host}`, false);
    const ch = new Channel(proc, child, marker);
    this.opening = ch;
    const loop = Buffer.from(dispatcherLoop(marker));
    ch.write(Buffer.concat([Buffer.from(`${loop.length}\n`), loop, ...(first ? [first] : [])]));

    const limitMs = (this.spec.connectTimeoutSec ?? 10) * 1000 + (this.options.openGraceMs ?? 15_000);
    let timer: NodeJS.Timeout | undefined;
    const tooSlow = new Promise<'slow'>((r) => (timer = setTimeout(() => r('slow'), limitMs)));
    try {
      // Login shells may print noise (motd, rc files) before our loop starts: skip to the marker.
      const ready = (async () => {
        // endsWith: noise without a final newline shares the line with our marker.
        for (;;) if ((await ch.readLine()).endsWith(`${marker} ready\n`)) return 'ready' as const;
      })();
      ready.catch(() => {});
      const r = await Promise.race([ready, tooSlow]);
      if (r === 'slow') {
        ch.kill();
        await ch.exited;
        throw new OpenFailure(`opening ${this.kind} channel to ${this.host} took more than ${limitMs} ms`, true);
      }
      return ch;
    } catch (e) {
      if (!(e instanceof ChannelClosed)) throw e;
      await ch.exited;
      throw this.openFailure(ch);
    } finally {
      clearTimeout(timer);
      this.opening = undefined;
    }
  }

  close(): Promise<void> {
    this.closed = true;
    const opening = this.opening;
    if (opening) {
      // still in its handshake (a prestarted channel the run did not use): nothing was asked of it
      // but the read-only fact probe, so it is cut off rather than waited for
      opening.kill();
      return opening.exited.catch(() => {});
    }
    const ch = this.ch;
    this.ch = undefined;
    openConnections.delete(this);
    if (!ch || ch.dead) return Promise.resolve();
    // EOF ends the remote `while read` loop, whose EXIT trap removes the temp dir.
    ch.child.stdin!.end();
    let timer: NodeJS.Timeout | undefined;
    return Promise.race([ch.exited, new Promise<void>((r) => (timer = setTimeout(r, this.options.closeWaitMs ?? 1000)))])
      .then(() => {
        clearTimeout(timer);
        ch.kill();
      })
      .catch(() => {});
  }
}
