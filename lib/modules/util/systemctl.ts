// systemd units as the systemd module (and service on a systemd host) see them: one read-only
// request — `systemctl show` for the properties the decision needs, plus `is-enabled` only when
// `enabled`/`masked` is asked — and Ansible 2.14's decisions on that state (systemd_service.py),
// kept as pure functions so units can be tested without a host.

import { shq } from '../../executor/types.js';

export type UnitScope = 'system' | 'user';
export type UnitWanted = 'started' | 'stopped' | 'restarted' | 'reloaded';
export type UnitAction =
  | 'daemon-reload'
  | 'daemon-reexec'
  | 'mask'
  | 'unmask'
  | 'enable'
  | 'disable'
  | 'start'
  | 'stop'
  | 'restart'
  | 'reload';

export interface UnitArgs {
  name?: string;
  state?: UnitWanted;
  enabled?: boolean;
  masked?: boolean;
  daemon_reload?: boolean;
  daemon_reexec?: boolean;
  scope?: UnitScope;
  no_block?: boolean;
  force?: boolean;
}

/**
 * The subset of `systemctl show` returned as `status` (Ansible returns every property; these are
 * the ones playbooks test and the decision needs, in one call).
 */
export const STATUS_PROPERTIES = [
  'Id',
  'Names',
  'Description',
  'LoadState',
  'LoadError',
  'ActiveState',
  'SubState',
  'UnitFileState',
  'UnitFilePreset',
  'FragmentPath',
  'DropInPaths',
  'NeedDaemonReload',
  'Type',
  'MainPID',
  'ExecMainStatus',
  'Result',
  'CanReload',
] as const;

/** Where the system manager reads units and drop-ins (systemd.unit(5)). */
const UNIT_DIRS = ['/etc/systemd/system', '/run/systemd/system', '/usr/local/lib/systemd/system', '/usr/lib/systemd/system', '/lib/systemd/system'];

/** Lines of the probe that are not `systemctl show` output start with this. */
const MARK = '@@bosun:';

/** `systemctl` with the scope's switch; `--user` needs XDG_RUNTIME_DIR (set as Ansible does). */
export function systemctlCommand(scope: UnitScope | undefined, opts: { noBlock?: boolean; force?: boolean } = {}): string {
  return ['systemctl', scope === 'user' ? '--user' : '', opts.noBlock ? '--no-block' : '', opts.force ? '--force' : ''].filter(Boolean).join(' ');
}

function runtimeDirLine(scope: UnitScope | undefined): string {
  return scope === 'user' ? '[ -n "${XDG_RUNTIME_DIR:-}" ] || export XDG_RUNTIME_DIR=/run/user/$(id -u)' : ':';
}

export interface ProbeWants {
  /** is-enabled output (and the SysV boot links) are needed. */
  enabled: boolean;
  /** Which loaded units need a daemon-reload (only without a name: with one, its NeedDaemonReload says). */
  anyReload: boolean;
}

