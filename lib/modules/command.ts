// command: run a program with arguments, no shell (pipes, redirects, $VARS are passed literally).
// Every word is quoted with shq and the script `exec`s it, so rc is the program's.

import { ArgumentError } from '../errors.js';
import { shq } from '../executor/types.js';
import { defineModule } from './types.js';
import { applyRun, planRun, runArgSpecs, type RunArgs, type RunState } from './util/run.js';
import { shlexSplit } from '../executor/shell.js';

export interface CommandArgs extends RunArgs {
  cmd?: string;
  argv?: string[];
}

function words(args: CommandArgs): string[] {
  return args.argv ?? shlexSplit(args.cmd ?? '');
}

export default defineModule<CommandArgs, RunState>({
  name: 'command',
  freeForm: 'cmd',
  doc: {
    short: 'Run a command without a shell',
    description:
      'The command line is split like a POSIX shell would split words (quotes, backslashes) but nothing is expanded: ' +
      'use shell for pipes, redirections and variables. Non-zero rc fails the task (see failed_when/changed_when). ' +
      'With creates/removes the task is skipped when the path exists/does not exist; without them, check mode cannot predict it.',
    check: 'partial',
    diff: false,
    examples: [
      '- command: etcdctl endpoint health',
      '- command: { argv: [etcdctl, user, add, root, --interactive=false], stdin: "{{ root_password }}" }',
      '- command: { cmd: /usr/local/bin/init-db, creates: /var/lib/db/.initialized }',
    ].join('\n'),
  },
  args: {
    cmd: { type: 'str', description: 'The command line (free form).' },
    argv: { type: 'list', elements: 'str', description: 'The command as a list of words (no splitting at all).' },
    ...runArgSpecs,
  },
  validate(args) {
    if ((args.cmd === undefined) === (args.argv === undefined)) throw new ArgumentError('command needs exactly one of cmd (free form) or argv');
    if (args.argv !== undefined && args.argv.length === 0) throw new ArgumentError('command: argv must not be empty');
    if (args.cmd !== undefined && !args.cmd.includes('{{') && shlexSplit(args.cmd).length === 0) throw new ArgumentError('command: cmd is empty');
  },
  plan: (ctx, args) => planRun(ctx, args, args.cmd ?? words(args).map(shq).join(' ')),
  apply(ctx, args, plan) {
    const w = words(args);
    return applyRun(ctx, args, plan, `exec ${w.map(shq).join(' ')}\n`, args.argv ?? w);
  },
});
