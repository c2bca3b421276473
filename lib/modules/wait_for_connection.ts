// wait_for_connection: wait until the host answers on its channel (after a reboot, while it boots),
// as Ansible's action: a round trip like ping's every `sleep` seconds until `timeout`, then fail with
// "timed out waiting for ping module test: <last error>". The engine hands the channel over unopened
// (opensChannel), so an unreachable host is this module's to wait for, not a task failure before it.

import { ArgumentError, InterruptedError } from '../errors.js';
import { defineModule, ModuleFailure, type ModuleContext, type Outcome } from './types.js';
import { pause } from './wait_for.js';

export interface WaitForConnectionArgs {
  connect_timeout: number;
  delay: number;
  sleep: number;
  timeout: number;
}

const NO_ANSWER = Symbol('no answer');

/** One round trip (the value goes over stdin and back, as ping's), bounded by `ms` whatever the transport does. */
async function roundTrip(ctx: ModuleContext, a: WaitForConnectionArgs, ms: number): Promise<string | typeof NO_ANSWER> {
  let timer: NodeJS.Timeout | undefined;
  const attempt = ctx.conn.exec('cat', { stdin: 'pong', readOnly: true, label: 'wait_for_connection', timeoutMs: a.connect_timeout * 1000 });
  // an attempt still opening when the time is up is left to end on its own (its failure is not news)
  attempt.catch(() => {});
  try {
    const r = await Promise.race([attempt, new Promise<typeof NO_ANSWER>((resolve) => (timer = setTimeout(() => resolve(NO_ANSWER), ms)))]);
    return r === NO_ANSWER ? r : r.exitCode === 0 ? r.stdout : `exit ${r.exitCode}`;
  } finally {
    clearTimeout(timer);
  }
}

async function waitForConnection(ctx: ModuleContext, a: WaitForConnectionArgs): Promise<Outcome> {
  const start = Date.now();
  const elapsed = (): number => Math.floor((Date.now() - start) / 1000);
  if (a.delay > 0) await pause(a.delay * 1000, ctx.signal);
  const deadline = Date.now() + a.timeout * 1000;
  let error = `${ctx.host} did not answer`;
  while (Date.now() < deadline) {
    try {
      const got = await roundTrip(ctx, a, deadline - Date.now());
      if (got === 'pong') return { changed: false, result: { elapsed: elapsed() } };
      if (got !== NO_ANSWER) error = 'ping test failed';
    } catch (e) {
      if (e instanceof InterruptedError) throw e;
      error = e instanceof Error ? e.message : String(e);
    }
    if (Date.now() >= deadline) break;
    ctx.progress(`waiting for ${ctx.host} to answer (${elapsed()}s of ${a.timeout}s): ${error}`);
    await pause(a.sleep * 1000, ctx.signal);
  }
  const msg = `timed out waiting for ping module test: ${error}`;
  throw new ModuleFailure(msg, { elapsed: elapsed(), msg });
}

export default defineModule<WaitForConnectionArgs, { done: Outcome }>({
  name: 'wait_for_connection',
  waits: true,
  opensChannel: true,
  doc: {
    short: 'Wait until the host answers on its channel (after a reboot, while it boots)',
    description:
      'Tries a round trip on the host\'s channel (as ping: bosun needs no Python there) every `sleep` seconds, reopening the channel as needed, ' +
      'until it answers or `timeout` seconds pass; then fails with "timed out waiting for ping module test: LAST ERROR", as Ansible. ' +
      'An unreachable host is waited for, not reported unreachable. Registers elapsed; never changed. Skipped in check mode, as Ansible.',
    check: 'none',
    diff: false,
    examples: ['- wait_for_connection: { delay: 5, timeout: 300 }', '- setup:'].join('\n'),
  },
  args: {
    connect_timeout: { type: 'int', default: 5, description: 'Seconds one attempt may take once the channel is open before it is dropped and tried again.' },
    delay: { type: 'int', default: 0, description: 'Seconds to wait before the first attempt.' },
    sleep: { type: 'int', default: 1, description: 'Seconds between attempts.' },
    timeout: { type: 'int', default: 600, description: 'Seconds to wait in all before failing.' },
  },
  validate(a) {
    if (a.timeout < 0 || a.delay < 0 || a.sleep < 0 || a.connect_timeout < 1) throw new ArgumentError('wait_for_connection: timeout, delay and sleep must be >= 0, connect_timeout >= 1');
  },
  async plan(ctx, a) {
    // never a change, so the engine does not call apply: the wait happens here (never in check mode: check 'none')
    const done = await waitForConnection(ctx, a);
    return { changed: false, result: done.result, state: { done } };
  },
  async apply(ctx, a, plan) {
    return plan.state?.done ?? waitForConnection(ctx, a);
  },
});
