// `bosun run PLAYBOOK -i INVENTORY [...]` — ansible-playbook's flags and exit codes.
import { parseArgs } from 'node:util';
import { existsSync, readFileSync } from 'node:fs';
import { resolve, dirname } from 'node:path';
import { EnvironmentError, NoHostsError, OptionsError, ParseError, closest } from '../errors.js';
import { loadAnsibleSettings, type AnsibleSettings } from '../loaders/ansible-cfg.js';
import { flagsOf, parseArgsError } from './hints.js';
import type { IO } from './io.js';
import { parseYaml } from '../loaders/yaml.js';
import { isPlainObject } from '../value-kind.js';
import { parseKeyValues, type Vars } from '../engine/vars.js';
import { configureVaultFlags, configureVaultPrompts, vaultNeedsPrompt, type VaultFlags } from '../vault/vault.js';
import { checkControlDir, configureControl, parsePersist } from '../executor/control-master.js';
import type { BlockTask, Play } from '../ast.js';
import type { Inventory } from '../loaders/inventory.js';
import type { Prestart } from '../engine/prestart.js';

export const RUN_HELP = `usage: bosun run PLAYBOOK [-i INVENTORY] [options]

  -i, --inventory SOURCE    inventory file (YAML/INI), directory, executable script or host list 'h1,h2,';
                            repeatable; default: ansible.cfg's inventory, else implicit localhost only
  -C, --check               plan only: report what would change, change nothing
  -D, --diff                show the changes files would get (secrets never shown)
  -e, --extra-vars VARS     k=v pairs, @file.yml, or inline JSON/YAML; repeatable; highest precedence
  -l, --limit PATTERN       further limit hosts (names, groups, a:b, a:&b, a:!b, group[0], node*)
  -t, --tags TAGS           only run tasks with these tags (comma separated)
      --skip-tags TAGS      skip tasks with these tags
  -f, --forks N             hosts in parallel (default 50, or ansible.cfg's forks)
  -u, --user USER           connect as USER (inventory ansible_user wins, as in Ansible)
      --private-key FILE    ssh key (inventory ansible_ssh_private_key_file wins)
  -c, --connection C        ssh or local
  -T, --timeout SEC         ssh connect timeout (default 10)
      --ssh-common-args A   extra ssh arguments (inventory ansible_ssh_common_args wins)
      --ssh-extra-args A    more ssh arguments, after those
  -b, --become              run as root through sudo (plays and tasks may say become: false)
      --become-user USER    become this user (default root)
      --become-method M     sudo (the only method bosun has)
      --force-handlers      run notified handlers even on hosts that failed
      --list-hosts          list the hosts each play would run on, then exit
      --list-tasks          list the tasks each play would run (with tags), then exit
      --list-tags           list the tags of each play's tasks, then exit
      --step                confirm each task before it runs: (N)o/(y)es/(c)ontinue, read from stdin
      --syntax-check        load and validate everything, touch no host, then exit
      --start-at-task NAME  start at the task with this name
      --output FORMAT       text (default) or json (one event per line)
      --profile             per-task/per-host timing summary at the end
      --roles-path DIR      extra role directory (also BOSUN_ROLES_PATH)
      --vault-password-file F  decrypts vault files and !vault values (also BOSUN_VAULT_PASSWORD_FILE)
      --vault-id [ID@]F     a vault password file (or 'prompt'); repeatable, ids as ansible-vault 1.2
  -J, --ask-vault-pass      ask for the vault password (terminal)
  -M, --module-path DIR     accepted and unused: bosun's modules are built in (bosun doc)
      --ssh-control-persist T  keep each host's ssh connection open T after the run (seconds, 10m, yes)
                            for the next run to reuse; 0 or no: none (default 60, as Ansible;
                            also BOSUN_SSH_CONTROL_PERSIST, inventory var bosun_ssh_control_persist)
      --ssh-control-path-dir D  private directory of those connections' sockets (default ~/.bosun/cp;
                            also BOSUN_SSH_CONTROL_PATH_DIR, ansible.cfg control_path_dir,
                            inventory var ansible_control_path_dir)
  -v, -vv, -vvv             more output: results and durations; task paths; every remote request (secrets masked)

ansible.cfg (ANSIBLE_CONFIG, ./ansible.cfg, ~/.ansible.cfg, /etc/ansible/ansible.cfg) and ANSIBLE_* variables
are read with Ansible's precedence (flag > variable > file); -v names the file used.

exit codes (as ansible-playbook 2.14): 0 ok, 1 error, 2 a host failed, 4 a host unreachable or a parse error, 5 bad options, 99 interrupted, 250 unexpected`;

