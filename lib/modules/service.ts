// service: start/stop/restart/reload a daemon and set whether it starts at boot, on systemd or
// SysV init (Debian's init-d-script, RedHat's chkconfig). Planning is one read-only probe; the
// change is decided from it, so `started` on a running daemon is a no-op. On a systemd host it is
// the systemd module (as Ansible's service action picks systemd there): same probe, same result.

import { defineModule, ModuleFailure, type Facts, type Plan, type ReadRequest } from './types.js';
import { shq } from '../executor/types.js';
import { ArgumentError } from '../errors.js';
import { applyUnit, unitPlan, type SystemdState } from './systemd.js';
import { parseUnitProbe, unitProbeScript } from './util/systemctl.js';

type WantedState = 'started' | 'stopped' | 'restarted' | 'reloaded';
type Init = 'systemd' | 'sysv';

export interface ServiceArgs {
  name: string;
  state?: WantedState;
  enabled?: boolean;
  no_block?: boolean;
}

export interface ServiceState {
  init: Init;
  /** systemd hosts: the systemd module's plan. */
  unit?: SystemdState;
  active: boolean;
  enabled: boolean;
  /** Exit code of the status probe (`service NAME status` or `systemctl is-active`). */
  statusCode: number;
  /** What apply must do, in order. */
  actions: Array<'start' | 'stop' | 'restart' | 'reload' | 'enable' | 'disable'>;
}

/** Parses `key=value` lines printed by the probe scripts. */
export function parseKv(text: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const line of text.split('\n')) {
    const i = line.indexOf('=');
    if (i > 0) out[line.slice(0, i).trim()] = line.slice(i + 1).trim();
  }
  return out;
}

/** Decides init from facts; `unknown` falls back to probing on the host (in the same script). */
function initOf(facts: Facts | undefined): Init | 'unknown' {
  const i = facts?.init;
  return i === 'systemd' || i === 'sysv' ? i : 'unknown';
}

/** plan()'s one read-only request. */
function probeRequest(args: ServiceArgs, facts: Facts | undefined): ReadRequest {
  return { script: probeScript(args.name, initOf(facts), args.enabled !== undefined), opts: { label: 'service:probe', readOnly: true } };
}

/** The SysV half of the probe: prints `exists=`, `status=`, `enabled=`. */
function sysvProbeLines(): string[] {
  return [
    `if [ -f "/etc/init.d/$n" ]; then echo exists=1; else echo exists=0; fi`,
    `service "$n" status >/dev/null 2>&1 </dev/null; echo "status=$?"`,
    `en=0; for f in /etc/rc[2345].d/S[0-9][0-9]"$n" /etc/rc.d/rc[2345].d/S[0-9][0-9]"$n"; do [ -e "$f" ] && en=1; done`,
    `echo "enabled=$en"`,
  ];
}

/**
 * One read-only script: prints `init=`, then on systemd the systemd module's probe, on SysV
 * `exists=`, `status=`, `enabled=`. SysV "enabled" means an S link in a multi-user runlevel (2-5) —
 * what update-rc.d/chkconfig create. The link pattern `S[0-9][0-9]NAME` avoids matching another
 * service whose name ends with NAME. Without init facts, the script tells which (one request still).
 */
export function probeScript(name: string, init: Init | 'unknown', wantsEnabled = true): string {
  const unit = unitProbeScript(name, 'system', { enabled: wantsEnabled, anyReload: false });
  if (init === 'systemd') return `echo init=systemd\n${unit}`;
  const sysv = [`n=${shq(name)}`, ...sysvProbeLines()].join('\n');
  if (init === 'sysv') return `echo init=sysv\n${sysv}\n`;
  return [
    `if [ -d /run/systemd/system ] && command -v systemctl >/dev/null 2>&1; then`,
    `echo init=systemd`,
    unit,
    `fi`,
    `echo init=sysv`,
    sysv,
    '',
  ].join('\n');
}

function daemonHint(name: string): string {
  return (
    `look at the daemon's log (/var/log/syslog, /var/log/${name}*); Debian's init-d-script discards the daemon's ` +
    `output, so run it in the foreground to see why it stops: \`set -a; . /etc/default/${name}; /usr/bin/${name}\``
  );
}

