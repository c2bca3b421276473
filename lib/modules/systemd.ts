// systemd (also systemd_service, Ansible's name since 2.14): a unit's run state, boot state and
// mask, and the manager's daemon-reload/daemon-reexec. Planning is one read-only request (see
// util/systemctl.ts); apply runs only the systemctl commands that plan found necessary.

import { defineModule, ModuleFailure, type ModuleContext, type Outcome, type Plan, type ReadRequest } from './types.js';
import { ArgumentError } from '../errors.js';
import {
  decideUnit,
  parseUnitProbe,
  unitActionCommand,
  unitProbeScript,
  type UnitAction,
  type UnitArgs,
  type UnitProbe,
} from './util/systemctl.js';

export interface SystemdState {
  actions: UnitAction[];
}

/** The one read-only request planUnit makes (none when there is nothing to read). */
export function unitRead(args: UnitArgs, module: string): ReadRequest | undefined {
  if (args.name === undefined && args.daemon_reload !== true) return undefined;
  const wants = { enabled: args.enabled !== undefined || args.masked !== undefined, anyReload: args.name === undefined };
  return { script: unitProbeScript(args.name, args.scope, wants), opts: { label: `${module}:probe`, readOnly: true } };
}

/** Reads the unit (and, for a bare daemon_reload, the loaded units) and decides. */
export async function planUnit(ctx: ModuleContext, args: UnitArgs, module: string): Promise<Plan<SystemdState>> {
  const q = unitRead(args, module);
  if (q === undefined) return unitPlan(args, undefined);
  const r = await ctx.conn.exec(q.script, q.opts);
  return unitPlan(args, parseUnitProbe(r.stdout));
}

/** The plan for a probed unit (pure); `service` calls it with its own probe's output. */
export function unitPlan(args: UnitArgs, probe: UnitProbe | undefined): Plan<SystemdState> {
  const d = decideUnit(args, probe);
  if ('error' in d) throw new ModuleFailure(d.error, { name: args.name ?? null, status: probe?.status ?? {} });
  if (d.actions.length === 0) {
    const active = probe?.status.ActiveState;
    const boot = d.result.enabled === undefined ? '' : d.result.enabled ? ', enabled' : ', disabled';
    return {
      changed: false,
      msg: args.name === undefined ? 'no unit needs a daemon-reload' : `${args.name} is already as wanted${active ? ` (${active}${boot})` : ''}`,
      result: d.result,
      state: { actions: [] },
    };
  }
  return { changed: true, msg: `would ${d.reasons.join(', ')}${args.name === undefined ? '' : ` ${args.name}`}`, result: d.result, state: { actions: d.actions } };
}

/** Runs the planned systemctl commands in order; the first failure fails the task with systemctl's words. */
export async function applyUnit(ctx: ModuleContext, args: UnitArgs, plan: Plan<SystemdState>, module: string): Promise<Outcome> {
  const done: string[] = [];
  for (const action of plan.state?.actions ?? []) {
    const cmd = unitActionCommand(action, args);
    const r = await ctx.conn.exec(cmd, { label: `${module}:${action}` });
    if (r.exitCode !== 0) {
      const why = (r.stderr.trim() || r.stdout.trim() || `exit ${r.exitCode}`).slice(-2000);
      const hint = args.name !== undefined && /^(start|restart|reload)$/.test(action)
        ? `; see \`journalctl${args.scope === 'user' ? ' --user' : ''} -u ${args.name} -n 50\` and \`systemctl${args.scope === 'user' ? ' --user' : ''} status ${args.name}\``
        : '';
      const head = action.startsWith('daemon-') ? `failure ${r.exitCode} during ${action}` : `Unable to ${action} service ${args.name ?? ''}`;
      throw new ModuleFailure(`${head}: ${why}${hint}`, {
        ...plan.result,
        rc: r.exitCode,
        stdout: r.stdout,
        stderr: r.stderr,
      });
    }
    done.push(action);
  }
  return { changed: true, msg: `${done.join(', ')}${args.name === undefined ? '' : ` ${args.name}`}`, result: plan.result };
}

