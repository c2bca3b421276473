// Running a Python 3 program of bosun's on a host (or the control node): the program's text comes
// in the request's script as a here-document on fd 3, so the program's stdin stays free for its
// input (JSON, credentials, file bytes) and nothing of either reaches a command line.
import { shq } from '../../executor/types.js';

const TAG = 'BOSUN_PY_EOF';

/** A script line setting $py to the host's python3, or failing with what needs it. */
export function locatePython(why: string): string {
  return `py=$(command -v python3) || { echo ${shq(`${why} needs python3 on the host (Python standard library)`)} >&2; exit 127; }`;
}

/**
 * Shell text running `program` with "$py" (locatePython) and `args` (already shell words);
 * `redirs` (e.g. " 2>&1") go before the here-document. Ends with the end marker line.
 */
export function runPython(program: string, args: string, redirs = ''): string {
  if (program.split('\n').includes(TAG)) throw new Error(`a Python program contains its here-document end marker ${TAG}`);
  return `"$py" /dev/fd/3 ${args}${redirs} 3<<'${TAG}'${program.startsWith('\n') ? '' : '\n'}${program}${program.endsWith('\n') ? '' : '\n'}${TAG}`;
}

/** locatePython then runPython. */
export function pythonCommand(program: string, args: string, why: string): string {
  return `${locatePython(why)}\n${runPython(program, args)}`;
}