/** The shell command for one SysV action (systemd hosts go through the systemd module). */
export function actionCommand(action: ServiceState['actions'][number], name: string): string {
  const n = shq(name);
  switch (action) {
    case 'start':
    case 'stop':
    case 'restart':
    case 'reload':
      return `service ${n} ${action} </dev/null`;
    case 'enable':
      // update-rc.d `enable` needs existing links; `defaults` creates them on first use.
      return (
        `if command -v update-rc.d >/dev/null 2>&1; then ` +
        `if ls /etc/rc[0-6S].d/[SK][0-9][0-9]${n} >/dev/null 2>&1; then update-rc.d ${n} enable; else update-rc.d ${n} defaults; fi; ` +
        `elif command -v chkconfig >/dev/null 2>&1; then chkconfig --add ${n} && chkconfig ${n} on; ` +
        `else echo 'neither update-rc.d nor chkconfig is installed' >&2; exit 127; fi`
      );
    case 'disable':
      return (
        `if command -v update-rc.d >/dev/null 2>&1; then update-rc.d ${n} disable; ` +
        `elif command -v chkconfig >/dev/null 2>&1; then chkconfig ${n} off; ` +
        `else echo 'neither update-rc.d nor chkconfig is installed' >&2; exit 127; fi`
      );
  }
}

/** Pure decision: which actions bring the probed state to the wanted one. */
export function decide(args: ServiceArgs, active: boolean, enabled: boolean): ServiceState['actions'] {
  const actions: ServiceState['actions'] = [];
  switch (args.state) {
    case 'started':
      if (!active) actions.push('start');
      break;
    case 'stopped':
      if (active) actions.push('stop');
      break;
    case 'restarted':
      actions.push(active ? 'restart' : 'start');
      break;
    case 'reloaded':
      // As Ansible: reloading a stopped daemon starts it.
      actions.push(active ? 'reload' : 'start');
      break;
    default:
      break;
  }
  if (args.enabled === true && !enabled) actions.push('enable');
  if (args.enabled === false && enabled) actions.push('disable');
  return actions;
}

const DONE: Record<ServiceState['actions'][number], string> = {
  start: 'started',
  stop: 'stopped',
  restart: 'restarted',
  reload: 'reloaded',
  enable: 'enabled at boot',
  disable: 'disabled at boot',
};

function describeActions(name: string, actions: ServiceState['actions']): string {
  const words: Record<string, string> = {
    start: 'start',
    stop: 'stop',
    restart: 'restart',
    reload: 'reload',
    enable: 'enable at boot',
    disable: 'disable at boot',
  };
  return `${actions.map((a) => words[a]).join(', ')} ${name}`;
}