/** The read-only probe script (POSIX sh). The unit name reaches systemctl after `--`, quoted. */
export function unitProbeScript(name: string | undefined, scope: UnitScope | undefined, wants: ProbeWants): string {
  const sc = systemctlCommand(scope);
  const lines = [runtimeDirLine(scope)];
  if (name !== undefined) {
    lines.push(
      `n=${shq(name)}`,
      `${sc} show ${STATUS_PROPERTIES.map((p) => `-p ${p}`).join(' ')} -- "$n" 2>&1; echo "${MARK}show_rc=$?"`,
      // /etc/init.d/NAME without the .service suffix, as Ansible's sysv_exists
      `b=\${n%.service}; if [ -f "/etc/init.d/$b" ]; then echo "${MARK}initd=1"; fi`,
    );
    if (scope !== 'user') {
      // Drop-ins on disk: systemd 252 does not flag a drop-in directory created after it loaded the
      // unit (NeedDaemonReload stays "no"), so the probe lists them for decideUnit to compare.
      lines.push(
        `case "$n" in *.*) u=$n;; *) u=$n.service;; esac`,
        `for d in ${UNIT_DIRS.join(' ')}; do for f in "$d/$u.d"/*.conf; do [ -e "$f" ] && echo "${MARK}dropin=$f"; done; done`,
      );
    }
    if (wants.enabled) {
      lines.push(
        `e=$(${sc} is-enabled -l -- "$n" 2>/dev/null); echo "${MARK}is_enabled_rc=$?"`,
        `printf '%s\\n' "$e" | sed 's/^/${MARK}is_enabled=/'`,
        `for f in /etc/rc[0-6].d/S[0-9][0-9]"$b" /etc/init.d/rc[0-6].d/S[0-9][0-9]"$b"; do [ -e "$f" ] && { echo "${MARK}sysv_enabled=1"; break; }; done`,
      );
    }
  }
  if (wants.anyReload) {
    // every loaded unit whose files changed on disk since systemd read them
    lines.push(
      `${sc} show -p Id -p NeedDaemonReload -p DropInPaths -- '*' 2>/dev/null | awk -F= '$1=="Id"{id=$2} $1=="NeedDaemonReload" && $2=="yes"{print "${MARK}need_reload=" id} $1=="DropInPaths" && $2!=""{print "${MARK}loaded_dropins=" id "=" $2}'`,
    );
    if (scope !== 'user') lines.push(`for f in ${UNIT_DIRS.map((d) => `${d}/*.d/*.conf`).join(' ')}; do [ -e "$f" ] && echo "${MARK}dropin=$f"; done`);
  }
  lines.push('exit 0');
  return lines.join('\n') + '\n';
}

export interface UnitProbe {
  /** `systemctl show` properties (empty when show failed). */
  status: Record<string, string>;
  showRc: number;
  /** The raw show output when it failed (its error). */
  showError?: string;
  initd: boolean;
  isEnabled?: { rc: number; lines: string[] };
  sysvEnabled: boolean;
  /** Loaded units that need a daemon-reload (probed only without a name). */
  needReload: string[];
  /** Drop-in files on disk: the named unit's, or (without a name) every unit's. */
  dropins: string[];
  /** Without a name: DropInPaths of each loaded unit that has drop-ins (by Id). */
  loadedDropins: Map<string, string>;
}

/** Parses the probe's output (show's `Key=Value` lines and the marked lines). */
export function parseUnitProbe(out: string): UnitProbe {
  const status: Record<string, string> = {};
  const other: string[] = [];
  const probe: UnitProbe = { status, showRc: 0, initd: false, sysvEnabled: false, needReload: [], dropins: [], loadedDropins: new Map() };
  const enabledLines: string[] = [];
  for (const line of out.split('\n')) {
    if (line.startsWith(MARK)) {
      const body = line.slice(MARK.length);
      const i = body.indexOf('=');
      const k = body.slice(0, i);
      const v = body.slice(i + 1);
      if (k === 'show_rc') probe.showRc = Number(v);
      else if (k === 'initd') probe.initd = true;
      else if (k === 'is_enabled_rc') probe.isEnabled = { rc: Number(v), lines: enabledLines };
      else if (k === 'is_enabled') {
        if (v !== '') enabledLines.push(v.trim());
      } else if (k === 'sysv_enabled') probe.sysvEnabled = true;
      else if (k === 'need_reload') probe.needReload.push(v);
      else if (k === 'dropin') probe.dropins.push(v);
      else if (k === 'loaded_dropins') {
        const j = v.indexOf('=');
        probe.loadedDropins.set(v.slice(0, j), v.slice(j + 1));
      }
      continue;
    }
    const i = line.indexOf('=');
    if (i > 0 && /^[A-Za-z]+$/.test(line.slice(0, i))) status[line.slice(0, i)] = line.slice(i + 1).trim();
    else if (line.trim() !== '') other.push(line);
  }
  if (probe.showRc !== 0) {
    probe.showError = other.join('\n').trim();
    for (const k of Object.keys(status)) delete status[k];
  }
  return probe;
}

/** As Ansible: a unit is "running" while active or activating. */
export function isRunning(status: Record<string, string>): boolean {
  return status.ActiveState === 'active' || status.ActiveState === 'activating';
}

/** systemd knows the unit (a unit file, or a SysV script through systemd's generator). */
export function isSystemdUnit(p: UnitProbe): boolean {
  return p.status.LoadState !== undefined && p.status.LoadState !== 'not-found';
}

/**
 * Ansible's `enabled` rule: `is-enabled -l` exits 0, unless its only line is `indirect` or `alias`;
 * exit 1 with a SysV script whose boot links exist (and is-enabled not saying disabled) also counts.
 */
export function unitEnabled(p: UnitProbe, scope: UnitScope | undefined): boolean {
  const ie = p.isEnabled;
  if (!ie) return false;
  if (ie.rc === 0) return !(ie.lines.length === 1 && (ie.lines[0] === 'indirect' || ie.lines[0] === 'alias'));
  if (ie.rc === 1) {
    const last = ie.lines.join('\n').trim();
    return (scope ?? 'system') === 'system' && p.initd && !last.endsWith('disabled') && p.sysvEnabled;
  }
  return false;
}

/**
 * The named unit's files changed since systemd loaded it: its NeedDaemonReload, or a drop-in on
 * disk that is not among the loaded DropInPaths (compared by file name: /lib and /usr/lib are one
 * directory on merged-/usr systems).
 */
export function unitNeedsReload(p: UnitProbe): boolean {
  if (p.status.NeedDaemonReload === 'yes') return true;
  if (p.status.LoadState === undefined || p.status.LoadState === 'not-found') return false;
  const loaded = new Set((p.status.DropInPaths ?? '').split(/\s+/).filter(Boolean).map(base));
  return p.dropins.some((f) => !loaded.has(base(f)));
}

const base = (f: string): string => f.slice(f.lastIndexOf('/') + 1);

/**
 * Without a name: loaded units that report NeedDaemonReload, and those with a drop-in on disk that
 * is not loaded. Only units that already have drop-ins are listed by Id (a first drop-in directory
 * of a unit with none is seen when the unit is named): enough for the common "edited a drop-in".
 */
export function unitsNeedingReload(p: UnitProbe): string[] {
  const out = new Set(p.needReload);
  for (const f of p.dropins) {
    const m = /\/([^/]+)\.d\/[^/]+$/.exec(f);
    const loaded = m ? p.loadedDropins.get(m[1]!) : undefined;
    if (loaded !== undefined && !loaded.split(/\s+/).map(base).includes(base(f))) out.add(m![1]!);
  }
  return [...out];
}

/** Ansible's `masked`: is-enabled says `masked` (its first line: `-l` adds the unit file paths below). */
export function unitMasked(p: UnitProbe): boolean {
  return p.isEnabled?.lines[0] === 'masked';
}

export interface UnitDecision {
  actions: UnitAction[];
  /** Ansible's result keys (name, status, enabled, state) as they will be after the actions. */
  result: Record<string, unknown>;
  /** Why each action is needed, for the plan message. */
  reasons: string[];
}

/** Thrown-message texts, shared with the service module. */
export function missingUnitMessage(name: string): string {
  return `Could not find the requested service ${name}: host`;
}

/**
 * Pure decision, in Ansible's order: daemon-reload, daemon-reexec, mask/unmask, enable/disable,
 * then the run state. Returns an error string instead when Ansible would fail.
 */
export function decideUnit(args: UnitArgs, p: UnitProbe | undefined): UnitDecision | { error: string } {
  const actions: UnitAction[] = [];
  const reasons: string[] = [];
  const result: Record<string, unknown> = { name: args.name ?? null, status: p?.status ?? {} };
  // bosun reloads only when systemd says a unit changed on disk (docs/ansible-differences.md)
  if (args.daemon_reload) {
    const stale = args.name !== undefined ? (p && unitNeedsReload(p) ? [p.status.Id ?? args.name] : []) : p ? unitsNeedingReload(p) : [];
    if (stale.length > 0) {
      actions.push('daemon-reload');
      reasons.push(`daemon-reload (changed on disk: ${stale.slice(0, 5).join(', ')}${stale.length > 5 ? ', …' : ''})`);
    }
  }
  if (args.daemon_reexec) {
    actions.push('daemon-reexec');
    reasons.push('daemon-reexec');
  }
  if (args.name === undefined || p === undefined) return { actions, result, reasons };
  const name = args.name;
  if (p.showRc === 0 && isSystemdUnit(p) && p.status.LoadState !== 'masked' && p.status.LoadError) {
    return { error: `Error loading unit file '${name}': ${p.status.LoadError}` };
  }
  const found = isSystemdUnit(p) || p.initd;
  if (args.masked !== undefined) {
    const masked = unitMasked(p);
    if (masked !== args.masked) {
      actions.push(args.masked ? 'mask' : 'unmask');
      reasons.push(args.masked ? 'mask' : 'unmask');
    }
  }
  if (args.enabled !== undefined) {
    if (!found) return { error: missingUnitMessage(name) };
    const enabled = unitEnabled(p, args.scope);
    result.enabled = enabled;
    if (enabled !== args.enabled) {
      actions.push(args.enabled ? 'enable' : 'disable');
      reasons.push(args.enabled ? 'enable at boot' : 'disable at boot');
      result.enabled = args.enabled;
    }
  }
  if (args.state !== undefined) {
    if (!found) return { error: missingUnitMessage(name) };
    result.state = args.state;
    if (p.status.ActiveState === undefined) {
      return { error: p.showError ? `Service is in unknown state: ${p.showError}` : 'Service is in unknown state' };
    }
    const running = isRunning(p.status);
    let action: UnitAction | undefined;
    if (args.state === 'started') action = running ? undefined : 'start';
    else if (args.state === 'stopped') action = running || p.status.ActiveState === 'deactivating' ? 'stop' : undefined;
    else {
      action = running ? (args.state === 'restarted' ? 'restart' : 'reload') : 'start';
      result.state = 'started';
    }
    if (action) {
      actions.push(action);
      reasons.push(`${action} (${p.status.ActiveState})`);
    }
  }
  return { actions, result, reasons };
}

/** The command for one action (`--` before the unit name; daemon-* take none). */
export function unitActionCommand(action: UnitAction, args: UnitArgs): string {
  const sc = systemctlCommand(args.scope, { noBlock: args.no_block, force: args.force });
  const env = args.scope === 'user' ? `${runtimeDirLine('user')}; ` : '';
  if (action === 'daemon-reload' || action === 'daemon-reexec') return `${env}${sc} ${action}`;
  return `${env}${sc} ${action} -- ${shq(args.name ?? '')}`;
}
