// sysctl: a kernel parameter in a sysctl file and (optionally) in the running kernel, as
// ansible.posix.sysctl on Linux: the file is rewritten with Ansible's normalisation (`key=value`
// lines, comments kept, a repeated key kept once), `sysctl -w` sets the live value with sysctl_set,
// and `sysctl -p FILE` reloads the file after a change. Planning is one read-only request (the live
// value and the file); the change is one more.

import { ArgumentError } from '../errors.js';
import { shq } from '../executor/types.js';
import { defineModule, ModuleFailure, type Plan, type ReadRequest } from './types.js';
import { parseProbe, probeScript as fileProbeScript, writeScript } from './util/remote-file.js';

export interface SysctlArgs {
  name: string;
  value?: string;
  state: 'present' | 'absent';
  reload: boolean;
  sysctl_set: boolean;
  ignoreerrors: boolean;
  sysctl_file: string;
}

interface SysctlState {
  after?: string;
  setProc: boolean;
  reload: boolean;
}

const TRUE = new Set(['y', 'yes', 'on', '1', 'true', 't']);
const FALSE = new Set(['n', 'no', 'off', '0', 'false', 'f']);

/** Ansible's _parse_value: booleans become 1/0, anything else is trimmed. */
export function sysctlValue(v: string | undefined): string {
  if (v === undefined) return '';
  if (TRUE.has(v.toLowerCase())) return '1';
  if (FALSE.has(v.toLowerCase())) return '0';
  return v.trim();
}

/** Values compared word by word (the kernel prints `32768\t60999` for "32768 60999"). */
export function sameValue(a: string | undefined, b: string | undefined): boolean {
  if (a === undefined || b === undefined) return false;
  const x = a.split(/\s+/).filter(Boolean);
  const y = b.split(/\s+/).filter(Boolean);
  return x.length === y.length && x.every((w, i) => w === y[i]);
}

const isSetting = (l: string): boolean => l !== '' && !l.startsWith('#') && !l.startsWith(';') && l.includes('=');

/** The file's value of `name` (the last line wins, as sysctl -p applies them), or undefined. */
export function fileValue(text: string, name: string): string | undefined {
  let v: string | undefined;
  for (const raw of text.split('\n')) {
    const l = raw.trim();
    if (!isSetting(l)) continue;
    const i = l.indexOf('=');
    if (l.slice(0, i).trim() === name) v = l.slice(i + 1).trim();
  }
  return v;
}

/** Ansible's fix_lines + write_sysctl: every line stripped, settings as `k=v` (first occurrence of a key only). */
export function rewriteFile(text: string, name: string, value: string | undefined): string {
  const lines = text === '' ? [] : text.replace(/\n$/, '').split('\n').map((l) => l.trim());
  const seen = new Set<string>();
  const out: string[] = [];
  for (const l of lines) {
    if (!isSetting(l)) {
      out.push(l);
      continue;
    }
    const i = l.indexOf('=');
    const k = l.slice(0, i).trim();
    if (seen.has(k)) continue;
    seen.add(k);
    if (k === name) {
      if (value !== undefined) out.push(`${k}=${value}`);
    } else out.push(`${k}=${l.slice(i + 1).trim()}`);
  }
  if (!seen.has(name) && value !== undefined) out.push(`${name}=${value}`);
  return out.map((l) => l + '\n').join('');
}

const LIVE = /^live=([0-9a-f]*) rc=(\d+)$/m;

/** plan()'s one read-only request (also announced by reads()): the live value (hex) and the file. */
function probeRequest(a: SysctlArgs): ReadRequest {
  const script =
    `v=$(LC_ALL=C sysctl -e -n -- ${shq(a.name.trim())} 2>/dev/null); rc=$?; printf 'live=%s rc=%s\\n' "$(printf '%s' "$v" | od -An -v -tx1 | tr -d ' \\n')" "$rc"\n` +
    fileProbeScript(a.sysctl_file, { wantContent: true });
  return { script, opts: { label: 'sysctl:probe', readOnly: true } };
}

