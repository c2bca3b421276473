// setup: gathers facts in a task (Ansible's setup module), e.g. again after a change, or a subset
// when the play does not gather. The engine merges a result's `ansible_facts` into the host's facts
// (task.ts), as Ansible does for any module that returns them.
import { gatherFacts, prefixedFacts } from './util/facts/gather.js';
import { globToRegExp } from '../loaders/patterns.js';
import { defineModule, type ModuleContext, type Plan } from './types.js';

export interface SetupArgs {
  gather_subset?: string[];
  filter?: string[];
  gather_timeout?: number;
  fact_path?: string;
}

async function setup(ctx: ModuleContext, args: SetupArgs): Promise<Plan> {
  const facts = prefixedFacts(await gatherFacts(ctx.conn, args.gather_subset));
  const filters = (args.filter ?? []).filter(Boolean).map(globToRegExp);
  const shown = filters.length ? Object.fromEntries(Object.entries(facts).filter(([k]) => filters.some((r) => r.test(k)))) : facts;
  return { changed: false, result: { ansible_facts: shown } };
}

export default defineModule<SetupArgs>({
  name: 'setup',
  doc: {
    short: 'Gather facts about a host (Ansible names and values)',
    description:
      'What a play\'s fact gathering does, as a task: the facts land in ansible_facts and ansible_* for the rest of the run. ' +
      'One request per host. gather_subset takes Ansible\'s names (all, min, hardware, network, !x, and the minimal collectors ' +
      'distribution, platform, pkg_mgr, service_mgr, user, python, date_time, env, dns, lsb); filter keeps only the facts ' +
      'whose ansible_ name matches one of the shell patterns.',
    check: 'full',
    diff: false,
    examples: '- setup:\n    gather_subset: ["!all", "network"]\n- setup: { filter: ["ansible_eth*", "ansible_default_ipv4"] }\n# ad hoc: bosun adhoc all -i inventory.yml -m setup',
  },
  args: {
    gather_subset: { type: 'list', elements: 'str', description: 'Groups of facts to gather (Ansible\'s names; `!x` excludes x). Default: all.' },
    filter: { type: 'list', elements: 'str', description: 'Shell patterns of fact names (`ansible_eth*`): only matching facts are returned.' },
    gather_timeout: { type: 'int', default: 10, description: 'Accepted for compatibility: the probe is one request with its own 60 s limit.' },
    fact_path: { type: 'path', description: 'Accepted for compatibility: local facts (facts.d) are not gathered.' },
  },
  plan: (ctx, args) => setup(ctx, args),
  async apply(_ctx, _args, plan) {
    return { changed: false, result: plan.result };
  },
});
