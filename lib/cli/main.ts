// Command dispatch. Heavy modules are imported lazily so `bosun --version` starts like node itself.
import { readFileSync } from 'node:fs';
import { OptionsError, closest } from '../errors.js';
import type { IO } from './run.js';

export const HELP = `bosun — an Ansible-style playbook engine (inventories, flags, exit codes and recap as ansible-playbook)

usage:
  bosun run PLAYBOOK -i INVENTORY [--check] [--diff] [-e k=v] [--limit P] [--tags T] ...   (bosun run --help)
  bosun adhoc PATTERN -i INVENTORY [-m MODULE] [-a ARGS] [-b] ...   one task, as ansible's ad-hoc command
  bosun lab up N [--domain D] [--subnet 10.66.0.0/24] [--name LAB]   real test hosts in network namespaces
  bosun lab down|status|inventory|ssh nodeI [CMD]
  bosun demo [--hosts N]      lab up + deploy the secure etcd cluster (playbooks/site.yml) + verify it
  bosun vault encrypt|decrypt|view|edit|rekey FILE | encrypt_string VALUE   (bosun vault --help)
  bosun doc [MODULE]          list modules, or one module's arguments and examples (--markdown DIR)
  bosun role init NAME        scaffold a role (tasks, handlers, defaults, templates, meta, README, lab test)
  bosun inventory -i INV --graph | --host NAME | --list   show an inventory (secrets masked)
  bosun --version | --help
`;

export function version(): string {
  const pkg = JSON.parse(readFileSync(new URL('../../../package.json', import.meta.url), 'utf8')) as { version: string };
  return pkg.version;
}

const COMMANDS = ['run', 'adhoc', 'lab', 'demo', 'doc', 'role', 'inventory', 'vault'];

export async function main(argv: string[], io: IO): Promise<number> {
  const [cmd, ...rest] = argv;
  switch (cmd) {
    case '--version':
    case '-V':
    case 'version':
      io.out(`bosun ${version()}\n`);
      return 0;
    case undefined:
    case '--help':
    case '-h':
    case 'help':
      io.out(HELP);
      return 0;
    case 'run': {
      const { runCommand } = await import('./run.js');
      return runCommand(rest, io);
    }
    case 'adhoc':
      return (await import('./adhoc.js')).adhocCommand(rest, io);
    case 'lab': {
      const { labCommand } = await import('../lab/cli.js');
      return labCommand(rest, process.stdout);
    }
    case 'vault':
      return (await import('./vault.js')).vaultCommand(rest, io);
    case 'demo': {
      const { demoCommand } = await import('./demo.js');
      return demoCommand(rest, io);
    }
    case 'doc': {
      const { docCommand } = await import('./doc.js');
      return docCommand(rest, io);
    }
    case 'role': {
      const { roleCommand } = await import('./role-init.js');
      return roleCommand(rest, io);
    }
    case 'inventory': {
      const { inventoryCommand } = await import('./inventory.js');
      return inventoryCommand(rest, io);
    }
    default:
      if (cmd.endsWith('.yml') || cmd.endsWith('.yaml')) {
        const { runCommand } = await import('./run.js');
        return runCommand(argv, io);
      }
      throw new OptionsError(`unknown command '${cmd}' (expected ${COMMANDS.join(', ')}; see bosun --help)`, {
        hint: ((near) => (near ? `did you mean '${near}'?` : undefined))(closest(cmd, COMMANDS)),
      });
  }
}
