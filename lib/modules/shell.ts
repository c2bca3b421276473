// shell: run a command line through a shell (pipes, redirections, variables). The line is handed to
// `eval` in a subshell of the request's sh, or to `EXECUTABLE -c` when executable is given.

import { shq } from '../executor/types.js';
import { defineModule } from './types.js';
import { applyRun, planRun, runArgSpecs, type RunArgs, type RunState } from './util/run.js';

export interface ShellArgs extends RunArgs {
  cmd: string;
  executable?: string;
}

/** A command line run by the request's sh (in a subshell, as `sh -c` would) or by `EXECUTABLE -c`. */
export function shellScript(cmd: string, executable: string | undefined): string {
  return executable !== undefined ? `exec ${shq(executable)} -c ${shq(cmd)}\n` : `(eval ${shq(cmd)})\n`;
}

export default defineModule<ShellArgs, RunState>({
  name: 'shell',
  freeForm: 'cmd',
  doc: {
    short: 'Run a command line through a shell',
    description:
      'Runs cmd with /bin/sh (dash on Debian: POSIX sh, no bash-isms) or with executable -c. ' +
      'Non-zero rc fails the task. creates/removes skip it like command; otherwise check mode cannot predict it.',
    check: 'partial',
    diff: false,
    examples: [
      '- shell: etcdctl member list | grep -c started',
      '- shell: { cmd: "set -o pipefail; curl -s {{ url }} | tar x", executable: /bin/bash, chdir: /opt }',
    ].join('\n'),
  },
  args: {
    cmd: { type: 'str', required: true, description: 'The shell command line (free form).' },
    executable: { type: 'path', description: 'Shell to run cmd with (`EXECUTABLE -c CMD`), e.g. /bin/bash.' },
    ...runArgSpecs,
  },
  plan: (ctx, args) => planRun(ctx, args, args.cmd),
  apply(ctx, args, plan) {
    return applyRun(ctx, args, plan, shellScript(args.cmd, args.executable), args.cmd);
  },
});
