// timezone: the system time zone, as community.general.timezone on Linux without its hwclock
// handling: /etc/localtime becomes a link to /usr/share/zoneinfo/NAME (replaced atomically) and, on
// Debian-like hosts, /etc/timezone holds NAME. Planning is one read-only request.

import { ArgumentError } from '../errors.js';
import { shq } from '../executor/types.js';
import { defineModule, ModuleFailure, type Plan, type ReadRequest } from './types.js';

export interface TimezoneArgs {
  name: string;
  hwclock?: string;
}

interface TimezoneState {
  link: boolean;
  file: boolean;
}

const ZONEINFO = '/usr/share/zoneinfo';

/** plan()'s one read-only request (also announced by reads()): the zone file, the link, /etc/timezone. */
function readRequest(name: string): ReadRequest {
  const z = shq(`${ZONEINFO}/${name}`);
  const script = [
    `if [ -f ${z} ]; then echo zone=1; else echo zone=0; fi`,
    `if [ -L /etc/localtime ]; then echo "link=$(readlink /etc/localtime)"; fi`,
    `if [ -f /etc/timezone ]; then echo "file=$(head -n 1 /etc/timezone)"; fi`,
    '',
  ].join('\n');
  return { script, opts: { label: 'timezone:read', readOnly: true } };
}

export default defineModule<TimezoneArgs, TimezoneState>({
  name: 'timezone',
  doc: {
    short: 'Configure timezone setting',
    description:
      'community.general.timezone for Linux: /etc/localtime is made a symlink to /usr/share/zoneinfo/NAME (a new link renamed over the ' +
      'old one) and /etc/timezone, where the host has one (Debian), gets NAME — what `timedatectl set-timezone` and Debian\'s tzdata ' +
      'do. The zone must exist in /usr/share/zoneinfo. The hardware clock is not touched (hwclock is refused). Running programs keep ' +
      'their zone until restarted. One read-only request plans it; --diff shows the zone before and after.',
    check: 'full',
    diff: true,
    examples: ['- timezone: { name: Europe/Paris }', '- community.general.timezone: { name: Etc/UTC }'].join('\n'),
  },
  args: {
    name: { type: 'str', required: true, description: 'Zone name as in /usr/share/zoneinfo, e.g. Europe/Paris or Etc/UTC.' },
    hwclock: { type: 'str', aliases: ['rtc'], description: 'Not supported (the hardware clock is left as it is); giving it is an error.' },
  },
  validate(a) {
    if (a.hwclock !== undefined) throw new ArgumentError('hwclock is not supported: bosun leaves the hardware clock alone (set it with a command task if you must)');
    if (!/^[A-Za-z0-9_+-]+(\/[A-Za-z0-9_+-]+)*$/.test(a.name) || a.name.split('/').includes('..')) {
      throw new ArgumentError(`name ${JSON.stringify(a.name)} is not a time zone name (like Europe/Paris or Etc/UTC)`);
    }
  },
  reads: (a) => [readRequest(a.name)],
  async plan(ctx, a): Promise<Plan<TimezoneState>> {
    const q = readRequest(a.name);
    const r = await ctx.conn.exec(q.script, q.opts);
    if (r.exitCode !== 0) throw new ModuleFailure(`cannot read the time zone: ${r.stderr.trim()}`);
    const kv = (k: string): string | undefined => new RegExp(`^${k}=(.*)$`, 'm').exec(r.stdout)?.[1];
    if (kv('zone') !== '1') throw new ModuleFailure(`given timezone "${a.name}" is not available`);
    const link = kv('link');
    const file = kv('file')?.trim();
    const current = link?.replace(/^(\.\.)?\/usr\/share\/zoneinfo\//, '') ?? file ?? 'unknown';
    const st: TimezoneState = { link: link !== `${ZONEINFO}/${a.name}` && link?.replace(/^\.\./, '') !== `${ZONEINFO}/${a.name}`, file: file !== undefined && file !== a.name };
    const result = { name: a.name };
    if (!st.link && !st.file) return { changed: false, msg: `time zone is ${a.name}`, result, state: st };
    return {
      changed: true,
      msg: `set time zone ${a.name} (was ${current})`,
      diff: [{ path: 'timezone', before: `name = ${current}\n`, after: `name = ${a.name}\n` }],
      result,
      state: st,
    };
  },
  async apply(ctx, a, plan) {
    const st = plan.state!;
    const L: string[] = [];
    if (st.link) L.push(`t=/etc/.localtime.bosun.$$; ln -sfn -- ${shq(`${ZONEINFO}/${a.name}`)} "$t" && mv -f -T -- "$t" /etc/localtime || { rm -f -- "$t"; exit 1; }`);
    if (st.file) L.push(`t=$(mktemp /etc/.timezone.XXXXXX) && printf '%s\\n' ${shq(a.name)} > "$t" && chmod 0644 "$t" && mv -f -- "$t" /etc/timezone || exit 1`);
    const r = await ctx.conn.exec(L.join('\n') + '\n', { label: 'timezone:set' });
    if (r.exitCode !== 0) throw new ModuleFailure(`setting the time zone failed: ${r.stderr.trim() || `exit ${r.exitCode}`}`);
    return { changed: true, msg: plan.msg, diff: plan.diff, result: plan.result };
  },
});
