// A private sshd on 127.0.0.1 for executor tests, torn down with the test. Tests only use the
// ConnectionSpec it returns, so the same tests can later target a lab host: set
// BOSUN_TEST_SSH_SPEC to a JSON ConnectionSpec and no sshd is started.
import { spawn, execFileSync } from 'node:child_process';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { createServer, connect } from 'node:net';
import { join } from 'node:path';
import type { Test } from 'tap';
import type { ConnectionSpec } from '../../lib/executor/types.js';

export interface SshTarget {
  /** Spec of a reachable host that accepts our key as root. */
  spec: ConnectionSpec;
  /** Spec of a port on 127.0.0.1 nothing listens on (connection refused). */
  unreachable: ConnectionSpec;
  /** True when this is the loopback fixture (tests that need to reconfigure sshd check it). */
  loopback: boolean;
  /** Fixture directory (keys, config, known_hosts); undefined for an external target. */
  dir?: string;
}

/** A free TCP port on 127.0.0.1 (free when asked; nothing listens on it afterwards). */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const addr = srv.address();
      const port = typeof addr === 'object' && addr ? addr.port : 0;
      srv.close(() => resolve(port));
    });
  });
}

/** Resolves once something on host:port greets with an SSH banner. */
async function waitForBanner(port: number, deadlineMs: number): Promise<void> {
  const until = Date.now() + deadlineMs;
  for (;;) {
    const ok = await new Promise<boolean>((resolve) => {
      const s = connect({ host: '127.0.0.1', port });
      const done = (v: boolean) => {
        s.destroy();
        resolve(v);
      };
      s.once('data', (b) => done(b.toString().startsWith('SSH-')));
      s.once('error', () => done(false));
      s.setTimeout(1000, () => done(false));
    });
    if (ok) return;
    if (Date.now() > until) throw new Error(`sshd on 127.0.0.1:${port} did not come up`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

/** Starts (or, with BOSUN_TEST_SSH_SPEC, borrows) an SSH target for the test `t`. */
export async function sshTarget(t: Test): Promise<SshTarget> {
  const unreachable: ConnectionSpec = {
    name: 'nowhere',
    connection: 'ssh',
    address: '127.0.0.1',
    port: await freePort(),
    connectTimeoutSec: 3,
  };
  const external = process.env.BOSUN_TEST_SSH_SPEC;
  if (external) {
    const spec = JSON.parse(external) as ConnectionSpec;
    return { spec, unreachable: { ...unreachable, privateKeyFile: spec.privateKeyFile }, loopback: false };
  }

  const dir = t.testdir({});
  const port = await freePort();
  // asked one after the other, the two free ports can be the same one: then sshd would listen on
  // the "unreachable" port (ssh.test's unreachable case connected)
  while (unreachable.port === port) unreachable.port = await freePort();
  const hostKey = join(dir, 'host_ed25519');
  const clientKey = join(dir, 'client_ed25519');
  execFileSync('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-C', 'bosun-test-host', '-f', hostKey]);
  execFileSync('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-C', 'bosun-test-client', '-f', clientKey]);
  writeFileSync(join(dir, 'authorized_keys'), readFileSync(clientKey + '.pub'));
  const knownHosts = join(dir, 'known_hosts');
  writeFileSync(knownHosts, `[127.0.0.1]:${port} ${readFileSync(hostKey + '.pub', 'utf8').split(' ').slice(0, 2).join(' ')}\n`);
  const config = join(dir, 'sshd_config');
  writeFileSync(
    config,
    [
      `Port ${port}`,
      'ListenAddress 127.0.0.1',
      `HostKey ${hostKey}`,
      `AuthorizedKeysFile ${join(dir, 'authorized_keys')}`,
      `PidFile ${join(dir, 'sshd.pid')}`,
      'UsePAM no',
      'PermitRootLogin prohibit-password',
      'PasswordAuthentication no',
      'KbdInteractiveAuthentication no',
      // The test dir's parents are not root-only; the fixture owns them anyway.
      'StrictModes no',
      'MaxStartups 100:30:200',
      'MaxSessions 100',
      // sshd resets PATH after applying client variables, but root's bash sources BASH_ENV: this
      // lets a test put stand-in tools (e.g. a sudo that wants a password) first in the PATH.
      'AcceptEnv BASH_ENV',
      'LogLevel ERROR',
      '',
    ].join('\n'),
  );
  mkdirSync('/run/sshd', { recursive: true, mode: 0o755 });
  const sshd = spawn('/usr/sbin/sshd', ['-D', '-e', '-f', config, '-o', 'UsePAM=no'], {
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  let log = '';
  sshd.stderr.on('data', (b: Buffer) => (log = (log + b.toString()).slice(-4000)));
  const exited = new Promise<void>((r) => sshd.once('exit', () => r()));
  t.teardown(async () => {
    sshd.kill('SIGTERM');
    await exited;
  });
  try {
    await Promise.race([
      waitForBanner(port, 10_000),
      exited.then(() => {
        throw new Error(`sshd exited: ${log}`);
      }),
    ]);
  } catch (e) {
    sshd.kill('SIGKILL');
    throw e;
  }

  const spec: ConnectionSpec = {
    name: 'loopback',
    connection: 'ssh',
    address: '127.0.0.1',
    port,
    user: 'root',
    privateKeyFile: clientKey,
    knownHostsFile: knownHosts,
    connectTimeoutSec: 5,
  };
  return { spec, unreachable: { ...unreachable, privateKeyFile: clientKey, knownHostsFile: knownHosts }, loopback: true, dir };
}
