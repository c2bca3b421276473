// Differential testing against Ansible, the oracle: the same inputs through `ansible-playbook` /
// `ansible-inventory` 2.14 and through bosun, outputs compared after normalisation.
//
// Cost: ansible-playbook pays ~1.5 s of start-up per run, so cases are batched: each case is a play
// on a host of its own (all hosts `ansible_connection=local`), one playbook holds many cases, and a
// transcript is split back per host. Cases that abort a whole run (parse errors, exit codes) run
// on their own, a few at a time.
import type { Test } from 'tap';
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, writeFileSync, mkdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { bosun, recapLine } from './run.js';

export interface Proc {
  code: number;
  stdout: string;
  stderr: string;
}

/** Environment that keeps ansible quiet and deterministic (no colour, no cows, no retry files, no user config). */
export function ansibleEnv(extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { ...process.env };
  for (const k of Object.keys(env)) if (k.startsWith('ANSIBLE_') || k.startsWith('BOSUN_')) delete env[k];
  return {
    ...env,
    ANSIBLE_NOCOLOR: '1',
    ANSIBLE_NOCOWS: '1',
    ANSIBLE_RETRY_FILES_ENABLED: '0',
    ANSIBLE_HOST_KEY_CHECKING: '0',
    ANSIBLE_LOCALHOST_WARNING: '0',
    ANSIBLE_INVENTORY_UNPARSED_WARNING: '0',
    ANSIBLE_DEPRECATION_WARNINGS: '0',
    ANSIBLE_SYSTEM_WARNINGS: '0',
    ANSIBLE_PYTHON_INTERPRETER: '/usr/bin/python3',
    ANSIBLE_LOCAL_TEMP: join(tmpdir(), 'bosun-diff-ansible-tmp'),
    NO_COLOR: '1',
    ...extra,
  };
}

export function ansibleInstalled(): boolean {
  return existsSync('/usr/bin/ansible-playbook') && existsSync('/usr/bin/ansible-inventory');
}

