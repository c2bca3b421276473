// Several read-only requests in ONE request, run concurrently on the host: the request a task is
// making now and the reads later tasks will make (their modules' `reads`, prefetch.ts). Each
// request runs in its own subshell exactly as the channel would run it alone (same script text, same
// stdin bytes), with its stdout and stderr in files of a private `mktemp -d` directory (removed by a
// trap), so concurrent output never interleaves. After `wait`, one header line gives every exit
// code, one `wc -c` gives every size and one `cat` sends every output: four programs for the batch,
// whatever its size.
//
// Stdin travels without a file and without argv: the payloads are lines, read with the `read`
// builtin into shell variables first and fed to each request through a pipe from the builtin
// printf. So only a payload of whole lines (ending in "\n", no NUL) can ride in a batch; any other
// request goes alone.
import type { ExecOptions } from '../executor/types.js';
import type { ReadRequest } from '../modules/types.js';

export type { ReadRequest };

/** What one request of a batch gave, as the channel would have answered it alone. */
export interface ReadAnswer {
  exitCode: number;
  stdout: string;
  stderr: string;
  raw: Buffer;
}

const HEAD = 'bosun-reads';

/** The request's stdin as text of whole lines ('' when none), or null when it cannot ride in a batch. */
export function batchableStdin(opts: ExecOptions): string | null {
  if (opts.stdoutSink) return null;
  const s = opts.stdin;
  if (s === undefined) return '';
  const text = typeof s === 'string' ? s : Buffer.isBuffer(s) ? s.toString('utf8') : null;
  if (text === null || (Buffer.isBuffer(s) && !Buffer.from(text, 'utf8').equals(s))) return null;
  if (text !== '' && !text.endsWith('\n')) return null;
  return text.includes('\0') ? null : text;
}

/** The identity of a read: the same script with the same stdin asks the same question. */
export function readKey(script: string, stdin: string): string {
  return `${stdin.length}\0${stdin}\0${script}`;
}

/** The batch's script. Every request must have a batchable stdin (batchableStdin). */
export function readBatchScript(reqs: readonly ReadRequest[]): string {
  const n = reqs.length;
  const stdins = reqs.map((r) => batchableStdin(r.opts));
  const v = (i: number) => `__bosun_rv${i}`;
  const L: string[] = [];
  stdins.forEach((s, i) => {
    const lines = s ? s.split('\n').length - 1 : 0;
    L.push(`${v(i)}=`);
    // `read -r` with an empty IFS keeps each line as it is (backslashes, blanks)
    if (lines > 0) L.push(`__bosun_ri=0; while [ $__bosun_ri -lt ${lines} ]; do IFS= read -r __bosun_rl || exit 96; ${v(i)}="$${v(i)}$__bosun_rl\n"; __bosun_ri=$((__bosun_ri + 1)); done`);
  });
  L.push(
    `__bosun_rd=$(mktemp -d "\${TMPDIR:-/tmp}/bosun-reads.XXXXXXXX") || exit 97`,
    `trap 'rm -rf "$__bosun_rd"' EXIT`,
    // a signal still runs the EXIT trap (dash skips it on a plain signal death)
    `trap 'exit 129' HUP INT TERM`,
  );
  const all = reqs.map((_, i) => v(i)).join(' ');
  reqs.forEach((r, i) => {
    // the subshell sees none of the other requests' payloads; the request's text is on lines of its own
    const body = `(\nunset ${all} __bosun_rd __bosun_ri __bosun_rl\n${r.script}\n)`;
    const out = `>"$__bosun_rd/${i}o" 2>"$__bosun_rd/${i}e"`;
    L.push(stdins[i] ? `printf '%s' "$${v(i)}" | ${body} ${out} &` : `${body} </dev/null ${out} &`, `__bosun_rp${i}=$!`);
  });
  L.push(`unset ${all}`);
  for (let i = 0; i < n; i++) L.push(`wait "$__bosun_rp${i}"; __bosun_rc${i}=$?`);
  L.push(
    `echo "${HEAD} ${reqs.map((_, i) => `$__bosun_rc${i}`).join(' ')}"`,
    // sizes on lines of their own; `cd` keeps the directory's name (which may hold anything) out of them
    `cd "$__bosun_rd" || exit 98`,
    `wc -c ${reqs.flatMap((_, i) => [`${i}o`, `${i}e`]).join(' ')} || exit 98`,
    `cat ${reqs.flatMap((_, i) => [`${i}o`, `${i}e`]).join(' ')} || exit 98`,
    `cd / && exit 0`,
  );
  return L.join('\n');
}

/**
 * Splits a batch's stdout into its requests' answers, in order. Throws when the output is not
 * exactly as announced (the caller then runs its own request alone and trusts nothing else).
 */
export function parseReadBatch(raw: Buffer, n: number): ReadAnswer[] {
  let pos = 0;
  const line = (): string => {
    const nl = raw.indexOf(0x0a, pos);
    if (nl < 0) throw new Error(`read batch: output cut off at byte ${pos}`);
    const s = raw.subarray(pos, nl).toString('latin1');
    pos = nl + 1;
    return s;
  };
  const head = line().split(' ');
  if (head[0] !== HEAD || head.length !== n + 1 || !head.slice(1).every((c) => /^\d+$/.test(c))) {
    throw new Error(`read batch: unexpected header ${JSON.stringify(head.join(' ').slice(0, 80))}`);
  }
  const sizes: number[] = [];
  for (let i = 0; i < 2 * n; i++) {
    const m = /^\s*(\d+)\s+(\d+)([oe])$/.exec(line());
    if (!m || Number(m[2]) !== i >> 1 || m[3] !== (i % 2 ? 'e' : 'o')) throw new Error(`read batch: bad size line for output ${i}`);
    sizes.push(Number(m[1]));
  }
  // two files or more: wc ends with their total
  if (!/^\s*\d+\s+total$/.test(line())) throw new Error('read batch: no total line');
  const out: ReadAnswer[] = [];
  for (let i = 0; i < n; i++) {
    const o = sizes[2 * i]!;
    const e = sizes[2 * i + 1]!;
    if (pos + o + e > raw.length) throw new Error(`read batch: request ${i} announces ${o + e} bytes, ${raw.length - pos} left`);
    const stdout = raw.subarray(pos, pos + o);
    out.push({ exitCode: Number(head[i + 1]), raw: stdout, stdout: stdout.toString('utf8'), stderr: raw.subarray(pos + o, pos + o + e).toString('utf8') });
    pos += o + e;
  }
  if (pos !== raw.length) throw new Error(`read batch: ${raw.length - pos} unexpected trailing byte(s)`);
  return out;
}
