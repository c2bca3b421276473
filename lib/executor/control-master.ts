// Connection reuse across runs, as Ansible does by default (ssh_args "-o ControlMaster=auto -o
// ControlPersist=60s"): each host's channel rides on an OpenSSH ControlMaster that outlives the run
// by `persist` seconds, so a rerun within that window opens a session through it (no TCP, no key
// exchange, no authentication). This file owns the settings, the private socket directory, the
// per-host socket path, the sweep of stale sockets and the master's check/exit; ssh.ts only puts
// controlArgs() into its argv.
import { createHash } from 'node:crypto';
import { spawn } from 'node:child_process';
import { chmodSync, lstatSync, mkdirSync, readdirSync, readFileSync, statSync, unlinkSync } from 'node:fs';
import { connect } from 'node:net';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { OptionsError } from '../errors.js';
import type { ConnectionSpec } from './types.js';

/** How long an idle master stays up after the run, like Ansible's ssh_args default (60 s). */
export const DEFAULT_PERSIST_SEC = 60;

export interface ControlSettings {
  /** Seconds an idle master outlives the run; 0 = no master at all; Infinity = until stopped ("yes"). */
  persistSec: number;
  /** Directory of the control sockets (private, 0700); default ~/.bosun/cp (Ansible: ~/.ansible/cp). */
  dir?: string;
}

/** Run-wide settings (CLI flags, environment, config), below per-host inventory variables. */
let defaults: ControlSettings = { persistSec: DEFAULT_PERSIST_SEC };

/** Sets the run-wide settings; a field left undefined takes its default. */
export function configureControl(s: Partial<ControlSettings>): void {
  defaults = { persistSec: s.persistSec ?? DEFAULT_PERSIST_SEC, dir: s.dir };
}

export function controlDefaults(): ControlSettings {
  return { ...defaults };
}

/**
 * Parses a persist value as an operator writes it: ssh's time format ("60", "60s", "10m", "1h30m"),
 * "yes" (until stopped), or "no" / "false" / "off" / 0 (no master). `what` names the source for
 * the error message.
 */
export function parsePersist(v: unknown, what: string): number {
  if (v === false || v === 0) return 0;
  if (v === true) return Infinity;
  if (typeof v === 'number' && Number.isInteger(v) && v > 0) return v;
  const s = typeof v === 'string' ? v.trim().toLowerCase() : '';
  if (['no', 'false', 'off', '0'].includes(s)) return 0;
  if (['yes', 'true', 'on'].includes(s)) return Infinity;
  if (/^(\d+[smhdw]?)+$/.test(s)) {
    const unit: Record<string, number> = { '': 1, s: 1, m: 60, h: 3600, d: 86400, w: 604800 };
    let sec = 0;
    for (const m of s.matchAll(/(\d+)([smhdw]?)/g)) sec += Number(m[1]) * unit[m[2]!]!;
    return sec;
  }
  throw new OptionsError(`${what}: expected seconds, an ssh time ("60s", "10m"), "yes" or "no"; got ${JSON.stringify(v)}`);
}

/** The value given to ssh's ControlPersist option. */
function persistValue(sec: number): string {
  return sec === Infinity ? 'yes' : String(sec);
}

/**
 * Takes ControlMaster / ControlPersist / ControlPath out of user ssh arguments (-o K=V, -oK=V,
 * -o "K V"): bosun decides them from the settings, so it knows whether a master exists and where.
 * Returns the remaining args and the persist they asked for (undefined: they did not say).
 */
export function splitControlArgs(args: readonly string[]): { rest: string[]; persistSec?: number; path?: string } {
  const rest: string[] = [];
  let master: string | undefined;
  let persist: string | undefined;
  let path: string | undefined;
  for (let i = 0; i < args.length; i++) {
    const a = args[i]!;
    let opt: string | undefined;
    if (a === '-o' && i + 1 < args.length) opt = args[i + 1];
    else if (a.startsWith('-o') && a.length > 2) opt = a.slice(2);
    const m = opt === undefined ? null : /^\s*(controlmaster|controlpersist|controlpath)\s*(?:=|\s)\s*(.*?)\s*$/i.exec(opt);
    if (!m) {
      rest.push(a);
      continue;
    }
    if (a === '-o') i++;
    // ssh keeps the first value of an option
    const key = m[1]!.toLowerCase();
    const val = m[2]!.replace(/^"(.*)"$/, '$1');
    if (key === 'controlmaster') master ??= val;
    else if (key === 'controlpersist') persist ??= val;
    else path ??= val;
  }
  let persistSec: number | undefined;
  if (master !== undefined && /^(no|ask)$/i.test(master)) persistSec = 0;
  else if (path !== undefined && path.toLowerCase() === 'none') persistSec = 0;
  else if (persist !== undefined) persistSec = parsePersist(persist, `ssh option ControlPersist=${persist}`);
  return { rest, persistSec, path: persistSec === 0 ? undefined : path };
}

