// "did you mean" for command-line mistakes: node:util parseArgs says only "Unknown option '--chek'".
import { OptionsError, closest } from '../errors.js';

/** Long flags mentioned in a usage text (`--check`, `--list-tasks`, …): the help is the list of what exists. */
export function flagsOf(help: string): string[] {
  return [...new Set([...help.matchAll(/--([a-z][a-z0-9-]*)/g)].map((m) => m[1]!))];
}

/** The OptionsError for a parseArgs failure: its first line, a near flag if there is one, and where help is. */
export function parseArgsError(e: unknown, flags: string[], help: string): OptionsError {
  const first = (e instanceof Error ? e.message : String(e)).split('\n')[0]!.replace(/\. To specify a positional argument.*$/, '');
  const m = /Unknown option '--([^'=]+)/.exec(first);
  const near = m ? closest(m[1]!, flags) : undefined;
  return new OptionsError(`${first} (see ${help})`, { hint: near ? `did you mean '--${near}'?` : undefined });
}
