// plan() from recorded host state, without a host (pyinfra-style fixtures beside the live tests):
// each case gives a module's arguments and the file states its probes return; the module must
// decide from those alone — its connection refuses every request, so a plan that reads anything
// else fails the case.
import t from 'tap';
import { createHash } from 'node:crypto';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { getModule } from '../../lib/modules/index.js';
import { validateArgs } from '../../lib/modules/args.js';
import type { Connection } from '../../lib/executor/types.js';
import type { FileProbe } from '../../lib/modules/util/remote-file.js';
import { fakeContext } from '../helpers/fake-ctx.js';
import { repoRoot } from '../helpers/run.js';

interface Case {
  name: string;
  module: string;
  args: Record<string, unknown>;
  state: Record<string, Omit<FileProbe, 'path' | 'content'> & { content?: string }>;
  expect: { changed?: boolean; fails?: string; diffAttrs?: Record<string, unknown>; msg?: string; after?: string };
}

const dir = join(repoRoot, 'test/fixtures/plans');
const cases = readdirSync(dir)
  .filter((f) => f.endsWith('.json'))
  .flatMap((f) => (JSON.parse(readFileSync(join(dir, f), 'utf8')) as { cases: Case[] }).cases);

const noHost: Connection = {
  host: 'recorded',
  kind: 'recorded',
  stats: { requests: 0, processes: 0 },
  open: async () => {},
  close: async () => {},
  exec: async (_s, o) => {
    throw new Error(`plan sent a request ('${o?.label ?? 'exec'}') beyond the recorded state`);
  },
};

for (const c of cases) {
  t.test(c.name, async (t) => {
    const mod = await getModule(c.module);
    const args = validateArgs(mod, c.args);
    const asked: string[] = [];
    const ctx = {
      ...fakeContext({ check: true }),
      conn: noHost,
      control: noHost,
      probe: async (path: string): Promise<FileProbe> => {
        asked.push(path);
        const s = c.state[path];
        if (!s) throw new Error(`no recorded state for ${path}`);
        const content = s.content === undefined ? undefined : Buffer.from(s.content);
        const sha256 = content ? createHash('sha256').update(content).digest('hex') : s.sha256;
        return { ...s, path, content, sha256, size: s.size ?? content?.length };
      },
    };
    const r = await mod.plan(ctx, args).catch((e: unknown) => e);
    t.ok(asked.length > 0, 'the plan read the recorded state');
    if (c.expect.fails !== undefined) {
      t.type(r, Error);
      t.match((r as Error).message, c.expect.fails);
      return;
    }
    if (r instanceof Error) throw r;
    t.equal(r.changed, c.expect.changed, r.msg);
    if (c.expect.diffAttrs) t.match(r.diff?.[0]?.attrs, c.expect.diffAttrs);
    if (c.expect.msg !== undefined) t.equal(r.msg, c.expect.msg);
    if (c.expect.after !== undefined) t.equal(r.diff?.[0]?.after, c.expect.after, 'the planned content');
  });
}
