// Error classes with stable codes. bin/ maps `exitCode` to the process exit status, mirroring
// ansible-playbook 2.14: 0 ok, 1 error, 2 host failed, 4 host unreachable or parse error, 5 bad options,
// 99 interrupted, 250 unexpected.

export interface SourceLocation {
  file: string;
  line?: number; // 1-based
  col?: number; // 1-based
}

export function formatLocation(loc?: SourceLocation): string {
  if (!loc) return '';
  if (loc.line === undefined) return loc.file;
  return `${loc.file}:${loc.line}:${loc.col ?? 1}`;
}

export interface BosunErrorOptions {
  loc?: SourceLocation;
  /** A function is called once, when the hint is first read (a "did you mean" search is not free). */
  hint?: string | (() => string | undefined);
  cause?: unknown;
}

export class BosunError extends Error {
  /** Stable machine-readable code, e.g. E_PARSE. Never reworded. */
  readonly code: string = 'E_BOSUN';
  readonly exitCode: number = 1;
  readonly loc?: SourceLocation;
  // Errors are thrown and caught in normal flow too (the look-ahead evaluates conditions whose
  // variables do not exist yet): a hint is worked out only if someone reads it.
  #hint: string | (() => string | undefined) | undefined;

  constructor(message: string, opts: BosunErrorOptions = {}) {
    super(message, opts.cause === undefined ? undefined : { cause: opts.cause });
    this.name = new.target.name;
    this.loc = opts.loc;
    this.#hint = opts.hint;
  }

  get hint(): string | undefined {
    if (typeof this.#hint === 'function') this.#hint = this.#hint();
    return this.#hint;
  }

  /** One line: `file:line:col: message (hint)` — what operators grep for. */
  oneLine(): string {
    const where = formatLocation(this.loc);
    const hint = this.hint ? ` (${this.hint})` : '';
    return `${where ? where + ': ' : ''}${this.message}${hint}`.replace(/\s*\n\s*/g, ' ');
  }
}

/** YAML/JSON syntax errors and structurally invalid playbooks, inventories, roles (exit 4). */
export class ParseError extends BosunError {
  override readonly code: string = 'E_PARSE';
  override readonly exitCode = 4;
}

/** A task/module argument that is unknown, missing or of the wrong type (exit 4: found before anything runs). */
export class ArgumentError extends ParseError {
  override readonly code = 'E_ARGS';
}

/** Unknown module name (exit 4). */
export class UnknownModuleError extends ParseError {
  override readonly code = 'E_UNKNOWN_MODULE';
}

/** Undefined variable or bad template/expression (exit 4 at load, 2 when it happens during a host's task). */
export class TemplateError extends ParseError {
  override readonly code = 'E_TEMPLATE';
}

/** A referenced file (role, template, vars file, src) does not exist (exit 4). */
export class MissingFileError extends ParseError {
  override readonly code = 'E_MISSING_FILE';
}

/** Bad host pattern / inventory structure (exit 4). */
export class InventoryError extends ParseError {
  override readonly code = 'E_INVENTORY';
}

/** Bad command-line options (exit 5). */
export class OptionsError extends BosunError {
  override readonly code = 'E_OPTIONS';
  override readonly exitCode = 5;
}

/** A task failed on a host (exit 2 when it ends the run). */
export class TaskFailure extends BosunError {
  override readonly code: string = 'E_TASK_FAILED';
  override readonly exitCode = 2;
  readonly result?: Record<string, unknown>;
  constructor(message: string, opts: BosunErrorOptions & { result?: Record<string, unknown> } = {}) {
    super(message, opts);
    this.result = opts.result;
  }
}

/**
 * Thrown by a module's plan/apply for an ordinary task failure (bad remote state, command failed):
 * the task fails on that host, with `result` registered.
 */
export class ModuleFailure extends TaskFailure {
  override readonly code = 'E_MODULE_FAILED';
  constructor(message: string, result?: Record<string, unknown>) {
    super(message, { result });
  }
}

/**
 * A bug, not bad input: an unexpected exception in a module, or a module breaking its contract
 * (a write while planning in check mode). The task fails on that host; -vvv shows the stack.
 */
export class InternalError extends BosunError {
  override readonly code: string = 'E_INTERNAL';
  override readonly exitCode = 250;
}

/** A module broke the engine's contract (e.g. sent a request not marked read-only while planning in check mode). */
export class ModuleContractError extends InternalError {
  override readonly code = 'E_MODULE_CONTRACT';
}

/** The host cannot be reached (ssh exit 255, channel died and could not be reopened) (exit 4, as ansible-playbook 2.14). */
export class UnreachableError extends BosunError {
  override readonly code = 'E_UNREACHABLE';
  override readonly exitCode = 4;
}

/** SIGINT/SIGTERM (exit 99). */
export class InterruptedError extends BosunError {
  override readonly code = 'E_INTERRUPTED';
  override readonly exitCode = 99;
}

/** A request on a connection took longer than its timeout. */
export class TimeoutError extends BosunError {
  override readonly code = 'E_TIMEOUT';
  override readonly exitCode = 2;
}

/** Lab (namespaces, sshd) could not be set up or torn down. */
export class LabError extends BosunError {
  override readonly code = 'E_LAB';
  override readonly exitCode = 1;
}

/** Vault / lock / other environment problems that are not a host's fault. */
export class EnvironmentError extends BosunError {
  override readonly code = 'E_ENV';
  override readonly exitCode = 1;
}

/** The inventory, the play patterns and --limit leave no host to run on (ansible-playbook: exit 1). */
export class NoHostsError extends BosunError {
  override readonly code = 'E_NO_HOSTS';
  override readonly exitCode = 1;
}

export function isBosunError(e: unknown): e is BosunError {
  return e instanceof BosunError;
}

/** Levenshtein-based "did you mean" for unknown names. */
export function closest(name: string, candidates: Iterable<string>): string | undefined {
  let best: string | undefined;
  let bestD = Infinity;
  for (const c of candidates) {
    const d = editDistance(name, c);
    if (d < bestD) {
      bestD = d;
      best = c;
    }
  }
  return best !== undefined && bestD <= Math.max(2, Math.floor(name.length / 3)) ? best : undefined;
}

function editDistance(a: string, b: string): number {
  const prev = Array.from({ length: b.length + 1 }, (_, i) => i);
  for (let i = 1; i <= a.length; i++) {
    let diag = prev[0]!;
    prev[0] = i;
    for (let j = 1; j <= b.length; j++) {
      const tmp = prev[j]!;
      prev[j] = Math.min(prev[j]! + 1, prev[j - 1]! + 1, diag + (a[i - 1] === b[j - 1] ? 0 : 1));
      diag = tmp;
    }
  }
  return prev[b.length]!;
}

/** Vault: no password, wrong password, tampered or malformed vault data (exit 1, for `bosun run` too). */
export class VaultError extends BosunError {
  override readonly code = 'E_VAULT';
  override readonly exitCode = 1;
}
