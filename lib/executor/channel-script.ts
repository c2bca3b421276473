// The remote half of the SSH channel: a short fixed bootstrap (the only thing in any argv) and the
// dispatcher loop it receives over stdin. Plain POSIX sh (dash, busybox ash): no Python, no agent.
//
// Wire protocol (all on ssh's stdin/stdout):
//   bootstrap  <- "<loop length>\n" <loop bytes>
//              -> "<marker> ready\n"                      (after any login-shell noise)
//   request    <- "<script length> <payload length> <script lines> <text>\n" <script bytes> <payload bytes> ".\n"
//   response   -> "<marker> <exit code> <stdout length> <stderr length>\n" <stdout bytes> <stderr bytes>
//   text resp. -> "<marker> <exit code> <stdout length> <stderr length> t\n" <stdout bytes> "<marker>\n" <stderr bytes>
// Every length is in bytes and exact, so output may contain anything (NUL, fake markers, no final
// newline); the marker only catches a desynchronised stream early. The ".\n" trailer proves the
// request arrived whole: when the channel dies mid-request, head returns short at EOF, and without
// it a truncated script or payload would still run (e.g. replace a file with a cut-off copy).
//
// Every fork+exec on the host costs ~1.25 ms of its CPU, so the loop spends them only where needed:
// - <script lines> > 0: a short script (channel.ts decides) is read line by line with the `read`
//   builtin and written back with `printf`, no `head`; 0: `head -c <script length>`.
// - an output file of up to READ_MAX bytes is sent through `read` and `printf` when the bytes read
//   count what `wc` said (a NUL, which `read` drops, makes them differ: then `head`).
// - <text> 1: bosun's own probes whose output is text without NUL (ExecOptions.text): stdout is
//   captured in a variable and answered with builtins (`printf`, `\${#var}`), no `wc`/`head`. Its
//   length is counted with LC_ALL=C (bash counts characters otherwise); a shell that still counts
//   characters fails the self-test at bootstrap and answers every request from files. The marker
//   after the stdout bytes makes a wrong length a protocol error (the channel is dropped), never a
//   silently wrong answer.
import { shq } from './types.js';

/**
 * Remote command line given to ssh. Fixed and short: it reads one length line with the `read`
 * builtin (which reads byte by byte on a pipe, so it never swallows what follows) and evals exactly
 * that many bytes, read by `head -c` (GNU head reads min(buffer, remaining) on a pipe: no over-read).
 */
export function bootstrapCommand(become?: { user: string }): string {
  const boot = `sh -c ${shq('read -r n && eval "$(head -c "$n")"')}`;
  // sudo runs the whole channel: one authentication, and every request is already privileged.
  return become ? `sudo -n -u ${shq(become.user)} ${boot}` : boot;
}

/**
 * Dispatcher loop for one channel. The marker is random per channel and travels on stdin only.
 * Variables use a `_b` prefix and are unset before eval, so scripts see a clean namespace.
 */
/** Outputs up to this many bytes are sent through the `read` builtin (~1 µs a byte) instead of a `head` (~1.25 ms). */
export const READ_MAX = 512;

/** The request's subshell: the login's cwd and umask, none of the loop's names, no arguments. */
const RUN = `(
      cd "$_bh" || exit 125
      umask "$_bu"
      _bf=$_bd/s$_bn
      unset _bd _bm _bh _bn _bsl _bpl _bll _btm _btx _bend _bu _bo _bl _bsv _bs _bx _bi _brc
      unset -f _blen _bcat
      set --
      . "$_bf"
    )`;

