// A connection that records what each request carried (script, stdin, secrets to mask, label),
// passing it on to a real one: tests assert on what went over the wire.
import type { Connection, ExecOptions, ExecResult } from '../../lib/executor/types.js';

export class RecordingConnection implements Connection {
  readonly scripts: string[] = [];
  readonly stdins: string[] = [];
  readonly secrets: string[][] = [];
  readonly labels: string[] = [];
  constructor(readonly inner: Connection) {}
  get host() {
    return this.inner.host;
  }
  get kind() {
    return this.inner.kind;
  }
  get stats() {
    return this.inner.stats;
  }
  open() {
    return this.inner.open();
  }
  close() {
    return this.inner.close();
  }
  exec(script: string, opts: ExecOptions = {}): Promise<ExecResult> {
    this.scripts.push(script);
    this.stdins.push(String(opts.stdin ?? ''));
    this.secrets.push(opts.secrets ?? []);
    this.labels.push(opts.label ?? 'exec');
    return this.inner.exec(script, opts);
  }
}