export default defineModule<SysctlArgs, SysctlState>({
  name: 'sysctl',
  doc: {
    short: 'Manage entries in sysctl.conf',
    description:
      "ansible.posix.sysctl on Linux. The entry is written to sysctl_file (Ansible's format: every setting rewritten as key=value, " +
      'a repeated key kept once); sysctl_set also sets the running value with `sysctl -w`, and reload (default) runs `sysctl -p FILE` ' +
      'after a change. Values are compared word by word (tabs and spaces alike); yes/no/true/false become 1/0. ' +
      'One read-only request plans it. --diff shows the file.',
    check: 'full',
    diff: true,
    examples: [
      '- sysctl: { name: net.ipv4.ip_forward, value: "1", sysctl_set: true }',
      '- sysctl: { name: vm.swappiness, value: "10", sysctl_file: /etc/sysctl.d/60-swap.conf }',
      '- sysctl: { name: kernel.panic, state: absent }',
    ].join('\n'),
  },
  args: {
    name: { type: 'str', required: true, aliases: ['key'], description: 'The dot-separated key, e.g. net.ipv4.ip_forward.' },
    value: { type: 'str', aliases: ['val'], description: 'Wanted value (required with state=present).' },
    state: { type: 'str', default: 'present', choices: ['present', 'absent'], description: 'Whether the entry is in the file.' },
    reload: { type: 'bool', default: true, description: 'Run `sysctl -p FILE` after a change (and change when the live value differs).' },
    sysctl_set: { type: 'bool', default: false, description: 'Set the running value with `sysctl -w` when it differs.' },
    ignoreerrors: { type: 'bool', default: false, description: 'Ignore unknown keys (sysctl -e).' },
    sysctl_file: { type: 'path', default: '/etc/sysctl.conf', description: 'The file holding the entry.' },
  },
  validate(a) {
    const name = a.name.trim();
    if (name === '') throw new ArgumentError('name cannot be blank');
    if (!/^[A-Za-z0-9_][A-Za-z0-9_.\-/*]*$/.test(name)) throw new ArgumentError(`name ${JSON.stringify(a.name)} is not a sysctl key`);
    if (a.state === 'present' && (a.value === undefined || a.value.trim() === '')) throw new ArgumentError('value is required (and cannot be blank) with state=present');
    if (/[\n\r]/.test(a.value ?? '')) throw new ArgumentError('value cannot contain a newline');
  },
  reads: (a) => [probeRequest(a)],
  async plan(ctx, a): Promise<Plan<SysctlState>> {
    const name = a.name.trim();
    const value = sysctlValue(a.value);
    const q = probeRequest(a);
    const r = await ctx.conn.exec(q.script, q.opts);
    const m = LIVE.exec(r.stdout);
    if (r.exitCode !== 0 || !m) throw new ModuleFailure(`cannot read ${name} and ${a.sysctl_file}: ${r.stderr.trim() || `exit ${r.exitCode}`}`);
    const live = m[2] === '0' ? Buffer.from(m[1]!, 'hex').toString('utf8').replace(/\n$/, '') : undefined;
    const nl = r.raw.indexOf(10);
    const probe = parseProbe(a.sysctl_file, r.raw.subarray(nl + 1), { wantContent: true });
    if (probe.exists && probe.type !== 'file') throw new ModuleFailure(`${a.sysctl_file} is not a regular file`);
    if (probe.exists && probe.content === undefined) throw new ModuleFailure(`${a.sysctl_file} is too large to edit`);
    const text = probe.content?.toString('utf8') ?? '';
    const inFile = fileValue(text, name);

    // Ansible's process(): the file decides first, then the live value
    let changed = false;
    let write = false;
    let setProc = false;
    if (a.state === 'present' ? inFile !== value : inFile) {
      changed = write = true;
    } else if (a.reload && a.state === 'present' && !sameValue(live, value)) changed = true;
    if (a.sysctl_set && a.state === 'present' && !sameValue(live, value)) {
      changed = true;
      setProc = live !== undefined;
    }
    const after = write ? rewriteFile(text, name, a.state === 'present' ? value : undefined) : undefined;
    const result = { name, value, state: a.state, sysctl_file: a.sysctl_file, live_value: live ?? null };
    if (!changed) return { changed: false, msg: `${name} is ${a.state === 'absent' ? 'not in the file' : `${value}`}`, result, state: { setProc, reload: false } };
    const what = [write ? `${a.state === 'present' ? 'write' : 'remove'} ${name} in ${a.sysctl_file}` : '', setProc ? `set ${name}=${value} (now ${live})` : '', a.reload ? `reload ${a.sysctl_file}` : ''].filter(Boolean);
    return {
      changed: true,
      msg: what.join(', '),
      diff: after !== undefined ? [{ path: a.sysctl_file, before: text, after }] : undefined,
      result,
      state: { after, setProc, reload: a.reload },
    };
  },
  async apply(ctx, a, plan) {
    const st = plan.state!;
    const name = a.name.trim();
    const value = sysctlValue(a.value);
    const e = a.ignoreerrors ? '-e ' : '';
    const L: string[] = [];
    if (st.setProc) L.push(`LC_ALL=C sysctl ${e}-w ${shq(`${name}=${value}`)} >/dev/null || exit 21`);
    if (st.after !== undefined) L.push(`( ${writeScript(a.sysctl_file, {})} ) >/dev/null || exit $?`);
    if (st.reload) L.push(`LC_ALL=C sysctl ${e}-p -- ${shq(a.sysctl_file)} >/dev/null || exit 22`);
    const r = await ctx.conn.exec(L.join('\n') + '\n', { label: 'sysctl:apply', stdin: st.after !== undefined ? Buffer.from(st.after) : undefined });
    // sysctl can print "setting key …: Read-only file system" and still exit 0 with -e
    if (r.exitCode !== 0 || /^sysctl: setting key "[^"]+": (Invalid argument|Read-only file system)$/m.test(r.stderr)) {
      const what = r.exitCode === 22 ? `Failed to reload sysctl: ${r.stderr.trim()}` : r.exitCode === 21 ? `setting ${name} failed: ${r.stderr.trim()}` : r.stderr.trim() || `exit ${r.exitCode}`;
      throw new ModuleFailure(what, { rc: r.exitCode });
    }
    return { changed: true, msg: plan.msg, diff: plan.diff, result: plan.result };
  },
});
