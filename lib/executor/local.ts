// Local connection: runs requests on the control node with /bin/sh. Same contract as SSH.
import { spawn, type ChildProcess } from 'node:child_process';
import type { Connection, ConnectionStats, ExecOptions, ExecResult } from './types.js';
import { isStdinStream, type StdinStream } from './types.js';
import { maskText } from '../mask-text.js';
import { openConnections } from './live.js';
import { TimeoutError } from '../errors.js';

export class LocalConnection implements Connection {
  readonly kind = 'local' as const;
  readonly stats: ConnectionStats = { requests: 0, processes: 0 };
  constructor(
    readonly host: string = 'localhost',
    private readonly trace?: (line: string) => void,
  ) {}

  /** Requests running now: close() (SIGINT) ends them. */
  private readonly running = new Set<ChildProcess>();

  async open(): Promise<void> {}

  exec(script: string, opts: ExecOptions = {}): Promise<ExecResult> {
    this.stats.requests++;
    this.trace?.(`[${this.host}] ${opts.label ?? 'exec'}: ${maskText(script, opts.secrets)}`);
    const start = performance.now();
    return new Promise((resolve, reject) => {
      // The script goes in through `sh -s`'s stdin is not possible (stdin is the payload), so it is
      // passed via an environment variable and eval'ed: it never appears in argv (ps).
      const child = spawn('/bin/sh', ['-c', 'eval "$BOSUN_SCRIPT"'], {
        env: { ...process.env, BOSUN_SCRIPT: script },
        stdio: ['pipe', 'pipe', 'pipe'],
      });
      this.running.add(child);
      openConnections.add(this);
      const out: Buffer[] = [];
      const err: Buffer[] = [];
      let timer: NodeJS.Timeout | undefined;
      if (opts.timeoutMs) {
        timer = setTimeout(() => {
          child.kill('SIGKILL');
          reject(new TimeoutError(`request timed out after ${opts.timeoutMs} ms on ${this.host}`));
        }, opts.timeoutMs);
      }
      // a streaming read: the pipe is paused while the sink works, so the child waits for it
      let sinking: Promise<void> = Promise.resolve();
      let sinkError: unknown;
      const sink = opts.stdoutSink;
      if (sink) {
        child.stdout.on('data', (b: Buffer) => {
          child.stdout.pause();
          sinking = sinking
            .then(() => (sinkError === undefined ? sink(b) : undefined))
            .catch((e: unknown) => void (sinkError = e ?? new Error('stdout sink failed')))
            .finally(() => child.stdout.resume());
        });
      } else child.stdout.on('data', (b: Buffer) => out.push(b));
      child.stderr.on('data', (b: Buffer) => err.push(b));
      child.on('error', (e) => {
        if (timer) clearTimeout(timer);
        this.running.delete(child);
        if (!this.running.size) openConnections.delete(this);
        reject(e);
      });
      child.on('close', async (code, signal) => {
        if (timer) clearTimeout(timer);
        this.running.delete(child);
        if (!this.running.size) openConnections.delete(this);
        await sinking;
        if (sinkError !== undefined) return reject(sinkError);
        const raw = Buffer.concat(out);
        resolve({
          exitCode: code ?? (signal ? 128 + 9 : 1),
          stdout: raw.toString('utf8'),
          stderr: Buffer.concat(err).toString('utf8'),
          raw,
          durationMs: performance.now() - start,
        });
      });
      child.stdin.on('error', () => {}); // script may exit without reading its stdin
      const input = opts.stdin;
      if (isStdinStream(input)) void pipeStream(child, input);
      else child.stdin.end(input ?? '');
    });
  }

  /** PIDs of the requests running now (an async job's deadline ends them and what they started). */
  runningPids(): number[] {
    return [...this.running].map((c) => c.pid).filter((p): p is number => p !== undefined);
  }

  /** Ends the requests still running (an interrupted run); the connection stays usable. */
  async close(): Promise<void> {
    for (const child of this.running) child.kill('SIGTERM');
  }
}

/** Feeds a streamed payload with backpressure; a short or long one is cut off (the script sees EOF early). */
async function pipeStream(child: ChildProcess, input: StdinStream): Promise<void> {
  const stdin = child.stdin!;
  let sent = 0;
  try {
    for await (const chunk of input.chunks()) {
      sent += chunk.length;
      if (sent > input.length || stdin.destroyed) break;
      // the chunk may be reused by its producer once written (StdinStream): wait for the write
      await new Promise<void>((r) => stdin.write(chunk, () => r()));
    }
  } catch {
    // the script sees a short payload: the checksum it is given fails it
  }
  if (sent !== input.length) child.kill('SIGKILL');
  stdin.end();
}
