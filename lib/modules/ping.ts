// ping: proves the host answers on its channel (ansible's ping: a round trip, not ICMP).

import { defineModule, ModuleFailure, type ModuleContext, type Plan } from './types.js';

export interface PingArgs {
  data: string;
}

async function ping(ctx: ModuleContext, args: PingArgs): Promise<Plan> {
  // `data=crash` fails on purpose, as ansible's ping does (tests failure handling)
  if (args.data === 'crash') throw new ModuleFailure('boom', { msg: 'boom' });
  // the value travels on stdin and back: a real round trip on the host's channel
  const r = await ctx.conn.exec('cat', { stdin: args.data, readOnly: true, label: 'ping' });
  if (r.exitCode !== 0) throw new ModuleFailure(`ping: the host answered exit ${r.exitCode}: ${r.stderr.trim()}`);
  return { changed: false, result: { ping: r.stdout } };
}

export default defineModule<PingArgs>({
  name: 'ping',
  doc: {
    short: 'Check that a host answers (a round trip on its channel)',
    description: 'Returns ping: pong (or data). Not ICMP: it proves the host is reachable and can run commands, as ansible\'s ping.',
    check: 'full',
    diff: false,
    examples: '- ping:\n# ad hoc: bosun adhoc all -i inventory.yml -m ping',
  },
  args: {
    data: { type: 'str', default: 'pong', description: 'Value to return; `crash` makes the module fail.' },
  },
  plan: (ctx, args) => ping(ctx, args),
  async apply(_ctx, _args, plan) {
    return { changed: false, result: plan.result };
  },
});
