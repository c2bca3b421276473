// Runs the bosun CLI for tests: in-process (fast, coverage counts; used by most tests), or as a
// child process of the built bin (dist/bin/bosun.js) when bin/'s exit-code mapping matters. The one
// in-process runner and the one recap parser of the test suite.
import { spawn, spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, lstatSync, readdirSync, readFileSync, readlinkSync, writeFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Test } from 'tap';
import { stringify } from 'yaml';
import { runCommand } from '../../lib/cli/run.js';
import { main } from '../../lib/cli/main.js';
import { BosunError } from '../../lib/errors.js';
import type { HostStats } from '../../lib/engine/report.js';

export interface RunResult {
  code: number;
  stdout: string;
  stderr: string;
  /** The BosunError thrown (parse/options errors), if any. */
  error?: BosunError;
}

/** `bosun run ARGV` in this process (see bosun()). */
export function run(argv: string[], onOut?: (soFar: string) => void): Promise<RunResult> {
  return bosun(['run', ...argv], { onOut });
}

/**
 * `bosun ARGV` in this process: `run …` through runCommand, other commands through main. Errors are
 * mapped like bin/bosun.ts does: a BosunError becomes `ERROR! <oneLine>` on stderr and its exit code;
 * anything else is re-thrown (a bug, not bad input).
 */
export async function bosun(argv: string[], opts: { onOut?: (soFar: string) => void } = {}): Promise<RunResult> {
  let stdout = '';
  let stderr = '';
  const io = {
    out: (s: string) => {
      stdout += s;
      opts.onOut?.(stdout);
    },
    err: (s: string) => void (stderr += s),
    isTTY: false,
  };
  try {
    const code = argv[0] === 'run' ? await runCommand(argv.slice(1), io) : await main(argv, io);
    return { code, stdout, stderr };
  } catch (e) {
    if (e instanceof BosunError) {
      stderr += `ERROR! ${e.oneLine()}\n`;
      return { code: e.exitCode, stdout, stderr, error: e };
    }
    throw e;
  }
}

export const repoRoot = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');
export const binPath = join(repoRoot, 'dist', 'bin', 'bosun.js');
/** The `bosun` command as installed (package.json bin): the bundle of .ci/bundle.mjs. */
export const bundlePath = join(repoRoot, 'dist', 'bundle', 'bosun.mjs');

/** Spawns the built CLI (`node dist/bin/bosun.js ARGV`, or `bin`); the caller should skip when it is not built. */
export function spawnBosun(argv: string[], opts: { cwd?: string; env?: NodeJS.ProcessEnv; bin?: string } = {}): RunResult {
  const r = spawnSync(process.execPath, [opts.bin ?? binPath, ...argv], {
    cwd: opts.cwd ?? repoRoot,
    env: { ...process.env, NO_COLOR: '1', ...opts.env },
    encoding: 'utf8',
    timeout: 60_000,
  });
  return { code: r.status ?? -1, stdout: r.stdout, stderr: r.stderr };
}

/**
 * A child's exit code and output, without blocking the event loop (an in-process bosun run beside it
 * goes on); killed after `timeoutMs`. A spawn error is a code of -1 with the error on stderr.
 */
export function spawnCollect(cmd: string, args: string[], opts: { env?: NodeJS.ProcessEnv; cwd?: string; timeoutMs: number }): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const p = spawn(cmd, args, { env: opts.env, cwd: opts.cwd, stdio: ['ignore', 'pipe', 'pipe'], timeout: opts.timeoutMs });
    let stdout = '';
    let stderr = '';
    p.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    p.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    p.on('error', (e) => (stderr += String(e)));
    p.on('close', (code) => resolve({ code: code ?? -1, stdout, stderr }));
  });
}

export function binBuilt(): boolean {
  return existsSync(binPath);
}

/** One host's recap counters: the reporter's HostStats, read back from the console. */
export type RecapLine = HostStats;

/** Parses the (last) PLAY RECAP of console output into host → counters. */
export function recap(stdout: string): Record<string, RecapLine> {
  const out: Record<string, RecapLine> = {};
  const at = stdout.lastIndexOf('PLAY RECAP');
  if (at < 0) return out;
  for (const line of stdout.slice(at).split('\n').slice(1)) {
    const r = recapLine(line);
    if (r) out[r[0]] = r[1] as unknown as RecapLine;
  }
  return out;
}

