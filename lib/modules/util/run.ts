// Shared by command and shell: the creates/removes guard (one request, none when neither is
// given), running with a stdin payload, and Ansible's result shape (rc, stdout, stdout_lines, delta).

import { shq } from '../../executor/types.js';
import type { ExecResult } from '../../executor/types.js';
import { pySplitlines } from '../../engine/jinja/methods.js';
import type { ModuleContext, Outcome, Plan } from '../types.js';

export interface RunArgs {
  creates?: string;
  removes?: string;
  chdir?: string;
  stdin?: string;
  stdin_add_newline?: boolean;
}

export interface RunState {
  skipped?: boolean;
}

export const runArgSpecs = {
  creates: { type: 'path', description: 'If this path exists (relative to chdir), do not run; the task reports ok.' },
  removes: { type: 'path', description: 'If this path does not exist (relative to chdir), do not run.' },
  chdir: { type: 'path', description: 'Change into this directory before running.' },
  stdin: { type: 'str', description: 'Fed to the command\'s stdin (sent as a payload, never in the script).' },
  stdin_add_newline: { type: 'bool', default: true, description: 'Append a newline to stdin.' },
} as const;

/** `cd` prefix for scripts (the guard check and the run use the same working directory). */
export function cdLine(chdir: string | undefined): string {
  return chdir === undefined ? '' : `cd -- ${shq(chdir)} || exit 1\n`;
}

/**
 * The creates/removes guard in one read-only request (relative paths from chdir when given):
 * which of the two says not to run, creates first as Ansible checks it; none when neither is given.
 */
export async function guardHit(ctx: ModuleContext, args: Pick<RunArgs, 'creates' | 'removes' | 'chdir'>): Promise<'creates' | 'removes' | undefined> {
  if (args.creates === undefined && args.removes === undefined) return undefined;
  const lines: string[] = [];
  if (args.chdir !== undefined) lines.push(`cd -- ${shq(args.chdir)} 2>/dev/null || :`);
  if (args.creates !== undefined) lines.push(`[ -e ${shq(args.creates)} ] && echo creates`);
  if (args.removes !== undefined) lines.push(`[ -e ${shq(args.removes)} ] || echo removes`);
  lines.push('exit 0');
  const hit = (await ctx.conn.exec(lines.join('\n') + '\n', { label: 'guard', readOnly: true })).stdout.split('\n');
  return hit.includes('creates') ? 'creates' : hit.includes('removes') ? 'removes' : undefined;
}

export async function planRun(ctx: ModuleContext, args: RunArgs, shown: string): Promise<Plan<RunState>> {
  const hit = await guardHit(ctx, args);
  if (hit !== undefined) {
    const msg = hit === 'creates' ? `skipped, since ${args.creates} exists` : `skipped, since ${args.removes} does not exist`;
    return { changed: false, msg, result: { cmd: shown, rc: 0, stdout: msg, stdout_lines: [msg], stderr: '', stderr_lines: [] }, state: { skipped: true } };
  }
  return { changed: true, unpredictable: true, msg: `would run: ${shown}` };
}

/**
 * The result of a command Ansible runs without a module (raw, script: _low_level_execute_command):
 * output as it came, lines as Python's splitlines; no cmd and no times.
 */
export function lowLevelResult(r: ExecResult): Record<string, unknown> {
  return { rc: r.exitCode, stdout: r.stdout, stdout_lines: pySplitlines(r.stdout), stderr: r.stderr, stderr_lines: pySplitlines(r.stderr) };
}

/** Ansible's timestamp format: 2024-05-01 12:00:00.123000 (local time). */
function stamp(d: Date): string {
  const p = (n: number, w = 2): string => String(n).padStart(w, '0');
  return `${d.getFullYear()}-${p(d.getMonth() + 1)}-${p(d.getDate())} ${p(d.getHours())}:${p(d.getMinutes())}:${p(d.getSeconds())}.${p(d.getMilliseconds(), 3)}000`;
}

function delta(ms: number): string {
  const s = Math.floor(ms / 1000);
  const us = Math.round((ms - s * 1000) * 1000);
  return `${Math.floor(s / 3600)}:${String(Math.floor(s / 60) % 60).padStart(2, '0')}:${String(s % 60).padStart(2, '0')}.${String(us).padStart(6, '0')}`;
}

const stripEnd = (s: string): string => s.replace(/[\r\n]+$/, '');
const lines = (s: string): string[] => (s === '' ? [] : s.split(/\r?\n/));

export async function applyRun(
  ctx: ModuleContext,
  args: RunArgs,
  plan: Plan<RunState>,
  script: string,
  cmd: string | string[],
): Promise<Outcome> {
  if (plan.state?.skipped) return { changed: false, msg: plan.msg, result: plan.result };
  let stdin: string | undefined;
  if (args.stdin !== undefined) stdin = args.stdin_add_newline === false ? args.stdin : args.stdin + '\n';
  const start = new Date();
  const r = await ctx.conn.exec(cdLine(args.chdir) + script, { stdin, label: 'run' });
  const end = new Date();
  const stdout = stripEnd(r.stdout);
  const stderr = stripEnd(r.stderr);
  const result = {
    cmd,
    rc: r.exitCode,
    stdout,
    stderr,
    stdout_lines: lines(stdout),
    stderr_lines: lines(stderr),
    start: stamp(start),
    end: stamp(end),
    delta: delta(end.getTime() - start.getTime()),
  };
  if (r.exitCode !== 0) return { changed: true, failed: true, msg: 'non-zero return code', result };
  return { changed: true, result };
}
