#!/usr/bin/env node
// Test tiers: `npm run test:unit` (no root, no lab, no host binaries; the fast loop), `test:host`
// (root, a real sshd on loopback, init scripts, etcd, ansible differential, the built bin) and
// `test:lab` (network-namespace lab hosts). `npm test` still runs every file (tap's own include).
// A test file is unit unless listed below; a listed path that no longer exists is an error, so the
// lists cannot rot. Extra arguments go to tap (e.g. --disable-coverage).
import { existsSync, readdirSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { spawnSync } from 'node:child_process';

const root = new URL('..', import.meta.url).pathname;

export const LAB = ['test/e2e', 'test/lab/lab.test.ts', 'test/lab/systemd.test.ts', 'test/lab/family.test.ts', 'test/executor/nsenter.test.ts'];
export const HOST = [
  'test/executor/ssh.test.ts', // real sshd on loopback
  'test/executor/dispatcher.test.ts', // the channel's loop under dash and bash --posix
  'test/modules/util/over-ssh.test.ts',
  'test/modules/service.test.ts', // init scripts
  'test/modules/etcdctl.test.ts', // etcd binaries
  'test/modules/util/etcdctl-cli.test.ts',
  'test/modules/cert.test.ts', // root-owned files, openssl
  'test/modules/file.test.ts', // chown
  'test/modules/stat.test.ts',
  'test/modules/known_hosts.test.ts', // ssh-keygen on files of a test directory
  'test/modules/alternatives.test.ts', // dpkg's update-alternatives, confined to a test directory
  'test/modules/apt_key.test.ts', // apt-key and gpg on keyrings of a test directory
  'test/modules/make.test.ts', // make on Makefiles of a test directory
  'test/modules/util/remote-file.test.ts',
  'test/cli/inventory.test.ts', // ansible-inventory differential
  'test/cli/code-cache.test.ts', // the built dist/ (tsc), in child processes
  'test/cli/v8-tiering.test.ts', // the built dist/ (tsc), in child processes
  'test/executor/channel-hooks.test.ts', // the built dist/ (tsc), in a plain node
  'test/cli/hints.test.ts', // ansible-playbook differential
  'test/modules/edit-differential.test.ts', // ansible-playbook differential (lineinfile, blockinfile, replace, ini_file)
  'test/modules/fetch-differential.test.ts', // ansible-playbook differential (fetch)
  'test/modules/copy-differential.test.ts', // ansible-playbook differential (copy trees)
  'test/modules/find-differential.test.ts', // ansible-playbook differential (find)
  'test/modules/stat-differential.test.ts', // ansible-playbook differential (stat), as root and as nobody (setpriv, the built bin)
  'test/modules/yum-repository-differential.test.ts', // ansible-playbook differential (yum_repository's configparser corners)
  'test/modules/known-hosts-differential.test.ts', // ansible-playbook differential (known_hosts: patterns, hashes, markers, -R)
  'test/modules/package-facts-differential.test.ts', // ansible package_facts differential (python3-apt)
  'test/differential/control.test.ts', // ansible-playbook differential (include_vars, set_fact cacheable, with_* loops)
  'test/differential/async.test.ts', // ansible-playbook differential (async/poll, async_status)
  'test/engine/async-ssh.test.ts', // real sshd on loopback (async jobs on a second channel, the deadline's kill)
  'test/differential/semantics.test.ts', // ansible-playbook differential (role dedup, order:, includes, output lines, pause, add_host, group_by)
  'test/differential/argspec.test.ts', // ansible-playbook differential (role argument specs, validate_argument_spec)
  'test/differential/dynamic-include.test.ts', // ansible-playbook differential (templated include_tasks / include_role names)
  'test/modules/setup.test.ts', // the fact probe on this machine (ip, findmnt, lsblk, python3)
  'test/cli/bin.test.ts', // the built bin
  'test/pki/lock-runs.test.ts',
  'test/modules/get_url.test.ts', // python3 on the host (its HTTP client)
  'test/modules/unarchive.test.ts', // python3, tar, xz, bzip2
  'test/modules/uri.test.ts', // python3 on the host (its HTTP client)
  'test/modules/archive.test.ts', // python3 on the host
  'test/modules/http-differential.test.ts', // ansible-playbook differential (get_url, uri)
  'test/modules/assemble-differential.test.ts', // ansible-playbook differential (assemble, tempfile, stat, newline_sequence, copy remote_src trees)
  'test/engine/jinja-differential.test.ts', // ansible-playbook differential (template files)
  'test/engine/jinja-values-differential.test.ts', // ansible-playbook differential (templated values, undefined, template vars)
];

function files(dir) {
  return readdirSync(join(root, dir)).flatMap((n) => {
    const p = join(dir, n);
    return statSync(join(root, p)).isDirectory() ? files(p) : p.endsWith('.test.ts') ? [p] : [];
  });
}

function expand(list) {
  return list.flatMap((p) => {
    if (!existsSync(join(root, p))) throw new Error(`.ci/tiers.mjs lists ${p}, which does not exist`);
    return statSync(join(root, p)).isDirectory() ? files(p) : [p];
  });
}

export function tiers() {
  const lab = expand(LAB);
  const host = expand(HOST);
  const other = new Set([...lab, ...host]);
  const unit = files('test').filter((f) => !other.has(f));
  return { unit, host, lab };
}

if (process.argv[1] && relative(process.argv[1], new URL(import.meta.url).pathname) === '') {
  const [tier, ...rest] = process.argv.slice(2);
  const all = tiers();
  if (!(tier in all)) {
    console.error(`usage: node .ci/tiers.mjs unit|host|lab [tap args]`);
    process.exit(2);
  }
  // a tier alone cannot reach the whole suite's coverage bar: check it only on `npm test`
  const r = spawnSync(join(root, 'node_modules/.bin/tap'), ['--allow-incomplete-coverage', ...rest, ...all[tier]], { stdio: 'inherit', cwd: root });
  process.exit(r.status ?? 1);
}
