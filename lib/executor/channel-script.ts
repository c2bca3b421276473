// The remote half of the SSH channel: a short fixed bootstrap (the only thing in any argv) and the
// dispatcher loop it receives over stdin. Plain POSIX sh (dash, busybox ash): no Python, no agent.
//
// Wire protocol (all on ssh's stdin/stdout):
//   bootstrap  <- "<loop length>\n" <loop bytes>
//              -> "<marker> ready\n"                      (after any login-shell noise)
//   request    <- "<script length> <payload length>\n" <script bytes> <payload bytes>
//   response   -> "<marker> <exit code> <stdout length> <stderr length>\n" <stdout bytes> <stderr bytes>
// Every length is in bytes and exact, so output may contain anything (NUL, fake markers, no final
// newline); the marker only catches a desynchronised stream early.
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
  return `umask 077
_bd=$(mktemp -d "\${TMPDIR:-/tmp}/bosun.XXXXXXXX") || exit 97
trap 'rm -rf "$_bd"' EXIT
trap 'exit 129' HUP INT TERM PIPE
_bm=${marker}
printf '%s ready\\n' "$_bm"
while read -r _bsl _bpl; do
  _bs=$(head -c "$_bsl"; echo x)
  if [ "$_bpl" -gt 0 ]; then head -c "$_bpl" >"$_bd/i"; else : >"$_bd/i"; fi
  (
    _bs=\${_bs%x}
    unset _bd _bm _bsl _bpl _brc _bol _bel
    eval "$_bs"
  ) <"$_bd/i" >"$_bd/o" 2>"$_bd/e"
  _brc=$?
  : >"$_bd/i"
  _bol=$(wc -c <"$_bd/o"); _bel=$(wc -c <"$_bd/e")
  printf '%s %s %s %s\\n' "$_bm" "$_brc" $_bol $_bel
  # head -c sends exactly the announced sizes even if a background job of the script still
  # writes; removing the files gives the next request fresh inodes such a job cannot touch.
  head -c $_bol "$_bd/o"; head -c $_bel "$_bd/e"
  rm -f "$_bd/o" "$_bd/e"
done
`;
}
