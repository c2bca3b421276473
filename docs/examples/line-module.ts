// The worked example of docs/modules/authoring.md: a module from outside the tree that ensures a
// line is present in a file (a small `lineinfile`). test/docs/authoring.test.ts runs it.
import { FILE_ATTR_ARGS, ModuleFailure, defineModule, probeFile, registerModule, writeFile } from 'bosun';

interface LineArgs {
  path: string;
  line: string;
  mode?: string;
  owner?: string;
  group?: string;
}

export const line = defineModule<LineArgs, { data: Buffer }>({
  name: 'line',
  doc: {
    short: 'Ensure a line is present in a text file',
    check: 'full', // plan() predicts exactly: check mode is honest
    diff: true,
    examples: '- line: { path: /etc/environment, line: "ETCDCTL_API=3" }',
  },
  args: {
    path: { type: 'path', required: true, description: 'File on the host (created when missing).' },
    line: { type: 'str', required: true, description: 'The whole line, without newline.' },
    ...FILE_ATTR_ARGS,
  },
  // the engine fetches this ahead, in one request with the next tasks' probes
  probes: (a) => [{ path: a.path, opts: { wantContent: true } }],
  async plan(ctx, a) {
    // reads only: the probe is read-only, so it is allowed in check mode
    const p = await probeFile(ctx, a.path, { wantContent: true });
    if (p.exists && p.content === undefined) throw new ModuleFailure(`${a.path} is too large to edit`);
    const before = p.content?.toString('utf8') ?? '';
    if (before.split('\n').includes(a.line)) return { changed: false, msg: 'line present' };
    const after = before === '' || before.endsWith('\n') ? `${before}${a.line}\n` : `${before}\n${a.line}\n`;
    return { changed: true, msg: 'line added', diff: [{ path: a.path, before, after }], state: { data: Buffer.from(after) } };
  },
  async apply(ctx, a, plan) {
    // writes only here: the engine never calls apply() in check mode
    await writeFile(ctx, a.path, plan.state!.data, { mode: a.mode, owner: a.owner, group: a.group });
    return { changed: true, msg: plan.msg };
  },
});

registerModule(line);
