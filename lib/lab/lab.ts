// `bosun lab`: real test hosts on this Linux machine, without containers. Each host is a network
// namespace (own IP on a bridge) plus mount/UTS/IPC/PID (and, under systemd, cgroup) namespaces whose
// PID 1 is a real sshd or systemd, on a root filesystem of its own: an overlay over the control
// node's whose upper layer is the host's directory (boot.ts). Packages come from the lab's local apt
// repository (repo.ts). Recipe and reasons: /work/shared/lab-notes.md.
import { spawn } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import * as fs from 'node:fs';
import * as net from 'node:net';
import * as path from 'node:path';
import pLimit from 'p-limit';
import { LabError, OptionsError, closest } from '../errors.js';
import { shq } from '../executor/types.js';
import {
  LAB_FAMILIES,
  LAB_INITS,
  REDHAT_OS_RELEASE,
  REDHAT_RELEASE,
  aptSourceText,
  bootScriptText,
  cgroupMounts,
  cgroupPath,
  sshdConfigText,
  sshdDropInText,
  startScriptText,
  type BootPlan,
  type LabFamily,
  type LabInit,
} from './boot.js';
import { ensureRepo } from './repo.js';

export type { LabFamily, LabInit } from './boot.js';

export interface LabOptions {
  /** Lab name (default 'bosun'): letters, digits, dashes, underscores; normalised to lower case with dashes. */
  name?: string;
  hosts: number;
  /** DNS domain of the hosts (default 'lab.local'). */
  domain?: string;
  /** A /24 inside 10.66.0.0/16 (default 10.66.0.0/24, or the first free one when that is taken). */
  subnet?: string;
  /** Parent of every lab's directory (default $BOSUN_LAB_DIR or /var/tmp/bosun-lab). */
  stateDir?: string;
  /** PID 1 of every host: 'sshd' (default, fast) or 'systemd' (boots multi-user with only journald, dbus, logind, sshd). */
  init?: LabInit;
  /** 'debian' (default) or 'redhat': the latter only presents Rocky Linux 9 os-release facts (binaries stay Debian's). */
  family?: LabFamily;
  /** Packages the lab's apt repository must carry (downloaded once per machine, with what they need). */
  packages?: string[];
  /** Attach the lab's apt repository to every host (default true); false leaves the control node's apt sources. */
  repo?: boolean;
  /** Where the apt repository lives (default $BOSUN_LAB_APT_DIR or /var/cache/bosun-lab/apt). */
  repoDir?: string;
}

export interface LabHost {
  /** nodeI, 1-based */
  name: string;
  fqdn: string;
  ip: string;
  netns: string;
  /** Upper layer of the host's root overlay (etc/, var/, usr/, root/, home/, …): exactly what the host wrote. */
  upperDir: string;
}

export interface LabState {
  name: string;
  domain: string;
  subnet: string;
  gateway: string;
  bridge: string;
  /** This lab's own directory. */
  stateDir: string;
  /** ed25519 private key that logs in as root on every host. */
  keyFile: string;
  knownHostsFile: string;
  hosts: LabHost[];
  /** PID 1 of the hosts (absent in state written by older versions: sshd). */
  init?: LabInit;
  /** os-release family presented by the hosts (absent: debian). */
  family?: LabFamily;
  /** The apt repository mounted read-only (same path) in every host, if any. */
  repoDir?: string;
}

export interface LabHostStatus {
  name: string;
  ip: string;
  up: boolean;
  /** PID (in the root namespace) of the host's PID 1 (sshd or systemd). */
  pid?: number;
}

export const DEFAULT_LAB_NAME = 'bosun';
export const DEFAULT_DOMAIN = 'lab.local';
export const DEFAULT_SUBNET = '10.66.0.0/24';
/** Every lab lives inside this /16; a blackhole route for it keeps lab traffic on the machine. */
export const LAB_COVER = '10.66.0.0/16';
/** Host i gets .(10+i): up to .210 of the /24. 200 leaves room for the bench's 3 members + 100 pcocc nodes. */
export const MAX_HOSTS = 200;
// Generous: on a loaded machine (load 30+ on 2 cores) one login's key exchange alone took over 5 s.
const SSHD_WAIT_MS = 60_000;
/** systemd needs ~12-15 s to reach ssh on an idle 2-core machine; several hosts boot at once. */
const SYSTEMD_WAIT_MS = 180_000;
const OVERLAYFS_MAGIC = 0x794c7630;

