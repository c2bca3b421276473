// Reaching and observing lab hosts from outside: the ssh argv, an Ansible inventory, and a hash of
// everything a host wrote (what tests compare around a --check run).
import { createHash } from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { OptionsError } from '../errors.js';
import { shq } from '../executor/types.js';
import { findHost, type LabState } from './plan.js';

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
