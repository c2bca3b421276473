// Command dispatch through the command table (commands.ts). Heavy modules are imported lazily so
// `bosun --version` starts like node itself.
import { OptionsError, closest } from '../errors.js';
import { commandNames, findCommand, helpText } from './commands.js';
import type { IO } from './io.js';
import { packageVersion } from './package-root.js';

export const HELP = helpText();

export function version(): string {
  return packageVersion();
}

export async function main(argv: string[], io: IO): Promise<number> {
  const [cmd, ...rest] = argv;
  if (cmd === undefined) {
    io.out(helpText());
    return 0;
  }
  const command = findCommand(cmd);
  if (command) return (await command.load())(rest, io);
  // `bosun site.yml …` is `bosun run site.yml …`, as `ansible-playbook site.yml`
  if (cmd.endsWith('.yml') || cmd.endsWith('.yaml')) return (await findCommand('run')!.load())(argv, io);
  const names = commandNames();
  throw new OptionsError(`unknown command '${cmd}' (expected ${names.join(', ')}; see bosun --help)`, {
    hint: ((near) => (near ? `did you mean '${near}'?` : undefined))(closest(cmd, names)),
  });
}