// ---------------------------------------------------------------------------------------------
// Prerequisites (pure, so the error path is testable without being someone else)

export interface PrereqEnv {
  platform: string;
  uid: number;
  /** Absolute path of an executable found on PATH, or undefined. */
  which: (cmd: string) => string | undefined;
  exists: (file: string) => boolean;
}

/** Lists what is missing for a lab on this machine; empty means ready. */
export function checkPrerequisites(env: PrereqEnv): string[] {
  const missing: string[] = [];
  if (env.platform !== 'linux') return [`Linux (this is ${env.platform})`];
  if (env.uid !== 0) missing.push('root (run as uid 0)');
  for (const cmd of ['ip', 'unshare', 'mount', 'ssh', 'ssh-keygen']) {
    if (!env.which(cmd)) missing.push(cmd);
  }
  if (!env.exists('/usr/sbin/sshd')) missing.push('/usr/sbin/sshd');
  return missing;
}

export function prerequisiteError(missing: string[]): LabError {
  return new LabError(`bosun lab needs root on Linux with ip, unshare and /usr/sbin/sshd; missing: ${missing.join(', ')}`, {
    hint: 'as root: apt-get install -y openssh-server iproute2',
  });
}

export function systemEnv(): PrereqEnv {
  const dirs = (process.env.PATH ?? '').split(':').concat(['/usr/sbin', '/sbin', '/usr/bin', '/bin']);
  return {
    platform: process.platform,
    uid: process.getuid?.() ?? -1,
    which: (cmd) => {
      for (const d of dirs) {
        if (!d) continue;
        const p = path.join(d, cmd);
        try {
          fs.accessSync(p, fs.constants.X_OK);
          return p;
        } catch {
          /* next */
        }
      }
      return undefined;
    },
    exists: (f) => fs.existsSync(f),
  };
}

function assertPrerequisites(): void {
  const missing = checkPrerequisites(systemEnv());
  if (missing.length) throw prerequisiteError(missing);
}

// ---------------------------------------------------------------------------------------------
// Names and addresses

/**
 * Lab names become namespace, interface and directory names: what operators type (uxA, sec_A) is
 * accepted and normalised to lower case with dashes (uxa, sec-a); the rule is in the error otherwise.
 */
export function validateLabName(name: string): string {
  const norm = name.toLowerCase().replace(/_/g, '-');
  if (!/^[a-z][a-z0-9]*(-[a-z0-9]+)*$/.test(norm) || norm.length > 24) {
    throw new OptionsError(
      `invalid lab name '${name}': use 1-24 letters, digits, dashes or underscores, starting with a letter, no double or trailing dash (upper case and _ become lower case and -)`,
    );
  }
  return norm;
}

/** Interface names are limited to 15 bytes: long lab names become 4 letters + 4 hex of a hash. */
export function labShortId(name: string): string {
  if (name.length <= 8) return name;
  return name.slice(0, 4) + createHash('sha1').update(name).digest('hex').slice(0, 4);
}

export function bridgeName(name: string): string {
  return `bl-${labShortId(name)}`;
}

function vethName(name: string, i: number): string {
  return `v${labShortId(name)}-${i}`;
}

function netnsName(name: string, i: number): string {
  return `${name}-node${i}`;
}

/** Parses and checks a lab subnet: a /24 inside 10.66.0.0/16. Returns its first three octets. */
export function parseSubnet(subnet: string): { base: string; subnet: string } {
  const m = /^10\.66\.(\d{1,3})\.0\/24$/.exec(subnet);
  if (!m || Number(m[1]) > 255) {
    throw new OptionsError(`invalid lab subnet '${subnet}': expected a /24 inside ${LAB_COVER}, e.g. 10.66.3.0/24`);
  }
  return { base: `10.66.${Number(m[1])}`, subnet: `10.66.${Number(m[1])}.0/24` };
}

