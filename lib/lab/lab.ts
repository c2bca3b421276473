// `bosun lab`: real test hosts on this Linux machine, without containers. Each host is a network
// namespace (own IP on a bridge) plus mount/UTS/IPC/PID (and, under systemd, cgroup) namespaces whose
// PID 1 is a real sshd or systemd, on a root filesystem of its own: an overlay over the control
// node's whose upper layer is the host's directory (boot.ts). Packages come from the lab's local apt
// repository (repo.ts). Recipe and reasons: /work/shared/lab-notes.md.
// This file is the lab's lifecycle (up, down, status, stop/start a host) and its public entry point;
// the description is plan.ts, processes processes.ts, addresses subnets.ts, access access.ts.
import { randomBytes } from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';
import pLimit from 'p-limit';
import { LabError } from '../errors.js';
import {
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
} from './boot.js';
import { ensureRepo } from './repo.js';
import {
  DEFAULT_LAB_NAME,
  bridgeName,
  defaultStateDir,
  findHost,
  hostCgroup,
  hostDir,
  hostsFileText,
  labDirOf,
  labShortId,
  loadLabState,
  planLab,
  sameShape,
  stateFile,
  validateLabName,
  vethName,
  type LabHostStatus,
  type LabOptions,
  type LabState,
} from './plan.js';
import { assertPrerequisites } from './prereqs.js';
import { hostUp, killNetns, must, netnsList, removeCgroups, run, spawnHost, waitForSsh } from './processes.js';
import { ensureBlackhole, pickSubnet } from './subnets.js';

export type { LabFamily, LabInit } from './boot.js';
export {
  DEFAULT_DOMAIN,
  DEFAULT_LAB_NAME,
  DEFAULT_SUBNET,
  LAB_COVER,
  MAX_HOSTS,
  bridgeName,
  defaultStateDir,
  labShortId,
  loadLabState,
  parseSubnet,
  planLab,
  validateLabName,
  type LabHost,
  type LabHostStatus,
  type LabOptions,
  type LabState,
} from './plan.js';
export { checkPrerequisites, prerequisiteError, systemEnv, type PrereqEnv } from './prereqs.js';
export { pickSubnet } from './subnets.js';
export { hashHost, labInventory, sshArgs } from './access.js';

const OVERLAYFS_MAGIC = 0x794c7630;

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
