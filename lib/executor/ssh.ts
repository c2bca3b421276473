// SSH connection: one persistent `ssh host sh` process per host for the whole run, carrying the
// framed channel (channel.ts). This file only says how ssh is started and how its failures read.
import type { ConnectionSpec } from './types.js';
import { bootstrapCommand } from './channel-script.js';
import { controlPlan } from './control-master.js';
import { Channel, ChannelConnection, OpenFailure, type ChannelOptions } from './channel.js';

// SIGINT handling and tests reach every open channel through these (all kinds, live.ts).
export { closeAll, openConnections } from './live.js';

export interface SshOptions extends ChannelOptions {
  /** ssh binary (tests, odd installs). Default `ssh` from PATH. */
  sshBinary?: string;
}

const HOST_KEY_HINT =
  "the host's key is not in known_hosts (or changed): add it (ssh-keyscan, or one interactive ssh), or turn checking off with ANSIBLE_HOST_KEY_CHECKING=False / ansible_host_key_checking: false (see docs/security.md)";

/** ssh's own complaint, without the noise of known-hosts notices. */
function sshMessage(stderr: string): string {
  const lines = stderr
    .split(/\r?\n/)
    .map((l) => l.trim())
    .filter((l) => l && !/^Warning: Permanently added/.test(l));
  return lines.slice(-3).join('; ');
}

export class SshConnection extends ChannelConnection {
  readonly kind = 'ssh' as const;

  constructor(spec: ConnectionSpec, options: SshOptions = {}) {
    super(spec, options);
  }

  protected command(): { bin: string; args: string[] } {
    return { bin: (this.options as SshOptions).sshBinary ?? 'ssh', args: this.sshArgs() };
  }

  protected override complaint(stderr: string): string {
    return sshMessage(stderr);
  }

  /** The local ssh argv (without the binary). Exposed for tests and -vvv; holds no request data. */
  sshArgs(): string[] {
    const s = this.spec;
    // ssh keeps the FIRST value of an option: the inventory's ansible_ssh_common_args go before
    // bosun's defaults so they can override them (StrictHostKeyChecking, ConnectTimeout, …).
    // Control* options come from control-master.ts (a master that outlives the run, or none).
    const control = controlPlan(s);
    const args = ['-T', '-o', 'BatchMode=yes', ...control.userArgs, ...control.controlArgs, '-o', `ConnectTimeout=${s.connectTimeoutSec ?? 10}`];
    if (s.knownHostsFile) args.push('-o', `UserKnownHostsFile=${s.knownHostsFile}`);
    // As Ansible: unknown host keys are refused unless host_key_checking is turned off.
    args.push('-o', `StrictHostKeyChecking=${s.hostKeyChecking === false ? 'no' : 'yes'}`);
    args.push('-o', 'ServerAliveInterval=5', '-o', 'ServerAliveCountMax=3');
    if (s.port !== undefined) args.push('-p', String(s.port));
    if (s.user) args.push('-l', s.user);
    if (s.privateKeyFile) args.push('-i', s.privateKeyFile);
    // `--` so an address starting with "-" is never read as an option.
    args.push('--', s.address || s.name);
    args.push(bootstrapCommand(s.become ? { user: s.becomeUser || 'root' } : undefined));
    return args;
  }

  protected openFailure(ch: Channel): OpenFailure {
    const err = ch.stderr;
    const why = sshMessage(err) || `ssh exited with ${ch.exitCode ?? 'a signal'}`;
    if (this.spec.become && /sudo:.*(password is required|a terminal is required)/i.test(err)) {
      const user = this.spec.becomeUser || 'root';
      return new OpenFailure(
        `sudo requires a password on ${this.host}; configure NOPASSWD for the login user or connect as ${user} (${why})`,
        false,
        'bosun never sends a sudo password over the channel',
      );
    }
    if (/Host key verification failed|REMOTE HOST IDENTIFICATION HAS CHANGED/i.test(err))
      return new OpenFailure(`${this.host}: ${why}`, false, HOST_KEY_HINT);
    if (/Permission denied/i.test(err)) return new OpenFailure(`${this.host}: ${why}`, false);
    if (ch.exitCode === 255 || ch.exitCode === null) return new OpenFailure(`${this.host}: ${why}`, true);
    return new OpenFailure(`could not start the remote shell on ${this.host} (exit ${ch.exitCode}): ${why}`, false);
  }
}
