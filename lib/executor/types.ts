// The connection contract every transport (local, ssh, nsenter; registry.ts) implements. Modules
// only ever see this, so a transport slots in without changing any module.

/** One result shape for success and failure (as zx's ProcessOutput). */
export interface ExecResult {
  exitCode: number;
  /** stdout decoded as UTF-8. */
  stdout: string;
  stderr: string;
  /** stdout bytes, for binary-safe reads (file contents). */
  raw: Buffer;
  durationMs: number;
}

export interface ExecOptions {
  /** Bytes fed to the script's stdin (file contents, passwords). Never put these in the script text's argv. */
  stdin?: Buffer | string | StdinStream;
  /**
   * Streaming read: stdout goes to this sink chunk by chunk as it arrives (the result's stdout and
   * raw are then empty), and the next chunk is read only once the sink's promise settles, so a big
   * output (fetch of a large file) never sits whole in memory. A sink that throws fails the request
   * after the response is drained (the channel stays usable).
   */
  stdoutSink?: (chunk: Buffer) => void | Promise<void>;
  /** Per-request timeout; the request fails with TimeoutError after it. */
  timeoutMs?: number;
  /** Values to mask as *** in any trace of this request (-vvv). */
  secrets?: string[];
  /** Short label for traces and stats, e.g. "copy:probe". */
  label?: string;
  /**
   * The script only reads (a probe): file states the engine fetched ahead stay valid. Any request
   * without it is taken to change the host (lib/engine/prefetch.ts).
   */
  readOnly?: boolean;
  /**
   * bosun's own script, whose stdout is text without NUL bytes and which leaves no background job
   * holding stdout: the channel may capture it in a shell variable and answer with builtins (no
   * `wc`/`head` on the host). A NUL would be dropped, so never for user commands' output.
   */
  text?: boolean;
}

/**
 * A payload too big to hold in memory (copy of a large file): exactly `length` bytes, produced
 * chunk by chunk and written with backpressure. A chunk is only valid until the next is asked for
 * (the producer may reuse its buffer): connections finish writing one before pulling the next.
 * Fewer or more bytes than announced fail the request.
 */
export interface StdinStream {
  length: number;
  chunks(): AsyncIterable<Buffer>;
}

export function isStdinStream(v: ExecOptions['stdin']): v is StdinStream {
  return typeof v === 'object' && v !== null && !Buffer.isBuffer(v);
}

export interface ConnectionStats {
  /** Requests (remote script executions) sent. */
  requests: number;
  /** OS processes (ssh) started for this host, reopenings included. */
  processes: number;
}

export interface Connection {
  readonly host: string;
  /**
   * Where the channel goes (address and port) when that is more than `host`, the inventory name:
   * per-host caches key on both, so two inventories' `node1`s never share an entry.
   */
  readonly target?: string;
  /** The transport's name in the registry (registry.ts): `ansible_connection`. */
  readonly kind: string;
  readonly stats: ConnectionStats;
  /** Opens the channel. Throws UnreachableError when the host cannot be reached. Idempotent. */
  open(): Promise<void>;
  /**
   * Runs `script` (POSIX sh source) on the host in a fresh subshell whose stdin is `opts.stdin` (or
   * empty). The script text is never placed in any process's argv. A non-zero exit is a result,
   * not an exception; exceptions mean the host is unreachable (UnreachableError) or the request
   * timed out (TimeoutError).
   */
  exec(script: string, opts?: ExecOptions): Promise<ExecResult>;
  /** Closes the channel. Idempotent; never throws. */
  close(): Promise<void>;
}

/** How to reach a host, from Ansible's connection variables. */
export interface ConnectionSpec {
  /** inventory_hostname */
  name: string;
  /** Transport name (registry.ts). */
  connection: string;
  /** ansible_host (defaults to name); what it means is the transport's (address, PID…). */
  address: string;
  port?: number;
  user?: string;
  privateKeyFile?: string;
  /** ansible_ssh_common_args, split like a shell would (no evaluation). */
  commonArgs?: string[];
  become?: boolean;
  becomeUser?: string;
  connectTimeoutSec?: number;
  /** Path of a known_hosts file; default: ssh's own (~/.ssh/known_hosts). */
  knownHostsFile?: string;
  /**
   * Seconds the host's ControlMaster outlives the run (0: none); undefined: Control* options in
   * commonArgs, else the run-wide setting (lib/executor/control-master.ts).
   */
  controlPersistSec?: number;
  /** Directory of the ControlMaster sockets (ansible_control_path_dir); default: run-wide setting. */
  controlPathDir?: string;
  /**
   * Ansible's host_key_checking. Default true: an unknown or changed host key is refused
   * (StrictHostKeyChecking=yes). false: StrictHostKeyChecking=no, as Ansible passes it.
   */
  hostKeyChecking?: boolean;
  /** Trace hook for -vvv: called with each request's (masked) script. */
  trace?: (line: string) => void;
}

/** The same connection with its requests going through `exec` (which calls the original's). */
export function withExec(conn: Connection, exec: Connection['exec']): Connection {
  return {
    host: conn.host,
    kind: conn.kind,
    stats: conn.stats,
    open: () => conn.open(),
    close: () => conn.close(),
    exec,
  };
}

// quoting lives with splitting (shell.ts); importers of this path keep working
export { shq } from './shell.js';
