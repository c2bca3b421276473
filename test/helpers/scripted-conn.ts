// A connection that answers from recorded output instead of a host: each request goes to the first
// rule whose label (or script) matches; a request no rule answers fails the test loudly. Package
// module tests replay what dpkg-query, apt-get -s, rpm and dnf printed on real systems.
import type { Connection, ExecOptions, ExecResult } from '../../lib/executor/types.js';

export interface Reply {
  stdout?: string;
  stderr?: string;
  exitCode?: number;
}

export interface Rule {
  /** Matches the request's label (string: equal; RegExp: tested) … */
  label?: string | RegExp;
  /** … and/or its script text. */
  script?: RegExp;
  reply: Reply | ((script: string) => Reply);
}

export class ScriptedConnection implements Connection {
  readonly kind = 'scripted';
  readonly stats = { requests: 0, processes: 0 };
  readonly sent: Array<{ label: string; script: string; readOnly: boolean; stdin?: string; secrets?: string[] }> = [];
  constructor(
    private readonly rules: Rule[],
    readonly host = 'scripted',
  ) {}
  async open(): Promise<void> {}
  async close(): Promise<void> {}
  async exec(script: string, opts: ExecOptions = {}): Promise<ExecResult> {
    const label = opts.label ?? 'exec';
    this.stats.requests++;
    const stdin = typeof opts.stdin === 'string' || Buffer.isBuffer(opts.stdin) ? opts.stdin.toString() : undefined;
    this.sent.push({ label, script, readOnly: opts.readOnly === true, stdin, secrets: opts.secrets });
    const rule = this.rules.find(
      (r) =>
        (r.label === undefined || (typeof r.label === 'string' ? r.label === label : r.label.test(label))) &&
        (r.script === undefined || r.script.test(script)),
    );
    if (!rule) throw new Error(`no recorded reply for request '${label}':\n${script}`);
    const rep = typeof rule.reply === 'function' ? rule.reply(script) : rule.reply;
    const stdout = rep.stdout ?? '';
    return { exitCode: rep.exitCode ?? 0, stdout, stderr: rep.stderr ?? '', raw: Buffer.from(stdout), durationMs: 1 };
  }
}