/** Connection and become settings from flags and ansible.cfg: defaults below every inventory variable. */
export interface ConnectionDefaults {
  user?: string;
  privateKey?: string;
  connection?: 'ssh' | 'local';
  timeout?: number;
  sshCommonArgs?: string;
  sshExtraArgs?: string;
  become?: boolean;
  becomeUser?: string;
  hostKeyChecking?: boolean;
}

/** Connection and become flags shared by `run` and `adhoc` (parseArgs option table, as ansible's). */
export const CONNECTION_FLAGS = {
  user: { type: 'string', short: 'u' },
  'private-key': { type: 'string' },
  connection: { type: 'string', short: 'c' },
  timeout: { type: 'string', short: 'T' },
  'ssh-common-args': { type: 'string' },
  'ssh-extra-args': { type: 'string' },
  become: { type: 'boolean', short: 'b' },
  'become-user': { type: 'string' },
  'become-method': { type: 'string' },
  'ask-become-pass': { type: 'boolean', short: 'K' },
} as const;

export interface RunCliOptions {
  playbook: string;
  /** The first inventory source (inventory_file); all of them are in `inventories`. */
  inventory?: string;
  inventories: string[];
  conn: ConnectionDefaults;
  vault: VaultFlags;
  extraVarsRaw: string[];
  forceHandlers: boolean;
  /** ansible.cfg [defaults] ansible_managed (the template module's ansible_managed variable). */
  ansibleManaged?: string;
  gatherFactsDefault: boolean;
  /** ansible.cfg's gather_subset: the subset of a play that names none. */
  gatherSubsetDefault?: string[];
  /** The ansible.cfg used and the settings not needed, said at -v. */
  configNotes: string[];
  check: boolean;
  diff: boolean;
  extraVars: Vars;
  limit?: string;
  tags: string[];
  skipTags: string[];
  forks: number;
  listHosts: boolean;
  listTasks: boolean;
  listTags: boolean;
  step: boolean;
  syntaxCheck: boolean;
  startAtTask?: string;
  output: 'text' | 'json';
  profile: boolean;
  rolesPath: string[];
  /** --ssh-control-persist in seconds (0 = off); undefined: environment or default. */
  controlPersistSec?: number;
  controlPathDir?: string;
  verbosity: number;
  help: boolean;
}

function csv(list: string[] | undefined): string[] {
  return (list ?? []).flatMap((s) => s.split(',')).map((s) => s.trim()).filter(Boolean);
}

/** Parses one `-e` value. */
export function parseExtraVars(s: string): Vars {
  if (s.startsWith('@')) {
    const file = s.slice(1);
    if (!existsSync(file)) throw new OptionsError(`-e ${s}: file not found: ${file}`);
    const y = parseYaml(readFileSync(file, 'utf8'), resolve(file));
    if (!isPlainObject(y.value)) {
      throw new ParseError(`extra vars file must contain a mapping`, { loc: { file: resolve(file), line: 1, col: 1 } });
    }
    return y.value as Vars;
  }
  const t = s.trim();
  if (t.startsWith('{')) {
    let v: unknown;
    try {
      v = parseYaml(t, '-e').value;
    } catch (e) {
      throw new OptionsError(`-e ${JSON.stringify(s)} does not parse: ${(e as Error).message} (expected k=v pairs, @file.yml, or a JSON/YAML mapping)`);
    }
    if (!isPlainObject(v)) throw new OptionsError(`-e ${JSON.stringify(s)}: expected a mapping`);
    return v as Vars;
  }
  const kv = parseKeyValues(t);
  if (!kv || Object.keys(kv).length === 0) {
    throw new OptionsError(`-e ${JSON.stringify(s)} does not parse (expected k=v pairs, @file.yml, or a JSON/YAML mapping)`);
  }
  return kv;
}