function validateDomain(domain: string): string {
  if (!/^[a-z0-9]([a-z0-9-]*[a-z0-9])?(\.[a-z0-9]([a-z0-9-]*[a-z0-9])?)*$/i.test(domain)) {
    throw new OptionsError(`invalid lab domain '${domain}': expected a DNS name such as lab.local`);
  }
  return domain.toLowerCase();
}

export function defaultStateDir(): string {
  return process.env.BOSUN_LAB_DIR || '/var/tmp/bosun-lab';
}

function labDirOf(name: string, stateDir?: string): string {
  return path.join(path.resolve(stateDir ?? defaultStateDir()), validateLabName(name));
}

/** Builds the whole lab description without touching the system. */
export function planLab(opts: LabOptions): LabState {
  const name = validateLabName(opts.name ?? DEFAULT_LAB_NAME);
  if (!Number.isInteger(opts.hosts) || opts.hosts < 1 || opts.hosts > MAX_HOSTS) {
    throw new OptionsError(`invalid number of lab hosts '${opts.hosts}': expected an integer from 1 to ${MAX_HOSTS}`);
  }
  const domain = validateDomain(opts.domain ?? DEFAULT_DOMAIN);
  const { base, subnet } = parseSubnet(opts.subnet ?? DEFAULT_SUBNET);
  const dir = labDirOf(name, opts.stateDir);
  const hosts: LabHost[] = [];
  for (let i = 1; i <= opts.hosts; i++) {
    hosts.push({
      name: `node${i}`,
      fqdn: `node${i}.${domain}`,
      ip: `${base}.${10 + i}`,
      netns: netnsName(name, i),
      upperDir: path.join(dir, `node${i}`, 'upper'),
    });
  }
  const init = opts.init ?? 'sshd';
  if (!LAB_INITS.includes(init)) throw new OptionsError(`invalid lab init '${String(init)}': expected ${LAB_INITS.join(' or ')}`);
  const family = opts.family ?? 'debian';
  if (!LAB_FAMILIES.includes(family)) throw new OptionsError(`invalid lab family '${String(family)}': expected ${LAB_FAMILIES.join(' or ')}`);
  return {
    name,
    domain,
    subnet,
    gateway: `${base}.1`,
    bridge: bridgeName(name),
    stateDir: dir,
    keyFile: path.join(dir, 'id_ed25519'),
    knownHostsFile: path.join(dir, 'known_hosts'),
    hosts,
    init,
    family,
  };
}

// ---------------------------------------------------------------------------------------------
// Running commands

interface RunResult {
  code: number;
  stdout: string;
  stderr: string;
}

