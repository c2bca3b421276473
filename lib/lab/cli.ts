// `bosun lab …`: thin option parsing over lib/lab/lab.ts. The main CLI dispatches here.
import { spawn } from 'node:child_process';
import * as os from 'node:os';
import { LabError, OptionsError } from '../errors.js';
import {
  DEFAULT_LAB_NAME,
  labDown,
  labInventory,
  labStatus,
  labUp,
  loadLabState,
  sshArgs,
  validateLabName,
  type LabState,
} from './lab.js';

export const LAB_USAGE = `usage: bosun lab up N [--domain D] [--subnet S] [--name LAB]
       bosun lab down [--name LAB]
       bosun lab status [--name LAB]
       bosun lab inventory [--name LAB] [--group G]
       bosun lab ssh [--name LAB] nodeI [CMD...]`;

interface Parsed {
  positional: string[];
  options: Map<string, string>;
  /** For `ssh`: everything after the host name, untouched. */
  rest: string[];
}

/**
 * Parses `--opt value` / `--opt=value` from the allowed set. With `stopAfterPositional`, the
 * first positional argument ends option parsing (the rest is a remote command).
 */
function parse(sub: string, argv: string[], allowed: string[], stopAfterPositional = false): Parsed {
  const positional: string[] = [];
  const options = new Map<string, string>();
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    if (a === '--') {
      positional.push(...argv.slice(i + 1, stopAfterPositional ? i + 2 : undefined));
      return { positional, options, rest: stopAfterPositional ? argv.slice(i + 2) : [] };
    }
    if (a.startsWith('--')) {
      const eq = a.indexOf('=');
      const key = eq >= 0 ? a.slice(2, eq) : a.slice(2);
      if (!allowed.includes(key)) {
        const known = allowed.length ? allowed.map((o) => `--${o}`).join(', ') : 'none';
        throw new OptionsError(`bosun lab ${sub}: unknown option '--${key}' (supported: ${known})`);
      }
      let value: string | undefined;
      if (eq >= 0) value = a.slice(eq + 1);
      else {
        value = argv[i + 1];
        i++;
      }
      if (value === undefined || value === '') throw new OptionsError(`bosun lab ${sub}: option --${key} needs a value`);
      options.set(key, value);
      continue;
    }
    if (a.startsWith('-') && a !== '-') throw new OptionsError(`bosun lab ${sub}: unknown option '${a}'`);
    positional.push(a);
    if (stopAfterPositional) return { positional, options, rest: argv.slice(i + 1) };
  }
  return { positional, options, rest: [] };
}

function noExtra(sub: string, p: Parsed, max: number): void {
  if (p.positional.length > max) {
    throw new OptionsError(`bosun lab ${sub}: unexpected argument '${p.positional[max]}'`);
  }
}

function labName(p: Parsed): string {
  return validateLabName(p.options.get('name') ?? DEFAULT_LAB_NAME);
}

function requireState(name: string): LabState {
  const state = loadLabState(name);
  if (!state) throw new LabError(`no lab named '${name}' is up`, { hint: `bosun lab up N --name ${name}` });
  return state;
}

export async function labCommand(argv: string[], out: { write(text: string): unknown }): Promise<number> {
  const [sub, ...args] = argv;
  switch (sub) {
    case 'up': {
      const p = parse(sub, args, ['domain', 'subnet', 'name']);
      noExtra(sub, p, 1);
      const n = p.positional[0];
      if (n === undefined || !/^\d+$/.test(n)) {
        throw new OptionsError(`bosun lab up: expected the number of hosts, e.g. 'bosun lab up 3'${n ? `, got '${n}'` : ''}`);
      }
      const state = await labUp({
        hosts: Number(n),
        name: labName(p),
        domain: p.options.get('domain'),
        subnet: p.options.get('subnet'),
      });
      out.write(`lab ${state.name} is up: ${state.hosts.length} hosts in ${state.subnet} (domain ${state.domain})\n`);
      for (const h of state.hosts) out.write(`  ${h.name}\t${h.ip}\t${h.fqdn}\n`);
      out.write(`inventory: bosun lab inventory --name ${state.name} > lab.yml\n`);
      return 0;
    }
    case 'down': {
      const p = parse(sub, args, ['name']);
      noExtra(sub, p, 0);
      const name = labName(p);
      await labDown(name);
      out.write(`lab ${name} is down\n`);
      return 0;
    }
    case 'status': {
      const p = parse(sub, args, ['name']);
      noExtra(sub, p, 0);
      const name = labName(p);
      const st = await labStatus(name);
      if (!st) {
        out.write(`lab ${name}: not up\n`);
        return 1;
      }
      const up = st.hosts.filter((h) => h.up).length;
      out.write(`lab ${name}: ${up}/${st.hosts.length} hosts up, ${st.state.subnet}, dir ${st.state.stateDir}\n`);
      for (const h of st.hosts) out.write(`  ${h.name}\t${h.ip}\t${h.up ? `up (pid ${h.pid})` : 'down'}\n`);
      return up === st.hosts.length ? 0 : 1;
    }
    case 'inventory': {
      const p = parse(sub, args, ['name', 'group']);
      noExtra(sub, p, 0);
      out.write(labInventory(requireState(labName(p)), p.options.get('group') ?? 'etcd'));
      return 0;
    }
    case 'ssh': {
      const p = parse(sub, args, ['name'], true);
      const host = p.positional[0];
      if (!host) throw new OptionsError('bosun lab ssh: expected a host name, e.g. bosun lab ssh node1 hostname');
      const state = requireState(labName(p));
      const sshArgv = [...sshArgs(state, host), ...p.rest];
      // An interactive login wants a terminal; a command does not.
      if (p.rest.length === 0 && process.stdin.isTTY) sshArgv.unshift('-t');
      return await new Promise<number>((resolve, reject) => {
        const child = spawn('ssh', sshArgv, { stdio: 'inherit' });
        child.once('error', (e) => reject(new LabError(`cannot run ssh: ${e.message}`, { cause: e })));
        child.once('close', (code, signal) => resolve(code ?? 128 + (signal ? (os.constants.signals[signal] ?? 1) : 127)));
      });
    }
    case 'help':
    case '--help':
    case '-h':
      out.write(LAB_USAGE + '\n');
      return 0;
    case undefined:
      throw new OptionsError('bosun lab: expected a subcommand: up, down, status, inventory or ssh');
    default:
      throw new OptionsError(`bosun lab: unknown subcommand '${sub}' (expected up, down, status, inventory or ssh)`);
  }
}