/** One recap line `host : ok=1 changed=0 …` (bosun's or ansible-playbook's) as [host, counters]. */
export function recapLine(line: string): [string, Record<string, number>] | undefined {
  const m = /^(\S+)\s+:\s+(.*)$/.exec(line);
  if (!m) return undefined;
  const counts: Record<string, number> = {};
  for (const kv of m[2]!.matchAll(/(\w+)=(\d+)/g)) counts[kv[1]!] = Number(kv[2]);
  return [m[1]!, counts];
}

/** path+mode+content (or link target, or device) of every entry under dir, as one sorted map — for byte-identity checks. */
export function treeHash(dir: string): Record<string, string> {
  const out: Record<string, string> = {};
  const walk = (d: string) => {
    for (const name of readdirSync(d).sort()) {
      const p = join(d, name);
      const st = lstatSync(p);
      const rel = relative(dir, p);
      const mode = (st.mode & 0o7777).toString(8);
      if (st.isSymbolicLink()) out[rel] = `link ${mode} -> ${readlinkSync(p)}`;
      else if (st.isDirectory()) {
        out[rel] = `dir ${mode}`;
        walk(p);
      } else if (st.isFile()) out[rel] = `file ${mode} ${createHash('sha256').update(readFileSync(p)).digest('hex')}`;
      // Lab hosts' upper dirs hold overlay whiteouts (0/0 character devices) for deleted files.
      else out[rel] = `special ${mode} ${st.isCharacterDevice() ? `char ${st.rdev}` : st.isBlockDevice() ? `block ${st.rdev}` : 'fifo/socket'}`;
    }
  };
  walk(dir);
  return out;
}

/** Task banner titles in order of appearance. */
export function taskTitles(stdout: string): string[] {
  return [...stdout.matchAll(/^(?:TASK|RUNNING HANDLER) \[(.*)\] \*+$/gm)].map((m) => m[1]!);
}

/**
 * A local differential on twin directories: ansible-playbook works in ROOT/ansible, bosun in
 * ROOT/bosun, each with the playbook written for its own directory, on localhost (local
 * connection). pair() runs both at once and returns their localhost recap lines; a run that
 * fails fails the test with its output.
 */
export function localTwins(
  t: Test,
  root: string,
  setUp: (dir: string) => void,
  playbook: (dir: string) => string,
): { ansibleDir: string; bosunDir: string; pair: () => Promise<[RecapLine, RecapLine]> } {
  const inv = join(root, 'inv.yml');
  writeFileSync(inv, stringify({ all: { hosts: { localhost: { ansible_connection: 'local', ansible_python_interpreter: '/usr/bin/python3' } } } }));
  const [ansibleDir, bosunDir] = [join(root, 'ansible'), join(root, 'bosun')];
  setUp(ansibleDir);
  setUp(bosunDir);
  writeFileSync(join(root, 'a.yml'), playbook(ansibleDir));
  writeFileSync(join(root, 'b.yml'), playbook(bosunDir));
  const env = { ...process.env, ANSIBLE_NOCOLOR: '1', ANSIBLE_RETRY_FILES_ENABLED: '0', ANSIBLE_LOCALHOST_WARNING: '0' };
  const viaAnsible = async (): Promise<RecapLine> => {
    const a = await spawnCollect('ansible-playbook', [join(root, 'a.yml'), '-i', inv], { env, timeoutMs: 300_000 });
    t.equal(a.code, 0, a.code === 0 ? 'ansible-playbook ran' : a.stdout + a.stderr);
    return recap(a.stdout).localhost!;
  };
  const viaBosun = async (): Promise<RecapLine> => {
    const b = await run([join(root, 'b.yml'), '-i', inv]);
    t.equal(b.code, 0, b.code === 0 ? 'bosun ran' : b.stdout + b.stderr);
    return recap(b.stdout).localhost!;
  };
  return { ansibleDir, bosunDir, pair: () => Promise.all([viaAnsible(), viaBosun()]) };
}
