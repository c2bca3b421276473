// wait_for: wait until a TCP port accepts connections (or stops), or a path appears (or goes).
// The polling runs on the host in slices of at most 5 s (one request each), so a ready service
// costs one request and the control side can report progress and honour interrupts in between.

import { ArgumentError, InterruptedError } from '../errors.js';
import { shq } from '../executor/types.js';
import { defineModule, ModuleFailure, type ModuleContext, type Outcome } from './types.js';

type WaitState = 'started' | 'stopped' | 'present' | 'absent';

export interface WaitForArgs {
  host: string;
  port?: number;
  path?: string;
  state: WaitState;
  timeout: number;
  delay: number;
  sleep: number;
  msg?: string;
}

export type PortMethod = 'auto' | 'bash' | 'nc' | 'ss' | 'netstat';

const SLICE_S = 5;

function isLocal(host: string): boolean {
  return /^(127\.\d+\.\d+\.\d+|localhost|0\.0\.0\.0|::1?|\[::1?\])$/.test(host);
}

/**
 * Defines `chk` (exit 0 = port open). bash's /dev/tcp first (Debian always has bash; dash has no
 * /dev/tcp), then nc -z, then — only for local addresses — the listening-socket tables.
 */
export function portCheckLines(host: string, port: number, method: PortMethod = 'auto'): string[] {
  const h = shq(host);
  const bash = [
    `if command -v timeout >/dev/null 2>&1; then chk() { timeout 3 bash -c 'exec 3<>"/dev/tcp/$0/$1"' ${h} ${port} >/dev/null 2>&1; }`,
    `else chk() { bash -c 'exec 3<>"/dev/tcp/$0/$1"' ${h} ${port} >/dev/null 2>&1; }; fi`,
  ];
  const nc = [`chk() { nc -z -w 2 -- ${h} ${port} >/dev/null 2>&1; }`];
  const ss = [`chk() { ss -ltn | awk 'NR > 1 { print $4 }' | grep -q ':${port}$'; }`];
  const netstat = [`chk() { netstat -ltn | awk '{ print $4 }' | grep -q '[:.]${port}$'; }`];
  switch (method) {
    case 'bash':
      return bash;
    case 'nc':
      return nc;
    case 'ss':
      return ss;
    case 'netstat':
      return netstat;
    case 'auto': {
      const lines = ['if command -v bash >/dev/null 2>&1; then', ...bash, 'elif command -v nc >/dev/null 2>&1; then', ...nc];
      if (isLocal(host)) lines.push('elif command -v ss >/dev/null 2>&1; then', ...ss, 'elif command -v netstat >/dev/null 2>&1; then', ...netstat);
      lines.push(`else echo "cannot check TCP ports on this host: need bash, nc${isLocal(host) ? ', ss or netstat' : ''}" >&2; exit 2; fi`);
      return lines;
    }
  }
}

/** One slice: poll until the condition holds (prints "ok") or `budget` seconds pass (prints "wait"). */
export function sliceScript(args: WaitForArgs, budget: number, method: PortMethod = 'auto'): string {
  const def = args.port !== undefined ? portCheckLines(args.host, args.port, method) : [`chk() { [ -e ${shq(args.path!)} ]; }`];
  const want = args.state === 'started' || args.state === 'present' ? 'chk' : '! chk';
  return [
    ...def,
    `end=$(( $(date +%s) + ${budget} ))`,
    'while :; do',
    `  if ${want}; then echo ok; exit 0; fi`,
    `  [ "$(date +%s)" -ge "$end" ] && { echo wait; exit 0; }`,
    `  sleep ${args.sleep}`,
    'done',
  ].join('\n') + '\n';
}

function what(args: WaitForArgs): string {
  if (args.port !== undefined) return `${args.host}:${args.port}`;
  if (args.path !== undefined) return args.path;
  return `${args.timeout} seconds`;
}

function timeoutMsg(args: WaitForArgs): string {
  if (args.msg) return args.msg;
  if (args.port !== undefined) return `Timeout when waiting for ${what(args)}${args.state === 'stopped' || args.state === 'absent' ? ' to stop' : ''}`;
  if (args.state === 'absent' || args.state === 'stopped') return `Timeout when waiting for ${args.path} to be absent`;
  return `Timeout when waiting for file ${args.path}`;
}

/** Sleeps `ms`, or rejects with InterruptedError as soon as the run is interrupted. */
export function pause(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal.aborted) return reject(new InterruptedError('interrupted while waiting'));
    const t = setTimeout(() => {
      signal.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    const onAbort = (): void => {
      clearTimeout(t);
      reject(new InterruptedError('interrupted while waiting'));
    };
    signal.addEventListener('abort', onAbort, { once: true });
  });
}

