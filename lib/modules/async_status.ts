// async_status: the state of a job an `async:` task started (lib/engine/async-jobs.ts), read from the
// run's job table on the control node (no request to the host); mode: cleanup forgets it.
import { cleanupResult, notFoundResult, statusResult } from './util/async-results.js';
import { defineModule, ModuleFailure, type ModuleContext, type Plan } from './types.js';

export interface AsyncStatusArgs {
  jid: string;
  mode: 'status' | 'cleanup';
}

interface State {
  changed: boolean;
  failed: boolean;
  msg?: string;
}

function table(ctx: ModuleContext) {
  if (!ctx.jobs) throw new ModuleFailure('async_status: this run has no job table (async jobs run only in a playbook run)');
  return ctx.jobs;
}

async function plan(ctx: ModuleContext, args: AsyncStatusArgs): Promise<Plan<State>> {
  const jobs = table(ctx);
  const state = jobs.state(ctx.host, args.jid);
  if (!state) throw new ModuleFailure('could not find job', notFoundResult(jobs, args.jid));
  if (args.mode === 'cleanup') {
    jobs.forget(ctx.host, args.jid);
    return { changed: false, result: cleanupResult(jobs, args.jid) };
  }
  const r = statusResult(jobs, args.jid, state);
  const { changed, failed, msg, ...result } = r;
  const st: State = { changed: changed === true, failed: failed === true, ...(msg !== undefined ? { msg: String(msg) } : {}) };
  // the gate calls apply only for a change: a finished job's changed and failed are the module's, given by apply
  return { changed: st.changed || st.failed, msg: st.msg, result, state: st };
}

export default defineModule<AsyncStatusArgs, State>({
  name: 'async_status',
  runsOn: 'control',
  doc: {
    short: 'Obtain the status of an async task (a job started with async:)',
    description:
      'Reads the job an `async:` task started (its registered `ansible_job_id`): `finished` 0 while it runs, 1 with the ' +
      "module's result once it ended (a failed job fails this task). mode: cleanup forgets the job. bosun keeps jobs in the " +
      'run (a job runs on its own connection to the host, see docs/ansible-differences.md "Async tasks"): no request is sent, ' +
      'and a job of another run cannot be read.',
    check: 'full',
    diff: false,
    examples:
      '- command: /usr/local/bin/long-job\n  async: 600\n  poll: 0\n  register: job\n' +
      '- async_status:\n    jid: "{{ job.ansible_job_id }}"\n  register: job_result\n  until: job_result.finished\n  retries: 60\n  delay: 10',
  },
  args: {
    jid: { type: 'str', required: true, description: 'Job id: the `ansible_job_id` an async task registered.' },
    mode: { type: 'str', default: 'status', choices: ['status', 'cleanup'], description: '`status`: the job\'s state; `cleanup`: forget the job (a running job still runs to its end or deadline).' },
  },
  plan,
  async apply(_ctx, _args, p) {
    const st = p.state!;
    return { changed: st.changed, failed: st.failed, msg: st.msg, result: p.result };
  },
});