/** Runs an ansible CLI (ansible-playbook, ansible-inventory, ansible, ansible-vault) in `cwd`. */
export function runAnsible(cmd: string, args: string[], cwd: string, env: Record<string, string> = {}, input?: string): Promise<Proc> {
  return new Promise((resolveP, reject) => {
    const p = spawn(cmd, args, { cwd, env: ansibleEnv(env), stdio: ['pipe', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    p.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    p.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    p.on('error', reject);
    p.on('close', (code) => resolveP({ code: code ?? -1, stdout, stderr }));
    p.stdin.end(input ?? '');
  });
}

/**
 * bosun in this process (coverage counts), with `cwd` as the working directory and only `env`'s
 * ANSIBLE_/BOSUN_ variables set, so ansible.cfg lookups see what ansible sees.
 */
let bosunQueue: Promise<unknown> = Promise.resolve();

export function runBosun(argv: string[], cwd: string, env: Record<string, string> = {}): Promise<Proc> {
  // cwd and env are the process's: one in-process run at a time
  const p = bosunQueue.then(() => runBosunNow(argv, cwd, env));
  bosunQueue = p.catch(() => undefined);
  return p;
}

async function runBosunNow(argv: string[], cwd: string, env: Record<string, string>): Promise<Proc> {
  const saved = { ...process.env };
  const oldCwd = process.cwd();
  for (const k of Object.keys(process.env)) if (k.startsWith('ANSIBLE_') || k.startsWith('BOSUN_')) delete process.env[k];
  Object.assign(process.env, env);
  process.chdir(cwd);
  try {
    const { code, stdout, stderr } = await bosun(argv);
    return { code, stdout, stderr };
  } finally {
    process.chdir(oldCwd);
    for (const k of Object.keys(process.env)) if (!(k in saved)) delete process.env[k];
    Object.assign(process.env, saved);
  }
}

/** A fresh directory holding `files` (path → content). */
export function workDir(files: Record<string, string>, prefix = 'bosun-diff-'): string {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  for (const [p, content] of Object.entries(files)) {
    const full = join(dir, p);
    mkdirSync(dirname(full), { recursive: true });
    writeFileSync(full, content, { mode: p.endsWith('.sh') || p.endsWith('.py') ? 0o755 : 0o644 });
  }
  return dir;
}

export interface ResultEvent {
  play: string;
  task: string;
  status: string;
  host: string;
  item?: string;
  /** The JSON a result printed (debug output, failure), volatile keys removed. */
  data?: unknown;
  ignored?: boolean;
}

export interface Transcript {
  events: ResultEvent[];
  recap: Map<string, Record<string, number>>;
  /** Other notable lines (skipping: no hosts matched, NO MORE HOSTS LEFT, included: …), in order. */
  notes: string[];
}

const VOLATILE = new Set(['start', 'end', 'delta', 'invocation', '_ansible_no_log', '_ansible_verbose_always', 'changed', 'failed', 'stdout_lines', 'stderr_lines']);

function clean(v: unknown): unknown {
  if (Array.isArray(v)) return v.map(clean);
  if (v && typeof v === 'object') {
    const out: Record<string, unknown> = {};
    for (const [k, x] of Object.entries(v)) if (!VOLATILE.has(k) && !k.startsWith('_ansible')) out[k] = clean(x);
    return out;
  }
  return v;
}

/** Python's repr of an item label vs JSON: compare them on a common form. */
function normItem(s: string): string {
  return s.replace(/'/g, '"').replace(/\bTrue\b/g, 'true').replace(/\bFalse\b/g, 'false').replace(/\bNone\b/g, 'null').replace(/\s+/g, '');
}

const RESULT = /^(ok|changed|skipping|fatal|failed|included|unreachable): \[([^\]]+)\](.*)$/;

/** Splits an ansible-playbook (or bosun run) transcript into per-host events and the recap. */
export function parseTranscript(text: string): Transcript {
  const lines = text.split('\n');
  const events: ResultEvent[] = [];
  const recap = new Map<string, Record<string, number>>();
  const notes: string[] = [];
  let play = '';
  let task = '';
  let inRecap = false;
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i]!;
    let m: RegExpExecArray | null;
    if ((m = /^PLAY \[(.*)\] \*+$/.exec(line))) {
      play = m[1]!;
      continue;
    }
    if ((m = /^(?:TASK|RUNNING HANDLER) \[(.*)\] \*+$/.exec(line))) {
      task = m[1]!;
      continue;
    }
    if (/^PLAY RECAP \*+$/.test(line)) {
      inRecap = true;
      continue;
    }
    if (inRecap) {
      const r = recapLine(line);
      if (r) recap.set(r[0], r[1]);
      continue;
    }
    if (/^(skipping: no hosts matched|NO MORE HOSTS LEFT|ERROR! No matching task)/.test(line)) {
      notes.push(line.replace(/\s*\*+$/, ''));
      continue;
    }
    if ((m = RESULT.exec(line))) {
      const [, status, who, rest] = m;
      const host = who!.split(' -> ')[0]!.replace(/^included: .*/, '');
      const ev: ResultEvent = { play, task, status: status!, host };
      let tail = rest!;
      if (status === 'included') {
        // `included: /path/file.yml for h1, h2`
        const im = /^ ?(?:.*) for (.*)$/.exec(line.slice('included: '.length));
        if (im) for (const h of im[1]!.split(', ')) events.push({ play, task, status: 'included', host: h.split(' => ')[0]! });
        continue;
      }
      // ansible: `ok: [h] => (item=x) => {`; older bosun: `ok: [h] (item=x) => {`
      const im = /^(?: =>)? \(item=(.*?)\) ?(?= =>|$)/.exec(tail);
      if (im) {
        ev.item = normItem(im[1]!);
        tail = tail.slice(im[0].length);
      }
      tail = tail.replace(/^: FAILED!/, '').replace(/^: UNREACHABLE!/, '');
      const jm = /^ => (.*)$/.exec(tail);
      if (jm) {
        let json = jm[1]!;
        if (json === '{') {
          // multi-line body up to the closing brace at column 0
          const body = ['{'];
          while (i + 1 < lines.length) {
            const l = lines[++i]!;
            body.push(l);
            if (l === '}') break;
          }
          json = body.join('\n');
        }
        try {
          ev.data = clean(JSON.parse(json));
        } catch {
          ev.data = json;
        }
      }
      if (lines[i + 1] === '...ignoring') ev.ignored = true;
      events.push(ev);
    }
  }
  return { events, recap, notes };
}

/** One host's events as comparable rows: `task | status | item | data`. */
export function hostRows(t: Transcript, host: string, opts: { data?: (ev: ResultEvent) => boolean } = {}): string[] {
  return t.events
    .filter((e) => e.host === host)
    .map((e) => {
      const showData = e.data !== undefined && (opts.data ? opts.data(e) : e.status === 'ok' || e.status === 'changed');
      return [e.task, e.status + (e.ignored ? ' (ignored)' : ''), e.item ?? '', showData ? JSON.stringify(e.data) : ''].join(' | ').replace(/( \| )+$/, '');
    });
}

/**
 * One subtest per host: ansible's transcript has at least `minRows` results for it (so the case ran), and
 * bosun's results and recap line are the same.
 */
export function sameHostResults(t: Test, ta: Transcript, tb: Transcript, hosts: readonly string[], minRows: number): void {
  for (const h of hosts) {
    t.test(h, async (t) => {
      const ra = hostRows(ta, h);
      t.ok(ra.length >= minRows, 'ansible produced results for this case');
      t.same(hostRows(tb, h), ra, 'task results');
      t.same(tb.recap.get(h), ta.recap.get(h), 'recap line');
    });
  }
}
