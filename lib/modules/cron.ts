// cron: a job (or environment variable) in a user's crontab or in a cron.d file, as Ansible 2.14's
// cron module: jobs are found by their `#Ansible: NAME` marker line, so crontabs already managed by
// Ansible are adopted as they are. One read-only request plans it (`crontab -l` or the file); the
// change is one request (`crontab -` with the new table on stdin, or an atomic write of the file).

import { posix } from 'node:path';
import { ArgumentError } from '../errors.js';
import { shq } from '../executor/types.js';
import { defineModule, ModuleFailure, type Plan, type ReadRequest } from './types.js';
import { editCrontab, envNames, jobNames, render, splitLines, stripHeader, type CronEdit } from './util/crontab.js';
import { writeScript } from './util/remote-file.js';
import { checkAccountName } from './util/accounts.js';

/** The module's arguments: the edit (util/crontab.ts) without its derived flag, plus where and how to write. */
export interface CronArgs extends Omit<CronEdit, 'cronFile'> {
  cron_file?: string;
  backup: boolean;
}

interface CronState {
  content: string;
  emptied: boolean;
  exists: boolean;
}

/** Ansible's cron_file: relative names are in /etc/cron.d. */
export function cronFilePath(f: string): string {
  return f.startsWith('/') ? f : posix.join('/etc/cron.d', f);
}

function crontabCmd(a: CronArgs, op: string): string {
  return `crontab${a.user !== undefined ? ` -u ${shq(a.user)}` : ''} ${op}`;
}

export function readScript(a: CronArgs): string {
  if (a.cron_file !== undefined) {
    const f = shq(cronFilePath(a.cron_file));
    return `if [ -f ${f} ]; then echo exists=1; echo ---; exec cat -- ${f}; else echo exists=0; fi\n`;
  }
  return [
    `command -v crontab >/dev/null 2>&1 || { echo 'crontab is not installed (package cron)' >&2; exit 127; }`,
    // exit 1 is "no crontab for USER"
    `out=$(LC_ALL=C ${crontabCmd(a, '-l')} 2>/dev/null; echo "rc=$?")`,
    `case "\${out##*rc=}" in 0|1) ;; *) echo "Unable to read crontab" >&2; exit 1;; esac`,
    `echo exists=1; echo ---; printf '%s' "\${out%rc=*}"`,
    '',
  ].join('\n');
}

/** plan()'s one read-only request (also announced by reads()). */
function readRequest(a: CronArgs): ReadRequest {
  return { script: readScript(a), opts: { label: 'cron:read', readOnly: true } };
}

function header(a: CronArgs): string {
  if (a.cron_file !== undefined) return cronFilePath(a.cron_file);
  return a.user !== undefined ? `crontab for user "${a.user}"` : 'crontab';
}

