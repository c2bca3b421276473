// Command dispatch through the command table (commands.ts). Heavy modules are imported lazily so
// `bosun --version` starts like node itself.
import { readFileSync } from 'node:fs';
import { OptionsError, closest } from '../errors.js';
import { commandNames, findCommand, helpText } from './commands.js';
import type { IO } from './io.js';

export const HELP = helpText();

export function version(): string {
  // dist/lib/cli/main.js when built, lib/cli/main.ts when run from source (tests)
  const url = new URL(import.meta.url.endsWith('.ts') ? '../../package.json' : '../../../package.json', import.meta.url);
  const pkg = JSON.parse(readFileSync(url, 'utf8')) as { version: string };
  return pkg.version;
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
