// A lab's description, computed without touching the system: names of its namespaces, interfaces
// and directories, addresses, and the state file `lab up` writes and every other command reads.
import { createHash } from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { LabError, OptionsError, closest } from '../errors.js';
import { LAB_FAMILIES, LAB_INITS, cgroupPath, type LabFamily, type LabInit } from './boot.js';

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

export function vethName(name: string, i: number): string {
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

export function labDirOf(name: string, stateDir?: string): string {
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

export function stateFile(dir: string): string {
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

export function hostsFileText(state: LabState): string {
  const lines = ['127.0.0.1\tlocalhost', '::1\tlocalhost ip6-localhost ip6-loopback'];
  for (const h of state.hosts) lines.push(`${h.ip}\t${h.fqdn} ${h.name}`);
  return lines.join('\n') + '\n';
}

export function findHost(state: LabState, host: string): LabHost {
  const h = state.hosts.find((x) => x.name === host || x.fqdn === host || x.ip === host);
  if (!h) {
    const near = closest(host, state.hosts.map((x) => x.name));
    throw new LabError(`lab ${state.name} has no host '${host}' (hosts: ${state.hosts.map((x) => x.name).join(', ')})`, { hint: near ? `did you mean '${near}'?` : undefined });
  }
  return h;
}

export function hostDir(state: LabState, h: LabHost): string {
  return path.join(state.stateDir, h.name);
}

/** PID 1's output: sshd's log, or systemd's console (its units log to the host's journal). */
export function logFile(state: LabState, h: LabHost): string {
  return path.join(hostDir(state, h), state.init === 'systemd' ? 'console.log' : 'sshd.log');
}

export function hostCgroup(state: LabState, h: LabHost): string | undefined {
  return state.init === 'systemd' ? cgroupPath(state.name, h.name) : undefined;
}

export function sameShape(a: LabState, b: LabState): boolean {
  return (
    a.domain === b.domain &&
    a.subnet === b.subnet &&
    a.hosts.length === b.hosts.length &&
    (a.init ?? 'sshd') === (b.init ?? 'sshd') &&
    (a.family ?? 'debian') === (b.family ?? 'debian')
  );
}
