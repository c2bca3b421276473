// `bosun adhoc PATTERN -m MODULE -a ARGS` — the `ansible` command: one task on the hosts of a
// pattern, output in ansible's ad-hoc shape (`host | CHANGED | rc=0 >>` for commands, `host |
// SUCCESS => {json}` otherwise), exit codes as ansible (0, 2 a host failed, 4 unreachable).
import { parseArgs } from 'node:util';
import { join } from 'node:path';
import { OptionsError } from '../errors.js';
import { flagsOf, parseArgsError } from './hints.js';
import { CONNECTION_FLAGS, connectionDefaults, connectionVars, parseExtraVars, type IO } from './run.js';
import { loadAnsibleSettings } from '../loaders/ansible-cfg.js';
import { configureVaultFlags } from '../vault/vault.js';
import type { HostResult, HostStats, Reporter, RunSummary, TaskInfo } from '../engine/runner.js';
import type { Masker } from '../output/mask.js';
import type { Vars } from '../engine/vars.js';

export const ADHOC_HELP = `usage: bosun adhoc PATTERN [-i INVENTORY] [-m MODULE] [-a ARGS] [options]   (ansible's ad-hoc command)

  -i, --inventory SOURCE    inventory file, directory, script or 'h1,h2,'; repeatable (default: ansible.cfg's)
  -m, --module-name MODULE  module to run (default: command); -m setup shows the facts
  -a, --args ARGS           module arguments: k=v pairs, or the command for command/shell
  -l, --limit PATTERN       further limit the hosts
  -e, --extra-vars VARS     k=v, @file.yml or JSON/YAML; repeatable
  -f, --forks N             hosts in parallel (default 50)
  -o, --one-line            one line per host
  -C, --check               plan only
  -D, --diff                show file changes
  -u, --user USER           connect as USER
      --private-key FILE    ssh key
  -c, --connection C        ssh or local
  -T, --timeout SEC         ssh connect timeout
  -b, --become              sudo to root (or --become-user)
      --become-user USER
      --vault-password-file F
      --vault-id [ID@]F
  -v                        more output

exit codes (as ansible 2.14): 0 ok, 1 error, 2 a host failed, 4 a host unreachable or a parse error, 5 bad options`;

const COMMANDS = new Set(['command', 'shell', 'raw', 'ansible.builtin.command', 'ansible.builtin.shell']);

/** Ansible's ad-hoc (minimal callback) output for one host result. */
export function adhocLine(host: string, module: string, r: Pick<HostResult, 'status' | 'result' | 'msg'>, oneLine: boolean): string {
  const res = r.result;
  const json = (v: unknown) => JSON.stringify(sortKeys(v), null, oneLine ? undefined : 4);
  if (r.status === 'unreachable') {
    return `${host} | UNREACHABLE! => ${json({ changed: false, msg: r.msg ?? res.msg ?? '', unreachable: true })}\n`;
  }
  const failed = r.status === 'failed';
  const caption = failed ? 'FAILED' : r.status === 'changed' ? 'CHANGED' : r.status === 'skipped' ? 'SKIPPED' : 'SUCCESS';
  if (COMMANDS.has(module) && 'rc' in res) {
    const body = `${String(res.stdout ?? '')}${String(res.stderr ?? '')}${failed ? String(res.msg ?? r.msg ?? '') : ''}`;
    if (oneLine) return `${host} | ${caption} | rc=${String(res.rc)} | (stdout) ${String(res.stdout ?? '').replace(/\n/g, '\\n')}\n`;
    return `${host} | ${caption} | rc=${String(res.rc)} >>\n${body}\n`;
  }
  const shown: Record<string, unknown> = { ...res };
  if (module === 'debug' || module === 'ansible.builtin.debug') delete shown.changed;
  delete shown.failed;
  if (failed && shown.msg === undefined && r.msg) shown.msg = r.msg;
  return `${host} | ${failed ? 'FAILED!' : caption} => ${json(shown)}\n`;
}

function sortKeys(v: unknown): unknown {
  if (Array.isArray(v)) return v.map(sortKeys);
  if (v && typeof v === 'object') return Object.fromEntries(Object.entries(v).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)).map(([k, x]) => [k, sortKeys(x)]));
  return v;
}