/** sun_path is 108 bytes; ssh adds ".<16 random chars>" while it creates the socket. */
const MAX_SOCKET_PATH = 107 - 17;
const SOCKET_NAME_LEN = 16;

const readyDirs = new Set<string>();

/**
 * Creates (once per run) the private control directory and checks it is ours: a directory, not a
 * symlink, owned by this user, no access for group or others (sockets there give a shell on the
 * hosts without any key). Throws OptionsError when it cannot be made safe.
 */
export function ensureControlDir(dir: string): string {
  if (readyDirs.has(dir)) return dir;
  try {
    mkdirSync(dir, { recursive: true, mode: 0o700 });
  } catch (e) {
    throw new OptionsError(`ssh control directory ${dir}: ${(e as Error).message}`);
  }
  const st = lstatSync(dir);
  const uid = process.getuid?.();
  if (!st.isDirectory()) throw new OptionsError(`ssh control directory ${dir} is not a directory (a symlink?): refusing to use it`);
  if (uid !== undefined && st.uid !== uid) throw new OptionsError(`ssh control directory ${dir} belongs to uid ${st.uid}, not to this user: refusing to use it`);
  if ((st.mode & 0o077) !== 0) chmodSync(dir, 0o700);
  readyDirs.add(dir);
  sweepLater(dir);
  return dir;
}

/** Default directory: ~/.bosun/cp, as Ansible's ~/.ansible/cp. */
export function defaultControlDir(): string {
  return join(homedir(), '.bosun', 'cp');
}

const khVersions = new Map<string, number>();

/**
 * The known_hosts file's mtime (read once per run): a host re-keyed since the master was opened
 * (a rebuilt lab, a re-provisioned machine) gets a new socket instead of the old connection.
 */
function knownHostsVersion(file: string): number {
  let v = khVersions.get(file);
  if (v === undefined) {
    try {
      v = statSync(file).mtimeMs;
    } catch {
      v = 0;
    }
    khVersions.set(file, v);
  }
  return v;
}

/**
 * Socket name: a hash of everything that decides what the master authenticated (address, port,
 * user, key, known_hosts, user ssh args), so a run with other credentials or host-key settings
 * never borrows a master opened with different ones. Short and fixed-length (Ansible: 10 hex).
 */
export function socketName(spec: ConnectionSpec, userArgs: readonly string[]): string {
  const kh = spec.knownHostsFile;
  const id = JSON.stringify([spec.address || spec.name, spec.port ?? null, spec.user ?? null, spec.privateKeyFile ?? null, kh ?? null, kh ? knownHostsVersion(kh) : null, spec.hostKeyChecking ?? null, userArgs]);
  return createHash('sha256').update(id).digest('hex').slice(0, SOCKET_NAME_LEN);
}

/** Throws OptionsError when sockets in `dir` would not fit a unix socket address; `what` names the source. */
export function checkControlDir(dir: string, what: string): void {
  const len = Buffer.byteLength(dir) + 1 + SOCKET_NAME_LEN;
  if (len > MAX_SOCKET_PATH) {
    throw new OptionsError(
      `${what}: ssh control sockets in ${dir} would be too long for a unix socket (${len} > ${MAX_SOCKET_PATH} bytes): set a shorter directory (--ssh-control-path-dir or ansible_control_path_dir)`,
    );
  }
}

/** What ssh.ts needs: the user's args without Control*, and bosun's Control* options. */
export interface ControlPlan {
  userArgs: string[];
  controlArgs: string[];
  /** Socket path when a master is used. */
  socket?: string;
}

/** Quotes a path for ssh's option parser (which splits on whitespace) and escapes its % tokens. */
function sshPathValue(p: string): string {
  const esc = p.replace(/%/g, '%%');
  return /\s/.test(esc) ? `"${esc}"` : esc;
}

/**
 * Decides the Control* options of one host's ssh. Precedence: spec (inventory variables), then
 * Control* options in the user's ssh args, then the run-wide settings. Off → `ControlPath=none`,
 * which also overrides a ControlMaster in ~/.ssh/config: no master is ever started or left behind.
 */
export function controlPlan(spec: ConnectionSpec): ControlPlan {
  const split = splitControlArgs(spec.commonArgs ?? []);
  const persistSec = spec.controlPersistSec ?? split.persistSec ?? defaults.persistSec;
  if (persistSec === 0) return { userArgs: split.rest, controlArgs: ['-o', 'ControlMaster=no', '-o', 'ControlPath=none'] };
  let socket: string;
  if (split.path !== undefined && spec.controlPathDir === undefined) socket = split.path;
  else {
    const dir = spec.controlPathDir ?? defaults.dir ?? defaultControlDir();
    checkControlDir(dir, 'ssh control directory');
    socket = join(ensureControlDir(dir), socketName(spec, split.rest));
  }
  return {
    userArgs: split.rest,
    controlArgs: ['-o', 'ControlMaster=auto', '-o', `ControlPersist=${persistValue(persistSec)}`, '-o', `ControlPath=${sshPathValue(socket)}`],
    socket,
  };
}