const nonEmpty = (s: string | undefined): string | undefined => (s ? resolve(s) : undefined);

function controlPersist(s: string | undefined, what: string): number | undefined {
  return s === undefined || s === '' ? undefined : parsePersist(s, what);
}

export function parseRunArgs(argv: string[]): RunCliOptions {
  let parsed;
  try {
    parsed = parseArgs({
      args: argv,
      allowPositionals: true,
      strict: true,
      options: {
        inventory: { type: 'string', short: 'i', multiple: true },
        check: { type: 'boolean', short: 'C' },
        diff: { type: 'boolean', short: 'D' },
        'extra-vars': { type: 'string', short: 'e', multiple: true },
        limit: { type: 'string', short: 'l' },
        tags: { type: 'string', short: 't', multiple: true },
        'skip-tags': { type: 'string', multiple: true },
        forks: { type: 'string', short: 'f' },
        'list-hosts': { type: 'boolean' },
        'list-tasks': { type: 'boolean' },
        'list-tags': { type: 'boolean' },
        step: { type: 'boolean' },
        'syntax-check': { type: 'boolean' },
        'start-at-task': { type: 'string' },
        output: { type: 'string' },
        profile: { type: 'boolean' },
        'roles-path': { type: 'string', multiple: true },
        'vault-password-file': { type: 'string' },
        'vault-id': { type: 'string', multiple: true },
        'ask-vault-pass': { type: 'boolean', short: 'J' },
        ...CONNECTION_FLAGS,
        'ask-pass': { type: 'boolean', short: 'k' },
        'force-handlers': { type: 'boolean' },
        'module-path': { type: 'string', short: 'M', multiple: true },
        'ssh-control-persist': { type: 'string' },
        'ssh-control-path-dir': { type: 'string' },
        verbose: { type: 'boolean', short: 'v', multiple: true },
        help: { type: 'boolean', short: 'h' },
      },
    });
  } catch (e) {
    throw parseArgsError(e, flagsOf(RUN_HELP), 'bosun run --help');
  }
  const v = parsed.values;
  if (v.help) return { help: true } as RunCliOptions;
  if (parsed.positionals.length !== 1) {
    throw new OptionsError(
      parsed.positionals.length === 0 ? 'bosun run needs a playbook (usage: bosun run PLAYBOOK -i INVENTORY)' : `bosun run takes one playbook; got ${parsed.positionals.join(' ')}`,
    );
  }
  const cfg = loadAnsibleSettings();
  const st = cfg.settings;
  const forks = v.forks === undefined ? (st.forks ?? 50) : Number(v.forks);
  if (!Number.isInteger(forks) || forks < 1) throw new OptionsError(`--forks must be a positive integer; got ${v.forks}`);
  const output = v.output ?? 'text';
  if (output !== 'text' && output !== 'json') throw new OptionsError(`--output must be text or json; got ${output}`);
  const conn = connectionDefaults(v, st);
  // Before -e @file: that file, like any YAML loaded later, may be a vault.
  const vault: VaultFlags = { passwordFile: v['vault-password-file'], vaultIds: v['vault-id'] ?? [], ask: v['ask-vault-pass'] ?? false };
  configureVaultFlags(vault, st.vaultPasswordFile);
  const extraVarsRaw = v['extra-vars'] ?? [];
  const extraVars: Vars = {};
  // with a password still to be asked for, -e @file (maybe a vault) is read after the prompt
  if (!vaultNeedsPrompt(vault)) for (const e of extraVarsRaw) Object.assign(extraVars, parseExtraVars(e));
  const inv = v.inventory ?? st.inventory ?? [];
  const configNotes = [cfg.file ? `Using ${cfg.file} as config file` : 'No config file found; using defaults'];
  for (const [k, where] of Object.entries(cfg.origin)) configNotes.push(`  ${k} from ${where}`);
  for (const n of cfg.ignored) configNotes.push(`  not needed: ${n}`);
  if (v['module-path']) configNotes.push('  -M/--module-path: not needed, bosun\'s modules are built in (bosun doc)');
  return {
    playbook: parsed.positionals[0]!,
    inventory: inv[0],
    inventories: inv,
    conn,
    vault,
    extraVarsRaw,
    forceHandlers: v['force-handlers'] ?? st.forceHandlers ?? false,
    ansibleManaged: st.ansibleManaged,
    gatherFactsDefault: st.gathering !== 'explicit',
    gatherSubsetDefault: st.gatherSubset,
    configNotes,
    check: v.check ?? false,
    diff: v.diff ?? false,
    extraVars,
    limit: v.limit,
    tags: csv(v.tags),
    skipTags: csv(v['skip-tags']),
    forks,
    listHosts: v['list-hosts'] ?? false,
    listTasks: v['list-tasks'] ?? false,
    listTags: v['list-tags'] ?? false,
    step: v.step ?? false,
    syntaxCheck: v['syntax-check'] ?? false,
    startAtTask: v['start-at-task'],
    output,
    profile: v.profile ?? false,
    rolesPath: [...(v['roles-path'] ?? []), ...(st.rolesPath ?? [])],
    controlPersistSec: controlPersist(v['ssh-control-persist'], '--ssh-control-persist') ?? controlPersist(process.env.BOSUN_SSH_CONTROL_PERSIST, 'BOSUN_SSH_CONTROL_PERSIST'),
    controlPathDir: nonEmpty(v['ssh-control-path-dir']) ?? nonEmpty(process.env.BOSUN_SSH_CONTROL_PATH_DIR) ?? st.controlPathDir,
    verbosity: (v.verbose ?? []).length,
    help: false,
  };
}

