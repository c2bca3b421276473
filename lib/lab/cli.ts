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
  type LabFamily,
  type LabInit,
  type LabState,
} from './lab.js';
import { defaultRepoDir, ensureRepo, repoPackages } from './repo.js';

export const LAB_USAGE = `usage: bosun lab up N [--name LAB] [--domain D] [--subnet S] [--init sshd|systemd] [--family debian|redhat] [--packages P,Q]
       bosun lab down [--name LAB]
       bosun lab status [--name LAB]
       bosun lab inventory [--name LAB] [--group G]
       bosun lab ssh [--name LAB] nodeI [--name LAB] [CMD...]
       bosun lab packages [add NAME...]

up options:
  --name LAB        lab name (default bosun); upper case and _ are accepted and become lower case and -
  --domain D        DNS domain of the hosts (default lab.local)
  --subnet S        a /24 inside 10.66.0.0/16 (default 10.66.0.0/24, or the first free one when taken)
  --init sshd       PID 1 of each host is sshd: fast, services run by their SysV scripts (default)
  --init systemd    PID 1 is systemd (own cgroup namespace), booted to multi-user with only journald,
                    dbus, logind and sshd running; systemctl works as on a real host
  --family redhat   hosts present Rocky Linux 9 os-release facts (ansible_os_family RedHat); a simulation:
                    binaries and packages stay Debian's (default debian)
  --packages P,Q    the lab's apt repository must carry these (downloaded once on the control node)

Every host owns its whole filesystem (an overlay over the control node's root) and installs packages
from the lab's local apt repository (bosun lab packages). A test bench, not a security boundary.`;

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
  // `bosun lab up --help` and the like; after `ssh HOST` the words belong to the remote command.
  const own = sub === 'ssh' ? args.slice(0, Math.max(0, args.findIndex((x) => !x.startsWith('-')))) : args;
  if (own.includes('--help') || own.includes('-h')) {
    out.write(LAB_USAGE + '\n');
    return 0;
  }
  switch (sub) {
    case 'up': {
      const p = parse(sub, args, ['domain', 'subnet', 'name', 'init', 'family', 'packages']);
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
        init: p.options.get('init') as LabInit | undefined, // checked by planLab
        family: p.options.get('family') as LabFamily | undefined,
        packages: p.options.get('packages')?.split(',').map((x) => x.trim()).filter(Boolean),
      });
      out.write(
        `lab ${state.name} is up: ${state.hosts.length} hosts in ${state.subnet} (domain ${state.domain}, init ${state.init ?? 'sshd'}` +
          `${state.family === 'redhat' ? ', family redhat (simulated)' : ''})\n`,
      );
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
      out.write(
        `lab ${name}: ${up}/${st.hosts.length} hosts up, init ${st.state.init ?? 'sshd'}, family ${st.state.family ?? 'debian'}, ` +
          `${st.state.subnet}, dir ${st.state.stateDir}${st.state.repoDir ? `, packages from ${st.state.repoDir}` : ''}\n`,
      );
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
      // `bosun lab ssh node1 --name X cmd` as well: lab options right after the host, before the command.
      if (p.rest[0] === '--name' || p.rest[0]?.startsWith('--name=')) {
        const after = parse(sub, p.rest, ['name'], true);
        if (p.options.has('name')) throw new OptionsError('bosun lab ssh: --name given twice');
        p.options.set('name', after.options.get('name')!);
        p.rest = [...after.positional, ...after.rest];
      }
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
    case 'packages': {
      const [action, ...names] = args;
      if (action !== undefined && action !== 'add') {
        throw new OptionsError(`bosun lab packages: unknown action '${action}' (expected: bosun lab packages [add NAME...])`);
      }
      if (action === 'add' && names.length === 0) throw new OptionsError('bosun lab packages add: expected package names, e.g. chrony');
      const dir = action === 'add' ? await ensureRepo(names) : defaultRepoDir();
      out.write(`lab package repository ${dir}: ${repoPackages(dir).join(' ') || '(empty)'}\n`);
      return 0;
    }
    case 'help':
    case '--help':
    case '-h':
      out.write(LAB_USAGE + '\n');
      return 0;
    case undefined:
      throw new OptionsError('bosun lab: expected a subcommand: up, down, status, inventory, ssh or packages');
    default:
      throw new OptionsError(`bosun lab: unknown subcommand '${sub}' (expected up, down, status, inventory, ssh or packages)`);
  }
}
