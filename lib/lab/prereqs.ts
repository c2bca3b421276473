// What a lab needs on this machine (pure, so the error path is testable without being someone else).
import * as fs from 'node:fs';
import * as path from 'node:path';
import { LabError } from '../errors.js';

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

export function assertPrerequisites(): void {
  const missing = checkPrerequisites(systemEnv());
  if (missing.length) throw prerequisiteError(missing);
}