export default defineModule<CronArgs, CronState>({
  name: 'cron',
  doc: {
    short: 'Manage cron.d and crontab entries',
    description:
      "Ansible's cron module: each job is the line after a `#Ansible: NAME` marker (the same marker as Ansible's, so crontabs " +
      'written by Ansible are adopted); an identical unmarked line is adopted by adding the marker. Without cron_file, the ' +
      "user's crontab is read with `crontab -l` and installed with `crontab -` (the cron package must be installed); with cron_file " +
      '(relative names are in /etc/cron.d), the file is written atomically, each line naming the user, and removed once its last job is. ' +
      'env=true manages a NAME="job" variable line instead. One read-only request plans it; --diff shows the table.',
    check: 'full',
    diff: true,
    examples: [
      '- cron: { name: "etcd defrag", minute: "0", hour: "3", job: "/usr/local/bin/etcd-defrag >/dev/null 2>&1" }',
      '- cron: { name: backup, special_time: daily, user: backup, cron_file: bosun-backup, job: /usr/local/bin/backup }',
      '- cron: { name: MAILTO, env: true, job: ops@example.com }',
    ].join('\n'),
  },
  args: {
    name: { type: 'str', required: true, description: 'Description of the job: the text of its `#Ansible:` marker (the variable name with env).' },
    user: { type: 'str', description: 'Whose crontab (default: the connection user); with cron_file, the user the job runs as.' },
    job: { type: 'str', aliases: ['value'], description: 'The command (or the variable value with env). Required with state=present.' },
    cron_file: { type: 'path', description: 'A file in /etc/cron.d (or an absolute path) instead of the user crontab; needs user.' },
    state: { type: 'str', default: 'present', choices: ['present', 'absent'], description: 'Whether the job (or variable) should exist.' },
    backup: { type: 'bool', default: false, description: 'Save the current table to a temp file first (result backup_file).' },
    minute: { type: 'str', default: '*', description: 'Minute (0-59, */5, …).' },
    hour: { type: 'str', default: '*', description: 'Hour (0-23, …).' },
    day: { type: 'str', default: '*', aliases: ['dom'], description: 'Day of the month.' },
    month: { type: 'str', default: '*', description: 'Month.' },
    weekday: { type: 'str', default: '*', aliases: ['dow'], description: 'Day of the week (0-6, Sunday=0).' },
    special_time: { type: 'str', choices: ['reboot', 'yearly', 'annually', 'monthly', 'weekly', 'daily', 'hourly'], description: '@reboot, @daily, … instead of the time fields.' },
    disabled: { type: 'bool', default: false, description: 'Write the job commented out (state=present only).' },
    env: { type: 'bool', default: false, description: 'Manage an environment variable line NAME="job" instead of a job.' },
    insertafter: { type: 'str', description: 'env=true: put a new variable after this variable.' },
    insertbefore: { type: 'str', description: 'env=true: put a new variable before this variable (default: at the top).' },
  },
  validate(a) {
    if (a.cron_file === '/etc/crontab') throw new ArgumentError('Will not manage /etc/crontab via cron_file, see documentation.');
    if (a.special_time !== undefined && [a.minute, a.hour, a.day, a.month, a.weekday].some((x) => x !== '*')) {
      throw new ArgumentError('You must specify time and date fields or special time.');
    }
    if (a.insertafter !== undefined && a.insertbefore !== undefined) throw new ArgumentError('parameters are mutually exclusive: insertafter|insertbefore');
    if (a.state === 'present') {
      if (a.cron_file !== undefined && a.user === undefined) throw new ArgumentError('To use cron_file=... parameter you must specify user=... as well');
      if (a.job === undefined) throw new ArgumentError("You must specify 'job' to install a new cron job or variable");
      if ((a.insertafter !== undefined || a.insertbefore !== undefined) && !a.env) throw new ArgumentError('Insertafter and insertbefore parameters are valid only with env=yes');
    }
    if (a.env && a.name.includes(' ')) throw new ArgumentError('Invalid name for environment variable');
    if (/[\r\n]/.test(a.name)) throw new ArgumentError('name cannot contain a line break');
    // crontab takes no `--`: a user name must not be read as an option
    if (a.user !== undefined) checkAccountName('user', a.user);
  },
  reads: (a) => [readRequest(a)],
  async plan(ctx, a): Promise<Plan<CronState>> {
    const q = readRequest(a);
    const r = await ctx.conn.exec(q.script, q.opts);
    if (r.exitCode !== 0) throw new ModuleFailure(r.stderr.trim() || `cannot read the crontab (exit ${r.exitCode})`);
    const sep = r.stdout.indexOf('---\n');
    const exists = r.stdout.startsWith('exists=1');
    const raw = sep >= 0 ? r.stdout.slice(sep + 4) : '';
    const { lines, text } = a.cron_file !== undefined ? { lines: splitLines(raw), text: raw } : stripHeader(raw);
    const edit: CronEdit = { ...a, cronFile: a.cron_file !== undefined };
    let res;
    try {
      res = editCrontab(text, lines, edit);
    } catch (e) {
      throw new ModuleFailure(e instanceof Error ? e.message : String(e));
    }
    const warnings = [...res.warnings];
    const base = a.cron_file !== undefined ? posix.basename(a.cron_file) : undefined;
    if (base !== undefined && !/^[A-Za-z0-9_-]+$/.test(base)) {
      warnings.unshift(`Filename portion of cron_file ("${base}") should consist solely of upper- and lower-case letters, digits, underscores, and hyphens`);
    }
    const result: Record<string, unknown> = { jobs: jobNames(res.lines), envs: envNames(res.lines), warnings };
    if (a.cron_file !== undefined) result.cron_file = a.cron_file;
    if (res.emptied) {
      const diff = [{ path: header(a), before: text, after: '' }];
      return { changed: exists, msg: `remove ${cronFilePath(a.cron_file!)} (no job left)`, diff, result: { cron_file: a.cron_file, state: a.state }, state: { content: '', emptied: true, exists } };
    }
    if (!res.changed) return { changed: false, msg: `${a.env ? 'variable' : 'job'} ${a.name} is as wanted`, result, state: { content: text, emptied: false, exists } };
    const after = render(res.lines);
    return {
      changed: true,
      msg: `${a.state === 'present' ? 'set' : 'remove'} ${a.env ? 'variable' : 'job'} ${a.name} in ${header(a)}`,
      diff: [{ path: header(a), before: text, after }],
      result,
      state: { content: after, emptied: false, exists },
    };
  },
  async apply(ctx, a, plan) {
    const st = plan.state!;
    const L: string[] = ['umask 022'];
    if (a.backup) {
      L.push(`b=$(mktemp /tmp/crontabXXXXXXXX) || exit 1`);
      L.push(a.cron_file !== undefined ? `cat -- ${shq(cronFilePath(a.cron_file))} > "$b" 2>/dev/null || :` : `${crontabCmd(a, '-l')} > "$b" 2>/dev/null || :`, `echo "backup=$b"`);
    }
    if (st.emptied) L.push(`rm -f -- ${shq(cronFilePath(a.cron_file!))} || exit 1`);
    else if (a.cron_file !== undefined) L.push(`( ${writeScript(cronFilePath(a.cron_file), {})} ) >/dev/null || exit $?`);
    else L.push(`${crontabCmd(a, '-')} || exit $?`);
    const r = await ctx.conn.exec(L.join('\n') + '\n', { label: 'cron:write', stdin: st.emptied ? undefined : Buffer.from(st.content) });
    if (r.exitCode !== 0) throw new ModuleFailure(r.stderr.trim() || `writing the crontab failed (exit ${r.exitCode})`);
    const backup = /^backup=(.*)$/m.exec(r.stdout)?.[1];
    return { changed: true, msg: plan.msg, diff: plan.diff, result: { ...plan.result, ...(backup ? { backup_file: backup } : {}) } };
  },
});
