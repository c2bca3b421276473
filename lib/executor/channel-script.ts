// The remote half of the SSH channel: a short fixed bootstrap (the only thing in any argv) and the
// dispatcher loop it receives over stdin. Plain POSIX sh (dash, busybox ash): no Python, no agent.
//
// Wire protocol (all on ssh's stdin/stdout):
//   bootstrap  <- "<loop length>\n" <loop bytes>
//              -> "<marker> ready\n"                      (after any login-shell noise)
//   request    <- "<script length> <payload length>\n" <script bytes> <payload bytes> ".\n"
//   response   -> "<marker> <exit code> <stdout length> <stderr length>\n" <stdout bytes> <stderr bytes>
// Every length is in bytes and exact, so output may contain anything (NUL, fake markers, no final
// newline); the marker only catches a desynchronised stream early. The ".\n" trailer proves the
// request arrived whole: when the channel dies mid-request, head returns short at EOF, and without
// it a truncated script or payload would still run (e.g. replace a file with a cut-off copy).
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
export function dispatcherLoop(marker: string): string {
  if (!/^[A-Za-z0-9_-]+$/.test(marker)) throw new Error(`bad channel marker: ${marker}`);
  // Forks per request are the cost (≈1 ms each): head for the script, the subshell, one wc, plus
  // head for the payload/outputs only when non-empty. Each request gets fresh file names: a
  // background job of an earlier script that still holds its stdin/stdout file can neither read
  // a later payload nor corrupt a later output; used files are truncated at once (builtin, may
  // hold secrets) and unlinked in batches.
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
_bn=0
printf '%s ready\\n' "$_bm"
while read -r _bsl _bpl; do
  _bn=$((_bn + 1))
  head -c "$_bsl" >"s$_bn"
  if [ "$_bpl" -gt 0 ]; then head -c "$_bpl" >"i$_bn"; else : >"i$_bn"; fi
  read -r _bend && [ "$_bend" = . ] || exit 98
  (
    cd "$_bh" || exit 125
    umask "$_bu"
    _bf=$_bd/s$_bn
    unset _bd _bm _bh _bn _bsl _bpl _bend _bu
    set --
    . "$_bf"
  ) <"i$_bn" >"o$_bn" 2>"e$_bn"
  _brc=$?
  : >"s$_bn"; : >"i$_bn"
  set -- $(wc -c "o$_bn" "e$_bn")
  printf '%s %s %s %s\\n' "$_bm" "$_brc" "$1" "$3"
  # head -c: exactly the announced sizes even if a background job keeps writing.
  if [ "$1" -gt 0 ]; then head -c "$1" "o$_bn"; fi
  if [ "$3" -gt 0 ]; then head -c "$3" "e$_bn"; fi
  : >"o$_bn"; : >"e$_bn"
  if [ $((_bn % 64)) -eq 0 ]; then rm -f -- [soie][0-9]*; fi
done
`;
}