function run(cmd: string, args: string[], opts: { input?: string; timeoutMs?: number } = {}): Promise<RunResult> {
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
async function must(cmd: string, args: string[], what: string): Promise<string> {
  const r = await run(cmd, args);
  if (r.code !== 0) {
    throw new LabError(`${what} failed: ${cmd} ${args.join(' ')}: ${r.stderr.trim() || `exit ${r.code}`}`);
  }
  return r.stdout;
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

// ---------------------------------------------------------------------------------------------
// State file

function stateFile(dir: string): string {
  return path.join(dir, 'state.json');
}

export function loadLabState(name: string = DEFAULT_LAB_NAME, stateDir?: string): LabState | undefined {
  const file = stateFile(labDirOf(name, stateDir));
  let text: string;
  try {
    text = fs.readFileSync(file, 'utf8');
  } catch {
    return undefined;
  }
  try {
    return JSON.parse(text) as LabState;
  } catch (e) {
    throw new LabError(`lab state file ${file} is not valid JSON`, { cause: e, hint: `bosun lab down --name ${name}` });
  }
}

// ---------------------------------------------------------------------------------------------
// Host files

function hostsFileText(state: LabState): string {
  const lines = ['127.0.0.1\tlocalhost', '::1\tlocalhost ip6-localhost ip6-loopback'];
  for (const h of state.hosts) lines.push(`${h.ip}\t${h.fqdn} ${h.name}`);
  return lines.join('\n') + '\n';
}

// ---------------------------------------------------------------------------------------------
// Processes of a host

async function netnsList(): Promise<string[]> {
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
function removeCgroups(rel: string): void {
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
async function killNetns(ns: string, cgroup?: string): Promise<void> {
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

function findHost(state: LabState, host: string): LabHost {
  const h = state.hosts.find((x) => x.name === host || x.fqdn === host || x.ip === host);
  if (!h) {
    const near = closest(host, state.hosts.map((x) => x.name));
    throw new LabError(`lab ${state.name} has no host '${host}' (hosts: ${state.hosts.map((x) => x.name).join(', ')})`, { hint: near ? `did you mean '${near}'?` : undefined });
  }
  return h;
}

function tail(file: string, lines = 15): string {
  try {
    const text = fs.readFileSync(file, 'utf8').trimEnd().split('\n');
    return text.slice(-lines).join('\n');
  } catch {
    return '(no log)';
  }
}

function hostDir(state: LabState, h: LabHost): string {
  return path.join(state.stateDir, h.name);
}

/** PID 1's output: sshd's log, or systemd's console (its units log to the host's journal). */
function logFile(state: LabState, h: LabHost): string {
  return path.join(hostDir(state, h), state.init === 'systemd' ? 'console.log' : 'sshd.log');
}

function hostCgroup(state: LabState, h: LabHost): string | undefined {
  return state.init === 'systemd' ? cgroupPath(state.name, h.name) : undefined;
}

/** Starts the host's namespaces and sshd, detached from this process (it outlives the CLI). */
async function spawnHost(state: LabState, h: LabHost): Promise<void> {
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

export function sshArgs(state: LabState, host: string, opts: { connectTimeoutSec?: number } = {}): string[] {
  const h = findHost(state, host);
  return [
    '-F', '/dev/null',
    '-i', state.keyFile,
    '-o', 'IdentitiesOnly=yes',
    '-o', 'IdentityAgent=none',
    '-o', `UserKnownHostsFile=${state.knownHostsFile}`,
    '-o', 'GlobalKnownHostsFile=/dev/null',
    '-o', 'StrictHostKeyChecking=yes',
    '-o', 'BatchMode=yes',
    '-o', `ConnectTimeout=${opts.connectTimeoutSec ?? 5}`,
    '-o', 'LogLevel=ERROR',
    '-l', 'root',
    h.ip,
  ];
}

async function waitForSsh(state: LabState, h: LabHost, timeoutMs = state.init === 'systemd' ? SYSTEMD_WAIT_MS : SSHD_WAIT_MS): Promise<void> {
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

// ---------------------------------------------------------------------------------------------
// Up / down / status

async function ensureBlackhole(): Promise<void> {
  const r = await run('ip', ['route', 'show', 'type', 'blackhole', LAB_COVER]);
  if (r.code === 0 && r.stdout.includes(LAB_COVER.split('/')[0]!)) return;
  const add = await run('ip', ['route', 'add', 'blackhole', LAB_COVER]);
  // Another lab starting at the same time may have added it first.
  if (add.code !== 0 && !/File exists/.test(add.stderr)) {
    throw new LabError(`cannot add blackhole route for ${LAB_COVER}: ${add.stderr.trim()}`);
  }
}

function sameShape(a: LabState, b: LabState): boolean {
  return (
    a.domain === b.domain &&
    a.subnet === b.subnet &&
    a.hosts.length === b.hosts.length &&
    (a.init ?? 'sshd') === (b.init ?? 'sshd') &&
    (a.family ?? 'debian') === (b.family ?? 'debian')
  );
}

/** /24s `lab up` tries when no --subnet is given: the default first; test labs use 20-239. */
const AUTO_SUBNETS = [...Array.from({ length: 20 }, (_, i) => i), ...Array.from({ length: 16 }, (_, i) => 240 + i)];

/** Third octets of 10.66.X.0/24 already on this machine (bridge addresses) or claimed by a lab's state. */
async function usedSubnets(stateDir: string): Promise<Set<number>> {
  const used = new Set<number>();
  const addrs = await run('ip', ['-o', '-4', 'addr', 'show']);
  for (const m of addrs.stdout.matchAll(/ inet 10\.66\.(\d+)\.\d+\//g)) used.add(Number(m[1]));
  let names: string[] = [];
  try {
    names = fs.readdirSync(stateDir);
  } catch {
    /* no labs yet */
  }
  for (const n of names) {
    try {
      const st = JSON.parse(fs.readFileSync(path.join(stateDir, n, 'state.json'), 'utf8')) as { subnet?: string };
      const m = /^10\.66\.(\d+)\./.exec(st.subnet ?? '');
      if (m) used.add(Number(m[1]));
    } catch {
      /* not a lab */
    }
  }
  return used;
}

/** The first free /24 of AUTO_SUBNETS. */
export async function pickSubnet(stateDir: string = defaultStateDir()): Promise<string> {
  const used = await usedSubnets(path.resolve(stateDir));
  const free = AUTO_SUBNETS.find((i) => !used.has(i));
  if (free === undefined) throw new LabError('no free lab subnet in 10.66.0-19.0/24 or 10.66.240-255.0/24', { hint: 'give one with --subnet' });
  return `10.66.${free}.0/24`;
}

/**
 * Brings a lab up. If a lab of that name already exists with the same hosts, domain and subnet and
 * every host is up, it is reused as is; otherwise an existing lab is an error (run labDown first).
 * Leftovers of a crashed start (namespaces, bridge without a state file) are removed first. On any
 * failure everything created so far is torn down again.
 */
export async function labUp(opts: LabOptions): Promise<LabState> {
  planLab(opts); // options checked before anything is looked at
  assertPrerequisites();
  const name = validateLabName(opts.name ?? DEFAULT_LAB_NAME);
  const parent = path.resolve(opts.stateDir ?? defaultStateDir());
  let existing = loadLabState(name, parent);
  // No --subnet: the existing lab's, else the default if free, else the first free one.
  const subnet = opts.subnet ?? existing?.subnet ?? (await pickSubnet(parent));
  const state = planLab({ ...opts, subnet });

  existing = loadLabState(state.name, parent);
  if (existing) {
    const st = await labStatus(state.name, parent);
    if (st && sameShape(existing, state) && st.hosts.every((x) => x.up)) {
      // Hosts read the repository live: packages added now are installable after an `apt-get update` there.
      if (existing.repoDir && opts.packages?.length) await ensureRepo(opts.packages, existing.repoDir);
      return existing;
    }
    throw new LabError(
      `lab '${state.name}' already exists (${existing.hosts.length} hosts, ${existing.subnet}` +
        `, ${st?.hosts.filter((x) => x.up).length ?? 0} up)`,
      { hint: `bosun lab down --name ${state.name}` },
    );
  }
  await labDown(state.name, parent); // crash leftovers without a state file

  fs.mkdirSync(parent, { recursive: true });
  if (fs.statfsSync(parent).type === OVERLAYFS_MAGIC) {
    throw new LabError(`lab directory ${parent} is on overlayfs, which cannot hold overlay upper dirs`, {
      hint: 'set BOSUN_LAB_DIR to a directory on ext4/xfs, e.g. /var/tmp/bosun-lab',
    });
  }
  const addrs = await run('ip', ['-o', '-4', 'addr', 'show']);
  const clash = addrs.stdout.split('\n').find((l) => l.includes(` inet ${state.gateway}/`));
  if (clash) {
    throw new LabError(`subnet ${state.subnet} is already used on this machine (${clash.split(/\s+/)[1]} has ${state.gateway})`, {
      hint: 'choose another --subnet inside 10.66.0.0/16',
    });
  }

  try {
    if (opts.repo !== false) state.repoDir = await ensureRepo(opts.packages ?? [], opts.repoDir);
    await createLab(state);
    controlHostsUpdate(state.name, state);
  } catch (e) {
    await labDown(state.name, parent).catch(() => {});
    throw e;
  }
  return state;
}

const CONTROL_HOSTS = process.env.BOSUN_LAB_HOSTS_FILE ?? '/etc/hosts';

/**
 * The control node resolves lab names too (etcd's `endpoint health --cluster` and advertised URLs
 * use FQDNs): a marked block per lab in the control node's /etc/hosts, removed by labDown.
 * Rewritten in place, not renamed: /etc/hosts is often a bind mount.
 */
function controlHostsUpdate(name: string, state: LabState | undefined): void {
  let text: string;
  try {
    text = fs.readFileSync(CONTROL_HOSTS, 'utf8');
  } catch {
    return;
  }
  const begin = `# bosun-lab ${name} begin`;
  const end = `# bosun-lab ${name} end`;
  const lines = text.split('\n');
  const out: string[] = [];
  let skipping = false;
  for (const l of lines) {
    if (l === begin) skipping = true;
    else if (l === end) skipping = false;
    else if (!skipping) out.push(l);
  }
  while (out.length && out[out.length - 1] === '') out.pop();
  if (state) {
    // FQDNs only: short names (node1) repeat across labs; give parallel labs distinct domains.
    out.push(begin, ...state.hosts.map((h) => `${h.ip}\t${h.fqdn}`), end);
  }
  const next = out.join('\n') + '\n';
  if (next !== text) fs.writeFileSync(CONTROL_HOSTS, next);
}

async function createLab(state: LabState): Promise<void> {
  const dir = state.stateDir;
  fs.mkdirSync(dir, { recursive: true, mode: 0o700 });
  // State first: a failure below can then always be cleaned up by labDown.
  fs.writeFileSync(stateFile(dir), JSON.stringify(state, null, 2) + '\n');
  await must('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-C', `bosun-lab-${state.name}`, '-f', state.keyFile], 'lab key generation');
  fs.copyFileSync(state.keyFile + '.pub', path.join(dir, 'authorized_keys'));
  fs.writeFileSync(path.join(dir, 'hosts'), hostsFileText(state));
  if (state.repoDir) fs.writeFileSync(path.join(dir, 'apt.list'), aptSourceText(state.repoDir));
  if (state.family === 'redhat') {
    fs.writeFileSync(path.join(dir, 'os-release'), REDHAT_OS_RELEASE);
    fs.writeFileSync(path.join(dir, 'redhat-release'), REDHAT_RELEASE);
  }
  const cgroups = state.init === 'systemd' ? cgroupMounts(fs.readFileSync('/proc/self/mounts', 'utf8')) : [];

  await ensureBlackhole();
  await must('ip', ['link', 'add', state.bridge, 'type', 'bridge'], 'bridge creation');
  await must('ip', ['addr', 'add', `${state.gateway}/24`, 'dev', state.bridge], 'bridge address');
  await must('ip', ['link', 'set', state.bridge, 'up'], 'bridge up');

  const known: string[] = [];
  for (const [idx, h] of state.hosts.entries()) {
    const d = hostDir(state, h);
    for (const sub of ['upper', 'work', 'rootfs']) fs.mkdirSync(path.join(d, sub), { recursive: true, mode: 0o755 });
    const key = path.join(d, 'ssh_host_ed25519_key');
    await must('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-C', `${h.name}@bosun-lab`, '-f', key], 'host key generation');
    known.push(`${h.ip},${h.fqdn},${h.name} ${fs.readFileSync(key + '.pub', 'utf8').trim().split(' ').slice(0, 2).join(' ')}`);
    fs.writeFileSync(path.join(d, 'sshd_config'), sshdConfigText(h.ip));
    fs.writeFileSync(path.join(d, 'sshd_dropin.conf'), sshdDropInText());
    const plan: BootPlan = {
      lab: state.name,
      host: h.name,
      ip: h.ip,
      init: state.init ?? 'sshd',
      family: state.family ?? 'debian',
      dir: d,
      labsDir: path.dirname(state.stateDir),
      labDir: state.stateDir,
      repoDir: state.repoDir,
      machineId: randomBytes(16).toString('hex'),
      cgroups,
    };
    fs.writeFileSync(path.join(d, 'start.sh'), startScriptText(plan), { mode: 0o755 });
    fs.writeFileSync(path.join(d, 'boot.sh'), bootScriptText(plan), { mode: 0o755 });

    const veth = vethName(state.name, idx + 1);
    const peer = `p${labShortId(state.name)}-${idx + 1}`;
    await must('ip', ['netns', 'add', h.netns], `network namespace ${h.netns}`);
    await must('ip', ['link', 'add', veth, 'type', 'veth', 'peer', 'name', peer], `veth for ${h.name}`);
    await must('ip', ['link', 'set', peer, 'netns', h.netns], `veth for ${h.name}`);
    await must('ip', ['link', 'set', veth, 'master', state.bridge, 'up'], `veth for ${h.name}`);
    await must('ip', ['-n', h.netns, 'link', 'set', peer, 'name', 'eth0'], `eth0 of ${h.name}`);
    await must('ip', ['-n', h.netns, 'addr', 'add', `${h.ip}/24`, 'dev', 'eth0'], `address of ${h.name}`);
    await must('ip', ['-n', h.netns, 'link', 'set', 'eth0', 'up'], `eth0 of ${h.name}`);
    await must('ip', ['-n', h.netns, 'link', 'set', 'lo', 'up'], `lo of ${h.name}`);
    // No default route inside: a host can reach its lab peers and the gateway, nothing else.
  }
  fs.writeFileSync(state.knownHostsFile, known.join('\n') + '\n');

  for (const h of state.hosts) await spawnHost(state, h);
  // At most 16 logins at a time: 100+ simultaneous handshakes on a loaded machine outlast the
  // per-host wait (seen with the bench's 103-host lab at load 60) although every sshd is up.
  const limit = pLimit(16);
  await Promise.all(state.hosts.map((h) => limit(() => waitForSsh(state, h))));
}

/** Removes a lab: processes, namespaces, veths, bridge, files. Safe to run twice or on a half-built lab. */
export async function labDown(name: string = DEFAULT_LAB_NAME, stateDir?: string): Promise<void> {
  name = validateLabName(name);
  const dir = labDirOf(name, stateDir);
  const state = loadLabState(name, stateDir);
  const pattern = new RegExp(`^${name}-node\\d+$`);
  const namespaces = new Set((await netnsList()).filter((n) => pattern.test(n)));
  for (const h of state?.hosts ?? []) if (namespaces.has(h.netns) || pattern.test(h.netns)) namespaces.add(h.netns);
  const present = new Set(await netnsList());
  for (const ns of namespaces) {
    if (!present.has(ns)) continue;
    // systemd hosts: their cgroup too (units with a network namespace of their own are not in the netns list)
    await killNetns(ns, cgroupPath(name, ns.slice(name.length + 1)));
    const r = await run('ip', ['netns', 'del', ns]);
    if (r.code !== 0 && (await netnsList()).includes(ns)) {
      throw new LabError(`cannot delete network namespace ${ns}: ${r.stderr.trim()}`);
    }
  }
  // veths whose peer never reached a namespace, then the bridge (the blackhole route stays: other labs use it).
  const links = await run('ip', ['-o', 'link', 'show']);
  // Exact shape only: lab 'a' must not touch lab 'a-b''s 'va-b-1'.
  const ours = new RegExp(`^[vp]${labShortId(name)}-\\d+$`);
  for (const line of links.stdout.split('\n')) {
    const ifname = /^\d+:\s+([^:@\s]+)/.exec(line)?.[1];
    if (ifname && (ours.test(ifname) || ifname === bridgeName(name))) {
      await run('ip', ['link', 'del', ifname]);
    }
  }
  for (const h of state?.hosts ?? []) await killNetns(h.netns, cgroupPath(name, h.name)); // namespace already gone: its cgroup
  removeCgroups(cgroupPath(name));
  fs.rmSync(dir, { recursive: true, force: true });
  controlHostsUpdate(name, undefined);
}

async function hostUp(h: LabHost): Promise<{ up: boolean; pid?: number }> {
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

export async function labStatus(
  name: string = DEFAULT_LAB_NAME,
  stateDir?: string,
): Promise<{ state: LabState; hosts: LabHostStatus[] } | undefined> {
  const state = loadLabState(name, stateDir);
  if (!state) return undefined;
  const hosts = await Promise.all(
    state.hosts.map(async (h) => ({ name: h.name, ip: h.ip, ...(await hostUp(h)) })),
  );
  return { state, hosts };
}

/** Kills the host's PID 1 (its sshd) and so every process of the host; its overlay dirs stay. */
export async function hostStop(state: LabState, host: string): Promise<void> {
  const h = findHost(state, host);
  await killNetns(h.netns, hostCgroup(state, h));
}

/** Starts a stopped host again on the same overlay dirs and waits for its sshd. No-op if it is up. */
export async function hostStart(state: LabState, host: string): Promise<void> {
  const h = findHost(state, host);
  if (!(await netnsList()).includes(h.netns)) {
    throw new LabError(`network namespace ${h.netns} is gone: lab ${state.name} was taken down`, {
      hint: `bosun lab up ${state.hosts.length} --name ${state.name}`,
    });
  }
  if ((await hostUp(h)).up) return;
  await killNetns(h.netns, hostCgroup(state, h)); // a half-dead host (sshd gone, children left)
  await spawnHost(state, h);
  await waitForSsh(state, h);
}

// ---------------------------------------------------------------------------------------------
// Observing changes

/**
 * sha256 over everything the host wrote anywhere (the upper layer of its root overlay): every path,
 * type, mode, owner, symlink target, device number (overlay whiteouts are 0/0 char devices) and
 * file content, but not times. Equal before and after a --check run proves it changed nothing.
 */
export async function hashHost(state: LabState, host: string): Promise<string> {
  const h = findHost(state, host);
  const hash = createHash('sha256');
  const walk = (abs: string, rel: string): void => {
    const st = fs.lstatSync(abs);
    const mode = (st.mode & 0o7777).toString(8);
    let kind: string;
    let extra = '';
    if (st.isDirectory()) kind = 'd';
    else if (st.isSymbolicLink()) {
      kind = 'l';
      extra = fs.readlinkSync(abs);
    } else if (st.isFile()) {
      kind = 'f';
      extra = createHash('sha256').update(fs.readFileSync(abs)).digest('hex');
    } else if (st.isCharacterDevice()) {
      kind = 'c';
      extra = String(st.rdev);
    } else if (st.isBlockDevice()) {
      kind = 'b';
      extra = String(st.rdev);
    } else if (st.isFIFO()) kind = 'p';
    else kind = 's';
    hash.update(`${rel}\0${kind}\0${mode}\0${st.uid}\0${st.gid}\0${extra}\n`);
    if (kind === 'd') {
      for (const entry of fs.readdirSync(abs).sort()) walk(path.join(abs, entry), rel === '' ? entry : `${rel}/${entry}`);
    }
  };
  for (const top of fs.readdirSync(h.upperDir).sort()) walk(path.join(h.upperDir, top), top);
  return hash.digest('hex');
}

// ---------------------------------------------------------------------------------------------
// Inventory

function yamlString(s: string): string {
  return JSON.stringify(s); // a JSON string is a valid YAML double-quoted scalar
}

/** Ansible YAML inventory for the lab: every host in `group`, with ip and fqdn host vars. */
export function labInventory(state: LabState, group = 'etcd'): string {
  if (!/^[A-Za-z_][A-Za-z0-9_]*$/.test(group)) {
    throw new OptionsError(`invalid inventory group name '${group}': use letters, digits and underscores`);
  }
  const common = `-o UserKnownHostsFile=${shq(state.knownHostsFile)} -o StrictHostKeyChecking=yes -o IdentitiesOnly=yes`;
  const lines = [
    `# bosun lab '${state.name}' (${state.subnet}); bring it down with: bosun lab down --name ${state.name}`,
    'all:',
    '  vars:',
    '    ansible_user: root',
    `    ansible_ssh_private_key_file: ${yamlString(state.keyFile)}`,
    `    ansible_ssh_common_args: ${yamlString(common)}`,
    '  children:',
    `    ${group}:`,
    '      hosts:',
  ];
  for (const h of state.hosts) {
    lines.push(`        ${h.name}: { ansible_host: ${h.ip}, ip: ${h.ip}, fqdn: ${h.fqdn} }`);
  }
  return lines.join('\n') + '\n';
}