type FlagValues = Record<string, string | boolean | Array<string | boolean> | undefined>;

/** -u, --private-key, -c, -T, --ssh-*-args, -b, --become-*: flag, else ansible.cfg / ANSIBLE_*. */
export function connectionDefaults(v: FlagValues, st: AnsibleSettings): ConnectionDefaults {
  const str = (k: string) => (typeof v[k] === 'string' ? (v[k] as string) : undefined);
  if (v['ask-become-pass']) {
    throw new OptionsError('-K/--ask-become-pass: bosun never sends a sudo password to a host', { hint: 'configure NOPASSWD sudo for the login user, or connect as the target user' });
  }
  if (v['ask-pass']) throw new OptionsError('-k/--ask-pass: bosun connects with ssh keys only (ssh-agent or --private-key)');
  const method = str('become-method') ?? st.becomeMethod;
  if (method !== undefined && method !== 'sudo') throw new OptionsError(`--become-method ${method}: bosun becomes other users with sudo only`);
  const connection = str('connection');
  if (connection !== undefined && connection !== 'ssh' && connection !== 'local') {
    throw new OptionsError(`-c/--connection must be ssh or local; got ${connection}`);
  }
  const timeoutS = str('timeout');
  const timeout = timeoutS === undefined ? st.timeout : Number(timeoutS);
  if (timeout !== undefined && (!Number.isInteger(timeout) || timeout < 1)) throw new OptionsError(`-T/--timeout must be a positive integer; got ${timeoutS}`);
  const out: ConnectionDefaults = {
    user: str('user') ?? st.remoteUser,
    privateKey: str('private-key') ?? st.privateKeyFile,
    connection: connection as ConnectionDefaults['connection'],
    timeout,
    // ansible's ssh_args are its own defaults (ControlMaster/ControlPersist); bosun keeps one channel, so
    // only the options that are not about connection sharing are kept
    sshCommonArgs: [stripControl(st.sshArgs), str('ssh-common-args') ?? st.sshCommonArgs].filter(Boolean).join(' ') || undefined,
    sshExtraArgs: str('ssh-extra-args') ?? st.sshExtraArgs,
    become: v.become === true ? true : st.become,
    becomeUser: str('become-user') ?? st.becomeUser,
    hostKeyChecking: st.hostKeyChecking,
  };
  for (const k of Object.keys(out) as Array<keyof ConnectionDefaults>) if (out[k] === undefined) delete out[k];
  return out;
}

