// --step: confirm each task before it runs, as ansible-playbook --step does:
// "Perform task: TASK: NAME (N)o/(y)es/(c)ontinue:". y runs it, c runs it and every later task without
// asking, anything else (Enter included) skips it. Answers are read line by line from stdin, so a
// script can drive it (`printf 'y\nn\nc\n' | bosun run … --step`); at end of input every task is skipped.
import { createInterface, type Interface } from 'node:readline';
import type { TaskInfo } from '../engine/report.js';

export interface Stepper {
  /** RunOptions.step */
  ask(task: TaskInfo): Promise<boolean>;
  /** Releases stdin (otherwise an open readline keeps the process alive). */
  close(): void;
}

export function createStepper(input: NodeJS.ReadableStream, write: (s: string) => void): Stepper {
  let rl: Interface | undefined;
  let lines: AsyncIterator<string> | undefined;
  let continueAll = false;
  let ended = false;
  return {
    async ask(task) {
      if (continueAll) return true;
      const kind = task.kind === 'handler' ? 'RUNNING HANDLER' : 'TASK';
      write(`Perform task: ${kind}: ${task.title} (N)o/(y)es/(c)ontinue: `);
      let answer = '';
      if (!ended) {
        // created on first use: a run without --step never touches stdin
        rl ??= createInterface({ input, terminal: false });
        lines ??= rl[Symbol.asyncIterator]();
        const next = await lines.next();
        if (next.done) ended = true;
        else answer = String(next.value).trim().toLowerCase();
      }
      // a terminal echoes what was typed (newline included); a pipe does not, so echo it for the log
      if (ended) write('(end of input: no)\n');
      else if (!(input as { isTTY?: boolean }).isTTY) write(`${answer}\n`);
      if (answer === 'c' || answer === 'continue') {
        continueAll = true;
        return true;
      }
      return answer === 'y' || answer === 'yes';
    },
    close() {
      rl?.close();
    },
  };
}
