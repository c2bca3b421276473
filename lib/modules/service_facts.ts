// service_facts: every service the host knows, as Ansible 2.14 reports it in
// ansible_facts.services — SysV scripts (`service --status-all`) and, under systemd, the service
// units (`list-units`, then `list-unit-files` for those not loaded). One read-only request: the
// script collects the raw listings and the parsing (Ansible's rules) happens here.

import { defineModule } from './types.js';

export interface ServiceFact {
  name: string;
  state: string;
  status?: string;
  source: 'sysv' | 'systemd';
}

const MARK = '@@bosun:';

/**
 * The listings, each after a marker line. As Ansible: `service --status-all` only without chkconfig
 * and rc-status; systemd only when PID 1 is systemd; the C locale so the output parses. The
 * ActiveState of unit files that list-units did not show is read in one `systemctl show` (template
 * units `x@.service` cannot be shown: Ansible reports them `unknown`).
 */
export const SERVICE_FACTS_SCRIPT = [
  'export LC_ALL=C LANG=C',
  'if command -v service >/dev/null 2>&1 && ! command -v chkconfig >/dev/null 2>&1 && ! command -v rc-status >/dev/null 2>&1; then',
  `  echo '${MARK}sysv'; service --status-all </dev/null 2>/dev/null`,
  'fi',
  'if grep -q systemd /proc/1/comm 2>/dev/null && command -v systemctl >/dev/null 2>&1; then',
  `  echo '${MARK}units'; systemctl list-units --no-pager --type service --all 2>/dev/null`,
  `  echo '${MARK}files'; files=$(systemctl list-unit-files --no-pager --type service --all 2>/dev/null); printf '%s\\n' "$files"`,
  `  names=$(printf '%s\\n' "$files" | awk '$1 ~ /[.]service$/ && $1 !~ /@[.]service$/ {print $1}')`,
  `  echo '${MARK}show'`,
  '  # one call for all (blocks in argument order); should one name be refused, one call per name',
  '  if ! systemctl show -p ActiveState -- $names 2>/dev/null; then',
  `    echo '${MARK}show_each'; for u in $names; do echo "${MARK}unit=$u"; systemctl show -p ActiveState -- "$u" 2>/dev/null; done`,
  '  fi',
  'fi',
  'exit 0',
  '',
].join('\n');

function sections(out: string): Map<string, string[]> {
  const m = new Map<string, string[]>();
  let cur: string[] | undefined;
  for (const line of out.split('\n')) {
    if (line.startsWith(MARK) && !line.startsWith(`${MARK}unit=`)) {
      cur = [];
      m.set(line.slice(MARK.length), cur);
    } else cur?.push(line);
  }
  return m;
}

const BAD_STATES = ['not-found', 'masked', 'failed'];

/** Ansible's parsing of the listings (service_facts.py: _list_sysvinit, _list_from_units, _list_from_unit_files). */
export function parseServiceFacts(out: string): Record<string, ServiceFact> {
  const s = sections(out);
  const services: Record<string, ServiceFact> = {};
  for (const line of s.get('sysv') ?? []) {
    const m = /^\s*\[ ([+-]) \]\s+(.+)$/.exec(line);
    if (m) services[m[2]!] = { name: m[2]!, state: m[1] === '+' ? 'running' : 'stopped', source: 'sysv' };
  }
  for (const line of (s.get('units') ?? []).filter((l) => l.includes('.service'))) {
    let fields = line.trim().split(/\s+/);
    let status = 'unknown';
    const bad = BAD_STATES.find((b) => fields.includes(b));
    if (bad !== undefined) {
      status = bad;
      fields = fields.slice(1); // the leading ●/* marker of a failed or missing unit
    } else status = fields[2] ?? 'unknown';
    const name = fields[0]!;
    services[name] = { name, state: fields[3] === 'running' ? 'running' : 'stopped', status, source: 'systemd' };
  }
  const active = activeStates(s);
  for (const line of (s.get('files') ?? []).filter((l) => l.includes('.service'))) {
    const [name, status] = line.trim().split(/\s+/);
    if (name === undefined || status === undefined) continue;
    const known = services[name];
    if (known === undefined) services[name] = { name, state: active.get(name) ?? 'unknown', status, source: 'systemd' };
    else if (!BAD_STATES.includes(known.status ?? '')) known.status = status;
  }
  return services;
}

/** ActiveState per unit file name, from the one batched `show` (blocks in the order of the names) or the per-name fallback. */
function activeStates(s: Map<string, string[]>): Map<string, string> {
  const out = new Map<string, string>();
  const names = (s.get('files') ?? []).map((l) => l.trim().split(/\s+/)[0] ?? '').filter((n) => n.endsWith('.service') && !n.endsWith('@.service'));
  const each = s.get('show_each');
  if (each !== undefined) {
    let unit: string | undefined;
    for (const line of each) {
      if (line.startsWith(`${MARK}unit=`)) unit = line.slice(`${MARK}unit=`.length);
      else if (unit !== undefined && line.startsWith('ActiveState=')) out.set(unit, line.slice('ActiveState='.length).trim());
    }
    return out;
  }
  const values = (s.get('show') ?? []).filter((l) => l.startsWith('ActiveState=')).map((l) => l.slice('ActiveState='.length).trim());
  if (values.length === names.length) names.forEach((n, i) => out.set(n, values[i]!));
  return out;
}

export default defineModule<Record<string, never>>({
  name: 'service_facts',
  doc: {
    short: 'Return service state information as fact data (ansible_facts.services).',
    description:
      "As Ansible's service_facts: `ansible_facts.services[NAME] = {name, state, status, source}` for SysV scripts " +
      '(`service --status-all`: state running/stopped, no status) and systemd service units (state running/stopped ' +
      'or the ActiveState of a unit that is not loaded; status enabled/disabled/static/masked/failed/not-found/…). ' +
      'One read-only request; changes nothing.',
    check: 'full',
    diff: false,
    examples: ['- service_facts:', "- debug: { var: ansible_facts.services['etcd.service'].state }"].join('\n'),
  },
  args: {},
  // the variable Ansible injects besides ansible_facts.services
  factNames: () => ['services'],
  async plan(ctx) {
    const r = await ctx.conn.exec(SERVICE_FACTS_SCRIPT, { label: 'service_facts', readOnly: true });
    const services = parseServiceFacts(r.stdout);
    const n = Object.keys(services).length;
    if (n === 0) {
      return { changed: false, msg: 'Failed to find any services. This can be due to privileges or some other configuration issue.', result: {} };
    }
    return { changed: false, msg: `${n} services`, result: { ansible_facts: { services } } };
  },
  async apply() {
    // plan never reports a change: the engine does not call apply
    return { changed: false };
  },
});