async function waitFor(ctx: ModuleContext, args: WaitForArgs): Promise<Outcome> {
  const start = Date.now();
  const result = (): Record<string, unknown> => ({
    elapsed: Math.round((Date.now() - start) / 1000),
    state: args.state,
    ...(args.port !== undefined ? { host: args.host, port: args.port } : {}),
    ...(args.path !== undefined ? { path: args.path } : {}),
  });
  if (args.delay > 0) await pause(args.delay * 1000, ctx.signal);
  if (args.port === undefined && args.path === undefined) {
    // Ansible: with nothing to watch, wait_for simply sleeps for `timeout` seconds.
    await pause(args.timeout * 1000, ctx.signal);
    return { changed: false, msg: `waited ${args.timeout} seconds`, result: result() };
  }
  const deadline = Date.now() + args.timeout * 1000;
  for (;;) {
    if (ctx.signal.aborted) throw new InterruptedError('interrupted while waiting');
    const left = Math.max(0, Math.ceil((deadline - Date.now()) / 1000));
    const budget = Math.min(SLICE_S, left);
    const r = await ctx.conn.exec(sliceScript(args, budget), { label: 'wait_for', timeoutMs: (budget + 10) * 1000 });
    if (r.exitCode !== 0) throw new ModuleFailure(r.stderr.trim() || `wait_for: check failed (exit ${r.exitCode})`, result());
    if (r.stdout.includes('ok')) return { changed: false, msg: `${what(args)} is ${args.state}`, result: result() };
    if (Date.now() >= deadline || left === 0) throw new ModuleFailure(timeoutMsg(args), { ...result(), msg: timeoutMsg(args) });
    ctx.progress(`waiting for ${what(args)} to be ${args.state} (${Math.round((Date.now() - start) / 1000)}s of ${args.timeout}s)`);
  }
}

export default defineModule<WaitForArgs, { done: Outcome }>({
  name: 'wait_for',
  waits: true,
  doc: {
    short: 'Wait for a TCP port to open/close or a path to appear/disappear',
    description:
      'Polls on the host (bash /dev/tcp, nc -z, or for local addresses ss/netstat) every `sleep` seconds until the condition ' +
      'holds or `timeout` seconds pass, then fails with "Timeout when waiting for HOST:PORT". Never reports changed. ' +
      'In check mode it does not wait. Outside check mode the wait happens during planning (its result is all there is).',
    check: 'full',
    diff: false,
    examples: '- wait_for: { port: 2379, host: "{{ etcd_listen_ip }}", timeout: 60 }\n- wait_for: { path: /run/etcd/ready, state: present }',
  },
  args: {
    host: { type: 'str', default: '127.0.0.1', description: 'Address to connect to (from the host).' },
    port: { type: 'int', description: 'TCP port to watch.' },
    path: { type: 'path', description: 'Path to watch instead of a port.' },
    state: { type: 'str', default: 'started', choices: ['started', 'stopped', 'present', 'absent'], description: 'started/present: wait until open/existing; stopped/absent: until closed/gone.' },
    timeout: { type: 'int', default: 300, description: 'Seconds to wait before failing.' },
    delay: { type: 'int', default: 0, description: 'Seconds to wait before the first check.' },
    sleep: { type: 'int', default: 1, description: 'Seconds between checks.' },
    msg: { type: 'str', description: 'Message on timeout instead of the default.' },
  },
  validate(args) {
    // A host is a name or an address: one starting with "-" would be an option of nc.
    if (args.host !== undefined && /^-|[\s\x00-\x1f]/.test(args.host)) {
      throw new ArgumentError(`wait_for: host ${JSON.stringify(args.host)} is not a host name or address`);
    }
    if (args.port !== undefined && args.path !== undefined) throw new ArgumentError('wait_for takes port or path, not both');
    if (args.port !== undefined && (args.port < 1 || args.port > 65535)) throw new ArgumentError(`wait_for: port must be 1-65535; got ${args.port}`);
    if (args.timeout < 0 || args.delay < 0 || args.sleep < 1) throw new ArgumentError('wait_for: timeout and delay must be >= 0, sleep >= 1');
  },
  async plan(ctx, args) {
    if (ctx.check) return { changed: false, msg: `would wait for ${what(args)} to be ${args.state}` };
    // changed is always false, so the engine never calls apply: the wait happens here.
    const done = await waitFor(ctx, args);
    return { changed: false, msg: done.msg, result: done.result, state: { done } };
  },
  async apply(ctx, args, plan) {
    return plan.state?.done ?? waitFor(ctx, args);
  },
});
