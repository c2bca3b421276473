// pause: wait a number of seconds or minutes, or for the operator to press Enter. As Ansible 2.14:
// a prompt waits only when stdin is a terminal (otherwise a warning and no wait), a timed pause waits
// whatever stdin is, and the task runs once (BYPASS_HOST_LOOP), on the first host of the batch.

import { createInterface } from 'node:readline';
import { ArgumentError } from '../errors.js';
import { defineModule, type ModuleContext, type Outcome } from './types.js';

export interface PauseArgs {
  seconds?: number;
  minutes?: number;
  prompt?: string;
  echo: boolean;
}

function sleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolveP) => {
    const t = setTimeout(done, ms);
    function done(): void {
      clearTimeout(t);
      signal.removeEventListener('abort', done);
      resolveP();
    }
    signal.addEventListener('abort', done, { once: true });
  });
}

/** One line from the terminal (echoed unless echo: false is asked, which a plain readline cannot hide: then it is not shown back). */
function readLine(question: string, signal: AbortSignal): Promise<string> {
  return new Promise((resolveP) => {
    const rl = createInterface({ input: process.stdin, output: process.stderr, terminal: true });
    const stop = (): void => {
      rl.close();
      resolveP('');
    };
    signal.addEventListener('abort', stop, { once: true });
    rl.question(question, (answer) => {
      signal.removeEventListener('abort', stop);
      rl.close();
      resolveP(answer);
    });
  });
}

const fmt = (d: Date) => d.toISOString().replace('T', ' ').replace('Z', '');

async function run(ctx: ModuleContext, args: PauseArgs): Promise<Outcome> {
  const seconds = args.minutes !== undefined ? args.minutes * 60 : args.seconds;
  const start = new Date();
  let input = '';
  if (seconds !== undefined) {
    ctx.log(0, `Pausing for ${seconds} seconds`);
    if (args.prompt) ctx.log(0, `[pause]\n${args.prompt}:`);
    await sleep(seconds * 1000, ctx.signal);
  } else {
    const prompt = `[pause]\n${args.prompt ?? 'Press enter to continue, Ctrl+C to interrupt'}:`;
    if (process.stdin.isTTY) input = await readLine(`${prompt}\n`, ctx.signal);
    else {
      ctx.log(0, prompt);
      ctx.log(0, '[WARNING]: Not waiting for response to prompt as stdin is not interactive');
    }
  }
  const stop = new Date();
  const delta = Math.round((stop.getTime() - start.getTime()) / 1000);
  const stdout = args.minutes !== undefined ? `Paused for ${Math.round((delta / 60) * 100) / 100} minutes` : `Paused for ${delta} seconds`;
  return { changed: false, result: { delta, echo: args.echo, rc: 0, start: fmt(start), stop: fmt(stop), stderr: '', stdout, user_input: input } };
}

export default defineModule<PauseArgs>({
  name: 'pause',
  runsOn: 'control',
  bypassHostLoop: true,
  doc: {
    short: 'Pause for a time, or until the operator presses Enter',
    description:
      'seconds or minutes: wait that long (in check mode too). prompt alone: wait for Enter when stdin is a terminal; ' +
      'without a terminal (CI), print the prompt and a warning and go on at once, as Ansible does. Runs once, on the ' +
      'first host of the batch; user_input is registered.',
    check: 'full',
    diff: false,
    examples: '- pause: { seconds: 30 }\n- pause: { prompt: "Check the dashboard, then press Enter" }',
  },
  args: {
    seconds: { type: 'int', description: 'Seconds to wait.' },
    minutes: { type: 'int', description: 'Minutes to wait.' },
    prompt: { type: 'str', description: 'Text shown; without seconds/minutes, waits for Enter on a terminal.' },
    echo: { type: 'bool', default: true, description: 'Show the keys typed (recorded as echo in the result).' },
  },
  validate(args) {
    if (args.seconds !== undefined && args.minutes !== undefined) throw new ArgumentError('pause takes seconds or minutes, not both');
    for (const k of ['seconds', 'minutes'] as const) if ((args[k] ?? 0) < 0) throw new ArgumentError(`pause: ${k} must not be negative`);
  },
  // Waiting is all pause does (nothing on a host changes), so it happens in plan: check mode waits too,
  // as Ansible's pause runs in check mode, and apply is never needed (changed is always false).
  async plan(ctx, args) {
    const o = await run(ctx, args);
    return { changed: false, result: o.result };
  },
  async apply(ctx, args) {
    return run(ctx, args);
  },
});
