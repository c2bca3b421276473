// The processes of lab hosts: setup commands, network namespaces and cgroups, finding and killing a
// host's PID 1 and everything under it, starting a host detached, waiting for its sshd.
import { spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as net from 'node:net';
import * as path from 'node:path';
import { LabError } from '../errors.js';
import { cgroupMounts } from './boot.js';
import { hostDir, logFile, type LabHost, type LabState } from './plan.js';
import { sshArgs } from './access.js';

// Generous: on a loaded machine (load 30+ on 2 cores) one login's key exchange alone took over 5 s.
const SSHD_WAIT_MS = 60_000;
/** systemd needs ~12-15 s to reach ssh on an idle 2-core machine; several hosts boot at once. */
const SYSTEMD_WAIT_MS = 180_000;

interface RunResult {
  code: number;
  stdout: string;
  stderr: string;
}

export function run(cmd: string, args: string[], opts: { input?: string; timeoutMs?: number } = {}): Promise<RunResult> {
  return new Promise((resolve) => {
    const child = spawn(cmd, args, { stdio: ['pipe', 'pipe', 'pipe'] });
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    let timer: NodeJS.Timeout | undefined;
    if (opts.timeoutMs) timer = setTimeout(() => child.kill('SIGKILL'), opts.timeoutMs);
    child.stdout.on('data', (b: Buffer) => out.push(b));
    child.stderr.on('data', (b: Buffer) => err.push(b));
    child.on('error', (e) => {
      if (timer) clearTimeout(timer);
      resolve({ code: 127, stdout: '', stderr: String(e) });
    });
    child.on('close', (code) => {
      if (timer) clearTimeout(timer);
      resolve({ code: code ?? 137, stdout: Buffer.concat(out).toString('utf8'), stderr: Buffer.concat(err).toString('utf8') });
    });
    child.stdin.on('error', () => {});
    child.stdin.end(opts.input ?? '');
  });
}

/** Runs a setup command that must succeed. */
export async function must(cmd: string, args: string[], what: string): Promise<string> {
  const r = await run(cmd, args);
  if (r.code !== 0) {
    throw new LabError(`${what} failed: ${cmd} ${args.join(' ')}: ${r.stderr.trim() || `exit ${r.code}`}`);
  }
  return r.stdout;
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

export async function netnsList(): Promise<string[]> {
  const r = await run('ip', ['netns', 'list']);
  if (r.code !== 0) return [];
  return r.stdout
    .split('\n')
    .map((l) => l.trim().split(/\s+/)[0] ?? '')
    .filter(Boolean);
}

async function netnsPids(ns: string): Promise<number[]> {
  const r = await run('ip', ['netns', 'pids', ns]);
  if (r.code !== 0) return [];
  return r.stdout
    .split(/\s+/)
    .filter(Boolean)
    .map(Number)
    .filter((n) => Number.isInteger(n) && n > 0);
}

/** The process that is PID 1 in its own PID namespace (the host's sshd), if any. */
function findInit(pids: number[]): number | undefined {
  for (const pid of pids) {
    try {
      const status = fs.readFileSync(`/proc/${pid}/status`, 'utf8');
      const m = /^NSpid:\s+(.*)$/m.exec(status);
      const ids = m?.[1]?.trim().split(/\s+/) ?? [];
      if (ids.length > 1 && ids[ids.length - 1] === '1') return pid;
    } catch {
      /* exited meanwhile */
    }
  }
  return undefined;
}

/** Roots of the machine's cgroup hierarchies (v1 controllers, name=systemd, cgroup2). */
function cgroupRoots(): string[] {
  let mounts = '';
  try {
    mounts = fs.readFileSync('/proc/self/mounts', 'utf8');
  } catch {
    return [];
  }
  return cgroupMounts(mounts).map((c) => (c.dir ? `/sys/fs/cgroup/${c.dir}` : '/sys/fs/cgroup'));
}

/** Every pid in a cgroup subtree (a systemd host's units, even those with a network namespace of their own). */
function cgroupPids(rel: string): number[] {
  const pids = new Set<number>();
  const walk = (dir: string): void => {
    let entries: fs.Dirent[];
    try {
      entries = fs.readdirSync(dir, { withFileTypes: true });
    } catch {
      return;
    }
    try {
      for (const l of fs.readFileSync(path.join(dir, 'cgroup.procs'), 'utf8').split('\n')) if (l) pids.add(Number(l));
    } catch {
      /* gone meanwhile */
    }
    for (const e of entries) if (e.isDirectory()) walk(path.join(dir, e.name));
  };
  for (const root of cgroupRoots()) walk(path.join(root, rel));
  return [...pids];
}

/** Removes a cgroup subtree in every hierarchy (cgroupfs: rmdir bottom-up, files go with their dir). */
export function removeCgroups(rel: string): void {
  const rm = (dir: string): void => {
    let entries: fs.Dirent[];
    try {
      entries = fs.readdirSync(dir, { withFileTypes: true });
    } catch {
      return;
    }
    for (const e of entries) if (e.isDirectory()) rm(path.join(dir, e.name));
    try {
      fs.rmdirSync(dir);
    } catch {
      /* busy (a process left) or gone: labDown reports processes separately */
    }
  };
  for (const root of cgroupRoots()) rm(path.join(root, rel));
}

/** Every process of a host: its network namespace's and its cgroup's (systemd units may have their own netns). */
async function hostPids(ns: string, cgroup?: string): Promise<number[]> {
  const pids = new Set(await netnsPids(ns));
  if (cgroup) for (const p of cgroupPids(cgroup)) pids.add(p);
  return [...pids];
}

/** Kills every process of the host (PID 1 first: the kernel then ends the whole PID ns) and checks none is left. */
export async function killNetns(ns: string, cgroup?: string): Promise<void> {
  const deadline = Date.now() + 10_000;
  for (;;) {
    const pids = await hostPids(ns, cgroup);
    if (pids.length === 0) return;
    if (Date.now() > deadline) {
      throw new LabError(`processes ${pids.join(' ')} of lab host ${ns} did not exit after SIGKILL`);
    }
    const init = findInit(pids);
    for (const pid of init ? [init, ...pids.filter((p) => p !== init)] : pids) {
      try {
        process.kill(pid, 'SIGKILL');
      } catch {
        /* already gone */
      }
    }
    await sleep(50);
  }
}

function tail(file: string, lines = 15): string {
  try {
    const text = fs.readFileSync(file, 'utf8').trimEnd().split('\n');
    return text.slice(-lines).join('\n');
  } catch {
    return '(no log)';
  }
}

/** Starts the host's namespaces and sshd, detached from this process (it outlives the CLI). */
export async function spawnHost(state: LabState, h: LabHost): Promise<void> {
  const log = logFile(state, h);
  // Opened here, in the root mount namespace: the host itself cannot write into the lab dir.
  const fd = fs.openSync(log, 'a');
  try {
    fs.writeSync(fd, `--- bosun lab: starting ${h.name} at ${new Date().toISOString()}\n`);
    const child = spawn(
      'ip',
      ['netns', 'exec', h.netns, '/bin/sh', path.join(hostDir(state, h), 'start.sh')],
      { detached: true, stdio: ['ignore', fd, fd] },
    );
    await new Promise<void>((resolve, reject) => {
      child.once('spawn', () => resolve());
      child.once('error', (e) => reject(new LabError(`cannot start host ${h.name}: ${e.message}`, { cause: e })));
    });
    child.unref();
  } finally {
    fs.closeSync(fd);
  }
}

export async function waitForSsh(state: LabState, h: LabHost, timeoutMs = state.init === 'systemd' ? SYSTEMD_WAIT_MS : SSHD_WAIT_MS): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let last = '';
  while (Date.now() < deadline) {
    const r = await run('ssh', [...sshArgs(state, h.name, { connectTimeoutSec: 5 }), 'true'], { timeoutMs: 20_000 });
    if (r.code === 0) return;
    last = r.stderr.trim();
    if ((await netnsPids(h.netns)).length === 0) break; // PID 1 died: no point in waiting
    await sleep(state.init === 'systemd' ? 500 : 150);
  }
  throw new LabError(
    `lab host ${h.name} (${h.ip}) did not accept ssh within ${Math.round(timeoutMs / 1000)} s` +
      (last ? ` (last ssh error: ${last})` : '') +
      `; tail of ${logFile(state, h)}:\n${tail(logFile(state, h))}`,
  );
}

export async function hostUp(h: LabHost): Promise<{ up: boolean; pid?: number }> {
  const pid = findInit(await netnsPids(h.netns));
  if (pid === undefined) return { up: false };
  const listening = await new Promise<boolean>((resolve) => {
    const sock = net.connect({ host: h.ip, port: 22, timeout: 1000 });
    sock.once('connect', () => {
      sock.destroy();
      resolve(true);
    });
    sock.once('timeout', () => {
      sock.destroy();
      resolve(false);
    });
    sock.once('error', () => resolve(false));
  });
  return { up: listening, pid };
}
