// The CLI's command table: one entry per command drives `bosun --help`, "did you mean" and
// dispatch (main.ts). Each command's code is imported only when it runs, so `bosun --version`
// starts like node itself. A new command is one entry here.
import type { IO } from './io.js';

export type CommandFn = (argv: string[], io: IO) => Promise<number>;

export interface Command {
  readonly name: string;
  /** Other spellings that dispatch to it (not suggested). */
  readonly aliases?: readonly string[];
  /** Help lines, each `bosun <usage>   summary`. */
  readonly help: readonly string[];
  load(): Promise<CommandFn>;
}

export const COMMANDS: readonly Command[] = [
  {
    name: 'run',
    help: ['run PLAYBOOK -i INVENTORY [--check] [--diff] [-e k=v] [--limit P] [--tags T] ...   (bosun run --help)'],
    load: async () => (await import('./run.js')).runCommand,
  },
  {
    name: 'adhoc',
    help: ["adhoc PATTERN -i INVENTORY [-m MODULE] [-a ARGS] [-b] ...   one task, as ansible's ad-hoc command"],
    load: async () => (await import('./adhoc.js')).adhocCommand,
  },
  {
    name: 'lab',
    help: [
      'lab up N [--domain D] [--subnet 10.66.0.0/24] [--name LAB]   real test hosts in network namespaces',
      'lab down|status|inventory|ssh nodeI [CMD]',
    ],
    load: async () => {
      const { labCommand } = await import('../lab/cli.js');
      return (argv, io) => labCommand(argv, { write: (s: string) => io.out(s) });
    },
  },
  {
    name: 'demo',
    help: ['demo [--hosts N]      lab up + deploy the secure etcd cluster (playbooks/site.yml) + verify it'],
    load: async () => (await import('./demo.js')).demoCommand,
  },
  {
    name: 'doc',
    help: ["doc [MODULE]          list modules, or one module's arguments and examples (--markdown DIR)"],
    load: async () => (await import('./doc.js')).docCommand,
  },
  {
    name: 'role',
    help: ['role init NAME        scaffold a role (tasks, handlers, defaults, templates, meta, README, lab test)'],
    load: async () => (await import('./role-init.js')).roleCommand,
  },
  {
    name: 'inventory',
    help: ['inventory -i INV --graph | --host NAME | --list   show an inventory (secrets masked)'],
    load: async () => (await import('./inventory.js')).inventoryCommand,
  },
  {
    name: 'vault',
    help: ['vault encrypt|decrypt|view|edit|rekey FILE | encrypt_string VALUE   (bosun vault --help)'],
    load: async () => (await import('./vault.js')).vaultCommand,
  },
  {
    name: 'version',
    aliases: ['--version', '-V'],
    help: [],
    load: async () => {
      const { version } = await import('./main.js');
      return async (_argv, io) => {
        io.out(`bosun ${version()}\n`);
        return 0;
      };
    },
  },
  {
    name: 'help',
    aliases: ['--help', '-h'],
    help: ['--version | --help'],
    load: async () => async (_argv, io) => {
      io.out(helpText());
      return 0;
    },
  },
];

/** The command a word names (name or alias). */
export function findCommand(word: string): Command | undefined {
  return COMMANDS.find((c) => c.name === word || c.aliases?.includes(word));
}

/** Names a mistyped command is compared with for "did you mean". */
export function commandNames(): string[] {
  return COMMANDS.map((c) => c.name);
}

export function helpText(): string {
  const lines = COMMANDS.flatMap((c) => c.help.map((h) => `  bosun ${h}`));
  return `bosun — an Ansible-style playbook engine (inventories, flags, exit codes and recap as ansible-playbook)\n\nusage:\n${lines.join('\n')}\n`;
}
