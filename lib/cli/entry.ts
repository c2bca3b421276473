// The whole `bosun` command as one function: signals, the CLI, and the mapping of error classes to
// ansible-playbook's exit codes. bin/bosun.ts (tsc build) and the bundle's launcher (bin/launch.ts)
// both call it, so what ships is what the tests run.
import { main } from './main.js';
import { BosunError } from '../errors.js';

export async function start(argv: string[]): Promise<void> {
  const controller = new AbortController();
  let interrupted = false;
  async function onSignal(sig: NodeJS.Signals): Promise<void> {
    if (interrupted) process.exit(99);
    interrupted = true;
    process.stderr.write(`\n[bosun] ${sig}: stopping, closing connections\n`);
    controller.abort();
  try {
      const { closeAll } = await import('../executor/live.js');
      await closeAll();
    } finally {
      process.exit(99);
    }
  }
  process.on('SIGINT', (s) => void onSignal(s));
  process.on('SIGTERM', (s) => void onSignal(s));

  try {
    const code = await main(argv, {
      out: (s) => process.stdout.write(s),
      err: (s) => process.stderr.write(s),
      isTTY: Boolean(process.stdout.isTTY),
      signal: controller.signal,
    });
    process.exitCode = code;
  } catch (e) {
    if (e instanceof BosunError) {
      // errors can quote values: mask vault values and key material like every other output
      const { Masker } = await import('../output/mask.js');
      process.stderr.write(`ERROR! ${new Masker().text(e.oneLine())}\n`);
      process.exitCode = e.exitCode;
    } else {
      process.stderr.write(`ERROR! unexpected: ${e instanceof Error ? (e.stack ?? e.message) : String(e)}\n`);
      process.exitCode = 250;
    }
  }
}
