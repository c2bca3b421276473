// raw: Ansible's "low-down and dirty" command: the free-form text goes to the host's shell as it is
// (no word splitting, no creates/removes, no chdir) and always reports changed, as Ansible's. The
// text travels in the request's script, never in an argv; what it prints is masked like shell's.

import { defineModule } from './types.js';
import { shellScript } from './shell.js';
import { lowLevelResult } from './util/run.js';

export interface RawArgs {
  cmd: string;
  executable?: string;
}

export default defineModule<RawArgs>({
  name: 'raw',
  freeForm: 'cmd',
  doc: {
    short: 'Run a command line through the host\'s shell as it is (no module, always changed)',
    description:
      'Runs the text with /bin/sh (the channel\'s shell) or with `EXECUTABLE -c TEXT`. Registers rc, stdout, stderr, stdout_lines and ' +
      'stderr_lines, the output as it came (not stripped); changed is always true, a non-zero rc fails the task ("non-zero return code"). ' +
      'Skipped in check mode, as Ansible (it cannot tell what the text does). Meant for what Ansible uses it for: hosts without Python; ' +
      'command and shell are better everywhere else.',
    check: 'none',
    diff: false,
    examples: ['- raw: test -e /usr/bin/python3 || (apt-get -y update && apt-get install -y python3-minimal)', '- raw: cat < /tmp/*txt\n  args: { executable: /bin/bash }'].join('\n'),
  },
  args: {
    cmd: { type: 'str', required: true, description: 'The command line (free form), run as it is.' },
    executable: { type: 'path', description: 'Shell to run it with (`EXECUTABLE -c TEXT`), e.g. /bin/bash.' },
  },
  // nothing to read first: the text is run as it is, by apply
  async plan(_ctx, args) {
    return { changed: true, unpredictable: true, msg: `would run: ${args.cmd}` };
  },
  async apply(ctx, args) {
    const r = await ctx.conn.exec(shellScript(args.cmd, args.executable), { label: 'raw' });
    const result = lowLevelResult(r);
    if (r.exitCode !== 0) return { changed: true, failed: true, msg: 'non-zero return code', result };
    return { changed: true, result };
  },
});