// ---------------------------------------------------------------------------------------------
// Stale sockets

/** Entries younger than this are left alone (a master may be creating or binding them). */
const SWEEP_MIN_AGE_MS = 10_000;

/** True when nothing listens on the unix socket any more (its master died without removing it). */
function isDead(sock: string): Promise<boolean> {
  return new Promise((resolve) => {
    const c = connect(sock);
    c.unref();
    const done = (dead: boolean) => {
      c.destroy();
      resolve(dead);
    };
    c.once('connect', () => done(false));
    c.once('error', (e: NodeJS.ErrnoException) => done(e.code === 'ECONNREFUSED' || e.code === 'ENOENT'));
    c.setTimeout(2000, () => done(false));
  });
}

/**
 * The paths of listening unix sockets, from /proc/net/unix (Linux; undefined elsewhere). OpenSSH
 * binds a master's socket to "<path>.<16 chars>" and then links it to <path>, so that temporary
 * name is what is listed; both names are in the set. One read, instead of a connection to every
 * live master of the directory.
 */
export function listeningSockets(table = '/proc/net/unix'): Set<string> | undefined {
  let text: string;
  try {
    text = readFileSync(table, 'utf8'); // as the directory's names are decoded
  } catch {
    return undefined;
  }
  const out = new Set<string>();
  for (const line of text.split('\n').slice(1)) {
    // Num RefCount Protocol Flags Type St Inode Path — Flags 00010000: accepting connections
    const m = /^\s*\S+:\s+\S+\s+\S+\s+(\S+)\s+\S+\s+\S+\s+\S+ (.+)$/.exec(line);
    if (!m || (parseInt(m[1]!, 16) & 0x10000) === 0) continue;
    out.add(m[2]!);
    if (/\.[A-Za-z0-9]{16}$/.test(m[2]!)) out.add(m[2]!.slice(0, -17));
  }
  return out;
}

/**
 * Removes what dead masters left in `dir`: sockets nothing listens on, and the temporary names an
 * interrupted master creation leaves ("<name>.<16 chars>"). Only our own entries (our naming) are
 * touched. Returns the removed names.
 */
export async function sweepStale(dir: string, now = Date.now()): Promise<string[]> {
  let names: string[];
  try {
    names = readdirSync(dir);
  } catch {
    return [];
  }
  const removed: string[] = [];
  // a socket listed as listening is alive (no connection needed); one not listed may still be a
  // master in another network namespace: it is asked (isDead) before it is removed
  const listening = names.length ? listeningSockets() : undefined;
  for (const name of names) {
    const p = join(dir, name);
    try {
      const st = lstatSync(p);
      if (now - st.mtimeMs < SWEEP_MIN_AGE_MS) continue;
      const temp = /^[0-9a-f]{16}\.[A-Za-z0-9]{16}$/.test(name);
      if (!temp && !(/^[0-9a-f]{16}$/.test(name) && st.isSocket() && !listening?.has(p) && (await isDead(p)))) continue;
      unlinkSync(p);
      removed.push(name);
    } catch {
      // gone meanwhile, or not ours to remove
    }
  }
  return removed;
}

/** Once per directory and run, in the background: the run never waits for it. */
function sweepLater(dir: string): void {
  const t = setTimeout(() => void sweepStale(dir).catch(() => {}), 0);
  t.unref();
}

// ---------------------------------------------------------------------------------------------
// Master control (ssh -O)

/** Runs `ssh -O <cmd>` against a socket; resolves with its exit code and output. */
function muxCommand(socket: string, cmd: 'check' | 'exit', sshBinary = 'ssh'): Promise<{ code: number | null; out: string }> {
  return new Promise((resolve) => {
    // The host name is ignored when the socket answers; ControlMaster=no: never start one here.
    const p = spawn(sshBinary, ['-o', 'ControlMaster=no', '-o', `ControlPath=${sshPathValue(socket)}`, '-O', cmd, 'bosun-control'], {
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let out = '';
    p.stdout.on('data', (b: Buffer) => (out += b.toString()));
    p.stderr.on('data', (b: Buffer) => (out += b.toString()));
    p.once('error', () => resolve({ code: null, out }));
    // 'exit', not 'close': an exiting master may hold a copy of the pipes for a moment
    p.once('exit', (code) => resolve({ code, out }));
  });
}

/** Pid of the master listening on `socket`, or undefined when none answers. */
export async function checkMaster(socket: string, sshBinary?: string): Promise<number | undefined> {
  const r = await muxCommand(socket, 'check', sshBinary);
  const m = /pid=(\d+)/.exec(r.out);
  return r.code === 0 && m ? Number(m[1]) : undefined;
}

/** Asks the master on `socket` to exit; true when one did. Never throws. */
export async function exitMaster(socket: string, sshBinary?: string): Promise<boolean> {
  return (await muxCommand(socket, 'exit', sshBinary)).code === 0;
}
