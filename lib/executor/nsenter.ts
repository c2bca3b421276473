// nsenter connection: the framed channel (channel.ts) into the Linux namespaces of a local process
// — a lab host, a container or a systemd-nspawn machine that runs no sshd. `ansible_host` is the
// PID of a process inside (its init); the control node must be root. The channel's `sh` runs in
// the target's mount, UTS, IPC, network and PID namespaces and root directory, with a clean
// environment: nothing of the control node's environment (vault password variables, agent
// sockets) is handed to the managed host.
import type { ConnectionSpec } from './types.js';
import { bootstrapCommand } from './channel-script.js';
import { Channel, ChannelConnection, OpenFailure, type ChannelOptions } from './channel.js';

export interface NsenterOptions extends ChannelOptions {
  /** nsenter binary (tests, odd installs). Default `nsenter` from PATH. */
  nsenterBinary?: string;
}

/** The environment a channel starts with, as a login would give it (not the control node's). */
const CLEAN_ENV: NodeJS.ProcessEnv = {
  PATH: '/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin',
  HOME: '/root',
  USER: 'root',
  LOGNAME: 'root',
  SHELL: '/bin/sh',
  LANG: 'C.UTF-8',
};

export class NsenterConnection extends ChannelConnection {
  readonly kind = 'nsenter' as const;

  constructor(spec: ConnectionSpec, options: NsenterOptions = {}) {
    super(spec, options);
  }

  /** The target PID (ansible_host). */
  get targetPid(): string {
    return this.spec.address || this.spec.name;
  }

  /** The local nsenter argv (without the binary); holds no request data. */
  nsenterArgs(): string[] {
    const pid = this.targetPid;
    if (!/^[1-9]\d*$/.test(pid)) {
      throw new OpenFailure(`${this.host}: ansible_host of an nsenter host must be the PID of a process in its namespaces, got '${pid}'`, false);
    }
    return [
      '--target', pid, '--mount', '--uts', '--ipc', '--net', '--pid', '--root', '--wd',
      // `--` so nothing after it is read as an nsenter option
      '--', '/bin/sh', '-c', bootstrapCommand(this.spec.become ? { user: this.spec.becomeUser || 'root' } : undefined),
    ];
  }

  protected command(): { bin: string; args: string[]; env: NodeJS.ProcessEnv } {
    return { bin: (this.options as NsenterOptions).nsenterBinary ?? 'nsenter', args: this.nsenterArgs(), env: CLEAN_ENV };
  }

  protected openFailure(ch: Channel): OpenFailure {
    const err = ch.stderr;
    const why = this.complaint(err) || `nsenter exited with ${ch.exitCode ?? 'a signal'}`;
    if (this.spec.become && /sudo:.*(password is required|a terminal is required)/i.test(err)) {
      return new OpenFailure(`sudo requires a password on ${this.host} (${why})`, false, 'bosun never sends a sudo password over the channel');
    }
    if (/No such process|No such file or directory|cannot open \/proc/i.test(err)) {
      return new OpenFailure(`${this.host}: no process ${this.targetPid} to enter (${why})`, false, 'ansible_host must be the PID of a running process in the target namespaces');
    }
    if (/Operation not permitted|Permission denied/i.test(err)) {
      return new OpenFailure(`${this.host}: ${why}`, false, 'entering another process’s namespaces needs root (CAP_SYS_ADMIN) on the control node');
    }
    // killed before it answered (a signal): another attempt may work
    return new OpenFailure(`could not start the shell in ${this.host}'s namespaces (exit ${ch.exitCode ?? 'signal'}): ${why}`, ch.exitCode === null);
  }
}