function stripControl(args: string | undefined): string | undefined {
  if (!args) return undefined;
  return args.replace(/-o\s*Control(?:Master|Persist|Path)=\S+/gi, '').replace(/\s+/g, ' ').trim() || undefined;
}

/** The inventory variables the connection defaults stand for (lowest precedence: below `all`'s vars). */
export function connectionVars(c: ConnectionDefaults): Vars {
  const out: Vars = {};
  if (c.user !== undefined) out.ansible_user = c.user;
  if (c.privateKey !== undefined) out.ansible_ssh_private_key_file = c.privateKey;
  if (c.connection !== undefined) out.ansible_connection = c.connection;
  if (c.timeout !== undefined) out.ansible_timeout = c.timeout;
  const ssh = [c.sshCommonArgs, c.sshExtraArgs].filter(Boolean).join(' ');
  if (ssh) out.ansible_ssh_common_args = ssh;
  if (c.become !== undefined) out.ansible_become = c.become;
  if (c.becomeUser !== undefined) out.ansible_become_user = c.becomeUser;
  if (c.hostKeyChecking !== undefined) out.ansible_host_key_checking = c.hostKeyChecking;
  return out;
}

export type { IO } from './io.js';

/** Runs a playbook; returns the exit code. Throws BosunError for parse/option errors (bin maps them). */
export async function runCommand(argv: string[], io: IO): Promise<number> {
  const o = parseRunArgs(argv);
  // before anything can be printed: a password given with -e is masked from the first line on
  const { registerSecretVars } = await import('../engine/secret-vars.js');
  registerSecretVars(o.extraVars);
  if (o.help) {
    io.out(RUN_HELP + '\n');
    return 0;
  }
  if (vaultNeedsPrompt(o.vault)) {
    const { promptHidden } = await import('./vault.js');
    await configureVaultPrompts(o.vault, promptHidden);
    for (const e of o.extraVarsRaw) Object.assign(o.extraVars, parseExtraVars(e));
  }
  try {
    return await runParsed(o, io);
  } catch (e) {
    // The ERROR! line on stderr stays as it is (tests and operators grep it); the stable code goes to
    // JSON consumers as an `error` event and, at -v, to a line of its own.
    const { BosunError } = await import('../errors.js');
    if (e instanceof BosunError) {
      if (o.output === 'json') {
        const { JsonReporter } = await import('../output/json.js');
        const { Masker } = await import('../output/mask.js');
        new JsonReporter(io.out, new Masker()).error(e);
      } else if (o.verbosity >= 1) io.err(`error code: ${e.code} (exit ${e.exitCode})\n`);
    }
    throw e;
  }
}