export default defineModule<UnitArgs, SystemdState>({
  name: 'systemd',
  doc: {
    short: 'Manage systemd units: run state, start at boot, mask, daemon-reload (also named systemd_service).',
    description:
      "Ansible's systemd_service. One read-only request decides everything: `systemctl show` for the unit's " +
      'properties (returned as `status`, a subset of Ansible\'s), and `systemctl is-enabled` when `enabled` or ' +
      '`masked` is asked. Then, in Ansible\'s order: daemon-reload, daemon-reexec, mask/unmask, enable/disable, ' +
      'start/stop/restart/reload. `restarted` and `daemon_reexec` always act. `daemon_reload` acts only when ' +
      'a unit changed on disk (systemd\'s `NeedDaemonReload`, or a drop-in file systemd has not loaded; for the named ' +
      'unit, or without a name any loaded unit that has drop-ins) and then reports a change — Ansible reloads every time and reports none (docs/ansible-differences.md).',
    check: 'full',
    diff: false,
    examples: [
      '- systemd: { name: etcd, state: started, enabled: true, no_block: true }',
      '- systemd: { name: etcd, daemon_reload: true, state: restarted }',
      '- ansible.builtin.systemd_service: { name: apt-daily.timer, masked: true }',
      '- systemd: { daemon_reload: true }',
    ].join('\n'),
  },
  args: {
    name: { type: 'str', aliases: ['service', 'unit'], description: 'Unit name (`.service` is implied when no suffix is given).' },
    state: {
      type: 'str',
      choices: ['started', 'stopped', 'restarted', 'reloaded'],
      description: '`started`/`stopped` act only when needed; `restarted` always restarts (starts a stopped unit); `reloaded` reloads a running unit and starts a stopped one.',
    },
    enabled: { type: 'bool', description: 'Whether the unit starts at boot (`systemctl enable`/`disable`). Omit to leave as is.' },
    masked: { type: 'bool', description: 'Whether the unit is masked (cannot be started). Omit to leave as is.' },
    daemon_reload: {
      type: 'bool',
      default: false,
      aliases: ['daemon-reload'],
      description: 'Run `systemctl daemon-reload` first, when systemd reports a changed unit file or drop-in (NeedDaemonReload).',
    },
    daemon_reexec: { type: 'bool', default: false, aliases: ['daemon-reexec'], description: 'Run `systemctl daemon-reexec` first (always acts).' },
    scope: { type: 'str', default: 'system', choices: ['system', 'user'], description: "The system manager, or the connecting user's (`systemctl --user`)." },
    no_block: { type: 'bool', default: false, description: 'Queue the job and return (`--no-block`): needed for Type=notify units that become ready only with their peers (etcd).' },
    force: { type: 'bool', description: 'Override existing symlinks when enabling or masking (`--force`).' },
  },
  validate(args) {
    if (args.state === undefined && args.enabled === undefined && args.masked === undefined && !args.daemon_reload && !args.daemon_reexec) {
      throw new ArgumentError('systemd: one of the following is required: state, enabled, masked, daemon_reload, daemon_reexec');
    }
    for (const k of ['state', 'enabled', 'masked'] as const) {
      if (args[k] !== undefined && args.name === undefined) throw new ArgumentError(`systemd: missing parameter(s) required by '${k}': name`);
    }
    if (args.name !== undefined) {
      if (/[*?[]/.test(args.name)) {
        throw new ArgumentError(`systemd: This module does not currently support using glob patterns, found a glob character in service name: ${args.name}`);
      }
      if (args.name === '' || /^-|[/\s]|[\x00-\x1f]/.test(args.name)) {
        throw new ArgumentError(`systemd: name ${JSON.stringify(args.name)} is not a unit name (no leading '-', no '/', no spaces or control characters)`);
      }
    }
  },
  reads(args) {
    const q = unitRead(args, 'systemd');
    return q ? [q] : [];
  },
  plan: (ctx, args) => planUnit(ctx, args, 'systemd'),
  apply: (ctx, args, plan) => applyUnit(ctx, args, plan, 'systemd'),
});