export default defineModule<ServiceArgs, ServiceState>({
  name: 'service',
  doc: {
    short: 'Start, stop, restart or reload a service and choose whether it starts at boot (systemd or SysV).',
    description:
      'On a systemd host this is the systemd module (as Ansible\'s service action picks it): one `systemctl show` ' +
      'probe, the same decisions and result (`status` is the unit\'s properties). On SysV it probes once (the exit ' +
      'code of `service NAME status` and the presence of /etc/rc[2-5].d/S??NAME links) and acts only when needed. ' +
      '`restarted` always changes. On SysV, start/stop go through `service NAME ...` and boot links through ' +
      'update-rc.d (Debian) or chkconfig (RedHat). After a SysV start the status is checked again, because ' +
      'init scripts that background the daemon return 0 even when it dies at once. Failures include the ' +
      "command's stderr and where to look for the daemon's own log.",
    check: 'full',
    diff: false,
    examples: [
      '- service: { name: etcd, state: started, enabled: true, no_block: true }',
      '- service: { name: etcd, state: restarted }',
    ].join('\n'),
  },
  args: {
    name: { type: 'str', required: true, description: 'Service name (systemd unit or /etc/init.d script).' },
    state: {
      type: 'str',
      choices: ['started', 'stopped', 'restarted', 'reloaded'],
      description: 'Wanted run state; `restarted`/`reloaded` always act. Omit to only manage `enabled`.',
    },
    enabled: { type: 'bool', description: 'Whether the service starts at boot. Omit to leave as is.' },
    no_block: {
      type: 'bool',
      default: false,
      description:
        'systemd only: do not wait for the start job (`systemctl --no-block`). Needed for Type=notify units ' +
        'such as etcd that only report ready once a quorum of peers is up. Ignored on SysV.',
    },
  },
  validate(args) {
    if (args.state === undefined && args.enabled === undefined) {
      throw new ArgumentError('service: one of `state` or `enabled` is required');
    }
    // service, update-rc.d and chkconfig take no `--`, and /etc/init.d/NAME is a path: a name that
    // starts with "-" would be an option, one with "/" another script (systemctl gets `--` too).
    if (/^-|[/\s]|[\x00-\x1f]/.test(args.name)) {
      throw new ArgumentError(`service: name ${JSON.stringify(args.name)} is not a service name (no leading '-', no '/', no spaces or control characters)`);
    }
  },

  reads: (args, ctx) => [probeRequest(args, ctx.facts)],

  async plan(ctx, args): Promise<Plan<ServiceState>> {
    const q = probeRequest(args, ctx.facts);
    const r = await ctx.conn.exec(q.script, q.opts);
    if (r.stdout.startsWith('init=systemd\n')) {
      const probe = parseUnitProbe(r.stdout.slice('init=systemd\n'.length));
      const p = unitPlan({ name: args.name, state: args.state, enabled: args.enabled, no_block: args.no_block }, probe);
      return { ...p, state: { init: 'systemd', active: false, enabled: false, statusCode: 0, actions: [], unit: p.state } };
    }
    const kv = parseKv(r.stdout);
    const init: Init = 'sysv';
    if (r.exitCode !== 0 || kv.status === undefined) {
      throw new ModuleFailure(`service ${args.name}: status probe failed: ${r.stderr.trim() || `exit ${r.exitCode}`}`);
    }
    if (kv.exists !== '1') {
      throw new ModuleFailure(`service ${args.name}: no /etc/init.d/${args.name} script (is the package installed?)`);
    }
    const statusCode = Number(kv.status);
    const active = statusCode === 0;
    const enabled = kv.enabled === '1';
    const actions = decide(args, active, enabled);
    const result = {
      name: args.name,
      state: args.state ?? (active ? 'started' : 'stopped'),
      status: active ? 'running' : 'stopped',
      enabled,
    };
    if (actions.length === 0) {
      return {
        changed: false,
        msg: `${args.name} is already ${active ? 'running' : 'stopped'}${
          args.enabled === undefined ? '' : enabled ? ' and enabled' : ' and disabled'
        }`,
        result,
        state: { init, active, enabled, statusCode, actions },
      };
    }
    return {
      changed: true,
      msg: `would ${describeActions(args.name, actions)} (was ${active ? 'running' : 'stopped'}, ${
        enabled ? 'enabled' : 'disabled'
      })`,
      result,
      state: { init, active, enabled, statusCode, actions },
    };
  },

  async apply(ctx, args, plan) {
    const st = plan.state!;
    if (st.init === 'systemd') return applyUnit(ctx, { name: args.name, no_block: args.no_block }, { ...plan, state: st.unit }, 'service');
    let active = st.active;
    let enabled = st.enabled;
    for (const action of st.actions) {
      const cmd = actionCommand(action, args.name);
      const r = await ctx.conn.exec(cmd, { label: `service:${action}` });
      if (r.exitCode !== 0) {
        const why = (r.stderr.trim() || r.stdout.trim() || `exit ${r.exitCode}`).slice(-2000);
        throw new ModuleFailure(
          `service ${args.name}: \`${cmd.split(';')[0]}\` failed (exit ${r.exitCode}): ${why}; ${daemonHint(args.name)}`,
          { name: args.name, rc: r.exitCode, stderr: r.stderr, stdout: r.stdout },
        );
      }
      if (action === 'start' || action === 'restart' || action === 'reload') active = true;
      if (action === 'stop') active = false;
      if (action === 'enable') enabled = true;
      if (action === 'disable') enabled = false;
    }
    // SysV scripts that background the daemon (start-stop-daemon --background) return 0 even if the
    // daemon exits right away; confirm it is still there (briefly polled: pid files appear late).
    // One "running" is not enough: the status can run between the fork and the daemon's exit, so
    // it must still hold 0.3 s later; a daemon seen running and then gone fails at once.
    const started = st.actions.some((a) => a === 'start' || a === 'restart');
    if (st.init === 'sysv' && started && !(args.no_block === true)) {
      const n = shq(args.name);
      const status = `service ${n} status >/dev/null 2>&1 </dev/null`;
      const r = await ctx.conn.exec(
        `i=0; while [ $i -lt 6 ]; do if ${status}; then sleep 0.3; ${status} && exit 0; break; fi; i=$((i+1)); sleep 0.5; done; ` +
          `service ${n} status 2>&1 </dev/null; exit 1`,
        { label: 'service:verify' },
      );
      if (r.exitCode !== 0) {
        throw new ModuleFailure(
          `service ${args.name}: started but not running: ${r.stdout.trim() || r.stderr.trim()}; ${daemonHint(args.name)}`,
          { name: args.name, status: 'stopped' },
        );
      }
    }
    return {
      changed: true,
      msg: st.actions.map((a) => DONE[a]).join(', ') + ` ${args.name}`,
      result: { name: args.name, state: args.state ?? (active ? 'started' : 'stopped'), status: active ? 'running' : 'stopped', enabled },
    };
  },
});