async function runParsed(o: RunCliOptions, io: IO): Promise<number> {
  const { Inventory } = await import('../loaders/inventory.js');
  const { Prestart } = await import('../engine/prestart.js');

  const playbookFile = resolve(o.playbook);
  if (o.verbosity >= 1 && o.output === 'text') for (const n of o.configNotes) io.out(n + '\n');
  if (!existsSync(playbookFile)) throw new EnvironmentError(`the playbook: ${o.playbook} could not be found`);
  for (const i of o.inventories) if (!i.includes(',') && !existsSync(i)) throw new OptionsError(`inventory not found: ${i}`);
  const inventory = o.inventories.length
    ? Inventory.loadSources(o.inventories, { playbookDir: dirname(playbookFile) })
    : Inventory.empty({ playbookDir: dirname(playbookFile) });
  inventory.connectionDefaults = connectionVars(o.conn);
  // run-wide ssh connection reuse; inventory variables still decide per host
  if (o.controlPathDir) checkControlDir(o.controlPathDir, '--ssh-control-path-dir');
  configureControl({ persistSec: o.controlPersistSec, dir: o.controlPathDir });
  const { registerSecretVars } = await import('../engine/secret-vars.js');
  for (const h of inventory.hosts()) registerSecretVars(inventory.hostVars(h));
  // The ssh handshakes (the run's largest fixed cost) start as soon as the first remote play's header
  // is read, and overlap loading and checking the rest; bad input found meanwhile closes those
  // channels before any request but the read-only fact probe was sent (lib/engine/prestart.ts).
  const listing = o.syntaxCheck || o.listHosts || o.listTasks || o.listTags;
  let prestart: Prestart | undefined;
  if (!listing && o.inventories.length) {
    // Handlebars is loaded only for a templated `hosts:`; ssh is imported now, not when the play
    // header is read: the loader, mostly synchronous, would keep that import waiting
    const templates = () => import('../engine/template.js').then(({ TemplateEngine }) => new TemplateEngine());
    const { createConnection } = await import('../executor/registry.js');
    await import('../executor/ssh.js');
    prestart = new Prestart(inventory, { templates, extraVars: o.extraVars, limit: o.limit, forks: o.forks, verbosity: o.verbosity, connect: createConnection });
  }
  try {
    return await prepareAndRun(o, io, playbookFile, inventory, prestart);
  } catch (e) {
    await prestart?.close();
    throw e;
  }
}