export function dispatcherLoop(marker: string): string {
  if (!/^[A-Za-z0-9_-]+$/.test(marker)) throw new Error(`bad channel marker: ${marker}`);
  // Per request: the subshell (text: two forks, the substitution and the subshell in it), head for
  // a long script, head for a payload, and in files mode wc plus head per non-empty output. Each
  // request gets fresh file names: a background job of an earlier script that still holds its
  // stdin/stdout file can neither read a later payload nor corrupt a later output; used files are
  // truncated at once (builtin, may hold secrets) and unlinked in batches.
  // The channel's own files are private (077); each request gets the login umask back.
  return `_bu=$(umask)
umask 077
_bd=$(mktemp -d "\${TMPDIR:-/tmp}/bosun.XXXXXXXX") || exit 97
trap 'rm -rf "$_bd"' EXIT
trap 'exit 129' HUP INT TERM PIPE
_bm=${marker}
# under sudo -u USER the inherited cwd (e.g. /root) may be closed to USER: use its home, else /
[ -x "$PWD" ] || cd "\${HOME:-/}" 2>/dev/null || cd /
_bh=$PWD
cd "$_bd" || exit 97
# _bl: the byte length of $_bo. LC_ALL=C makes bash count bytes; LC_ALL is put back exactly (unset or its value)
_blen() {
  if [ -n "\${LC_ALL+x}" ]; then _bsv=$LC_ALL; LC_ALL=C; _bl=\${#_bo}; LC_ALL=$_bsv; else LC_ALL=C; _bl=\${#_bo}; unset LC_ALL; fi
}
# _bcat FILE N: the N bytes of FILE. A short one through read, no process, when the bytes read count N
# (a NUL, which read drops, or a background job still writing makes them differ): else head -c.
# Reading stops at the first line beyond N bytes, so a job that keeps writing lines cannot hold it.
_bcat() {
  if [ "$2" -le ${READ_MAX} ] && [ "$_btx" = 1 ]; then
    _bo=; _bx=; while IFS= read -r _bx; do _bo="$_bo$_bx
"; _bx=; _blen; [ "$_bl" -gt "$2" ] && break; done <"$1"; _bo=$_bo$_bx; _blen
    if [ "$_bl" = "$2" ]; then printf '%s' "$_bo"; _bo=; return; fi
    _bo=
  fi
  head -c "$2" "$1"
}
# self-test: a 2-byte UTF-8 character must count 2, else text requests are answered from files
_bo='\u00e9'; _blen; _btx=0; [ "$_bl" = 2 ] && _btx=1; _bo=
_bn=0
printf '%s ready\\n' "$_bm"
while read -r _bsl _bpl _bll _btm; do
  _bn=$((_bn + 1))
  if [ "$_bll" -gt 0 ]; then
    _bs=; _bi=0
    while [ "$_bi" -lt "$_bll" ]; do IFS= read -r _bx || exit 98; _bs="$_bs$_bx
"; _bi=$((_bi + 1)); done
    printf '%s' "$_bs" >"s$_bn"; _bs=; _bx=
  else head -c "$_bsl" >"s$_bn"; fi
  if [ "$_bpl" -gt 0 ]; then head -c "$_bpl" >"i$_bn"; else : >"i$_bn"; fi
  read -r _bend && [ "$_bend" = . ] || exit 98
  if [ "$_btm" = 1 ] && [ "$_btx" = 1 ]; then
    # ".<exit code>" after the output keeps its trailing newlines and carries the code out
    _bo=$( ${RUN} <"i$_bn" 2>"e$_bn"; printf .%s "$?")
    _brc=\${_bo##*.}; _bo=\${_bo%.*}
    : >"s$_bn"; : >"i$_bn"
    if [ -s "e$_bn" ]; then set -- $(wc -c "e$_bn"); else set -- 0; fi
    _blen
    printf '%s %s %s %s t\\n%s%s\\n' "$_bm" "$_brc" "$_bl" "$1" "$_bo" "$_bm"
    _bo=
    if [ "$1" -gt 0 ]; then _bcat "e$_bn" "$1"; fi
    : >"e$_bn"
  else
    ${RUN} <"i$_bn" >"o$_bn" 2>"e$_bn"
    _brc=$?
    : >"s$_bn"; : >"i$_bn"
    # no wc when nothing was printed (the common case for stderr)
    if [ -s "o$_bn" ] || [ -s "e$_bn" ]; then set -- $(wc -c "o$_bn" "e$_bn"); else set -- 0 o 0; fi
    printf '%s %s %s %s\\n' "$_bm" "$_brc" "$1" "$3"
    # exactly the announced sizes even if a background job keeps writing
    if [ "$1" -gt 0 ]; then _bcat "o$_bn" "$1"; fi
    if [ "$3" -gt 0 ]; then _bcat "e$_bn" "$3"; fi
    : >"o$_bn"; : >"e$_bn"
  fi
  if [ $((_bn % 64)) -eq 0 ]; then rm -f -- [soie][0-9]*; fi
done
`;
}