class AdhocReporter implements Reporter {
  constructor(
    private readonly io: IO,
    private readonly masker: Masker,
    private readonly module: string,
    private readonly oneLine: boolean,
  ) {}
  playStart(): void {}
  taskStart(): void {}
  hostResult(task: TaskInfo, r: HostResult): void {
    // -m setup is the facts probe itself
    if (task.kind === 'facts' && this.module !== 'setup') {
      if (r.status === 'unreachable') this.io.out(adhocLine(r.host, this.module, r, this.oneLine));
      return;
    }
    const result = r.noLog ? { censored: 'the output has been hidden due to the fact that no_log: true was specified for this result' } : (this.masker.value(r.result) as Record<string, unknown>);
    this.io.out(adhocLine(r.host, this.module, { status: r.status, result, msg: r.msg === undefined ? undefined : this.masker.text(r.msg) }, this.oneLine));
  }
  warn(msg: string): void {
    this.io.err(`[WARNING]: ${this.masker.text(msg)}\n`);
  }
  noHosts(): void {
    this.io.err('[WARNING]: No hosts matched, nothing to do\n');
  }
  log(): void {}
  progress(): void {}
  recap(_stats: Map<string, HostStats>, _extra: RunSummary): void {}
}

export async function adhocCommand(argv: string[], io: IO): Promise<number> {
  let parsed;
  try {
    parsed = parseArgs({
      args: argv,
      allowPositionals: true,
      strict: true,
      options: {
        inventory: { type: 'string', short: 'i', multiple: true },
        'module-name': { type: 'string', short: 'm' },
        args: { type: 'string', short: 'a' },
        limit: { type: 'string', short: 'l' },
        'extra-vars': { type: 'string', short: 'e', multiple: true },
        forks: { type: 'string', short: 'f' },
        'one-line': { type: 'boolean', short: 'o' },
        check: { type: 'boolean', short: 'C' },
        diff: { type: 'boolean', short: 'D' },
        ...CONNECTION_FLAGS,
        'vault-password-file': { type: 'string' },
        'vault-id': { type: 'string', multiple: true },
        verbose: { type: 'boolean', short: 'v', multiple: true },
        help: { type: 'boolean', short: 'h' },
      },
    });
  } catch (e) {
    throw parseArgsError(e, flagsOf(ADHOC_HELP), 'bosun adhoc --help');
  }
  const v = parsed.values;
  if (v.help) {
    io.out(ADHOC_HELP + '\n');
    return 0;
  }
  if (parsed.positionals.length !== 1) throw new OptionsError('bosun adhoc needs one host pattern (usage: bosun adhoc PATTERN -m MODULE -a ARGS)');
  const pattern = parsed.positionals[0]!;
  const module = v['module-name'] ?? 'command';
  const cfg = loadAnsibleSettings().settings;
  const forks = v.forks === undefined ? (cfg.forks ?? 50) : Number(v.forks);
  if (!Number.isInteger(forks) || forks < 1) throw new OptionsError(`--forks must be a positive integer; got ${v.forks}`);
  const conn = connectionDefaults(v, cfg);
  configureVaultFlags({ passwordFile: v['vault-password-file'], vaultIds: v['vault-id'] ?? [], ask: false }, cfg.vaultPasswordFile);
  const extraVars: Vars = {};
  for (const e of v['extra-vars'] ?? []) Object.assign(extraVars, parseExtraVars(e));

  const { Inventory } = await import('../loaders/inventory.js');
  const sources = v.inventory ?? cfg.inventory ?? [];
  const inventory = sources.length ? Inventory.loadSources(sources, { playbookDir: process.cwd() }) : Inventory.empty({ playbookDir: process.cwd() });
  inventory.connectionDefaults = connectionVars(conn);
  if (COMMANDS.has(module) && !v.args) throw new OptionsError(`No argument passed to ${module} module`);
  const play: Record<string, unknown> = {
    name: `Ansible Ad-Hoc`,
    hosts: pattern,
    gather_facts: module === 'setup',
    tasks: module === 'setup' ? [] : [{ [module]: v.args ?? null }],
  };
  const { PlaybookLoader } = await import('../loaders/playbook.js');
  const playbook = await new PlaybookLoader(join(process.cwd(), 'adhoc')).loadInline([play], join(process.cwd(), '(ad hoc)'));
  const { Runner } = await import('../engine/runner.js');
  const { Masker } = await import('../output/mask.js');
  const secrets = new Set<string>();
  const masker = new Masker(secrets);
  const runner = new Runner(
    playbook,
    inventory,
    { check: v.check ?? false, diff: v.diff ?? false, extraVars, limit: v.limit, tags: [], skipTags: [], forks, verbosity: (v.verbose ?? []).length, signal: io.signal, secrets },
    new AdhocReporter(io, masker, module, v['one-line'] ?? false),
  );
  const hosts = runner.playHosts(playbook.plays[0]!);
  if (!hosts.length) {
    // ansible: a warning and exit 0 when the pattern matches nothing
    io.err('[WARNING]: No hosts matched, nothing to do\n');
    return 0;
  }
  const summary = await runner.run();
  return summary.exitCode;
}