async function prepareAndRun(o: RunCliOptions, io: IO, playbookFile: string, inventory: Inventory, prestart: Prestart | undefined): Promise<number> {
  const { loadPlaybook } = await import('../loaders/playbook.js');
  const { playbook, definedNames } = await loadPlaybook(playbookFile, {
    rolesPath: o.rolesPath,
    gatherFactsDefault: o.gatherFactsDefault,
    gatherSubsetDefault: o.gatherSubsetDefault,
    onPlayHeader: prestart && ((p) => prestart.offer(p)),
  });
  // imported after the load started the channels: nothing before that needs them
  const { Runner } = await import('../engine/runner.js');
  const { Masker } = await import('../output/mask.js');
  const { checkUndefinedVariables } = await import('../engine/static-check.js');
  const { registerPlaybookSecrets, registerSecretVars } = await import('../engine/secret-vars.js');
  registerPlaybookSecrets(playbook);
  // the process-wide set: secret arguments found while running are masked by bin/'s ERROR! line too
  const { processSecrets } = await import('../output/mask.js');
  const secrets = processSecrets;
  const masker = new Masker(secrets);
  const stepper = o.step ? (await import('./step.js')).createStepper(io.stdin ?? process.stdin, o.output === 'json' ? io.err : io.out) : undefined;
  const runnerOpts = {
    check: o.check,
    diff: o.diff,
    extraVars: o.extraVars,
    limit: o.limit,
    tags: o.tags,
    skipTags: o.skipTags,
    forks: o.forks,
    startAtTask: o.startAtTask,
    forceHandlers: o.forceHandlers,
    ansibleManaged: o.ansibleManaged,
    verbosity: o.verbosity,
    inventoryFile: o.inventory,
    signal: io.signal,
    secrets,
    step: stepper?.ask,
    // a templated include's tasks, loaded when it runs, get what the others got before the run: their
    // secret-looking variables masked, the undefined-variable check
    checkLoaded: (play: Play, node: BlockTask) => {
      const loaded = { ...playbook, plays: [{ ...play, sections: [{ name: 'tasks' as const, tasks: [node] }], handlers: [] }] };
      registerPlaybookSecrets(loaded);
      for (const r of node.include?.role?.visible ?? []) for (const v of [r.defaults, r.vars]) registerSecretVars(v);
      checkUndefinedVariables(loaded, inventory, definedNames, o.extraVars, undefined);
    },
  };
  let reporter;
  if (o.output === 'json') {
    const { JsonReporter } = await import('../output/json.js');
    reporter = new JsonReporter(io.out, masker);
  } else {
    const { ConsoleReporter } = await import('../output/console.js');
    reporter = new ConsoleReporter(io.out, masker, { verbosity: o.verbosity, color: io.isTTY && !process.env.NO_COLOR, tty: io.isTTY, diff: o.diff, profile: o.profile });
  }
  const runner = new Runner(playbook, inventory, runnerOpts, reporter);
  runner.adopt(prestart);
  // Validate everything that can be validated before any host is touched.
  for (const play of playbook.plays) runner.playHosts(play);
  if (o.limit) checkLimit(inventory, o.limit, io);
  checkUndefinedVariables(playbook, inventory, definedNames, o.extraVars, runner.templates);
  if (o.startAtTask !== undefined) {
    const { hasStartTask } = await import('../engine/static-check.js');
    // ansible-playbook prints this as [ERROR] after running nothing, and exits 0; bosun stops before
    // any host is contacted and exits 1 (docs/ansible-differences.md)
    if (!hasStartTask(playbook.plays, o.startAtTask)) throw new NoHostsError(`No matching task "${o.startAtTask}" found. Note: --start-at-task can only follow static includes.`);
  }

  if (o.syntaxCheck) {
    io.out(`playbook: ${o.playbook}\n`);
    return 0;
  }
  if (o.listHosts || o.listTasks || o.listTags) {
    io.out(`\nplaybook: ${o.playbook}\n`);
    for (const [i, play] of playbook.plays.entries()) {
      const hosts = runner.playHosts(play);
      // byte-for-byte ansible-playbook's listing: play tags joined by ',' , task tags sorted and joined by ', '
      io.out(`\n  play #${i + 1} (${play.hosts}): ${play.name}\tTAGS: [${play.tags.join(',')}]\n`);
      if (o.listHosts) {
        io.out(`    pattern: ['${play.hosts}']\n    hosts (${hosts.length}):\n`);
        for (const h of hosts) io.out(`      ${h}\n`);
      }
      if (o.listTasks) {
        io.out('    tasks:\n');
        const { listTasks } = await import('../engine/static-check.js');
        for (const t of listTasks(play, o.tags, o.skipTags)) io.out(`      ${t.title}\tTAGS: [${[...t.tags].sort().join(', ')}]\n`);
      }
      if (o.listTags) {
        const { listTasks } = await import('../engine/static-check.js');
        const all = new Set(listTasks(play, o.tags, o.skipTags).flatMap((t) => t.tags));
        io.out(`      TASK TAGS: [${[...all].sort().join(', ')}]\n`);
      }
    }
    return 0;
  }
  try {
    const summary = await runner.run();
    return summary.exitCode;
  } finally {
    stepper?.close();
  }
}

/**
 * --limit as ansible-playbook takes it: a term matching nothing is a warning; a limit that leaves no
 * host at all is an error (exit 1), with a "did you mean" for the terms that matched nothing.
 */
export function checkLimit(inventory: Inventory, limit: string, io: Pick<IO, 'err'>): void {
  const warnings: string[] = [];
  const hosts = inventory.select(limit, undefined, { warnings });
  for (const w of warnings) io.err(`[WARNING]: ${w}\n`);
  if (hosts.length) return;
  const { unmatched } = inventory.match(limit);
  const near = unmatched.map((u) => [u, closest(u, [...inventory.groupNames(), ...inventory.hosts()])] as const).find(([, n]) => n);
  throw new NoHostsError(`--limit ${limit}: no hosts to target (no host or group matches ${unmatched.map((u) => `'${u}'`).join(', ') || 'them'})`, {
    hint: near ? `did you mean '${near[1]}' for '${near[0]}'?` : undefined,
  });
}
