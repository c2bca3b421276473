// fail: fail the host with a message (control side; also fails in check mode).

import { defineModule, ModuleFailure } from './types.js';

export interface FailArgs {
  msg: string;
}

export default defineModule<FailArgs>({
  name: 'fail',
  runsOn: 'control',
  freeForm: 'msg',
  doc: {
    short: 'Fail with a custom message',
    description: 'Always fails (in check mode too); combine with when: to stop a host on a condition.',
    check: 'full',
    diff: false,
    examples: '- fail: { msg: "etcd_cluster_token must be set" }\n  when: etcd_cluster_token is not defined',
  },
  args: {
    msg: { type: 'str', default: 'Failed as requested from task', description: 'The failure message.' },
  },
  async plan(_ctx, args) {
    // Fails at plan time so that check mode (which never calls apply) fails too.
    throw new ModuleFailure(args.msg, { msg: args.msg });
  },
  async apply(_ctx, args) {
    return { changed: false, failed: true, msg: args.msg, result: { msg: args.msg } };
  },
});
