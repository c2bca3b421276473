// The variables Ansible 2.14's template module adds for a template (generate_ansible_template_vars):
// template_host, template_path, template_fullpath, template_destpath, template_uid, template_mtime,
// template_run_date and ansible_managed, computed on the control node.
import { readFileSync, statSync } from 'node:fs';
import { hostname } from 'node:os';
import { strFormat } from '../../engine/jinja/pyformat.js';
import { strftime } from '../../engine/jinja/filters.js';

/** The names templateVars() defines (static checks know them for template files). */
export const TEMPLATE_VAR_NAMES: ReadonlySet<string> = new Set(['template_host', 'template_path', 'template_mtime', 'template_uid', 'template_run_date', 'template_destpath', 'template_fullpath', 'ansible_managed']);

/** ansible.cfg `[defaults] ansible_managed` when not set. */
export const DEFAULT_MANAGED = 'Ansible managed';

/** The owner's user name from /etc/passwd (Python's pwd.getpwuid), else the uid as text. */
function userName(uid: number): string {
  try {
    for (const line of readFileSync('/etc/passwd', 'utf8').split('\n')) {
      const f = line.split(':');
      if (f.length >= 3 && Number(f[2]) === uid && f[2] !== '') return f[0]!;
    }
  } catch {
    /* no passwd file: the number, as Python's KeyError branch */
  }
  return String(uid);
}

/** Python's str(datetime): local time, microseconds only when not zero. */
export function pyDatetime(d: Date, micro: number): string {
  const s = strftime('%Y-%m-%d %H:%M:%S', d);
  return micro ? `${s}.${String(micro).padStart(6, '0')}` : s;
}

/** A float timestamp's microseconds as datetime.fromtimestamp rounds them (half to even). */
function microsOf(ns: bigint): { date: Date; micro: number } {
  const us = Number(ns / 1000n);
  const rest = Number(ns % 1000n);
  const roundUp = rest > 500 || (rest === 500 && us % 2 === 1);
  const total = us + (roundUp ? 1 : 0);
  return { date: new Date(Math.floor(total / 1000)), micro: total % 1_000_000 };
}

/**
 * `src` as the task gave it, `fullpath` the file found, `dest` the task's dest; `managed` the
 * ansible_managed setting (a str.format with {host}, {uid}, {file}, then strftime of the template's mtime).
 */
export function templateVars(src: string, fullpath: string, dest: string | undefined, managed = DEFAULT_MANAGED): Record<string, unknown> {
  const st = statSync(fullpath, { bigint: true });
  const host = hostname();
  const uid = userName(Number(st.uid));
  const mtime = microsOf(st.mtimeNs);
  const now = new Date();
  const managedStr = strFormat(managed, [], { host, uid, file: src });
  return {
    template_host: host,
    template_path: src,
    template_mtime: pyDatetime(mtime.date, mtime.micro),
    template_uid: uid,
    template_run_date: pyDatetime(now, now.getMilliseconds() * 1000),
    template_destpath: dest ?? null,
    template_fullpath: fullpath,
    ansible_managed: strftime(managedStr, mtime.date),
  };
}
